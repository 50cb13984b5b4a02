"""The registry from the command line: every kind of record added, shown, updated, listed and deleted; duplicates,
stale versions, confirmations, and the history's revert and undo."""

import csv
import io
import json
import re
import shutil

import pytest

from ecotone.cli import main


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """The demo atlas, built once; each test works on its own copy."""
    folder = tmp_path_factory.mktemp("demo")
    assert main(["--db", str(folder / "ecotone.db"), "demo", "-f", "json"]) == 0
    return folder / "ecotone.db"


@pytest.fixture
def cli(tmp_path, capsys, monkeypatch, demo_db):
    """Run ``ecotone`` in process on a copy of the demo atlas; returns (code, out, err). ``answer`` is what the
    user types at a confirmation."""
    shutil.copy(demo_db, tmp_path / "ecotone.db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ECOTONE_DATABASE_URL", raising=False)
    capsys.readouterr()

    def run(*args, answer=None):
        if answer is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(answer + "\n"))
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return run


def _json(cli, *args):
    code, out, err = cli(*args, "-f", "json")
    assert code == 0, err
    return json.loads(out)


def _words(text):
    return " ".join(text.split())


# kind: (add options, update options, the field the update changes and its new value, list options finding it)
ROUND_TRIPS = {
    "people": (["--name", "Dr. Ana Ruiz", "--organization", "Barcelona University Hospital", "--role", "cardiologist",
                "--expertise", "heart failure,telemonitoring"],
               ["--role", "head of cardiology"], ("role", "head of cardiology"), ["--search", "Ana Ruiz"]),
    "innovations": (["--name", "Kardio Patch", "--organization", "Medlumics", "--stage", "prototype",
                     "--clinical-area", "cardiology"],
                    ["--stage", "clinical validation"], ("stage", "clinical_validation"),
                    ["--organization", "Medlumics", "--stage", "clinical_validation"]),
    "stages": (["--innovation", "Ablaview", "--stage", "regulatory_approval", "--date", "2026-03-01",
                "--note", "CE mark"],
               ["--date", "2026-03-15"], ("date", "2026-03-15"), ["--innovation", "Ablaview"]),
    "deals": (["--recipient", "Medlumics", "--amount", "5000000", "--date", "2026-02-01", "--round-type", "series_a",
               "--investors", "Ysios Capital,Caixa Capital Risc"],
              ["--amount", "5500000"], ("amount", 5500000.0), ["--organization", "Medlumics"]),
    "programs": (["--name", "Cardio Challenge 2026", "--kind", "challenge", "--hub", "Barcelona Health Hub",
                  "--start", "2026-03-01", "--end", "2026-06-30"],
                 ["--budget", "250000"], ("budget", 250000.0), ["--hub", "Barcelona", "--kind", "challenge"]),
    "intros": (["--organization", "Medlumics", "--partner", "Barcelona University Hospital",
                "--facilitator", "Medical Innovation Institute", "--introduced-on", "2026-01-20"],
               ["--met-on", "2026-02-03"], ("met_on", "2026-02-03"), ["--organization", "Medlumics"]),
    "kpis": (["--partnership", "Polish–Spanish health innovation bridge", "--name", "patients reached",
              "--unit", "patients", "--target", "500"],
             ["--target", "800"], ("target", 800.0), ["--search", "patients reached"]),
}


@pytest.mark.parametrize("group", list(ROUND_TRIPS))
def test_round_trip_of_every_kind(cli, group):
    add, update, (field, value), found_by = ROUND_TRIPS[group]
    added = _json(cli, group, "add", *add)
    rid = str(added["id"])
    assert added["version"] == 1 and added["source"] == "cli"

    shown = _json(cli, group, "show", rid)
    assert {k: shown[k] for k in ("id", "version")} == {"id": added["id"], "version": 1}
    assert shown["provenance"][field] == "cli"

    changed = _json(cli, group, "update", rid, *update)
    assert changed[field] == value and changed["version"] == 2
    assert _json(cli, group, "show", rid)[field] == value

    listed = _json(cli, group, "list", *found_by, "--limit", "1000")
    assert added["id"] in [r["id"] for r in listed]
    code, out, _ = cli(group, "list", *found_by, "-f", "csv")
    assert code == 0 and str(added["id"]) in [r["id"] for r in csv.DictReader(io.StringIO(out))]

    code, out, _ = cli(group, "delete", rid, "--yes")
    assert code == 0 and "ecotone changes --revert" in out
    code, out, err = cli(group, "show", rid)
    assert code == 1 and f"has id {rid}" in err


def test_references_by_name_and_their_names_in_lists(cli):
    person = _json(cli, "people", "add", "--name", "Dr. Ana Ruiz", "--organization", "Barcelona University Hospital")
    assert person["organization"] == "Barcelona University Hospital"
    assert _json(cli, "people", "show", "dr. ana ruiz")["id"] == person["id"]  # by exact name, any case
    deal = _json(cli, "deals", "add", "--recipient", "Medlumics", "--investors", "Ysios Capital", "--investors",
                 "Caixa Capital Risc")
    assert deal["investors"] == "Ysios Capital|Caixa Capital Risc" and len(deal["investor_ids"]) == 2
    code, out, _ = cli("people", "list", "--organization", "Barcelona University Hospital")
    assert code == 0 and "Dr. Ana Ruiz" in out and "Barcelona University Hospital" in out


def test_organisations_update_show_and_delete(cli):
    card = _json(cli, "orgs", "show", "Medlumics")
    assert card["version"] == 1 and card["hub"] == "Madrid Health Hub"
    assert card["provenance"]["name"].startswith("article: ")
    changed = _json(cli, "orgs", "update", "Medlumics", "--stage", "clinical_validation", "--tag", "cardiology,pl",
                    "--if-version", "1")
    assert (changed["stage"], changed["tags"], changed["version"]) == ("clinical_validation", ["cardiology", "pl"], 2)
    assert changed["provenance"]["stage"] == "cli" and changed["provenance"]["name"].startswith("article: ")
    assert changed["description"] == card["description"]  # only the fields given are written

    code, out, _ = cli("orgs", "delete", "Medlumics", answer="n")
    text = _words(out)
    assert code == 1 and "Deleting Medlumics also deletes" in text and "innovation" in text
    assert "Nothing was deleted" in text
    assert _json(cli, "orgs", "show", "Medlumics")["version"] == 2
    code, out, _ = cli("orgs", "delete", "Medlumics", answer="y")
    assert code == 0 and "Deleted organisation" in out
    code, _, err = cli("orgs", "show", "Medlumics")
    assert code == 1 and "no organisation is named 'Medlumics'" in err
    assert _json(cli, "innovations", "list", "--search", "Ablaview") == []  # it went with its organisation


def test_a_likely_duplicate_organisation_is_refused_until_allowed(cli):
    code, _, err = cli("orgs", "add", "MEDLUMICS S.L.", "--type", "startup", "--hub", "Madrid Health Hub")
    assert code == 1 and "Medlumics (organization 6) exists already in Madrid Health Hub" in _words(err)
    assert "--allow-duplicate" in err
    assert len(_json(cli, "orgs", "list", "--search", "medlumics")) == 1
    added = _json(cli, "orgs", "add", "MEDLUMICS S.L.", "--type", "startup", "--hub", "Madrid Health Hub",
                  "--allow-duplicate")
    assert added["name"] == "MEDLUMICS S.L." and added["helix"] == "industry"
    assert len(_json(cli, "orgs", "list", "--search", "medlumics")) == 2


def test_ties_show_update_and_delete(cli):
    [tie] = [t for t in _json(cli, "ties", "list", "--org", "GlyCardial") if t["source"] == "HealthEquity"]
    shown = _json(cli, "ties", "show", str(tie["id"]))
    assert (shown["from"], shown["to"], shown["version"]) == ("HealthEquity", "GlyCardial", 1)
    changed = _json(cli, "ties", "update", str(tie["id"]), "--status", "ended", "--end", "2026-06-30", "--undirected")
    assert (changed["status"], changed["end_date"], changed["directed"]) == ("ended", "2026-06-30", False)
    code, out, _ = cli("ties", "delete", str(tie["id"]), answer="n")
    assert code == 1 and "Nothing was deleted" in out
    code, _, _ = cli("ties", "delete", str(tie["id"]), "--yes")
    assert code == 0
    assert tie["id"] not in [t["id"] for t in _json(cli, "ties", "list", "--org", "GlyCardial")]


def test_a_stale_version_is_refused_and_nothing_changes(cli):
    person = _json(cli, "people", "add", "--name", "Dr. Ana Ruiz", "--role", "cardiologist")
    rid = str(person["id"])
    assert _json(cli, "people", "update", rid, "--role", "head of cardiology", "--if-version", "1")["version"] == 2
    code, _, err = cli("people", "update", rid, "--role", "intern", "--if-version", "1")
    assert code == 1 and "changed by cli" in err and "you had version 1, it is now version 2" in _words(err)
    code, _, err = cli("people", "delete", rid, "--yes", "--if-version", "1")
    assert code == 1 and "it is now version 2" in _words(err)
    shown = _json(cli, "people", "show", rid)
    assert (shown["role"], shown["version"]) == ("head of cardiology", 2)


@pytest.mark.parametrize("args, message", [
    (("innovations", "add", "--name", "X", "--organization", "Medlumics", "--stage", "sideways"),
     "--stage: 'sideways' is not one of the choices: idea, prototype"),
    (("people", "add", "--name", "X", "--organization", "Nobody Inc"), "--organization: no organisation is named"),
    (("deals", "add", "--recipient", "Medlumics", "--date", "yesterday"), "--date: must be a date such as 2024-01-31"),
    (("deals", "add", "--recipient", "Medlumics", "--amount", "-5"), "--amount: must be at least 0"),
    (("kpis", "add", "--partnership", "No such bridge", "--name", "x", "--target", "1"),
     "--partnership: no partnership is named 'No such bridge'"),
    (("people", "add", "--name", "X", "--external-ids", "oops"), "--external-ids: 'oops' is not SCHEME=VALUE"),
    (("people", "update", "Dr. Ana Muller"), "nothing to change"),
    (("deals", "show", "the big one"), "a deal is given by its id"),
    (("orgs", "update", "Medlumics", "--type", "bank"), "--type: 'bank' is not one of the choices"),
])
def test_wrong_values_name_their_option(cli, args, message):
    code, out, err = cli(*args)
    assert code == 1 and message in _words(out + err)


def test_a_missing_required_option_is_a_usage_error(cli):
    code, _, err = cli("people", "add", "--role", "cardiologist")
    assert code == 2 and "--name" in err


def test_revert_a_change_puts_the_field_back(cli):
    rid = str(_json(cli, "people", "add", "--name", "Dr. Ana Ruiz", "--role", "cardiologist")["id"])
    _json(cli, "people", "update", rid, "--role", "intern")
    [last, first] = _json(cli, "changes", "--record", f"person:{rid}")
    assert last["action"] == "update" and last["change_set"]
    code, out, _ = cli("changes", "--revert", str(last["id"]), answer="n")
    assert code == 1 and "Nothing was changed" in out
    assert _json(cli, "people", "show", rid)["role"] == "intern"
    code, out, _ = cli("changes", "--revert", str(last["id"]), "--yes")
    assert code == 0 and f"Reverted change {last['id']}" in out
    assert _json(cli, "people", "show", rid)["role"] == "cardiologist"
    code, out, _ = cli("changes", "--record", f"person:{rid}", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 3 and all(r["change_set"] for r in rows)


def test_a_deletion_is_brought_back_by_reverting_it(cli):
    code, out, _ = cli("orgs", "delete", "Medlumics", "--yes")
    change = re.search(r"ecotone changes --revert (\d+)", out).group(1)
    code, out, _ = cli("changes", "--revert", change, "--yes", "-f", "json")
    assert code == 0 and json.loads(out)["reverted"] == int(change)
    assert _json(cli, "orgs", "show", "Medlumics")["innovations"] == ["Ablaview (Clinical validation)"]


def test_undo_an_import(cli, tmp_path):
    (tmp_path / "elements.csv").write_text("Label,Type\nSant Pau Test,hospital\nKardio Test,startup\n",
                                           encoding="utf-8")
    code, out, _ = cli("import", "kumu", "elements.csv")
    assert code == 0
    change_set = re.search(r"Undo this import with: ecotone changes --undo-import ([0-9a-f]+)", out).group(1)
    assert _json(cli, "orgs", "show", "Sant Pau Test")["provenance"]["name"] == "elements.csv · row 2"
    code, out, err = cli("import", "kumu", "elements.csv")  # nothing written again: nothing to undo
    assert code == 0 and "Undo this import" not in out + err

    code, _, _ = cli("changes", "--undo-import", change_set, answer="n")
    assert code == 1 and len(_json(cli, "orgs", "list", "--search", " Test")) == 2
    code, out, _ = cli("changes", "--undo-import", change_set, "--yes")
    assert code == 0 and f"Undid change set {change_set}: 2 changes written" in out
    assert _json(cli, "orgs", "list", "--search", " Test") == []
    assert _json(cli, "orgs", "show", "Medlumics")["name"] == "Medlumics"  # what was there before stays


def test_the_import_report_says_how_to_undo_it_beside_json(cli, tmp_path):
    (tmp_path / "elements.csv").write_text("Label,Type\nSant Pau Test,hospital\n", encoding="utf-8")
    code, out, err = cli("import", "kumu", "elements.csv", "-f", "json")
    assert code == 0 and json.loads(out)[0]["created"] == 1  # the JSON stays parseable: the hint is on stderr
    assert "ecotone changes --undo-import" in err


NEW_COMMANDS = [("orgs", "update"), ("orgs", "delete"), ("ties", "show"), ("ties", "update"), ("ties", "delete")] + [
    (group, command) for group in ROUND_TRIPS for command in ("list", "show", "add", "update", "delete")]


@pytest.mark.parametrize("group, command", NEW_COMMANDS)
def test_help_teaches_with_an_example(cli, group, command):
    code, out, _ = cli(group, command, "--help")
    assert code == 0 and f"Example: ecotone {group} {command}" in _words(out)

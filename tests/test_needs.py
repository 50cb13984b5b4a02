"""The clinical needs registry and the records of open innovation (issue 17): validation, CRUD through the
registry with audit entries, visibility, the needs import (atomic, problems at row and column), the CLI, and the
migration from 0006 on both backends."""

from __future__ import annotations

import csv
import json

import pytest
import sqlalchemy as sa
from alembic import command
from pydantic import ValidationError

from conftest import migrate, postgres_schema, snapshot
from ecotone.domain import (ClinicalNeed, Endorsement, Hub, Innovation, Introduction, Judge, Organization, Person,
                            Program, Score, Submission)
from ecotone.domain.access import Principal, Role
from ecotone.domain.problems import InputRejected, describe_validation_error
from ecotone.services import needs, registry
from ecotone.store import Atlas
from ecotone.store.atlas import Refused, _migrations_config


def _fields(exc: ValidationError) -> dict[str, str]:
    return dict(describe_validation_error(exc))


# -- the records --------------------------------------------------------------------------------------------------

def test_a_need_states_itself_and_refuses_bad_values_by_field():
    need = ClinicalNeed(problem="detect sepsis early", population="adults in the emergency room",
                        outcome="reduce deaths", severity="Critical", status="being addressed", prevalence=120,
                        innovation_ids=[3, 3, 4])
    assert need.severity.value == "critical" and need.status.value == "being_addressed"
    assert need.innovation_ids == [3, 4] and not need.is_gap
    with pytest.raises(ValidationError) as exc:
        ClinicalNeed(problem="x", population="y", outcome="z", severity="grave", prevalence=-1, status="done")
    fields = _fields(exc.value)
    assert set(fields) == {"severity", "prevalence", "status"}
    assert "low, moderate, high or critical" in fields["severity"] and fields["prevalence"] == "must be at least 0"


def test_a_challenge_orders_its_dates_and_checks_its_rubric():
    ok = Program(name="Heart failure at home", kind="challenge", start_date="2026-01-10", closes_on="2026-03-01",
                 judged_by="2026-04-01", awarded_on="2026-04-15", rubric={"clinical impact": 2, "feasibility": 1},
                 shortlist=3, winners=2, prize=50_000)
    assert [(c.criterion, c.weight) for c in ok.rubric] == [("clinical impact", 2.0), ("feasibility", 1.0)]
    assert [c.criterion for c in Program(name="P", kind="grant").rubric] == ["overall"]
    cases = {
        "closes_on": dict(start_date="2026-03-01", closes_on="2026-02-01"),
        "awarded_on": dict(judged_by="2026-04-01", awarded_on="2026-03-01"),
        "rubric.0.weight": dict(rubric=[{"criterion": "impact", "weight": 0}]),
        "rubric": dict(rubric=[{"criterion": "Impact"}, {"criterion": "impact "}]),
        "winners": dict(shortlist=2, winners=3),
        "normalisation": dict(normalisation="median"),
        "prize": dict(prize=-5),
    }
    for field, bad in cases.items():
        with pytest.raises(ValidationError) as exc:
            Program(name="P", kind="challenge", **bad)
        assert field in _fields(exc.value), (field, _fields(exc.value))
    with pytest.raises(ValidationError) as exc:
        Program(name="P", kind="challenge", closes_on="2026-03-01", judged_by="2026-02-01")
    assert _fields(exc.value)["judged_by"] == "judged_by 2026-02-01 is before closes_on 2026-03-01"


def test_endorsements_scores_and_judges_validate():
    with pytest.raises(ValidationError) as exc:
        Endorsement(need_id=1)
    assert "exactly one endorser" in _fields(exc.value)["person_id"]
    with pytest.raises(ValidationError):
        Endorsement(need_id=1, organization_id=2, hub_id=3)
    assert Endorsement(need_id=1, organization_id=2).endorser == ("organization", 2)
    for value in (-0.5, 10.5):
        with pytest.raises(ValidationError) as exc:
            Score(submission_id=1, judge_id=1, value=value)
        assert "value" in _fields(exc.value)
    assert Score(submission_id=1, judge_id=1, criterion="  clinical   impact ", value=10).criterion == "clinical impact"
    judge = Judge(program_id=1, name="Dr. Puig", organization_id=5, conflict_ids=[7, 7])
    assert judge.conflict_ids == [7] and judge.conflicted_with(5) == "works for"
    with pytest.raises(ValidationError) as exc:
        Submission(program_id=1, organization_id=2, title="", status="won")
    assert set(_fields(exc.value)) == {"title", "status"}


# -- in the atlas --------------------------------------------------------------------------------------------------

def _world(atlas: Atlas) -> dict:
    bcn = atlas.add(Hub(name="Barcelona Health Hub", city="Barcelona", country="ES", visibility="public"))
    tmc = atlas.add(Hub(name="Texas Medical Center", city="Houston", country="US", visibility="public"))
    clinic = atlas.add(Organization(name="Hospital Clínic de Barcelona", type="hospital", hub_id=bcn.id,
                                    visibility="public"))
    startup = atlas.add(Organization(name="Dycare", type="startup", hub_id=bcn.id, visibility="public"))
    other = atlas.add(Organization(name="Medlumics", type="startup", hub_id=bcn.id, visibility="public"))
    doctor = atlas.add(Person(name="Dra. Marta Puig", organization_id=clinic.id, visibility="public"))
    rehab = atlas.add(Innovation(name="ReHub", organization_id=startup.id, stage="clinical validation",
                                 visibility="public"))
    return {"bcn": bcn, "tmc": tmc, "clinic": clinic, "startup": startup, "other": other, "doctor": doctor,
            "rehab": rehab}


def test_needs_and_challenges_are_written_through_the_registry_with_audit_entries(atlas):
    w = _world(atlas)
    need = registry.create(atlas, ClinicalNeed, {
        "problem": "rehabilitate knee surgery patients at home", "population": "adults after knee replacement",
        "outcome": "recover mobility sooner", "hub_id": w["bcn"].id, "raised_by_id": w["clinic"].id,
        "raised_by_person_id": w["doctor"].id, "innovation_ids": [w["rehab"].id], "severity": "moderate"})
    endorsement = registry.create(atlas, Endorsement, {"need_id": need.id, "hub_id": w["tmc"].id,
                                                       "date": "2026-05-01"})
    challenge = registry.create(atlas, Program, {
        "name": "Rehab at home", "kind": "challenge", "hub_id": w["bcn"].id, "sponsor_id": w["clinic"].id,
        "need_ids": [need.id], "rubric": [{"criterion": "clinical impact", "weight": 2},
                                          {"criterion": "feasibility", "weight": 1}]})
    entry = registry.create(atlas, Submission, {"program_id": challenge.id, "organization_id": w["startup"].id,
                                                "innovation_id": w["rehab"].id, "title": "ReHub at home"})
    judge = registry.create(atlas, Judge, {"program_id": challenge.id, "name": "Dr. Roca",
                                           "conflict_ids": [w["other"].id]})
    score = registry.create(atlas, Score, {"submission_id": entry.id, "judge_id": judge.id,
                                           "criterion": "Clinical Impact", "value": 8})
    assert atlas.get(Score, score.id).criterion == "clinical impact"  # as the rubric spells it
    assert atlas.get(ClinicalNeed, need.id).status.value == "being_addressed"  # an innovation named, no status
    registry.update(atlas, ClinicalNeed, need.id, {"severity": "high"})
    assert atlas.get(ClinicalNeed, need.id).severity.value == "high"
    registry.update(atlas, Program, challenge.id, {"prize": 25_000})
    intro = atlas.add(Introduction(organization_id=w["startup"].id, partner_id=w["clinic"].id,
                                   introduced_on="2026-06-01", program_id=challenge.id))
    assert atlas.get(Introduction, intro.id).program_id == challenge.id
    trail, _ = atlas.trail.entries(kinds=["clinical_need", "endorsement", "program", "submission", "judge", "score"])
    done = {(e["entity"], e["action"]) for e in trail}
    assert {("clinical_need", "create"), ("clinical_need", "update"), ("endorsement", "create"),
            ("program", "create"), ("program", "update"), ("submission", "create"), ("judge", "create"),
            ("score", "create")} <= done
    # the filters of the new kinds
    assert [s.id for s in atlas.find(Score, judge=str(judge.id)).items] == [score.id]
    assert [s.id for s in atlas.find(Submission, program=challenge.id).items] == [entry.id]
    assert atlas.find(ClinicalNeed, status="being addressed", area="knee").total == 0  # no area given
    assert atlas.find(ClinicalNeed, status="being addressed").total == 1
    assert [e.id for e in atlas.find(Endorsement, need=str(need.id)).items] == [endorsement.id]
    registry.delete(atlas, Judge, judge.id)  # its scores go with it
    assert atlas.find(Score).total == 0


def test_a_conflicted_judge_or_an_unknown_criterion_is_refused_in_words(atlas):
    w = _world(atlas)
    challenge = atlas.add(Program(name="Rehab at home", kind="challenge", rubric={"impact": 1}))
    mine = atlas.add(Submission(program_id=challenge.id, organization_id=w["startup"].id, title="ReHub"))
    theirs = atlas.add(Submission(program_id=challenge.id, organization_id=w["other"].id, title="Ablaview"))
    employee = atlas.add(Judge(program_id=challenge.id, name="Ana", organization_id=w["startup"].id))
    declared = atlas.add(Judge(program_id=challenge.id, name="Bo", conflict_ids=[w["other"].id]))
    other = atlas.add(Program(name="Another", kind="competition"))
    stranger = atlas.add(Judge(program_id=other.id, name="Cy"))
    before = snapshot(atlas)
    with pytest.raises(Refused, match="works for Dycare"):
        atlas.add(Score(submission_id=mine.id, judge_id=employee.id, criterion="impact", value=9))
    with pytest.raises(Refused, match="declared a conflict with Medlumics"):
        atlas.add(Score(submission_id=theirs.id, judge_id=declared.id, criterion="impact", value=9))
    with pytest.raises(Refused, match="not in the rubric.*score one of: impact"):
        atlas.add(Score(submission_id=mine.id, judge_id=declared.id, criterion="beauty", value=9))
    with pytest.raises(Refused, match="judges another challenge"):
        atlas.add(Score(submission_id=mine.id, judge_id=stranger.id, criterion="overall", value=5))
    with pytest.raises(Refused, match="belongs to Dycare"):
        atlas.add(Submission(program_id=challenge.id, organization_id=w["other"].id, innovation_id=w["rehab"].id,
                             title="Not theirs"))
    assert snapshot(atlas) == before
    ok = atlas.add(Score(submission_id=mine.id, judge_id=declared.id, criterion="impact", value=6))
    assert atlas.get(Score, ok.id).value == 6


def test_a_private_need_of_another_hub_is_not_seen(atlas):
    w = _world(atlas)
    mine = atlas.add(ClinicalNeed(problem="detect sepsis early", population="adults in the ER",
                                  outcome="reduce deaths", hub_id=w["bcn"].id, owner_kind="hub",
                                  owner_id=w["bcn"].id, visibility="hub"))
    theirs = atlas.add(ClinicalNeed(problem="triage chest pain", population="adults in the ER",
                                    outcome="treat heart attacks sooner", hub_id=w["tmc"].id, owner_kind="hub",
                                    owner_id=w["tmc"].id, visibility="private"))
    hidden_endorsement = atlas.add(Endorsement(need_id=theirs.id, hub_id=w["tmc"].id))
    challenge = atlas.add(Program(name="Houston only", kind="challenge", owner_kind="hub", owner_id=w["tmc"].id,
                                  visibility="private"))
    atlas.add(Submission(program_id=challenge.id, organization_id=w["startup"].id, title="ReHub for Houston"))
    viewer = atlas.acting_as(Principal("user", email="v@bcn.example.org", user_id=1, role=Role.viewer,
                                       hubs=frozenset({w["bcn"].id}), via="api"))
    assert [n.id for n in viewer.find(ClinicalNeed).items] == [mine.id]
    assert [r["id"] for r in needs.need_rows(viewer)] == [mine.id]
    assert viewer.find(Endorsement).total == 0 and viewer.find(Submission).total == 0
    with pytest.raises(Exception, match="no clinical need has id"):
        needs.show_need(viewer, theirs.id)
    assert hidden_endorsement.id and atlas.find(Endorsement).total == 1  # the owner sees it all
    assert {r["id"] for r in needs.need_rows(atlas)} == {mine.id, theirs.id}


# -- the import ----------------------------------------------------------------------------------------------------

HEADER = ["problem", "population", "outcome", "clinical_area", "severity", "prevalence", "evidence", "status",
          "hub", "raised_by", "clinician", "innovations"]


def _write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        out.writerows(rows)
    return path


def test_the_import_is_atomic_and_names_row_and_column_on_a_messy_file(atlas, tmp_path):
    w = _world(atlas)
    messy = _write_csv(tmp_path / "needs.csv", [
        ["detect sepsis early", "adults in the ER", "reduce deaths", "critical care", "critical", "300",
         "ICU audit 2025", "validated", "Barcelona Health Hub", "Hospital Clínic de Barcelona", "Dra. Marta Puig",
         "ReHub"],
        ["monitor heart failure at home", "elderly patients", "", "cardiology", "grave", "-2", "", "done",
         "Atlantis Hub", "Nobody Hospital", "", "ReHub; Ghostware"],
    ])
    before = snapshot(atlas)
    with pytest.raises(InputRejected) as exc:
        needs.import_needs(atlas, messy)
    got = {(p.row, p.column) for p in exc.value.problems}
    assert {(3, "outcome"), (3, "severity"), (3, "prevalence"), (3, "status"), (3, "hub"), (3, "raised_by"),
            (3, "innovations")} <= got
    assert all(p.file == str(messy) for p in exc.value.problems)
    ghost = next(p for p in exc.value.problems if p.column == "innovations")
    assert "Ghostware" in ghost.reason
    assert snapshot(atlas) == before  # nothing written, not even the good first row


def test_an_xlsx_register_imports_and_reimports_without_duplicates(atlas, tmp_path):
    from openpyxl import Workbook

    w = _world(atlas)
    book = Workbook()
    sheet = book.active
    sheet.append([h.replace("_", " ").title() for h in HEADER])  # "Clinical Area", "Raised By": headers as people write them
    sheet.append(["rehabilitate knee surgery patients at home", "adults after knee replacement",
                  "recover mobility sooner", "rehabilitation", "moderate", 150.5, "", "validated",
                  "Barcelona Health Hub", "hospital clínic de barcelona", "Dra. Marta Puig", "ReHub"])
    sheet.append(["detect sepsis early", "adults in the ER", "reduce deaths", "critical care", "critical", None,
                  None, None, "Barcelona Health Hub", None, None, None])
    path = tmp_path / "needs.xlsx"
    book.save(path)
    report = needs.import_needs(atlas, path)
    assert report.created["clinical_need"] == 2
    rows = {r["statement"]: r for r in needs.need_rows(atlas)}
    knee = rows["A way to rehabilitate knee surgery patients at home in adults after knee replacement in order to "
                "recover mobility sooner"]
    assert knee["innovations"] == ["ReHub"] and knee["clinician"] == "Dra. Marta Puig" and knee["prevalence"] == 150.5
    assert [r["statement"] for r in needs.need_rows(atlas, unaddressed=True)] == [
        "A way to detect sepsis early in adults in the ER in order to reduce deaths"]
    again = needs.import_needs(atlas, path)
    assert not again.changed and atlas.find(ClinicalNeed).total == 2
    assert len(atlas.trail.entries(kinds=["clinical_need"], action="create")[0]) == 2


def test_a_workbook_is_read_from_its_needs_sheet_with_names_in_part_and_addressed_needs_so_marked(atlas, tmp_path):
    from openpyxl import Workbook

    _world(atlas)
    book = Workbook()
    book.active.title = "About"
    book.active.append(["Register of unmet needs, Hospital Clínic, 2026"])  # a cover sheet people put first
    sheet = book.create_sheet("Needs")
    sheet.append(HEADER)
    sheet.append(["rehabilitate knee surgery patients at home", "adults after knee replacement",
                  "recover mobility sooner", "rehabilitation", "moderate", None, None, None, "Barcelona",
                  "Hospital Clínic", None, "ReHub"])
    sheet.append(["detect sepsis early", "adults in the ER", "reduce deaths", None, "critical", None, None, None,
                  "barcelona health", None, None, None])
    path = tmp_path / "needs.xlsx"
    book.save(path)
    assert needs.import_needs(atlas, path).created["clinical_need"] == 2
    rows = needs.need_rows(atlas)
    knee, sepsis = (next(r for r in rows if word in r["statement"]) for word in ("knee", "sepsis"))
    assert knee["hub"] == sepsis["hub"] == "Barcelona Health Hub" and knee["raised_by"] == "Hospital Clínic de Barcelona"
    assert knee["status"] == "being_addressed" and sepsis["status"] == "raised"  # an innovation named: addressed
    atlas.add(Hub(name="Barcelona Activa", visibility="public"))
    hubs = _write_csv(tmp_path / "two.csv", [["a", "b", "c", "", "", "", "", "", "Barcelona", "", "", ""]])
    with pytest.raises(InputRejected) as caught:  # a part of two hubs' names: which one is not guessed
        needs.import_needs(atlas, hubs)
    assert "2 hub records have 'Barcelona' in their name" in caught.value.problems[0].reason


def test_the_command_line_shows_a_files_problems_in_order_and_whole(cli, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("problem,severity\nx,grave\n", encoding="utf-8")
    code, _, err = cli("needs", "import", str(path))
    assert code == 1 and "2 problem(s); nothing was written" in err
    assert "[clinical_area]" in err and "[description]" in err  # the hint's optional columns are not eaten as markup
    code, out, _ = cli("needs", "import", str(path), "-f", "json")
    assert [p["column"] for p in json.loads(out)] == ["population", "outcome"]  # in the order of the header


# -- the command line -----------------------------------------------------------------------------------------------

def test_the_needs_commands(cli, tmp_path):
    assert cli("needs", "list")[0] == 0
    code, out, err = cli("needs", "add", "--problem", "detect sepsis early", "--population", "adults in the ER",
                         "--outcome", "reduce deaths", "--severity", "critical", "-f", "json")
    assert code == 0, err
    added = json.loads(out)
    assert added["statement"] == "A way to detect sepsis early in adults in the ER in order to reduce deaths"
    code, _, err = cli("needs", "add", "--problem", "x", "--population", "y", "--outcome", "z", "--severity",
                       "grave", "--raised-by", "Nowhere")
    assert code == 1 and "--severity" in err and "--raised-by: no organisation named 'Nowhere'" in err
    good = _write_csv(tmp_path / "good.csv", [["triage chest pain", "adults in the ER", "treat heart attacks sooner",
                                                "cardiology", "high", "", "", "", "", "", "", ""]])
    code, out, err = cli("needs", "import", str(good), "--dry-run")
    assert code == 0 and "Dry run" in out
    assert len(json.loads(cli("needs", "list", "-f", "json")[1])["needs"]) == 1
    assert cli("needs", "import", str(good))[0] == 0
    listed = json.loads(cli("needs", "list", "--area", "cardio", "-f", "json")[1])
    assert [n["statement"] for n in listed["needs"]] == [
        "A way to triage chest pain in adults in the ER in order to treat heart attacks sooner"]
    code, out, _ = cli("needs", "list", "--unaddressed", "--status", "raised", "-f", "csv")
    assert code == 0 and out.count("\n") == 3  # header and two gaps
    code, out, _ = cli("needs", "show", str(added["id"]))
    assert code == 0 and "A gap" in out and "reduce deaths" in out
    code, _, err = cli("needs", "show", "999")
    assert code == 1 and "no clinical need has id 999" in err
    bad = _write_csv(tmp_path / "bad.csv", [["a", "b", "c", "", "low", "many", "", "", "", "", "", ""]])
    code, _, err = cli("needs", "import", str(bad))
    assert code == 1 and "row 2" in err and "prevalence" in err and "must be a number" in err


# -- the migration ---------------------------------------------------------------------------------------------------

def _upgrade_from_0006(url: str) -> None:
    migrate(url, "0006")
    with Atlas.open(url, migrate=False) as old:
        assert "submissions" not in sa.inspect(old.engine).get_table_names()
        with old.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO hubs (visibility, external_ids, name, kind) "
                                 "VALUES ('public', '{}', 'Barcelona Health Hub', 'hub')"))
            conn.execute(sa.text("INSERT INTO organizations (visibility, external_ids, name, type, helix, hub_id, "
                                 "focus_areas, offers, needs, tags) VALUES ('public', '{}', 'Hospital Clínic', "
                                 "'hospital', 'government', 1, '[]', '[]', '[]', '[]')"))
            conn.execute(sa.text("INSERT INTO programs (visibility, external_ids, name, kind, currency, hub_id) "
                                 "VALUES ('public', '{}', 'BStartup Health', 'accelerator', 'EUR', 1)"))
            conn.execute(sa.text("INSERT INTO participations (visibility, external_ids, program_id, organization_id, "
                                 "role) VALUES ('public', '{}', 1, 1, 'mentor')"))
            conn.execute(sa.text("INSERT INTO clinical_needs (visibility, external_ids, problem, population, outcome,"
                                 " hub_id) VALUES ('public', '{}', 'detect sepsis early', 'adults', 'reduce deaths', 1)"))
    with Atlas.open(url) as atlas:
        current, newest = atlas.revision()
        assert current == newest and atlas.schema_differences() == []
        # what was there is kept (the programme's participation too) and reads with the new defaults
        need = atlas.get(ClinicalNeed, 1)
        assert need.status.value == "raised" and need.innovation_ids == [] and need.severity is None
        program = atlas.get(Program, 1)
        assert [c.criterion for c in program.rubric] == ["overall"] and program.winners == 1
        assert atlas.count(Program) == 1 and len(list(atlas.rows("participation"))) == 1
        sponsor = atlas.find(Organization).items[0]
        updated = registry.update(atlas, Program, 1, {"sponsor_id": sponsor.id, "kind": "challenge",
                                                      "rubric": {"impact": 2}})
        assert updated.sponsor_id == sponsor.id
        token = atlas.change_token()
        entry = atlas.add(Submission(program_id=1, organization_id=sponsor.id, title="Sepsis alert"))
        assert atlas.change_token() != token  # the new tables move the content counter (caches)
        atlas.add(Judge(program_id=1, name="Dr. Roca"))
        registry.delete(atlas, Organization, sponsor.id)  # the new reference is cleared by the database
        assert atlas.get(Program, 1).sponsor_id is None and atlas.find(Submission).total == 0
        assert entry.id
        cfg = _migrations_config()
        with atlas.engine.begin() as conn:  # and down, and up again
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006")
            assert "submissions" not in sa.inspect(conn).get_table_names()
            assert "sponsor_id" not in {c["name"] for c in sa.inspect(conn).get_columns("programs")}
            command.upgrade(cfg, "head")
            assert "scores" in sa.inspect(conn).get_table_names()


def test_the_migration_upgrades_an_sqlite_atlas_from_0006(tmp_path):
    _upgrade_from_0006(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.mark.postgresql
def test_the_migration_upgrades_a_postgresql_atlas_from_0006():
    with postgres_schema() as url:
        _upgrade_from_0006(url)


# -- the demo, and the records API ---------------------------------------------------------------------------------

def test_the_demo_holds_barcelonas_moebio_needs_and_the_api_serves_the_new_kinds(demo_atlas):
    from fastapi.testclient import TestClient

    from conftest import bearer
    from ecotone.api.app import create_app
    from ecotone.data.demo import MOEBIO_NEEDS

    rows = needs.need_rows(demo_atlas, hub="Barcelona Health Hub")
    ids = {n.id for n in demo_atlas.find(ClinicalNeed, hub="Barcelona Health Hub", limit=None).items
           if "Moebio" in (n.evidence or "")}
    moebio = [r for r in rows if r["id"] in ids]
    assert {r["raised_by"] for r in moebio} == {"Barcelona University Hospital", "Barcelona General Hospital"}
    assert len(moebio) == len(MOEBIO_NEEDS)
    assert {r["status"] for r in moebio} >= {"raised", "validated", "being_addressed"}
    assert any(r["gap"] for r in moebio) and any(not r["gap"] for r in moebio)
    assert all(r["clinician"] for r in moebio) and sum(r["endorsements"] for r in moebio) >= 4
    sepsis = next(r for r in moebio if "sepsis" in r["statement"])
    shown = needs.show_need(demo_atlas, sepsis["id"])
    assert {e["endorser"] for e in shown["endorsements"]} == {"Madrid Health Hub", "Texas Medical Center"}
    assert "1,400" in shown["evidence"]
    bcn, madrid = demo_atlas.hub_id("Barcelona Health Hub"), demo_atlas.hub_id("Madrid Health Hub")
    with TestClient(create_app(atlas=demo_atlas)) as client:
        admin = bearer(demo_atlas)
        outsider = bearer(demo_atlas, "madrid@example.org", "viewer", hubs=["Madrid Health Hub"])
        for plural in ("clinical-needs", "endorsements", "submissions", "judges", "scores"):
            answer = client.get(f"/api/v1/{plural}", headers=admin)
            assert answer.status_code == 200 and answer.json()["count"] > 0, plural
        mine = client.get("/api/v1/clinical-needs", params={"hub": bcn, "limit": 100}, headers=admin).json()["data"]
        theirs = client.get("/api/v1/clinical-needs", params={"hub": bcn, "limit": 100},
                            headers=outsider).json()["data"]
        copd = [n["id"] for n in mine if "COPD" in n["problem"]]
        assert copd and not {n["id"] for n in theirs} & set(copd)  # the hub's own need: not for another hub
        assert client.get(f"/api/v1/clinical-needs/{copd[0]}", headers=outsider).status_code == 404
        assert madrid
        for page in ("/records/clinical-needs", "/records/submissions", "/records/scores",
                     f"/records/clinical-needs/{sepsis['id']}"):
            assert client.get(page, headers=admin).status_code == 200, page
        refused = client.post("/api/v1/scores", headers=admin, json={"submission_id": 1, "judge_id": 1,
                                                                     "criterion": "beauty", "value": 5})
        assert refused.status_code in (409, 422) and "rubric" in refused.text

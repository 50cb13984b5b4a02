"""CORDIS imports on real data: the H2020 health network and the Horizon Europe sample."""

import csv
import datetime as dt
import fnmatch
import itertools
import re
import shutil
import tomllib
from collections import Counter, defaultdict

import networkx as nx
import pytest

from conftest import CORDIS_H2020, CORDIS_HE, REPO, snapshot
from ecotone.analysis.snapshot import Snapshot
from ecotone.cli import main
from ecotone.domain import Organization, Participation, Program, Tie
from ecotone.domain.problems import InputRejected
from ecotone.io.cordis import known_group, read_cordis
from ecotone.services.imports import import_files
from ecotone.store import Atlas


def _csv(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


@pytest.fixture(scope="module")
def oracle():
    """The co-participation network computed straight from the CSV, independently of Ecotone."""
    rows = _csv(CORDIS_H2020 / "organization.csv")
    members = defaultdict(set)
    for r in rows:
        members[r["projectID"]].add(r["organisationID"])
    g = nx.Graph()
    g.add_nodes_from(r["organisationID"] for r in rows)
    for pics in members.values():
        for a, b in itertools.combinations(sorted(pics), 2):
            w = g.edges[a, b]["weight"] + 1 if g.has_edge(a, b) else 1
            g.add_edge(a, b, weight=w)
    return g, rows


def test_h2020_health_gives_its_organisations_projects_and_ties(cordis_atlas, oracle):
    g, rows = oracle
    assert cordis_atlas.count(Organization) == 3995 == g.number_of_nodes()
    assert cordis_atlas.count(Program) == 1105
    assert cordis_atlas.count(Participation) == len(rows) == 10906
    assert cordis_atlas.count(Tie, kind="co_participation") == g.number_of_edges()


def test_co_participation_weights_match_an_independent_count(cordis_atlas, oracle):
    g, _ = oracle
    pic = {r["id"]: r["external_ids"]["cordis_pic"] for r in cordis_atlas.rows("organization", columns=["id", "external_ids"])}
    ours = nx.Graph()
    for t in cordis_atlas.rows("tie", columns=["source_id", "target_id", "weight", "directed"]):
        assert t["directed"] is False or t["directed"] == 0
        ours.add_edge(pic[t["source_id"]], pic[t["target_id"]], weight=t["weight"])
    assert set(map(frozenset, ours.edges)) == set(map(frozenset, g.edges))
    assert all(ours.edges[a, b]["weight"] == g.edges[a, b]["weight"] for a, b in g.edges)


def test_ties_are_dated_by_the_projects(cordis_atlas):
    projects = {r["id"]: r for r in _csv(CORDIS_H2020 / "project.csv")}
    tie = cordis_atlas.find(Tie, limit=1, order_by="-weight").items[0]
    shared = tie.evidence.removeprefix("CORDIS projects ").split(" and ")[0].split(", ")
    starts = [dt.date.fromisoformat(projects[p]["startDate"]) for p in shared]
    assert tie.start_date <= min(starts)
    assert tie.weight >= len(shared)


def test_organisations_carry_pic_type_helix_country_and_source(cordis_atlas):
    page = cordis_atlas.find(Organization, search="FRAUNHOFER GESELLSCHAFT ZUR FOERDERUNG")
    fraunhofer = page.items[0]
    assert fraunhofer.external_ids == {"cordis_pic": "999984059"}
    assert fraunhofer.type.value == "research_center" and fraunhofer.helix.value == "academia"
    assert fraunhofer.country == "DE" and fraunhofer.city == "MUNCHEN"
    assert fraunhofer.source.startswith("CORDIS organization.csv row")
    types = Counter(o.type.value for o in cordis_atlas.records(Organization))
    assert types["hospital"] > 50 and types["university"] > 500
    # Organisations CORDIS names no more keep their PIC as a name.
    assert cordis_atlas.count(Organization, search="PIC ") > 1000


def test_coordinators_and_contributions_are_kept(cordis_atlas):
    coordinators = [p for p in cordis_atlas.records(Participation) if p.role == "coordinator"]
    assert len(coordinators) == 1105
    assert sum(p.contribution or 0 for p in coordinators) > 1e9


def test_importing_again_changes_nothing(cordis_atlas):
    before = snapshot(cordis_atlas)
    report = import_files(cordis_atlas, "cordis", [CORDIS_H2020])
    assert not report.changed
    assert report.unchanged["organization"] == 3995
    assert snapshot(cordis_atlas) == before


def test_a_dry_run_reports_and_writes_nothing(atlas):
    report = import_files(atlas, "cordis", [CORDIS_HE], dry_run=True)
    assert report.dry_run and report.created["organization"] > 50
    assert atlas.counts()["organization"] == 0


def test_horizon_europe_comma_separated_with_geolocation(atlas):
    report = import_files(atlas, "cordis", [CORDIS_HE / "organization.csv", CORDIS_HE / "project.csv"])
    assert report.created["program"] == 100
    wur = atlas.find(Organization, search="WAGENINGEN UNIVERSITY").items[0]
    assert (round(wur.latitude, 4), round(wur.longitude, 4)) == (51.9863, 5.6679)
    assert wur.website == "http://www.wageningenur.nl/nl.htm"
    doe = atlas.find(Program, search="DOE").items[0]
    assert doe.description.startswith("Digitizing Other Economies")
    # SME flag: PRC companies flagged False are corporates, not SMEs.
    rows = list(csv.DictReader(open(CORDIS_HE / "organization.csv", encoding="utf-8")))
    big = next(r for r in rows if r["activityType"] == "PRC" and r["SME"] == "False")
    assert atlas.find(Organization, search=big["name"]).items[0].type.value == "corporate"


def _broken_copy(tmp_path, row_number, column, value):
    folder = tmp_path / "cordis"
    shutil.copytree(CORDIS_H2020, folder)
    path = folder / "organization.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    rows[row_number - 1][rows[0].index(column)] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";", quoting=csv.QUOTE_ALL).writerows(rows)
    return folder


def test_a_broken_row_is_reported_and_the_atlas_is_left_exactly_as_it_was(atlas, tmp_path):
    import_files(atlas, "cordis", [CORDIS_HE])
    before = snapshot(atlas)
    folder = _broken_copy(tmp_path, 5000, "activityType", "XYZ")
    with pytest.raises(InputRejected) as info:
        import_files(atlas, "cordis", [folder])
    [problem] = info.value.problems
    assert problem.file.endswith("organization.csv")
    assert problem.row == 5000
    assert problem.column == "activityType"
    assert "XYZ" in problem.reason and "HES" in problem.reason
    assert snapshot(atlas) == before


@pytest.mark.parametrize("column, value, reason", [
    ("organisationID", "abc", "not a number"),
    ("projectID", "", "project id is empty"),
    ("ecContribution", "lots", "not a number"),
    ("country", "Spain", "two-letter"),
    ("ecContribution", "-5", "negative"),
    ("ecContribution", "inf", "not a number"),
])
def test_each_kind_of_bad_cell_is_named(tmp_path, column, value, reason):
    folder = _broken_copy(tmp_path, 42, column, value)
    batch = read_cordis(folder / "organization.csv", folder / "project.csv")
    assert len(batch.problems) == 1
    assert (batch.problems[0].row, batch.problems[0].column) == (42, column)
    assert reason in batch.problems[0].reason


def test_missing_files_and_columns_are_explained(tmp_path):
    with pytest.raises(InputRejected, match="project.csv"):
        import_files(None, "cordis", [tmp_path])
    (tmp_path / "organization.csv").write_text('"projectID";"name"\n"1";"X"\n', encoding="utf-8")
    (tmp_path / "project.csv").write_text('"id";"startDate";"endDate"\n"1";"2020-01-01";"2021-01-01"\n',
                                          encoding="utf-8")
    with pytest.raises(InputRejected) as info:
        import_files(None, "cordis", [tmp_path])
    assert {p.column for p in info.value.problems} == {"organisationID", "activityType", "country"}
    assert all(p.row == 1 for p in info.value.problems)


def test_projects_missing_from_a_partial_extract_are_kept_with_a_warning(atlas, tmp_path):
    folder = tmp_path / "partial"
    shutil.copytree(CORDIS_HE, folder)
    lines = (folder / "project.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    dropped = next(csv.reader([lines[1]]))[0]
    (folder / "project.csv").write_text("".join(lines[:1] + lines[2:]), encoding="utf-8")
    report = import_files(atlas, "cordis", [folder])
    assert any(f"project {dropped} is not in project.csv" in w for w in report.warnings)
    program = next(p for p in atlas.records(Program) if p.external_ids["cordis_project"] == dropped)
    assert program.start_date is None and program.name == "DOE"
    assert atlas.count(Participation, program=program.id) >= 1


def test_long_free_text_is_kept_on_both_backends(atlas, tmp_path):
    folder = tmp_path / "long"
    folder.mkdir()
    (folder / "project.csv").write_text("id;acronym;startDate;endDate\n1;HEART;2020-01-01;2022-12-31\n")
    city = "Santa Cruz de Tenerife " * 20
    role = "coordinating beneficiary " * 4
    (folder / "organization.csv").write_text("projectID;organisationID;name;activityType;country;role;city\n"
                                             f"1;999;HOSPITAL;REC;ES;{role};{city}\n1;888;B;PRC;PL;participant;\n")
    import_files(atlas, "cordis", [folder])
    assert atlas.find(Organization, search="HOSPITAL").items[0].city == city.strip()
    assert {p.role for p in atlas.records(Participation)} == {role.strip(), "participant"}


# -- company size: SME only on evidence, large groups recognised -------------------------------------------------
def _by_pic(atlas):
    return {o.external_ids["cordis_pic"]: o for o in atlas.records(Organization)}


def _sme_instrument_pics(rows):
    """PICs in a project of the SME Instrument ("Innovation in SMEs") whose participants are all companies,
    straight from the CSV."""
    programme = {r["id"]: r["programme"].split("|") for r in _csv(CORDIS_H2020 / "project.csv")}
    members = defaultdict(list)
    for r in rows:
        members[r["projectID"]].append(r)
    return {r["organisationID"] for pid, rs in members.items()
            if "Innovation in SMEs" in programme[pid] and all(m["activityType"] == "PRC" for m in rs) for r in rs}


def test_only_companies_with_evidence_are_smes(cordis_atlas, oracle):
    # The H2020 extract has no SME column: the SME Instrument, which only SMEs may join, is the evidence at hand.
    _, rows = oracle
    orgs = _by_pic(cordis_atlas)
    evidence = _sme_instrument_pics(rows)
    assert len(evidence) > 50
    assert {pic for pic, o in orgs.items() if o.type.value == "sme"} == evidence
    assert all("cordis:sme-instrument" in orgs[pic].tags for pic in evidence)
    soma = [o for o in orgs.values() if o.name.startswith("SOMA ANALYTICS")]
    assert soma and all(o.type.value == "sme" for o in soma)
    # Every other private company is a corporate (or a hospital, by its name); the old rule made them all SMEs.
    companies = {r["organisationID"] for r in rows if r["activityType"] == "PRC"}
    others = Counter(orgs[pic].type.value for pic in companies - evidence)
    assert set(others) == {"corporate", "hospital"}
    assert others["corporate"] > 20 * len(evidence)


@pytest.mark.parametrize("word, group", [
    ("SIEMENS", "Siemens"), ("PHILIPS", "Philips"), ("HOFFMANN-LA ROCHE", "Roche"), ("NOVARTIS", "Novartis"),
    ("BAYER", "Bayer"), ("GLAXOSMITHKLINE", "GSK"), ("IBM ", "IBM"), ("ASTRAZENECA", "AstraZeneca"),
    ("SANOFI", "Sanofi"), ("PFIZER", "Pfizer"), ("MEDTRONIC", "Medtronic"), ("TELEFONICA", "Telefonica"),
])
def test_large_groups_are_corporates_tagged_with_their_group(cordis_atlas, oracle, word, group):
    _, rows = oracle
    orgs = _by_pic(cordis_atlas)
    named = {r["organisationID"] for r in rows if r["activityType"] == "PRC" and word in r["name"].upper()}
    tagged = {pic for pic, o in orgs.items() if f"group:{group}" in o.tags}
    assert named and named <= tagged
    assert {orgs[pic].type.value for pic in tagged} == {"corporate"}


def test_several_pics_sharing_a_distinctive_name_make_a_group(cordis_atlas, oracle):
    _, rows = oracle
    orgs = _by_pic(cordis_atlas)
    nxp = {r["organisationID"] for r in rows if r["name"].upper().startswith("NXP SEMICONDUCTORS")}
    assert len(nxp) >= 2 and known_group("NXP SEMICONDUCTORS GERMANY GMBH") is None  # told by the names alone
    assert all(orgs[pic].type.value == "corporate" and "group:NXP Semiconductors" in orgs[pic].tags for pic in nxp)
    # Companies whose names begin with a common word are no group (unless the list of known groups has them).
    first = defaultdict(set)
    for r in rows:
        if r["activityType"] == "PRC" and r["name"] and known_group(r["name"]) is None:
            first[re.split(r"[^A-Z0-9]+", r["name"].upper())[0]].add(r["organisationID"])
    for word in ("HEALTH", "EUROPEAN", "INSTITUT", "GENOMIC", "THE"):
        assert len(first[word]) >= 2
        assert not [t for pic in first[word] for t in orgs[pic].tags if t.startswith("group:")], word


def _edited_copy(tmp_path, folder, names):
    """A copy of a CORDIS folder whose organisations PIC → (name, SME cell) are renamed and re-flagged."""
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    path = copy / "organization.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        if r["organisationID"] in names:
            r["name"], r["SME"] = names[r["organisationID"]]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows(rows)
    return copy


def test_the_sme_column_is_obeyed_and_wins_over_a_name(tmp_path):
    rows = list(csv.DictReader(open(CORDIS_HE / "organization.csv", encoding="utf-8")))
    flags = {r["organisationID"]: r["SME"] for r in rows if r["activityType"] == "PRC"}
    assert set(flags.values()) == {"True", "False"}
    batch = read_cordis(CORDIS_HE / "organization.csv", CORDIS_HE / "project.csv")
    types = {o.external_ids["cordis_pic"]: o.type.value for o, _ in batch.records["organization"]}
    assert {pic: types[pic] for pic in flags} == {pic: "sme" if f == "True" else "corporate" for pic, f in flags.items()}

    smes = [pic for pic, f in flags.items() if f == "True"]
    big = next(pic for pic, f in flags.items() if f == "False")
    edits = {smes[0]: ("SIEMENS HEALTHINEERS AG", "True"), big: ("PHILIPS MEDICAL SYSTEMS NEDERLAND BV", "False"),
             smes[1]: ("ACMEDIX AG", ""), smes[2]: ("ACMEDIX HEALTHCARE GMBH", ""),
             smes[3]: ("ACMEDIX HEALTHINEERS SRL", "")}
    folder = _edited_copy(tmp_path, CORDIS_HE, edits)
    batch = read_cordis(folder / "organization.csv", folder / "project.csv")
    orgs = {o.external_ids["cordis_pic"]: o for o, _ in batch.records["organization"]}
    # The file says SME: a namesake of a large group stays one, untagged.
    assert orgs[smes[0]].type.value == "sme" and not any(t.startswith("group:") for t in orgs[smes[0]].tags)
    assert orgs[big].type.value == "corporate" and "group:Philips" in orgs[big].tags
    # No flag and no list entry: three PICs named after one parent make a group of corporates.
    for pic in smes[1:4]:
        assert orgs[pic].type.value == "corporate" and "group:Acmedix" in orgs[pic].tags


def test_the_import_report_counts_each_type(cordis_atlas):
    report = import_files(cordis_atlas, "cordis", [CORDIS_H2020], dry_run=True)
    assert report.types == Counter(o.type.value for o in cordis_atlas.records(Organization))
    imported = report.created["organization"] + report.updated["organization"] + report.unchanged["organization"]
    assert sum(report.types.values()) == imported == cordis_atlas.count(Organization) == 3995
    assert report.types["corporate"] > report.types["sme"] > 0


def test_the_cli_prints_the_counts_by_type(tmp_path, capsys):
    db = str(tmp_path / "atlas.db")
    assert main(["--db", db, "import", "cordis", str(CORDIS_HE)]) == 0
    out = capsys.readouterr().out
    [line] = [x for x in out.splitlines() if x.startswith("organisations by type: ")]
    shown = {kind: int(n.replace(",", "")) for kind, n in re.findall(r"(\w+) ([\d,]+)", line)}
    with Atlas.open(db) as atlas:
        assert shown == Counter(o.type.value for o in atlas.records(Organization))
        assert sum(shown.values()) == atlas.count(Organization)
    assert shown["sme"] == len({r["organisationID"] for r in csv.DictReader(open(CORDIS_HE / "organization.csv",
                                encoding="utf-8")) if r["activityType"] == "PRC" and r["SME"] == "True"})


def test_funding_raised_is_the_ec_contributions(cordis_atlas, oracle):
    # What the stakeholder map's resources read (tests/test_stakeholder_power.py checks that it raises power)
    _, rows = oracle
    ec = Counter()
    for r in rows:
        ec[r["organisationID"]] += float(r["ecContribution"].replace(",", ".") or 0)
    snap = Snapshot.from_atlas(cordis_atlas)
    pic = {r["id"]: r["external_ids"]["cordis_pic"] for r in cordis_atlas.rows("organization", columns=["id", "external_ids"])}
    raised = dict(zip(snap.nodes["id"].map(pic), snap.nodes["funding_raised"]))
    assert raised == pytest.approx({p: ec[p] for p in raised}) and sum(ec.values()) > 5e9


def test_the_list_of_groups_ships_with_the_package_and_says_where_it_comes_from():
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["ecotone"]
    data = REPO / "src" / "ecotone" / "data"
    for name in ("industrial_groups.csv", "README.md"):
        assert (data / name).exists() and any(fnmatch.fnmatch(f"data/{name}", g) for g in globs)
    readme = (data / "README.md").read_text(encoding="utf-8")
    assert "industrial_groups.csv" in readme and "Scoreboard" in readme and "Licence" in readme
    groups = {r["group"] for r in csv.DictReader(open(data / "industrial_groups.csv", encoding="utf-8"))}
    assert {"Siemens", "Philips", "Airbus", "GE", "Roche", "Novartis", "Sanofi", "Bayer", "Pfizer", "AstraZeneca",
            "GSK", "Johnson & Johnson", "Medtronic", "IBM", "Thales", "Atos", "Telefonica", "Orange",
            "Boehringer Ingelheim", "Merck KGaA", "Novo Nordisk"} <= groups
    assert known_group("AIRBUS DEFENCE AND SPACE GMBH") == "Airbus" and known_group("AIRBORNE ROBOTICS SL") is None

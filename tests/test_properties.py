"""Property-based tests: whatever users feed the importers, they get a verdict, never a traceback or a half-write."""

import csv
import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import fresh_atlas, snapshot
from ecotone.domain import Organization
from ecotone.domain.problems import InputRejected
from ecotone.io.bundle import FORMAT, VERSION
from ecotone.services.imports import import_files

PROFILE = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

cell = st.one_of(
    st.sampled_from(["", "startup", "hospital", "Hospital", "bank", "ES", "Spain", "2024-01-31", "31/01/2024",
                     "1.5", "-3", "abc", "a|b", "|", "directed", "mutual", "sideways", "cordis_pic:1", "x:", "0",
                     "Kardio", "Clinic", "(ignore)"]),
    st.text(alphabet=string.printable + "éł–", max_size=12),
)
element_headers = st.lists(st.sampled_from(["Label", "Type", "Tags", "Hub", "Country", "Latitude", "Founded",
                                            "External IDs", "Stage", "Visibility", "ID", "Whatever"]),
                           min_size=1, max_size=6, unique=True)
connection_headers = st.lists(st.sampled_from(["From", "To", "Type", "Direction", "Strength", "Start", "End",
                                               "Status"]), min_size=1, max_size=6, unique=True)


@st.composite
def sheet(draw, headers):
    header = draw(headers)
    rows = draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header)), max_size=6))
    return [header] + rows


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


@PROFILE
@given(elements=sheet(element_headers), connections=sheet(connection_headers))
def test_any_kumu_csv_is_imported_whole_or_rejected_whole(backend, tmp_path_factory, elements, connections):
    folder = tmp_path_factory.mktemp("kumu")
    _write(folder / "elements.csv", elements)
    _write(folder / "connections.csv", connections)
    with fresh_atlas(backend, folder) as atlas:
        atlas.add(Organization(name="Kardio", type="startup"))
        before = snapshot(atlas)
        try:
            report = import_files(atlas, "kumu", [folder / "elements.csv", folder / "connections.csv"])
        except InputRejected as exc:
            assert exc.problems and all(p.reason for p in exc.problems)
            assert snapshot(atlas) == before
        else:
            after = snapshot(atlas)
            assert len(after["organization"]) == len(before["organization"]) + report.created["organization"]
            assert len(after["tie"]) == report.created["tie"]
            # Whatever was accepted imports again without change.
            assert not import_files(atlas, "kumu", [folder / "elements.csv", folder / "connections.csv"]).changed


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=8),
              st.sampled_from(["startup", "partnership", "2024-01-01", "ES"])),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10)
record = st.fixed_dictionaries(
    {"id": st.one_of(st.integers(1, 3), json_value)},
    optional={"name": json_value, "type": json_value, "kind": json_value, "source_id": json_value,
              "target_id": json_value, "hub_id": json_value, "country": json_value, "tags": json_value,
              "external_ids": json_value, "start_date": json_value})


@PROFILE
@given(records=st.dictionaries(st.sampled_from(["hub", "organization", "tie", "deal", "planet"]),
                               st.one_of(st.lists(record, max_size=4), json_value), max_size=3))
def test_any_bundle_is_imported_whole_or_rejected_whole(backend, tmp_path_factory, records):
    folder = tmp_path_factory.mktemp("bundle")
    path = folder / "b.json"
    path.write_text(json.dumps({"format": FORMAT, "version": VERSION, "records": records}), encoding="utf-8")
    with fresh_atlas(backend, folder) as atlas:
        before = snapshot(atlas)
        try:
            import_files(atlas, "bundle", [path])
        except InputRejected as exc:
            assert exc.problems
            assert snapshot(atlas) == before
        else:
            assert not import_files(atlas, "bundle", [path]).changed


ORG_HEADER = ["projectID", "organisationID", "name", "activityType", "country", "role", "ecContribution",
              "geolocation", "SME"]
PROJECT_HEADER = ["id", "acronym", "startDate", "endDate", "totalCost"]
org_row = st.fixed_dictionaries({
    "projectID": st.sampled_from(["1", "2", "", "x"]),
    "organisationID": st.sampled_from(["999", "888", "777", "", "abc"]),
    "name": cell, "activityType": st.sampled_from(["HES", "REC", "PRC", "PUB", "OTH", "hes", "XYZ", ""]),
    "country": st.sampled_from(["ES", "PL", "EL", "UK", "", "Spain", "e"]), "role": cell,
    "ecContribution": st.sampled_from(["", "1000", "1000,5", "nan", "inf", "lots", "-1"]),
    "geolocation": st.sampled_from(["", "41.38,2.17", "41.38", "north,south", "95,200"]),
    "SME": st.sampled_from(["", "True", "False", "maybe"])})
project_row = st.fixed_dictionaries({
    "id": st.sampled_from(["1", "2", "", "1"]), "acronym": cell,
    "startDate": st.sampled_from(["2020-01-01", "", "01/01/2020", "2021-02-30"]),
    "endDate": st.sampled_from(["2022-12-31", "", "2019-01-01", "never"]),
    "totalCost": st.sampled_from(["", "12,5", "1e6", "nan", "x"])})


@PROFILE
@given(orgs=st.lists(org_row, max_size=6), projects=st.lists(project_row, max_size=3),
       delimiter=st.sampled_from([";", ","]))
def test_any_cordis_extract_is_imported_whole_or_rejected_whole(backend, tmp_path_factory, orgs, projects,
                                                                delimiter):
    folder = tmp_path_factory.mktemp("cordis")
    for name, header, rows in (("organization.csv", ORG_HEADER, orgs), ("project.csv", PROJECT_HEADER, projects)):
        with open(folder / name, "w", newline="", encoding="utf-8") as fh:
            out = csv.DictWriter(fh, header, delimiter=delimiter, quoting=csv.QUOTE_ALL)
            out.writeheader()
            out.writerows(rows)
    with fresh_atlas(backend, folder) as atlas:
        before = snapshot(atlas)
        try:
            import_files(atlas, "cordis", [folder])
        except InputRejected as exc:
            assert exc.problems and all(p.reason for p in exc.problems)
            assert snapshot(atlas) == before
        else:
            assert not import_files(atlas, "cordis", [folder]).changed

"""Bad input never gives a 500 or a traceback: huge ids, deep JSON, messy CORDIS, corrupt workbooks, odd file
names, XML bombs and dangling references are refused as problems naming what is wrong; schemathesis fuzzes the API."""

import importlib.util
import io
import random
import re
import time
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from test_graph_exports import graphology_read
from conftest import BACKENDS, CORDIS_H2020, bearer, fresh_atlas, snapshot
from ecotone.api import create_app
from ecotone.api.schemas import MAX_ID, SCHEMAS, plural
from ecotone.domain.problems import InputRejected
from ecotone.io.cordis import read_cordis
from ecotone.services.imports import import_files
from test_match import _workbook

PROBLEM = "application/problem+json"
HUGE = 2**63  # one more than the largest 64-bit integer
BEYOND = MAX_ID + 1  # fits 64 bits, not the database's INTEGER id columns


@pytest.fixture(scope="module", params=BACKENDS)
def served(request, tmp_path_factory):
    """The demo atlas on each backend, built once for this module (tests refuse writes, and check that nothing
    was written), and an admin's client of the app over it; a server error comes back as a 500 response instead
    of raising in the test."""
    from ecotone.services.demo import build_demo

    with fresh_atlas(request.param, tmp_path_factory.mktemp("robustness")) as atlas:
        build_demo(atlas)
        with TestClient(create_app(atlas=atlas), headers=bearer(atlas), raise_server_exceptions=False) as c:
            yield atlas, c


@pytest.fixture
def demo(served):
    """The shared demo atlas."""
    return served[0]


@pytest.fixture
def client(served):
    """The admin's client of the app over the shared demo atlas."""
    return served[1]


def _jobs(client):
    return {job["id"] for job in client.app.state.jobs.book.list(limit=100_000)}


def _problem(response, status):
    """The problem details of ``response``, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"]
    return body


# -- 1. integers beyond what the database holds ------------------------------------------------------------------
@pytest.mark.parametrize("entity", ["organization", "hub", "tie", "deal", "partnership", "kpi_actual"])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("record_id", [HUGE, BEYOND, 0, -1])
def test_record_ids_out_of_range_are_refused_as_invalid(client, demo, entity, method, record_id):
    before = snapshot(demo)
    r = client.request(method, f"/api/v1/{plural(entity)}/{record_id}", json={} if method == "PATCH" else None)
    body = _problem(r, 422)
    assert body["title"] == "The request is not valid" and body["errors"][0]["field"] == "record_id"
    assert snapshot(demo) == before


@pytest.mark.parametrize("path", ["/api/v1/organizations/{}/card", "/api/v1/partnerships/{}/scorecard"])
def test_ids_out_of_range_in_other_paths(client, path):
    body = _problem(client.get(path.format(HUGE)), 422)
    assert body["errors"][0]["field"] == "record_id"


def test_ratings_for_a_partnership_id_out_of_range(client, demo):
    before = snapshot(demo)
    r = client.post(f"/api/v1/partnerships/{HUGE}/ratings", files={"file": ("ratings.csv", b"Evaluator\n")})
    assert _problem(r, 422)["errors"][0]["field"] == "record_id"
    assert snapshot(demo) == before


@pytest.mark.parametrize(("entity", "payload", "field"), [
    ("organization", {"name": "Kardio", "type": "startup", "hub_id": HUGE}, "hub_id"),
    ("organization", {"name": "Kardio", "type": "startup", "hub_id": BEYOND}, "hub_id"),
    ("organization", {"name": "Kardio", "type": "startup", "hub_id": 0}, "hub_id"),
    ("hub", {"name": "Owned", "owner_kind": "hub", "owner_id": HUGE}, "owner_id"),
    ("tie", {"source_id": HUGE, "target_id": 1, "kind": "partnership"}, "source_id"),
    ("deal", {"recipient_id": 1, "investor_ids": [2, HUGE]}, "investor_ids.1"),
    ("partnership", {"name": "Bridge", "organization_ids": [1, HUGE]}, "organization_ids.1"),
    ("rating", {"assessment_id": 1, "question": "A1", "score": HUGE}, "score"),
    ("organization", {"name": "Kardio", "type": "startup", "founded": HUGE}, "founded"),
])
def test_body_integers_out_of_range_are_refused_on_create(client, demo, entity, payload, field):
    before = snapshot(demo)
    body = _problem(client.post(f"/api/v1/{plural(entity)}", json=payload), 422)
    assert field in {e["field"] for e in body["errors"]}, body
    assert snapshot(demo) == before


def test_body_integers_out_of_range_are_refused_on_update(client, demo):
    before = snapshot(demo)
    body = _problem(client.patch("/api/v1/organizations/1", json={"hub_id": HUGE}), 422)
    assert body["errors"][0]["field"] == "hub_id" and "must be at most" in body["errors"][0]["reason"]
    assert snapshot(demo) == before


def test_every_id_field_of_the_api_schemas_is_bounded():
    for s in SCHEMAS.values():
        for schema in (s.create, s.update):
            doc = schema.model_json_schema()
            for name, prop in doc["properties"].items():
                text = str(prop)
                if name.endswith(("_id", "_ids")) and "integer" in text:
                    assert f"'maximum': {MAX_ID}" in text and "'minimum': 1" in text, (schema.__name__, name, prop)
                elif "'integer'" in text:
                    assert "'maximum'" in text and "'minimum'" in text, (schema.__name__, name, prop)


@pytest.mark.parametrize("params", [{"hub": str(HUGE)}, {"organization": str(HUGE)}, {"offset": str(HUGE)}])
def test_huge_numbers_in_filters_are_client_errors(client, params):
    entity = "tie" if "organization" in params else "organization"
    r = client.get(f"/api/v1/{plural(entity)}", params=params)
    assert 400 <= r.status_code < 500 and r.headers["content-type"] == PROBLEM, r.text


@pytest.mark.parametrize(("change", "field"), [
    ({"runs": 1_000_000}, "runs"), ({"years": 1000}, "years"), ({"seed": -1}, "seed"), ({"seed": HUGE}, "seed"),
    ({"scenarios": ["fast-track"] * 50}, "scenarios"), ({"runs": 20_000, "years": 100}, "body"),
])
def test_simulations_beyond_what_the_server_can_run_are_refused(client, change, field):
    spec = {"hub": "Medical Innovation Institute", "scenarios": ["fast-track"], "runs": 40, "years": 5, **change}
    jobs = _jobs(client)
    body = _problem(client.post("/api/v1/simulations", json=spec), 422)
    assert body["errors"][0]["field"] == field, body
    assert _jobs(client) == jobs  # nothing was started


@pytest.mark.parametrize(("path", "params"), [("/api/v1/analysis/metrics", {"top": 10**9}),
                                             ("/api/v1/recommendations", {"top": HUGE}),
                                             ("/api/v1/analysis/metrics/jobs", {"top": HUGE})])
def test_analysis_sizes_are_bounded(client, path, params):
    jobs = _jobs(client)
    r = client.post(path, params=params) if path.endswith("/jobs") else client.get(path, params=params)
    assert _problem(r, 422)["errors"][0]["field"] == "top"
    assert _jobs(client) == jobs


@pytest.mark.parametrize(("form", "field"), [({"tables": str(HUGE)}, "tables"), ({"tables": "100000"}, "tables"),
                                             ({"time_limit": "1e9"}, "time_limit")])
def test_event_sizes_are_bounded(client, tmp_path, form, field):
    path = tmp_path / "event.xlsx"
    _workbook(path, [("Ana Ruiz", "Marek Nowak", "must meet")])
    jobs = _jobs(client)
    r = client.post("/api/v1/events", files={"file": ("event.xlsx", path.read_bytes())}, data=form)
    assert _problem(r, 422)["errors"][0]["field"] == field
    assert _jobs(client) == jobs


# -- 2. JSON nested too deeply ------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", ["[" * 10_000 + "]" * 10_000, '{"a":' * 10_000 + "1" + "}" * 10_000,
                                  '{"name": "Deep", "type": "startup", "tags": ' + "[" * 900 + "]" * 900 + "}",
                                  '{"name": "Deep", "type": "startup", "external_ids": ' + '{"a":' * 5000 + '"x"'
                                  + "}" * 5001])
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_deeply_nested_json_is_a_bad_request(client, demo, body, method):
    before = snapshot(demo)
    path = "/api/v1/organizations" + ("/1" if method == "PATCH" else "")
    r = client.request(method, path, content=body, headers={"content-type": "application/json"})
    problem = _problem(r, 400)
    assert problem["title"] == "The request body nests too deeply" and "levels" in problem["detail"]
    assert snapshot(demo) == before


def test_json_nested_as_deep_as_a_record_goes_is_still_read(client):
    r = client.post("/api/v1/partnerships", json={"name": "Bridge", "organization_ids": [1, 2],
                                                  "weights": {"cultural_fit": 2}})
    assert r.status_code == 201, r.text


def test_a_recursion_error_anywhere_is_a_problem_not_a_traceback(demo):
    app = create_app(atlas=demo)

    @app.get("/api/v1/recursing")
    def recursing():
        def down(n):
            return down(n + 1)
        return down(0)

    with TestClient(app, raise_server_exceptions=False) as c:
        problem = _problem(c.get("/api/v1/recursing"), 400)
    assert problem["title"] == "The request nests too deeply to be served"


def test_a_deeply_nested_bundle_is_rejected_naming_the_file(client, demo):
    before = snapshot(demo)
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    problem = _problem(client.post("/api/v1/imports/bundle", files=[("files", ("atlas.json", deep))]), 422)
    assert problem["errors"][0]["file"] == "atlas.json" and "nest" in problem["errors"][0]["reason"]
    assert snapshot(demo) == before


# -- 3. messy CORDIS files ------------------------------------------------------------------------------------------
ORG_HEADER = (CORDIS_H2020 / "organization.csv").read_text(encoding="utf-8").splitlines()[0]
PROJECT_HEADER = (CORDIS_H2020 / "project.csv").read_text(encoding="utf-8").splitlines()[0]
PROJECT = '"225745";"SC1";"2020-01-01";"2022-12-31";"4872250";"4872250"'
ORG = '"225745";"991228063";"TIME.LEX";"time.lex";"PRC";"JOSEPH STEVENSSTRAAT 7";"BRUSSEL";"BE";"participant";"205000"'


def _cordis(folder: Path, organizations: list[str], projects: list[str]) -> tuple[Path, Path]:
    folder.mkdir(exist_ok=True)
    orgs, projs = folder / "organization.csv", folder / "project.csv"
    orgs.write_text("\n".join(organizations) + "\n", encoding="utf-8")
    projs.write_text("\n".join(projects) + "\n", encoding="utf-8")
    return orgs, projs


def _rejected(orgs: Path, projects: Path):
    """The problems of reading a CORDIS pair (raised or collected in the batch)."""
    try:
        batch = read_cordis(orgs, projects)
    except InputRejected as exc:
        return exc.problems
    assert batch.problems, "the messy file was read without a problem"
    return batch.problems


def test_the_real_headers_are_what_the_messy_files_use():
    assert ORG_HEADER.startswith('"projectID";"organisationID";"name"') and '"country"' in ORG_HEADER
    assert PROJECT_HEADER.startswith('"id";"programme";"startDate";"endDate"')


@pytest.mark.parametrize(("row", "column"), [
    ('"225745";"991228063";"TIME.LEX";"time.lex";"PRC"', "street"),  # the row ends after activityType
    ('"225745";"991228063"', "name"),
    ('"225745"', "organisationID"),
])
def test_a_short_organisation_row_names_file_row_and_column(tmp_path, row, column):
    orgs, projects = _cordis(tmp_path, [ORG_HEADER, ORG, row], [PROJECT_HEADER, PROJECT])
    [problem] = _rejected(orgs, projects)
    assert (Path(problem.file).name, problem.row, problem.column) == ("organization.csv", 3, column)
    assert "cells" in problem.reason and "header" in problem.reason


@pytest.mark.parametrize(("row", "column"), [('"225745";"SC1";"2020-01-01"', "endDate"), ('"225745"', "programme")])
def test_a_short_project_row_names_file_row_and_column(tmp_path, row, column):
    orgs, projects = _cordis(tmp_path, [ORG_HEADER, ORG], [PROJECT_HEADER, row])
    [problem] = _rejected(orgs, projects)
    assert (Path(problem.file).name, problem.row, problem.column) == ("project.csv", 2, column)


@pytest.mark.parametrize(("organizations", "projects", "where"), [
    ([ORG_HEADER, ORG], [""], ("project.csv", 1)),                                   # empty file
    ([ORG_HEADER, ORG], ['"id";"programme"', '"1";"SC1"'], ("project.csv", 1)),     # columns missing
    ([ORG_HEADER, ORG], [PROJECT_HEADER, '"225745";"SC1";"2020-01-01";"31/12/2022";"1";"1"'], ("project.csv", 2)),
    ([ORG_HEADER, ORG.replace('"205000"', '"lots"')], [PROJECT_HEADER, PROJECT], ("organization.csv", 2)),
    ([ORG_HEADER, ORG.replace('"PRC"', '"BANK"')], [PROJECT_HEADER, PROJECT], ("organization.csv", 2)),
    ([ORG_HEADER, ORG + ';"extra"'], [PROJECT_HEADER, PROJECT], ("organization.csv", 2)),
    ([ORG_HEADER, ORG.replace('"TIME.LEX"', '"TIME\x00LEX"')], [PROJECT_HEADER, PROJECT], ("organization.csv", 2)),
    ([ORG_HEADER, ORG.replace('"TIME.LEX"', '"TIME.LEX')], [PROJECT_HEADER, PROJECT], ("organization.csv", 2)),
])
def test_other_malformed_cordis_files_name_file_and_row(tmp_path, organizations, projects, where):
    orgs, projs = _cordis(tmp_path, organizations, projects)
    problems = _rejected(orgs, projs)
    assert (Path(problems[0].file).name, problems[0].row) == where, problems
    assert problems[0].reason


def test_binary_cordis_files_are_rejected(tmp_path):
    orgs, projects = _cordis(tmp_path, [ORG_HEADER, ORG], [PROJECT_HEADER, PROJECT])
    projects.write_bytes(random.Random(1).randbytes(4000))
    [problem] = _rejected(orgs, projects)
    assert Path(problem.file).name == "project.csv" and problem.row


def test_a_short_cordis_row_uploaded_is_a_problem_and_nothing_is_written(client, demo):
    before = snapshot(demo)
    files = [("files", ("organization.csv", f"{ORG_HEADER}\n{ORG}\n\"225745\";\"991228063\"\n".encode())),
             ("files", ("project.csv", f"{PROJECT_HEADER}\n{PROJECT}\n".encode()))]
    body = _problem(client.post("/api/v1/imports/cordis", files=files), 422)
    assert body["title"] == "The input was rejected; nothing was written"
    assert (body["errors"][0]["file"], body["errors"][0]["row"], body["errors"][0]["column"]) == \
        ("organization.csv", 3, "name")
    assert "/tmp" not in body["detail"] and snapshot(demo) == before


def test_a_short_cordis_row_on_the_command_line_is_one_line_naming_the_cell(tmp_path, capsys, monkeypatch):
    from ecotone.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ECOTONE_DATABASE_URL", raising=False)
    folder = tmp_path / "cordis"
    _cordis(folder, [ORG_HEADER, ORG, '"225745";"991228063"'], [PROJECT_HEADER, PROJECT])
    assert main(["import", "cordis", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "KeyError" not in out + err
    text = "".join((out + err).split())  # the console folds long lines, even inside words
    assert "organization.csv,row3,columnname" in text and "cellsbuttheheaderhas10" in text


# -- 4. corrupt workbooks ---------------------------------------------------------------------------------------------
def _good_workbook() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Elements"
    sheet.append(["Label", "Type"])
    sheet.append(["Kardio Labs", "startup"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rezip(data: bytes, replace: dict[str, bytes | None]) -> bytes:
    """The zip ``data`` with some members replaced (None drops one)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in source.namelist():
            if name in replace:
                if replace[name] is not None:
                    z.writestr(name, replace[name])
            else:
                z.writestr(name, source.read(name))
    return out.getvalue()


def _not_a_workbook_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return out.getvalue()


CORRUPT = {
    "random bytes": lambda: random.Random(0).randbytes(3000),
    "a zip that is not a workbook": _not_a_workbook_zip,
    "a truncated workbook": lambda: _good_workbook()[:1500],
    "a workbook without its workbook part": lambda: _rezip(_good_workbook(), {"xl/workbook.xml": None}),
    "a workbook with broken XML": lambda: _rezip(_good_workbook(), {"xl/workbook.xml": b"<workbook><sheets"}),
    "a sheet with broken XML": lambda: _rezip(_good_workbook(), {"xl/worksheets/sheet1.xml": b"<worksheet><<"}),
    "an old .xls file named .xlsx": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
    "an empty file": lambda: b"",
}


def _assert_names_the_upload(body, name):
    assert body["title"] == "The input was rejected; nothing was written", body
    assert body["errors"][0]["file"] == name and "/tmp" not in str(body), body
    assert body["detail"].startswith(name) and "workbook" in body["errors"][0]["reason"], body


@pytest.mark.parametrize("kind", list(CORRUPT))
def test_a_corrupt_kumu_workbook_is_a_problem_naming_the_file(client, demo, kind):
    before = snapshot(demo)
    r = client.post("/api/v1/imports/kumu", files=[("files", ("ecosystem.xlsx", CORRUPT[kind]()))])
    _assert_names_the_upload(_problem(r, 422), "ecosystem.xlsx")
    assert snapshot(demo) == before


@pytest.mark.parametrize("kind", list(CORRUPT))
def test_corrupt_ratings_are_a_problem_naming_the_file(client, demo, kind):
    before = snapshot(demo)
    r = client.post("/api/v1/partnerships/1/ratings", files={"file": ("ratings.xlsx", CORRUPT[kind]())})
    _assert_names_the_upload(_problem(r, 422), "ratings.xlsx")
    assert snapshot(demo) == before


@pytest.mark.parametrize("kind", list(CORRUPT))
def test_a_corrupt_event_workbook_is_refused_before_any_job(client, kind):
    jobs = _jobs(client)
    r = client.post("/api/v1/events", files={"file": ("event.xlsx", CORRUPT[kind]())})
    _assert_names_the_upload(_problem(r, 422), "event.xlsx")
    assert _jobs(client) == jobs


def test_a_workbook_that_unpacks_to_gigabytes_is_refused(tmp_path, monkeypatch):
    from ecotone.io import _tabular
    from ecotone.io._tabular import read_xlsx

    monkeypatch.setattr(_tabular, "MAX_UNPACKED", 10 << 20)  # as if 10 MB were a gigabyte: the test stays quick
    path = tmp_path / "bomb.xlsx"
    huge = b"<row>" + b" " * (1 << 20) + b"</row>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", "<Relationships/>")
        for i in range(11):
            z.writestr(f"xl/worksheets/sheet{i}.xml", huge)
    with pytest.raises(InputRejected) as caught:
        read_xlsx(path)
    assert "unpacks" in caught.value.problems[0].reason


def test_a_sheet_spanning_a_billion_cells_is_refused_quickly(tmp_path):
    import openpyxl

    from ecotone.io._tabular import read_xlsx

    path = tmp_path / "far.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Elements"
    book.active["A1"] = "Label"
    book.active["XFD1048576"] = "far away"
    book.save(path)
    started = time.perf_counter()
    with pytest.raises(InputRejected) as caught:
        read_xlsx(path)
    problem = caught.value.problems[0]
    assert problem.sheet == "Elements" and "XFD1048576" in problem.reason
    assert time.perf_counter() - started < 10


# -- 5. file names ---------------------------------------------------------------------------------------------------
ODD_NAMES = [".", "..", "../x.csv", "../../elements.csv", "a/b.csv", "a\\..\\b.csv", "a\x00b.csv", "\x00",
             "/etc/passwd", "x" * 400 + ".csv", "con.csv", " ", "...", "élements\u202e.csv"]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_upload_names_are_never_a_server_error(client, demo, name, tmp_path):
    before = snapshot(demo)
    content = b"Label,Type\nKardio Labs,startup\n"
    for url, field in (("/api/v1/imports/kumu", "files"), ("/api/v1/partnerships/1/ratings", "file")):
        r = client.post(url, files=[(field, (name, content))], data={"dry_run": "true"})
        assert r.status_code in (200, 422), (url, r.text)
        assert "/tmp" not in r.text and "ecotone-upload" not in r.text
    r = client.post("/api/v1/events", files=[("file", (name, content))])
    assert r.status_code in (202, 422), r.text
    assert snapshot(demo) == before


def test_saved_files_stay_in_their_folder_under_safe_distinct_names(tmp_path):
    from starlette.datastructures import UploadFile

    from ecotone.api.files import saved

    folder = tmp_path / "upload"
    folder.mkdir()
    files = [UploadFile(io.BytesIO(name.encode("utf-8", "replace")), filename=name) for name in ODD_NAMES]
    files += [UploadFile(io.BytesIO(b"second"), filename="x.csv"), UploadFile(io.BytesIO(b"none"), filename=None)]
    paths = saved(files, folder)
    assert len(paths) == len(files) == len(set(paths))
    for path in paths:
        assert path.parent == folder and path.is_file(), path
        assert path.name not in ("", ".", "..") and "\x00" not in path.name and len(path.name.encode()) <= 255
    assert sorted(p.name for p in tmp_path.iterdir()) == ["upload"]  # nothing was written beside the folder
    assert paths[2].name == "x.csv" and paths[-2].read_bytes() == b"second" and paths[-2].suffix == ".csv"


def test_a_file_named_with_a_path_is_imported_under_its_own_name(client, demo):
    content = b"Label,Type\nKardio Labs,startup\nSant Pau,bank\n"
    r = client.post("/api/v1/imports/kumu", files=[("files", ("../../elements.csv", content))])
    body = _problem(r, 422)
    assert body["errors"][0]["file"] == "../../elements.csv" and body["errors"][0]["row"] == 3


def test_problem_messages_do_not_show_the_servers_folders(client):
    r = client.post("/api/v1/imports/cordis", files=[("files", ("organization.csv", ORG_HEADER.encode()))])
    body = _problem(r, 422)
    assert "/tmp" not in r.text and "ecotone-upload" not in r.text, body


# -- 6. workbooks are parsed with defusedxml ---------------------------------------------------------------------------
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10))
          + "]>")


def _bomb(part: str) -> bytes:
    good = _good_workbook()
    xml = zipfile.ZipFile(io.BytesIO(good)).read(part).decode()
    body = xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
    body = body.replace("Kardio Labs", "&lol9;").replace('name="Elements"', 'name="&lol9;"')
    return _rezip(good, {part: (LAUGHS + body).encode()})


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_a_billion_laughs_read_from_the_command_line_is_refused(tmp_path, part):
    from ecotone.io.kumu import read_kumu

    path = tmp_path / "laughs.xlsx"
    path.write_bytes(_bomb(part))
    started = time.perf_counter()
    with pytest.raises(InputRejected) as caught:
        read_kumu([path])
    assert time.perf_counter() - started < 5
    [problem] = caught.value.problems
    assert problem.file == str(path) and "entity declarations" in problem.reason


def test_openpyxl_parses_workbooks_with_defusedxml():
    import openpyxl.xml
    import openpyxl.xml.functions

    assert openpyxl.xml.DEFUSEDXML is True
    assert openpyxl.xml.functions.iterparse.__module__.startswith("defusedxml")


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_a_billion_laughs_in_an_upload_is_refused_not_expanded(client, demo, part):
    before = snapshot(demo)
    started = time.perf_counter()
    r = client.post("/api/v1/imports/kumu", files=[("files", ("laughs.xlsx", _bomb(part)))])
    body = _problem(r, 422)
    assert time.perf_counter() - started < 5
    assert body["errors"][0]["file"] == "laughs.xlsx" and "entit" in body["errors"][0]["reason"], body
    assert "lollol" not in r.text and snapshot(demo) == before


# -- 7. references to records that do not exist ---------------------------------------------------------------------
def _queries(atlas):
    """A list that fills with the SQL statements the atlas runs."""
    import sqlalchemy as sa

    seen = []
    sa.event.listen(atlas.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_missing_references_names_field_and_id(demo):
    from ecotone.store._references import missing_references

    hub = demo.hub_id("Barcelona Health Hub")
    org = demo.organization_id("Medlumics")
    assert missing_references(demo, "organization", {"name": "K", "type": "startup", "hub_id": hub}) == []
    assert missing_references(demo, "organization", {"hub_id": 999_999}) == \
        ["hub_id 999999: no hub has that id"]
    assert missing_references(demo, "hub", {"owner_kind": "organization", "owner_id": 999_999}) == \
        ["owner_id 999999: no organization has that id"]
    assert missing_references(demo, "hub", {"owner_kind": "hub", "owner_id": hub}) == []
    assert missing_references(demo, "deal", {"recipient_id": org, "investor_ids": [org, 999_998, 999_999]}) \
        == ["investor_ids 999998: no organization has that id", "investor_ids 999999: no organization has that id"]
    assert missing_references(demo, "partnership", {"organization_ids": [org, 999_999]}) == \
        ["organization_ids 999999: no organization has that id"]
    assert missing_references(demo, "tie", {"source_id": org, "target_id": -3, "kind": "partnership"}) == \
        ["target_id -3: no organization has that id"]


def test_missing_references_asks_one_query_per_referenced_table(demo):
    from ecotone.store._references import missing_references

    org = demo.organization_id("Medlumics")
    seen = _queries(demo)
    reasons = missing_references(demo, "deal", {"recipient_id": 999_997, "hub_id": 1, "owner_kind": "hub",
                                                     "owner_id": 999_996, "investor_ids": [org, 999_999]})
    assert reasons == ["owner_id 999996: no hub has that id",
                       "recipient_id 999997: no organization has that id",
                       "investor_ids 999999: no organization has that id"]
    assert len(seen) == 2, seen  # organizations once, hubs once
    seen.clear()
    assert missing_references(demo, "hub", {"name": "No references"}) == [] and seen == []


@pytest.mark.parametrize("value", [HUGE, -HUGE, BEYOND, 0, True, "7", 1.5])
def test_missing_references_refuses_what_cannot_be_an_id_without_asking(demo, value):
    from ecotone.store._references import missing_references

    seen = _queries(demo)
    [reason] = missing_references(demo, "deal", {"recipient_id": 1, "investor_ids": [1, value]})
    assert reason.startswith(f"investor_ids {value!r}" if not isinstance(value, int) or isinstance(value, bool)
                             else f"investor_ids {value}")
    assert len(seen) <= 1


def test_missing_references_sees_the_rows_of_its_own_transaction(atlas):
    from ecotone.domain import Hub
    from ecotone.store._references import missing_references

    with atlas.transaction(dry_run=True):
        hub = atlas.add(Hub(name="Written, not committed"))
        assert missing_references(atlas, "organization", {"hub_id": hub.id}) == []
    assert missing_references(atlas, "organization", {"hub_id": hub.id}) == \
        [f"hub_id {hub.id}: no hub has that id"]


def test_missing_references_knows_every_kind(demo):
    from ecotone.domain import REFERENCES
    from ecotone.store._references import missing_references

    for entity, refs in REFERENCES.items():
        row = {field: ([999_999] if field.endswith("_ids") else 999_999) for field in refs}
        reasons = missing_references(demo, entity, row)
        assert [r.split()[0] for r in reasons] == list(refs), (entity, reasons)


# -- records that were written before their references were checked never break an export -----------------------
def test_exports_survive_dangling_references_and_control_characters(client, demo, tmp_path):
    import networkx as nx

    from ecotone.domain import Deal, Hub, Organization, Partnership

    import sqlalchemy as sa

    from ecotone.store.atlas import record_to_row
    from ecotone.store.tables import TABLES

    org = demo.organization_id("Medlumics")
    # Written straight into the tables, as an older Ecotone (or another tool) could have, checking nothing.
    for record in (Hub(name="Owned by nobody", owner_kind="organization", owner_id=999_999),
                   Deal(recipient_id=org, investor_ids=[org, 999_999]),
                   Partnership(name="Half a bridge", organization_ids=[org, 999_999]),
                   Organization(name="Bell\x07 and form\x0cfeed", type="startup", description="\x1b[31m",
                                tags=["tab\x0bbed"])):
        demo.execute(sa.insert(TABLES[record.entity]).values(**record_to_row(record)))
    for fmt in ("bundle", "kumu", "gexf", "graphml", "pajek"):
        r = client.get(f"/api/v1/exports/{fmt}")
        assert r.status_code == 200, (fmt, r.text[:300])
        (tmp_path / f"atlas.{'xlsx' if fmt == 'kumu' else fmt}").write_bytes(r.content)
    assert len(graphology_read(tmp_path / "atlas.gexf")["nodes"]) > 100  # networkx refuses mixed directions
    assert nx.read_graphml(tmp_path / "atlas.graphml").number_of_nodes() > 100
    import openpyxl

    assert openpyxl.load_workbook(tmp_path / "atlas.xlsx").sheetnames == ["Elements", "Connections", "Hubs"]


@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "esc\x1b[31m"])
def test_control_characters_in_api_text_are_refused(client, demo, text):
    before = snapshot(demo)
    body = _problem(client.post("/api/v1/organizations", json={"name": "Kardio", "type": "startup",
                                                               "description": text}), 422)
    assert body["errors"][0]["field"] == "description" and "control character" in body["errors"][0]["reason"]
    body = _problem(client.patch("/api/v1/organizations/1", json={"tags": ["ok", text]}), 422)
    assert body["errors"][0]["field"].startswith("tags") and "control character" in body["errors"][0]["reason"]
    assert snapshot(demo) == before
    assert client.post("/api/v1/organizations", params={"allow_duplicate": "true"},  # one per parameter
                       json={"name": "Kardio", "type": "startup", "description": "two\nlines\tand a tab"}).status_code == 201


# -- 8. schemathesis over the whole API ---------------------------------------------------------------------------
def _accounts():
    return importlib.util.find_spec("ecotone.services.accounts") is not None


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory):
    """The app over a demo atlas of its own (the fuzzing writes to it)."""
    from ecotone.services.demo import build_demo
    from ecotone.store import Atlas

    path = tmp_path_factory.mktemp("fuzz") / "demo.db"
    with Atlas.open(str(path)) as atlas:
        build_demo(atlas)
    app = create_app(str(path))
    yield app
    app.state.jobs.close(wait=True)
    app.state.atlas.close()


def _headers(who, app):
    """The headers of a request by ``who``: nobody, or an account of that role with an API token."""
    if who == "anonymous":
        return {}
    if not _accounts():
        pytest.skip(f"ecotone.services.accounts is not there yet: the API has no accounts to fuzz as {who}")
    from ecotone.services import accounts

    atlas, email = app.state.atlas, f"{who}@example.org"
    accounts.add_user(atlas, email, name=f"Fuzzing {who}", role=who, password="a long enough passphrase",
                      hubs=["Barcelona Health Hub"])
    return {"Authorization": f"Bearer {accounts.create_token(atlas, email, label='schemathesis')}"}


FUZZ_EXAMPLES = 12
#: The operations made once per kind of record (records, forms) run the same handlers for each kind: fuzzed for a
#: few kinds that between them hold every sort of field (enums, dates, lists of ids, JSON, personal data).
FUZZED_KINDS = {"organizations", "people", "ties", "deals", "partnerships", "kpi-actuals"}
_PER_KIND = re.compile(r"^/api/v1/(?:forms/)?([a-z-]+)(?:/|$)")


def _fuzzed(path: str) -> bool:
    """Whether an operation's path is fuzzed (every one but the per-kind copies of the kinds not in FUZZED_KINDS).

    >>> _fuzzed("/api/v1/hubs/{record_id}/provenance"), _fuzzed("/api/v1/organizations/bulk"), _fuzzed("/api/v1/map")
    (False, True, True)
    """
    found = _PER_KIND.match(path)
    kinds = {plural(e) for e in SCHEMAS}
    return not (found and found.group(1) in kinds - FUZZED_KINDS and not path.startswith("/api/v1/hubs/{hub_id}"))


@pytest.mark.slow
@pytest.mark.parametrize("who", ["anonymous", pytest.param("viewer", id="as a viewer"),
                                 pytest.param("admin", id="as an admin")])
def test_schemathesis_finds_no_server_error_and_no_undocumented_response(fuzzed_app, who):
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    headers = _headers(who, fuzzed_app)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", fuzzed_app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not _fuzzed(operation.path):
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=FUZZ_EXAMPLES, derandomize=True, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck), phases=(Phase.explicit, Phase.generate))
            @given(case=operation.as_strategy(generation_mode=mode, headers=headers or None))
            def fuzz(case):
                case.call_and_validate(checks=checks)

            try:
                fuzz()
            except Unsatisfiable:
                continue  # nothing invalid can be said to this operation (no parameters, or no constraints)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected, reported all at once
                failures.append(f"{operation.label} ({mode.value}): {' '.join(str(exc).split())[:600]}")
    assert not failures, "\n".join(failures)


def test_problems_in_work_outliving_the_request_name_the_upload(tmp_path):
    from starlette.datastructures import UploadFile

    from ecotone.api.files import named_as_uploaded, saved
    from ecotone.io.event import read_event

    folder = tmp_path / "job"
    folder.mkdir()
    upload = UploadFile(io.BytesIO(_good_workbook()), filename="../our event.xlsx")
    [path] = saved([upload], folder)
    with pytest.raises(InputRejected) as caught, named_as_uploaded([upload], [path], folder):
        read_event(path)  # the workbook has no Slots and no Requests
    [problem] = caught.value.problems
    assert problem.file == "../our event.xlsx" and str(tmp_path) not in str(problem)


def test_missing_references_of_an_update_checks_only_what_it_adds(demo):
    from ecotone.store._references import missing_references

    org = demo.organization_id("Medlumics")
    stored = {"recipient_id": org, "investor_ids": [org, 999_999], "owner_kind": "hub", "owner_id": 999_998}
    seen = _queries(demo)
    assert missing_references(demo, "deal", {**stored, "description": "changed"}, before=stored) == [] and not seen
    assert missing_references(demo, "deal", {**stored, "investor_ids": [org, 999_999, 999_997]}, before=stored) \
        == ["investor_ids 999997: no organization has that id"]
    assert missing_references(demo, "deal", {**stored, "owner_kind": "organization"}, before=stored) == \
        ["owner_id 999998: no organization has that id"]

"""The pages speak web: a Kumu file's unknown types mapped from the import page, scenario and event pages without the
command line's options or the server's paths, and every agenda of an event in one zip. Through the API in process
(on both backends) and in Debian's chromium against a live server on the demo."""

import csv
import io
import json
import re
import zipfile

import icalendar
import pytest
from fastapi.testclient import TestClient

from conftest import bearer
from ecotone.api import create_app
from ecotone.domain import Hub, Organization, Tie
from test_api import _job
from test_match import _workbook
from test_web import FACILITATOR, MANAGER, browser, page, server, sign_in  # noqa: F401  (chromium, live demo)

ELEMENTS = ("Label,Type,Country\nSant Pau,Hospital Group,ES\nKardio Labs,startup,PL\n"
            "Vall d'Hebron,hospital group,ES\nBiolab Sabadell,Reserch centre,ES\n")
CONNECTIONS = "From,To,Type\nSant Pau,Kardio Labs,Clinical trial\nBiolab Sabadell,Kardio Labs,co-development\n"
MAPPING = {"types": {"Hospital Group": "hospital", "Reserch centre": "Research center"},
           "kinds": {"Clinical trial": "clinical_pilot"}}
#: What a browser user cannot act on: the command line's options and commands, and where the server keeps files.
COMMAND_LINE = re.compile(r"--[a-z][a-z-]+|\becotone [a-z]+|/tmp/|ecotone-(event|upload|sim)-")


@pytest.fixture
def client(demo_atlas):
    """An admin's API client on the demo."""
    with TestClient(create_app(atlas=demo_atlas), headers=bearer(demo_atlas)) as c:
        yield c


def _kumu_files(elements=ELEMENTS, connections=CONNECTIONS):
    return [("files", ("elements.csv", elements.encode())), ("files", ("connections.csv", connections.encode()))]


def _import(client, mapping=None, dry_run=True, files=None):
    data = {"dry_run": "true" if dry_run else "false"}
    if mapping is not None:
        data["mapping"] = mapping if isinstance(mapping, str) else json.dumps(mapping)
    return client.post("/api/v1/imports/kumu", files=files or _kumu_files(), data=data)


def test_unknown_kumu_types_are_answered_with_what_to_map_them_to(client, demo_atlas):
    before = demo_atlas.counts()
    answer = _import(client)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert not COMMAND_LINE.search(answer.text), COMMAND_LINE.search(answer.text)
    located = {(e["file"], e["row"], e["column"], e.get("value")) for e in body["errors"]}
    assert located == {("elements.csv", 2, "Type", "Hospital Group"), ("elements.csv", 4, "Type", "hospital group"),
                       ("elements.csv", 5, "Type", "Reserch centre"),
                       ("connections.csv", 2, "Type", "Clinical trial")}
    assert all("is not a" in e["reason"] and e["hint"].startswith("map it to one of") for e in body["errors"])
    types, kinds = body["unknown"]["types"], body["unknown"]["kinds"]
    assert types["values"] == [{"value": "Hospital Group", "rows": 2, "suggestion": "hospital"},
                               {"value": "Reserch centre", "rows": 1, "suggestion": "research_center"}]
    assert [v["value"] for v in kinds["values"]] == ["Clinical trial"]
    assert {"value": "research_center", "label": "Research center"} in types["choices"]
    assert {"value": "clinical_validation", "label": "Clinical validation"} in kinds["choices"]
    assert len(types["choices"]) == 17 and len(kinds["choices"]) == 12
    assert demo_atlas.counts() == before


def test_a_mapping_is_previewed_then_imported_all_or_nothing(client, demo_atlas):
    before = demo_atlas.counts()
    partial = _import(client, {"types": MAPPING["types"]})  # the kinds still unknown: nothing is read
    assert partial.status_code == 422 and set(partial.json()["unknown"]) == {"kinds"}
    assert demo_atlas.counts() == before
    preview = _import(client, {**MAPPING, "types": {**MAPPING["types"], "Spin-off": "startup"}})
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["dry_run"] and shown["mapping"]["types"] == {"Hospital Group": "hospital",
                                                              "Reserch centre": "research_center",
                                                              "Spin-off": "startup"}
    assert {r["record"]: r["created"] for r in shown["rows"]} == {"organization": 4, "tie": 2}
    assert any("'Spin-off'" in w and "no element has" in w for w in shown["warnings"])  # a misspelt name says so
    assert demo_atlas.counts() == before
    done = _import(client, MAPPING, dry_run=False)
    assert done.status_code == 200 and done.json()["change_set"]
    assert demo_atlas.find(Organization, search="Sant Pau").items[0].type.value == "hospital"
    assert demo_atlas.find(Organization, search="Biolab Sabadell").items[0].type.value == "research_center"
    assert "clinical_pilot" in {t.kind.value for t in demo_atlas.records(Tie)}
    again = _import(client, MAPPING, dry_run=False).json()  # the same files and mapping change nothing
    assert all(r["created"] == r["updated"] == 0 for r in again["rows"])


@pytest.mark.parametrize("mapping, field", [
    ({"types": {"Hospital Group": "bank"}}, "mapping.types.Hospital Group"),
    ({"kinds": ["partnership"]}, "mapping.kinds"),
    ({"colours": {}}, "mapping"),
    ("{types: hospital}", "mapping")])
def test_a_wrong_mapping_is_said_next_to_its_field(client, demo_atlas, mapping, field):
    before = demo_atlas.counts()
    answer = _import(client, mapping)
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["field"] == field and error["reason"] and not COMMAND_LINE.search(answer.text)
    assert demo_atlas.counts() == before


def test_a_mapping_is_for_kumu_files_only(client):
    answer = client.post("/api/v1/imports/bundle", files=[("files", ("a.json", b"{}"))],
                         data={"mapping": json.dumps(MAPPING)})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "mapping"


def _schedule(client, tmp_path, headers=None):
    path = tmp_path / "event.xlsx"
    _workbook(path, [("Ana Ruiz", "Marek Nowak", "must meet"), ("Lea Vogel", "Ana Ruiz", "meet")],
              tables_extra=[("Jan Kowalski", "Kardio, sp. z o.o.", "S1|S2")])
    with path.open("rb") as f:
        submitted = client.post("/api/v1/events", files={"file": ("event.xlsx", f)},
                                data={"tables": "2", "method": "cp-sat"}, headers=headers or {})
    return submitted.json()["id"], _job(client, submitted)


def test_every_agenda_comes_in_one_zip_that_calendars_read(client, demo_atlas, tmp_path):
    job_id, result = _schedule(client, tmp_path)
    assert not COMMAND_LINE.search(json.dumps(result)), "the result names the server's folders"
    answer = client.get(f"/api/v1/jobs/{job_id}/agendas.zip")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    assert 'filename="Brokerage-event-agendas.zip"' in answer.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.testzip() is None
    names = set(archive.namelist())
    people = ["Ana_Ruiz", "Marek_Nowak", "Lea_Vogel", "Jan_Kowalski"]
    assert {"agenda.csv", "agenda.xlsx", "unscheduled.csv", "event.ics"} <= names
    assert {f"agendas/{p}.{x}" for p in people for x in ("ics", "csv")} <= names
    assert {"organisations/Hospital_Clínic.ics", "organisations/Kardio_sp._z_o.o.ics",
            "organisations/BfArM.ics"} <= names
    assert names == set(result["files"])  # the zip holds what the page lists, nothing else
    calendars = {n: icalendar.Calendar.from_ical(archive.read(n)) for n in names if n.endswith(".ics")}
    meetings = lambda n: [str(e["SUMMARY"]) for e in calendars[n].walk("VEVENT")]  # noqa: E731
    assert len(meetings("event.ics")) == result["summary"]["scheduled"] == 2
    assert "Ana Ruiz (Hospital Clínic) meets Marek Nowak (Kardio, sp. z o.o.)" in meetings("event.ics")
    assert meetings("agendas/Marek_Nowak.ics") == ["Meeting with Ana Ruiz (Hospital Clínic)"]
    assert meetings("agendas/Jan_Kowalski.ics") == []
    # the organisation's calendar holds its people's meetings: Marek's, for Kardio
    assert len(meetings("organisations/Kardio_sp._z_o.o.ics")) == 1
    assert len(meetings("organisations/Hospital_Clínic.ics")) == 2  # Ana meets Marek and Lea
    rows = list(csv.DictReader(io.StringIO(archive.read("agenda.csv").decode("utf-8-sig"))))
    assert {r["participant"] for r in rows} == {"Ana Ruiz", "Marek Nowak", "Lea Vogel"}
    assert archive.read("agenda.csv") == client.get(f"/api/v1/jobs/{job_id}/files/agenda.csv").content
    other = bearer(demo_atlas, "other@example.org", role="editor")
    assert client.get(f"/api/v1/jobs/{job_id}/agendas.zip", headers=other).status_code == 404
    assert client.get("/api/v1/jobs/nothing/agendas.zip").status_code == 404


def test_an_event_is_refused_in_the_form_s_words(client):
    answer = client.post("/api/v1/events", files={"file": ("event.csv", b"Name,Organisation\n")})
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["file"] == "event.csv" and ".xlsx" in error["hint"] and "folder" not in answer.text
    wrong = client.post("/api/v1/events", files={"file": ("event.xlsx", b"x")}, data={"method": "simplex"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "method"
    assert not COMMAND_LINE.search(answer.text + wrong.text)


# -- in the browser -------------------------------------------------------------------------------------------------
def _no_command_line(page, where):
    """Neither the page's text nor its form's words (labels, placeholders, titles) name an option, a command or a
    folder of the server."""
    said = page.evaluate("""() => [document.body.innerText, ...[...document.querySelectorAll(
        "[placeholder], [title], [aria-label], option")].map((el) => [el.placeholder, el.title,
        el.getAttribute("aria-label"), el.textContent].filter(Boolean).join(" "))].join("\\n")""")
    found = COMMAND_LINE.search(said)
    assert not found, f"{where} says {found.group()!r}: {said[max(0, found.start() - 80):found.end() + 80]!r}"


@pytest.mark.browser
def test_the_import_page_maps_unknown_kumu_types_then_imports(server, page, tmp_path):
    url, atlas = server
    for name, text in (("elements.csv", ELEMENTS), ("connections.csv", CONNECTIONS)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    sign_in(page, url, MANAGER, "/import")
    page.set_input_files("#files", [str(tmp_path / "elements.csv"), str(tmp_path / "connections.csv")])
    page.click("#preview")
    page.wait_for_selector("#mapping:not([hidden]) select")
    problems = page.locator("#problems").inner_text()  # still each problem by file, row and column
    assert "elements.csv" in problems and "connections.csv" in problems and "Hospital Group" in problems
    assert "Words Ecotone does not know" in problems  # the hint points at the choice, not at an option to type
    _no_command_line(page, "the import page's problems")
    hospital = page.get_by_label("Hospital Group", exact=True)
    assert hospital.input_value() == "hospital"  # the likely word chosen already
    assert page.get_by_label("Reserch centre").input_value() == "research_center"
    options = page.get_by_label("Clinical trial").locator("option").all_inner_texts()
    assert "Clinical validation" in options and "Clinical pilot" in options and "clinical_pilot" not in options
    page.get_by_label("Clinical trial").select_option("")
    page.click("text=Import with this mapping")
    assert "Clinical trial" in page.locator("#mapping-status").inner_text()  # every word needs a choice
    page.get_by_label("Clinical trial").select_option(label="Clinical pilot")
    page.click("text=Import with this mapping")
    page.wait_for_selector("#applied-list")
    applied = page.locator("#applied-list").inner_text()
    assert "Hospital Group → Hospital" in applied and "Clinical trial → Clinical pilot" in applied
    assert "Preview" in page.locator("#outcome-title").inner_text()
    assert atlas.find(Organization, search="Biolab Sabadell").total == 0  # a preview writes nothing
    page.click("#confirm")
    page.wait_for_selector("#outcome-title:has-text('Imported')")
    assert atlas.find(Organization, search="Biolab Sabadell").items[0].type.value == "research_center"
    assert atlas.find(Organization, search="Vall d'Hebron").items[0].type.value == "hospital"


@pytest.mark.browser
def test_the_event_page_hands_out_every_agenda_in_one_zip(server, page, tmp_path):
    url, _ = server
    path = tmp_path / "event.xlsx"
    _workbook(path, [("Ana Ruiz", "Marek Nowak", "must meet"), ("Lea Vogel", "Ana Ruiz", "meet")])
    sign_in(page, url, FACILITATOR, "/event")
    _no_command_line(page, "the event page")
    page.set_input_files("input[name=file]", str(path))
    page.fill("input[name=tables]", "2")
    page.click("text=Schedule the meetings")
    page.wait_for_selector("#agenda table", timeout=60_000)
    _no_command_line(page, "the event's result")
    agenda = page.locator("#agenda").inner_text()
    assert "must meet" in agenda and "requested by" in agenda
    with page.expect_download() as info:
        page.click("#agendas-zip")
    download = info.value
    assert download.suggested_filename == "Brokerage-event-agendas.zip"
    archive = zipfile.ZipFile(download.path())
    assert {"event.ics", "agenda.csv", "agendas/Ana_Ruiz.ics", "organisations/BfArM.ics"} <= set(archive.namelist())
    assert len(icalendar.Calendar.from_ical(archive.read("event.ics")).walk("VEVENT")) == 2


@pytest.mark.browser
def test_the_scenarios_page_speaks_the_form_s_words(server, page):
    url, atlas = server
    atlas.add(Hub(name="Kraków Medtech Cluster", city="Kraków", country="PL"))  # a hub with no innovations yet
    sign_in(page, url, FACILITATOR, "/scenarios")
    _no_command_line(page, "the scenarios page")
    page.select_option("select[name=hub]", label="Kraków Medtech Cluster")
    page.check("input[value=fast-track]")
    page.fill("input[name=runs]", "40")
    page.fill("input[name=years]", "5")
    page.click("text=Run the scenarios")
    page.wait_for_selector("#problems .problem", timeout=60_000)
    said = page.locator("#problems").inner_text()
    assert "Kraków Medtech Cluster" in said and "Import page" in said
    _no_command_line(page, "the scenarios page's problem")
    page.select_option("select[name=hub]", label="Medical Innovation Institute")
    page.fill("input[name=fast-track-cost]", "250000")
    page.click("text=Run the scenarios")
    page.wait_for_selector("#outcomes table", timeout=60_000)
    outcomes = page.locator("#outcomes").inner_text()
    assert "innovation-years on the market" in outcomes and "market_years" not in outcomes
    assert "EUR 250 k" in page.locator("#costs").inner_text()  # money as people read it (Ecotone.money)
    _no_command_line(page, "the scenarios page's results")

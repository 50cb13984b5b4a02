"""Safe spreadsheets out: text a spreadsheet would run as a formula is exported as text, and imported back unchanged."""

import csv
import io
import re
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import bearer, fresh_atlas
from ecotone.cli import main
from ecotone.cli._output import Format, emit
from ecotone.domain import Hub, Organization, Tie
from ecotone.io._cells import read_cell, safe_cell
from ecotone.io._tabular import read_csv, read_xlsx
from ecotone.io.kumu import write_kumu_xlsx
from ecotone.io.tables import write_csv
from ecotone.services.exports import export_kumu, export_tables
from ecotone.services.imports import import_files

#: Names a spreadsheet would run (OWASP's CSV injection): formulas, and what Excel takes for the start of one.
FORMULAS = ['=HYPERLINK("http://evil","x")', "+SUM(A1)", "-2+3", "@cmd"]
#: Tab and carriage return start formulas too; records strip them from their text, so they are tried on sheets.
CONTROLS = ["\tx", "\rx"]
HUB = "=Hub()"
LATITUDE, LONGITUDE = 40.4, -3.5  # a real negative number, which must stay a number


def _fill(atlas):
    hub = atlas.add(Hub(name=HUB, city="Madrid"))
    ids = [atlas.add(Organization(name=name, type="startup", hub_id=hub.id, latitude=LATITUDE, longitude=LONGITUDE,
                                  description=name, tags=[name, "ai"])).id for name in FORMULAS]
    atlas.add(Tie(source_id=ids[0], target_id=ids[1], kind="partnership", label="=1+1"))
    atlas.add(Tie(source_id=ids[2], target_id=ids[3], kind="investment"))


@pytest.fixture
def filled(backend, tmp_path):
    """An atlas whose hub, organisations and a tie are named like formulas, on each backend."""
    (tmp_path / "source").mkdir()
    with fresh_atlas(backend, tmp_path / "source") as atlas:
        _fill(atlas)
        yield atlas


def _imported(backend, folder, paths):
    """The organisations, ties and hubs of a fresh atlas after importing ``paths`` as Kumu."""
    folder.mkdir(parents=True, exist_ok=True)
    with fresh_atlas(backend, folder) as again:
        import_files(again, "kumu", paths)
        orgs = {o.name: o for o in again.records(Organization)}
        names = {o.id: o.name for o in orgs.values()}
        ties = sorted((names[t.source_id], names[t.target_id], t.label) for t in again.records(Tie))
        hubs = [h.name for h in again.records(Hub)]
    return orgs, ties, hubs


def _expect_back(orgs, ties, hubs):
    assert sorted(orgs) == sorted(FORMULAS)  # byte for byte
    for name, org in orgs.items():
        assert org.description == name and org.tags == [name, "ai"]
        assert (org.latitude, org.longitude) == (LATITUDE, LONGITUDE)
    assert ties == sorted([(FORMULAS[0], FORMULAS[1], "=1+1"), (FORMULAS[2], FORMULAS[3], None)])
    assert hubs == [HUB]


def _csv_cells(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_kumu_xlsx_has_no_formula_cells_and_imports_back_unchanged(filled, backend, tmp_path):
    out = tmp_path / "atlas.xlsx"
    export_kumu(filled, out)
    book = openpyxl.load_workbook(out)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert set(FORMULAS) | {HUB, "=1+1", f"{FORMULAS[0]}|ai"} <= texts  # intact, no prefix
    assert {c.value for c in cells if c.data_type == "n"} >= {LATITUDE, LONGITUDE}
    # What Excel reads: the sheets' XML holds strings, not <f> formulas.
    with zipfile.ZipFile(out) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml
    assert re.search(r'<c r="[A-Z]+\d+" t="(inlineStr|s)"><is><t>=HYPERLINK\(', xml)
    assert re.search(r'<c r="[A-Z]+\d+" t="n"><v>-3.5</v></c>', xml)
    _expect_back(*_imported(backend, tmp_path / "again", [out]))


def test_kumu_csv_marks_formulas_and_imports_back_unchanged(filled, backend, tmp_path):
    paths = export_kumu(filled, tmp_path / "kumu")
    elements = _csv_cells(tmp_path / "kumu" / "elements.csv")
    header = elements[0]
    label, longitude = header.index("Label"), header.index("Longitude")
    assert sorted(row[label] for row in elements[1:]) == sorted("'" + n for n in FORMULAS)
    assert {row[longitude] for row in elements[1:]} == {"-3.5"}  # a number, not marked
    raw = (tmp_path / "kumu" / "elements.csv").read_bytes().decode("utf-8")
    assert '"\'=HYPERLINK(""http://evil"",""x"")"' in raw and '"\'+SUM(A1)"' in raw  # quoted, as OWASP says
    connections = _csv_cells(tmp_path / "kumu" / "connections.csv")
    assert "'=1+1" in [cell for row in connections for cell in row]
    _expect_back(*_imported(backend, tmp_path / "again", paths))


def test_csv_tables_mark_formulas_and_read_back_unchanged(filled, tmp_path):
    export_tables(filled, tmp_path / "tables")
    rows = _csv_cells(tmp_path / "tables" / "organizations.csv")
    header = rows[0]
    assert sorted(r[header.index("name")] for r in rows[1:]) == sorted("'" + n for n in FORMULAS)
    assert {r[header.index("longitude")] for r in rows[1:]} == {"-3.5"}
    hubs = _csv_cells(tmp_path / "tables" / "hubs.csv")
    assert [r[hubs[0].index("name")] for r in hubs[1:]] == ["'" + HUB]
    table = read_csv(tmp_path / "tables" / "organizations.csv")
    assert sorted(r["name"] for _, r in table.rows) == sorted(FORMULAS)
    assert sorted(r["tags"] for _, r in table.rows) == sorted(f"{n}|ai" for n in FORMULAS)
    assert {float(r["longitude"]) for _, r in table.rows} == {LONGITUDE}
    ties = read_csv(tmp_path / "tables" / "ties.csv")
    assert sorted(r["label"] for _, r in ties.rows) == ["", "=1+1"]


def test_the_workbook_the_api_serves_has_no_formula_cells(filled, backend, tmp_path):
    from fastapi.testclient import TestClient

    from ecotone.api import create_app

    with TestClient(create_app(atlas=filled), headers=bearer(filled)) as client:
        response = client.get("/api/v1/exports/kumu")
    assert response.status_code == 200, response.text
    (tmp_path / "served.xlsx").write_bytes(response.content)
    book = openpyxl.load_workbook(tmp_path / "served.xlsx")
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert set(FORMULAS) <= {c.value for c in cells if c.data_type == "s"}
    _expect_back(*_imported(backend, tmp_path / "again", [tmp_path / "served.xlsx"]))


def test_cli_csv_marks_formulas_and_imports_back_unchanged(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ECOTONE_DATABASE_URL", raising=False)
    with fresh_atlas("sqlite", tmp_path) as atlas:
        _fill(atlas)
    capsys.readouterr()
    assert main(["--db", str(tmp_path / "atlas.db"), "orgs", "list", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out)))
    header = rows[0]
    assert sorted(r[header.index("name")] for r in rows[1:]) == sorted("'" + n for n in FORMULAS)
    assert {r[header.index("hub")] for r in rows[1:]} == {"'" + HUB}
    # The listing, saved as a Kumu elements file, imports back with the names as they were.
    (tmp_path / "elements.csv").write_text(out, encoding="utf-8", newline="")
    folder = tmp_path / "again"
    folder.mkdir()
    with fresh_atlas("sqlite", folder) as again:
        import_files(again, "kumu", [tmp_path / "elements.csv"])
        assert sorted(o.name for o in again.records(Organization)) == sorted(FORMULAS)
        assert [h.name for h in again.records(Hub)] == [HUB]


def test_cli_csv_keeps_numbers_as_numbers(capsys):
    capsys.readouterr()
    emit([{"name": "-2+3", "change": -3.5, "note": "\tx"}, {"name": "@cmd", "change": -12, "note": "\rx"}], Format.csv)
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [["name", "change", "note"], ["'-2+3", "-3.5", "'\tx"], ["'@cmd", "-12", "'\rx"]]


@pytest.mark.parametrize("value", FORMULAS + CONTROLS + ["'=already quoted", "''-2", "it's", "'Hara", "a;=1+1", ""])
def test_every_value_survives_csv_and_xlsx_sheets(value, tmp_path):
    """At the sheet level, where tabs and carriage returns are kept, every value comes back byte for byte."""
    sheets = {"Elements": [["Label", "Latitude"], [value, -3.5]], "Connections": [["From", "To"]], "Hubs": [["Name"]]}
    write_kumu_xlsx(sheets, tmp_path / "s.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "s.xlsx")["Elements"]
    assert ws["B2"].data_type == "n" and ws["B2"].value == -3.5
    if value:
        assert ws["A2"].data_type == "s"
    [(_, row)] = read_xlsx(tmp_path / "s.xlsx")["Elements"].rows
    assert (row["Label"] or "", row["Latitude"]) == (value, -3.5)
    write_csv(tmp_path / "s.csv", [["Label", "Latitude"], [value, -3.5]])
    [(_, row)] = read_csv(tmp_path / "s.csv").rows
    assert row == {"Label": value, "Latitude": "-3.5"}
    marked = _csv_cells(tmp_path / "s.csv")[1][0]
    assert marked == safe_cell(value) and read_cell(marked) == value


def test_a_semicolon_or_tab_cannot_split_a_formula_off(tmp_path):
    """A Spanish or Polish Excel splits CSV cells on ';' (and tab-separated readers on tabs): a cell holding one
    is quoted, so it stays one cell and no formula starts inside it."""
    write_csv(tmp_path / "s.csv", [["Label", "Note"], ['Kardio;=HYPERLINK("http://evil")', "tab\t=1"]])
    raw = (tmp_path / "s.csv").read_bytes().decode("utf-8")
    assert raw == 'Label,Note\r\n"Kardio;=HYPERLINK(""http://evil"")","tab\t=1"\r\n'
    [(_, row)] = read_csv(tmp_path / "s.csv").rows
    assert row == {"Label": 'Kardio;=HYPERLINK("http://evil")', "Note": "tab\t=1"}


_TRICKY = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", "'", '"', ",", ";", " ", "x", "1", "é"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.text(_TRICKY, max_size=6), st.text(st.characters(blacklist_categories=("Cs", "Cc")),
                                                                   max_size=6)), min_size=1, max_size=4))
def test_any_text_comes_back_from_csv_and_xlsx(tmp_path, values):
    """Whatever the text, exporting then reading gives it back byte for byte, and no cell is a formula."""
    header = [f"c{i}" for i in range(len(values))] + ["keep"]
    write_csv(tmp_path / "p.csv", [header, [*values, "row"]])
    [(_, row)] = read_csv(tmp_path / "p.csv").rows
    assert [row[h] for h in header] == [*values, "row"]
    sheets = {"Elements": [header, [*values, "row"]], "Connections": [["From"]], "Hubs": [["Name"]]}
    write_kumu_xlsx(sheets, tmp_path / "p.xlsx")
    assert not [c for row in openpyxl.load_workbook(tmp_path / "p.xlsx")["Elements"].iter_rows() for c in row
                if c.data_type == "f"]
    [(_, row)] = read_xlsx(tmp_path / "p.xlsx")["Elements"].rows
    assert [row[h] or "" for h in header] == [*values, "row"]


def test_a_pajek_legend_and_an_event_agenda_keep_formulas_as_text(tmp_path):
    """The other files Ecotone writes for spreadsheets: the legend of a Pajek partition (hub names) and the
    brokerage event's agenda workbook (participants' names)."""
    import pandas as pd

    from ecotone.io._cells import xlsx_cell
    from ecotone.io.pajek import write_pajek
    from ecotone.services import partnering

    nodes = pd.DataFrame({"id": [1, 2], "name": ["A", "B"], "hub": [HUB, "BCN"]})
    ties = pd.DataFrame({"id": [1], "source": [1], "target": [2], "weight": [1.0], "directed": [False]})
    write_pajek(tmp_path / "net.net", nodes, ties, partitions=["hub"])
    legend = _csv_cells(tmp_path / "net_partitions.csv")
    assert ["hub", "1", "'" + HUB] in legend
    assert read_csv(tmp_path / "net_partitions.csv").rows[0][1]["label"] == HUB

    book = openpyxl.Workbook()
    people = book.active
    people.title = "Participants"
    rows = {"Participants": [["Name", "Organisation"], ["Ana Ruiz", FORMULAS[0]], ["Marek Nowak", "Kardio"]],
            "Slots": [["Slot", "Start", "End"], ["S1", "2026-03-12 09:00", "2026-03-12 09:30"]],
            "Requests": [["From", "To", "Priority"], ["Ana Ruiz", "Marek Nowak", "must meet"]]}
    for title, lines in rows.items():
        sheet = people if title == "Participants" else book.create_sheet(title)
        for line in lines:
            sheet.append([xlsx_cell(sheet, v) for v in line])
    book.save(tmp_path / "event.xlsx")
    partnering.schedule(tmp_path / "event.xlsx", tmp_path / "out", tables=1, method="cp-sat")
    agenda = openpyxl.load_workbook(tmp_path / "out" / "agenda.xlsx")["Agenda"]
    cells = [c for row in agenda.iter_rows() for c in row if c.value == FORMULAS[0]]
    assert cells and all(c.data_type != "f" for c in cells)

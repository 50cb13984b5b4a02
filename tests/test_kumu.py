"""Kumu spreadsheets: Kumu's conventions, our columns, errors that name the cell, lossless round trips."""

import csv

import openpyxl
import pytest
import sqlalchemy as sa

from conftest import snapshot
from ecotone.domain import Hub, Organization, Tie
from ecotone.domain.problems import InputRejected
from ecotone.io._tabular import read_xlsx
from ecotone.services.exports import export_kumu
from ecotone.services.imports import import_files
from ecotone.store.tables import organizations


def workbook(path, sheets, hidden_rows=()):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    for title, row in hidden_rows:
        book[title].row_dimensions[row].hidden = True
    book.save(path)
    return path


ELEMENTS = [
    ["Label", "Type", "Description", "Tags", "Hub", "Country", "Offers", "Needs", "Stage"],
    ["Kardio Labs", "Startup", "ECG patch", "cardiology|ai", "Medical Innovation Institute", "PL", "",
     "clinical validation|hospital partners", "prototype"],
    ["Hospital Clínic", "hospital", "", "cardiology", "Barcelona Health Hub", "ES", "clinical validation", "", ""],
    ["Ysios Capital", "investor", "", "", "Barcelona Health Hub", "ES", "funding", "", ""],
    ["AEMPS", "regulator", "Spanish agency", "", "", "ES", "", "", ""],
]
CONNECTIONS = [
    ["From", "To", "Type", "Direction", "Strength", "Start"],
    ["Hospital Clínic", "Kardio Labs", "clinical validation", "directed", 2, "2025-03-01"],
    ["Ysios Capital", "Kardio Labs|Hospital Clínic", "investment", "directed", "", ""],
    ["AEMPS", "Kardio Labs", "regulatory_advice", "mutual", "", ""],
]


def test_elements_connections_lists_and_ignored_sheets(atlas, tmp_path):
    path = workbook(tmp_path / "map.xlsx", {
        "Elements": ELEMENTS, "Connections": CONNECTIONS,
        "Notes (ignore)": [["Label", "Type"], ["Should not appear", "bank"]]})
    report = import_files(atlas, "kumu", [path])
    assert report.created["organization"] == 4
    assert report.created["tie"] == 4  # the | list in To made two ties
    assert report.created["hub"] == 2
    kardio = atlas.find(Organization, search="Kardio").items[0]
    assert kardio.tags == ["cardiology", "ai"]
    assert kardio.needs == ["clinical validation", "hospital partners"]
    assert kardio.stage.value == "prototype"
    assert atlas.find(Organization, hub="Medical Innovation Institute").total == 1
    ties = {(t.kind.value, t.directed, t.weight) for t in atlas.records(Tie)}
    assert ("clinical_validation", True, 2.0) in ties
    assert ("regulatory_advice", False, 1.0) in ties
    assert atlas.count(Organization, search="Should not appear") == 0


def test_two_csv_files(atlas, tmp_path):
    for name, rows in (("elements.csv", ELEMENTS), ("connections.csv", CONNECTIONS)):
        with open(tmp_path / name, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    report = import_files(atlas, "kumu", [tmp_path / "elements.csv", tmp_path / "connections.csv"])
    assert report.created["organization"] == 4 and report.created["tie"] == 4


def test_unknown_type_lists_the_allowed_ones_unless_mapped(atlas, tmp_path):
    rows = [ELEMENTS[0], ["Sant Pau", "University Hospital", "", "", "", "ES", "", "", ""]]
    path = workbook(tmp_path / "map.xlsx", {"Elements": rows})
    with pytest.raises(InputRejected) as info:
        import_files(atlas, "kumu", [path])
    [problem] = info.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("Elements", 2, "Type")
    assert "'University Hospital'" in problem.reason and "patient_organization" in problem.reason
    assert "--map-type" in problem.reason
    report = import_files(atlas, "kumu", [path], type_map={"university hospital": "hospital"})
    assert report.created["organization"] == 1
    assert atlas.find(Organization, type="hospital").total == 1


def test_duplicate_labels_and_connections_are_errors_that_name_both_rows(atlas, tmp_path):
    elements = ELEMENTS + [["Kardio Labs", "startup", "again", "", "", "PL", "", "", ""]]
    connections = CONNECTIONS + [["Hospital Clínic", "Kardio Labs", "clinical_validation", "", "", ""]]
    path = workbook(tmp_path / "map.xlsx", {"Elements": elements, "Connections": connections})
    with pytest.raises(InputRejected) as info:
        import_files(atlas, "kumu", [path])
    reasons = {(p.sheet, p.row): p.reason for p in info.value.problems}
    assert "row 2" in reasons[("Elements", 6)]
    assert "row 2" in reasons[("Connections", 5)]
    assert atlas.counts()["organization"] == 0


def test_same_label_different_types_needs_ids_to_connect(atlas, tmp_path):
    elements = [["ID", "Label", "Type"], ["a", "Sant Pau", "hospital"], ["b", "Sant Pau", "research_center"],
                ["c", "Kardio", "startup"]]
    ambiguous = workbook(tmp_path / "a.xlsx", {"Elements": elements,
                                               "Connections": [["From", "To", "Type"], ["Sant Pau", "Kardio", ""]]})
    with pytest.raises(InputRejected, match="names 2 elements"):
        import_files(atlas, "kumu", [ambiguous])
    by_id = workbook(tmp_path / "b.xlsx", {"Elements": elements,
                                           "Connections": [["From", "To", "Type"], ["a", "c", "partnership"]]})
    report = import_files(atlas, "kumu", [by_id])
    assert report.created == {"organization": 3, "tie": 1}
    assert {o.external_ids["kumu"] for o in atlas.records(Organization)} == {"a", "b", "c"}


def test_connections_may_name_organisations_already_in_the_atlas(atlas, tmp_path):
    atlas.add(Organization(name="Hospital Clínic", type="hospital"))
    path = workbook(tmp_path / "c.xlsx", {"Elements": ELEMENTS[:2], "Connections": CONNECTIONS[:2]})
    assert import_files(atlas, "kumu", [path]).created == {"hub": 1, "organization": 1, "tie": 1}
    unknown = workbook(tmp_path / "d.xlsx", {"Elements": ELEMENTS[:2],
                                             "Connections": [["From", "To"], ["Nowhere Clinic", "Kardio Labs"]]})
    with pytest.raises(InputRejected, match="no organization named 'Nowhere Clinic'"):
        import_files(atlas, "kumu", [unknown])


def test_bad_cells_name_sheet_row_and_column(atlas, tmp_path):
    elements = [["Label", "Type", "Latitude", "Founded", "Country", "External IDs", "Hub"],
                ["A", "startup", "north", "", "", "", ""],
                ["B", "startup", "", "soon", "", "", ""],
                ["C", "startup", "", "", "Spain", "", ""],
                ["D", "startup", "", "", "", "nocolon", ""],
                ["E", "startup", "", "2021.5", "", "", "x" * 301],
                ["", "", "", "", "", "", ""],
                ["F", "", "", "", "", "", ""]]
    connections = [["From", "To", "Direction", "Start"], ["A", "B", "sideways", ""], ["A", "", "", ""],
                   ["A", "B", "", "yesterday"]]
    path = workbook(tmp_path / "bad.xlsx", {"Elements": elements, "Connections": connections})
    with pytest.raises(InputRejected) as info:
        import_files(atlas, "kumu", [path])
    where = {(p.sheet, p.row, p.column) for p in info.value.problems}
    assert where >= {("Elements", 2, "Latitude"), ("Elements", 3, "Founded"), ("Elements", 4, "Country"),
                     ("Elements", 5, "External IDs"), ("Elements", 6, "Founded"), ("Elements", 6, "Hub"),
                     ("Elements", 8, "Type"), ("Connections", 2, "Direction"),
                     ("Connections", 3, "To"), ("Connections", 4, "Start")}
    assert all(p.file.endswith("bad.xlsx") for p in info.value.problems)
    assert atlas.counts()["organization"] == 0


def test_hidden_rows_are_read_and_reported(atlas, tmp_path):
    path = workbook(tmp_path / "h.xlsx", {"Elements": ELEMENTS}, hidden_rows=[("Elements", 3)])
    report = import_files(atlas, "kumu", [path])
    assert report.created["organization"] == 4
    assert any("row 3 is hidden" in w for w in report.warnings)


def test_unknown_columns_are_reported_not_silently_dropped(atlas, tmp_path):
    rows = [["Label", "Type", "Favourite colour"], ["A", "startup", "blue"]]
    report = import_files(atlas, "kumu", [workbook(tmp_path / "u.xlsx", {"Elements": rows})])
    assert any("Favourite colour" in w for w in report.warnings)


def test_files_users_get_wrong(atlas, tmp_path):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0not really")
    with pytest.raises(InputRejected, match="save it as .xlsx"):
        import_files(atlas, "kumu", [tmp_path / "old.xls"])
    (tmp_path / "fake.xlsx").write_text("hello")
    with pytest.raises(InputRejected, match="not a readable .xlsx"):
        import_files(atlas, "kumu", [tmp_path / "fake.xlsx"])
    no_elements = workbook(tmp_path / "n.xlsx", {"Sheet1": [["Label"]]})
    with pytest.raises(InputRejected, match="no Elements sheet"):
        import_files(atlas, "kumu", [no_elements])
    (tmp_path / "people.csv").write_text("Label\nA\n")
    with pytest.raises(InputRejected, match="elements.csv"):
        import_files(atlas, "kumu", [tmp_path / "people.csv"])
    (tmp_path / "elements.csv").write_bytes("Label,Type\nCaf\xe9,startup\n".encode("latin-1"))
    with pytest.raises(InputRejected, match="UTF-8") as info:
        import_files(atlas, "kumu", [tmp_path / "elements.csv"])
    assert info.value.problems[0].row == 2


def test_reimport_changes_nothing_and_updates_only_what_changed(atlas, tmp_path):
    path = workbook(tmp_path / "map.xlsx", {"Elements": ELEMENTS, "Connections": CONNECTIONS})
    import_files(atlas, "kumu", [path])
    before = snapshot(atlas)
    assert not import_files(atlas, "kumu", [path]).changed
    assert snapshot(atlas) == before
    edited = [row[:] for row in ELEMENTS]
    edited[4][2] = "Agencia Española de Medicamentos"
    report = import_files(atlas, "kumu", [workbook(tmp_path / "m2.xlsx", {"Elements": edited})])
    assert report.updated == {"organization": 1}
    assert atlas.find(Organization, search="AEMPS").items[0].description == "Agencia Española de Medicamentos"


def test_export_then_import_is_lossless(demo_atlas, tmp_path):
    out = tmp_path / "demo.xlsx"
    export_kumu(demo_atlas, out)
    books = {name: read_xlsx(out) for name in ("first",)}
    assert {"Elements", "Connections", "Hubs"} <= set(books["first"])
    from ecotone.store import Atlas

    with Atlas.open(str(tmp_path / "again.db")) as again:
        report = import_files(again, "kumu", [out])
        assert report.created["organization"] == demo_atlas.count(Organization)
        assert report.created["tie"] == demo_atlas.count(Tie)
        assert report.created["hub"] == demo_atlas.count(Hub)
        export_kumu(again, tmp_path / "again.xlsx")
        first, second = read_xlsx(out), read_xlsx(tmp_path / "again.xlsx")
        for sheet in ("Elements", "Connections", "Hubs"):
            assert first[sheet].header == second[sheet].header
            assert [r for _, r in first[sheet].rows] == [r for _, r in second[sheet].rows]  # sources included
        # Field by field, organisations survive the trip.
        def fields(a):
            return sorted((o.name, o.type, o.country, o.tags, o.offers, o.needs, o.focus_areas, o.stage,
                           o.visibility, o.founded, o.description) for o in a.records(Organization))
        assert fields(again) == fields(demo_atlas)


def test_kumu_csv_export_reads_back(demo_atlas, tmp_path):
    paths = export_kumu(demo_atlas, tmp_path / "kumu")
    assert {p.name for p in paths} == {"elements.csv", "connections.csv", "hubs.csv"}
    from ecotone.store import Atlas

    with Atlas.open(str(tmp_path / "again.db")) as again:
        import_files(again, "kumu", paths)
        assert again.count(Tie) == demo_atlas.count(Tie)


def test_importing_an_atlas_own_export_changes_nothing(demo_atlas, tmp_path):
    demo_atlas.add(Organization(name="Barcelona Incubator", type="startup"))  # a namesake of another type
    out = tmp_path / "own.xlsx"
    export_kumu(demo_atlas, out)
    first = import_files(demo_atlas, "kumu", [out])
    assert first.updated["organization"] <= 2  # only the namesakes learn the IDs that tell them apart
    assert not import_files(demo_atlas, "kumu", [out]).changed


def test_our_stakeholder_type_column_wins_over_kumus_type(atlas, tmp_path):
    rows = [["Label", "Type", "Stakeholder type"], ["Sant Pau", "Hospital de referència", "hospital"]]
    report = import_files(atlas, "kumu", [workbook(tmp_path / "s.xlsx", {"Elements": rows})])
    assert atlas.find(Organization, search="Sant Pau").items[0].type.value == "hospital"
    assert any("Type" in w and "not kept" in w for w in report.warnings)


def test_each_record_says_which_file_sheet_and_row_it_came_from(atlas, tmp_path):
    path = workbook(tmp_path / "map.xlsx", {"Elements": ELEMENTS, "Connections": CONNECTIONS})
    import_files(atlas, "kumu", [path])
    source = {o.name: o.source for o in atlas.records(Organization)}
    assert source["Kardio Labs"] == "map.xlsx · Elements · row 2"  # the header is row 1
    assert source["AEMPS"] == "map.xlsx · Elements · row 5"
    names = {o.id: o.name for o in atlas.records(Organization)}
    ties = {(names[t.source_id], names[t.target_id]): t.source for t in atlas.records(Tie)}
    assert ties[("Hospital Clínic", "Kardio Labs")] == "map.xlsx · Connections · row 2"
    # One row listing two targets made two ties, both from that row.
    assert ties[("Ysios Capital", "Kardio Labs")] == ties[("Ysios Capital", "Hospital Clínic")] == \
        "map.xlsx · Connections · row 3"
    # A hub named only in the Hub column comes from the first row naming it.
    hubs = {h.name: h.source for h in atlas.records(Hub)}
    assert hubs == {"Medical Innovation Institute": "map.xlsx · Elements · row 2",
                    "Barcelona Health Hub": "map.xlsx · Elements · row 3"}


def test_the_source_of_a_record_read_from_the_projects_own_export(atlas, tmp_path):
    """The atlas exported as .xlsx and as CSVs, imported into fresh atlases: a record with a Source cell keeps it; one
    without gets the file, sheet and row it was read from (rows as a spreadsheet counts them, even after a cell
    holding a line break)."""
    from ecotone.store import Atlas

    hub = atlas.add(Hub(name="BioCity Nottingham", source="seeds/001_biocity.txt"))
    first = atlas.add(Organization(name="Locate Bio", type="startup", hub_id=hub.id,
                                   description="orthobiologics\nfrom Nottingham"))  # a line break inside a cell
    second = atlas.add(Organization(name="Nottingham University Hospitals", type="hospital", hub_id=hub.id))
    atlas.add(Organization(name="BioCity", type="incubator", source="seeds/001_biocity.txt"))
    atlas.add(Tie(source_id=second.id, target_id=first.id, kind="clinical_pilot"))
    blank = atlas.execute(sa.update(organizations).where(organizations.c.name != "BioCity").values(source=None))
    assert blank.rowcount == 2
    xlsx = export_kumu(atlas, tmp_path / "atlas.xlsx")
    csvs = export_kumu(atlas, tmp_path / "kumu")

    def xlsx_rows(sheet):
        return {row[0].value or row[1].value: row[0].row for row in openpyxl.load_workbook(xlsx[0])[sheet].iter_rows(2)}

    def csv_rows(name):
        with open(tmp_path / "kumu" / name, newline="", encoding="utf-8") as fh:
            return {(cells[0] or cells[1]): n for n, cells in enumerate(csv.reader(fh), start=1) if n > 1}

    assert csv_rows("elements.csv")["BioCity"] == 4  # a spreadsheet's row 4, the file's line 5
    for n, (paths, name_of, rows_of) in enumerate((
            (xlsx, lambda sheet: f"atlas.xlsx · {sheet}", xlsx_rows),
            (csvs, lambda sheet: f"{sheet.lower()}.csv", lambda sheet: csv_rows(f"{sheet.lower()}.csv")))):
        with Atlas.open(str(tmp_path / f"again{n}.db")) as again:
            import_files(again, "kumu", paths)
            elements = rows_of("Elements")
            assert {o.name: o.source for o in again.records(Organization)} == {
                **{name: f"{name_of('Elements')} · row {elements[name]}"
                   for name in ("Locate Bio", "Nottingham University Hospitals")},
                "BioCity": "seeds/001_biocity.txt"}
            [tie] = again.records(Tie)
            assert tie.source == "cli"  # the Source cell the export wrote: who created it
            [hub_again] = again.records(Hub)
            assert hub_again.source == "seeds/001_biocity.txt"


def test_an_edited_export_records_the_row_as_the_source_of_what_it_changed(atlas, tmp_path):
    """The trial's reproduction: an export edited and imported again must not credit its new values to the seed
    article the record came from."""
    atlas.add(Organization(name="Ysios Capital", type="investor", description="Life-science VC",
                           source="seeds/002_ysios.txt"))
    folder = tmp_path / "kumu"
    export_kumu(atlas, folder)
    path = folder / "elements.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Life-science VC", "Venture capital for biotech and medtech"), encoding="utf-8")
    import_files(atlas, "kumu", [path])
    [org] = atlas.records(Organization)
    assert org.description == "Venture capital for biotech and medtech"
    assert org.source == "seeds/002_ysios.txt"
    where = atlas.provenance("organization", org.id)
    assert where["description"] == "elements.csv · row 2"
    assert where["name"] == where["type"] == "seeds/002_ysios.txt"


def test_a_hub_named_in_an_element_row_keeps_its_own_source(atlas, tmp_path):
    """The Hub cell names a hub, it does not vouch for it: an atlas hub of that name is not re-sourced."""
    atlas.add(Hub(name="Barcelona Health Hub", source="seeds/000_bhh.txt"))
    path = workbook(tmp_path / "map.xlsx", {"Elements": ELEMENTS})
    report = import_files(atlas, "kumu", [path])
    assert report.created["hub"] == 1 and not report.updated["hub"]
    assert {h.name: h.source for h in atlas.records(Hub)} == {
        "Barcelona Health Hub": "seeds/000_bhh.txt", "Medical Innovation Institute": "map.xlsx · Elements · row 2"}
    assert not import_files(atlas, "kumu", [path]).changed


def test_founded_takes_a_year_or_a_date_as_kumu_files_hold_them(atlas, tmp_path):
    import datetime as dt

    elements = [["Label", "Type", "Founded"], ["A", "startup", "2020-01-01"], ["B", "startup", dt.datetime(2018, 5, 2)],
                ["C", "startup", 2019], ["D", "startup", "2017/03"]]
    import_files(atlas, "kumu", [workbook(tmp_path / "dates.xlsx", {"Elements": elements})])
    founded = {r["name"]: r["founded"] for r in atlas.rows("organization", columns=["name", "founded"])}
    assert founded == {"A": 2020, "B": 2018, "C": 2019, "D": 2017}
    bad = [["Label", "Type", "Founded"], ["E", "startup", "in the nineties"]]
    with pytest.raises(InputRejected) as info:
        import_files(atlas, "kumu", [workbook(tmp_path / "bad.xlsx", {"Elements": bad})])
    [problem] = info.value.problems
    assert (problem.row, problem.column) == (2, "Founded") and "write a year such as 2020" in problem.reason

"""Regulatory pathways: listed (CLI in three formats, API), overridden by a hub's CSV (errors by row and column,
all or nothing, idempotent, audited), reset, and read by the simulation."""

import csv
import io
import json

import pytest

from ecotone.data.pathways import PATHWAYS, overrides_path, pathway
from ecotone.domain.problems import InputRejected
from ecotone.services import pathways

GOOD = ("pathway,low,typical,high,source\n"
        "CE (MDR),9,14,20,our notified body's last three certificates (2024)\n"
        "510k,4,6,12,https://example.org/our-510k-log\n"
        "Swissmedic,8,10,16,our own estimate\n")


def test_every_published_figure_has_a_source_and_ordered_months():
    for p in PATHWAYS:
        assert p.low <= p.typical <= p.high, p.name
        assert p.source, p.name
        assert p.assumption or p.url.startswith("https://"), p.name


def test_list_import_and_reset_from_the_command_line(cli, tmp_path):
    code, out, _ = cli("--db", "hub.db", "pathways", "list", "--format", "json")
    assert code == 0
    listed = {p["pathway"]: p for p in json.loads(out)["pathways"]}
    assert listed["FDA De Novo"]["typical"] == pytest.approx(229 / 30.44, abs=0.1)
    assert listed["CE (MDR)"]["url"].startswith("https://") and not listed["CE (MDR)"]["overridden"]
    (tmp_path / "ours.csv").write_text(GOOD, encoding="utf-8")
    code, out, _ = cli("--db", "hub.db", "pathways", "import", "ours.csv", "--dry-run")
    assert code == 0 and "Dry run" in out and not (tmp_path / "hub.pathways.csv").exists()
    code, out, _ = cli("--db", "hub.db", "pathways", "import", "ours.csv")
    assert code == 0 and "3 changed" in out and (tmp_path / "hub.pathways.csv").exists()
    code, out, _ = cli("--db", "hub.db", "pathways", "import", "ours.csv")
    assert code == 0 and "0 changed" in out  # the same file again changes nothing
    code, out, _ = cli("--db", "hub.db", "pathways", "list", "--format", "csv")
    rows = {r["pathway"]: r for r in csv.DictReader(io.StringIO(out))}
    assert (rows["FDA 510(k)"]["typical"], rows["FDA 510(k)"]["overridden"]) == ("6.0", "True")
    assert rows["FDA 510(k)"]["url"] == "https://example.org/our-510k-log"
    assert rows["Swissmedic"]["high"] == "16.0"
    assert rows["FDA PMA"]["overridden"] == "False"
    code, out, _ = cli("--db", "hub.db", "pathways", "list")
    assert code == 0 and "Regulatory pathways" in out
    code, out, _ = cli("--db", "hub.db", "pathways", "reset")
    assert code == 0 and "Removed 3 overrides" in out and not (tmp_path / "hub.pathways.csv").exists()
    log = list(csv.DictReader((tmp_path / "hub.pathways.csv.log").open(encoding="utf-8")))
    assert [r["action"] for r in log] == ["import", "reset"] and log[0]["file"].endswith("ours.csv")
    assert all(r["who"].startswith("cli") for r in log)  # the audit trail's name of the command line's owner


def test_the_exported_list_imports_back(cli, tmp_path):
    """docs/velocity.md: start from the published table (list --format csv), edit it, import it."""
    code, exported, _ = cli("--db", "hub.db", "pathways", "list", "--format", "csv")
    assert code == 0 and exported.splitlines()[0].startswith("pathway,low,typical,high,source,url")
    (tmp_path / "pw.csv").write_text(exported, encoding="utf-8")
    code, out, err = cli("--db", "hub.db", "pathways", "import", "pw.csv", "--dry-run")
    assert code == 0, err
    assert "0 changed" in out and "published figure" in out  # unedited rows are no overrides
    edited = exported.replace("\nFDA 510(k),3.3,10.0,31.0,", "\nFDA 510(k),4,8,20,")
    assert edited != exported
    (tmp_path / "pw.csv").write_text(edited, encoding="utf-8")
    code, out, err = cli("--db", "hub.db", "pathways", "import", "pw.csv")
    assert code == 0 and "1 changed" in out, err
    kept = pathways.load_overrides(tmp_path / "hub.pathways.csv")
    assert [p.name for p in kept.values()] == ["FDA 510(k)"]
    (only,) = kept.values()
    assert (only.low, only.typical, only.high) == (4, 8, 20)
    assert only.url == next(p.url for p in PATHWAYS if p.name == "FDA 510(k)")  # the url column is read
    code, again, _ = cli("--db", "hub.db", "pathways", "list", "--format", "csv")
    (tmp_path / "pw2.csv").write_text(again, encoding="utf-8")
    code, out, _ = cli("--db", "hub.db", "pathways", "import", "pw2.csv")
    assert code == 0 and "0 changed" in out  # the list with the override exports and imports to itself
    assert pathway("510k", atlas=_Atlas(tmp_path / "hub.db")).typical == 8
    # a list exported by the earlier version called the column name
    (tmp_path / "old.csv").write_text(exported.replace("pathway,", "name,", 1), encoding="utf-8")
    code, out, err = cli("--db", "hub.db", "pathways", "import", "old.csv", "--dry-run")
    assert code == 0 and "1 changed" in out, err  # back to the published 510(k)
    log = list(csv.DictReader((tmp_path / "hub.pathways.csv.log").open(encoding="utf-8")))
    assert len(log) == 1 and log[0]["who"]


def test_a_bad_file_names_row_and_column_and_changes_nothing(cli, tmp_path):
    (tmp_path / "ours.csv").write_text(GOOD, encoding="utf-8")
    assert cli("--db", "hub.db", "pathways", "import", "ours.csv")[0] == 0
    kept = (tmp_path / "hub.pathways.csv").read_bytes()
    (tmp_path / "bad.csv").write_text("pathway,low,typical,high,source\nPMA,12,9,20,ours\nDiGA,two,3,4,x\n"
                                      "De Novo,5,6,7,\nFDA De Novo,1,2,3,again\n", encoding="utf-8")
    code, _, err = cli("--db", "hub.db", "pathways", "import", "bad.csv")
    assert code == 1 and "nothing was written" in err
    assert (tmp_path / "hub.pathways.csv").read_bytes() == kept
    with pytest.raises(InputRejected) as exc:
        pathways.import_pathways(_Atlas(tmp_path / "hub.db"), tmp_path / "bad.csv")
    assert [(p.row, p.column) for p in exc.value.problems] == [(2, "typical"), (3, "low"), (4, "source")]
    (tmp_path / "twice.csv").write_text("pathway,low,typical,high,source\nDe Novo,5,6,7,a\nFDA De Novo,1,2,3,b\n",
                                        encoding="utf-8")
    with pytest.raises(InputRejected) as exc:
        pathways.import_pathways(_Atlas(tmp_path / "hub.db"), tmp_path / "twice.csv")
    (problem,) = exc.value.problems
    assert (problem.row, problem.column, problem.reason) == (3, "pathway", "'FDA De Novo' appears twice")
    (tmp_path / "nohead.csv").write_text("title,months\nPMA,3\n", encoding="utf-8")
    with pytest.raises(InputRejected) as exc:
        pathways.import_pathways(_Atlas(tmp_path / "hub.db"), tmp_path / "nohead.csv")
    assert {(p.row, p.column) for p in exc.value.problems} == {(1, c) for c in ("pathway", "low", "typical",
                                                                               "high", "source")}


class _Atlas:
    """Only what the pathways read of an atlas: where it lives."""

    def __init__(self, path):
        self.url = f"sqlite:///{path}"


@pytest.mark.slow
def test_the_simulation_reads_the_overrides(sqlite_atlas, tmp_path):
    from ecotone.services.demo import build_demo
    from ecotone.services.simulate import hub_model

    build_demo(sqlite_atlas)
    hub = "Barcelona Health Hub"
    before = hub_model(sqlite_atlas, hub).state.approval_months
    assert before == pathway("CE (MDR)").typical
    (tmp_path / "ours.csv").write_text("pathway,low,typical,high,source\nCE,3,4.5,6,our notified body\n",
                                       encoding="utf-8")
    pathways.import_pathways(sqlite_atlas, tmp_path / "ours.csv")
    assert overrides_path(sqlite_atlas.url).exists()
    assert pathway("CE (MDR)", atlas=sqlite_atlas).typical == 4.5
    assert hub_model(sqlite_atlas, hub).state.approval_months == 4.5
    pathways.reset_pathways(sqlite_atlas)
    assert hub_model(sqlite_atlas, hub).state.approval_months == before


def test_the_api_lists_the_pathways(sqlite_atlas, tmp_path):
    from fastapi.testclient import TestClient

    from ecotone.api import create_app

    (tmp_path / "ours.csv").write_text("pathway,low,typical,high,source\nDiGA,2,3,9,BfArM 2025\n", encoding="utf-8")
    pathways.import_pathways(sqlite_atlas, tmp_path / "ours.csv")
    with TestClient(create_app(atlas=sqlite_atlas)) as client:
        body = client.get("/api/v1/pathways").json()
    assert body["count"] == len(PATHWAYS) and body["overridden"] == 1
    diga = next(p for p in body["data"] if p["pathway"] == "DiGA fast track")
    assert (diga["high"], diga["source"], diga["overridden"]) == (9, "BfArM 2025", True)


def test_the_docs_show_the_figures_the_table_holds():
    """docs/velocity.md's table is the one published copy; docs/simulation.md points to it and quotes a few."""
    import re
    from pathlib import Path

    docs = Path(__file__).resolve().parent.parent / "docs"
    rows = [line.split("|")[1:5] for line in (docs / "velocity.md").read_text(encoding="utf-8").splitlines()
            if re.match(r"\| (CE|FDA|DiGA|UKCA)", line)]
    assert len(rows) >= 6
    for name, low, typical, high in rows:
        first = re.split(r",| and ", name.strip())[0].strip()
        p = pathway(first)
        assert (float(low), float(typical), float(high)) == (p.low, p.typical, p.high), name
    simulation = (docs / "simulation.md").read_text(encoding="utf-8")
    section = simulation.split("## Regulatory pathways", 1)[1].split("\n## ", 1)[0]
    assert "velocity.md#regulatory-pathways" in section
    for name, low, typical, high in re.findall(r"(CE under the MDR|PMA|De Novo|510\(k\)|DiGA) ([\d.]+) · ([\d.]+) · "
                                               r"([\d.]+)", section):
        p = pathway({"CE under the MDR": "CE", "510(k)": "510k"}.get(name, name))
        assert (float(low), float(typical), float(high)) == (p.low, p.typical, p.high), name
    assert len(re.findall(r" · ", section)) >= 10

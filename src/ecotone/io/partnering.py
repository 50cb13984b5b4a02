"""Read partnership files: evaluators' ratings and KPIs with their actuals, as batches to merge atomically."""

from __future__ import annotations

from pathlib import Path

from ..domain import Assessment, Kpi, KpiActual, Rating
from ..domain.batch import Batch, Origin
from ._tabular import Table, cell_text, read_csv, read_xlsx

__all__ = ["read_ratings", "read_kpis", "RATING_SHEET", "KPI_SHEET"]

#: Columns of a ratings sheet (one row per evaluator, date and question) and of a KPI sheet (a KPI's declaration,
#: and optionally one actual per row); optional columns in brackets.
RATING_SHEET = "Evaluator, Date, Question, Score, [Evidence], [Comment], [Organisation]"
KPI_SHEET = "KPI, Target, [Unit], [Direction], [Baseline], [Due], [Date], [Actual], [Note]"


def _table(path: Path) -> Table:
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xls"):
        return next(iter(read_xlsx(path).values()))
    return read_csv(path)


def _columns(table: Table, batch: Batch, wanted: dict[str, bool], layout: str) -> dict[str, str | None]:
    found = {name: table.column(name, *({"Organisation": ["Organization"], "KPI": ["Name"]}.get(name, [])))
             for name in wanted}
    for name, required in wanted.items():
        if required and found[name] is None:
            batch.problems.append(Origin(table.file, table.sheet, 1).problem(
                f"the column {name} is missing", column=name, hint=f"the header needs: {layout}"))
    return found


def read_ratings(path: Path, partnership: str) -> Batch:
    """Assessments and ratings of the partnership named ``partnership`` (which must be in the atlas)."""
    table = _table(path)
    batch = Batch()
    cols = _columns(table, batch, {"Evaluator": True, "Date": True, "Question": True, "Score": True,
                                   "Evidence": False, "Comment": False, "Organisation": False}, RATING_SHEET)
    if batch.problems:
        return batch
    pid = batch.lookup("partnership", partnership, Origin(table.file, table.sheet))
    assessments: dict[tuple[str, str], int] = {}
    for row, values in table.rows:
        origin = Origin(table.file, table.sheet, row)
        text = {k: cell_text(values[c]) if c else "" for k, c in cols.items()}
        key = (text["Evaluator"], text["Date"][:10])
        if key not in assessments:
            data = {"partnership_id": pid, "evaluator": key[0], "date": key[1] or None}
            if text["Organisation"]:
                data["evaluator_organization_id"] = batch.lookup("organization", text["Organisation"], origin)
            record = batch.build(Assessment, data, origin, {"evaluator": "Evaluator", "date": "Date",
                                                            "evaluator_organization_id": "Organisation"})
            if record is None:
                continue
            assessments[key] = batch.add(record, origin)
        record = batch.build(Rating, {"assessment_id": assessments[key], "question": text["Question"],
                                      "score": text["Score"] or None, "evidence": text["Evidence"] or None,
                                      "comment": text["Comment"] or None}, origin,
                             {"question": "Question", "score": "Score"})
        if record is not None:
            batch.add(record, origin)
    return batch


def read_kpis(path: Path, partnership: str) -> Batch:
    """KPIs of the partnership named ``partnership`` and their actuals (rows with a Date and an Actual)."""
    table = _table(path)
    batch = Batch()
    cols = _columns(table, batch, {"KPI": True, "Target": True, "Unit": False, "Direction": False,
                                   "Baseline": False, "Due": False, "Date": False, "Actual": False, "Note": False},
                    KPI_SHEET)
    if batch.problems:
        return batch
    pid = batch.lookup("partnership", partnership, Origin(table.file, table.sheet))
    kpis: dict[str, int] = {}
    names = {"name": "KPI", "target": "Target", "unit": "Unit", "direction": "Direction", "baseline": "Baseline",
             "due_date": "Due", "date": "Date", "value": "Actual", "note": "Note"}
    for row, values in table.rows:
        origin = Origin(table.file, table.sheet, row)
        text = {k: cell_text(values[c]) if c else "" for k, c in cols.items()}
        name = text["KPI"]
        if name.casefold() not in kpis:
            data = {"partnership_id": pid, "name": name, "target": text["Target"] or None,
                    "unit": text["Unit"] or None, "baseline": text["Baseline"] or None,
                    "due_date": text["Due"][:10] or None}
            if text["Direction"]:
                data["direction"] = text["Direction"]
            record = batch.build(Kpi, data, origin, names)
            if record is None:
                continue
            kpis[name.casefold()] = batch.add(record, origin)
        if text["Date"] or text["Actual"]:
            record = batch.build(KpiActual, {"kpi_id": kpis[name.casefold()], "date": text["Date"][:10] or None,
                                             "value": text["Actual"] or None, "note": text["Note"] or None},
                                 origin, names)
            if record is not None:
                batch.add(record, origin)
    return batch

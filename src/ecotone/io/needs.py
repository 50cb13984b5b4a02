"""Read a register of unmet clinical needs (CSV or .xlsx) into a batch to merge: one need a row, in Biodesign's
form (a way to PROBLEM in POPULATION in order to OUTCOME), naming its hub, the organisation and clinician who
raised it and the innovations that address it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..domain import ClinicalNeed
from ..domain.batch import Batch, Origin
from ._tabular import Table, cell_text, read_csv, read_xlsx

__all__ = ["NEED_COLUMNS", "NEED_SHEET", "NeedsFile", "read_needs"]

#: column → (need field, required); ``innovations`` holds names separated by ``;``.
NEED_COLUMNS: dict[str, tuple[str, bool]] = {
    "problem": ("problem", True), "population": ("population", True), "outcome": ("outcome", True),
    "clinical_area": ("clinical_area", False), "severity": ("severity", False),
    "prevalence": ("prevalence", False), "evidence": ("evidence", False), "status": ("status", False),
    "hub": ("hub_id", False), "raised_by": ("raised_by_id", False), "clinician": ("raised_by_person_id", False),
    "innovations": ("innovation_ids", False), "description": ("description", False),
}
NEED_SHEET = ("problem, population, outcome, [clinical_area], [severity], [prevalence], [evidence], [status], "
              "[hub], [raised_by], [clinician], [innovations], [description]")
#: columns naming records of the atlas, and the kind each names
_NAMES = {"hub": "hub", "raised_by": "organization", "clinician": "person", "innovations": "innovation"}


@dataclass
class NeedsFile:
    """The batch read from a needs file, and for each name it looks up (a batch-local id) the column it was in,
    so that a name the atlas does not hold is reported at its row and column."""

    batch: Batch
    columns: dict[tuple[str, int], str] = field(default_factory=dict)


def _table(path: Path) -> Table:
    """The CSV file, or the workbook's sheet of needs: the one whose header has problem, population and outcome
    (the first such sheet; the first sheet when none has, so that its missing columns are named)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        sheets = list(read_xlsx(path).values())
        required = [c for c, (_, needed) in NEED_COLUMNS.items() if needed]
        return next((t for t in sheets if all(t.column(c) for c in required)), sheets[0])
    return read_csv(path)


def read_needs(path: Path) -> NeedsFile:
    """The needs of a CSV or .xlsx file (its sheet with problem, population and outcome columns) as a batch; its problems name file, row and column.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "needs.csv"
    >>> _ = path.write_text("problem,population,outcome,severity,prevalence\\n"
    ...                     "detect sepsis early,adults in the ICU,reduce deaths,high,120\\n"
    ...                     "monitor heart failure at home,elderly patients,avoid readmissions,grave,-3\\n")
    >>> read = read_needs(path)
    >>> [(p.row, p.column, p.reason.split(":")[0]) for p in read.batch.problems]
    [(3, 'severity', "'grave' is not one of the choices"), (3, 'prevalence', 'must be at least 0')]
    """
    path = Path(path)
    table = _table(path)
    out = NeedsFile(Batch())
    batch = out.batch
    columns = {name: table.column(name, name.replace("_", " ")) for name in NEED_COLUMNS}
    for name, (_, required) in NEED_COLUMNS.items():
        if required and columns[name] is None:
            batch.problems.append(Origin(table.file, table.sheet, 1).problem(
                f"the column {name} is missing", column=name, hint=f"the header needs: {NEED_SHEET}"))
    if batch.problems:
        return out
    if not table.rows:
        batch.problems.append(Origin(table.file, table.sheet, 2).problem("the file holds no needs",
                                                                        hint=f"one need a row: {NEED_SHEET}"))
        return out
    shown = {NEED_COLUMNS[c][0]: columns[c] or c for c in NEED_COLUMNS}
    for row, values in table.rows:
        origin = Origin(table.file, table.sheet, row)
        text = {name: cell_text(values[col]) if col else "" for name, col in columns.items()}
        if not any(text.values()):
            continue
        data: dict[str, object] = {NEED_COLUMNS[c][0]: text[c] or None for c in NEED_COLUMNS if c not in _NAMES}
        for column, entity in _NAMES.items():
            names = [n.strip() for n in text[column].split(";") if n.strip()] if column == "innovations" \
                else [text[column]] if text[column] else []
            ids = []
            for name in names:
                local = batch.lookup(entity, name, origin)
                out.columns[(entity, local)] = columns[column] or column
                ids.append(local)
            field_name = NEED_COLUMNS[column][0]
            data[field_name] = ids if column == "innovations" else (ids[0] if ids else None)
        data = {k: v for k, v in data.items() if v is not None}
        record = batch.build(ClinicalNeed, data, origin, shown)
        if record is not None:
            batch.add(record, origin)
    return out

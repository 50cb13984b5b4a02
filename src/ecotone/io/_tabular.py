"""Read tables from CSV files (comma or semicolon, quoted) and .xlsx sheets, keeping row numbers for errors."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..domain.problems import InputRejected, Problem

__all__ = ["Table", "read_csv", "read_xlsx", "cell_text"]

csv.field_size_limit(16 * 1024 * 1024)


@dataclass
class Table:
    """A sheet or CSV file: its header and rows as dicts, each with the row number a spreadsheet shows."""

    file: str
    sheet: str | None
    header: list[str]
    rows: list[tuple[int, dict[str, Any]]]
    hidden_rows: frozenset[int] = frozenset()

    def column(self, *names: str) -> str | None:
        """The header cell matching the first of ``names`` that the header has (case and spacing ignored)."""
        for name in names:
            found = next((h for h in self.header if _norm(h) == _norm(name)), None)
            if found is not None:
                return found
        return None


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def cell_text(value: Any) -> str:
    """A cell as stripped text ('' for empty); whole floats lose their '.0'.

    Examples
    --------
    >>> cell_text(None), cell_text(2021.0), cell_text("  Kardio "), cell_text(1.5)
    ('', '2021', 'Kardio', '1.5')
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_csv(path: Path) -> Table:
    r"""Read a CSV file whose delimiter is ``;`` or ``,`` (guessed from the header line).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "organization.csv"
    >>> _ = path.write_text('"projectID";"name"\n"1";"TIME.LEX"\n\n"2";"CERTH"\n', encoding="utf-8")
    >>> table = read_csv(path)
    >>> table.header, [(n, r["name"]) for n, r in table.rows]
    (['projectID', 'name'], [(2, 'TIME.LEX'), (4, 'CERTH')])
    """
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputRejected([Problem(name, reason="file not found", hint="check the path")]) from None
    except IsADirectoryError:
        raise InputRejected([Problem(name, reason="is a folder, not a CSV file")]) from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputRejected([Problem(name, row=line, reason=f"is not UTF-8 text (byte {exc.start})",
                                     hint="save the file as CSV UTF-8")]) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
        rows = []
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            number = reader.line_num
            if len(record) > len(header):
                raise InputRejected([Problem(name, row=number, reason=f"has {len(record)} cells but the header has "
                                             f"{len(header)}", hint=f"check the quotes and the {delimiter!r} separators")])
            rows.append((number, dict(zip(header, record, strict=False))))
    except csv.Error as exc:
        raise InputRejected([Problem(name, row=reader.line_num, reason=f"is not valid CSV: {exc}",
                                     hint="check for an unclosed quote")]) from None
    if not header or not any(header):
        raise InputRejected([Problem(name, row=1, reason="has no header row", hint="the first row names the columns")])
    return Table(name, None, header, rows)


def read_xlsx(path: Path) -> dict[str, Table]:
    """Read every sheet of an .xlsx workbook; hidden rows are remembered so the import can say so."""
    import openpyxl

    name = str(path)
    if path.suffix.lower() == ".xls":
        raise InputRejected([Problem(name, reason="is an old Excel .xls file, which cannot be read",
                                     hint="open it in Excel or LibreOffice and save it as .xlsx")])
    try:
        book = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except FileNotFoundError:
        raise InputRejected([Problem(name, reason="file not found", hint="check the path")]) from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputRejected([Problem(name, reason=f"is not a readable .xlsx workbook ({exc.__class__.__name__})",
                                     hint="save it from Excel or LibreOffice as .xlsx")]) from None
    tables = {}
    for ws in book.worksheets:
        values = list(ws.iter_rows(values_only=True))
        if not values:
            tables[ws.title] = Table(name, ws.title, [], [])
            continue
        header = [cell_text(v) for v in values[0]]
        while header and not header[-1]:
            header.pop()
        rows = []
        for number, cells in enumerate(values[1:], start=2):
            if not any(cell_text(c) for c in cells):
                continue
            extra = [c for c in cells[len(header):] if cell_text(c)]
            if extra:
                raise InputRejected([Problem(name, ws.title, number, None,
                                             f"has values beyond the last named column ({len(header)})",
                                             "give the column a header or delete the values")])
            rows.append((number, {h: cells[i] if i < len(cells) else None for i, h in enumerate(header) if h}))
        hidden = frozenset(i for i, dim in ws.row_dimensions.items() if dim.hidden)
        tables[ws.title] = Table(name, ws.title, header, rows, hidden)
    book.close()
    return tables

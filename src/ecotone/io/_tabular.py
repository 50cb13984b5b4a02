"""Read tables from CSV files (comma or semicolon, quoted) and .xlsx sheets, keeping row numbers for errors."""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from xml.parsers import expat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..domain.problems import InputRejected, Problem
from ._cells import read_cell

__all__ = ["Table", "read_csv", "read_xlsx", "check_workbook", "cell_text", "MAX_UNPACKED", "MAX_CELLS"]

csv.field_size_limit(16 * 1024 * 1024)

#: The most a workbook may unpack to (its XML parts together): far above any real atlas's sheets, far below what
#: would exhaust a server's memory.
MAX_UNPACKED = 1 << 30
#: The most cells a sheet may span (rows × columns from A1 to its farthest cell): a million ties of 20 columns.
MAX_CELLS = 20_000_000
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the signature of .xls files (and of encrypted .xlsx)
_SAVE_AS_XLSX = "save it from Excel or LibreOffice as .xlsx"


@dataclass
class Table:
    """A sheet or CSV file: its header and rows as dicts, each with the row number a spreadsheet shows."""

    file: str
    sheet: str | None
    header: list[str]
    #: A list, or a one-pass iterator for a table read with ``stream`` (see :func:`read_csv`).
    rows: Iterable[tuple[int, dict[str, Any]]]
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


def read_csv(path: Path, *, stream: bool = False) -> Table:
    r"""Read a CSV file whose delimiter is ``;`` or ``,`` (guessed from the header line).

    The ``'`` that a safe export puts before a formula start (``'=``, ``'+``, ``'-``, ``'@``, a quote before a tab or
    a carriage return) is taken off: :func:`~ecotone.io._cells.read_cell`.

    With ``stream`` the rows are read as they are iterated, once: a large file read in one pass is never held
    whole as rows (the problems of a row, a broken quote, too many cells, are raised when that row is reached).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "organization.csv"
    >>> _ = path.write_text('"projectID";"name"\n"1";"TIME.LEX"\n\n"2";"CERTH"\n', encoding="utf-8")
    >>> table = read_csv(path)
    >>> table.header, [(n, r["name"]) for n, r in table.rows]
    (['projectID', 'name'], [(2, 'TIME.LEX'), (4, 'CERTH')])
    >>> _ = path.write_text('id,name\n1,"=1+1"\n2,"\'=1+1"\n3,"two\nlines"\n4,Bitgrit\n', encoding="utf-8")
    >>> [(n, r["name"]) for n, r in read_csv(path).rows]
    [(2, '=1+1'), (3, '=1+1'), (4, 'two\nlines'), (5, 'Bitgrit')]
    >>> streamed = read_csv(path, stream=True)
    >>> [n for n, _ in streamed.rows], list(streamed.rows)
    ([2, 3, 4, 5], [])
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
    if "\x00" in text:
        at = text.index("\x00")
        raise InputRejected([Problem(name, row=text.count("\n", 0, at) + 1, reason="holds a NUL character: it is a "
                                     "binary file, or text saved as UTF-16", hint="save the file as CSV UTF-8")])
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=True)
    del text
    try:
        header = [read_cell(h).strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise InputRejected([Problem(name, row=1, reason=f"is not valid CSV: {exc}",
                                     hint="check for an unclosed quote")]) from None
    if not header or not any(header):
        raise InputRejected([Problem(name, row=1, reason="has no header row", hint="the first row names the columns")])
    rows = _csv_rows(name, reader, header, delimiter)
    return Table(name, None, header, rows if stream else list(rows))


def _csv_rows(name: str, reader, header: list[str], delimiter: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows after the header, each as (the row number a spreadsheet shows, the row by column name)."""
    try:
        # Rows are counted as a spreadsheet shows them (the header is row 1, a blank line is a row), not as lines:
        # a cell holding a line break does not push the rows after it down.
        for number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            record = [read_cell(cell) for cell in record]  # the ' a safe export put before a formula start
            if len(record) > len(header):
                raise InputRejected([Problem(name, row=number, reason=f"has {len(record)} cells but the header has "
                                             f"{len(header)}", hint=f"check the quotes and the {delimiter!r} separators")])
            yield number, dict(zip(header, record, strict=False))
    except csv.Error as exc:
        raise InputRejected([Problem(name, row=reader.line_num, reason=f"is not valid CSV: {exc}",
                                     hint="check for an unclosed quote")]) from None


def check_workbook(path: Path, name: str | None = None, *, parse: bool = True) -> None:
    """Refuse at once a file that cannot be an .xlsx workbook, naming it ``name`` (its path by default): not a zip
    archive (random bytes, a truncated download, an old .xls), a zip without a workbook in it, one that would unpack
    to more than :data:`MAX_UNPACKED` bytes, and with ``parse`` one whose XML is broken or declares entities (an XML
    bomb). openpyxl may still find a workbook that passes damaged inside.

    The XML is only scanned (expat, no tree, no entity ever declared): far quicker than reading the workbook.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ecosystem.xlsx"
    >>> _ = path.write_bytes(b"Label,Type")
    >>> try:
    ...     check_workbook(path, "ecosystem.xlsx")
    ... except InputRejected as exc:
    ...     print(exc.problems[0])
    ecosystem.xlsx: is not a readable .xlsx workbook: it is not a zip archive, or it is damaged or cut short (save it from Excel or LibreOffice as .xlsx)
    """
    name = name or str(path)

    def rejected(reason: str, hint: str = _SAVE_AS_XLSX) -> InputRejected:
        return InputRejected([Problem(name, reason=reason, hint=hint)])

    try:
        with path.open("rb") as fh:
            start = fh.read(len(_OLE))
        if start == _OLE:
            raise rejected("is an old Excel .xls file (or an encrypted workbook), which cannot be read",
                           "open it in Excel or LibreOffice and save it as an unencrypted .xlsx")
        if not start:
            raise rejected("is empty, not an .xlsx workbook")
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or "_rels/.rels" not in names:
                raise rejected("is a zip archive but not an .xlsx workbook (it holds no [Content_Types].xml "
                               "and _rels/.rels)")
            unpacked = sum(m.file_size for m in members)
            if unpacked > MAX_UNPACKED:
                raise rejected(f"unpacks to {unpacked / 2**20:,.0f} MB, more than the {MAX_UNPACKED / 2**20:,.0f} "
                               "MB a workbook may hold", "split it into smaller workbooks, or import CSV files")
            if parse:
                main = _scan_xml(archive, "_rels/.rels", rejected)
                if main not in names:
                    raise rejected(f"is a damaged .xlsx workbook: its main part {main or '(none)'} is missing")
                for member in members:
                    if member.filename.endswith((".xml", ".rels")) and member.filename != "_rels/.rels":
                        _scan_xml(archive, member.filename, rejected)
    except FileNotFoundError:
        raise InputRejected([Problem(name, reason="file not found", hint="check the path")]) from None
    except IsADirectoryError:
        raise rejected("is a folder, not an .xlsx workbook", "give the workbook itself") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, ValueError, EOFError):
        raise rejected("is not a readable .xlsx workbook: it is not a zip archive, or it is damaged or cut short") from None


_OFFICE_DOCUMENT = "/officeDocument"


def _scan_xml(archive: zipfile.ZipFile, member: str, rejected) -> str | None:
    """Check that a part of a workbook is well-formed XML declaring no entity and no DTD; for the package's
    relationships, returns the workbook's main part."""
    main: list[str] = []

    def forbidden(*_: object) -> None:
        raise rejected(f"holds XML entity declarations (in {member}), which are refused: a workbook has no need "
                       "of them, and they can expand without end (an XML bomb)")

    def start(tag: str, attrs: dict[str, str]) -> None:
        if member == "_rels/.rels" and tag.endswith("Relationship") and attrs.get("Type", "").endswith(_OFFICE_DOCUMENT):
            main.append(attrs.get("Target", "").lstrip("/"))

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = forbidden
    parser.EntityDeclHandler = forbidden
    parser.StartElementHandler = start
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        with archive.open(member) as fh:
            parser.ParseFile(fh)
    except expat.ExpatError as exc:
        raise rejected(f"is a damaged .xlsx workbook: its part {member} is not well-formed XML "
                       f"({expat.ErrorString(exc.code)}, line {exc.lineno})") from None
    return main[0] if main else None


def _unreadable(name: str, exc: BaseException) -> Problem:
    """The problem of a workbook openpyxl could not load, said for its owner rather than for a programmer."""
    causes, seen = [], exc
    while seen is not None and len(causes) < 10:  # openpyxl wraps what the XML parser said
        causes.append(seen)
        seen = seen.__cause__ or seen.__context__
    for cause in causes:
        kind, text = type(cause).__name__, str(cause).lower()
        if kind in ("EntitiesForbidden", "DTDForbidden", "ExternalReferenceForbidden") or "entity" in text \
                or "amplification" in text:
            return Problem(name, reason="holds XML entity declarations, which are refused: a workbook has no need "
                           "of them, and they can expand without end (an XML bomb)", hint=_SAVE_AS_XLSX)
    kind = type(exc).__name__
    return Problem(name, reason=f"is not a readable .xlsx workbook ({kind}: {' '.join(str(exc).split())[:200]})",
                   hint=_SAVE_AS_XLSX)


def read_xlsx(path: Path) -> dict[str, Table]:
    """Read every sheet of an .xlsx workbook; hidden rows are remembered so the import can say so.

    As in CSV files, one ``'`` before a formula start is taken off (:func:`~ecotone.io._cells.read_cell`): a
    workbook saved from a safe CSV export holds it.

    Workbooks are parsed with defusedxml (openpyxl uses it when it is installed): entity declarations are refused.
    """
    import openpyxl
    from openpyxl.utils import get_column_letter

    name = str(path)
    if path.suffix.lower() == ".xls":
        raise InputRejected([Problem(name, reason="is an old Excel .xls file, which cannot be read",
                                     hint="open it in Excel or LibreOffice and save it as .xlsx")])
    check_workbook(path, parse=False)  # openpyxl parses the XML itself, through defusedxml
    try:
        book = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except FileNotFoundError:
        raise InputRejected([Problem(name, reason="file not found", hint="check the path")]) from None
    except MemoryError:
        raise InputRejected([Problem(name, reason="is too large to read in memory",
                                     hint="split it into smaller workbooks, or import CSV files")]) from None
    except Exception as exc:  # noqa: BLE001 - whatever openpyxl trips on inside a user's file, it is the file
        raise InputRejected([_unreadable(name, exc)]) from None
    for ws in book.worksheets:
        if ws.max_row * ws.max_column > MAX_CELLS:
            far = f"{get_column_letter(ws.max_column)}{ws.max_row}"
            raise InputRejected([Problem(name, ws.title, reason=f"has cells as far as {far} ({ws.max_row:,} rows "
                                         f"by {ws.max_column:,} columns), more than the {MAX_CELLS:,} cells a sheet "
                                         "may span", hint="delete the stray cells far from the table")])
    tables = {}
    for ws in book.worksheets:
        values = list(ws.iter_rows(values_only=True))
        if not values:
            tables[ws.title] = Table(name, ws.title, [], [])
            continue
        header = [cell_text(read_cell(v)) for v in values[0]]
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
            # As in CSV files, the ' that a safe export puts before a formula start is not part of the value.
            rows.append((number, {h: read_cell(cells[i]) if i < len(cells) else None
                                  for i, h in enumerate(header) if h}))
        hidden = frozenset(i for i, dim in ws.row_dimensions.items() if dim.hidden)
        tables[ws.title] = Table(name, ws.title, header, rows, hidden)
    book.close()
    return tables

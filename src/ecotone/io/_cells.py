"""Safe spreadsheet cells: text a spreadsheet would run as a formula is written as text, and read back unchanged."""

from __future__ import annotations

import re
from typing import IO, Any

__all__ = ["FORMULA_STARTS", "safe_cell", "xlsx_cell", "read_cell", "CsvWriter"]

#: The first characters that make Excel or LibreOffice run a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FIRST = "'=+-@\t\r"  # a cheap look at the first character before the pattern
# Text that needs the mark: a formula start, possibly behind quotes already (so "'=x" itself survives the trip).
_NEEDS_MARK = re.compile(r"'*[=+\-@\t\r]")
# Text that carries the mark: one quote (ours) before what would be a formula.
_MARKED = re.compile(r"'+[=+\-@\t\r]")
# What makes a CSV field quoted: the writer's own needs, and the separators spreadsheets use in other locales
# (a `;` would otherwise start a new cell, and a formula with it, in a Spanish or Polish Excel).
_QUOTED = re.compile(r'[",;\t\r\n]')


def safe_cell(value: Any) -> Any:
    r"""A value as a CSV cell a spreadsheet will not run: text starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading ``'`` (OWASP's rule); numbers and everything else stay as they are.

    Text already starting with quotes before such a character gets one more, so that :func:`read_cell`, which
    takes exactly one off, gives back every value unchanged.

    Examples
    --------
    >>> safe_cell('=HYPERLINK("http://evil","x")'), safe_cell("-2+3"), safe_cell("@cmd"), safe_cell("\tx")
    ('\'=HYPERLINK("http://evil","x")', "'-2+3", "'@cmd", "'\tx")
    >>> safe_cell(-3.5), safe_cell("Kardio Labs"), safe_cell("'=x"), safe_cell("it's"), safe_cell(None)
    (-3.5, 'Kardio Labs', "''=x", "it's", None)
    >>> all(read_cell(safe_cell(v)) == v for v in ("=1", "'=1", "''+1", "'", "", "a=b", -1))
    True
    """
    if isinstance(value, str) and value[:1] in _FIRST and _NEEDS_MARK.match(value):
        return "'" + value
    return value


def read_cell(value: Any) -> Any:
    r"""A cell as read from a CSV file or a workbook, without the ``'`` a safe export put before a formula start.

    Exactly one quote is taken off, and only before ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    (behind any further quotes): ``'it's`` and ``'Hara`` stay as they are.

    Examples
    --------
    >>> read_cell("'=SUM(A1)"), read_cell("'-2+3"), read_cell("''=x"), read_cell("'Hara"), read_cell(-3.5)
    ('=SUM(A1)', '-2+3', "'=x", "'Hara", -3.5)
    """
    if isinstance(value, str) and value.startswith("'") and _MARKED.match(value):
        return value[1:]
    return value


def xlsx_cell(sheet: Any, value: Any) -> Any:
    r"""A value ready for ``sheet.append``: text that openpyxl or a spreadsheet would take for a formula becomes a
    cell of type string, kept as the text it is, without a prefix.

    openpyxl turns any text starting with ``=`` into a formula; a cell typed as a string (``t="inlineStr"``) is shown
    and read back as the text. Only text already starting with a quote before a formula start gets one more, so that
    the importers, which take one such quote off (a workbook saved from our CSV files has it), give it back whole.

    Examples
    --------
    >>> import openpyxl
    >>> sheet = openpyxl.Workbook(write_only=True).create_sheet("Elements")
    >>> cell = xlsx_cell(sheet, '=HYPERLINK("http://evil","x")')
    >>> cell.value, cell.data_type
    ('=HYPERLINK("http://evil","x")', 's')
    >>> xlsx_cell(sheet, -3.5), xlsx_cell(sheet, "Kardio Labs"), xlsx_cell(sheet, "'=x").value
    (-3.5, 'Kardio Labs', "''=x")
    """
    if not (isinstance(value, str) and value[:1] in _FIRST and _NEEDS_MARK.match(value)):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value="'" + value if value.startswith("'") else value)
    cell.data_type = "s"
    return cell


class CsvWriter:
    r"""Write rows of cells as CSV (comma-separated, ``\r\n`` line ends, like :func:`csv.writer`) that a spreadsheet
    opens without running anything: every text cell goes through :func:`safe_cell`, and a cell is quoted when it
    holds a quote, a separator (``,``, or the ``;`` and tab of other locales' spreadsheets) or a line break, or when
    :func:`safe_cell` marked it.

    Examples
    --------
    >>> import io, csv
    >>> out = io.StringIO()
    >>> writer = CsvWriter(out)
    >>> writer.writerow(["name", "latitude", "note"])
    >>> writer.writerow(["=1+1", -3.5, "a;=2+2"])
    >>> writer.writerow([None, 2021, 'the "Hub" team'])
    >>> print(*out.getvalue().split("\r\n"), sep="\n", end="")
    name,latitude,note
    "'=1+1",-3.5,"a;=2+2"
    ,2021,"the ""Hub"" team"
    >>> [[read_cell(c) for c in row] for row in csv.reader(io.StringIO(out.getvalue()))][1]
    ['=1+1', '-3.5', 'a;=2+2']
    """

    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh

    def writerow(self, cells: list[Any]) -> None:
        """Write one row."""
        fields = [self._field(c) for c in cells]
        if fields == [""]:
            fields = ['""']  # a row of one empty cell is not a blank line
        self.fh.write(",".join(fields) + "\r\n")

    @staticmethod
    def _field(value: Any) -> str:
        if value is None:
            return ""
        safe = safe_cell(value)
        text = str(safe)
        if safe is not value or _QUOTED.search(text):
            return '"' + text.replace('"', '""') + '"'
        return text

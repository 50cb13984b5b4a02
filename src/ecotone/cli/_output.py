"""Print results as a table, JSON or CSV; show progress; report errors without tracebacks."""

from __future__ import annotations

import datetime as dt
import enum
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from ..domain.problems import Problem

__all__ = ["Format", "console", "errors", "emit", "emit_record", "progress_bar", "show_problems"]

# Piped into a file or another program, tables keep their columns and messages their lines (no 80-column wrap).
console = Console() if sys.stdout.isatty() else Console(width=200)
errors = Console(stderr=True, soft_wrap=True)


class Format(str, enum.Enum):
    """How a command prints its result."""

    table = "table"
    json = "json"
    csv = "csv"


def _shown(value: Any) -> str:
    """A cell as a terminal table shows it: floats to four significant digits, large ones with separators, yes
    and no for booleans, a mapping as its pairs in words (``clinical impact 3, team 1``)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_shown(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "; ".join(" ".join(_shown(x) for x in v.values() if x not in (None, "")) for v in value)
    if isinstance(value, list):  # a list in words; CSV keeps the | a spreadsheet splits on
        return ", ".join(_shown(v) for v in value)
    return str(_plain(value))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return value


def emit(rows: Sequence[dict[str, Any]], fmt: Format, *, title: str | None = None, footer: str | None = None,
         table_columns: Sequence[str] | None = None) -> None:
    """Print rows (all with the same keys) in the chosen format; the footer goes to stderr outside tables.

    ``table_columns`` narrows what a terminal table shows; JSON and CSV always carry every column. In CSV, text a
    spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return first) gets a leading ``'``.
    """
    if fmt is Format.json:
        sys.stdout.write(json.dumps(list(rows), ensure_ascii=False, indent=2, default=str) + "\n")
    elif fmt is Format.csv:
        from ..io._cells import CsvWriter

        out = CsvWriter(sys.stdout)  # text a spreadsheet would run as a formula is marked with a 
        if rows:
            out.writerow(list(rows[0]))
            for row in rows:
                out.writerow(["" if v is None else _plain(v) for v in row.values()])
    else:
        from rich.table import Table

        table = Table(title=title, header_style="bold", show_lines=False)
        columns = list(table_columns or (rows[0] if rows else []))
        for col in columns:
            widest = max((len(_shown(r[col])) for r in rows), default=0)
            numeric = _numeric(rows, col)
            # Names keep a readable width; numbers give way first when the terminal is narrow.
            table.add_column(col.replace("_", " "), overflow="fold", no_wrap=widest <= 12 and not numeric,
                             justify="right" if numeric else "left",
                             min_width=None if numeric else min(widest, 14))
        for row in rows:
            table.add_row(*["" if row[c] is None else escape(_shown(row[c])) for c in columns])
        if rows:
            console.print(table)
        else:
            console.print("[dim]nothing to show[/dim]")
    if footer:
        (console if fmt is Format.table else errors).print(f"[dim]{footer}[/dim]")


def _numeric(rows: Sequence[dict[str, Any]], col: str) -> bool:
    return all(isinstance(r[col], int | float) and not isinstance(r[col], bool) for r in rows if r[col] is not None)


def emit_record(record: dict[str, Any], fmt: Format, *, title: str | None = None) -> None:
    """Print one record: a two-column table, a JSON object, or field,value CSV rows."""
    if fmt is Format.json:
        sys.stdout.write(json.dumps(record, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    if fmt is Format.csv:
        emit([{"field": k, "value": _plain(v)} for k, v in record.items()], fmt, title=title)
        return
    emit([{"field": k.replace("_", " "), "value": "" if v is None else _shown(v)} for k, v in record.items()], fmt,
         title=title)


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback ``(task, done, total)`` drawing rich bars on stderr (silent when not a terminal)."""
    if not enabled or not errors.is_terminal:
        yield lambda task, done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=errors, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(task: str, done: int, total: int) -> None:
            if task not in tasks:
                tasks[task] = bar.add_task(task, total=total)
            bar.update(tasks[task], completed=done, total=total)

        yield update


def show_problems(problems: Sequence[Problem], fmt: Format, *, limit: int = 50) -> None:
    """Print the problems of a rejected input (all of them in JSON/CSV, the first ``limit`` in a table)."""
    # in the file's order: by file, sheet and row (a problem without a row first), each row's as found
    problems = sorted(problems, key=lambda p: (p.file or "", p.sheet or "", p.row or 0))
    rows = [p.as_dict() for p in problems]
    if fmt is Format.table and (len(problems) == 1 or not any(p.file or p.row for p in problems)):
        for p in problems:  # a command's own arguments, or a file's one problem: one line each
            located = p.file or p.row
            errors.print("[red]error:[/red] " + escape(str(p) if located else (
                f"{p.column + ': ' if p.column else ''}{p.reason}" + (f" ({p.hint})" if p.hint else ""))))
        if any(p.file or p.row for p in problems):
            errors.print("nothing was written")
        return
    if fmt is Format.table:
        from rich.table import Table

        table = Table(title=f"{len(problems)} problem(s); nothing was written", title_style="bold red",
                      header_style="bold")
        for col in ("file", "sheet", "row", "column", "reason", "hint"):
            table.add_column(col, overflow="fold")
        for row in rows[:limit]:
            table.add_row(*["" if row[c] is None else escape(str(row[c])) for c in ("file", "sheet", "row",
                                                                                    "column", "reason", "hint")])
        errors.print(table)
        if len(rows) > limit:
            errors.print(f"[dim]… and {len(rows) - limit} more; see them all with --format csv or --format json[/dim]")
    else:
        emit(rows, fmt)

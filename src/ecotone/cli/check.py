"""The ``ecotone check`` command: the registry's own checks, printed like a linter's findings, each with its fix."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Annotated, Optional

import typer

from ._output import Format, console, emit, errors
from .app import FormatOpt, _atlas, app

__all__ = ["check"]

#: The exit codes, as linters (ruff, flake8, ESLint, ShellCheck) use them.
CLEAN, FOUND, FAILED = 0, 1, 2
#: The checks ``--kind`` names: the keys of ``ecotone.services.check.KINDS``, named here so that the command line
#: starts without pandas (tests/test_cli.py checks the two agree).
KINDS = ("no_hub", "no_type_evidence", "dangling_reference", "contact_without_consent", "orphaned_innovation",
         "no_stage_history", "stage_mismatch")


@app.command("check")
def check(
    ctx: typer.Context,
    kind: Annotated[Optional[list[str]], typer.Option(
        "--kind", help=f"Only this check (repeatable): {', '.join(KINDS)}.")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", min=0, help="Findings a table shows (0: all); JSON and CSV carry every one.")] = 100,
    exit_zero: Annotated[bool, typer.Option(
        "--exit-zero", help="Exit 0 even when something is found (a report in CI that must not fail the build).")]
    = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Check the registry and list the records to look at, each with the problem in plain words and the command
    or page that fixes it: organisations without a hub, or whose type nothing supports (typed 'other'; neither a
    source nor an external id; an SME sized large); records naming records that do not exist (owners, a deal's
    investors, a partnership's organisations); people whose e-mail is kept without consent; innovations whose
    organisation is gone, with no stage events, or at a stage their latest event does not say. Only what you may
    see is checked. Likely duplicate names are `ecotone dedupe`'s.

    Exit code, as linters: 0 when nothing is found, 1 when something is, 2 when the check could not run (no
    atlas, an unknown --kind).

    Example: `ecotone check`; `ecotone check --kind dangling_reference --format json > dangling.json`;
    `ecotone check --format csv --exit-zero > registry-report.csv`
    """
    from ..services.check import DEDUPE_HINT, Finding, check_atlas
    from ..store import AtlasError

    try:
        with _atlas(ctx) as atlas:
            found = check_atlas(atlas, kinds=kind)
    except AtlasError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(FAILED) from None
    rows = [f.as_dict() for f in found]
    if fmt is Format.table:
        _table(rows, limit)
    elif fmt is Format.csv and not rows:
        sys.stdout.write(",".join(Finding.__dataclass_fields__) + "\n")  # the header still says what the columns are
    else:
        emit(rows, fmt)
    (console if fmt is Format.table else errors).print(f"[dim]{DEDUPE_HINT}[/dim]")
    raise typer.Exit(FOUND if found and not exit_zero else CLEAN)


def _table(rows: list[dict], limit: int) -> None:
    from ..services.check import KINDS

    if not rows:
        console.print("[green]nothing to look at[/green]: every check passed")
        return
    counts = Counter(r["kind"] for r in rows)
    emit([{"check": k, "findings": counts[k], "what it means": KINDS[k]} for k in KINDS if counts[k]], Format.table,
         title=f"{len(rows)} finding(s)")
    shown = rows if limit == 0 else rows[:limit]
    more = len(rows) - len(shown)
    emit(shown, Format.table, title="Records to look at",
         footer=f"… and {more} more: --limit 0 shows all, --kind narrows, --format csv or json carries every one"
         if more else None)

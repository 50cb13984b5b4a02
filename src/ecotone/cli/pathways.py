"""The ``ecotone pathways`` commands: list the regulatory pathways' months, import a hub's overrides, reset them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._output import Format, console, emit
from .app import DryRun, FormatOpt, _run, _show, pathways_app

__all__ = ["pathways_app"]


_LIST = ("pathway", "region", "low", "typical", "high", "overridden", "assumption", "source")


@pathways_app.command("list")
def pathways_list(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Every pathway with its months (low, typical, high), whether your hub overrode it, and where the figure
    comes from (JSON and CSV also carry the link).

    Examples: `ecotone pathways list`; `ecotone pathways list --format csv > pathways.csv`, then edit the months
    and sources of the pathways you know better (an unedited row is no override; the other columns are ignored)
    and `ecotone pathways import pathways.csv --dry-run`
    """
    from ..services import pathways

    result = _run(ctx, lambda atlas, p: pathways.list_pathways(atlas), fmt)
    _show(result, fmt, None, {"pathways": _LIST}, {"pathways": "Regulatory pathways (months to a decision)"})


@pathways_app.command("import")
def pathways_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with columns pathway, low, typical, high, source (months), "
                                               "optionally url: what `ecotone pathways list --format csv` writes.")],
    dry_run: DryRun = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Replace your hub's overrides with the rows of FILE: one row per pathway, months low ≤ typical ≤ high, and
    a source (a report, a link, "our 2024 submissions"). A name the table knows (or an alias such as 510k,
    DiGA, PMA) overrides it; a new name adds a pathway. All or nothing: a file with any problem (named by row
    and column) changes nothing; importing the same file again changes nothing. The simulation uses the
    overrides from then on. The list exported with `ecotone pathways list --format csv` imports as it is: a row
    left with the published figures is no override, and its other columns (region, authority…) are ignored.

    Example: `ecotone pathways import our-pathways.csv --dry-run`, with our-pathways.csv:

        pathway,low,typical,high,source
        CE (MDR) class IIa,9,14,20,our notified body's last three certificates (2024)
        510k,4,6,12,https://example.org/our-510k-review-log
    """
    from ..services import pathways

    result = _run(ctx, lambda atlas, p: pathways.import_pathways(atlas, file, dry_run=dry_run), fmt)
    if fmt is Format.table:
        emit(result.tables["overrides"], fmt,
             title="Dry run: nothing was written" if dry_run else "Overrides of the regulatory pathways",
             table_columns=("pathway", "low", "typical", "high", "change"))
        console.print(f"{result.summary['changed']} changed; kept in {result.summary['overrides_file']}")
    else:
        _show(result, fmt, "overrides" if fmt is Format.csv else None, {}, {})


@pathways_app.command("reset")
def pathways_reset(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Drop your hub's overrides: every pathway goes back to its published figures (the reset is logged).

    Example: `ecotone pathways reset`
    """
    from ..services import pathways

    result = _run(ctx, lambda atlas, p: pathways.reset_pathways(atlas), fmt)
    if fmt is Format.table:
        removed = result.summary["removed"]
        console.print(f"Removed {removed} override{'s' if removed != 1 else ''}; the published figures apply."
                      if removed else "No overrides were kept; the published figures apply.")
    else:
        _show(result, fmt, None, {}, {})

"""The ``ecotone dedupe`` command: likely duplicate organisations across the atlas, and merging a pair."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ._output import Format, console, emit, emit_record, errors
from .app import FormatOpt, _atlas, app

__all__ = ["dedupe_command"]

COLUMNS = ["score", "a_id", "a_name", "a_hub", "b_id", "b_name", "b_hub", "reason"]


@app.command("dedupe")
def dedupe_command(
    ctx: typer.Context,
    merge: Annotated[Optional[tuple[str, str]], typer.Option(
        "--merge", metavar="SURVIVOR LOSER",
        help="Merge LOSER into SURVIVOR (ids or names): what names the loser names the survivor, the survivor's "
             "empty fields are filled from it, then it is deleted.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Merge without asking for confirmation.")] = False,
    min_score: Annotated[float, typer.Option("--min-score", min=0, max=100,
                                             help="The least name similarity (0–100) that makes a pair.")] = 90.0,
    limit: Annotated[int, typer.Option(help="How many pairs to show, best first.", min=1)] = 100,
    fmt: FormatOpt = Format.table,
) -> None:
    """Likely duplicate organisations: alike names (case, accents, punctuation and legal suffixes aside), the
    same website or the same external id; each pair with a score (0–100) and the reason. With --merge, merge a
    pair in one transaction, recorded in the audit trail.

    Example: `ecotone dedupe --format csv > pairs.csv`; `ecotone dedupe --merge 6 227 --yes`
    """
    from ..services import dedupe

    with _atlas(ctx) as atlas:
        if merge is None:
            pairs = dedupe.find_duplicates(atlas, min_score=min_score)
            emit(pairs[:limit], fmt, title="Likely duplicates", table_columns=COLUMNS,
                 footer=f"{min(limit, len(pairs)):,} of {len(pairs):,} pairs shown; merge one with: "
                        "ecotone dedupe --merge SURVIVOR LOSER")
            return
        survivor, loser = merge
        if not yes:
            preview = dedupe.merge_organizations(atlas, survivor, loser, dry_run=True)
            errors.print(preview["summary"])
            if not typer.confirm("Merge them? The loser is deleted"):
                raise typer.Exit(1)
        report = dedupe.merge_organizations(atlas, survivor, loser)
    if fmt is Format.table:
        console.print(report["summary"])
        console.print(f"[dim]change set {report['change_set']}; the history of organization:"
                      f"{report['survivor']['id']} now holds the loser's[/dim]")
    elif fmt is Format.json:
        emit_record(report, fmt)
    else:
        emit([{"survivor_id": report["survivor"]["id"], "survivor": report["survivor"]["name"],
               "loser_id": report["loser"]["id"], "loser": report["loser"]["name"],
               "moved": "; ".join(f"{k}: {v}" for k, v in report["moved"].items()),
               "dropped": "; ".join(f"{k}: {v}" for k, v in report["dropped"].items()),
               "filled": report["filled"], "accounts": report["accounts"], "change_set": report["change_set"]}],
             fmt)

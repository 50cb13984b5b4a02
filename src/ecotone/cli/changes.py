"""The ``ecotone changes`` command: the audit trail, the revert of one change and the undoing of an import."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from ._output import Format, console, emit, emit_record
from .app import FormatOpt, _atlas, app

__all__ = ["changes_"]


@app.command("changes")
def changes_(
    ctx: typer.Context,
    record: Annotated[Optional[str], typer.Option(help="One record's history: KIND:ID, e.g. organization:12.")] = None,
    user: Annotated[Optional[str], typer.Option(help="Changes made by this e-mail (or cli).")] = None,
    since: Annotated[Optional[str], typer.Option(help="On or after this day (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.", min=1)] = 50,
    revert: Annotated[Optional[int], typer.Option(
        "--revert", metavar="ID", help="Undo the change with this id (a deletion comes back with all it took); "
                                       "the revert is a change of its own.")] = None,
    undo_import: Annotated[Optional[str], typer.Option(
        "--undo-import", metavar="CHANGE_SET", help="Undo a whole import (or any change set): what it created goes, "
                                                    "what it changed gets its values back.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Revert or undo without asking for confirmation.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """The audit trail: who changed what, when, through what (cli, api, web), with the fields before and after and
    the change set each belongs to (an import, a deletion with what went with it); revert one change, or undo a
    whole import.

    Example: `ecotone changes --record organization:12`; `ecotone changes --user ana@bcnhealthhub.org --since 2026-12-01`;
    `ecotone changes --revert 1342`; `ecotone changes --undo-import 5f0c…` (the id the import report gives)
    """
    from ..services import changes

    if revert is not None or undo_import is not None:
        _undo(ctx, revert, undo_import, yes, fmt)
        return
    with _atlas(ctx) as atlas:
        found = changes.list_changes(atlas, record=record, user=user, since=since, limit=limit)
    if fmt is Format.json:
        print(json.dumps(found["data"], ensure_ascii=False, indent=2))
        return
    rows = [{"id": c["id"], "at": c["at"][:19], "actor": c["actor"], "via": c["via"],
             "action": c["action"], "record": c["record"], "fields": _fields(c, fmt is Format.table),
             "note": c["note"] or "", "change_set": c["change_set"] or ""} for c in found["data"]]
    emit(rows, fmt, title="Changes", footer=f"{len(rows)} of {found['count']:,} shown")


def _undo(ctx: typer.Context, revert: int | None, change_set: str | None, yes: bool, fmt: Format) -> None:
    """Revert one change or undo a change set, after asking."""
    from ..services import changes
    from ..store import AtlasError

    if revert is not None and change_set is not None:
        raise AtlasError("give --revert ID or --undo-import CHANGE_SET, not both")
    question = (f"Revert change {revert}: its record gets back what it had before (a deletion, all it took)?"
                if revert is not None else
                f"Undo change set {change_set}: every record it created is deleted, every record it changed or "
                "deleted gets its values back?")
    if not yes and not typer.confirm(question):
        console.print("Nothing was changed.")
        raise typer.Exit(1)
    with _atlas(ctx) as atlas:
        result = (changes.revert_change(atlas, revert) if revert is not None
                  else changes.undo_change_set(atlas, change_set))
    if fmt is Format.table:
        console.print(result["summary"])
    else:
        emit_record(result, fmt)


def _fields(change: dict, short: bool) -> str:
    if change["erased"]:
        return "(erased on request)"
    if change["action"] == "update":
        return "; ".join(f"{k}: {change['before'].get(k)!r} → {v!r}" for k, v in change["after"].items())
    names = ", ".join(sorted((change["after"] or change["before"]).keys() - {"id"}))
    return names[:120] + "…" if short and len(names) > 120 else names

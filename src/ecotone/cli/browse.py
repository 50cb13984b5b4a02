"""The ``ecotone hubs`` and ``ecotone stats`` commands: the hubs, and who is where."""

from __future__ import annotations

import typer

from ._output import Format, emit
from .app import FormatOpt, _atlas, app

__all__ = ["hubs", "stats"]


@app.command()
def hubs(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """List the hubs with their organisations and the ties inside them and across to other hubs."""
    from ..services import browse

    with _atlas(ctx) as atlas:
        emit(browse.hub_table(atlas), fmt, title="Hubs",
             table_columns=("id", "name", "kind", "country", "organizations", "ties_inside", "ties_across"))


@app.command()
def stats(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Count organisations per hub and stakeholder type: who is where, and which core roles a hub lacks.

    The table lists each hub's types and missing roles; `--format csv` or `json` gives the full hub × type matrix.
    """
    from ..services import browse

    with _atlas(ctx) as atlas:
        rows = browse.coverage_table(atlas)
    if fmt is Format.table:
        rows = browse.coverage_summary(rows)
    emit(rows, fmt, title="Organisations per hub and stakeholder type")

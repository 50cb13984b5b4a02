"""The ``ecotone share`` command: a hub's records marked ``network`` shared with another hub's members."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ._output import Format, console, emit
from .app import FormatOpt, _atlas, app

__all__ = ["share"]


@app.command()
def share(
    ctx: typer.Context,
    hub: Annotated[Optional[str], typer.Argument(help="The hub whose network records are shared.")] = None,
    with_hub: Annotated[Optional[str], typer.Option("--with", help="The hub whose members may see them.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List who shares with whom (of HUB, or all).")] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help="Withdraw HUB's grant to --with.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Share a hub's records marked `network` with another hub's members, list the grants, or withdraw one.

    Example: `ecotone share 'Medical Innovation Institute' --with 'Barcelona Health Hub'`;
    `ecotone share --list`; `ecotone share 'Medical Innovation Institute' --with Barcelona --revoke`
    """
    from ..services import accounts
    from ..store import AtlasError

    with _atlas(ctx) as atlas:
        if list_:
            emit(accounts.shares(atlas, hub), fmt, title="Hubs sharing their network records")
            return
        if not hub or not with_hub:
            raise AtlasError("name the hub and the one to share with: ecotone share HUB --with OTHER "
                             "(or ecotone share --list)")
        result = accounts.unshare(atlas, hub, with_hub) if revoke else accounts.share(atlas, hub, with_hub)
    if fmt is Format.table:
        verb = "no longer shares" if revoke else ("now shares" if result["shared"] else "already shares")
        console.print(f"{result['hub']} {verb} its network records with {result['with']}.")
    else:
        emit([result], fmt)

"""The ``ecotone serve`` command: the web application and the REST API on this machine."""

from __future__ import annotations

from typing import Annotated

import typer

from ._output import console, errors
from .app import _atlas, app

__all__ = ["serve", "start_server"]

LOCAL = {"127.0.0.1", "localhost", "::1"}


def start_server(ctx: typer.Context, host: str, port: int) -> None:
    """Serve the atlas of this command line until Ctrl+C."""
    import uvicorn

    from ..api import create_app

    if host not in LOCAL:
        errors.print(f"[yellow]warning:[/yellow] listening on {host} makes the atlas readable and writable by "
                     "anyone who can reach this machine: Ecotone has no access control yet. Use 127.0.0.1 unless "
                     "the network is yours alone.")
    atlas = _atlas(ctx)
    console.print(f"Ecotone serves {atlas.url} at [bold]http://{'127.0.0.1' if host in LOCAL else host}:{port}[/bold]"
                  f" (API docs at /docs). Stop it with Ctrl+C.")
    uvicorn.run(create_app(atlas=atlas), host=host, port=port, log_level="warning")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on; 127.0.0.1 keeps it to this machine.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Open the atlas in the browser: the ecosystem map, hub dashboards, stakeholder map, actor pages,
    partnerships, brokerage events, scenarios and the import wizard, on the REST API (/api/v1, documented at
    /docs). Binds to 127.0.0.1 unless told otherwise: there is no access control yet.

    Example: `ecotone serve` then open http://127.0.0.1:8000
    """
    start_server(ctx, host, port)

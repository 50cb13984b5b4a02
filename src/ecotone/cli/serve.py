"""The ``ecotone serve`` command: the web application and the REST API on this machine."""

from __future__ import annotations

from typing import Annotated

import typer

from ._output import console, errors
from .app import _atlas, app

__all__ = ["serve", "start_server"]

LOCAL = {"127.0.0.1", "localhost", "::1"}


def start_server(ctx: typer.Context, host: str, port: int, workers: int = 1) -> None:
    """Serve the atlas of this command line until Ctrl+C, from ``workers`` processes."""
    import os

    import uvicorn

    from ..api import create_app
    from ..services.accounts import has_accounts
    from ..services.jobs import Jobs
    from ..settings import Settings

    atlas = _atlas(ctx)
    Jobs(atlas.engine)  # where jobs run (ECOTONE_JOBS) is checked before anything is said to be served
    if not has_accounts(atlas):
        where = "anyone who can reach this machine" if host not in LOCAL else "visitors"
        errors.print(f"[yellow]warning:[/yellow] the atlas has no accounts yet: {where} can read its public "
                     "records, and nobody can sign in to see the rest or change anything. Create the first "
                     "account with: ecotone users add you@example.org --name 'Your Name' --role admin")
    elif host not in LOCAL:
        console.print(f"Listening on {host}: visitors see the public records; the others sign in at /login. "
                      f"It answers to the host names {Settings().trusted_hosts} only: add the names people type "
                      "to ECOTONE_TRUSTED_HOSTS.")
    shown = "127.0.0.1" if host in LOCAL or host in ("0.0.0.0", "::") else host  # 0.0.0.0 is no address to open
    processes = f" from {workers} worker processes" if workers > 1 else ""
    console.print(f"Ecotone serves {atlas.url} at [bold]http://{shown}:{port}[/bold]{processes}"
                  f" (API docs at /docs). Stop it with Ctrl+C.")
    if workers == 1:
        uvicorn.run(create_app(atlas=atlas), host=host, port=port, log_level="warning")
        return
    # Each worker process opens the atlas itself (migrated above, once), named by the environment it inherits.
    os.environ["ECOTONE_DATABASE_URL"] = atlas.engine.url.render_as_string(hide_password=False)
    atlas.close()
    uvicorn.run("ecotone.api.asgi:application", factory=True, workers=workers, host=host, port=port,
                log_level="warning")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on; 127.0.0.1 keeps it to this machine.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes answering requests (on PostgreSQL, about "
                                              "one per core; background jobs run in `ecotone worker`).",
                                         min=1, max=64)] = 1,
) -> None:
    """Open the atlas in the browser: the ecosystem map, hub dashboards, stakeholder map, actor pages,
    partnerships, brokerage events, scenarios and the import wizard, on the REST API (/api/v1, documented at
    /docs). Visitors see public records; accounts (`ecotone users add`) sign in at /login to see what their hubs
    share and to change what their role allows. Binds to 127.0.0.1 unless told otherwise; to serve a hub, listen
    on its interface (--host 0.0.0.0) and list the names it is reached by in ECOTONE_TRUSTED_HOSTS.

    Several processes (--workers) share one response cache's rules: each keeps its own answers, valid while the
    atlas's change token in the database is unchanged, so an edit through any of them shows in all.

    Example: `ecotone serve` then open http://127.0.0.1:8000; for a hub network on PostgreSQL,
    `ecotone --db postgresql+psycopg://ecotone@127.0.0.1/ecotone serve --workers 4` (docs/deploy.md).
    """
    start_server(ctx, host, port, workers)

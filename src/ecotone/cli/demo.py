"""The ``ecotone demo`` and ``ecotone generate`` commands: an atlas to start from, or one to test scale on."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ._output import Format, console, emit, progress_bar
from .app import FormatOpt, _atlas, _report, app

__all__ = ["demo", "generate"]


@app.command()
def demo(ctx: typer.Context, seed: Annotated[int, typer.Option(help="Seed of the illustrative members.")] = 7,
         serve: Annotated[bool, typer.Option("--serve", help="Then open it in the browser at "
                                              "http://127.0.0.1:8000 (see ecotone serve).")] = False,
         users: Annotated[bool, typer.Option("--users", help="Also create the demo's accounts (an admin, "
                                              "Barcelona's manager, the Polish facilitator, a Texas viewer) "
                                              "and print their passwords, once.")] = False,
         fmt: FormatOpt = Format.table) -> None:
    """Build the demo atlas: the hubs, organisations, programmes and deals the seed articles name (each with its
    source), plus illustrative members so every hub is alive. Most of it is public; the bridge partnership is
    shared only between its two hubs, its KPIs and ratings are for their hub, clinicians' contacts for their
    hospital. Running it again changes nothing.

    Example: `ecotone demo && ecotone hubs`; `ecotone demo --users --serve`
    """
    from ..services import browse
    from ..services.demo import build_demo, demo_users

    with _atlas(ctx) as atlas, progress_bar() as progress:
        report = build_demo(atlas, seed=seed, progress=progress)
        if report.changed or fmt is not Format.table:
            _report(report, fmt)
        else:  # run again (say with --users): the atlas is as it was, no need to list every record again
            console.print(f"The demo atlas is already in {atlas.url}: nothing changed.")
        if fmt is Format.table and report.changed:
            rows = [{k: h[k] for k in ("name", "country", "organizations", "ties_inside", "ties_across")}
                    for h in browse.hub_table(atlas)]
            emit(rows, fmt, title=f"Hubs in {atlas.url}")
            console.print("Next: [bold]ecotone stats[/bold] (who is where), [bold]ecotone orgs list --hub "
                          "'Barcelona Health Hub'[/bold], [bold]ecotone export kumu atlas.xlsx[/bold], "
                          "[bold]ecotone serve[/bold] (the map in the browser)")
        if users:
            emit(demo_users(atlas), fmt, title="Demo accounts (passwords shown only now; sign in at /login)")
    if serve:
        from .serve import start_server

        start_server(ctx, "127.0.0.1", 8000)


@app.command()
def generate(
    ctx: typer.Context,
    orgs: Annotated[int, typer.Option(help="How many organisations.", min=1)] = 1000,
    hubs: Annotated[int, typer.Option(help="How many hubs.", min=1)] = 10,
    ties: Annotated[Optional[int], typer.Option(help="How many ties (default: ten per organisation).", min=0)] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same atlas.")] = 0,
    cross_hub: Annotated[float, typer.Option(help="Share of ties that bridge two hubs.", min=0, max=1)] = 0.05,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add a synthetic ecosystem for scale tests: power-law hub sizes, heavy-tailed degrees, dense hubs with few
    bridges, dated ties, innovations with stage histories and deals.

    Example: `ecotone --db big.db generate --orgs 100000 --hubs 50 --seed 1`
    """
    from ..services.generate import Generator

    with _atlas(ctx) as atlas, progress_bar() as progress:
        gen = Generator(orgs=orgs, hubs=hubs, ties=ties, seed=seed, cross_hub=cross_hub).run(atlas, progress)
    emit([{"hubs": gen.hubs_, "organizations": gen.orgs_, "ties": gen.ties_, "innovations": gen.innovations_,
           "deals": gen.deals_}], fmt, title="Generated")

"""The ``ecotone analyze`` commands over the whole network: centralities, communities, gaps, diffusion and the HTML
report (the stakeholder map, brokerage and emerging collaborations are in cli/analysis.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..services import analysis
from ._output import Format, console
from .app import (FormatOpt, HubsOpt, KindsOpt, MinWeightOpt, ShowOpt, SinceOpt, TypesOpt, UntilOpt, _filters, _run,
                  _show, analyze_app)

__all__ = ["analyze_metrics", "analyze_communities", "analyze_gaps", "analyze_diffusion", "analyze_report"]


@analyze_app.command("metrics")
def analyze_metrics(
    ctx: typer.Context, hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, min_weight: MinWeightOpt = None,
    sort: Annotated[str, typer.Option(help="Rank actors by this metric.")] = "pagerank",
    top: Annotated[int, typer.Option(help="How many actors to list (0: all).", min=0)] = 20,
    exact_limit: Annotated[int, typer.Option(help="Exact shortest-path metrics in components up to this size; "
                                                  "estimated from pivots beyond.", min=1)] = analysis.EXACT_LIMIT,
    pivots: Annotated[int, typer.Option(help="Pivots for the estimates.", min=2)] = analysis.PIVOTS,
    seed: Annotated[int, typer.Option(help="Seed of the pivots.")] = 0,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Centralities of every actor (degree, betweenness, closeness, harmonic, eigenvector, PageRank, k-core,
    clustering, Burt's constraint and effective size) and the network's figures (density, components,
    reciprocity, path length, assortativity, cross-sector and cross-hub shares).

    Example: `ecotone analyze metrics --sort betweenness --top 10 --format csv`
    """
    result = _run(ctx, lambda atlas, p: analysis.metrics(
        atlas, _filters(hub, type, kind, since, until, min_weight), sort=sort, top=top or None,
        exact_limit=exact_limit, pivots=pivots, seed=seed, progress=p), fmt)
    _show(result, fmt, show, {"actors": ("name", "hub", "type", "degree", "betweenness", "closeness", "eigenvector",
                                         "pagerank", "core", "constraint")}, {"actors": f"Actors by {sort}"})


@analyze_app.command("communities")
def analyze_communities(
    ctx: typer.Context, hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, min_weight: MinWeightOpt = None,
    resolution: Annotated[float, typer.Option(help="Higher: more, smaller communities.", min=0.0001)] = 1.0,
    seed: Annotated[int, typer.Option(help="Same seed, same communities.")] = 0,
    min_size: Annotated[int, typer.Option(help="List communities of at least this many actors.", min=1)] = 3,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Leiden communities, each with its dominant hubs and types and its leading members.

    Example: `ecotone analyze communities --resolution 2 --show members --format csv`
    """
    result = _run(ctx, lambda atlas, p: analysis.communities(
        atlas, _filters(hub, type, kind, since, until, min_weight), resolution=resolution, seed=seed,
        min_size=min_size, progress=p), fmt)
    if show is None and fmt is Format.table:
        show = "communities"
    _show(result, fmt, show, {}, {"communities": "Communities"})


@analyze_app.command("gaps")
def analyze_gaps(
    ctx: typer.Context, hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, min_weight: MinWeightOpt = None,
    reach: Annotated[int, typer.Option(help="A need is met if a provider is within this many steps.", min=1)] = 2,
    thin: Annotated[int, typer.Option(help="Hub pairs with at most this many ties are gaps.", min=0)] = 2,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """The gap finder: actors whose needs nobody within reach can meet (by their stage and their stated needs),
    every stated need and how it is met, the register's clinical needs no innovation addresses yet, each hub's
    missing roles, and hubs with no or thin ties — each with the evidence and who could bridge it.

    Example: `ecotone analyze gaps --hub 'Medical Innovation Institute' --show unreached`
    """
    result = _run(ctx, lambda atlas, p: analysis.gaps(
        atlas, _filters(hub, type, kind, since, until, min_weight), reach_steps=reach, thin=thin, progress=p), fmt)
    _show(result, fmt, show, {"unreached": ("name", "hub", "need", "match", "nearest", "bridge", "provider"),
                              "needs": ("need", "actors", "match", "providers", "unreached"),
                              "clinical_needs": ("id", "statement", "severity", "status", "hub", "endorsements"),
                              "hub_pairs": ("hub_a", "hub_b", "ties", "bridge", "partner")},
          {"unreached": "Needs nobody within reach can meet", "needs": "Stated needs and how they are met",
           "clinical_needs": "Clinical needs no innovation addresses yet",
           "missing_roles": "Missing roles",
           "hub_pairs": "Hubs with no or thin ties"})


@analyze_app.command("diffusion")
def analyze_diffusion(
    ctx: typer.Context, hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, min_weight: MinWeightOpt = None,
    seed_org: Annotated[Optional[list[str]], typer.Option(
        "--seed-org", help="An actor the idea starts from (name or id). Repeatable.")] = None,
    steps: Annotated[int, typer.Option(help="Count who is reached within this many steps.", min=1)] = 3,
    probability: Annotated[float, typer.Option(help="Chance a tie of weight 1 passes the idea.", min=0.0001,
                                               max=1.0)] = 0.1,
    runs: Annotated[int, typer.Option(help="Monte Carlo runs.", min=1)] = 200,
    seed: Annotated[int, typer.Option(help="Same seed, same runs.")] = 0,
    best: Annotated[int, typer.Option(help="Also find the K actors that together spread furthest.", min=0)] = 0,
    top: Annotated[int, typer.Option(help="Actors to list.", min=1)] = 20,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Knowledge flow: who the seed actors reach within k steps, an independent-cascade simulation of how far and
    how fast an idea spreads (Monte Carlo, seeded), and the seed set of size K that spreads furthest.

    Example: `ecotone analyze diffusion --seed-org 'Medical Innovation Institute' --best 5`
    """
    result = _run(ctx, lambda atlas, p: analysis.diffusion(
        atlas, _filters(hub, type, kind, since, until, min_weight), seeds=seed_org or [], steps=steps,
        probability=probability, runs=runs, seed=seed, best=best, top=top, progress=p), fmt)
    _show(result, fmt, show, {"reached": ("name", "hub", "type", "probability", "mean_step")},
          {"reached": "Who the idea reaches", "curve": "Actors informed by each step (mean, 5–95%)",
           "reach": f"Reach within {steps} steps", "best_seeds": f"The {best} seeds that spread furthest"})


@analyze_app.command("report")
def analyze_report(
    ctx: typer.Context, out: Annotated[Path, typer.Argument(help="The HTML file to write.")] = Path("report.html"),
    hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, min_weight: MinWeightOpt = None,
    focus: Annotated[Optional[str], typer.Option(help="Focus the report on this hub.")] = None,
) -> None:
    """Write one HTML page with the analysis: coverage heatmap and missing roles, power–interest grids and
    priority list, central players, top brokers and bridges between hubs, communities and gaps. It needs no
    network and no script: open it in any browser.

    Example: `ecotone analyze report report.html --focus 'Barcelona Health Hub'`
    """
    from ..services.report import write_report

    path = _run(ctx, lambda atlas, p: write_report(
        atlas, out, _filters(hub, type, kind, since, until, min_weight), hub=focus, progress=p))
    console.print(f"wrote {path}")

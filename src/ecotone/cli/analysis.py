"""The ``ecotone analyze`` commands that rank actors: the stakeholder map, brokerage and emerging collaborations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..services import analysis
from ..services.analysis import Result
from ._output import Format, console
from .app import (FormatOpt, HubsOpt, KindsOpt, MinWeightOpt, ShowOpt, SinceOpt, TypesOpt, UntilOpt, _filters, _run,
                  _show, analyze_app)

__all__ = ["analyze_stakeholders", "analyze_brokerage", "analyze_emerging"]

GroupOpt = Annotated[Optional[str], typer.Option(
    "--group", help="Show only this group's rows (a hub's name or id, a country, a community), ranked on the "
                    "whole network.")]


def _explain(result: Result, fmt: Format) -> None:
    """The sentences that explain a result (why this grouping, the weights of power) under its tables."""
    if fmt is not Format.table:
        return
    if result.notes.get("note"):
        console.print(result.notes["note"])
    weights = result.notes.get("weights")
    if weights:
        console.print("power = " + " + ".join(f"{w:g} × {part}" for part, w in weights.items())
                      + " (each 0–1; see docs/analysis.md)")


@analyze_app.command("stakeholders")
def analyze_stakeholders(
    ctx: typer.Context, hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, min_weight: MinWeightOpt = None,
    focus: Annotated[Optional[str], typer.Option(help="Show the grid of this hub only.")] = None,
    group: GroupOpt = None,
    overrides: Annotated[Optional[Path], typer.Option(
        help="CSV with organization, power, interest columns (0–1) that replace the computed values.")] = None,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """The stakeholder map: actors per hub and type, each hub's missing roles, and the power–interest grid in
    priority order: manage closely first, then keep satisfied, keep informed, monitor, each by power × interest.
    Power weighs the role's formal authority (regulators, notified bodies and governments approve or fund;
    hospitals test and buy; investors fund; hub operators convene) ½, resources (funding, including EC
    contributions, and size) ¼ and network position (partners, reach, structural holes) ¼; each part is shown.
    Interest is engagement: partners and programmes. On an atlas without hubs actors are grouped by country
    (else community), and the result says so.

    Example: `ecotone analyze stakeholders --focus 'Barcelona Health Hub'`
    """
    result = _run(ctx, lambda atlas, p: analysis.stakeholders(
        atlas, _filters(hub, type, kind, since, until, min_weight), hub=focus, group=group,
        overrides=analysis.read_overrides(overrides) if overrides else None, progress=p), fmt)
    _show(result, fmt, show, {"grid": ("group", "name", "type", "quadrant", "power", "power_authority",
                                       "power_resources", "power_position", "interest", "needs"),
                              "coverage": ("hub", "country", "community", "startup", "hospital", "university",
                                           "investor", "regulator", "incubator", "government", "corporate")},
          {"grid": "Power–interest grid (priority order)", "coverage": "Actors per group and type",
           "coverage_helix": "Actors per group and helix sector", "missing_roles": "Missing roles"})
    _explain(result, fmt)


@analyze_app.command("brokerage")
def analyze_brokerage(
    ctx: typer.Context, hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, min_weight: MinWeightOpt = None,
    groups: Annotated[str, typer.Option(help="Groups: auto (hubs, else countries, else Leiden communities), hub, "
                                             "helix, type, country or any actor attribute.")] = "auto",
    group: GroupOpt = None,
    role: Annotated[str, typer.Option(help="Rank by coordinator, itinerant, representative, gatekeeper, liaison "
                                           "or total.")] = "total",
    top: Annotated[int, typer.Option(help="How many brokers to list.", min=1)] = 20,
    bridges: Annotated[int, typer.Option(help="Bridges to list per pair of groups.", min=1)] = 3,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Gould–Fernandez brokerage: who sits on open two-paths between groups, in which role, against what chance
    would give (z-scores as R's sna::brokerage); and the actors that bridge each pair of groups. With --group,
    only that group's brokers and bridges (counted on the whole network).

    Example: `ecotone analyze brokerage --groups helix --role liaison`
    """
    result = _run(ctx, lambda atlas, p: analysis.brokerage(
        atlas, _filters(hub, type, kind, since, until, min_weight), groups=groups, role=role, top=top,
        bridges=bridges, group=group, progress=p), fmt)
    by = result.notes["grouping"]
    _show(result, fmt, show, {"brokers": ("name", "group", "coordinator", "itinerant", "representative",
                                          "gatekeeper", "liaison", "total", "z_total"),
                              "bridges": (f"{by}_a", f"{by}_b", "rank", "name", by, "score")},
          {"brokers": f"Brokers by {role} ({by} as groups)", "roles": "The network against chance",
           "bridges": f"Bridges between {by} groups"})
    _explain(result, fmt)


@analyze_app.command("emerging")
def analyze_emerging(
    ctx: typer.Context, hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, min_weight: MinWeightOpt = None,
    period: Annotated[str, typer.Option(help="year, quarter or month.")] = "year",
    window: Annotated[int, typer.Option(help="Risers over the last N periods.", min=1)] = 3,
    top: Annotated[int, typer.Option(help="Risers and recent bridges to list.", min=1)] = 10,
    prior: Annotated[float, typer.Option(help="Smoothing prior of growth, in ties.", min=0.001)] = analysis.PRIOR,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Emerging collaborations: ties formed per period, new cross-hub and cross-sector ties, the growth of the
    largest component, and the rising actors: ties started in the window / (ties active before it + prior), so
    a newcomer going from 1 tie to 6 rises above an incumbent going from 40 to 46.

    Example: `ecotone analyze emerging --period quarter --since 2022-01-01`
    """
    result = _run(ctx, lambda atlas, p: analysis.emerging(
        atlas, _filters(hub, type, kind, since, until, min_weight), period=period, window=window, top=top,
        prior=prior, progress=p), fmt)
    _show(result, fmt, show, {"risers": ("name", "hub", "type", "ties_before", "new_ties", "growth"),
                              "bridges": ("start", "source", "source_hub", "target", "target_hub", "kind")},
          {"periods": "Ties per period", "risers": "Rising actors (relative growth of ties)",
           "bridges": "Latest bridges"})
    _explain(result, fmt)

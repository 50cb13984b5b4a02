"""The analysis report: one HTML page with the stakeholder map, central players, brokers and bridges between
hubs, communities and gaps, for a hub or the whole atlas."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ..analysis.brokerage import ROLES, Brokerage, hub_bridges
from ..analysis.communities import Communities
from ..analysis.gaps import Gaps
from ..analysis.metrics import NetworkMetrics
from ..analysis.stakeholders import NO_HUB, QUADRANTS, StakeholderMap, coverage
from ..domain import CORE_ROLES
from ..io.html import Page, bars, heatmap, scatter, table
from ..store import Atlas
from .analysis import Filters, records, snapshot

__all__ = ["write_report"]

_QUADRANT_CORNERS = [QUADRANTS[(True, True)], QUADRANTS[(False, True)], QUADRANTS[(True, False)],
                     QUADRANTS[(False, False)]]


def _involves(frame: pd.DataFrame, hub: str | None, *cols: str) -> pd.DataFrame:
    if hub is None or frame.empty:
        return frame
    mask = pd.Series(False, index=frame.index)
    for col in cols:
        mask |= frame[col] == hub
    return frame[mask]


def write_report(atlas: Atlas, path: Path, filters: Filters | None = None, *, hub: str | None = None,
                 progress=None) -> Path:
    """Analyse the atlas and write the report to ``path``; with ``hub``, the tables focus on that hub while the
    network stays whole (so its bridges to other hubs show)."""
    snap = snapshot(atlas, filters, progress)
    hub_name = atlas.names("hub", [atlas.hub_id(hub)]).get(atlas.hub_id(hub)) if hub else None
    if hub_name is not None and not (snap.nodes["hub"] == hub_name).any():
        raise ValueError(f"hub {hub_name!r} has no actors in this snapshot")
    steps = ["metrics", "brokerage", "communities", "gaps", "stakeholders"]

    def done(step: str) -> None:
        if progress:
            progress("report", steps.index(step) + 1, len(steps))

    metrics = NetworkMetrics().run(snap)
    done("metrics")
    broker = Brokerage(groups="hub").run(snap)
    bridges = hub_bridges(snap, top=3)
    done("brokerage")
    comms = Communities(min_size=3).run(snap)
    done("communities")
    gaps = Gaps().run(snap)
    done("gaps")
    grid = StakeholderMap().run(snap).grid_
    done("stakeholders")

    scope = f"hub {hub_name}" if hub_name else "the whole atlas"
    page = Page(f"Ecotone network report: {hub_name or 'all hubs'}",
                f"{atlas.url} · {scope} · {dt.date.today().isoformat()}"
                + (f" · filters: {snap.filters}" if snap.filters else ""))
    g = metrics.graph_
    page.figures({"actors": g.actors, "ties": g.ties, "hubs": int(snap.nodes["hub"].nunique()),
                  "density": g.density, "components": g.components, "cross-sector ties": f"{g.cross_sector_share:.0%}",
                  "cross-hub ties": f"{g.cross_hub_share:.0%}", "communities": int(comms.membership_.max() + 1)})

    # Stakeholder map: coverage, missing roles, power-interest grid
    cov = coverage(snap).reset_index()
    if hub_name:
        cov = cov[cov["hub"] == hub_name]
    present = [c for c in cov.columns[1:] if cov[c].sum() > 0 or c in {r.value for r in CORE_ROLES}]
    missing = {row["hub"]: set(row["missing"]) for row in records(gaps.missing_roles_)}
    page.section("Who is where: actors per hub and stakeholder type",
                 heatmap(records(cov), "hub", present, missing),
                 note="A red ✕ marks a core role the hub lacks (startups, hospitals, universities, investors, "
                      "regulators, incubators, governments, industry associations, corporates).")
    page.section("Missing roles", table(records(_involves(gaps.missing_roles_.assign(
        missing=gaps.missing_roles_["missing"].map(lambda v: ", ".join(v) or "none")), hub_name, "hub"))))
    hubs_shown = [hub_name] if hub_name else list(snap.nodes["hub"].dropna().value_counts().head(12).index)
    cards = []
    for h in hubs_shown:
        points = records(grid[grid["hub"] == h])
        cards.append(f'<div class="card">{scatter(points, x="power", y="interest", label="name", colour="type", title=h, quadrants=_QUADRANT_CORNERS)}</div>')
    page.section("Power–interest grid", f'<div class="grid">{"".join(cards)}</div>',
                 note="Power: PageRank, funding and size; interest: ties and programmes — percentiles within the hub. "
                      "Hover a dot for the actor. Override with `ecotone analyze stakeholders --overrides`.")
    priority = grid[grid["hub"] != NO_HUB] if not hub_name else grid[grid["hub"] == hub_name]
    page.section("Priority list", table(records(priority.head(40 if hub_name else 60)),
                                        ["hub", "name", "type", "quadrant", "power", "interest", "needs", "offers"]))

    # Central players and brokers
    central = _involves(metrics.nodes_, hub_name, "hub").sort_values("pagerank", ascending=False).head(20)
    page.section("Central players", table(records(central), ["name", "hub", "type", "degree", "betweenness",
                                                             "closeness", "pagerank", "core", "constraint"]),
                 note=("Betweenness, closeness and harmonic centrality estimated from "
                       f"{g.pivots} pivots (median relative error of the top 100: {g.betweenness_relative_error:.0%})."
                       if g.sampled else "All metrics exact."))
    across = [r for r in ROLES if r != "coordinator"]  # the roles that join two hubs
    brokers = _involves(broker.nodes_.rename(columns={"group": "hub"}), hub_name, "hub")
    brokers = brokers.assign(across=brokers[across].sum(axis=1))
    brokers = brokers[brokers["across"] > 0].sort_values(["across", "id"], ascending=[False, True]).head(15)
    page.section("Top brokers between hubs",
                 bars(records(brokers), label="name", parts=across, title="Open two-paths between hubs, by role"),
                 table(records(brokers), ["name", "hub", *ROLES, "total", "z_total"]),
                 note="Gould–Fernandez roles with hubs as groups, ranked by the two-paths that join two hubs: a "
                      "liaison links two other hubs, an itinerant two members of another hub, a representative "
                      "carries its own hub's ties out, a gatekeeper lets others' in.")
    pairs = _involves(bridges[bridges["rank"] == 1], hub_name, "hub_a", "hub_b").sort_values("score", ascending=False)
    page.section("Bridges between hubs", table(records(pairs), ["hub_a", "hub_b", "name", "hub", "score", "ties_to_a",
                                                                "ties_to_b"]),
                 note="The best bridge of each pair of hubs: score = pairs of actors from the two hubs it links.")

    # Communities and gaps
    page.section("Communities", table(records(comms.communities_)),
                 note=f"Leiden, modularity {comms.modularity_:.3f}.")
    page.section("Gaps: needs nobody within two steps can meet",
                 table(records(_involves(gaps.unreached_, hub_name, "hub")),
                       ["name", "hub", "need", "nearest", "bridge", "provider"], limit=40))
    page.section("Gaps: hubs with no or thin ties", table(records(_involves(gaps.hub_pairs_, hub_name, "hub_a",
                                                                            "hub_b")), limit=40))
    return page.write(path)

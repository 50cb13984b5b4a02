"""The analysis report: one HTML page with a picture of the network, the stakeholder map, central players,
brokers and bridges between hubs, communities and gaps, for a hub or the whole atlas."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.brokerage import ROLES, Brokerage, grouped, hub_bridges
from ..analysis.communities import Communities
from ..analysis.gaps import Gaps
from ..analysis.metrics import NetworkMetrics
from ..analysis.snapshot import Snapshot
from ..analysis.stakeholders import NO_HUB, QUADRANTS, StakeholderMap, coverage
from ..domain import CORE_ROLES
from ..domain.problems import InputRejected
from ..domain.display import TYPE_ORDER, colour, label, money
from ..io.charts import network_chart, power_interest_chart
from ..io.html import Page, bars, heatmap, picture, table
from ..store import Atlas
from .analysis import Filters, records, snapshot
from .benchmark import benchmark as rank_hubs
from .layout import positions

__all__ = ["write_report"]

#: How many actors the pictures name: the first of the central players.
NAMED_ON_MAP = 12
NAMED_PER_GRID = {1: 12, 2: 6}  # panels → names per panel; more panels, 3 each
#: Column headings in words where :func:`~ecotone.domain.display.label` alone would not do.
_HEADINGS = {"hub_a": "Hub A", "hub_b": "Hub B", "ties_to_a": "Ties to A", "ties_to_b": "Ties to B",
             "z_total": "z-score (total)", "core": "k-core", "internal_ties": "Internal ties"}
_GROUPS_IN_WORDS = {"hub": "hubs", "country": "countries", "community": "communities"}
_ONE_GROUP = {"hub": "hub", "country": "country", "community": "community"}
_POWER_HEADINGS = {"power_authority": "Authority", "power_resources": "Resources", "power_position": "Position"}
_SNAKE_WORD = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
_SHARE = re.compile(r"\b([a-z][a-z0-9_]*) \((\d+%)\)")  # 'sme (25%)' in a list of shares


def _involves(frame: pd.DataFrame, hub: str | None, *cols: str) -> pd.DataFrame:
    if hub is None or frame.empty:
        return frame
    mask = pd.Series(False, index=frame.index)
    for col in cols:
        mask |= frame[col] == hub
    return frame[mask]


def _headings(columns) -> dict[str, str]:
    return {c: _HEADINGS.get(c, label(c)) for c in columns}


def _in_words(text) -> str:
    """Vocabulary values inside a sentence in words: 'regulatory_approval: regulator' → 'Regulatory approval:
    regulator', 'sme (25%), other (25%)' → 'SME (25%), Other (25%)'."""
    if not isinstance(text, str):
        return text
    text = _SHARE.sub(lambda m: f"{label(m.group(1))} ({m.group(2)})", text)
    return _SNAKE_WORD.sub(lambda m: label(m.group(0)), text)


def _worded(rows: list[dict], vocabulary=("type",), sentences=(), money_columns=()) -> list[dict]:
    """Rows for people: vocabulary columns (a value or a list of values) in words, snake_case words inside
    sentences in words, amounts as money."""
    for row in rows:
        for c in vocabulary:
            if c in row:
                v = row[c]
                row[c] = ", ".join(label(x) for x in v) if isinstance(v, list | tuple) else label(v)
        for c in sentences:
            if c in row:
                row[c] = _in_words(row[c])
        for c in money_columns:
            if c in row:
                row[c] = money(row[c]) if row[c] else ""
    return rows


def _type_legend(types: pd.Series) -> list[tuple[str, str]]:
    """The stakeholder types present, in the display order, each with its count: ``(words (n), colour)``."""
    counts = types.fillna("other").value_counts()
    order = [t for t in TYPE_ORDER if t in counts.index] + sorted(set(counts.index) - set(TYPE_ORDER))
    return [(f"{label(t)} ({counts[t]:,})", colour("type", t)) for t in order]


def _layout(atlas: Atlas, filters: Filters | None, snap: Snapshot) -> tuple[np.ndarray, str]:
    """Each actor's (x, y) in the snapshot's order, from the map's server layout, and the algorithm in words."""
    where, algorithm = positions(atlas, filters, snap=snap, with_algorithm=True)
    return where.set_index("id")[["x", "y"]].reindex(snap.nodes["id"]).to_numpy(float), algorithm


def _network_picture(atlas: Atlas, filters: Filters | None, snap: Snapshot, named: pd.DataFrame,
                     hub_name: str | None) -> str:
    """The network at the map's positions as an embedded PNG with its alternative text and caption: actors in
    their types' colours, ``named`` (id, name; most important first) written beside their dots, and with
    ``hub_name`` the rest of the network pale."""
    xy, algorithm = _layout(atlas, filters, snap)
    placed = ~np.isnan(xy).any(axis=1)
    nodes = snap.nodes
    rows = np.flatnonzero(placed)
    at = np.full(len(nodes), -1)
    at[rows] = np.arange(len(rows))
    ties = snap.ties[["source", "target"]].to_numpy(np.int64).reshape(-1, 2)
    ties = at[ties[placed[ties].all(axis=1)]] if len(ties) else ties
    position = pd.Series(np.arange(len(nodes)), index=nodes["id"].to_numpy())
    names = {int(at[position[i]]): str(n) for i, n in zip(named["id"], named["name"])
             if i in position.index and placed[position[i]]}
    types = nodes["type"].iloc[rows]
    muted = (nodes["hub"].iloc[rows] != hub_name).to_numpy() if hub_name else None
    coloured = types[~muted] if hub_name else types  # the legend counts the actors drawn in colour
    buffer = io.BytesIO()
    width, height, dpi = 11.0, 7.5, 100
    network_chart(xy[rows, 0], xy[rows, 1], [colour("type", t) for t in types], ties, buffer,
                  sizes=np.asarray(snap.graph.degree(), float)[rows] + 1, labels=names, legend=_type_legend(coloured),
                  muted=muted, width=width, height=height, dpi=dpi)
    shown = f"{len(rows):,} actors and {len(ties):,} ties"
    alt = (f"The network: {shown} drawn as dots and lines, each actor coloured by its stakeholder type "
           f"({', '.join(name for name, _ in _type_legend(coloured))})"
           + (f", the actors of {hub_name} in colour and the rest pale" if hub_name else "")
           + (f"; named where the name fits: {', '.join(names.values())}." if names else "."))
    left_out = len(nodes) - len(rows)
    caption = (f"{shown}, laid out as on the map ({algorithm}). Dots are actors, coloured by stakeholder type and "
               "sized by their ties; lines are ties. The first central players are named."
               + (f" {hub_name}'s actors in colour, the rest pale." if hub_name else "")
               + (f" {left_out:,} actors without a position are left out." if left_out else ""))
    return picture(buffer.getvalue(), alt, caption=caption, width=int(width * dpi), height=int(height * dpi))


def _grid_picture(panels: dict[str, pd.DataFrame]) -> str:
    """The power–interest grid of each panel (title → its rows of the stakeholder grid) as one embedded PNG,
    the first of each by priority named, with an alternative text that says where each quadrant is."""
    per_panel = NAMED_PER_GRID.get(len(panels), 3)
    frames, named_all = {}, []
    for title, rows in panels.items():
        first = set(rows.sort_values(["priority", "id"], ascending=[False, True]).head(per_panel)["id"])
        named = rows["name"].where(rows["id"].isin(first), "")
        frames[title] = pd.DataFrame({"power": rows["power"].to_numpy(), "interest": rows["interest"].to_numpy(),
                                      "colour": [colour("type", t) for t in rows["type"]],
                                      "label": named.to_numpy()})
        # the named first, so their labels get the best spots
        frames[title] = frames[title].iloc[np.argsort(rows["priority"].to_numpy() * -1, kind="stable")]
        named_all += [n for n in named if n]
    one = len(panels) == 1
    buffer = io.BytesIO()
    dpi = 100
    panel = 6.4 if one else 2.8
    columns = 1 if one else 4
    legend = _type_legend(pd.concat([rows["type"] for rows in panels.values()]))
    power_interest_chart(frames, buffer, quadrants=QUADRANTS, legend=legend, columns=columns, panel=panel, dpi=dpi)
    corners = "; ".join(f"{name} {where}" for name, where in zip(
        [QUADRANTS[(True, True)], QUADRANTS[(False, True)], QUADRANTS[(True, False)], QUADRANTS[(False, False)]],
        ["top right", "top left", "bottom right", "bottom left"]))
    actors = sum(len(rows) for rows in panels.values())
    alt = (f"Power–interest grid{'' if one else 's'} of {', '.join(panels)}: {actors:,} actors placed by power "
           f"(across) and interest (up), coloured by stakeholder type; quadrants {corners}; named where the "
           f"name fits: "
           f"{', '.join(named_all) or 'none'}.")
    return picture(buffer.getvalue(), alt)


def _benchmark_section(page: Page, atlas: Atlas, filters: Filters | None, grouping: str, hub: str | None) -> None:
    """The "Benchmark" section: each hub's (or country's) rank on the ecosystem index, its rank interval and the
    reasons (strongest and weakest pillars, levers); with ``hub``, that hub's row."""
    group_by = grouping if grouping in ("hub", "country") else "country"
    try:
        result = rank_hubs(atlas, filters, group_by=group_by, draws=500)
    except InputRejected as exc:
        page.section("Benchmark", note="Not computed: " + "; ".join(str(p) for p in exc.problems))
        return
    rows = [{"rank": r["rank"], group_by: r["group"], "interval": f"{r['rank_low']}–{r['rank_high']}",
             "score": round(r["score"], 1), "coverage": f"{r['coverage']:.0%}", "reasons": r["reasons"],
             "levers": "; ".join(r["levers"]) or "none found"}
            for r in result.tables["ranking"] if hub is None or r["group"] == hub or group_by != "hub"]
    columns = ["rank", group_by, "interval", "score", "coverage", "reasons", "levers"]
    page.section("Benchmark", table(rows, columns, headings={"interval": "Rank interval (90%)",
                                                             "coverage": "Indicators observed",
                                                             group_by: label(group_by)}),
                 note="The ecosystem index: seed 001's five characteristics of a thriving ecosystem (collaborative "
                      "infrastructure, cross-sector integration, open innovation, supportive regulation, talent "
                      "pipeline) plus performance and connectedness, from the atlas's records; the interval spans "
                      "the 5th to 95th percentile of the ranks over 500 Monte Carlo draws of the weights, "
                      "normalisation and aggregation. Reasons name the pillars most above and below the others' "
                      "median; levers the indicators that would move the rank most. Details: ecotone benchmark.")


def write_report(atlas: Atlas, path: Path, filters: Filters | None = None, *, hub: str | None = None,
                 progress=None) -> Path:
    """Analyse the atlas and write the report to ``path``; with ``hub``, the tables focus on that hub while the
    network stays whole (so its bridges to other hubs show). On an atlas without hubs, actors are grouped by
    what has data (countries, else Leiden communities) and the report says so."""
    snap = snapshot(atlas, filters, progress)
    hub_name = atlas.names("hub", [atlas.hub_id(hub)]).get(atlas.hub_id(hub)) if hub else None
    if hub_name is not None and not (snap.nodes["hub"] == hub_name).any():
        raise ValueError(f"hub {hub_name!r} has no actors in this snapshot")
    steps = ["metrics", "stakeholders", "brokerage", "communities", "gaps", "pictures"]

    def done(step: str) -> None:
        if progress:
            progress("report", steps.index(step) + 1, len(steps))

    metrics = NetworkMetrics().run(snap)
    done("metrics")
    stakes = StakeholderMap().run(snap)
    grid = stakes.grid_  # in priority order: what a manager must act on first
    done("stakeholders")
    groups_snap, grouping, _ = grouped(snap, stakes.grouping_)  # the grid's grouping, for every table
    grouping_note = stakes.note_
    by_hub = grouping == "hub"
    groups, one_group = _GROUPS_IN_WORDS.get(grouping, grouping), _ONE_GROUP.get(grouping, grouping)
    broker = Brokerage(groups=grouping).run(groups_snap)
    bridges = hub_bridges(groups_snap, top=3, by=grouping)
    done("brokerage")
    comms = Communities(min_size=3).run(snap)
    done("communities")
    gaps = Gaps().run(snap)
    done("gaps")

    scope = f"hub {hub_name}" if hub_name else "the whole atlas"
    page = Page(f"Ecotone network report: {hub_name or ('all hubs' if by_hub else 'the whole atlas')}",
                f"{atlas.url} · {scope} · {dt.date.today().isoformat()}"
                + (f" · filters: {snap.filters}" if snap.filters else ""))
    g = metrics.graph_
    funding = float(snap.nodes["funding_raised"].sum())
    page.figures({"actors": g.actors, "ties": g.ties, "hubs": int(snap.nodes["hub"].nunique()),
                  "density": g.density, "components": g.components, "cross-sector ties": f"{g.cross_sector_share:.0%}",
                  "cross-hub ties": f"{g.cross_hub_share:.0%}", "communities": int(comms.membership_.max() + 1),
                  **({"funding raised": money(funding)} if funding else {})})

    # Central players: whom a manager must act on first (the stakeholder map's priority), with their network
    place = "hub" if by_hub else "group"  # the tables name each actor's country or community where they name a hub
    ranked = stakes.priorities(hub=hub_name) if hub_name else stakes.priorities()
    central = ranked.head(20).merge(metrics.nodes_[["id", "degree", "betweenness", "pagerank"]], on="id", how="left")

    page.section("The network", _network_picture(atlas, filters, snap, central.head(NAMED_ON_MAP), hub_name))
    done("pictures")

    # Stakeholder map: coverage, missing roles, power-interest grid
    cov = coverage(groups_snap, group=grouping).reset_index()
    if hub_name:
        cov = cov[cov["hub"] == hub_name]
    if by_hub:
        missing = {row["hub"]: set(row["missing"]) for row in records(gaps.missing_roles_)}
        note = ("A red ✕ marks a core role the hub lacks (startups, hospitals, universities, investors, "
                "regulators, incubators, governments, industry associations, corporates).")
    else:  # the largest twenty groups
        sizes = cov.set_index(grouping).sum(axis=1).sort_values(ascending=False, kind="stable")
        cov = cov.set_index(grouping).loc[sizes.index[:20]].reset_index()
        missing = {}
        note = f"{grouping_note} The {len(cov)} largest {groups} by actors."
    present = [c for c in cov.columns[1:] if cov[c].sum() > 0 or c in {r.value for r in CORE_ROLES}]
    page.section(f"Who is where: actors per {one_group} and stakeholder type",
                 heatmap(records(cov), grouping, present, missing, headings=_headings(present)), note=note)
    page.section("Missing roles", table(_worded(records(_involves(gaps.missing_roles_, hub_name, "hub")),
                                                vocabulary=("missing",)), headings=_headings(["hub", "actors",
                                                                                               "missing"])),
                 note=None if by_hub else "Missing roles are counted per hub, and this atlas has none.")
    if hub_name:
        panels = {hub_name: grid[grid["hub"] == hub_name]}
    elif by_hub:
        panels = {h: grid[grid["hub"] == h] for h in snap.nodes["hub"].dropna().value_counts().head(12).index}
    else:
        panels = {"All actors": grid}
    w = stakes.weights_
    page.section("Power–interest grid", _grid_picture(panels),
                 note=f"Power: the formal authority of the actor's role ({w['authority']:.0%}: regulators, notified "
                      f"bodies and governments approve, certify, fund or pay), resources ({w['resources']:.0%}: "
                      f"funding, EC contributions included, and size) and network position ({w['position']:.0%}: "
                      "partners, actors within two steps, structural holes); interest: partners and programmes "
                      "joined. Each is a share over the whole atlas; above 0.5 is high. Quadrants after Mendelow: "
                      "manage closely (high power, high interest), keep satisfied, keep informed, monitor. The actors "
                      "to act on first are named. Override with `ecotone analyze stakeholders --overrides`.")
    priority = ranked if hub_name else ranked[ranked["hub"] != NO_HUB] if by_hub else ranked
    columns = [place, "name", "type", "quadrant", "power", "interest", "funding", "needs", "offers"]
    page.section("Priority list", table(_worded(records(priority.head(40 if hub_name else 60)),
                                                vocabulary=("type", "needs", "offers"), money_columns=("funding",)),
                                        columns, headings=_headings(columns) | {"group": label(grouping)}),
                 note="Manage closely first, then keep satisfied, keep informed and monitor; within each, by "
                      "power × interest.")

    columns = ["name", place, "type", "quadrant", "priority", "power_authority", "power_resources",
               "power_position", "interest", "degree", "betweenness", "funding"]
    page.section("Central players", table(_worded(records(central), money_columns=("funding",)), columns,
                                          headings=_headings(columns) | _POWER_HEADINGS | {"group": label(grouping)}),
                 note="Ranked by what a manager must act on: the quadrant (manage closely first), then power × "
                      "interest; each actor's power shown in its parts (authority, resources, position, each 0–1). "
                      + ("Betweenness estimated from "
                         f"{g.pivots} pivots (median relative error of the top 100: "
                         f"{g.betweenness_relative_error:.0%})." if g.sampled else "All metrics exact."))

    # Brokers and bridges between the groups that have data: hubs, else countries, else communities
    across = [r for r in ROLES if r != "coordinator"]  # the roles that join two groups
    brokers = broker.nodes_.rename(columns={"group": grouping})
    brokers = _involves(brokers, hub_name, "hub") if by_hub else brokers
    brokers = brokers.assign(across=brokers[across].sum(axis=1))
    brokers = brokers[brokers["across"] > 0].sort_values(["across", "id"], ascending=[False, True]).head(15)
    columns = ["name", grouping, *ROLES, "total", "z_total"]
    page.section(f"Top brokers between {groups}",
                 bars(records(brokers), label="name", parts=across,
                      title=f"Open two-paths between {groups}, by role"),
                 table(records(brokers), columns, headings=_headings(columns)),
                 note=(f"{grouping_note} " if grouping_note else "")
                 + f"Gould–Fernandez roles with {groups} as groups, ranked by the two-paths that join two {groups}: "
                   f"a liaison links two others, an itinerant two members of another, a representative carries its "
                   f"own group's ties out, a gatekeeper lets others' in.")
    a, b = f"{grouping}_a", f"{grouping}_b"
    pairs = _involves(bridges[bridges["rank"] == 1], hub_name, a, b).sort_values("score", ascending=False)
    columns = [a, b, "name", grouping, "score", "ties_to_a", "ties_to_b"]
    page.section(f"Bridges between {groups}",
                 table(records(pairs), columns, headings=_headings(columns) | {
                     a: f"{label(grouping)} A", b: f"{label(grouping)} B"}),
                 note=f"The best bridge of each pair of {groups}: score = pairs of actors from the two it links.")

    _benchmark_section(page, atlas, filters, grouping, hub_name)

    # Communities and gaps
    page.section("Communities", table(_worded(records(comms.communities_), vocabulary=(), sentences=("types",)),
                                      headings=_headings(comms.communities_.columns)),
                 note=f"Leiden, modularity {comms.modularity_:.3f}.")
    columns = ["name", "hub", "need", "nearest", "bridge", "provider"]
    page.section("Gaps: needs nobody within two steps can meet",
                 table(_worded(records(_involves(gaps.unreached_, hub_name, "hub")), vocabulary=(),
                               sentences=("need",)), columns, limit=40, headings=_headings(columns)))
    # every need an actor states, and how the atlas meets it: none is left out because no offer reads the same
    stated = ["need", "actors", "match", "providers", "unreached"]
    page.section("Stated needs and who can meet them",
                 table(records(gaps.needs_), stated, limit=60,
                       headings={"need": "Need", "actors": "Actors stating it", "match": "How the atlas meets it",
                                 "providers": "Providers", "unreached": "Unreached"}),
                 note="Across the atlas: each need actors state, matched to what others offer by one vocabulary of "
                      "needs and offers (with synonyms), else by text similarity (weak, with its score); 'no provider "
                      "anywhere' where nobody offers it. Unreached: actors stating it with no provider within two "
                      "steps.")
    thin = _involves(gaps.hub_pairs_, hub_name, "hub_a", "hub_b")
    page.section("Gaps: hubs with no or thin ties", table(records(thin), limit=40, headings=_headings(thin.columns)))
    return page.write(path)

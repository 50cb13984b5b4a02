"""Analyse an atlas: each function builds a Snapshot with the caller's filters, runs one analysis and returns plain
tables (lists of JSON-ready dicts), as the CLI and the API show them."""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.brokerage import ROLES, Brokerage, grouped, hub_bridges
from ..analysis.communities import Communities
from ..analysis.diffusion import Diffusion, reach
from ..analysis.emerging import PRIOR, Emerging
from ..analysis.gaps import Gaps, missing_roles
from ..analysis.metrics import EXACT_LIMIT, METRICS, PIVOTS, NetworkMetrics
from ..analysis.snapshot import Snapshot, SnapshotCache
from ..analysis.stakeholders import AUTHORITY, StakeholderMap, coverage
from ..domain.problems import InputRejected, Problem
from ..store import Atlas

__all__ = ["Filters", "Result", "records", "snapshot", "stakeholders", "metrics", "brokerage", "communities",
           "emerging", "gaps", "diffusion", "read_overrides", "METRICS", "EXACT_LIMIT", "PIVOTS", "PRIOR"]


@dataclass(frozen=True)
class Filters:
    """Which part of the atlas to analyse (the Snapshot's filters); empty means everything."""

    hubs: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    since: dt.date | str | None = None
    until: dt.date | str | None = None
    min_weight: float | None = None

    def kwargs(self) -> dict[str, Any]:
        return {"hubs": list(self.hubs) or None, "types": list(self.types) or None, "kinds": list(self.kinds) or None,
                "since": self.since, "until": self.until, "min_weight": self.min_weight}


@dataclass
class Result:
    """An analysis's tables by name (the first is the main one), its headline figures, and what explains it
    (``notes``: e.g. the ``grouping`` and the ``note`` that says why, the ``weights`` of power)."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, **self.tables, **self.notes}


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A DataFrame as JSON-ready dicts: NumPy scalars as Python ones, NaN and NaT as ``None``.

    >>> records(pd.DataFrame({"a": [1, 2], "b": [0.5, float("nan")]}))
    [{'a': 1, 'b': 0.5}, {'a': 2, 'b': None}]
    """
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def snapshot(atlas: Atlas, filters: Filters | None = None, progress=None) -> Snapshot:
    """The Snapshot of an atlas under ``filters``, as the atlas's principal may see it; refuses an empty selection
    with advice. Kept on disk per change token and visibility scope (:class:`SnapshotCache`): a second analysis
    of an unchanged atlas reads it back instead of the database."""
    kwargs = (filters or Filters()).kwargs()
    cache = SnapshotCache.of(atlas)
    snap = (cache.get(atlas, progress=progress, **kwargs) if cache is not None
            else Snapshot.from_atlas(atlas, **kwargs, progress=progress))
    if len(snap) == 0:
        raise InputRejected([Problem(reason="no organisation matches these filters",
                                     hint="check --hub and --type, or import data first (ecotone demo)")])
    return snap


def read_overrides(path: Path) -> dict[int | str, dict[str, float]]:
    """Power/interest overrides from a CSV with an ``organization`` column (id or name) and ``power`` and/or
    ``interest`` columns in [0, 1]; empty cells keep the computed value."""
    problems: list[Problem] = []
    out: dict[int | str, dict[str, float]] = {}
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        if "organization" not in fields or not {"power", "interest"} & set(fields):
            raise InputRejected([Problem(file=str(path), row=1, reason="the header needs an organization column "
                                         "and a power and/or interest column", hint="organization,power,interest")])
        for number, row in enumerate(reader, start=2):
            key: int | str = row["organization"].strip()
            if not key:
                problems.append(Problem(file=str(path), row=number, column="organization", reason="empty"))
                continue
            key = int(key) if str(key).isdigit() else key
            values = {}
            for col in ("power", "interest"):
                text = (row.get(col) or "").strip()
                if not text:
                    continue
                try:
                    value = float(text)
                except ValueError:
                    value = float("nan")
                if not 0 <= value <= 1:
                    problems.append(Problem(file=str(path), row=number, column=col,
                                            reason=f"{text!r} is not a number between 0 and 1"))
                    continue
                values[col] = value
            out[key] = values
    if problems:
        raise InputRejected(problems)
    return out


def _group_label(atlas: Atlas, grouping: str, group: str, labels) -> str:
    """The label of a group users name: a hub by name, part of it or id; any other group by its label (any case)."""
    known = {str(v) for v in labels}
    if grouping == "hub" and group not in known:
        hub_id = atlas.hub_id(group)
        return atlas.names("hub", [hub_id]).get(hub_id, group)
    if group in known:
        return group
    match = [k for k in known if k.lower() == group.lower()]
    if not match:
        raise InputRejected([Problem(column="group", reason=f"no {grouping} {group!r} in this snapshot",
                                     hint="groups: " + ", ".join(sorted(known)[:12]))])
    return match[0]


def stakeholders(atlas: Atlas, filters: Filters | None = None, *, hub: str | None = None, group: str | None = None,
                 overrides: dict | None = None, progress=None) -> Result:
    """Coverage (group × type and × helix), missing roles, the power–interest grid in priority order (power
    from authority, resources and position, each shown) and the weights. Actors are grouped by hub, or on an
    atlas without hubs by country (else Leiden community): ``grouping`` and ``note`` say which. ``hub`` (a hub's
    name or id) or ``group`` (a group's label) keeps one group's rows."""
    snap = snapshot(atlas, filters, progress)
    try:
        grid = StakeholderMap(overrides=overrides).run(snap)
    except ValueError as exc:
        raise InputRejected([Problem(column="--overrides", reason=str(exc))]) from None
    table = grid.grid_
    if hub is not None:
        name = atlas.names("hub", [atlas.hub_id(hub)]).get(atlas.hub_id(hub), hub)
        try:
            table = grid.hub(name)
        except ValueError as exc:
            raise InputRejected([Problem(column="--hub", reason=str(exc))]) from None
    if group is not None:
        table = table[table["group"] == _group_label(atlas, grid.grouping_, group, grid.grid_["group"].unique())]
    snap, column, _ = grouped(snap, grid.grouping_)
    by_type = coverage(snap, "type", group=column).reset_index()
    by_helix = coverage(snap, "helix", group=column).reset_index()
    gaps = missing_roles(snap)
    quadrants = table["quadrant"].value_counts().to_dict()
    return Result(tables={"grid": records(table), "coverage": records(by_type), "coverage_helix": records(by_helix),
                          "missing_roles": records(gaps)},
                  summary={"actors": len(table), "hubs": int(snap.nodes["hub"].nunique()),
                           "groups": int(by_type.shape[0]), **quadrants},
                  notes={"grouping": grid.grouping_, "note": grid.note_, "weights": grid.weights_,
                         "authority": dict(AUTHORITY)})


def metrics(atlas: Atlas, filters: Filters | None = None, *, sort: str = "pagerank", top: int | None = 20,
            exact_limit: int = EXACT_LIMIT, pivots: int = PIVOTS, seed: int = 0, progress=None) -> Result:
    """Every actor's centralities (the ``top`` by ``sort``) and the network's figures."""
    if sort not in METRICS:
        raise InputRejected([Problem(column="--sort", reason=f"{sort!r} is not a metric",
                                     hint="one of: " + ", ".join(METRICS))])
    snap = snapshot(atlas, filters, progress)
    m = NetworkMetrics(exact_limit=exact_limit, pivots=pivots, seed=seed).run(snap, progress)
    nodes = m.nodes_.sort_values([sort, "id"], ascending=[False, True])
    return Result(tables={"actors": records(nodes.head(top) if top else nodes)}, summary=m.graph_.as_dict())


def brokerage(atlas: Atlas, filters: Filters | None = None, *, groups: str = "auto", role: str = "total",
              top: int | None = 20, bridges: int = 3, group: str | None = None, progress=None) -> Result:
    """Gould–Fernandez roles per actor (the ``top`` by ``role``), the network's totals against chance, and the
    best bridges between each pair of groups.

    ``groups`` is the attribute that makes the groups; ``auto`` (the default) takes hubs, or on an atlas without
    hubs countries, else Leiden communities, and ``note`` says so. With ``group`` (a hub's name or id, or a
    group's label) the roles are still counted on the whole network, but only that group's brokers and bridges
    come back: a hub's dashboard asks for its ten rows, not the network's."""
    if role not in (*ROLES, "total"):
        raise InputRejected([Problem(column="--role", reason=f"{role!r} is not a brokerage role",
                                     hint="one of: " + ", ".join((*ROLES, "total")))])
    snap = snapshot(atlas, filters, progress)
    try:
        snap, column, note = grouped(snap, None if groups == "auto" else groups)
        b = Brokerage(groups=column).run(snap)
    except ValueError as exc:
        raise InputRejected([Problem(column="--groups", reason=str(exc))]) from None
    nodes = b.nodes_
    label = None if group is None else _group_label(atlas, column, group, nodes["group"].unique())
    pairs = hub_bridges(snap, top=bridges, by=column, involving=label)
    if label is not None:
        nodes = nodes[nodes["group"] == label]
    ranked = nodes.sort_values([role, "id"], ascending=[False, True]).head(top or len(nodes))
    return Result(tables={"brokers": records(ranked), "roles": records(b.graph_), "bridges": records(pairs)},
                  summary={"groups": column, "actors": len(snap), **({"group": label} if label is not None else {})},
                  notes={"grouping": column, "note": note})


def communities(atlas: Atlas, filters: Filters | None = None, *, resolution: float = 1.0, seed: int = 0,
                min_size: int = 3, progress=None) -> Result:
    """Leiden communities, each described by its hubs, types and leading members."""
    snap = snapshot(atlas, filters, progress)
    c = Communities(resolution=resolution, seed=seed, min_size=min_size).run(snap)
    members = snap.nodes[["id", "name", "hub", "type"]].assign(community=c.membership_)
    return Result(tables={"communities": records(c.communities_), "members": records(members)},
                  summary={"communities": int(c.membership_.max() + 1) if len(c.membership_) else 0,
                           "modularity": c.modularity_, "resolution": resolution})


def emerging(atlas: Atlas, filters: Filters | None = None, *, period: str = "year", window: int = 3,
             top: int = 10, prior: float = PRIOR, progress=None) -> Result:
    """New ties per period, the largest component's growth, rising actors (by relative growth of their ties, so
    newcomers show) and the latest bridges."""
    snap = snapshot(atlas, filters, progress)
    try:
        e = Emerging(period=period, window=window, top=top, prior=prior).run(snap)
    except ValueError as exc:
        raise InputRejected([Problem(reason=str(exc))]) from None
    return Result(tables={"periods": records(e.periods_), "risers": records(e.risers_),
                          "bridges": records(e.bridges_)},
                  summary={"period": period, "undated_ties": e.undated_, "periods": len(e.periods_)},
                  notes={"note": f"Risers by the relative growth of their ties: ties started in the last {window} "
                                 f"{period}(s) / (ties active before them + {prior:g})."})


def gaps(atlas: Atlas, filters: Filters | None = None, *, reach_steps: int = 2, thin: int = 2,
         progress=None) -> Result:
    """Missing roles per hub, needs nobody within reach can meet, every stated need and how it is met (matched,
    weak with its score, or no provider anywhere), and hubs with no or thin ties."""
    from .needs import need_rows  # here, not at the top: services.needs builds on this module's Result

    snap = snapshot(atlas, filters, progress)
    g = Gaps(reach=reach_steps, thin=thin).run(snap)
    missing = g.missing_roles_.assign(missing=g.missing_roles_["missing"].map(lambda v: ", ".join(v) or "none"))
    needs = g.needs_
    # the register's clinical needs no innovation addresses yet (of the hubs analysed), gravest first
    asked = [atlas.hub_id(h) for h in (filters or Filters()).hubs]
    hubs = set(atlas.names("hub", asked).values())
    clinical = [{k: r[k] for k in ("id", "statement", "clinical_area", "severity", "status", "hub", "raised_by",
                                   "endorsements")}
                for r in need_rows(atlas, unaddressed=True) if not hubs or r["hub"] in hubs]
    return Result(tables={"unreached": records(g.unreached_), "needs": records(needs), "clinical_needs": clinical,
                          "missing_roles": records(missing), "hub_pairs": records(g.hub_pairs_)},
                  summary={"unreached": len(g.unreached_), "clinical_needs_unaddressed": len(clinical),
                           "hubs_missing_roles": int((g.missing_roles_["missing"].map(len) > 0).sum()),
                           "thin_hub_pairs": len(g.hub_pairs_), "stated_needs": len(needs),
                           "needs_matched": int((needs["status"] == "matched").sum()),
                           "needs_weak": int((needs["status"] == "weak").sum()),
                           "needs_without_provider": int((needs["status"] == "none").sum())})


def _positions(atlas: Atlas, snap: Snapshot, refs: list[str], flag: str) -> list[int]:
    out = []
    for ref in refs:
        try:
            out.append(snap.position(atlas.organization_id(ref)))
        except KeyError as exc:
            raise InputRejected([Problem(column=flag, reason=str(exc.args[0]))]) from None
    return out


def diffusion(atlas: Atlas, filters: Filters | None = None, *, seeds: list[str] = (), steps: int = 3,
              probability: float = 0.1, runs: int = 200, seed: int = 0, best: int = 0, top: int = 20,
              progress=None) -> Result:
    """Reach within ``steps`` and independent cascades from ``seeds`` (organisation names or ids); with ``best``,
    the seed set of that size that spreads furthest."""
    if not seeds and not best:
        raise InputRejected([Problem(column="--seed-org", reason="give the actors an idea starts from, or --best K",
                                     hint="e.g. --seed-org 'Barcelona Health Hub' or --best 5")])
    snap = snapshot(atlas, filters, progress)
    model = Diffusion(probability=probability, runs=runs, seed=seed)
    tables: dict[str, list] = {}
    summary: dict[str, Any] = {}
    if seeds:
        start = _positions(atlas, snap, list(seeds), "--seed-org")
        model.run(snap, start, progress)
        tables["reached"] = records(model.actors_.head(top))
        tables["curve"] = records(model.curve_)
        tables["reach"] = records(reach(snap, start, steps))
        summary.update(model.spread_)
    if best:
        if best > len(snap):
            raise InputRejected([Problem(column="--best", reason=f"only {len(snap)} actors are in the snapshot")])
        tables["best_seeds"] = records(model.best_seeds(snap, best, progress))
    return Result(tables=tables, summary=summary)

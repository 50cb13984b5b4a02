"""The ecosystem map's data: every actor with what the map colours and sizes by, its position, and every tie, as
columns; above a threshold, one node per hub instead."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.snapshot import Snapshot
from ..domain import StakeholderType, TieKind
from ..domain.parsing import day, terms
from ..settings import Settings, SettingsError
from ..store import Atlas
from .analysis import Filters
from .layout import EXTENT, communities_of, positions, regions

__all__ = ["LEVELS", "map_data", "map_json", "map_frames", "map_snapshot", "hub_threshold", "DEFAULT_HUB_THRESHOLD"]

LEVELS = ("auto", "actors", "hubs")
#: Above this many actors (and no hub asked for) the map opens on its hubs (``ECOTONE_MAP_HUB_THRESHOLD``).
DEFAULT_HUB_THRESHOLD = 50_000
NO_HUB = "(no hub)"
_NODE_COLUMNS = ("id", "label", "type", "helix", "hub", "hub_id", "country", "stage", "community", "degree",
                 "strength", "coreness", "pagerank", "x", "y")
_EDGE_COLUMNS = ("source", "target", "kind", "weight", "start")


def hub_threshold() -> int:
    """How many actors the map shows one by one before it opens on its hubs: the setting
    ``map_hub_threshold`` (``ECOTONE_MAP_HUB_THRESHOLD``), default 50,000; a value that is not a whole number
    counts as the default.

    >>> hub_threshold()
    50000
    """
    try:
        return Settings().map_hub_threshold
    except SettingsError:
        return DEFAULT_HUB_THRESHOLD


_NODE_FIELDS = ["name", "type", "hub_id", "country", "stage"]
#: The tie fields the actors level reads: what it sends and what its collaboration graph sums (direction only
#: shapes a Snapshot's ``digraph``, which the map does not read; at a million ties every column read costs).
ACTOR_TIE_FIELDS = ("kind", "weight", "start_date")


def map_frames(atlas: Atlas, filters: Filters | None = None, *, tie_fields: tuple[str, ...] = ACTOR_TIE_FIELDS
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The actors and ties the map shows, read with only the columns it needs (a Snapshot also reads every
    actor's tags, deals and programmes, and builds graphs the hub summary does not need): the same selection as
    :meth:`Snapshot.from_atlas` under ``filters``, as the atlas's principal may see it. The actors have ``id``,
    ``name``, ``type``, ``hub_id``, ``hub``, ``country`` and ``stage``; the ties ``source`` and ``target`` (row
    positions in the actors) and ``tie_fields``.

    >>> from ecotone.services.demo import build_demo
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = build_demo(atlas)
    ...     nodes, ties = map_frames(atlas, Filters(hubs=("Barcelona Health Hub",), kinds=("clinical_pilot",)))
    ...     snap = Snapshot.from_atlas(atlas, hubs=["Barcelona Health Hub"], kinds=["clinical_pilot"])
    >>> nodes["id"].tolist() == snap.nodes["id"].tolist(), ties["source"].tolist() == snap.ties["source"].tolist()
    (True, True)
    """
    f = filters or Filters()
    nodes = _actors_frame(atlas, f)
    return nodes, _ties_frame(atlas, f, nodes["id"].to_numpy(), tie_fields)


def _actors_frame(atlas: Atlas, f: Filters) -> pd.DataFrame:
    hub_ids = {atlas.hub_id(h) for h in f.hubs} if f.hubs else None
    type_set = set(terms(StakeholderType, list(f.types), "stakeholder type")) if f.types else None
    orgs = atlas.frame("organization", _NODE_FIELDS)
    keep = np.ones(len(orgs), dtype=bool)
    if hub_ids is not None:
        keep &= orgs["hub_id"].isin(hub_ids).to_numpy()
    if type_set is not None:
        keep &= orgs["type"].isin(type_set).to_numpy()
    orgs = orgs[keep].reset_index(drop=True)
    orgs["hub_id"] = orgs["hub_id"].astype("Int64")
    names = dict(atlas.frame("hub", ["name"]).itertuples(index=False))
    orgs["hub"] = orgs["hub_id"].map(names).astype(object).where(orgs["hub_id"].notna(), None)
    return orgs


def _ties_frame(atlas: Atlas, f: Filters, ids: np.ndarray, tie_fields: tuple[str, ...]) -> pd.DataFrame:
    """The ties among the actors of ``ids`` (sorted, as the atlas's frames are) that ``f`` lets through."""
    kind_set = set(terms(TieKind, list(f.kinds), "tie kind")) if f.kinds else None
    since = day(f.since, "since") if f.since is not None else None
    until = day(f.until, "until") if f.until is not None else None
    if since and until and since > until:
        raise ValueError(f"since ({since}) is after until ({until})")
    if f.min_weight is not None and not f.min_weight >= 0:
        raise ValueError(f"min_weight must be a number ≥ 0, not {f.min_weight!r}")
    needed = {"kind": kind_set is not None, "weight": f.min_weight is not None, "start_date": until is not None,
              "end_date": since is not None}
    wanted = set(tie_fields) | {c for c, used in needed.items() if used}
    raw = atlas.frame("tie", ["source_id", "target_id", *sorted(wanted)])
    source, known_source = _rows(ids, raw["source_id"].to_numpy())
    target, known_target = _rows(ids, raw["target_id"].to_numpy())
    keep = known_source & known_target
    if kind_set is not None:
        keep &= raw["kind"].isin(kind_set).to_numpy()
    if f.min_weight is not None:
        keep &= (raw["weight"] >= f.min_weight).to_numpy()
    if until is not None:
        keep &= (raw["start_date"].isna() | (raw["start_date"] <= pd.Timestamp(until))).to_numpy()
    if since is not None:
        keep &= (raw["end_date"].isna() | (raw["end_date"] >= pd.Timestamp(since))).to_numpy()
    ties = raw.loc[keep, list(tie_fields)].reset_index(drop=True)
    ties.insert(0, "target", target[keep])
    ties.insert(0, "source", source[keep])
    return ties


def _rows(ids: np.ndarray, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The row of each of ``refs`` among the sorted ``ids``, and whether it is there at all."""
    rows = np.searchsorted(ids, refs)
    if not len(ids):
        return rows, np.zeros(len(refs), dtype=bool)
    return rows, ids[np.minimum(rows, len(ids) - 1)] == refs


def map_snapshot(atlas: Atlas, filters: Filters | None = None) -> Snapshot:
    """The Snapshot the map's actors level reads: :func:`map_frames`' actors and ties (no tags, deals or
    programmes, no directions), with the same collaboration graph (``graph``) as :meth:`Snapshot.from_atlas`."""
    return Snapshot.from_frames(*map_frames(atlas, filters))


def _plain(values: pd.Series | np.ndarray) -> list:
    """A column as a JSON-ready list: missing values (None, NaN, NA) as None, numpy scalars as Python ones."""
    s = pd.Series(values)
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iub":
        return s.tolist()
    s = s.astype(object)
    return s.where(s.notna(), None).tolist()


def _years(dates: pd.Series) -> list:
    years = pd.to_datetime(dates, errors="coerce").dt.year
    return years.astype("Int64").astype(object).where(years.notna(), None).tolist()


def _empty(level: str, threshold: int, layout: str) -> dict[str, Any]:
    return {"level": level, "nodes": {c: [] for c in _NODE_COLUMNS}, "edges": {c: [] for c in _EDGE_COLUMNS},
            "summary": {"actors": 0, "ties": 0, "communities": 0, "threshold": threshold, "layout": layout}}


def _actors(atlas: Atlas, filters: Filters, snap: Snapshot, threshold: int) -> dict[str, Any]:
    g = snap.graph
    nodes = snap.nodes
    n = len(nodes)
    weighted = "weight" if g.ecount() else None
    community = communities_of(snap)
    pagerank = np.asarray(g.pagerank(weights=weighted)) * n
    where, algorithm = positions(atlas, filters, snap=snap, communities=community, with_algorithm=True)
    t = snap.ties
    return {
        "level": "actors",
        "nodes": {"id": nodes["id"].tolist(), "label": _plain(nodes["name"]), "type": _plain(nodes["type"]),
                  "helix": _plain(nodes["helix"]), "hub": _plain(nodes["hub"]), "hub_id": _plain(nodes["hub_id"]),
                  "country": _plain(nodes["country"]), "stage": _plain(nodes["stage"]),
                  "community": np.asarray(community).tolist(), "degree": g.degree(),
                  "strength": np.round(np.asarray(g.strength(weights=weighted), dtype=float), 3).tolist(),
                  "coreness": g.coreness(), "pagerank": np.round(pagerank, 4).tolist(),
                  "x": np.round(where["x"].to_numpy(), 2).tolist(), "y": np.round(where["y"].to_numpy(), 2).tolist()},
        "edges": {"source": t["source"].tolist(), "target": t["target"].tolist(), "kind": _plain(t["kind"]),
                  "weight": t["weight"].fillna(1.0).tolist(), "start": _years(t["start_date"])},
        "summary": {"actors": n, "ties": len(t), "communities": int(community.max(initial=-1)) + 1,
                    "threshold": threshold, "layout": algorithm},
    }


def _hubs(atlas: Atlas, nodes: pd.DataFrame, t: pd.DataFrame, threshold: int) -> dict[str, Any]:
    """One node per hub (and one for actors without a hub), ties between hubs counted and their weights summed."""
    hub_ids = nodes["hub_id"].astype("Int64")
    codes, uniques = pd.factorize(hub_ids.fillna(-1).to_numpy(np.int64), sort=True)
    k = len(uniques)
    names = dict(atlas.frame("hub", ["name"]).itertuples(index=False))
    src, tgt = codes[t["source"].to_numpy()], codes[t["target"].to_numpy()]
    w = t["weight"].fillna(1.0).to_numpy(float)
    lo, hi = np.minimum(src, tgt), np.maximum(src, tgt)
    key = lo * k + hi
    cross = lo != hi
    pair, inverse, count = np.unique(key[cross], return_inverse=True, return_counts=True)
    pair_weight = np.bincount(inverse, weights=w[cross], minlength=len(pair))
    # A tie counts once for each hub it touches (once when both ends are in the same hub).
    degree = np.bincount(lo, minlength=k) + np.bincount(hi[cross], minlength=k)
    strength = np.bincount(lo, weights=w, minlength=k) + np.bincount(hi[cross], weights=w[cross], minlength=k)
    inside = np.bincount(lo[~cross], minlength=k)
    actors = np.bincount(codes, minlength=k)
    pairs = np.column_stack([pair // k, pair % k])
    centres, _ = regions(actors, pairs, count)
    span = np.abs(centres).max() or 1.0
    centres = centres * (EXTENT / span)
    ids = [None if h < 0 else int(h) for h in uniques]
    labels = [NO_HUB if h is None else names.get(h, str(h)) for h in ids]
    import igraph as ig

    hub_graph = ig.Graph(n=k, edges=pairs.tolist(), directed=False)
    hub_graph.es["weight"] = pair_weight.tolist()
    pr = np.asarray(hub_graph.pagerank(weights="weight" if len(pairs) else None)) * k
    countries = nodes.groupby(codes)["country"].agg(lambda c: c.mode().iat[0] if c.notna().any() else None)
    return {
        "level": "hubs",
        "nodes": {"id": ids, "label": labels, "type": ["hub"] * k, "helix": [None] * k, "hub": labels, "hub_id": ids,
                  "country": _plain(countries.reindex(range(k))), "stage": [None] * k, "community": [0] * k,
                  "actors": actors.tolist(), "ties_inside": inside.tolist(), "degree": degree.tolist(),
                  "strength": np.round(strength, 3).tolist(), "coreness": hub_graph.coreness(),
                  "pagerank": np.round(pr, 4).tolist(),
                  "x": np.round(centres[:, 0], 2).tolist(), "y": np.round(centres[:, 1], 2).tolist()},
        "edges": {"source": (pair // k).tolist(), "target": (pair % k).tolist(), "kind": ["hub ties"] * len(pair),
                  "weight": count.tolist(), "start": [None] * len(pair)},
        "summary": {"actors": len(nodes), "ties": len(t), "communities": 0, "hubs": k, "threshold": threshold,
                    "layout": "hubs as discs (area by actors) placed by igraph Fruchterman-Reingold of the ties "
                              "between them; seed 0"},
    }


def map_data(atlas: Atlas, filters: Filters | None = None, *, level: str = "auto") -> dict[str, Any]:
    """The map's nodes and edges as columns (contract C2 of docs/development.md).

    At level ``actors``: each actor's id, name (``label``), type, helix, hub and hub id, country, stage, Leiden
    community, degree, strength (weighted degree), k-core, PageRank (scaled so that the mean is 1) and position
    (``x``, ``y`` from :func:`ecotone.services.layout.positions`); each tie's ends as row indices into the node
    columns, kind, weight and start year. At level ``hubs``: one node per hub (``actors`` counts its actors,
    ``degree`` the ties touching them), and one edge per pair of hubs, its weight how many ties join them.
    ``auto`` (the default) is ``hubs`` when more actors than :func:`hub_threshold` match and no hub is asked for.
    Nothing matching gives empty columns, not an error.

    Examples
    --------
    >>> from ecotone.services.demo import build_demo
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = build_demo(atlas)
    ...     data = map_data(atlas, Filters(hubs=("Barcelona Health Hub",)))
    ...     hubs = map_data(atlas, level="hubs")
    >>> data["level"], len(data["nodes"]["id"]) == data["summary"]["actors"], set(data["nodes"]["hub"])
    ('actors', True, {'Barcelona Health Hub'})
    >>> hubs["level"], sum(hubs["nodes"]["actors"]) == hubs["summary"]["actors"]
    ('hubs', True)
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    filters = filters or Filters()
    threshold = hub_threshold()
    nodes = _actors_frame(atlas, filters)
    if level == "auto":
        level = "hubs" if len(nodes) > threshold and not filters.hubs else "actors"
    if not len(nodes):
        return _empty(level, threshold, "")
    ids = nodes["id"].to_numpy()
    if level == "hubs":
        return _hubs(atlas, nodes, _ties_frame(atlas, filters, ids, ("weight",)), threshold)
    snap = Snapshot.from_frames(nodes, _ties_frame(atlas, filters, ids, ACTOR_TIE_FIELDS))
    return _actors(atlas, filters, snap, threshold)


def map_json(atlas: Atlas, filters: Filters | None = None, *, level: str = "auto") -> bytes:
    """:func:`map_data` as compact JSON bytes (the API's response cache keeps them while the atlas is unchanged)."""
    return json.dumps(map_data(atlas, filters, level=level), separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()

"""The ecosystem map's data: every actor with what the map colours and sizes by, and every tie, as columns."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.communities import Communities
from ..store import Atlas
from .analysis import Filters, snapshot

__all__ = ["map_data", "map_json"]


def map_data(atlas: Atlas, filters: Filters | None = None) -> dict[str, Any]:
    """Nodes and edges as columns (compact for 20,000 actors and 100,000 ties): each actor's id, name, type,
    helix, hub, country, stage, Leiden community, degree, strength (weighted degree), k-core and PageRank
    (scaled so that the mean is 1); each tie's ends (actor ids), kind, weight
    and start year.

    Examples
    --------
    >>> from ecotone.services.demo import build_demo
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = build_demo(atlas)
    ...     data = map_data(atlas, Filters(hubs=("Barcelona Health Hub",)))
    >>> sorted(data["nodes"])[:4], len(data["nodes"]["id"]) == data["summary"]["actors"]
    (['community', 'coreness', 'country', 'degree'], True)
    """
    snap = snapshot(atlas, filters)
    g = snap.graph
    nodes = snap.nodes
    community = Communities(seed=0).run(snap).membership_ if g.ecount() else np.zeros(len(nodes), dtype=int)
    pagerank = np.asarray(g.pagerank(weights="weight" if g.ecount() else None)) if len(nodes) else np.zeros(0)
    ids = nodes["id"].to_numpy()
    t = snap.ties
    years = pd.to_datetime(t["start_date"], errors="coerce").dt.year if "start_date" in t.columns else \
        pd.Series(np.nan, index=t.index)
    start = [None if y != y else int(y) for y in years.tolist()]

    def column(name: str) -> list:
        return [None if v is None or v != v else v for v in nodes[name].tolist()] if name in nodes else \
            [None] * len(nodes)

    return {
        "nodes": {"id": ids.tolist(), "label": column("name"), "type": column("type"), "helix": column("helix"),
                  "hub": column("hub"), "country": column("country"), "stage": column("stage"),
                  "community": np.asarray(community).tolist(), "degree": g.degree(),
                  "strength": np.round(g.strength(weights="weight" if g.ecount() else None), 3).tolist(),
                  "coreness": g.coreness(),
                  "pagerank": np.round(pagerank * len(nodes), 4).tolist()},
        "edges": {"source": ids[t["source"].to_numpy()].tolist(), "target": ids[t["target"].to_numpy()].tolist(),
                  "kind": t["kind"].tolist(), "weight": t["weight"].fillna(1.0).tolist() if "weight" in t else [],
                  "start": start},
        "summary": {"actors": len(nodes), "ties": len(t), "communities": int(max(community, default=-1)) + 1},
    }


def map_json(atlas: Atlas, filters: Filters | None = None) -> bytes:
    """:func:`map_data` as compact JSON bytes (the API's response cache keeps them while the atlas is unchanged)."""
    return json.dumps(map_data(atlas, filters), separators=(",", ":"), default=str).encode()

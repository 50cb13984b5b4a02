"""The stakeholder map: who is in each hub (coverage), where each actor sits on the power–interest grid, and
whom to engage first."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..domain import Helix, SizeClass, StakeholderType
from .snapshot import Snapshot

__all__ = ["coverage", "StakeholderMap", "QUADRANTS", "NO_HUB"]

NO_HUB = "(no hub)"

#: Mendelow's grid: (high power, high interest) first.
QUADRANTS = {
    (True, True): "manage closely",
    (True, False): "keep satisfied",
    (False, True): "keep informed",
    (False, False): "monitor",
}
_SIZE_RANK = {s.value: i + 1 for i, s in enumerate(SizeClass)}


def coverage(snapshot: Snapshot, by: str = "type") -> pd.DataFrame:
    """Actors per hub (rows) and stakeholder type or helix sector (columns, every one of the vocabulary).

    >>> nodes = pd.DataFrame({"name": ["a", "b", "c"], "type": ["startup", "startup", "hospital"],
    ...                       "hub": ["BCN", "BCN", "PL"]})
    >>> coverage(Snapshot.from_frames(nodes, pd.DataFrame({"source": [], "target": []})), by="helix").to_dict("index")
    {'BCN': {'academia': 0, 'industry': 2, 'government': 0, 'civil_society': 0}, 'PL': {'academia': 0, 'industry': 0, 'government': 1, 'civil_society': 0}}
    """
    if by not in ("type", "helix"):
        raise ValueError(f"coverage is by 'type' or 'helix', not {by!r}")
    vocabulary = [t.value for t in (StakeholderType if by == "type" else Helix)]
    hubs = snapshot.nodes["hub"].astype(object).where(snapshot.nodes["hub"].notna(), NO_HUB)
    table = pd.crosstab(hubs.rename("hub"), snapshot.nodes[by].rename(by))
    return table.reindex(columns=vocabulary, fill_value=0).astype(int)


class StakeholderMap:
    """Place every actor on a power–interest grid within its hub, and rank whom to engage.

    Power is the mean percentile, within the hub, of PageRank (position in the network), funding (raised —
    deals, and contributions from grants and research projects such as CORDIS's EC contributions — plus
    invested) and size class; interest is the mean percentile of ties (degree) and programmes joined. Both run
    from 0 to 1; above 0.5 is high, which splits the grid into Mendelow's quadrants. ``overrides`` maps an organisation id or name to
    the ``power`` and/or ``interest`` a user knows better.

    Attributes
    ----------
    grid_ : per actor: hub, type, power, interest, quadrant, priority (power × interest), needs and offers,
        sorted by hub then priority (the ranked priority list).

    Examples
    --------
    >>> nodes = pd.DataFrame({"name": ["Clínic", "Kardio", "Ysios"], "type": ["hospital", "startup", "investor"],
    ...                       "hub": ["BCN"] * 3, "funding_invested": [0.0, 0.0, 2e6]})
    >>> ties = pd.DataFrame({"source": [0, 2], "target": [1, 1]})
    >>> m = StakeholderMap(overrides={"Clínic": {"power": 0.9}}).run(Snapshot.from_frames(nodes, ties))
    >>> m.grid_[["name", "quadrant"]].to_dict("records")
    [{'name': 'Clínic', 'quadrant': 'keep satisfied'}, {'name': 'Kardio', 'quadrant': 'manage closely'}, {'name': 'Ysios', 'quadrant': 'keep satisfied'}]
    """

    def __init__(self, *, overrides: Mapping[int | str, Mapping[str, float]] | None = None) -> None:
        self.overrides = dict(overrides or {})

    def run(self, snapshot: Snapshot) -> StakeholderMap:
        nodes = snapshot.nodes
        g, dg = snapshot.graph, snapshot.digraph
        frame = nodes[["id", "name", "type", "helix"]].copy()
        frame["hub"] = nodes["hub"].astype(object).where(nodes["hub"].notna(), NO_HUB)
        frame["pagerank"] = dg.pagerank(directed=True, weights="weight") if len(nodes) else []
        frame["funding"] = nodes["funding_raised"].to_numpy(float) + nodes["funding_invested"].to_numpy(float)
        frame["size_rank"] = nodes["size"].map(_SIZE_RANK).fillna(0).to_numpy(float)
        frame["ties"] = g.degree()
        frame["programmes"] = nodes["programmes"].to_numpy(int)
        by_hub = frame.groupby("hub")

        def pct(col: str) -> pd.Series:  # mid-rank percentiles: a hub of equals sits at 0.5 on every count
            return (by_hub[col].rank(method="average") - 0.5) / by_hub[col].transform("size")

        frame["power"] = (pct("pagerank") + pct("funding") + pct("size_rank")) / 3
        frame["interest"] = (pct("ties") + pct("programmes")) / 2
        self._apply_overrides(frame)
        frame["quadrant"] = [QUADRANTS[(p > 0.5, i > 0.5)] for p, i in zip(frame["power"], frame["interest"])]
        frame["priority"] = frame["power"] * frame["interest"]
        frame["needs"] = nodes["needs"].to_numpy()
        frame["offers"] = nodes["offers"].to_numpy()
        self.grid_ = frame.sort_values(["hub", "priority", "id"], ascending=[True, False, True]).reset_index(drop=True)
        return self

    def _apply_overrides(self, frame: pd.DataFrame) -> None:
        for key, values in self.overrides.items():
            hit = frame["id"] == key if isinstance(key, int | np.integer) else frame["name"].str.lower() == str(key).lower()
            if not hit.any():
                raise ValueError(f"override for {key!r}: no such actor in this snapshot")
            for field in ("power", "interest"):
                if field in values:
                    value = float(values[field])
                    if not 0 <= value <= 1:
                        raise ValueError(f"override for {key!r}: {field} must be between 0 and 1, not {value}")
                    frame.loc[hit, field] = value
            unknown = set(values) - {"power", "interest"}
            if unknown:
                raise ValueError(f"override for {key!r}: unknown field(s) {', '.join(sorted(unknown))}; "
                                 "use power and interest")

    def hub(self, name: str) -> pd.DataFrame:
        """The grid of one hub, its priority list in order."""
        out = self.grid_[self.grid_["hub"] == name]
        if out.empty:
            raise ValueError(f"no hub {name!r} in this snapshot; hubs: {', '.join(self.grid_['hub'].unique()[:12])}")
        return out

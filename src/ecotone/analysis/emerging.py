"""Emerging collaborations: ties formed per period, new bridges across hubs and sectors, the largest component's
growth, and the actors whose ties grow fastest for their size (newcomers, not incumbents)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

from .snapshot import Snapshot

__all__ = ["Emerging", "PRIOR"]

#: The smoothing prior of a riser's growth: as if every actor had this many more ties before the window.
PRIOR = 2.0

_FREQ = {"year": "Y", "quarter": "Q", "month": "M"}


class Emerging:
    """Follow the network through time by its ties' start (and end) dates.

    Parameters
    ----------
    period : ``year``, ``quarter`` or ``month``.
    window : risers are measured over the last ``window`` periods.
    top : how many risers and recent bridges to list.
    prior : the smoothing prior of growth (default :data:`PRIOR`, 2 ties).

    Attributes
    ----------
    periods_ : per period: new ties, new cross-hub and cross-sector ties, ties active at its end, active actors,
        largest component (actors) at its end.
    risers_ : the actors whose ties grew most for their size over the window: ``growth`` = ties started in the
        window / (ties active at its start + ``prior``), so an actor going from 1 tie to 6 (5 / 3 ≈ 1.67) rises
        above one going from 40 to 46 (6 / 42 ≈ 0.14), and one new tie for an actor with none is a rise of ½, not
        infinity. Ties: ``ties_before`` (active at the window's start), ``new_ties`` (started in it),
        ``degree_before`` and ``degree_now`` (distinct partners at the two dates).
    bridges_ : the most recent ties that join two hubs or two helix sectors.
    undated_ : how many ties have no start date (left out of the timeline).

    Examples
    --------
    >>> nodes = pd.DataFrame({"name": list("abcd"), "hub": ["X", "X", "Y", "Y"], "type": ["startup"] * 4})
    >>> ties = pd.DataFrame({"source": [0, 1, 2], "target": [1, 2, 3],
    ...                      "start_date": pd.to_datetime(["2020-03-01", "2021-05-01", "2021-07-01"])})
    >>> e = Emerging(window=1).run(Snapshot.from_frames(nodes, ties))
    >>> e.periods_[["period", "new_ties", "new_cross_hub", "largest_component"]].to_dict("records")
    [{'period': '2020', 'new_ties': 1, 'new_cross_hub': 0, 'largest_component': 2}, {'period': '2021', 'new_ties': 2, 'new_cross_hub': 1, 'largest_component': 4}]
    """

    def __init__(self, *, period: str = "year", window: int = 3, top: int = 10, prior: float = PRIOR) -> None:
        if period not in _FREQ:
            raise ValueError(f"period must be one of {', '.join(_FREQ)}, not {period!r}")
        if window < 1:
            raise ValueError("window must be ≥ 1")
        if not prior > 0:
            raise ValueError(f"prior must be > 0, not {prior!r}")
        self.period, self.window, self.top, self.prior = period, window, top, prior

    def run(self, snapshot: Snapshot) -> Emerging:
        ties = snapshot.ties
        nodes = snapshot.nodes
        start = pd.to_datetime(ties["start_date"])
        end = pd.to_datetime(ties["end_date"])
        dated = start.notna().to_numpy()
        self.undated_ = int((~dated).sum())
        src, tgt = ties["source"].to_numpy(), ties["target"].to_numpy()
        hubs = nodes["hub"].astype(object).to_numpy()
        helix = nodes["helix"].to_numpy()
        cross_hub = pd.notna(hubs[src]) & pd.notna(hubs[tgt]) & (hubs[src] != hubs[tgt])
        cross_sector = helix[src] != helix[tgt]
        freq = _FREQ[self.period]
        label = start.dt.to_period(freq)
        periods = (pd.period_range(label[dated].min(), label[dated].max(), freq=freq)
                   if dated.any() else pd.PeriodIndex([], freq=freq))
        n = len(nodes)
        rows = []
        for p in periods:
            now = p.end_time
            new = dated & (label == p).to_numpy()
            active = self._active(start, end, now)
            rows.append({"period": str(p), "new_ties": int(new.sum()), "new_cross_hub": int((new & cross_hub).sum()),
                         "new_cross_sector": int((new & cross_sector).sum()), "active_ties": int(active.sum()),
                         "active_actors": int(len(np.union1d(src[active], tgt[active]))),
                         "largest_component": _largest_component(n, src[active], tgt[active])})
        self.periods_ = pd.DataFrame(rows, columns=["period", "new_ties", "new_cross_hub", "new_cross_sector",
                                                    "active_ties", "active_actors", "largest_component"])
        self.risers_ = self._risers(snapshot, start, end, periods)
        recent = np.flatnonzero(dated & (cross_hub | cross_sector))
        recent = recent[np.argsort(-start.to_numpy()[recent].astype(np.int64), kind="stable")][: self.top]
        names = nodes["name"].to_numpy()
        self.bridges_ = pd.DataFrame({
            "start": start.iloc[recent].dt.date.to_numpy(), "source": names[src[recent]], "source_hub": hubs[src[recent]],
            "target": names[tgt[recent]], "target_hub": hubs[tgt[recent]], "kind": ties["kind"].to_numpy()[recent],
            "cross": np.where(cross_hub[recent], np.where(cross_sector[recent], "hub and sector", "hub"), "sector")})
        return self

    @staticmethod
    def _active(start: pd.Series, end: pd.Series, at: pd.Timestamp) -> np.ndarray:
        return (start.notna() & (start <= at) & (end.isna() | (end >= at))).to_numpy()

    def _risers(self, snapshot: Snapshot, start, end, periods) -> pd.DataFrame:
        columns = ["id", "name", "hub", "type", "ties_before", "new_ties", "degree_before", "degree_now", "growth"]
        if len(periods) < 2:
            return pd.DataFrame(columns=columns)
        before_at = periods[max(len(periods) - 1 - self.window, 0)].end_time
        now_at = periods[-1].end_time
        n = len(snapshot.nodes)
        src, tgt = snapshot.ties["source"].to_numpy(), snapshot.ties["target"].to_numpy()
        loop = src == tgt
        out = snapshot.nodes[["id", "name", "hub", "type"]].copy()

        def per_actor(mask: np.ndarray) -> np.ndarray:
            keep = mask & ~loop
            return np.bincount(src[keep], minlength=n) + np.bincount(tgt[keep], minlength=n)

        started = start.notna().to_numpy()
        recent = started & (start > before_at).to_numpy() & (start <= now_at).to_numpy()
        out["ties_before"] = per_actor(self._active(start, end, before_at))
        out["new_ties"] = per_actor(recent)
        for tag, at in (("before", before_at), ("now", now_at)):
            active = self._active(start, end, at) & ~loop
            a = sp.coo_matrix((np.ones(active.sum()), (src[active], tgt[active])), shape=(n, n)).tocsr()
            out[f"degree_{tag}"] = np.diff(((a + a.T) > 0).astype(np.int8).tocsr().indptr)
        out["growth"] = out["new_ties"] / (out["ties_before"] + self.prior)
        risers = out[out["new_ties"] > 0]
        return risers.sort_values(["growth", "new_ties", "id"], ascending=[False, False, True]
                                  ).head(self.top)[columns].reset_index(drop=True)


def _largest_component(n: int, src: np.ndarray, tgt: np.ndarray) -> int:
    if len(src) == 0:
        return 0
    a = sp.coo_matrix((np.ones(len(src)), (src, tgt)), shape=(n, n))
    _, labels = csgraph.connected_components(a, directed=False)
    touched = np.union1d(src, tgt)
    return int(np.bincount(labels[touched]).max())

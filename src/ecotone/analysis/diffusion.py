"""Knowledge flow: who a seed set reaches within k steps, an independent-cascade simulation of how far and how fast
an idea spreads, and the seed sets that spread furthest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

from .snapshot import Snapshot

__all__ = ["reach", "Diffusion"]


def _frontier_levels(adjacency: sp.csr_matrix, seeds: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Steps from the seed set to every actor (``inf`` when never reached), breadth first on sparse rows."""
    n = adjacency.shape[0]
    dist = np.full(n, np.inf)
    dist[seeds] = 0
    frontier = np.zeros(n, dtype=np.int8)
    frontier[seeds] = 1
    step = 0
    while frontier.any() and (limit is None or step < limit):
        step += 1
        touched = (adjacency @ frontier) > 0
        fresh = touched & np.isinf(dist)
        dist[fresh] = step
        frontier = fresh.astype(np.int8)
    return dist


def reach(snapshot: Snapshot, seeds: list[int], k: int = 3) -> pd.DataFrame:
    """How many actors the seed set reaches at each step up to ``k`` along ties (either way).

    >>> snap = Snapshot.from_frames(pd.DataFrame({"name": list("abcde")}),
    ...                             pd.DataFrame({"source": [0, 1, 2], "target": [1, 2, 3]}))
    >>> reach(snap, [0], k=3).to_dict("list")
    {'step': [0, 1, 2, 3], 'reached': [1, 1, 1, 1], 'cumulative': [1, 2, 3, 4], 'share': [0.2, 0.4, 0.6, 0.8]}
    """
    dist = _frontier_levels(snapshot.adjacency(), np.asarray(seeds, dtype=int), k)
    counts = [int((dist == s).sum()) for s in range(k + 1)]
    cumulative = np.cumsum(counts)
    return pd.DataFrame({"step": range(k + 1), "reached": counts, "cumulative": cumulative,
                         "share": cumulative / max(len(snapshot.nodes), 1)})


class Diffusion:
    """Independent cascades (Kempe, Kleinberg & Tardos 2003) on the collaboration graph, by Monte Carlo.

    A newly informed actor gets one chance to pass the idea along each tie; a tie of weight w passes it with
    probability ``1 - (1 - p)^w`` (w independent chances of ``p``). Each run samples which ties pass (a "live-edge"
    graph, equivalent in law to the cascade); the step at which an actor is informed is its distance from the
    seeds in that graph.

    Parameters
    ----------
    probability : p, the chance that a tie of weight 1 passes the idea.
    runs : Monte Carlo runs.
    seed : same seed, same runs.

    Examples
    --------
    >>> snap = Snapshot.from_frames(pd.DataFrame({"name": list("abcd")}),
    ...                             pd.DataFrame({"source": [0, 1, 2], "target": [1, 2, 3]}))
    >>> d = Diffusion(probability=1.0, runs=10).run(snap, [0])
    >>> d.actors_["probability"].tolist(), d.actors_["mean_step"].tolist()
    ([1.0, 1.0, 1.0, 1.0], [0.0, 1.0, 2.0, 3.0])
    >>> d.best_seeds(snap, 1)["name"].tolist()
    ['a']
    """

    def __init__(self, *, probability: float = 0.1, runs: int = 200, seed: int = 0) -> None:
        if not 0 < probability <= 1:
            raise ValueError(f"probability must be in (0, 1], not {probability!r}")
        if runs < 1:
            raise ValueError("runs must be ≥ 1")
        self.probability, self.runs, self.seed = probability, runs, seed

    def _live_graphs(self, snapshot: Snapshot, progress=None):
        g = snapshot.graph
        n = g.vcount()
        edges = np.asarray(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        chance = 1 - (1 - self.probability) ** np.asarray(g.es["weight"], dtype=float) if len(edges) else np.zeros(0)
        rng = np.random.default_rng(self.seed)
        for run in range(self.runs):
            live = rng.random(len(edges)) < chance
            a = sp.coo_matrix((np.ones(live.sum(), dtype=np.int8), (edges[live, 0], edges[live, 1])), shape=(n, n))
            if progress:
                progress("cascades", run + 1, self.runs)
            yield (a + a.T).tocsr()

    def run(self, snapshot: Snapshot, seeds: list[int], progress=None) -> Diffusion:
        """Simulate cascades from ``seeds`` (node positions).

        Sets ``actors_`` (per actor: probability of being reached, mean step when reached), ``curve_`` (per step:
        mean actors informed by then, with the 5th and 95th percentiles) and ``spread_`` (mean and quantiles of the
        actors reached in all).
        """
        seeds_arr = np.asarray(seeds, dtype=int)
        if not len(seeds_arr):
            raise ValueError("give at least one seed actor")
        n = len(snapshot.nodes)
        hits = np.zeros(n)
        step_sum = np.zeros(n)
        totals = []
        curves = []
        for live in self._live_graphs(snapshot, progress):
            dist = _frontier_levels(live, seeds_arr)
            reached = np.isfinite(dist)
            hits += reached
            step_sum += np.where(reached, dist, 0)
            totals.append(int(reached.sum()))
            curves.append(np.bincount(dist[reached].astype(int)))
        length = max(len(c) for c in curves)
        cumulative = np.vstack([np.cumsum(np.pad(c, (0, length - len(c)))) for c in curves])
        out = snapshot.nodes[["id", "name", "hub", "type"]].copy()
        out["probability"] = hits / self.runs
        with np.errstate(invalid="ignore", divide="ignore"):
            out["mean_step"] = np.where(hits > 0, step_sum / np.maximum(hits, 1), np.nan)
        self.actors_ = out.sort_values(["probability", "mean_step", "id"], ascending=[False, True, True],
                                       ignore_index=True)
        self.curve_ = pd.DataFrame({"step": range(length), "mean": cumulative.mean(axis=0),
                                    "p05": np.percentile(cumulative, 5, axis=0),
                                    "p95": np.percentile(cumulative, 95, axis=0)})
        totals_arr = np.asarray(totals)
        self.spread_ = {"seeds": len(seeds_arr), "runs": self.runs, "probability": self.probability,
                        "mean": float(totals_arr.mean()), "p05": float(np.percentile(totals_arr, 5)),
                        "median": float(np.median(totals_arr)), "p95": float(np.percentile(totals_arr, 95)),
                        "share": float(totals_arr.mean() / max(n, 1))}
        return self

    def best_seeds(self, snapshot: Snapshot, k: int, progress=None) -> pd.DataFrame:
        """The ``k`` actors that together spread furthest, chosen greedily (each adds the most expected reach to
        those before it; within 1 - 1/e of the best set, Kempe et al.). Every run shares the same sampled
        cascades, so the comparison between candidates is fair."""
        n = len(snapshot.nodes)
        if not 1 <= k <= n:
            raise ValueError(f"k must be between 1 and the number of actors ({n})")
        labels, sizes = [], []
        for live in self._live_graphs(snapshot, progress):
            _, lab = csgraph.connected_components(live, directed=False)
            labels.append(lab)
            sizes.append(np.bincount(lab))
        covered = [np.zeros(len(s), dtype=bool) for s in sizes]
        chosen, rows, total = [], [], 0.0
        for rank in range(1, k + 1):
            gain = np.zeros(n)
            for lab, size, cov in zip(labels, sizes, covered):
                gain += np.where(cov[lab], 0, size[lab])
            gain /= self.runs
            gain[chosen] = -1
            best = int(np.lexsort((np.arange(n), -gain))[0])
            chosen.append(best)
            for lab, cov in zip(labels, covered):
                cov[lab[best]] = True
            total += gain[best]
            node = snapshot.nodes.iloc[best]
            rows.append({"rank": rank, "id": int(node["id"]), "name": node["name"], "hub": node["hub"],
                         "type": node["type"], "gain": float(gain[best]), "expected_reach": total})
        return pd.DataFrame(rows)

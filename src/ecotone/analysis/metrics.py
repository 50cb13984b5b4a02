"""Centralities of every actor and the shape of the whole network (igraph, SciPy), with networkx's definitions."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh

from .snapshot import Snapshot

__all__ = ["NetworkMetrics", "GraphMetrics", "EXACT_LIMIT", "PIVOTS", "METRICS"]

#: The per-actor metrics, in the order tables show them.
METRICS = ("degree", "in_degree", "out_degree", "strength", "betweenness", "closeness", "harmonic", "eigenvector",
           "pagerank", "core", "clustering", "constraint", "effective_size")

#: Components up to this many actors get exact shortest-path metrics (igraph does 5,000 actors with 50,000 ties
#: in a few seconds); larger ones are estimated from random pivots.
EXACT_LIMIT = 5_000
#: Pivots (random source actors) for the estimates in large components (Brandes & Pich 2007).
PIVOTS = 256
#: The sampling error is stated for the actors that matter: the top 100 by betweenness.
TOP_ERROR = 100
_BATCHES = 32


@dataclass(frozen=True)
class GraphMetrics:
    """Figures of the whole network. Path figures and assortativity follow networkx's definitions."""

    actors: int
    ties: int
    pairs: int  #: distinct pairs of actors joined by at least one tie
    density: float
    components: int
    largest_component: int
    reciprocity: float
    transitivity: float
    average_clustering: float
    average_path_length: float  #: over the largest component
    assortativity_type: float
    assortativity_hub: float
    cross_sector_share: float  #: ties joining two helix sectors ("cross-sector integration")
    cross_hub_share: float  #: ties joining two hubs, among ties whose ends both belong to a hub
    sampled: bool  #: whether shortest-path metrics were estimated from pivots
    pivots: int
    betweenness_relative_error: float  #: median standard error / estimate among the top 100 (0 when exact)

    def as_dict(self) -> dict:
        return asdict(self)


class NetworkMetrics:
    """Degree, strength, betweenness, closeness, harmonic, eigenvector, PageRank, k-core, clustering and Burt's
    constraint and effective size for every actor; density, components, reciprocity, path length, assortativity
    and cross-sector and cross-hub shares for the network.

    Definitions are networkx's, on the snapshot's undirected collaboration graph (``in_degree``, ``out_degree``
    and PageRank on the directed view): betweenness normalised by ``2/((n-1)(n-2))`` on unweighted shortest
    paths (tie weights are strengths, not distances); closeness with Wasserman–Faust's scaling for disconnected
    graphs; eigenvector of the unweighted adjacency with unit length; weighted PageRank (damping 0.85);
    weighted constraint; effective size after Borgatti (unweighted).

    Components larger than ``exact_limit`` get betweenness, closeness and harmonic centrality estimated from
    ``pivots`` random sources; ``betweenness_se`` then holds each estimate's standard error.

    Examples
    --------
    >>> import networkx as nx
    >>> snap = Snapshot.from_frames(pd.DataFrame({"name": ["a", "b", "c", "d"]}),
    ...                             pd.DataFrame({"source": [0, 1, 2], "target": [1, 2, 3]}))
    >>> m = NetworkMetrics().run(snap)
    >>> m.nodes_[["name", "degree", "betweenness", "core"]].to_dict("list")
    {'name': ['a', 'b', 'c', 'd'], 'degree': [1, 2, 2, 1], 'betweenness': [0.0, 0.6666666666666666, 0.6666666666666666, 0.0], 'core': [1, 1, 1, 1]}
    >>> m.graph_.components, m.graph_.average_path_length
    (1, 1.6666666666666667)
    """

    def __init__(self, *, exact_limit: int = EXACT_LIMIT, pivots: int = PIVOTS, seed: int = 0) -> None:
        if exact_limit < 1 or pivots < 2:
            raise ValueError("exact_limit must be ≥ 1 and pivots ≥ 2")
        self.exact_limit = exact_limit
        self.pivots = pivots
        self.seed = seed

    def run(self, snapshot: Snapshot, progress=None) -> NetworkMetrics:
        g, dg = snapshot.graph, snapshot.digraph
        n = g.vcount()
        step = _Steps(progress, "metrics", 6)
        nodes = snapshot.nodes[["id", "name", "type", "hub"]].copy()
        nodes["degree"] = g.degree()
        nodes["in_degree"] = dg.indegree()
        nodes["out_degree"] = dg.outdegree()
        nodes["strength"] = g.strength(weights="weight")
        step()
        comps = g.connected_components()
        membership = np.asarray(comps.membership)
        sizes = np.bincount(membership, minlength=1) if n else np.zeros(0, int)
        paths = _ShortestPaths(g, membership, sizes, self.exact_limit, self.pivots, self.seed).run()
        nodes["betweenness"] = paths.betweenness
        nodes["betweenness_se"] = paths.betweenness_se
        nodes["closeness"] = paths.closeness
        nodes["harmonic"] = paths.harmonic
        step()
        nodes["eigenvector"] = _eigenvector(snapshot.adjacency()) if n else []
        nodes["pagerank"] = dg.pagerank(directed=True, weights="weight") if n else []
        step()
        nodes["core"] = g.coreness() if n else []
        clustering = np.asarray(g.transitivity_local_undirected(mode="zero"), dtype=float)
        nodes["clustering"] = clustering
        step()
        nodes["constraint"] = g.constraint(weights="weight") if n else []
        degree = nodes["degree"].to_numpy(float)
        with np.errstate(invalid="ignore"):
            nodes["effective_size"] = np.where(degree > 0, degree - clustering * (degree - 1), np.nan)
        step()
        self.nodes_ = nodes
        self.graph_ = GraphMetrics(
            actors=n, ties=len(snapshot.ties), pairs=g.ecount(),
            density=2 * g.ecount() / (n * (n - 1)) if n > 1 else 0.0,
            components=len(sizes), largest_component=int(sizes.max()) if n else 0,
            reciprocity=dg.reciprocity(ignore_loops=True) if dg.ecount() else 0.0,
            transitivity=_nan0(g.transitivity_undirected()),
            average_clustering=float(clustering.mean()) if n else 0.0,
            average_path_length=paths.average_path_length,
            assortativity_type=_nan0(g.assortativity_nominal(snapshot.groups("type").tolist(), directed=False)),
            assortativity_hub=_nan0(g.assortativity_nominal(snapshot.groups("hub").tolist(), directed=False)),
            cross_sector_share=_cross_share(snapshot, "helix"), cross_hub_share=_cross_share(snapshot, "hub"),
            sampled=paths.sampled, pivots=paths.pivots_used, betweenness_relative_error=paths.relative_error)
        step()
        return self

    def top(self, metric: str, k: int = 10) -> pd.DataFrame:
        """The ``k`` actors with the highest value of a metric."""
        if metric not in self.nodes_:
            raise ValueError(f"no metric {metric!r}; use one of: {', '.join(METRICS)}")
        return self.nodes_.sort_values([metric, "id"], ascending=[False, True]).head(k)


class _Steps:
    def __init__(self, progress, task: str, total: int) -> None:
        self.progress, self.task, self.total, self.done = progress, task, total, 0

    def __call__(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.task, self.done, self.total)


def _nan0(value: float) -> float:
    return 0.0 if value is None or np.isnan(value) else float(value)


def _cross_share(snapshot: Snapshot, attribute: str) -> float:
    ties = snapshot.ties
    if not len(ties):
        return 0.0
    values = snapshot.nodes[attribute].astype(object).to_numpy()
    a, b = values[ties["source"].to_numpy()], values[ties["target"].to_numpy()]
    known = pd.notna(a) & pd.notna(b)
    return float((a[known] != b[known]).mean()) if known.any() else 0.0


def _eigenvector(adjacency: sp.csr_matrix) -> np.ndarray:
    n = adjacency.shape[0]
    if adjacency.nnz == 0:
        return np.zeros(n)
    if n < 3:
        values, vectors = np.linalg.eigh(adjacency.toarray())
        vec = vectors[:, -1]
    else:
        _, vectors = eigsh(adjacency.astype(float), k=1, which="LA", tol=1e-12, maxiter=10 * n)
        vec = vectors[:, 0]
    vec = np.abs(vec)
    vec /= np.linalg.norm(vec)
    vec[vec < 1e-12] = 0.0  # rounding noise outside the leading component
    return vec


class _ShortestPaths:
    """Betweenness, closeness, harmonic centrality and average path length: exact in small components, from
    pivots in large ones."""

    def __init__(self, g, membership, sizes, exact_limit, pivots, seed) -> None:
        self.g, self.membership, self.sizes = g, membership, sizes
        self.exact_limit, self.pivots, self.seed = exact_limit, pivots, seed
        n = g.vcount()
        self.n = n
        self.betweenness = np.zeros(n)
        self.betweenness_se = np.zeros(n)
        self.closeness = np.zeros(n)
        self.harmonic = np.zeros(n)
        self.sampled = False
        self.pivots_used = 0
        self.relative_error = 0.0
        self.average_path_length = 0.0

    def run(self) -> _ShortestPaths:
        n = self.n
        if n == 0:
            return self
        small = np.flatnonzero(self.sizes[self.membership] <= self.exact_limit)
        if len(small):
            self._exact(small)
        largest = int(np.argmax(self.sizes))
        rng = np.random.default_rng(self.seed)
        for comp in np.flatnonzero(self.sizes > self.exact_limit):
            self._sampled(np.flatnonzero(self.membership == comp), rng, comp == largest)
        # networkx normalises betweenness by the pairs of the whole graph, undirected: 2 / ((n-1)(n-2))
        scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0
        self.betweenness *= scale
        self.betweenness_se *= scale
        if self.sampled:
            top = np.argsort(-self.betweenness)[:TOP_ERROR]
            top = top[self.betweenness[top] > 0]
            rel = self.betweenness_se[top] / self.betweenness[top]
            self.relative_error = float(np.median(rel)) if len(rel) else 0.0
        return self

    def _exact(self, vertices: np.ndarray) -> None:
        sub = self.g.induced_subgraph(vertices.tolist(), implementation="create_from_scratch")
        self.betweenness[vertices] = sub.betweenness(directed=False)
        r = self.sizes[self.membership[vertices]].astype(float)
        raw = np.nan_to_num(np.asarray(sub.closeness(normalized=True), dtype=float))
        self.closeness[vertices] = raw * (r - 1) / max(self.n - 1, 1)
        self.harmonic[vertices] = sub.harmonic_centrality(normalized=False)
        largest = int(np.argmax(self.sizes))
        if self.sizes[largest] <= self.exact_limit:
            inside = np.flatnonzero(self.membership == largest)
            comp = self.g.induced_subgraph(inside.tolist())
            self.average_path_length = _nan0(comp.average_path_length(directed=False)) if len(inside) > 1 else 0.0

    def _sampled(self, vertices: np.ndarray, rng: np.random.Generator, is_largest: bool) -> None:
        r = len(vertices)
        k = min(self.pivots, r)
        chosen = rng.choice(vertices, size=k, replace=False)  # random order: every batch a random sample
        # Pivots go to igraph in batches (one call each: a call costs as much as a few sources); the spread of the
        # batch estimates gives each estimate's standard error.
        batches = np.array_split(chosen, min(_BATCHES, k))
        estimates = np.vstack([np.asarray(self.g.betweenness(directed=False, sources=b.tolist()))[vertices]
                               * r / len(b) for b in batches])
        sizes = np.array([len(b) for b in batches], dtype=float)
        self.betweenness[vertices] = sizes @ estimates / k
        self.betweenness_se[vertices] = estimates.std(axis=0, ddof=1) / np.sqrt(len(batches))

        total = np.zeros(self.n)
        inverse = np.zeros(self.n)
        path_sum, path_count = 0.0, 0
        for chunk in np.array_split(chosen, max(1, k // 32)):
            d = np.asarray(self.g.distances(source=chunk.tolist()), dtype=float)[:, vertices]
            total[vertices] += d.sum(axis=0)
            with np.errstate(divide="ignore"):
                inverse[vertices] += np.where(d > 0, 1.0 / d, 0.0).sum(axis=0)
            path_sum += d.sum()
            path_count += d.size - len(chunk)
        is_pivot = np.isin(vertices, chosen)
        # Unbiased sums over the component: each pivot stands for r/k actors (v's own distance, 0, excluded).
        others = k - is_pivot
        est_total = total[vertices] * (r - 1) / np.maximum(others, 1)
        est_inverse = inverse[vertices] * (r - 1) / np.maximum(others, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.closeness[vertices] = np.where(est_total > 0, (r - 1) / est_total * (r - 1) / (self.n - 1), 0.0)
        self.harmonic[vertices] = est_inverse
        if is_largest:
            self.average_path_length = float(path_sum / max(path_count, 1))
        self.sampled = True
        self.pivots_used += k

"""Centralities of every actor and the shape of the whole network (igraph, SciPy), with networkx's definitions."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh

from .snapshot import Snapshot

__all__ = ["NetworkMetrics", "GraphMetrics", "EXACT_LIMIT", "PIVOTS", "EPSILON", "DELTA", "METRICS",
           "sample_size"]

#: The per-actor metrics, in the order tables show them.
METRICS = ("degree", "in_degree", "out_degree", "strength", "betweenness", "closeness", "harmonic", "eigenvector",
           "pagerank", "core", "clustering", "constraint", "effective_size")

#: Components up to this many actors get exact shortest-path metrics (igraph does 5,000 actors with 50,000 ties
#: in a few seconds); larger ones are estimated: betweenness from random shortest paths, with a guarantee,
#: closeness and harmonic centrality from random pivots.
EXACT_LIMIT = 5_000
#: Pivots (random source actors) for closeness, harmonic centrality and path length in large components
#: (Eppstein & Wang 2004; Brandes & Pich 2007).
PIVOTS = 256
#: The betweenness guarantee in large components: with probability at least 1 - DELTA, every actor's estimate is
#: within EPSILON of its exact value (networkx's normalisation), all actors at once (Riondato & Kornaropoulos 2016).
EPSILON = 0.01
DELTA = 0.1
#: The universal constant of the ε-approximation bound (Löffler & Phillips 2009 estimate it at about 0.5; the value
#: Riondato & Kornaropoulos use).
RK_CONSTANT = 0.5
#: The relative error is stated for the actors that matter: the top 100 by betweenness.
TOP_ERROR = 100


def sample_size(epsilon: float, delta: float, vertex_diameter: int, c: float = RK_CONSTANT) -> int:
    """The number of random shortest paths after which every betweenness estimate is within ``epsilon`` of the
    exact value with probability at least ``1 - delta`` (Riondato & Kornaropoulos 2016, Theorem 1): the range
    space of shortest paths has VC dimension at most ⌊log2(VD − 2)⌋ + 1 for a vertex diameter VD (the most
    actors on a shortest path), so r = (c/ε²)(⌊log2(VD − 2)⌋ + 1 + ln(1/δ)).

    >>> sample_size(0.01, 0.1, 13), sample_size(0.05, 0.1, 13), sample_size(0.01, 0.1, 2)
    (31513, 1261, 16513)
    """
    if not (0 < epsilon < 1 and 0 < delta < 1):
        raise ValueError(f"epsilon and delta must be between 0 and 1, not {epsilon!r} and {delta!r}")
    vc = math.floor(math.log2(vertex_diameter - 2)) + 1 if vertex_diameter > 2 else 1
    return math.ceil(c / epsilon ** 2 * (vc + math.log(1 / delta)))


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
    sampled: bool  #: whether shortest-path metrics were estimated (in components over ``exact_limit`` actors)
    pivots: int  #: random sources closeness, harmonic centrality and path length were estimated from
    #: median of epsilon / estimate among the top 100 by betweenness: the guaranteed relative error (0 when exact)
    betweenness_relative_error: float
    epsilon: float = 0.0  #: every estimated betweenness is within epsilon of the exact value (0 when exact)…
    delta: float = 0.0  #: …with probability at least 1 - delta, all actors at once
    samples: int = 0  #: random shortest paths the betweenness was estimated from
    vertex_diameter: int = 0  #: the upper bound on actors per shortest path the sample size was computed from

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

    Components larger than ``exact_limit`` get betweenness estimated from random shortest paths between random
    pairs of actors (Riondato & Kornaropoulos 2016): as many as make every estimate within ``epsilon`` of the exact
    value with probability at least ``1 - delta``, all actors at once. ``betweenness_low`` and
    ``betweenness_high`` hold that interval (equal to the value when exact) and ``betweenness_se`` the estimate's
    binomial standard error. Closeness and harmonic centrality are estimated from ``pivots`` random sources.

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

    def __init__(self, *, exact_limit: int = EXACT_LIMIT, pivots: int = PIVOTS, seed: int = 0,
                 epsilon: float = EPSILON, delta: float = DELTA) -> None:
        if exact_limit < 1 or pivots < 2:
            raise ValueError("exact_limit must be ≥ 1 and pivots ≥ 2")
        if not (0 < epsilon < 1 and 0 < delta < 1):
            raise ValueError(f"epsilon and delta must be between 0 and 1, not {epsilon!r} and {delta!r}")
        self.exact_limit = exact_limit
        self.pivots = pivots
        self.seed = seed
        self.epsilon, self.delta = epsilon, delta

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
        paths = _ShortestPaths(g, membership, sizes, self.exact_limit, self.pivots, self.seed,
                               self.epsilon, self.delta).run()
        nodes["betweenness"] = paths.betweenness
        nodes["betweenness_se"] = paths.betweenness_se
        nodes["betweenness_low"] = paths.betweenness_low
        nodes["betweenness_high"] = paths.betweenness_high
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
            sampled=paths.sampled, pivots=paths.pivots_used, betweenness_relative_error=paths.relative_error,
            epsilon=paths.epsilon, delta=paths.delta, samples=paths.samples,
            vertex_diameter=paths.vertex_diameter)
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
    """Betweenness, closeness, harmonic centrality and average path length: exact in small components; in large
    ones betweenness from random shortest paths (with its guarantee), the others from pivots."""

    def __init__(self, g, membership, sizes, exact_limit, pivots, seed, epsilon=EPSILON, delta=DELTA) -> None:
        self.g, self.membership, self.sizes = g, membership, sizes
        self.exact_limit, self.pivots, self.seed = exact_limit, pivots, seed
        self.requested = (epsilon, delta)
        n = g.vcount()
        self.n = n
        self.betweenness = np.zeros(n)
        self.betweenness_se = np.zeros(n)
        self.halfwidth = np.zeros(n)
        self.betweenness_low = self.betweenness_high = np.zeros(n)
        self.closeness = np.zeros(n)
        self.harmonic = np.zeros(n)
        self.sampled = False
        self.pivots_used = 0
        self.relative_error = 0.0
        self.average_path_length = 0.0
        self.epsilon = self.delta = 0.0
        self.samples = self.vertex_diameter = 0

    def run(self) -> _ShortestPaths:
        n = self.n
        if n == 0:
            return self
        rng = np.random.default_rng(self.seed)
        sampled = self._to_sample()
        exact = np.flatnonzero(~np.isin(self.membership, [c for c, _ in sampled]))
        if len(exact):
            self._exact(exact)
        largest = int(np.argmax(self.sizes))
        sampler = _PathSampler(self.g) if sampled else None
        for comp, eccentricity in sampled:
            vertices = np.flatnonzero(self.membership == comp)
            eccentricity = min(eccentricity, self._pivots(vertices, rng, comp == largest))
            # δ is shared among the sampled components (a union bound): all their estimates hold together
            self._betweenness(vertices, eccentricity, rng, sampler, self.requested[1] / len(sampled))
        # networkx normalises betweenness by the pairs of the whole graph, undirected: 2 / ((n-1)(n-2))
        scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0
        self.betweenness *= scale
        self.betweenness_se *= scale
        self.halfwidth *= scale
        self.betweenness_low = np.maximum(self.betweenness - self.halfwidth, 0.0)
        self.betweenness_high = self.betweenness + self.halfwidth
        if self.sampled:
            self.epsilon, self.delta = self.requested
            top = np.argsort(-self.betweenness)[:TOP_ERROR]
            top = top[self.betweenness[top] > 0]
            rel = self.halfwidth[top] / self.betweenness[top]
            self.relative_error = float(np.median(rel)) if len(rel) else 0.0
        return self

    def _to_sample(self) -> list[tuple[int, int]]:
        """The components over ``exact_limit`` worth sampling, each with an eccentricity (of its best-connected
        actor): one with fewer ordered pairs of actors than its sample would draw is cheaper exact."""
        large = np.flatnonzero(self.sizes > self.exact_limit)
        candidates = []
        for comp in large:
            vertices = np.flatnonzero(self.membership == comp)
            hub = vertices[np.argmax(np.asarray(self.g.degree(vertices.tolist())))]
            reach = np.asarray(self.g.distances(source=[int(hub)]), dtype=float)[0, vertices]
            candidates.append((int(comp), int(reach.max())))
        for _ in range(2):  # fewer components sampled share δ among fewer: the sample sizes only shrink
            share = self.requested[1] / max(len(candidates), 1)
            candidates = [(c, e) for c, e in candidates
                          if sample_size(self._epsilon(self.sizes[c]), share, 2 * e + 1) < self.sizes[c] * (self.sizes[c] - 1)]
        return candidates

    def _epsilon(self, size: int) -> float:
        """ε in a component's own normalisation (its ordered pairs): ε asked of networkx's normalisation over the
        whole graph is at least as strict there, so the stated bound holds, with room in smaller components."""
        return self.requested[0] * min(1.0, (self.n - 1) * (self.n - 2) / (size * (size - 1)))

    def _exact(self, vertices: np.ndarray) -> None:
        sub = self.g.induced_subgraph(vertices.tolist(), implementation="create_from_scratch")
        self.betweenness[vertices] = sub.betweenness(directed=False)
        r = self.sizes[self.membership[vertices]].astype(float)
        raw = np.nan_to_num(np.asarray(sub.closeness(normalized=True), dtype=float))
        self.closeness[vertices] = raw * (r - 1) / max(self.n - 1, 1)
        self.harmonic[vertices] = sub.harmonic_centrality(normalized=False)
        largest = int(np.argmax(self.sizes))
        if largest in set(self.membership[vertices].tolist()):
            inside = np.flatnonzero(self.membership == largest)
            comp = self.g.induced_subgraph(inside.tolist())
            self.average_path_length = _nan0(comp.average_path_length(directed=False)) if len(inside) > 1 else 0.0

    def _betweenness(self, vertices: np.ndarray, eccentricity: int, rng: np.random.Generator,
                     sampler: _PathSampler, delta: float) -> None:
        """Riondato & Kornaropoulos (2016): the share of r random shortest paths (a uniform pair of actors, then
        one of its shortest paths uniformly) that pass through an actor estimates its share of all shortest
        paths. The vertex diameter is bounded by 2·eccentricity + 1 (any actor's eccentricity is at least half the
        diameter), which only makes r larger than needed."""
        size = len(vertices)
        pairs = size * (size - 1)
        epsilon = self._epsilon(size)
        vertex_diameter = 2 * eccentricity + 1
        r = sample_size(epsilon, delta, vertex_diameter)
        first = rng.integers(size, size=r)
        second = rng.integers(size - 1, size=r)
        second += second >= first  # a uniform pair of two different actors
        interior = [sampler.path(int(u), int(w), rng) for u, w in zip(vertices[first], vertices[second])]
        through = np.bincount(np.concatenate([np.zeros(0, np.int64), *interior]), minlength=self.n)[vertices]
        share = through / r
        raw = pairs / 2  # unordered pairs in the component: the raw betweenness of an actor on every path
        self.betweenness[vertices] = share * raw
        self.betweenness_se[vertices] = np.sqrt(share * (1 - share) / r) * raw
        self.halfwidth[vertices] = epsilon * raw
        self.sampled = True
        self.samples += r
        self.vertex_diameter = max(self.vertex_diameter, vertex_diameter)

    def _pivots(self, vertices: np.ndarray, rng: np.random.Generator, is_largest: bool) -> int:
        """Closeness, harmonic centrality and (largest component) average path length from random pivots
        (Eppstein & Wang 2004); returns the smallest eccentricity seen, for the betweenness sample size."""
        r = len(vertices)
        k = min(self.pivots, r)
        chosen = rng.choice(vertices, size=k, replace=False)
        total = np.zeros(self.n)
        inverse = np.zeros(self.n)
        path_sum, path_count = 0.0, 0
        eccentricity = r
        for chunk in np.array_split(chosen, max(1, k // 32)):
            d = np.asarray(self.g.distances(source=chunk.tolist()), dtype=float)[:, vertices]
            eccentricity = min(eccentricity, int(d.max(axis=1).min()))
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
        self.pivots_used += k
        return eccentricity


class _PathSampler:
    """One uniformly random shortest path between two actors, by a balanced bidirectional breadth-first search
    that counts shortest paths (as KADABRA does, Borassi & Natale 2016): each side expands the frontier with
    fewer ties until the two meet, a meeting actor z is drawn with weight σ(u, z)·σ(z, w), and the path walks back
    to each end choosing each predecessor with weight its path count. Each level is one NumPy step; the arrays
    are kept between paths and only the actors touched are reset."""

    def __init__(self, g) -> None:
        n = g.vcount()
        edges = np.array(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        a = sp.csr_matrix((np.ones(len(edges), np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n))
        a = (a + a.T).tocsr()
        self.indptr, self.indices = a.indptr.astype(np.int64), a.indices.astype(np.int64)
        self.degree = np.diff(self.indptr)
        self.dist = (np.full(n, -1, np.int64), np.full(n, -1, np.int64))
        self.sigma = (np.zeros(n), np.zeros(n))
        self.slot = np.zeros(n, np.int64)  # scratch: read only where just written

    def _neighbours(self, frontier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(frontier) == 1:
            x = int(frontier[0])
            found = self.indices[self.indptr[x]:self.indptr[x + 1]]
            return found, np.full(len(found), x)
        starts = self.indptr[frontier]
        lengths = self.indptr[frontier + 1] - starts
        ends = np.cumsum(lengths)
        offsets = np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - lengths, lengths)
        return self.indices[np.repeat(starts, lengths) + offsets], np.repeat(frontier, lengths)

    def _distinct(self, found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The distinct actors of ``found`` and each entry's position among them (np.unique's answer, without
        sorting: two scatters into a scratch array)."""
        slot = self.slot
        slot[found] = np.arange(len(found))
        new = found[slot[found] == np.arange(len(found))]
        slot[new] = np.arange(len(new))
        return new, slot[found]

    def path(self, u: int, w: int, rng: np.random.Generator) -> np.ndarray:
        """The actors strictly inside a uniformly random shortest path from u to w (u ≠ w, connected)."""
        dist, sigma = self.dist, self.sigma
        frontier = [np.array([u]), np.array([w])]
        touched = [[frontier[0]], [frontier[1]]]
        level = [0, 0]
        for side, root in ((0, u), (1, w)):
            dist[side][root], sigma[side][root] = 0, 1.0
        try:
            while True:
                s = 0 if self.degree[frontier[0]].sum() <= self.degree[frontier[1]].sum() else 1
                found, parent = self._neighbours(frontier[s])
                fresh = dist[s][found] < 0
                found, parent = found[fresh], parent[fresh]
                if not len(found):
                    raise ValueError(f"actors {u} and {w} are not connected")
                new, which = self._distinct(found)
                level[s] += 1
                dist[s][new] = level[s]
                sigma[s][new] = np.bincount(which, weights=sigma[s][parent], minlength=len(new))
                touched[s].append(new)
                frontier[s] = new
                meet = new[dist[1 - s][new] >= 0]
                if len(meet):
                    break
            z = int(meet[_draw(sigma[0][meet] * sigma[1][meet], rng)])
            inside = [z] if dist[0][z] > 0 and dist[1][z] > 0 else []
            for side in (0, 1):
                x = z
                while dist[side][x] > 1:
                    before = self.indices[self.indptr[x]:self.indptr[x + 1]]
                    before = before[dist[side][before] == dist[side][x] - 1]
                    x = int(before[_draw(sigma[side][before], rng)])
                    inside.append(x)
            return np.array(inside, dtype=np.int64)
        finally:
            for side in (0, 1):
                seen = np.concatenate(touched[side])
                dist[side][seen], sigma[side][seen] = -1, 0.0


def _draw(weights: np.ndarray, rng: np.random.Generator) -> int:
    """A position drawn with probability proportional to its weight."""
    cumulative = np.cumsum(weights)
    return min(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")), len(weights) - 1)

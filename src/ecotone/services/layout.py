"""Where the map draws each actor: a layout computed on the server, hubs as regions, kept while nothing changes."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import igraph as ig
import numpy as np
import pandas as pd

from ..analysis.communities import Communities, seeded_igraph
from ..analysis.snapshot import Snapshot
from ..store import Atlas
from .analysis import Filters

__all__ = ["Layout", "lay_out", "positions", "regions", "EXTENT"]

#: The layout fills the square [-EXTENT, EXTENT]² (the map's units; sigma rescales them to the screen).
EXTENT = 1000.0
#: How far an actor with only cross-group ties moves from where its group put it towards its region's rim facing
#: its partners (a share of the way): bridges sit where the two regions face each other.
BRIDGE_PULL = 0.6
#: How far each group's actors are moved from where the force layout put them towards an even spread over their
#: disc (0 keeps the force layout's distances from the centre, 1 spreads them evenly; directions are kept).
EVEN = 0.7
#: Force-layout work for the whole layout, iterations × (actors + ties): large atlases take fewer iterations
#: (from a start that already places communities), so that the layout stays near a second at 20,000 actors.
FORCE_BUDGET = 15_000_000
#: Room between two regions, as a share of the smaller one's radius.
GAP = 0.25

_CACHE: OrderedDict[tuple, object] = OrderedDict()
_CACHED = 32
_LOCK = threading.Lock()
_COMPUTING = threading.Lock()


@dataclass(frozen=True)
class Layout:
    """A layout: each actor's ``x`` and ``y`` (in the order of the snapshot's nodes), the group each was placed in
    (``grouping`` names what the groups are: hub, community, country or none) and the algorithm in words."""

    x: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    grouping: str
    algorithm: str


def _groups(snap: Snapshot, communities) -> tuple[np.ndarray, str]:
    """The groups that become regions: hubs when there are at least two (actors without a hub are one more);
    otherwise Leiden communities (actors alone in theirs are put together), otherwise countries."""
    nodes = snap.nodes
    n = len(nodes)
    hubs = nodes["hub_id"].astype("Int64")
    if hubs.nunique(dropna=False) >= 2:
        return pd.factorize(hubs.fillna(-1).to_numpy(np.int64), sort=True)[0], "hub"
    if snap.graph.ecount():
        membership = communities()
        sizes = np.bincount(membership)
        alone = sizes[membership] == 1
        if alone.any():  # isolated actors share one region instead of one region each
            membership = np.where(alone, sizes.size, membership)
        codes = pd.factorize(membership, sort=True)[0]
        if codes.max() >= 1:
            return codes, "community"
    countries = nodes["country"].astype(object).where(nodes["country"].notna(), "")
    if countries.nunique() >= 2:
        return pd.factorize(countries.astype(str).to_numpy(), sort=True)[0], "country"
    return np.zeros(n, dtype=np.int64), "none"


def regions(sizes: np.ndarray, pairs: np.ndarray, weights: np.ndarray, *, seed: int = 0
            ) -> tuple[np.ndarray, np.ndarray]:
    """Discs for groups of ``sizes`` actors, area in proportion to their size, joined by ``weights`` ties
    (``pairs`` are group indices): placed by a Fruchterman–Reingold layout of the group graph, then pushed apart
    until no two overlap. Returns the centres (k × 2) and radii.

    Examples
    --------
    >>> centres, radii = regions(np.array([400, 100, 100]), np.array([[0, 1]]), np.array([5.0]))
    >>> bool(radii[0] == 2 * radii[1])  # four times the actors, four times the area
    True
    >>> d = np.hypot(*(centres[:, None] - centres[None]).transpose(2, 0, 1))
    >>> bool((d[np.triu_indices(3, 1)] >= (radii[:, None] + radii[None])[np.triu_indices(3, 1)] - 1e-9).all())
    True
    """
    k = len(sizes)
    radii = np.sqrt(np.maximum(sizes, 1).astype(float))
    if k == 1:
        return np.zeros((1, 2)), radii
    angle = 2 * np.pi * np.arange(k) / k
    start = np.column_stack([np.cos(angle), np.sin(angle)]) * k
    graph = ig.Graph(n=k, edges=pairs.tolist(), directed=False)
    w = np.log1p(np.asarray(weights, dtype=float)).tolist() if len(pairs) else None
    with seeded_igraph(seed):
        centres = np.asarray(graph.layout_fruchterman_reingold(weights=w, seed=start.tolist(), niter=500).coords)
    centres = centres - centres.mean(axis=0)
    # As compact as the discs' total area allows, then pushed apart where they overlap.
    spread = np.sqrt((centres ** 2).sum(axis=1)).max() or 1.0
    centres *= np.sqrt((radii ** 2).sum()) / spread
    need = (radii[:, None] + radii[None]) + GAP * np.minimum(radii[:, None], radii[None])
    np.fill_diagonal(need, 0.0)
    for _ in range(300):
        delta = centres[:, None] - centres[None]
        dist = np.hypot(delta[..., 0], delta[..., 1])
        np.fill_diagonal(dist, np.inf)
        overlap = np.clip(need - dist, 0.0, None)
        if not overlap.any():
            break
        # Each disc moves away from those it overlaps, the smaller one further (by the other's share of the area).
        share = radii[None] ** 2 / (radii[:, None] ** 2 + radii[None] ** 2)
        safe = np.where(dist > 1e-9, dist, 1.0)
        unit = np.where((dist > 1e-9)[..., None], delta / safe[..., None],
                        np.array([1.0, 0.0]))
        centres = centres + (unit * (overlap * share * 0.8)[..., None]).sum(axis=1)
    return centres, radii


def _start(n: int, graph: ig.Graph, rng: np.random.Generator, seed: int, membership: np.ndarray) -> np.ndarray:
    """Where a large group's force layout starts: its Leiden communities (``membership``, the whole network's,
    or the group's own when the whole network's are the groups) as discs placed by the ties between them
    (:func:`regions`), each community's actors spread over its disc (the coarse level of a multilevel layout:
    the force layout then refines instead of untangling)."""
    membership = pd.factorize(membership, sort=True)[0]
    if membership.max() == 0:
        with seeded_igraph(seed):
            membership = np.asarray(graph.community_leiden(objective_function="modularity", weights="weight",
                                                           n_iterations=2).membership)
    k = int(membership.max()) + 1
    sizes = np.bincount(membership, minlength=k)
    edges = np.asarray(graph.get_edgelist(), dtype=np.int64)
    a, b = membership[edges[:, 0]], membership[edges[:, 1]]
    cross = a != b
    key, count = np.unique(np.minimum(a, b)[cross] * k + np.maximum(a, b)[cross], return_counts=True)
    centres, radii = regions(sizes, np.column_stack([key // k, key % k]), count, seed=seed)
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.sqrt(rng.uniform(0, 1, n)) * radii[membership]
    xy = centres[membership] + np.column_stack([np.cos(angle), np.sin(angle)]) * radius[:, None]
    return xy * (np.sqrt(n) / (np.abs(xy).max() or 1.0))


def _inside(graph: ig.Graph, seed: int, niter: int, communities) -> np.ndarray:
    """The positions of one group's ``n`` actors from their ties inside the group, centred and spread over the
    unit disc: Fruchterman–Reingold (on a grid when large) from a seeded start, which for a large group is its
    communities' placement (:func:`_start`); its iterations fall as the group grows, so that the whole layout
    stays within a few seconds at 100,000 actors (``niter`` is for a large group; a small one, cheap, takes
    300 from its random start; ``communities()`` gives the communities of its actors)."""
    n = graph.vcount()
    if n == 1:
        return np.zeros((1, 2))
    rng = np.random.default_rng(seed)
    if graph.ecount():
        big = n > 500
        start = _start(n, graph, rng, seed, communities()) if big else rng.uniform(-1, 1, size=(n, 2)) * np.sqrt(n)
        niter = niter if big else 300
        with seeded_igraph(seed):
            xy = np.asarray(graph.layout_fruchterman_reingold(
                weights="weight", seed=start.tolist(), niter=niter, grid="grid" if n > 200 else "nogrid",
                start_temp=np.sqrt(n) / (30 if big else 10)).coords)
    else:
        xy = rng.uniform(-1, 1, size=(n, 2))
    xy = xy - np.median(xy, axis=0)
    r = np.hypot(xy[:, 0], xy[:, 1])
    # Spread over the disc evenly: each actor keeps its direction and its rank in distance from the centre, at
    # the radius that rank has when the disc is evenly filled (a force layout of a heavy-tailed hub packs most
    # actors into its core and leaves a halo of the few, which reads as a blot and a ring).
    rank = np.empty(n)
    rank[np.argsort(r, kind="stable")] = (np.arange(n) + 0.5) / n
    even = np.sqrt(rank)
    unit = xy / np.where(r > 1e-12, r, 1.0)[:, None]
    return unit * (EVEN * even + (1 - EVEN) * np.minimum(r / (np.quantile(r, 0.95) or r.max() or 1.0), 1.0))[:, None]


def lay_out(snap: Snapshot, *, seed: int = 0, communities: np.ndarray | None = None) -> Layout:
    """Lay out a snapshot: its groups (hubs; communities or countries when there are not two hubs) as discs,
    area in proportion to their actors, placed by the ties between them (:func:`regions`); each group's actors
    inside its disc by a Fruchterman–Reingold layout of their ties inside the group; an actor with ties to other
    groups moved towards the side of its disc that faces them, by the share of its ties that cross. Deterministic
    for a seed; fills [-EXTENT, EXTENT]². ``communities`` are the snapshot's Leiden communities when the caller
    has them (otherwise computed here, once, if needed).

    Examples
    --------
    >>> nodes = pd.DataFrame({"hub_id": [1, 1, 1, 2, 2, 2], "hub": ["A"] * 3 + ["B"] * 3})
    >>> ties = pd.DataFrame({"source": [0, 0, 1, 3, 3, 4, 2], "target": [1, 2, 2, 4, 5, 5, 3]})
    >>> out = lay_out(Snapshot.from_frames(nodes, ties))
    >>> out.grouping, out.groups.tolist()
    ('hub', [0, 0, 0, 1, 1, 1])
    >>> bool(abs(out.x[:3].mean() - out.x[3:].mean()) + abs(out.y[:3].mean() - out.y[3:].mean()) > 100)
    True
    """
    n = len(snap)
    if n == 0:
        return Layout(np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64), "none", _algorithm("none"))
    known: list[np.ndarray] = [] if communities is None else [np.asarray(communities)]

    def leiden() -> np.ndarray:
        if not known:
            known.append(Communities(seed=0).run(snap).membership_)
        return known[0]

    groups, grouping = _groups(snap, leiden)
    k = int(groups.max()) + 1
    g = snap.graph
    edges = np.asarray(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    weight = np.asarray(g.es["weight"], dtype=float) if g.ecount() else np.zeros(0)
    gs, gt = groups[edges[:, 0]], groups[edges[:, 1]]
    cross = gs != gt
    lo, hi = np.minimum(gs[cross], gt[cross]), np.maximum(gs[cross], gt[cross])
    pair_key, pair_count = np.unique(lo * k + hi, return_counts=True)
    pairs = np.column_stack([pair_key // k, pair_key % k])
    sizes = np.bincount(groups, minlength=k)
    centres, radii = regions(sizes, pairs, pair_count, seed=seed)

    xy = np.empty((n, 2))
    order = np.argsort(groups, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    niter = int(np.clip(FORCE_BUDGET / (n + len(edges)), 30, 300))
    for c in range(k):
        members = order[starts[c]:starts[c + 1]]  # in increasing order, as the induced subgraph numbers them
        inner = g.induced_subgraph(members.tolist(), implementation="create_from_scratch")
        xy[members] = centres[c] + _inside(inner, seed + c, niter, lambda: leiden()[members]) * radii[c]

    if cross.any():
        # Bridges: towards the rim facing the other ends' regions, as far as the share of ties that cross.
        towards = np.zeros((n, 2))
        ends = np.concatenate([edges[cross, 0], edges[cross, 1]])
        other = np.concatenate([gt[cross], gs[cross]])
        own = groups[ends]
        d = centres[other] - centres[own]
        d /= np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
        np.add.at(towards, ends, d)
        crossing = np.bincount(ends, minlength=n)
        degree = np.bincount(edges.ravel(), minlength=n)
        norm = np.hypot(towards[:, 0], towards[:, 1])
        moved = norm > 1e-9
        rim = centres[groups] + np.where(moved[:, None], towards / np.where(moved, norm, 1.0)[:, None], 0.0) \
            * radii[groups][:, None]
        share = np.where(moved, crossing / np.maximum(degree, 1), 0.0)
        xy += BRIDGE_PULL * share[:, None] * (rim - xy)

    xy -= (xy.max(axis=0) + xy.min(axis=0)) / 2
    span = np.abs(xy).max() or 1.0
    xy *= EXTENT / span
    return Layout(xy[:, 0], xy[:, 1], groups, grouping, _algorithm(grouping, seed))


def _algorithm(grouping: str, seed: int = 0) -> str:
    regions_of = {"hub": "hubs", "community": "Leiden communities", "country": "countries"}.get(grouping)
    if regions_of is None:
        return f"igraph Fruchterman-Reingold (grid), seed {seed}"
    return (f"{regions_of} as regions (area by actors) placed by igraph Fruchterman-Reingold of the ties between "
            f"them; actors inside by Fruchterman-Reingold (grid); bridges towards the regions they join; seed {seed}")


def positions(atlas: Atlas, filters: Filters | None = None, *, snap: Snapshot | None = None,
              communities: np.ndarray | None = None, with_algorithm: bool = False
              ) -> pd.DataFrame | tuple[pd.DataFrame, str]:
    """The map's position of every actor the atlas's principal sees under ``filters``: a DataFrame with columns
    ``id``, ``x``, ``y`` (see :func:`lay_out`), kept while the atlas is unchanged, per visibility scope and
    filters, and per network shape (:func:`structure`) across edits that leave it as it was. ``snap`` is the snapshot of those filters when the caller has it (it is not read again), and
    ``communities`` its Leiden communities; ``with_algorithm`` also returns the algorithm in words.

    Examples
    --------
    >>> from ecotone.services.demo import build_demo
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = build_demo(atlas)
    ...     where = positions(atlas)
    >>> list(where.columns), len(where) > 100, bool(where[["x", "y"]].abs().max().max() <= EXTENT)
    (['id', 'x', 'y'], True, True)
    """
    filters = filters or Filters()
    token = atlas.change_token()
    key = (token, atlas.principal.scope_key(), filters)
    hit = _kept(key)
    if hit is None:
        if snap is None:
            from .mapdata import map_snapshot  # the map's own reading (mapdata imports this module)

            snap = map_snapshot(atlas, filters)
        # an edit that leaves the network's shape as it was (a name, tags, a stage) keeps its layout
        shape = ("layout", structure(snap))
        hit = _kept(shape)
        if hit is None:
            with _COMPUTING:  # one layout at a time: igraph's random generator is one for the process
                done = lay_out(snap, communities=communities)
            hit = (pd.DataFrame({"id": snap.nodes["id"].to_numpy(), "x": done.x, "y": done.y}), done.algorithm)
            _keep(shape, hit)
        _keep(key, hit)
    return (hit[0].copy(), hit[1]) if with_algorithm else hit[0].copy()


def structure(snap: Snapshot) -> str:
    """A digest of what a layout and the communities depend on: the actors (their ids, hubs and countries) and
    the ties between them with their weights — not names, tags or stages."""
    digest = hashlib.blake2b(digest_size=16)
    nodes = snap.nodes
    digest.update(nodes["id"].to_numpy(np.int64).tobytes())
    digest.update(nodes["hub_id"].astype("Int64").fillna(-1).to_numpy(np.int64).tobytes())
    digest.update("\x1f".join(nodes["country"].astype(object).where(nodes["country"].notna(), "").astype(str))
                  .encode())
    graph = snap.graph
    digest.update(np.asarray(graph.get_edgelist(), dtype=np.int64).tobytes())
    if "weight" in graph.es.attributes():
        digest.update(np.asarray(graph.es["weight"], dtype=float).tobytes())
    return digest.hexdigest()


def communities_of(snap: Snapshot) -> np.ndarray:
    """The snapshot's Leiden communities (seed 0), kept per network shape (:func:`structure`) like layouts."""
    if not snap.graph.ecount():
        return np.zeros(len(snap.nodes), dtype=np.int64)
    shape = ("communities", structure(snap))
    hit = _kept(shape)
    if hit is None:
        with _COMPUTING:
            hit = np.asarray(Communities(seed=0).run(snap).membership_)
        _keep(shape, hit)
    return hit.copy()


def _kept(key: tuple):
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
        return hit


def _keep(key: tuple, value) -> None:
    with _LOCK:
        _CACHE[key] = value
        while len(_CACHE) > _CACHED:
            _CACHE.popitem(last=False)

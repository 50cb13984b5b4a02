"""Gould–Fernandez brokerage roles (as R's ``sna::brokerage``) and the actors that bridge each pair of hubs."""

from __future__ import annotations

import dataclasses
import itertools

import igraph as ig
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .snapshot import Snapshot

__all__ = ["Brokerage", "ROLES", "GROUPINGS", "group_by", "grouped", "hub_bridges", "role_counts"]

#: The five roles, in ``sna::brokerage``'s column order (w_I, w_O, b_IO, b_OI, b_O).
ROLES = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison")

#: The groupings a hub-less atlas falls back on, in order, and the sentence that says so.
GROUPINGS = {
    "hub": None,
    "country": "Most of these actors belong to no hub, so they are grouped by country.",
    "community": "Most of these actors belong to no hub and name no country, so they are grouped by their Leiden "
                 "community (who works with whom).",
}


def _has_data(values: pd.Series) -> bool:
    """Whether a column describes these actors: at least half of them have a value."""
    return len(values) > 0 and values.notna().sum() * 2 >= len(values)


def group_by(nodes: pd.DataFrame) -> tuple[str, str | None]:
    """The grouping that has data for these actors: ``hub`` when hubs describe them, else ``country``, else
    ``community`` (the Leiden community: :func:`grouped` adds that column).

    Returns the column and the sentence to show users, ``None`` when the grouping is ``hub``. A column has data
    when at least half of the actors have a value, so an atlas imported from CORDIS (no hubs) groups by country,
    and a few hubs drawn around a large import do not stand for it.

    Examples
    --------
    >>> group_by(pd.DataFrame({"hub": ["BCN", "PL", None], "country": ["ES", "PL", "PL"]}))
    ('hub', None)
    >>> group_by(pd.DataFrame({"hub": [None, None, "BCN"], "country": ["ES", "PL", "ES"]}))
    ('country', 'Most of these actors belong to no hub, so they are grouped by country.')
    >>> group_by(pd.DataFrame({"hub": [None, None], "country": [None, None]}))[0]
    'community'
    """
    for column in ("hub", "country"):
        if column in nodes and _has_data(nodes[column]):
            return column, GROUPINGS[column]
    return "community", GROUPINGS["community"]


def grouped(snapshot: Snapshot, column: str | None = None) -> tuple[Snapshot, str, str | None]:
    """The snapshot with a grouping column, the column and the sentence to show.

    With ``column`` ``None``, the grouping is :func:`group_by`'s; ``community`` adds each actor's Leiden
    community (seed 0, as the map's) as ``community 0``, ``community 1``… (0 the largest). A column the snapshot
    already has is used as it is, and the sentence is then ``None``.

    >>> nodes = pd.DataFrame({"name": list("abcdef")})
    >>> ties = pd.DataFrame({"source": [0, 0, 1, 3, 3, 4], "target": [1, 2, 2, 4, 5, 5]})
    >>> snap, column, note = grouped(Snapshot.from_frames(nodes, ties))
    >>> column, snap.nodes["community"].tolist()
    ('community', ['community 0', 'community 0', 'community 0', 'community 1', 'community 1', 'community 1'])
    """
    if column is None:
        column, note = group_by(snapshot.nodes)
    else:
        note = None
    if column == "community" and column not in snapshot.nodes:
        from .communities import Communities

        membership = Communities(seed=0).run(snapshot).membership_
        nodes = snapshot.nodes.assign(community=[f"community {k}" for k in membership])
        snapshot = dataclasses.replace(snapshot, nodes=nodes)
    if column not in snapshot.nodes:
        raise ValueError(f"no node attribute {column!r}; use one of: {', '.join([*snapshot.nodes.columns, 'community'])}")
    return snapshot, column, note


class Brokerage:
    """Count, for every actor v, the open two-paths a → v → c (no tie a → c) by the groups of a, v and c:

    coordinator (all one group), itinerant (a and c share a group v is not in), representative (a is in v's group,
    c is not), gatekeeper (c is in v's group, a is not), liaison (three groups). Ties are read on the directed view
    of the snapshot, an undirected tie counting both ways. Expected counts, standard deviations and z-scores use
    Gould & Fernandez's moments for a random graph of the same density, exactly as ``sna::brokerage``.

    Parameters
    ----------
    groups : a node attribute: ``hub``, ``helix``, ``type``, ``country`` or any column of the snapshot's nodes.

    Attributes
    ----------
    nodes_ : per actor, the raw count of each role and ``total``, then ``expected_<role>`` and ``z_<role>``.
    graph_ : per role (and total), the whole network's observed count, expectation, standard deviation and z.

    Examples
    --------
    A startup (group S) between a hospital and an investor of another group (H) is an itinerant broker:

    >>> nodes = pd.DataFrame({"name": ["hospital", "startup", "investor"], "hub": ["H", "S", "H"]})
    >>> ties = pd.DataFrame({"source": [0, 1], "target": [1, 2], "directed": [True, True]})
    >>> b = Brokerage(groups="hub").run(Snapshot.from_frames(nodes, ties))
    >>> b.nodes_.loc[1, list(ROLES)].to_dict()
    {'coordinator': 0, 'itinerant': 1, 'representative': 0, 'gatekeeper': 0, 'liaison': 0}
    """

    def __init__(self, *, groups: str = "hub") -> None:
        self.groups = groups

    def run(self, snapshot: Snapshot) -> Brokerage:
        codes = snapshot.groups(self.groups)
        labels = snapshot.nodes[self.groups].astype(object).where(snapshot.nodes[self.groups].notna(), "(none)")
        raw = role_counts(snapshot.adjacency(directed=True), codes)
        n = len(codes)
        arcs = snapshot.digraph.ecount()
        sizes = np.bincount(codes, minlength=codes.max() + 1 if n else 0).astype(float)
        exp_grp, var_grp = _group_moments(sizes, float(n), arcs)
        nodes = snapshot.nodes[["id", "name"]].copy()
        nodes["group"] = labels.to_numpy()
        names = [*ROLES, "total"]
        for j, role in enumerate(names):
            nodes[role] = raw[:, j]
        with np.errstate(divide="ignore", invalid="ignore"):
            for j, role in enumerate(names):
                expected = exp_grp[codes, j] if n else np.zeros(0)
                sd = np.sqrt(var_grp[codes, j]) if n else np.zeros(0)
                nodes[f"expected_{role}"] = expected
                nodes[f"z_{role}"] = np.where(sd > 0, (raw[:, j] - expected) / np.where(sd > 0, sd, 1), np.nan)
        self.nodes_ = nodes
        observed = raw.sum(axis=0).astype(float) if n else np.zeros(6)
        expected, variance = _global_moments(sizes, float(n), arcs)
        sd = np.sqrt(variance)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(sd > 0, (observed - expected) / np.where(sd > 0, sd, 1), np.nan)
        self.graph_ = pd.DataFrame({"role": names, "observed": observed, "expected": expected, "sd": sd, "z": z})
        return self

    def top(self, role: str = "total", k: int = 10) -> pd.DataFrame:
        """The ``k`` actors with the most brokerage of a role."""
        if role not in (*ROLES, "total"):
            raise ValueError(f"no role {role!r}; use one of: {', '.join((*ROLES, 'total'))}")
        return self.nodes_.sort_values([role, "id"], ascending=[False, True]).head(k)


def role_counts(adjacency: sp.csr_matrix, codes: np.ndarray) -> np.ndarray:
    """(n, 6) open two-path counts per role and in total: all two-paths by group arithmetic, minus the closed
    ones found among the triangles."""
    n = adjacency.shape[0]
    if n == 0:
        return np.zeros((0, 6), dtype=np.int64)
    a = (adjacency > 0).astype(np.int64).tocsr()
    a.setdiag(0)
    a.eliminate_zeros()
    k = int(codes.max()) + 1
    member = sp.csr_matrix((np.ones(n, dtype=np.int64), (np.arange(n), codes)), shape=(n, k))
    inward = (a.T @ member).tocsr()  # in-neighbours of v per group
    outward = (a @ member).tocsr()
    mutual = (a.multiply(a.T) @ member).tocsr()  # a → v and v → a: the pairs (a, a) that are no two-path
    rows = np.arange(n)

    def own(m: sp.csr_matrix) -> np.ndarray:
        return np.asarray(m[rows, codes]).ravel()

    i_own, o_own, r_own = own(inward), own(outward), own(mutual)
    i_all = np.asarray(a.sum(axis=0)).ravel()
    o_all = np.asarray(a.sum(axis=1)).ravel()
    io = np.asarray(inward.multiply(outward).sum(axis=1)).ravel()
    r_all = np.asarray(mutual.sum(axis=1)).ravel()
    total = np.column_stack([
        i_own * o_own - r_own,                                   # coordinator
        (io - i_own * o_own) - (r_all - r_own),                  # itinerant
        i_own * (o_all - o_own),                                 # representative
        (i_all - i_own) * o_own,                                 # gatekeeper
        (i_all - i_own) * (o_all - o_own) - (io - i_own * o_own),  # liaison
    ])
    return _closed_removed(total, a, codes)


def _closed_removed(total: np.ndarray, a: sp.csr_matrix, codes: np.ndarray) -> np.ndarray:

    n = a.shape[0]
    coo = a.tocoo()
    keys = np.sort(coo.row.astype(np.int64) * n + coo.col)
    both = a + a.T
    both = sp.triu(both, k=1).tocoo()
    undirected = ig.Graph(n=n, edges=np.column_stack([both.row, both.col]), directed=False)
    triangles = np.asarray(undirected.list_triangles(), dtype=np.int64).reshape(-1, 3)

    def arc(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        key = x * n + y
        at = np.searchsorted(keys, key)
        at[at == len(keys)] = 0
        return keys[at] == key if len(keys) else np.zeros(len(key), bool)

    closed = np.zeros(5 * n, dtype=np.int64)
    for i, j, k in itertools.permutations(range(3)):
        x, v, y = triangles[:, i], triangles[:, j], triangles[:, k]
        hit = arc(x, v) & arc(v, y) & arc(x, y)
        x, v, y = x[hit], v[hit], y[hit]
        gx, gv, gy = codes[x], codes[v], codes[y]
        role = np.select([(gx == gv) & (gv == gy), (gx == gy) & (gx != gv), (gx == gv) & (gv != gy),
                          (gv == gy) & (gx != gv)], [0, 1, 2, 3], default=4)
        closed += np.bincount(role * n + v, minlength=5 * n)
    open_ = total - closed.reshape(5, n).T
    return np.column_stack([open_, open_.sum(axis=1)])


def _group_moments(n: np.ndarray, big_n: float, arcs: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected counts and variances of each role for a broker of each group (``sna::brokerage``'s ebr, vbr)."""
    k = len(n)
    if big_n < 2 or k == 0:
        return np.zeros((k, 6)), np.zeros((k, 6))
    d = arcs / (big_n * (big_n - 1))
    p = d * d * (1 - d)
    q = d ** 3 * (1 - d) ** 3
    ebr = np.zeros((k, 6))
    vbr = np.zeros((k, 6))
    for i in range(k):
        ni = n[i]
        rest = np.delete(n, i)
        ebr[i, 0] = p * (ni - 1) * (ni - 2)
        vbr[i, 0] = ebr[i, 0] * (1 - p) + 2 * (ni - 1) * (ni - 2) * (ni - 3) * q
        ebr[i, 1] = p * np.sum(rest * (rest - 1))
        vbr[i, 1] = ebr[i, 1] * (1 - p) + 2 * np.sum(rest * (rest - 1) * (rest - 2)) * q
        ebr[i, 2] = p * (big_n - ni) * (ni - 1)
        vbr[i, 2] = ebr[i, 2] * (1 - p) + 2 * ((ni - 1) * _choose2(big_n - ni) + (big_n - ni) * _choose2(ni - 1)) * q
        ebr[i, 3], vbr[i, 3] = ebr[i, 2], vbr[i, 2]
        ebr[i, 4] = p * (rest.sum() ** 2 - np.sum(rest ** 2))
        vbr[i, 4] = ebr[i, 4] * (1 - p) + 4 * np.sum(rest * _choose2(big_n - rest - ni)) * q
        ebr[i, 5] = p * (big_n - 1) * (big_n - 2)
        vbr[i, 5] = ebr[i, 5] * (1 - p) + 2 * (big_n - 1) * (big_n - 2) * (big_n - 3) * q
    return ebr, vbr


def _choose2(x):
    """``choose(x, 2)`` as R computes it for real x (x(x-1)/2)."""
    return x * (x - 1) / 2


def _global_moments(n: np.ndarray, big_n: float, arcs: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected counts and variances of the network's totals per role (``sna::brokerage``'s egbr, vgbr)."""
    if big_n < 2 or len(n) == 0:
        return np.zeros(6), np.zeros(6)
    d = arcs / (big_n * (big_n - 1))
    p = d * d * (1 - d)
    d3, d4, d5 = d ** 3 * (1 - d) ** 3, d ** 4 * (1 - d) ** 2, d ** 5 * (1 - d)
    N = big_n
    e = np.zeros(6)
    v = np.zeros(6)
    e[0] = p * np.sum(n * (n - 1) * (n - 2))
    v[0] = e[0] * (1 - p) + np.sum(n * (n - 1) * (n - 2) * ((4 * n - 10) * d3 - 4 * (n - 3) * d4 + (n - 3) * d5))
    e[1] = p * np.sum(n * (N - n) * (n - 1))
    x, y = n[:, None], n[None, :]
    v[1] = e[1] * (1 - p) + (np.sum(x * y * (x - 1) * ((2 * x + 2 * y - 6) * d3 + (N - x - 1) * d5))
                             - np.sum(n * n * (n - 1) * ((4 * n - 6) * d3 + (N - n - 1) * d5)))
    e[2] = p * np.sum(n * (N - n) * (n - 1))
    v[2] = e[2] * (1 - p) + np.sum(n * (N - n) * (n - 1) * ((N - 3) * d3 + (n - 2) * d5))
    e[3], v[3] = e[2], v[2]
    e[4] = p * (np.sum(x * y * (N - x - y)) - np.sum(n * n * (N - 2 * n)))
    v[4] = e[4] * (1 - p) + _liaison_triples(n, N, d3, d4, d5)
    e[5] = p * N * (N - 1) * (N - 2)
    v[5] = e[5] * (1 - p) + N * (N - 1) * (N - 2) * ((4 * N - 10) * d3 - 4 * (N - 3) * d4 + (N - 3) * d5)
    return e, v


def _liaison_triples(n: np.ndarray, N: float, d3: float, d4: float, d5: float) -> float:
    """The triple sum over distinct groups i, j, k in the liaison variance, one group i at a time."""
    k = len(n)
    total = 0.0
    nj, nk = n[:, None], n[None, :]
    distinct_jk = ~np.eye(k, dtype=bool)
    for i in range(k):
        ni = n[i]
        mask = distinct_jk.copy()
        mask[i, :] = False
        mask[:, i] = False
        term = ni * nj * nk * ((4 * (N - nj) - 2 * (ni + nk + 1)) * d3 - (4 * (N - nk) - 2 * (ni + nj + 1)) * d4
                               + (N - (ni + nk + 1)) * d5)
        total += float(term[mask].sum())
    return total


def hub_bridges(snapshot: Snapshot, *, top: int = 3, by: str = "hub", involving: str | None = None) -> pd.DataFrame:
    """The actors that bridge each pair of hubs (or of groups of another column, ``by``), best first; with
    ``involving``, only the pairs that include that group.

    An actor's score for hubs A and B is the number of (A, B) pairs of actors it links: its neighbours in A times
    its neighbours in B, the actor itself counting as a member of its own hub. So a Barcelona hospital with three
    Polish partners and ten Barcelona ones links 11 × 3 = 33 pairs; a third-party fund tied to two in each, 4.
    The columns are named after the grouping: ``hub_a``, ``hub_b`` and ``hub`` (the bridge's own), or
    ``country_a``, ``country_b`` and ``country`` with ``by="country"``. Actors without a value join no group.

    Examples
    --------
    >>> nodes = pd.DataFrame({"name": ["Clínic", "Kardio", "MII", "Ysios"], "hub": ["BCN", "PL", "PL", "BCN"]})
    >>> ties = pd.DataFrame({"source": [0, 0, 3], "target": [1, 2, 0]})
    >>> hub_bridges(Snapshot.from_frames(nodes, ties))[["name", "hub", "score"]].to_dict("records")
    [{'name': 'Clínic', 'hub': 'BCN', 'score': 4}, {'name': 'Kardio', 'hub': 'PL', 'score': 1}, {'name': 'MII', 'hub': 'PL', 'score': 1}]
    """
    a, b = f"{by}_a", f"{by}_b"
    columns = [a, b, "rank", "id", "name", by, "score", "ties_to_a", "ties_to_b"]
    if by not in snapshot.nodes:
        raise ValueError(f"no node attribute {by!r}; use one of: {', '.join(snapshot.nodes.columns)}")
    values = snapshot.nodes[by]
    known = values.notna().to_numpy()
    labels, codes = np.unique(values[known].astype(str).to_numpy(), return_inverse=True)
    member = sp.csr_matrix((np.ones(known.sum()), (np.flatnonzero(known), codes)),
                           shape=(len(snapshot.nodes), len(labels)))
    only = int(np.searchsorted(labels, involving)) if involving is not None else None
    if (not len(labels) or snapshot.graph.ecount() == 0
            or (only is not None and (only == len(labels) or labels[only] != involving))):
        return pd.DataFrame(columns=columns)
    neighbours = (snapshot.adjacency() @ member).tocsr()
    reach = (neighbours + member).tocsr()  # closed neighbourhood per group
    best: dict[tuple[int, int], list[tuple[float, int]]] = {}
    for v in np.flatnonzero(np.diff(reach.indptr) >= 2):
        lo, hi = reach.indptr[v], reach.indptr[v + 1]
        cols, vals = reach.indices[lo:hi], reach.data[lo:hi]
        order = np.argsort(cols)
        pairs = list(zip(cols[order].tolist(), vals[order].tolist()))
        if only is not None:  # that group with each other group in v's closed neighbourhood
            counts = dict(pairs)
            if only not in counts:
                continue
            combos = [tuple(sorted([(only, counts[only]), (h, c)])) for h, c in pairs if h != only]
        else:  # every pair of groups in v's closed neighbourhood: v has a tie into at least one of them
            combos = itertools.combinations(pairs, 2)
        for (ha, ca), (hb, cb) in combos:
            best.setdefault((ha, hb), []).append((-(ca * cb), v))
    rows = []
    ids, names = snapshot.nodes["id"].to_numpy(), snapshot.nodes["name"].to_numpy()
    for (ha, hb), cands in sorted(best.items()):
        cands.sort(key=lambda c: (c[0], ids[c[1]]))
        for rank, (neg, v) in enumerate(cands[:top], start=1):
            rows.append({a: labels[ha], b: labels[hb], "rank": rank, "id": int(ids[v]),
                         "name": names[v], by: values.iloc[v], "score": int(-neg),
                         "ties_to_a": int(neighbours[v, ha]), "ties_to_b": int(neighbours[v, hb])})
    return pd.DataFrame(rows, columns=columns)

"""The Snapshot: an immutable graph of organisations and ties, built once from an Atlas with filters."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import igraph as ig
import numpy as np
import pandas as pd
import scipy.sparse as sp
import sqlalchemy as sa

from ..domain import StakeholderType, TieKind, helix_of
from ..domain.parsing import day, terms

if TYPE_CHECKING:
    import networkx as nx

    from ..store import Atlas

__all__ = ["Snapshot", "SnapshotCache", "NODE_COLUMNS", "TIE_COLUMNS", "CACHE_FORMAT"]

#: The organisation fields a snapshot keeps for every actor, plus what it derives from deals and programmes
#: (``funding_raised`` counts deals received and contributions from grants and research projects).
NODE_COLUMNS = ("id", "name", "type", "helix", "hub_id", "hub", "country", "stage", "size", "founded",
                "focus_areas", "offers", "needs", "funding_raised", "funding_invested", "programmes")
#: The tie fields a snapshot keeps; ``source`` and ``target`` are positions in :attr:`Snapshot.nodes`.
TIE_COLUMNS = ("id", "source", "target", "kind", "directed", "weight", "start_date", "end_date", "status")

_FUNDING_PROGRAMMES = ("grant", "research_project")
_ORG_FIELDS = ["name", "type", "hub_id", "country", "stage", "size", "founded", "focus_areas", "offers", "needs"]
_TIE_FIELDS = ["source_id", "target_id", "kind", "directed", "weight", "start_date", "end_date", "status"]


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The network of an atlas at one moment: actors (``nodes``), their ties (``ties``) and two igraph views.

    ``graph`` is the collaboration network the metrics read: undirected and simple, each pair of actors joined
    once, its weight the sum of their ties' weights. ``digraph`` keeps direction: a directed tie is one arc, an
    undirected tie two (one each way). Both are built once; treat them, and the frames, as read-only.

    Examples
    --------
    >>> nodes = pd.DataFrame({"id": [1, 2, 3], "name": ["Clínic", "Kardio", "Ysios"],
    ...                       "type": ["hospital", "startup", "investor"], "hub": ["BCN", "PL", "BCN"]})
    >>> ties = pd.DataFrame({"source": [0, 2], "target": [1, 1], "kind": ["clinical_pilot", "investment"]})
    >>> snap = Snapshot.from_frames(nodes, ties)
    >>> snap.graph.vcount(), snap.graph.ecount(), snap.digraph.ecount()  # ties are undirected unless said
    (3, 2, 4)
    >>> sorted(snap.to_networkx().edges())
    [(1, 2), (2, 3)]
    """

    nodes: pd.DataFrame
    ties: pd.DataFrame
    graph: ig.Graph
    digraph: ig.Graph
    filters: dict[str, Any] = field(default_factory=dict)

    # -- construction --------------------------------------------------------------------------------------------
    @classmethod
    def from_atlas(cls, atlas: Atlas, *, hubs: Iterable[str | int] | None = None,
                   types: Iterable[str] | None = None, kinds: Iterable[str] | None = None,
                   since: dt.date | str | None = None, until: dt.date | str | None = None,
                   min_weight: float | None = None, progress=None) -> Snapshot:
        """Read the actors and ties of an atlas, keeping those the filters let through.

        Parameters
        ----------
        hubs : hub names or ids; only their members (and ties among them) are kept.
        types : stakeholder types to keep (startup, hospital…).
        kinds : tie kinds to keep (partnership, investment…).
        since, until : keep ties active at some time in this window (a tie without dates is always active).
        min_weight : keep ties at least this strong.
        """
        hub_ids = {atlas.hub_id(h) for h in hubs} if hubs else None
        type_set = set(terms(StakeholderType, list(types), "stakeholder type")) if types else None
        kind_set = set(terms(TieKind, list(kinds), "tie kind")) if kinds else None
        since_d = day(since, "since") if since is not None else None
        until_d = day(until, "until") if until is not None else None
        if since_d and until_d and since_d > until_d:
            raise ValueError(f"since ({since_d}) is after until ({until_d})")
        if min_weight is not None and not min_weight >= 0:
            raise ValueError(f"min_weight must be a number ≥ 0, not {min_weight!r}")
        hub_names = dict(atlas.frame("hub", ["name"]).itertuples(index=False))
        orgs = atlas.frame("organization", _ORG_FIELDS)
        if progress:
            progress("actors", 1, 2)
        keep = pd.Series(True, index=orgs.index)
        if hub_ids is not None:
            keep &= orgs["hub_id"].isin(hub_ids)
        if type_set is not None:
            keep &= orgs["type"].isin(type_set)
        orgs = orgs[keep].reset_index(drop=True)
        orgs["hub_id"] = orgs["hub_id"].astype("Int64")
        orgs["hub"] = orgs["hub_id"].map(hub_names).astype(object).where(orgs["hub_id"].notna(), None)
        _add_resources(atlas, orgs)

        raw = atlas.frame("tie", _TIE_FIELDS)
        if progress:
            progress("actors", 2, 2)
        position = pd.Series(np.arange(len(orgs)), index=orgs["id"].to_numpy())
        raw = raw[raw["source_id"].isin(position.index) & raw["target_id"].isin(position.index)]
        if kind_set is not None:
            raw = raw[raw["kind"].isin(kind_set)]
        if min_weight is not None:
            raw = raw[raw["weight"] >= min_weight]
        if until_d is not None:
            raw = raw[raw["start_date"].isna() | (raw["start_date"] <= pd.Timestamp(until_d))]
        if since_d is not None:
            raw = raw[raw["end_date"].isna() | (raw["end_date"] >= pd.Timestamp(since_d))]
        raw = raw.assign(source=position.reindex(raw["source_id"]).to_numpy(),
                         target=position.reindex(raw["target_id"]).to_numpy())
        filters = {k: v for k, v in {"hubs": sorted(hub_names[h] for h in hub_ids if h in hub_names) if hub_ids
                                     else None, "types": sorted(type_set) if type_set else None,
                                     "kinds": sorted(kind_set) if kind_set else None,
                                     "since": since_d, "until": until_d, "min_weight": min_weight}.items()
                   if v is not None}
        return cls.from_frames(orgs, raw[list(TIE_COLUMNS)].reset_index(drop=True), filters=filters)

    @classmethod
    def from_frames(cls, nodes: pd.DataFrame, ties: pd.DataFrame, *, filters: dict[str, Any] | None = None
                    ) -> Snapshot:
        """Build a snapshot from a node frame and a tie frame (``source``/``target`` are node positions).

        Missing columns take defaults: a type ``other``, no hub, undirected ties of weight 1.
        """
        nodes = nodes.reset_index(drop=True).copy()
        n = len(nodes)
        defaults: dict[str, Any] = {"id": np.arange(1, n + 1), "name": None, "type": "other", "hub_id": None,
                                    "hub": None, "country": None, "stage": None, "size": None, "founded": None,
                                    "funding_raised": 0.0, "funding_invested": 0.0, "programmes": 0}
        for col, value in defaults.items():
            if col not in nodes:
                nodes[col] = value
        for col in ("focus_areas", "offers", "needs"):
            if col not in nodes:
                nodes[col] = [[] for _ in range(n)]
        nodes["name"] = nodes["name"].where(nodes["name"].notna(), nodes["id"].astype(str))
        nodes["hub"] = nodes["hub"].astype(object).where(nodes["hub"].notna(), None)
        nodes["helix"] = [helix_of(t).value for t in nodes["type"]]
        nodes = nodes[list(NODE_COLUMNS)]

        ties = ties.reset_index(drop=True).copy()
        tdefaults: dict[str, Any] = {"id": np.arange(1, len(ties) + 1), "kind": "partnership", "directed": False,
                                     "weight": 1.0, "start_date": None, "end_date": None, "status": "active"}
        for col, value in tdefaults.items():
            if col not in ties:
                ties[col] = value
        ties = ties[list(TIE_COLUMNS)]
        ties["source"] = ties["source"].astype(np.int64)
        ties["target"] = ties["target"].astype(np.int64)
        ties["weight"] = ties["weight"].astype(float)
        ties["directed"] = ties["directed"].astype(bool)
        if len(ties) and (ties[["source", "target"]].to_numpy().min() < 0
                          or ties[["source", "target"]].to_numpy().max() >= n):
            raise ValueError("a tie names a node position outside the node frame")
        graph, digraph = _views(n, ties)
        return cls(nodes=nodes, ties=ties, graph=graph, digraph=digraph, filters=dict(filters or {}))

    # -- views ---------------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return f"Snapshot({len(self.nodes)} actors, {len(self.ties)} ties{', ' + str(self.filters) if self.filters else ''})"

    def position(self, org_id: int) -> int:
        """The position of an organisation (by atlas id) in :attr:`nodes`."""
        hits = np.flatnonzero(self.nodes["id"].to_numpy() == org_id)
        if not len(hits):
            raise KeyError(f"organisation {org_id} is not in this snapshot (filtered out, or no such id)")
        return int(hits[0])

    def adjacency(self, *, directed: bool = False, weighted: bool = False) -> sp.csr_matrix:
        """The adjacency matrix of :attr:`graph` (or :attr:`digraph`) as a SciPy CSR matrix."""
        g = self.digraph if directed else self.graph
        n = g.vcount()
        edges = np.array(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        data = np.asarray(g.es["weight"], dtype=float) if weighted else np.ones(len(edges))
        a = sp.csr_matrix((data, (edges[:, 0], edges[:, 1])), shape=(n, n))
        return a if directed else (a + a.T).tocsr()

    def groups(self, attribute: str) -> np.ndarray:
        """Integer codes of a node attribute (``hub``, ``helix``, ``type``…); missing values share one code."""
        if attribute not in self.nodes:
            raise ValueError(f"no node attribute {attribute!r}; use one of: {', '.join(self.nodes.columns)}")
        values = self.nodes[attribute].astype(object).where(self.nodes[attribute].notna(), "(none)").astype(str)
        return pd.factorize(values)[0]

    def hub_membership(self) -> tuple[np.ndarray, sp.csr_matrix]:
        """The hubs' names (sorted) and an actors × hubs 0/1 matrix; actors without a hub have an empty row."""
        hubs = self.nodes["hub"]
        known = hubs.notna().to_numpy()
        labels, codes = np.unique(hubs[known].astype(str).to_numpy(), return_inverse=True)
        member = sp.csr_matrix((np.ones(known.sum()), (np.flatnonzero(known), codes)),
                               shape=(len(self.nodes), len(labels)))
        return labels, member

    def to_networkx(self, *, directed: bool = False) -> nx.Graph:
        """The same network in networkx (a ``Graph``, or a ``DiGraph`` with ``directed=True``), keyed by atlas id,
        with every node attribute and each edge's ``weight`` and ``ties`` (how many ties it sums)."""
        import networkx as nx

        g = self.digraph if directed else self.graph
        out = nx.DiGraph() if directed else nx.Graph()
        ids = self.nodes["id"].tolist()
        for row in self.nodes.to_dict("records"):
            out.add_node(row["id"], **{k: (None if _missing(v) else v) for k, v in row.items() if k != "id"})
        out.add_edges_from((ids[s], ids[t], {"weight": w, "ties": c})
                           for (s, t), w, c in zip(g.get_edgelist(), g.es["weight"], g.es["ties"]))
        return out


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def _collapse(src: np.ndarray, tgt: np.ndarray, weight: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray,
                                                                                       np.ndarray]:
    key = src.astype(np.int64) * max(n, 1) + tgt
    uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=weight, minlength=len(uniq))
    return uniq, sums, counts


def _pairs(source: np.ndarray, target: np.ndarray) -> list[tuple[int, int]]:
    """Edges as igraph takes them fastest: a list of pairs of Python ints (a NumPy array is read element by
    element, about four times slower)."""
    return list(zip(source.tolist(), target.tolist()))


def _views(n: int, ties: pd.DataFrame) -> tuple[ig.Graph, ig.Graph]:
    src = ties["source"].to_numpy(np.int64)
    tgt = ties["target"].to_numpy(np.int64)
    w = ties["weight"].to_numpy(float)
    directed = ties["directed"].to_numpy(bool)
    loop = src == tgt  # a tie of an organisation to itself says nothing about the network
    src, tgt, w, directed = src[~loop], tgt[~loop], w[~loop], directed[~loop]

    lo, hi = np.minimum(src, tgt), np.maximum(src, tgt)
    key, weight, count = _collapse(lo, hi, w, n)
    graph = ig.Graph(n=n, edges=_pairs(key // max(n, 1), key % max(n, 1)), directed=False)
    graph.es["weight"] = weight
    graph.es["ties"] = count.tolist()

    undirected = ~directed
    a_src = np.concatenate([src, tgt[undirected]])
    a_tgt = np.concatenate([tgt, src[undirected]])
    a_w = np.concatenate([w, w[undirected]])
    key, weight, count = _collapse(a_src, a_tgt, a_w, n)
    digraph = ig.Graph(n=n, edges=_pairs(key // max(n, 1), key % max(n, 1)), directed=True)
    digraph.es["weight"] = weight
    digraph.es["ties"] = count.tolist()
    return graph, digraph


def _add_resources(atlas: Atlas, orgs: pd.DataFrame) -> None:
    """Funding raised (deal amounts, and contributions received from grants and research projects, such as
    CORDIS's EC contributions) and invested (an investor's share of a deal split evenly), and programmes joined."""
    deals = atlas.frame("deal", ["recipient_id", "investor_ids", "amount"])
    deals["amount"] = deals["amount"].fillna(0.0)
    raised = deals.groupby("recipient_id")["amount"].sum()
    shares = deals.assign(share=deals["amount"] / deals["investor_ids"].map(lambda v: max(len(v or []), 1)))
    shares = shares.explode("investor_ids").dropna(subset=["investor_ids"])
    invested = shares.groupby("investor_ids")["share"].sum()
    participations = atlas.frame("participation", ["organization_id", "program_id", "contribution"])
    programmes = participations["organization_id"].value_counts()
    # In a grant or a research project the contribution is money the funder gives the participant; in an
    # incubator or a challenge it may be what the participant puts in, so only the first two count as raised.
    kinds = atlas.frame("program", ["kind"]).set_index("id")["kind"]
    funded = participations[participations["program_id"].map(kinds).isin(_FUNDING_PROGRAMMES)]
    received = funded["contribution"].astype(float).groupby(funded["organization_id"]).sum(min_count=1).dropna()
    raised = raised.astype(float).add(received, fill_value=0.0)
    orgs["funding_raised"] = orgs["id"].map(raised).fillna(0.0).astype(float)
    orgs["funding_invested"] = orgs["id"].map(invested).fillna(0.0).astype(float)
    orgs["programmes"] = orgs["id"].map(programmes).fillna(0).astype(int)


# -- the snapshot cache ------------------------------------------------------------------------------------------
#: Bumped whenever what a snapshot holds or how it is stored changes: files of another format are never read.
CACHE_FORMAT = 1
#: Snapshots kept per atlas and change token (different principals and filters), the least recently used going
#: first; those of an older token go at once (the token never comes back).
CACHE_KEEP = 16


class SnapshotCache:
    """Snapshots kept on disk, keyed on the atlas's change token, the principal's visibility scope and the
    filters, so that a second analysis of an unchanged atlas reads one file instead of the database.

    Where: next to an SQLite atlas, in ``<atlas file>.snapshots/``; for PostgreSQL, under the user's cache
    directory (``$XDG_CACHE_HOME`` or ``~/.cache``) in ``ecotone/snapshots/<hash of the database URL>/``. Each file
    is a NumPy ``.npz`` of plain arrays (read without pickle), readable only by its owner. Any write to the atlas
    changes its token (:meth:`Atlas.change_token`), so the next snapshot is built afresh and the old files are
    removed. A principal's snapshot holds only what it may see; the key holds its scope
    (:meth:`Principal.scope_key`: admin, anonymous, or role, hubs and organisation), so two principals who may
    see different records never share a file (the hubs that share with theirs are records, and move the token).
    An in-memory atlas, or a folder that cannot be written, is simply not cached.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from ecotone.store import Atlas
    >>> from ecotone.services.demo import build_demo
    >>> atlas = Atlas.open(str(pathlib.Path(tempfile.mkdtemp()) / "a.db"))
    >>> _ = build_demo(atlas)
    >>> cache = SnapshotCache.of(atlas)
    >>> first, again = cache.get(atlas), cache.get(atlas)
    >>> cache.misses, cache.hits, first.nodes.equals(again.nodes), len(first) == len(again)
    (1, 1, True, True)
    >>> atlas.close()
    """

    def __init__(self, folder: Path, identity: str) -> None:
        self.folder, self.identity = Path(folder), identity
        self.hits = self.misses = 0

    @classmethod
    def of(cls, atlas: Atlas) -> SnapshotCache | None:
        """The cache of an atlas: beside its SQLite file, or in the user's cache directory for PostgreSQL;
        None for an in-memory atlas."""
        if atlas.counters() is None:
            return None
        url = atlas.engine.url
        if atlas.dialect == "sqlite":
            path = Path(url.database).resolve()
            stat = path.stat()  # a file made again at the same path (same counters, other records) is another atlas
            return cls(path.with_name(path.name + ".snapshots"), f"sqlite:{stat.st_dev}:{stat.st_ino}")
        with atlas.engine.connect() as conn:
            oids = conn.execute(sa.text("SELECT d.oid::text || ':' || n.oid::text FROM pg_database d, pg_namespace n "
                                        "WHERE d.datname = current_database() AND n.nspname = current_schema()")
                                ).scalar()
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        place = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
        return cls(base / "ecotone" / "snapshots" / place, f"postgresql:{oids}")

    def _names(self, atlas: Atlas, filters: dict[str, Any]) -> tuple[str, str]:
        """The file name's prefix (format, atlas and change token) and the whole name (also scope and filters)."""
        token = atlas.change_token()
        prefix = hashlib.sha256(f"{CACHE_FORMAT}|{self.identity}|{token}".encode()).hexdigest()[:16]
        what = json.dumps({"scope": atlas.principal.scope_key(), "filters": _plain_filters(filters)},
                          sort_keys=True, default=str)
        return prefix, f"{prefix}-{hashlib.sha256(what.encode()).hexdigest()[:32]}.npz"

    def get(self, atlas: Atlas, progress=None, **filters: Any) -> Snapshot:
        """The snapshot of ``atlas`` under ``filters`` (those of :meth:`Snapshot.from_atlas`), as its principal
        may see it: read from the cache when the atlas has not changed since it was kept, built and kept
        otherwise. The token is read before the atlas, so a write meanwhile leaves the file under the old one."""
        prefix, name = self._names(atlas, filters)
        snap = self._load(self.folder / name)
        if snap is not None:
            self.hits += 1
            return snap
        self.misses += 1
        snap = Snapshot.from_atlas(atlas, progress=progress, **filters)
        self._store(snap, prefix, name)
        return snap

    def _load(self, path: Path) -> Snapshot | None:
        try:
            with np.load(path, allow_pickle=False) as stored:
                snap = _snapshot_from_arrays(dict(stored))
            os.utime(path)  # recently used
            return snap
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # damaged or half-removed: built again
            path.unlink(missing_ok=True)
            return None

    def _store(self, snap: Snapshot, prefix: str, name: str) -> None:
        arrays = _snapshot_arrays(snap)
        if arrays is None:  # a column this format cannot keep exactly: not cached
            return
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".tmp", delete=False) as fh:
                np.savez(fh, **arrays)
            os.replace(fh.name, self.folder / name)  # readers see the whole file or none
            self._prune(prefix)
        except OSError:
            return

    def _prune(self, prefix: str) -> None:
        current = []
        for path in self.folder.glob("*.npz"):
            if path.name.startswith(prefix + "-"):
                current.append(path)
            else:
                path.unlink(missing_ok=True)
        for path in self.folder.glob("*.tmp"):
            try:
                if path.stat().st_mtime < time.time() - 3600:  # left by a process that died while writing
                    path.unlink(missing_ok=True)
            except OSError:
                pass
        current.sort(key=lambda p: p.stat().st_mtime if p.exists() else 0, reverse=True)
        for path in current[CACHE_KEEP:]:
            path.unlink(missing_ok=True)


def _plain_filters(filters: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in filters.items():
        if value is None:
            continue
        out[key] = sorted(map(str, value)) if isinstance(value, list | tuple | set | frozenset) else str(value)
    return out


def _encode_column(prefix: str, column: pd.Series, out: dict[str, np.ndarray]) -> str | None:
    """Store one column as plain arrays under ``prefix``; its kind, or None when it cannot be kept exactly."""
    values = column.to_numpy()
    if isinstance(column.dtype, pd.Int64Dtype):
        out[prefix] = column.to_numpy(np.int64, na_value=0)
        out[prefix + ".missing"] = column.isna().to_numpy()
        return "Int64"
    if column.dtype != object:
        out[prefix] = values
        return "plain"
    present = [v for v in values if v is not None]
    kinds = {type(v) for v in present}
    missing = np.array([v is None for v in values], dtype=bool)
    if kinds <= {str}:
        codes, labels = pd.factorize(pd.Series(values, dtype=object))
        out[prefix], out[prefix + ".labels"] = codes.astype(np.int32), np.asarray(labels, dtype=str)
        return "text"
    if kinds == {list} and not missing.any() and all(type(x) is str for v in present for x in v):
        flat = [x for v in present for x in v]
        out[prefix] = np.asarray(flat, dtype=str) if flat else np.zeros(0, dtype="<U1")
        out[prefix + ".lengths"] = np.array([len(v) for v in present], dtype=np.int64)
        return "lists"
    if kinds <= {int}:
        out[prefix] = np.array([0 if v is None else v for v in values], dtype=np.int64)
        out[prefix + ".missing"] = missing
        return "ints"
    if kinds <= {float}:
        out[prefix] = np.array([np.nan if v is None else v for v in values], dtype=float)
        out[prefix + ".missing"] = missing
        return "floats"
    if kinds <= {dt.date}:
        out[prefix] = np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "D") for v in values],
                               dtype="datetime64[D]")
        return "dates"
    return None


def _decode_column(prefix: str, kind: str, stored: dict[str, np.ndarray]) -> Any:
    values = stored[prefix]
    if kind == "plain":
        return values
    if kind == "Int64":
        return pd.arrays.IntegerArray(values.astype(np.int64), stored[prefix + ".missing"].astype(bool))
    if kind == "text":
        labels = stored[prefix + ".labels"].astype(object)
        out = np.empty(len(values), dtype=object)
        known = values >= 0
        out[known] = labels[values[known]]
        out[~known] = None
        return out
    if kind == "lists":
        flat = values.tolist()
        ends = np.cumsum(stored[prefix + ".lengths"]).tolist()
        out = np.empty(len(ends), dtype=object)
        for i, (a, b) in enumerate(zip([0, *ends[:-1]], ends)):  # one by one: NumPy would read lists as a 2-D array
            out[i] = flat[a:b]
        return out
    missing = stored.get(prefix + ".missing")
    if kind in ("ints", "floats"):
        out = np.array(values.tolist(), dtype=object)
        out[missing] = None
        return out
    if kind == "dates":
        return np.array([None if np.isnat(v) else v.astype(dt.date) for v in values], dtype=object)
    raise ValueError(f"unknown column kind {kind!r}")


def _snapshot_arrays(snap: Snapshot) -> dict[str, np.ndarray] | None:
    """A snapshot as plain arrays (its frames column by column, both graph views' ties and their weights, and a
    JSON header with the column kinds and the filters); None if a column cannot be kept exactly."""
    out: dict[str, np.ndarray] = {}
    kinds: dict[str, dict[str, str]] = {"nodes": {}, "ties": {}}
    for frame_name, frame in (("nodes", snap.nodes), ("ties", snap.ties)):
        for column in frame.columns:
            kind = _encode_column(f"{frame_name}/{column}", frame[column], out)
            if kind is None:
                return None
            kinds[frame_name][column] = kind
    for view_name, view in (("graph", snap.graph), ("digraph", snap.digraph)):
        out[f"{view_name}/edges"] = np.array(view.get_edgelist(), dtype=np.int64).reshape(-1, 2)
        out[f"{view_name}/weight"] = np.asarray(view.es["weight"], dtype=float)
        out[f"{view_name}/ties"] = np.asarray(view.es["ties"], dtype=np.int64)
    header = {"format": CACHE_FORMAT, "kinds": kinds, "order": {k: list(v) for k, v in kinds.items()},
              "filters": {k: ({"date": v.isoformat()} if isinstance(v, dt.date) else v)
                          for k, v in snap.filters.items()}}
    out["header"] = np.array(json.dumps(header))
    return out


def _snapshot_from_arrays(stored: dict[str, np.ndarray]) -> Snapshot:
    header = json.loads(str(stored["header"]))
    if header["format"] != CACHE_FORMAT:
        raise ValueError("another cache format")
    frames = {}
    for frame_name in ("nodes", "ties"):
        frames[frame_name] = pd.DataFrame({column: _decode_column(f"{frame_name}/{column}", kind, stored)
                                           for column, kind in header["kinds"][frame_name].items()})
    n = len(frames["nodes"])
    views = []
    for view_name, directed in (("graph", False), ("digraph", True)):
        edges = stored[f"{view_name}/edges"]
        view = ig.Graph(n=n, edges=_pairs(edges[:, 0], edges[:, 1]), directed=directed)
        view.es["weight"] = stored[f"{view_name}/weight"]
        view.es["ties"] = stored[f"{view_name}/ties"].tolist()
        views.append(view)
    filters = {k: (dt.date.fromisoformat(v["date"]) if isinstance(v, dict) else v)
               for k, v in header["filters"].items()}
    return Snapshot(nodes=frames["nodes"], ties=frames["ties"], graph=views[0], digraph=views[1], filters=filters)

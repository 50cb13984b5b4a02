"""The Snapshot: an immutable graph of organisations and ties, built once from an Atlas with filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import igraph as ig
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..domain import StakeholderType, TieKind, helix_of
from ..domain.parsing import day, terms

if TYPE_CHECKING:
    import networkx as nx

    from ..store import Atlas

__all__ = ["Snapshot", "NODE_COLUMNS", "TIE_COLUMNS"]

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


def _views(n: int, ties: pd.DataFrame) -> tuple[ig.Graph, ig.Graph]:
    src = ties["source"].to_numpy(np.int64)
    tgt = ties["target"].to_numpy(np.int64)
    w = ties["weight"].to_numpy(float)
    directed = ties["directed"].to_numpy(bool)
    loop = src == tgt  # a tie of an organisation to itself says nothing about the network
    src, tgt, w, directed = src[~loop], tgt[~loop], w[~loop], directed[~loop]

    lo, hi = np.minimum(src, tgt), np.maximum(src, tgt)
    key, weight, count = _collapse(lo, hi, w, n)
    graph = ig.Graph(n=n, edges=np.column_stack([key // max(n, 1), key % max(n, 1)]), directed=False)
    graph.es["weight"] = weight
    graph.es["ties"] = count.tolist()

    undirected = ~directed
    a_src = np.concatenate([src, tgt[undirected]])
    a_tgt = np.concatenate([tgt, src[undirected]])
    a_w = np.concatenate([w, w[undirected]])
    key, weight, count = _collapse(a_src, a_tgt, a_w, n)
    digraph = ig.Graph(n=n, edges=np.column_stack([key // max(n, 1), key % max(n, 1)]), directed=True)
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

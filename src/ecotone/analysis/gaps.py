"""The gap finder: roles a hub lacks, needs no one within reach can meet, and hubs that barely talk."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..domain import CORE_ROLES, STAGE_NEEDS
from ..match.needs import STATUSES, NeedMatcher, in_words, normalise
from .snapshot import Snapshot

__all__ = ["Gaps", "missing_roles"]


def missing_roles(snapshot: Snapshot) -> pd.DataFrame:
    """Each hub's core roles (startups, hospitals, universities, investors, regulators…) that no member plays.

    >>> nodes = pd.DataFrame({"name": ["a", "b"], "type": ["startup", "hospital"], "hub": ["X", "X"]})
    >>> missing_roles(Snapshot.from_frames(nodes, pd.DataFrame({"source": [0], "target": [1]})))["missing"][0][:3]
    ['university', 'investor', 'regulator']
    """
    rows = []
    nodes = snapshot.nodes[snapshot.nodes["hub"].notna()]
    for hub, members in nodes.groupby("hub", sort=True):
        present = set(members["type"])
        rows.append({"hub": hub, "actors": len(members), "missing": [r.value for r in CORE_ROLES if r.value not in present]})
    return pd.DataFrame(rows, columns=["hub", "actors", "missing"])


class Gaps:
    """Find what is missing.

    * ``missing_roles_``: each hub's absent core roles.
    * ``unreached_``: actors with a need nobody within ``reach`` steps can meet — the needs their stage implies
      (a startup at clinical validation needs a hospital or clinic) and the needs they state, matched against
      what others offer by :class:`ecotone.match.needs.NeedMatcher` ("seed funding" by an investor's "funding";
      ``match`` says how: matched, weak with its score, or by stage) — with the distance to the nearest provider,
      a bridge (the neighbour closest to one, else the hub's operator or best-connected member) and a provider to
      introduce.
    * ``needs_``: every distinct stated need — how many actors state it, its term, how it is met (``status``
      matched / weak / none, ``score``, the ``offer`` that meets or resembles it, ``match`` in words: "no provider
      anywhere" for a need nobody in the atlas offers), how many actors provide it and how many stating it are
      unreached. None is dropped.
    * ``hub_pairs_``: pairs of hubs with at most ``thin`` ties between them, with an actor tied to both (``bridge``)
      or, when nobody is, the best-connected member of each to introduce (``bridge`` and ``partner``).

    Examples
    --------
    >>> nodes = pd.DataFrame({"name": ["Kardio", "Incubator", "Clínic"], "type": ["startup", "incubator", "hospital"],
    ...                       "stage": ["clinical_validation", None, None], "hub": ["PL", "PL", "BCN"]})
    >>> ties = pd.DataFrame({"source": [1], "target": [0]})
    >>> gaps = Gaps().run(Snapshot.from_frames(nodes, ties))
    >>> gaps.unreached_[["name", "need", "bridge", "provider"]].to_dict("records")
    [{'name': 'Kardio', 'need': 'clinical_validation: hospital or clinic', 'bridge': 'Incubator', 'provider': 'Clínic'}]
    >>> nodes["needs"] = [["Seed funding", "deal flow"], [], []]
    >>> nodes["offers"] = [[], ["funding"], ["clinical validation"]]
    >>> Gaps().run(Snapshot.from_frames(nodes, ties)).needs_[["need", "match", "providers"]].to_dict("records")
    [{'need': 'deal flow', 'match': 'no provider anywhere', 'providers': 0}, {'need': 'Seed funding', 'match': 'matched: funding', 'providers': 1}]
    >>> gaps.hub_pairs_[["hub_a", "hub_b", "ties"]].to_dict("records")
    [{'hub_a': 'BCN', 'hub_b': 'PL', 'ties': 0}]
    """

    def __init__(self, *, reach: int = 2, thin: int = 2, strong: float = 0.6, weak: float = 0.3) -> None:
        if reach < 1 or thin < 0:
            raise ValueError("reach must be ≥ 1 and thin ≥ 0")
        NeedMatcher(strong=strong, weak=weak)  # refuses thresholds out of order
        self.reach = reach
        self.thin = thin
        self.strong, self.weak = strong, weak

    def run(self, snapshot: Snapshot) -> Gaps:
        self.missing_roles_ = missing_roles(snapshot)
        adjacency = snapshot.adjacency()
        self._degree = np.diff(adjacency.indptr)
        self.unreached_ = self._unreached(snapshot, adjacency)
        self.hub_pairs_ = self._hub_pairs(snapshot, adjacency)
        return self

    # -- needs nobody near can meet ------------------------------------------------------------------------------
    def _needs(self, snapshot: Snapshot) -> list[tuple[str, np.ndarray, np.ndarray, str]]:
        """(label, needy actors mask, providers mask, how it was matched) for each need; fills ``needs_``."""
        nodes = snapshot.nodes
        types = nodes["type"].to_numpy()
        stages = nodes["stage"].to_numpy()
        out = []
        for stage, providers in STAGE_NEEDS.items():
            needy = stages == stage.value
            if needy.any():
                label = f"{stage.value}: {' or '.join(p.value.replace('_', ' ') for p in providers)}"
                out.append((label, needy, np.isin(types, [p.value for p in providers]), "by stage"))
        # stated needs against stated offers through the vocabulary and its resemblance (match/needs.py):
        # every stated need is accounted for in needs_, matched, weak or with no provider anywhere
        offer_lists = [[str(o) for o in v or [] if str(o).strip()] for v in nodes["offers"]]
        matcher = NeedMatcher(strong=self.strong, weak=self.weak).fit(o for v in offer_lists for o in v)
        at = {k: j for j, k in enumerate(matcher.keys_)}
        rows, cols = [], []
        for i, v in enumerate(offer_lists):
            for o in v:
                rows.append(i)
                cols.append(at[normalise(o)])
        offered = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(nodes), len(matcher.keys_)))
        stated: dict[str, tuple[str, np.ndarray]] = {}
        for i, needs in enumerate(nodes["needs"]):
            for need in needs or []:
                key = normalise(need)
                if key:
                    stated.setdefault(key, (str(need).strip(), np.zeros(len(nodes), bool)))[1][i] = True
        keys = sorted(stated)
        written = [stated[k][0] for k in keys]
        found = matcher.match(written)
        step = max(1, 2_000_000 // max(1, len(matcher.keys_)))  # the grid of needs × offers, a block at a time
        table = []
        for r, key in enumerate(keys):
            if r % step == 0:
                _, status = matcher.grid(written[r:r + step])
            need, needy = stated[key]
            row = found.iloc[r]
            how = in_words(row["status"], row["score"], row["offer"])
            level = STATUSES.index(row["status"])
            providers = np.zeros(len(nodes), bool)
            if level < 2:
                meets = (status[r % step] == level).astype(float)
                providers = np.asarray(offered @ meets).ravel() > 0
                out.append((f"stated: {need}", needy, providers, how))
            table.append({"need": need, "term": row["term"], "actors": int(needy.sum()), "status": row["status"],
                          "score": float(row["score"]), "offer": row["offer"], "match": how,
                          "providers": int(providers.sum())})
        self.needs_ = pd.DataFrame(table, columns=["need", "term", "actors", "status", "score", "offer", "match",
                                                   "providers"])
        return out

    def _distance(self, adjacency: sp.csr_matrix, providers: np.ndarray, limit: int) -> np.ndarray:
        """Steps from every actor to the nearest provider (inf beyond ``limit``), by sparse frontier expansion."""
        dist = np.full(len(providers), np.inf)
        reached = providers.astype(np.int8)
        dist[providers] = 0
        for step in range(1, limit + 1):
            reached = ((adjacency @ reached) > 0).astype(np.int8) | reached
            fresh = (reached > 0) & np.isinf(dist)
            if not fresh.any():
                break
            dist[fresh] = step
        return dist

    def _unreached(self, snapshot: Snapshot, adjacency: sp.csr_matrix) -> pd.DataFrame:
        nodes = snapshot.nodes
        names, ids, hubs = nodes["name"].to_numpy(), nodes["id"].to_numpy(), nodes["hub"].to_numpy()
        types = nodes["type"].to_numpy()
        rows = []
        for label, needy, providers, how in self._needs(snapshot):
            dist = self._distance(adjacency, providers, self.reach + 4)
            for v in np.flatnonzero(needy & (dist > self.reach) & ~providers):
                bridge = self._bridge(v, adjacency, dist, hubs, types)
                provider = self._provider(v, providers, hubs)
                nearest = "none within " + str(self.reach + 4) if np.isinf(dist[v]) else f"{int(dist[v])} steps"
                rows.append({
                    "id": int(ids[v]), "name": names[v], "hub": hubs[v], "need": label, "match": how,
                    "nearest": nearest,
                    "bridge": None if bridge is None else names[bridge],
                    "bridge_id": None if bridge is None else int(ids[bridge]),
                    "provider": None if provider is None else names[provider],
                    "provider_id": None if provider is None else int(ids[provider]),
                    "evidence": f"{names[v]} needs {label.split(': ', 1)[1]}"
                                + ("" if how == "by stage" else f" ({how})") + "; the nearest provider is "
                                f"{nearest.replace('none within', 'beyond')} away"
                                + (f"; {names[bridge]} is its best way in" if bridge is not None else "")})
        unreached = pd.DataFrame(rows, columns=["id", "name", "hub", "need", "match", "nearest", "bridge", "bridge_id",
                                                "provider", "provider_id", "evidence"])
        counts = unreached.loc[unreached["need"].str.startswith("stated: "), "need"].str.removeprefix("stated: ")
        self.needs_["unreached"] = self.needs_["need"].map(counts.value_counts()).fillna(0).astype(int)
        return unreached

    def _bridge(self, v: int, adjacency, dist, hubs, types) -> int | None:
        neighbours = adjacency.indices[adjacency.indptr[v]:adjacency.indptr[v + 1]]
        if len(neighbours):
            best = min(neighbours.tolist(), key=lambda u: (dist[u], -self._degree[u], u))
            return int(best)
        same = np.flatnonzero((hubs == hubs[v]) & (np.arange(len(hubs)) != v)) if hubs[v] is not None else []
        if not len(same):
            return None
        operators = [u for u in same if types[u] == "hub_operator"]
        return int(operators[0]) if operators else int(max(same, key=lambda u: (self._degree[u], -u)))

    def _provider(self, v: int, providers: np.ndarray, hubs) -> int | None:
        candidates = np.flatnonzero(providers)
        if not len(candidates):
            return None
        local = candidates[hubs[candidates] == hubs[v]] if hubs[v] is not None else candidates[:0]
        pool = local if len(local) else candidates
        return int(pool[np.lexsort((pool, -self._degree[pool]))[0]])

    # -- hubs that barely talk -----------------------------------------------------------------------------------
    def _hub_pairs(self, snapshot: Snapshot, adjacency: sp.csr_matrix) -> pd.DataFrame:
        columns = ["hub_a", "hub_b", "ties", "bridge", "bridge_id", "partner", "partner_id", "evidence"]
        nodes = snapshot.nodes
        labels, member = snapshot.hub_membership()
        if not len(labels):
            return pd.DataFrame(columns=columns)
        n, k = len(nodes), len(labels)
        between = (member.T @ adjacency @ member).toarray()  # pairs of actors tied
        neighbours = (adjacency @ member).toarray() if n * k <= 50_000_000 else None
        names, ids = nodes["name"].to_numpy(), nodes["id"].to_numpy()
        rows = []
        for a, b in itertools.combinations(range(k), 2):
            ties = int(between[a, b])
            if ties > self.thin:
                continue
            bridge = partner = None
            if neighbours is not None:
                score = np.minimum(neighbours[:, a], neighbours[:, b])
                if score.max() > 0:
                    bridge = int(np.argmax(score))
            if bridge is None:  # nobody touches both: introduce the best-connected member of each
                bridge, partner = self._best_member(member, a), self._best_member(member, b)
                how = (f"nobody is tied to both; introduce {names[bridge]} ({labels[a]}'s best-connected) "
                       f"to {names[partner]} ({labels[b]}'s)")
            else:
                how = (f"{names[bridge]} is tied to {int(neighbours[bridge, a])} in {labels[a]} and "
                       f"{int(neighbours[bridge, b])} in {labels[b]}")
            rows.append({"hub_a": labels[a], "hub_b": labels[b], "ties": ties, "bridge": names[bridge],
                         "bridge_id": int(ids[bridge]), "partner": None if partner is None else names[partner],
                         "partner_id": None if partner is None else int(ids[partner]),
                         "evidence": f"{ties} tie(s) between {labels[a]} and {labels[b]}; {how}"})
        return pd.DataFrame(rows, columns=columns)

    def _best_member(self, member: sp.csr_matrix, hub: int) -> int:
        inside = np.flatnonzero(member[:, hub].toarray().ravel() > 0)
        return int(inside[np.lexsort((inside, -self._degree[inside]))[0]])


"""Partner recommendations: who an organisation or an innovation should meet next, scored on the scorecard's four
criteria plus network proximity, each recommendation explained in a sentence."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..domain import STAGE_NEEDS, Stage, StakeholderType
from .needs import STATUSES, NeedMatcher, canonical, in_words, normalise
from .profiles import CLINICIAN, REGION, Profiles, lower
from .text import tokens

__all__ = ["PARTS", "WEIGHTS", "Recommender", "Seeker", "partners_for"]

#: The parts of a recommendation's score: the scorecard's four criteria, then network proximity.
PARTS = ("alignment", "complementarity", "cultural_fit", "impact", "proximity")
#: Default weights of the parts.
WEIGHTS = {"alignment": 0.25, "complementarity": 0.30, "cultural_fit": 0.15, "impact": 0.15, "proximity": 0.15}
#: Words a stage's needs bring to the need/offer comparison even when an actor lists none.
_STAGE_WORDS = {Stage.idea: "mentorship clinical insight", Stage.prototype: "clinical validation seed funding",
                Stage.clinical_validation: "clinical validation clinical pilots hospital partners",
                Stage.regulatory_approval: "regulatory advice certification",
                Stage.market_launch: "distribution funding market access",
                Stage.scale: "funding investors international markets",
                Stage.cross_border: "foreign clinical sites market access"}


#: Seeker × candidate pairs scored at once: the few arrays of a block (8 MB each) are allocated once per stage and
#: reused — fresh arrays of hundreds of MB for every block cost more in page faults than the arithmetic.
_BLOCK_PAIRS = 1 << 20


@dataclass(frozen=True)
class _Columns:
    """The candidates' columns of a profile matrix (words × columns): all of them, or only their distinct rows with
    which distinct row each candidate has (``which``), when many candidates share one (offers and needs do)."""

    matrix: sp.csr_matrix
    which: np.ndarray | None

    @classmethod
    def of(cls, x: sp.csr_matrix, idx: np.ndarray, same: np.ndarray) -> _Columns:
        distinct, first, which = np.unique(same[idx], return_index=True, return_inverse=True)
        if len(distinct) > len(idx) // 2:
            return cls(x[idx].T.tocsr(), None)
        return cls(x[idx[first]].T.tocsr(), which.ravel())

    def product(self, rows: sp.csr_matrix, out: np.ndarray, *, per_row: np.ndarray | None = None,
                times: float = 1.0) -> None:
        """``rows`` times every candidate's column into ``out``, divided by ``per_row`` then times ``times``.

        A distinct column's products are the floats the full product has in each of its copies (a row's products
        add up in the order of that row's words), and dividing or multiplying before gathering is the same
        operation on the same numbers: no score changes."""
        full = self.which is None
        product = (rows @ self.matrix).toarray(out=out if full else None)
        if per_row is not None:
            product /= per_row
        if times != 1.0:
            product *= times
        if not full:
            np.take(product, self.which, axis=1, out=out)


@dataclass(frozen=True)
class _Pool:
    """A stage's candidates (ascending candidate indices) and what scoring reads of them, sliced once per stage:
    the candidates' columns of the TF-IDF and area matrices (words × candidates), of the ties (organisations ×
    candidates: tied to the candidate's organisation), of ownership (1 at the candidate's organisation), and the
    parts that depend on the candidate alone."""

    idx: np.ndarray
    about: _Columns
    areas: _Columns
    offers: _Columns
    needs: _Columns
    neighbours: sp.csr_matrix
    own: sp.csr_matrix
    type_fit_part: np.ndarray  # 0.4 × type fit
    open_part: np.ndarray  # 0.5 × openness
    impact_part: np.ndarray  # the impact weight × track record
    track: np.ndarray
    language: np.ndarray
    region: np.ndarray
    hub: np.ndarray

    @classmethod
    def of(cls, p: Profiles, idx: np.ndarray, type_fit: np.ndarray, weights: np.ndarray) -> _Pool:
        own = sp.csr_matrix((np.ones(len(idx)), (p.org[idx], np.arange(len(idx)))),
                            shape=(p.adjacency.shape[0], len(idx)))
        return cls(idx=idx, about=_Columns.of(p.about_x, idx, p.same["about"]),
                   areas=_Columns.of(p.areas_x, idx, p.same["areas"]),
                   offers=_Columns.of(p.offers_x, idx, p.same["offers"]),
                   needs=_Columns.of(p.needs_x, idx, p.same["needs"]),
                   neighbours=(p.adjacency @ own).tocsr(), own=own, type_fit_part=0.4 * type_fit,
                   open_part=0.5 * p.openness[idx], impact_part=weights[3] * p.track[idx], track=p.track[idx],
                   language=p.language[idx], region=p.region[idx], hub=p.hub[idx])


@dataclass(frozen=True)
class _Block:
    """A block of seekers scored against a pool: scores and the parts the table shows (views of reused arrays),
    the cultural fit per (language, region) row with each seeker's row, shared partners, the excluded pairs."""

    score: np.ndarray
    alignment: np.ndarray
    complementarity: np.ndarray
    proximity: np.ndarray
    cultural: np.ndarray
    combo: np.ndarray
    shared: sp.csr_matrix
    excluded: tuple[np.ndarray, np.ndarray]


def _buffers(seekers: int, candidates: int) -> list[np.ndarray]:
    """The working arrays of a block: alignment, complementarity, proximity, score and a scratch one."""
    return [np.empty((seekers, candidates)) for _ in range(5)]


def _best(score: np.ndarray, k: int, scratch: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` best columns of each row of ``score`` as (rows, columns, ranks from 0), each row best first and
    equal scores in column order; excluded pairs (−∞) are left out. ``scratch`` is overwritten.

    >>> score = np.array([[0.2, 0.5, 0.5, -np.inf], [0.1, -np.inf, 0.3, 0.3]])
    >>> [a.tolist() for a in _best(score, 2, np.empty_like(score))]
    [[0, 0, 1, 1], [1, 2, 2, 3], [0, 1, 0, 1]]
    """
    n = score.shape[1]
    if k < n:  # the k-th largest of each row; every column reaching it is in, ties sorted out below
        np.copyto(scratch, score)
        scratch.partition(n - k, axis=1)
        r, j = np.nonzero(score >= scratch[:, n - k][:, None])
    else:
        r, j = np.nonzero(np.ones(score.shape, dtype=bool))
    s = score[r, j]
    order = np.lexsort((j, -s, r))
    r, j, s = r[order], j[order], s[order]
    rank = np.arange(len(r)) - np.searchsorted(r, r)
    keep = (rank < k) & np.isfinite(s)
    return r[keep], j[keep], rank[keep]


@lru_cache(maxsize=4096)
def _normalise(text: str) -> str:
    return normalise(text)


@lru_cache(maxsize=4096)
def _canonical(text: str) -> str | None:
    return canonical(text)


@lru_cache(maxsize=4096)
def _tokens(text: str) -> frozenset[str]:
    return frozenset(tokens(text))


def _stage_tokens(stage: Stage) -> frozenset[str]:
    return _tokens(_STAGE_WORDS[stage])


@lru_cache(maxsize=None)
def _stage_words(stage: Stage | str) -> str:
    return Stage(stage).value.replace("_", " ")


_PART_INDEX = {part: i for i, part in enumerate(PARTS)}


def _row(m: sp.csr_matrix, i: int) -> np.ndarray:
    """The column indices of row ``i`` of a CSR matrix, without building a one-row matrix."""
    return m.indices[m.indptr[i]:m.indptr[i + 1]]


def partners_for(stage: Stage | str) -> tuple[str, ...]:
    """The partner types an innovation at ``stage`` needs, most needed first (clinicians with the hospitals).

    >>> partners_for("clinical validation")
    ('clinician', 'hospital', 'clinic')
    >>> partners_for("regulatory_approval")
    ('regulator', 'notified_body')
    """
    stage = Stage(stage)
    if stage is Stage.stopped:
        raise ValueError("a stopped innovation needs no partners; give the stage it should restart at")
    out: list[str] = []
    for t in STAGE_NEEDS[stage]:
        if t in (StakeholderType.hospital, StakeholderType.clinic) and CLINICIAN not in out:
            out.append(CLINICIAN)
        out.append(t.value)
    return tuple(out)


@dataclass(frozen=True)
class Seeker:
    """Who looks for partners: an organisation (its position in the snapshot) at a stage, with what it brings —
    for an innovation, its description, category and clinical area."""

    position: int
    stage: Stage
    label: str
    text: str = ""
    areas: tuple[str, ...] = ()


class Recommender:
    """Rank partners for seekers among an atlas's organisations and clinicians.

    Each candidate of a type the seeker's stage needs (:func:`partners_for`) and not yet tied to it is scored on
    five parts in [0, 1]:

    - **alignment**: half the cosine of TF-IDF vectors of what both are about (descriptions, focus and clinical
      areas), half the share of the seeker's areas the candidate works in;
    - **complementarity**: 0.4 × how high its type stands in the stage's needs, 0.4 × the cosine of the seeker's
      needs with the candidate's offers, 0.2 × the other way round;
    - **cultural fit**: half the candidate's openness (mean of: share of its ties that cross hubs, any data-sharing
      tie, programmes joined — two count fully), a quarter each for a shared language and a shared world region;
    - **impact**: its track record in the role, 1 − e^(−k/3) for k ties of the role's kinds (clinical pilots and
      validations for hospitals and clinicians, investments for investors…);
    - **proximity**: 0.6 × (1 − 2^(−s)) for s shared partners, 0.4 × how tied their hubs are (1 within one hub,
      else the ties between the two hubs over those to the seeker's best-tied other hub).

    The score is the weighted mean of the parts times the cross-border factor 1 ± (``cross_border`` − 0.5) / 2
    (plus for a candidate in another hub, minus within the seeker's): 0.5 is neutral, 1 favours other hubs.

    Examples
    --------
    >>> nodes = pd.DataFrame({"id": [1, 2, 3, 4], "name": ["Kardio", "Clínic", "Sant Pau", "Ysios"],
    ...     "type": ["startup", "hospital", "hospital", "investor"], "hub": ["Warsaw", "BCN", "BCN", "BCN"],
    ...     "country": ["PL", "ES", "ES", "ES"], "focus_areas": [["cardiology"], ["cardiology"], ["oncology"], []],
    ...     "offers": [[], ["clinical validation"], ["clinical validation"], ["funding"]],
    ...     "needs": [["clinical validation"], [], [], []]})
    >>> from ecotone.analysis.snapshot import Snapshot
    >>> snap = Snapshot.from_frames(nodes, pd.DataFrame({"source": [3], "target": [1]}))
    >>> rec = Recommender(top=2).fit(Profiles(snap))
    >>> out = rec.recommend([Seeker(0, Stage.clinical_validation, "Kardio")])
    >>> out["partner"].tolist()
    ['Clínic', 'Sant Pau']
    """

    def __init__(self, *, top: int = 10, cross_border: float = 0.5, weights: dict[str, float] | None = None,
                 chunk: int = 512, explain: bool = True) -> None:
        if top < 1:
            raise ValueError("top must be at least 1")
        if not 0 <= cross_border <= 1:
            raise ValueError(f"cross_border must lie between 0 (stay home) and 1 (go abroad), not {cross_border}")
        weights = {**WEIGHTS, **(weights or {})}
        unknown = set(weights) - set(PARTS)
        if unknown:
            raise ValueError(f"no score part named {', '.join(sorted(unknown))}; parts: {', '.join(PARTS)}")
        if any(w < 0 for w in weights.values()) or not sum(weights.values()) > 0:
            raise ValueError("weights must be ≥ 0 and not all 0")
        self.top, self.cross_border, self.chunk, self.explain = top, cross_border, chunk, explain
        self.weights = np.array([weights[p] for p in PARTS]) / sum(weights.values())

    # -- fit: everything that does not depend on the seeker --------------------------------------------------
    def fit(self, profiles: Profiles) -> Recommender:
        """Take the candidates' profiles (built once per atlas; several recommenders can share them), and match
        every stated need to every offer (:class:`ecotone.match.needs.NeedMatcher`)."""
        self.p = profiles
        self.matcher = NeedMatcher().fit(o for offers in profiles.offers for o in offers)
        stated = sorted(n for n in {str(n) for needs in profiles.needs for n in needs} if normalise(n))
        self._need_row = {n: i for i, n in enumerate(stated)}
        self._offer_col = {k: j for j, k in enumerate(self.matcher.keys_)}
        self._need_scores, self._need_status = self.matcher.grid(stated)
        self._met: dict[tuple[str, tuple[str, ...]], str | None] = {}
        self._offer_keys: dict[int, tuple[str, ...]] = {}
        self._said: dict[tuple, str] = {}
        return self

    def _offers_key(self, c: int) -> tuple[str, ...]:
        key = self._offer_keys.get(c)
        if key is None:
            key = self._offer_keys[c] = tuple(str(o) for o in self.p.offers[c])
        return key

    def _offer_cols(self, c: int) -> list[int]:
        """The matcher's columns of candidate ``c``'s offers."""
        return [self._offer_col[k] for k in (_normalise(str(o)) for o in self.p.offers[c]) if k in self._offer_col]

    def _met_in_words(self, need: str, c: int) -> str | None:
        """How candidate ``c`` meets a stated need, in words (``None`` when it does not): the same for every
        candidate offering the same, so said once per need and offers."""
        key = (str(need), self._offers_key(c))
        if key not in self._met:
            status, score, offer = self.meets(need, c)
            self._met[key] = None if status == "none" else in_words(status, score, offer)
        return self._met[key]

    def meets(self, need: str, c: int) -> tuple[str, float, str | None]:
        """How candidate ``c``'s offers meet a stated need: (status, score, the offer), its best offer first.

        >>> nodes = pd.DataFrame({"id": [1, 2], "name": ["Kardio", "Ysios"], "type": ["startup", "investor"],
        ...     "offers": [[], ["Funding", "board seats"]], "needs": [["seed funding", "deal flow"], []]})
        >>> from ecotone.analysis.snapshot import Snapshot
        >>> rec = Recommender().fit(Profiles(Snapshot.from_frames(nodes, pd.DataFrame({"source": [], "target": []}))))
        >>> rec.meets("seed funding", 1), rec.meets("deal flow", 1)[0]
        (('matched', 1.0, 'Funding'), 'none')
        """
        row = self._need_row.get(str(need))
        cols = self._offer_cols(c)
        if row is None or not cols:
            return "none", 0.0, None
        # among equals, an offer of the need's own term ("clinical validation", not "pilots")
        own = _canonical(str(need))
        best = min(cols, key=lambda j: (self._need_status[row, j], -self._need_scores[row, j],
                                        own is None or self.matcher.terms_[j] != own, j))
        status = STATUSES[int(self._need_status[row, best])]
        return status, round(float(self._need_scores[row, best]), 3), (None if status == "none"
                                                                       else self.matcher.offers_[best])

    # -- recommend ------------------------------------------------------------------------------------------------
    def _seeker_rows(self, seekers: Sequence[Seeker]) -> dict[str, sp.csr_matrix | list]:
        about = [f"{self.p.about_docs[s.position]} {s.text}" for s in seekers]
        needs = [f"{self.p.needs_docs[s.position]} {_STAGE_WORDS[s.stage]}" for s in seekers]
        areas = [sorted(set(self.p.areas[s.position]) | set(lower(s.areas))) for s in seekers]
        return {"about": self.p.tfidf.transform(about), "needs": self.p.tfidf.transform(needs),
                "offers": self.p.offers_x[[s.position for s in seekers]], "areas": self.p.indicator(areas),
                "n_areas": np.array([len(a) for a in areas], dtype=float), "area_lists": areas}

    def candidates(self, stage: Stage) -> tuple[np.ndarray, np.ndarray]:
        """The candidates for a stage (indices into the candidate table) and their type fit."""
        wanted = partners_for(stage)
        fit = {t: max(1.0 - 0.2 * i, 0.4) for i, t in enumerate(wanted)}
        idx = np.flatnonzero(np.isin(self.p.types, list(wanted)))
        return idx, np.array([fit[t] for t in self.p.types[idx]])

    def parts(self, seekers: Sequence[Seeker], idx: np.ndarray, type_fit: np.ndarray,
              rows: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The five parts (seekers × candidates × 5) and which pairs are excluded (already tied, or oneself) —
        the numbers :meth:`recommend` ranks by, stacked for inspection (it never stacks them)."""
        pool = _Pool.of(self.p, idx, type_fit, self.weights)
        block = self._score(seekers, rows or self._seeker_rows(seekers), pool, _buffers(len(seekers), len(idx)))
        cultural = block.cultural[block.combo]
        impact = np.broadcast_to(pool.track, cultural.shape)
        excluded = np.zeros(cultural.shape, dtype=bool)
        excluded[block.excluded] = True
        return np.stack([block.alignment, block.complementarity, cultural, impact, block.proximity], axis=-1), excluded

    def _score(self, seekers: Sequence[Seeker], rows: dict, pool: _Pool, buffers: list[np.ndarray]) -> _Block:
        """Score a block of seekers against a stage's candidates, in place in reused arrays.

        Every number is the one the plain definition gives (:meth:`parts`, then the weighted sum of the parts in
        their order, times the cross-border factor): the same operations in the same order, so the same floats.
        What only a few pairs have (shared areas, shared partners, ties) is added where it is; what depends on the
        candidate alone, or on the seeker's language, region and hub, is computed once per block and gathered."""
        p, w = self.p, self.weights
        alignment, complementarity, proximity, score, tmp = (b[:len(seekers)] for b in buffers)
        pos = np.array([s.position for s in seekers], dtype=np.int64)
        # alignment: 0.5 × cosine of what both are about + 0.5 × share of the seeker's areas
        pool.about.product(rows["about"], alignment, times=0.5)
        pool.areas.product(rows["areas"], tmp, per_row=np.maximum(rows["n_areas"], 1)[:, None], times=0.5)
        alignment += tmp
        # complementarity: 0.4 × type fit + 0.4 × needs against offers + 0.2 × offers against needs
        pool.offers.product(rows["needs"], complementarity, times=0.4)
        complementarity += pool.type_fit_part
        if rows["offers"].nnz:  # adding 0.2 × 0 changes nothing
            pool.needs.product(rows["offers"], tmp, times=0.2)
            complementarity += tmp
        # cultural fit: one row per (language, region) of the block's seekers
        combos, combo = np.unique(np.stack([p.language[pos], p.region[pos]], axis=1), axis=0, return_inverse=True)
        cultural = np.empty((len(combos), len(pool.idx)))
        for g, (lang, region) in enumerate(combos):
            cultural[g] = (pool.open_part + 0.25 * ((pool.language == lang) & (lang >= 0))
                           + 0.25 * ((pool.region == region) & (region >= 0)))
        # proximity: 0.4 × hub link (one row per seeker hub) + 0.6 × (1 − 2^(−s)) where s partners are shared
        hubs, hub_row = np.unique(p.hub[pos], return_inverse=True)
        np.take(0.4 * p.hub_link[hubs][:, pool.hub], hub_row, axis=0, out=proximity)
        tied = p.adjacency[pos]
        shared = (tied @ pool.neighbours).tocoo()
        proximity[shared.row, shared.col] = 0.6 * (1 - np.power(0.5, shared.data)) + proximity[shared.row, shared.col]
        # the weighted sum, part after part, times the cross-border factor
        np.multiply(alignment, w[0], out=score)
        np.multiply(complementarity, w[1], out=tmp)
        score += tmp
        np.take(cultural * w[2], combo.ravel(), axis=0, out=tmp)
        score += tmp
        score += pool.impact_part
        np.multiply(proximity, w[4], out=tmp)
        score += tmp
        half = (self.cross_border - 0.5) * 0.5
        factor = np.where(hubs[:, None] != pool.hub[None, :], 1 + half * 1.0, 1 + half * -1.0)
        np.take(factor, hub_row, axis=0, out=tmp)
        score *= tmp
        # excluded: the organisations it is tied to (and their clinicians), and itself
        mine = sp.csr_matrix((np.ones(len(pos)), (np.arange(len(pos)), pos)), shape=tied.shape)
        excluded = ((tied + mine) @ pool.own).tocoo()
        score[excluded.row, excluded.col] = -np.inf
        return _Block(score, alignment, complementarity, proximity, cultural, combo.ravel(),
                      sp.csr_matrix(shared), (excluded.row, excluded.col))

    def recommend(self, seekers: Sequence[Seeker], progress: Callable[[str, int, int], None] | None = None
                  ) -> pd.DataFrame:
        """The ``top`` partners of each seeker, best first (equal scores in candidate order), with the parts of
        their score and an explanation."""
        out: list[pd.DataFrame] = []
        done = 0
        by_stage: dict[Stage, list[Seeker]] = {}
        for s in seekers:
            by_stage.setdefault(Stage(s.stage), []).append(s)
        for stage, group in by_stage.items():
            pool = _Pool.of(self.p, *self.candidates(stage), self.weights)
            size = max(1, min(self.chunk, _BLOCK_PAIRS // max(len(pool.idx), 1)))
            buffers = _buffers(min(size, len(group)), len(pool.idx)) if len(pool.idx) else []
            for start in range(0, len(group), size):
                block = group[start:start + size]
                if len(pool.idx):
                    out.append(self._rank(block, pool, buffers))
                done += len(block)
                if progress:
                    progress("recommendations", done, len(seekers))
        columns = ["seeker", "rank", "partner", "partner_kind", "partner_id", "type", "hub", "country", "score",
                   *PARTS, "explanation"]
        if not out:
            return pd.DataFrame(columns=columns)
        return pd.concat(out, ignore_index=True)[columns]

    def _rank(self, block: Sequence[Seeker], pool: _Pool, buffers: list[np.ndarray]) -> pd.DataFrame:
        rows = self._seeker_rows(block)
        scored = self._score(block, rows, pool, buffers)
        r, j, rank = _best(scored.score, min(self.top, len(pool.idx)), buffers[-1][:len(block)])
        c = pool.idx[j]
        p = self.p
        parts = {"alignment": scored.alignment[r, j], "complementarity": scored.complementarity[r, j],
                 "cultural_fit": scored.cultural[scored.combo[r], j], "impact": pool.track[j],
                 "proximity": scored.proximity[r, j]}
        hub_labels = np.array([*p.hub_names, None], dtype=object)
        frame = pd.DataFrame({
            "seeker": np.array([s.label for s in block], dtype=object)[r], "rank": rank + 1, "partner": p.names[c],
            "partner_kind": p.kind[c], "partner_id": p.ids[c], "type": p.types[c], "hub": hub_labels[p.hub[c]],
            "country": np.where(p.country[c] == "", None, p.country[c]).astype(object), "score": scored.score[r, j],
            **parts})
        if self.explain:
            shared = np.asarray(scored.shared[r, j]).ravel().astype(np.int64) if len(r) else np.zeros(0, np.int64)
            frame["explanation"] = self._explanations([block[a] for a in r.tolist()], c,
                                                      np.stack([parts[k] for k in PARTS], axis=1),
                                                      [rows["area_lists"][a] for a in r.tolist()], shared.tolist())
        else:
            frame["explanation"] = None
        return frame

    # -- one pair at a time ---------------------------------------------------------------------------------------
    def pair_score(self, seeker: Seeker, c: int) -> tuple[float, dict[str, float]] | None:
        """The score and parts of one candidate for one seeker, computed pair by pair in plain Python (the
        definition :meth:`recommend` vectorises; ``None`` when the pair is excluded or the type not needed)."""
        wanted = partners_for(seeker.stage)
        me, other = self.p.org[seeker.position], self.p.org[c]
        mine = set(self.p.adjacency[me].indices)
        if self.p.types[c] not in wanted or other == me or other in mine:
            return None
        type_fit = max(1.0 - 0.2 * wanted.index(self.p.types[c]), 0.4)

        def cosine(a: sp.csr_matrix, b: sp.csr_matrix) -> float:
            left = dict(zip(a.indices.tolist(), a.data.tolist()))
            return sum(left.get(i, 0.0) * v for i, v in zip(b.indices.tolist(), b.data.tolist()))

        tf = self.p.tfidf
        about = tf.transform([f"{self.p.about_docs[seeker.position]} {seeker.text}"])
        needs = tf.transform([f"{self.p.needs_docs[seeker.position]} {_STAGE_WORDS[Stage(seeker.stage)]}"])
        areas = set(self.p.areas[seeker.position]) | set(lower(seeker.areas))
        alignment = 0.5 * cosine(about, self.p.about_x[c]) + 0.5 * len(areas & set(self.p.areas[c])) / max(len(areas), 1)
        complementarity = (0.4 * type_fit + 0.4 * cosine(needs, self.p.offers_x[c])
                           + 0.2 * cosine(self.p.offers_x[seeker.position], self.p.needs_x[c]))
        lang, region = self.p.language[seeker.position], self.p.region[seeker.position]
        cultural = (0.5 * self.p.openness[c] + 0.25 * (lang >= 0 and lang == self.p.language[c])
                    + 0.25 * (region >= 0 and region == self.p.region[c]))
        shared = len(mine & set(self.p.adjacency[other].indices))
        hub_s, hub_c = self.p.hub[seeker.position], self.p.hub[c]
        proximity = 0.6 * (1 - 0.5 ** shared) + 0.4 * self.p.hub_link[hub_s, hub_c]
        parts = dict(zip(PARTS, (alignment, complementarity, cultural, float(self.p.track[c]), proximity)))
        factor = 1 + (self.cross_border - 0.5) * 0.5 * (1.0 if hub_s != hub_c else -1.0)
        return float(sum(w * parts[p] for p, w in zip(PARTS, self.weights))) * factor, parts

    # -- explanation ----------------------------------------------------------------------------------------------
    def explanation(self, seeker: Seeker, c: int, parts: np.ndarray, seeker_areas: list[str], *,
                    shared: int | None = None) -> str:
        """One sentence saying why candidate ``c`` suits ``seeker``, strongest reasons first (``shared``: the
        partners they share, when the caller has counted them)."""
        if shared is None:
            adjacency = self.p.adjacency
            mine, theirs = _row(adjacency, self.p.org[seeker.position]), _row(adjacency, self.p.org[c])
            shared = len(set(mine.tolist()) & set(theirs.tolist()))
        return self._explanations([seeker], np.array([c]), np.asarray(parts)[None, :], [seeker_areas], [shared])[0]

    def _explanations(self, seekers: Sequence[Seeker], cands: np.ndarray, parts: np.ndarray,
                      seeker_areas: Sequence[list[str]], shared: Sequence[int]) -> list[str]:
        """:meth:`explanation` of many pairs (seeker ``i`` with candidate ``cands[i]``): what the sentences say
        of the numbers is read from the arrays at once, then each sentence is put together."""
        p = self.p
        pos = np.array([s.position for s in seekers], dtype=np.int64)
        hub_s, hub_c = p.hub[pos], p.hub[cands]
        facts = zip(seekers, cands.tolist(), (-parts * self.weights).tolist(), seeker_areas, shared,
                    (hub_s != hub_c).tolist(), p.hub_ties[hub_s, hub_c].tolist(), p.track_count[cands].tolist(),
                    (p.openness[cands] >= 0.3).tolist(),
                    ((p.language[cands] >= 0) & (p.language[cands] == p.language[pos])).tolist(),
                    ((p.region[cands] >= 0) & (p.region[cands] == p.region[pos])).tolist())
        hub_names = [*p.hub_names, None]
        out = []
        for seeker, c, keys, areas, n_shared, abroad, hub_ties, track, open_, language, region in facts:
            label = p.types[c].replace("_", " ")
            reasons: dict[str, str] = {}
            shared_areas = sorted(set(areas) & set(p.areas[c]))
            if shared_areas:
                reasons["alignment"] = f"works in {', '.join(shared_areas[:3])} as you do"
            reasons["complementarity"] = f"a {label} your {_stage_words(seeker.stage)} stage needs" + \
                self._offering(seeker, c)
            if track:
                k = int(track)
                reasons["impact"] = f"{k} {'tie' if k == 1 else 'ties'} of its role on record"
            culture = ["open to collaboration across hubs"] if open_ else []
            if language:
                culture.append("shares your language")
            elif region:
                culture.append(f"in your region ({REGION[p.country[c]]})")
            if culture:
                reasons["cultural_fit"] = " and ".join(culture)
            proximity = [f"{n_shared} shared {'partner' if n_shared == 1 else 'partners'}"] if n_shared else []
            if abroad and hub_ties > 0:
                ties = int(hub_ties)
                proximity.append(f"your hubs are joined by {ties} {'tie' if ties == 1 else 'ties'}")
            if proximity:
                reasons["proximity"] = ", ".join(proximity)
            ranked = sorted(reasons, key=lambda part: keys[_PART_INDEX[part]])
            where = hub_names[p.hub[c]] or p.country[c] or "no hub"
            border = "across borders" if abroad else "in your hub"
            out.append(f"{p.names[c]} ({label}, {where}, {border}): " + "; ".join(reasons[q] for q in ranked) + ".")
        return out

    def _offering(self, seeker: Seeker, c: int) -> str:
        """What the candidate brings to the seeker's needs: the stated needs NeedMatcher finds its offers meet,
        else its offers in the words of the stage's needs (said once per needs, stage and offers)."""
        needs = self.p.needs[seeker.position]
        key = (tuple(map(str, needs)), Stage(seeker.stage), self._offers_key(c))
        said = self._said.get(key)
        if said is None:
            met = [f"{need} ({words})" for need in needs if (words := self._met_in_words(need, c)) is not None]
            if met:
                said = f", meeting your {', '.join(met[:3])}"
            else:
                stage_words = _stage_tokens(Stage(seeker.stage))
                matched = [o for o in self.p.offers[c] if stage_words & _tokens(o)]
                said = f", offering {', '.join(matched[:3])}" if matched else ""
            self._said[key] = said
        return said

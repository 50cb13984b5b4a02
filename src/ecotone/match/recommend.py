"""Partner recommendations: who an organisation or an innovation should meet next, scored on the scorecard's four
criteria plus network proximity, each recommendation explained in a sentence."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
        stated = sorted({str(n) for needs in profiles.needs for n in needs if normalise(n)})
        self._need_row = {n: i for i, n in enumerate(stated)}
        self._offer_col = {k: j for j, k in enumerate(self.matcher.keys_)}
        self._need_scores, self._need_status = self.matcher.grid(stated)
        return self

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
        cols = [self._offer_col[k] for k in (normalise(o) for o in self.p.offers[c]) if k in self._offer_col]
        if row is None or not cols:
            return "none", 0.0, None
        own = canonical(need)  # among equals, an offer of the need's own term ("clinical validation", not "pilots")
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
        """The five parts (seekers × candidates × 5) and which pairs are excluded (already tied, or oneself)."""
        rows = rows or self._seeker_rows(seekers)
        pos = np.array([s.position for s in seekers], dtype=np.int64)
        org = self.p.org[idx]
        cos_about = (rows["about"] @ self.p.about_x[idx].T).toarray()
        shared_areas = (rows["areas"] @ self.p.areas_x[idx].T).toarray()
        area_share = shared_areas / np.maximum(rows["n_areas"], 1)[:, None]
        alignment = 0.5 * cos_about + 0.5 * area_share
        cos_need = (rows["needs"] @ self.p.offers_x[idx].T).toarray()
        cos_back = (rows["offers"] @ self.p.needs_x[idx].T).toarray()
        complementarity = 0.4 * type_fit[None, :] + 0.4 * cos_need + 0.2 * cos_back
        lang_s, region_s = self.p.language[pos], self.p.region[pos]
        same_lang = (lang_s[:, None] == self.p.language[idx][None, :]) & (lang_s[:, None] >= 0)
        same_region = (region_s[:, None] == self.p.region[idx][None, :]) & (region_s[:, None] >= 0)
        cultural = 0.5 * self.p.openness[idx][None, :] + 0.25 * same_lang + 0.25 * same_region
        impact = np.broadcast_to(self.p.track[idx][None, :], cos_about.shape)
        a_s = self.p.adjacency[pos]
        shared = (a_s @ self.p.adjacency[:, org]).toarray()
        proximity = 0.6 * (1 - np.power(0.5, shared)) + 0.4 * self.p.hub_link[self.p.hub[pos]][:, self.p.hub[idx]]
        excluded = (a_s[:, org].toarray() > 0) | (org[None, :] == pos[:, None])
        return np.stack([alignment, complementarity, cultural, impact, proximity], axis=-1), excluded

    def _factor(self, seeker_hub: np.ndarray, cand_hub: np.ndarray) -> np.ndarray:
        other = seeker_hub[:, None] != cand_hub[None, :]
        return 1 + (self.cross_border - 0.5) * 0.5 * np.where(other, 1.0, -1.0)

    def recommend(self, seekers: Sequence[Seeker], progress: Callable[[str, int, int], None] | None = None
                  ) -> pd.DataFrame:
        """The ``top`` partners of each seeker, best first, with the parts of their score and an explanation."""
        out: list[pd.DataFrame] = []
        done = 0
        by_stage: dict[Stage, list[Seeker]] = {}
        for s in seekers:
            by_stage.setdefault(Stage(s.stage), []).append(s)
        for stage, group in by_stage.items():
            idx, type_fit = self.candidates(stage)
            for start in range(0, len(group), self.chunk):
                block = group[start:start + self.chunk]
                if len(idx):
                    out.append(self._rank(block, idx, type_fit))
                done += len(block)
                if progress:
                    progress("recommendations", done, len(seekers))
        columns = ["seeker", "rank", "partner", "partner_kind", "partner_id", "type", "hub", "country", "score",
                   *PARTS, "explanation"]
        if not out:
            return pd.DataFrame(columns=columns)
        return pd.concat(out, ignore_index=True)[columns]

    def _rank(self, block: Sequence[Seeker], idx: np.ndarray, type_fit: np.ndarray) -> pd.DataFrame:
        rows = self._seeker_rows(block)
        parts, excluded = self.parts(block, idx, type_fit, rows)
        pos = np.array([s.position for s in block], dtype=np.int64)
        factor = self._factor(self.p.hub[pos], self.p.hub[idx])
        score = (parts @ self.weights) * factor
        score[excluded] = -np.inf
        k = min(self.top, len(idx))
        best = np.argpartition(-score, k - 1, axis=1)[:, :k] if k < len(idx) else np.tile(np.arange(len(idx)), (len(block), 1))
        order = np.take_along_axis(best, np.argsort(-np.take_along_axis(score, best, 1), axis=1, kind="stable"), 1)
        records = []
        for r, seeker in enumerate(block):
            rank = 0
            for j in order[r]:
                if not np.isfinite(score[r, j]):
                    continue
                rank += 1
                c = idx[j]
                record = {"seeker": seeker.label, "rank": rank, "partner": self.p.names[c],
                          "partner_kind": self.p.kind[c], "partner_id": int(self.p.ids[c]), "type": self.p.types[c],
                          "hub": self.p.hub_name(self.p.hub[c]), "country": self.p.country[c] or None,
                          "score": float(score[r, j]), **dict(zip(PARTS, parts[r, j].tolist()))}
                record["explanation"] = (self.explanation(seeker, c, parts[r, j], rows["area_lists"][r])
                                         if self.explain else None)
                records.append(record)
        return pd.DataFrame.from_records(records)

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
    def explanation(self, seeker: Seeker, c: int, parts: np.ndarray, seeker_areas: list[str]) -> str:
        """One sentence saying why candidate ``c`` suits ``seeker``, strongest reasons first."""
        me = self.p.org[seeker.position]
        hub_s, hub_c = self.p.hub[seeker.position], self.p.hub[c]
        where = self.p.hub_name(hub_c) or self.p.country[c] or "no hub"
        label = self.p.types[c].replace("_", " ")
        reasons: dict[str, str] = {}
        shared_areas = sorted(set(seeker_areas) & set(self.p.areas[c]))
        if shared_areas:
            reasons["alignment"] = f"works in {', '.join(shared_areas[:3])} as you do"
        met = []
        for need in self.p.needs[seeker.position]:
            status, score, offer = self.meets(need, c)
            if status != "none":
                met.append(f"{need} ({in_words(status, score, offer)})")
        stage = Stage(seeker.stage).value.replace("_", " ")
        if met:  # the seeker's stated needs, as NeedMatcher meets them with this candidate's offers
            offering = f", meeting your {', '.join(met[:3])}"
        else:  # no stated need met: the words of the stage's needs
            stage_words = set(tokens(_STAGE_WORDS[Stage(seeker.stage)]))
            matched = [o for o in self.p.offers[c] if stage_words & set(tokens(o))]
            offering = f", offering {', '.join(matched[:3])}" if matched else ""
        reasons["complementarity"] = f"a {label} your {stage} stage needs" + offering
        if self.p.track_count[c]:
            k = int(self.p.track_count[c])
            reasons["impact"] = f"{k} {'tie' if k == 1 else 'ties'} of its role on record"
        culture = []
        if self.p.openness[c] >= 0.3:
            culture.append("open to collaboration across hubs")
        if self.p.language[c] >= 0 and self.p.language[c] == self.p.language[seeker.position]:
            culture.append("shares your language")
        elif self.p.region[c] >= 0 and self.p.region[c] == self.p.region[seeker.position]:
            culture.append(f"in your region ({REGION[self.p.country[c]]})")
        if culture:
            reasons["cultural_fit"] = " and ".join(culture)
        neighbours_me = set(self.p.adjacency[me].indices)
        shared = len(neighbours_me & set(self.p.adjacency[self.p.org[c]].indices))
        proximity = []
        if shared:
            proximity.append(f"{shared} shared {'partner' if shared == 1 else 'partners'}")
        if hub_s != hub_c and self.p.hub_ties[hub_s, hub_c] > 0:
            ties = int(self.p.hub_ties[hub_s, hub_c])
            proximity.append(f"your hubs are joined by {ties} {'tie' if ties == 1 else 'ties'}")
        if proximity:
            reasons["proximity"] = ", ".join(proximity)
        ranked = sorted(reasons, key=lambda p: -parts[PARTS.index(p)] * self.weights[PARTS.index(p)])
        border = "across borders" if hub_s != hub_c else "in your hub"
        return f"{self.p.names[c]} ({label}, {where}, {border}): " + "; ".join(reasons[p] for p in ranked) + "."

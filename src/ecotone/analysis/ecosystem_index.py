"""The ecosystem index: a composite indicator of hubs, built and explained as the OECD/JRC Handbook on Constructing
Composite Indicators (2008) says, with rank intervals from a Monte Carlo over the modeller's choices.

Steps (the Handbook's):

1. *Indicators*: each an :class:`Indicator` (name, pillar, definition, direction); coverage = share of groups observed.
2. *Imputation*, in the open: ``"median"`` (default) or ``"mean"`` of the other groups fills a missing cell, and every
   filled cell is listed in ``imputed_``; ``"none"`` leaves the cell out, so the group's pillar is the mean of the
   indicators it has (a pillar it has none of is left out of its score, the other pillars' weights scaled up).
3. *Normalisation* per indicator across groups, after turning an indicator where lower is better around:
   ``minmax`` 100·(x − min)/(max − min); ``zscore`` 50 + 10·z, clipped to 0–100 (beyond five standard deviations);
   ``rank`` 100·(rank − 1)/(n − 1) with tied values sharing their mean rank. A constant indicator scores 50.
4. *Weights* per pillar (equal by default; indicators equal within their pillar). Weights given are relative: a pillar
   not named keeps weight 1, as in the default, and all are scaled to sum to 1.
5. *Aggregation* (within pillars and across them): ``arithmetic`` (fully compensatory) or ``geometric`` (a weak
   pillar costs more). The geometric mean takes values no lower than :data:`GEOMETRIC_FLOOR` (1 point on the 0–100
   scale), so one zero does not annihilate a group's score; on that floor every logarithm is ≥ 0.
6. *Uncertainty and sensitivity*: ``draws`` Monte Carlo draws, each with weights drawn from a Dirichlet centred on the
   chosen weights (``concentration`` = the sum of its parameters: larger is tighter), a normalisation and an
   aggregation drawn uniformly from the sets; every group is ranked in every draw (all draws at once, in chunks).
   A group's rank interval is the 5th–95th percentile of its ranks, widened to include its rank under the chosen
   settings when the draws fall to one side of it (``widened`` says so). ``sensitivity_`` is the share of the
   variance of ranks that each choice explains alone (first-order index: the variance of the mean rank conditional
   on the choice's value, over the variance of ranks, summed over groups; the weights' share is the sum over pillars
   of the first-order index of each pillar's weight, estimated by conditioning on bins of that weight).
7. *Decomposition*: pillar sub-scores, contributions (arithmetic: weight × pillar score, summing to the score;
   geometric: the score split in proportion to each pillar's weight × log pillar score, also summing to the score),
   strengths and weaknesses (the two pillars most above / below the other groups' median), and levers: for each group
   the one or two indicators whose value moved to the best group's would raise its rank most — each recomputed in
   full (imputation and normalisation redone with the new value, every other group rescored), not guessed.

Pure: numpy and pandas only; no store import.

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"mentors": [10, 20, 40], "challenges": [0, 4, 2]}, index=["Ana", "Ben", "Cai"])
>>> index = EcosystemIndex([Indicator("mentors", "talent_pipeline", "mentorship ties"),
...                         Indicator("challenges", "open_innovation", "challenges run")], draws=200).run(table)
>>> index.scores_[["group", "score", "rank"]].round(1).to_dict("list")
{'group': ['Cai', 'Ben', 'Ana'], 'score': [75.0, 66.7, 0.0], 'rank': [1, 2, 3]}
>>> index.levers_[["group", "indicator", "to", "rank_gain"]].to_dict("records")[0]
{'group': 'Ben', 'indicator': 'mentors', 'to': 40.0, 'rank_gain': 1}
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Real
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["AGGREGATIONS", "CHOICES", "EcosystemIndex", "GEOMETRIC_FLOOR", "IMPUTATIONS", "Indicator",
           "NORMALISATIONS", "PILLARS"]

PILLARS = ("collaborative_infrastructure", "cross_sector_integration", "open_innovation", "supportive_regulation",
           "talent_pipeline", "performance", "connectedness")
NORMALISATIONS = ("minmax", "zscore", "rank")
AGGREGATIONS = ("arithmetic", "geometric")
IMPUTATIONS = ("median", "mean", "none")
CHOICES = ("weights", "normalisation", "aggregation")
GEOMETRIC_FLOOR = 1.0
Z_POINTS = 10.0  # points of the 0–100 scale per standard deviation (zscore: 50 ± 10·z)
_CHUNK = 2_000  # Monte Carlo draws scored at once
_IMPUTED_HOW = {"median": "median of the other groups", "mean": "mean of the other groups",
                "none": "not imputed: left out of its pillar"}


class Indicator(NamedTuple):
    """One measured quantity of a group, in one pillar; ``higher_is_better=False`` turns it around."""

    name: str
    pillar: str
    definition: str
    higher_is_better: bool = True


# -- the maths on arrays (the last axis is the groups) ---------------------------------------------------------------

def _impute(x: np.ndarray, how: str) -> np.ndarray:
    """Fill NaN along the last axis with the median/mean of the observed values there (``none``: unchanged)."""
    if how == "none":
        return x
    missing = np.isnan(x)
    if not missing.any():
        return x
    fill = _nanmedian(x) if how == "median" else np.nanmean(x, axis=-1, keepdims=True)
    return np.where(missing, fill, x)


def _nanmedian(x: np.ndarray) -> np.ndarray:
    """The median of the observed values along the last axis (kept as an axis): one sort, NaN sorted last."""
    s = np.sort(x, axis=-1)
    n = (~np.isnan(x)).sum(axis=-1, keepdims=True)
    lo = np.take_along_axis(s, np.maximum((n - 1) // 2, 0), axis=-1)
    hi = np.take_along_axis(s, np.maximum(n // 2, 0) - (n == 0), axis=-1)
    return np.where(n > 0, (lo + hi) / 2.0, np.nan)


def _normalise(x: np.ndarray, how: str) -> np.ndarray:
    """Normalise along the last axis to 0–100 (higher is better); NaN stays NaN and is left out of the statistics."""
    missing = np.isnan(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        if how == "minmax":
            lo = np.nanmin(x, axis=-1, keepdims=True)
            span = np.nanmax(x, axis=-1, keepdims=True) - lo
            out = np.where(span > 0, 100.0 * (x - lo) / np.where(span > 0, span, 1.0), 50.0)
        elif how == "zscore":
            mean = np.nanmean(x, axis=-1, keepdims=True)
            sd = np.nanstd(x, axis=-1, keepdims=True)
            out = np.where(sd > 0, np.clip(50.0 + Z_POINTS * (x - mean) / np.where(sd > 0, sd, 1.0), 0.0, 100.0), 50.0)
        else:
            n = (~missing).sum(axis=-1, keepdims=True)
            ranks = _mean_ranks(x)
            out = np.where(n > 1, 100.0 * (ranks - 1.0) / np.maximum(n - 1, 1), 50.0)
    out[missing] = np.nan
    return out


def _mean_ranks(x: np.ndarray) -> np.ndarray:
    """Ascending ranks (1 = lowest) along the last axis, ties sharing their mean rank; NaN ranked last (unused)."""
    order = np.argsort(np.where(np.isnan(x), np.inf, x), axis=-1, kind="stable")
    sorted_x = np.take_along_axis(x, order, axis=-1)
    n = x.shape[-1]
    pos = np.broadcast_to(np.arange(n, dtype=float), x.shape)
    new = np.ones(x.shape, dtype=bool)
    new[..., 1:] = sorted_x[..., 1:] != sorted_x[..., :-1]
    first = np.maximum.accumulate(np.where(new, pos, 0.0), axis=-1)
    last = np.flip(np.minimum.accumulate(np.flip(np.where(np.roll(new, -1, axis=-1) | (pos == n - 1), pos, n),
                                                 axis=-1), axis=-1), axis=-1)
    ranks = np.empty(x.shape)
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=-1)
    return ranks


def _competition_ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks along the last axis, 1 = highest score; equal scores (to 1e-9) share the better rank."""
    s = -np.round(scores, 9)
    order = np.argsort(s, axis=-1)
    sorted_s = np.take_along_axis(s, order, axis=-1)
    new = np.ones(s.shape, dtype=bool)
    new[..., 1:] = sorted_s[..., 1:] != sorted_s[..., :-1]
    first = np.where(new, np.arange(s.shape[-1], dtype=np.int32), 0)
    np.maximum.accumulate(first, axis=-1, out=first)
    dtype = np.int16 if s.shape[-1] < 32_000 else np.int32
    ranks = np.empty(s.shape, dtype=dtype)
    np.put_along_axis(ranks, order, (first + 1).astype(dtype), axis=-1)
    return ranks


def _pillar_scores(norm: np.ndarray, members: list[np.ndarray], aggregation: str) -> np.ndarray:
    """Group × pillar scores from group × indicator normalised values (NaN: indicator missing, pillar NaN if all)."""
    values = np.log(np.maximum(norm, GEOMETRIC_FLOOR)) if aggregation == "geometric" else norm
    out = np.empty((norm.shape[0], len(members)))
    for p, cols in enumerate(members):  # over pillars (at most seven), every group at once
        block = values[:, cols]
        present = ~np.isnan(block)
        count = present.sum(axis=1)
        with np.errstate(invalid="ignore"):
            out[:, p] = np.where(count > 0, np.where(present, block, 0.0).sum(axis=1) / np.maximum(count, 1), np.nan)
    return np.minimum(np.exp(out), 100.0) if aggregation == "geometric" else out  # exp(log 100) may round up


def _composite(pillars: np.ndarray, weights: np.ndarray, aggregation: str) -> np.ndarray:
    """Scores for every row of ``weights`` (draws × pillars) and every group: draws × groups."""
    return _Aggregate(pillars, aggregation)(weights)


class _Aggregate:
    """The pillar scores of one (normalisation, aggregation), ready to be weighted by many draws at once."""

    def __init__(self, pillars: np.ndarray, aggregation: str) -> None:
        present = ~np.isnan(pillars)
        values = np.log(np.maximum(pillars, GEOMETRIC_FLOOR)) if aggregation == "geometric" else pillars
        self.values = np.ascontiguousarray(np.where(present, values, 0.0).T)
        self.present = None if present.all() else np.ascontiguousarray(present.T.astype(float))
        self.geometric = aggregation == "geometric"

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        out = weights @ self.values
        if self.present is not None:  # a group without a pillar: the other pillars' weights scaled up
            den = weights @ self.present
            out /= np.where(den > 0, den, 1.0)
        elif not np.allclose(weights.sum(axis=1), 1.0):
            out /= weights.sum(axis=1, keepdims=True)
        if self.geometric:
            np.minimum(np.exp(out, out=out), 100.0, out=out)  # exp(log 100) may round up
        return out


def _median_of_others(col: np.ndarray) -> np.ndarray:
    """For each entry, the median of the other entries' observed values (NaN where there are none)."""
    out = np.full(col.shape, np.nan)
    obs = np.nonzero(~np.isnan(col))[0]
    k = len(obs)
    if k == 0:
        return out
    order = obs[np.argsort(col[obs], kind="stable")]
    s = col[order]
    out[np.isnan(col)] = np.median(s)
    if k == 1:
        return out
    i = np.arange(k)  # position of each observed entry in the sorted values; the others are s without s[i]
    lo, hi = (k - 2) // 2, (k - 1) // 2

    def others(j):
        return np.where(j < i, s[j], s[np.minimum(j + 1, k - 1)])

    out[order] = (others(np.full(k, lo)) + others(np.full(k, hi))) / 2.0
    return out


# -- the index --------------------------------------------------------------------------------------------------------

class EcosystemIndex:
    """A composite index of groups (hubs, cities…) over pillars of indicators, with rank intervals and reasons.

    Parameters
    ----------
    indicators : the indicators, each in one of :data:`PILLARS`.
    normalisation, aggregation : the chosen ones (:data:`NORMALISATIONS`, :data:`AGGREGATIONS`).
    weights : relative weight per pillar (None = equal); a pillar not named keeps weight 1.
    impute : ``median`` | ``mean`` | ``none`` (:data:`IMPUTATIONS`).
    draws : Monte Carlo draws (0 = none: the interval is the rank itself).
    seed : the random seed (the same seed gives the same draws, intervals and shares).
    concentration : the Dirichlet's total concentration around the chosen weights (larger = closer to them).
    vary : which of :data:`CHOICES` the draws vary (default all three).
    """

    normalisations = NORMALISATIONS
    aggregations = AGGREGATIONS

    def __init__(self, indicators: Sequence[Indicator], *, normalisation: str = "minmax",
                 aggregation: str = "arithmetic", weights: dict[str, float] | None = None, impute: str = "median",
                 draws: int = 1000, seed: int = 0, concentration: float = 50.0,
                 vary: Sequence[str] = CHOICES) -> None:
        self.indicators = [Indicator(*i) for i in indicators]
        if not self.indicators:
            raise ValueError("the index needs at least one indicator")
        names = [i.name for i in self.indicators]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"indicator {', '.join(map(repr, dupes))} is given more than once")
        for ind in self.indicators:
            if ind.pillar not in PILLARS:
                raise ValueError(f"indicator '{ind.name}' is in unknown pillar '{ind.pillar}': the pillars are "
                                 f"{', '.join(PILLARS)}")
        for label, value, allowed in (("normalisation", normalisation, NORMALISATIONS),
                                      ("aggregation", aggregation, AGGREGATIONS), ("impute", impute, IMPUTATIONS)):
            if value not in allowed:
                raise ValueError(f"unknown {label} '{value}': choose one of {', '.join(allowed)}")
        for choice in vary:
            if choice not in CHOICES:
                raise ValueError(f"unknown choice to vary '{choice}': choose among {', '.join(CHOICES)}")
        if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 0:
            raise ValueError(f"draws must be a whole number, 0 or more (not {draws!r})")
        if not isinstance(concentration, Real) or not math.isfinite(concentration) or concentration <= 0:
            raise ValueError(f"concentration must be a positive number (not {concentration!r})")
        self.weights = self._check_weights(weights)
        self.normalisation, self.aggregation, self.impute = normalisation, aggregation, impute
        self.draws, self.seed, self.concentration, self.vary = int(draws), seed, float(concentration), tuple(vary)

    @staticmethod
    def _check_weights(weights: dict[str, float] | None) -> dict[str, float] | None:
        if weights is None:
            return None
        checked = {}
        for pillar, w in dict(weights).items():
            if pillar not in PILLARS:
                raise ValueError(f"unknown pillar '{pillar}' in the weights: the pillars are {', '.join(PILLARS)}")
            if isinstance(w, bool) or not isinstance(w, Real) or not math.isfinite(w):
                raise ValueError(f"the weight of pillar '{pillar}' must be a number (not {w!r})")
            if w < 0:
                raise ValueError(f"the weight of pillar '{pillar}' is negative ({w}): a weight is 0 or more")
            checked[pillar] = float(w)
        return checked

    # -- running ---------------------------------------------------------------------------------------------------

    def run(self, values: pd.DataFrame, *, progress: Callable[[int, int], None] | None = None) -> EcosystemIndex:
        """Compute the index of ``values`` (index = group names, columns = indicator names, NaN = missing).

        ``progress(done, total)`` is called as the Monte Carlo draws are scored.
        """
        raw, observed = self._read(values)
        self.notes_: list[str] = []
        used = observed.any(axis=0)
        for j in np.nonzero(~used)[0]:
            self.notes_.append(f"No group has a value for '{self.indicators[j].name}': it is left out.")
        if not used.any():
            raise ValueError("no group has a value for any indicator")
        inds = [ind for ind, u in zip(self.indicators, used, strict=True) if u]
        raw, observed = raw[:, used], observed[:, used]
        groups = self.groups_
        pillars = [p for p in PILLARS if any(i.pillar == p for i in inds)]
        members = [np.array([j for j, i in enumerate(inds) if i.pillar == p]) for p in pillars]
        self._pillar_of = np.array([pillars.index(i.pillar) for i in inds])
        if self.impute == "none":
            empty = [g for g, row in zip(groups, observed, strict=True) if not row.any()]
            if empty:
                raise ValueError(f"group {', '.join(map(repr, empty[:5]))}{' …' if len(empty) > 5 else ''} has no "
                                 "value for any indicator: impute it (median or mean) or leave it out")
        w = self._pillar_vector(pillars)
        sign = np.array([1.0 if i.higher_is_better else -1.0 for i in inds])
        signed = raw * sign
        filled = _impute(signed.T, self.impute).T
        self._inds, self._pillars, self._members, self._sign, self._w = inds, pillars, members, sign, w
        self._signed, self._filled, self._observed = signed, filled, observed

        norms = {k: _normalise(filled.T, k).T for k in NORMALISATIONS}
        pillar_scores = {(k, a): _pillar_scores(norms[k], members, a) for k in NORMALISATIONS for a in AGGREGATIONS}
        chosen = pillar_scores[self.normalisation, self.aggregation]
        score = _composite(chosen, w[None, :], self.aggregation)[0]
        rank = _competition_ranks(score).astype(int)
        self._score, self._rank, self._chosen_pillars = score, rank, chosen

        low, high, median, widened = self._monte_carlo(pillar_scores, rank, progress)
        coverage = observed.sum(axis=1) / len(self.indicators)
        # the score as reported: float rounding may leave the best a hair above 100 or the worst below 0
        reported = np.clip(score, 0.0, 100.0)
        scores = pd.DataFrame({"group": groups, "score": reported, "rank": rank, "rank_low": low, "rank_high": high,
                               "median_rank": median, "coverage": coverage, "widened": widened})
        order = np.lexsort((np.arange(len(groups)), rank))
        self.scores_ = scores.iloc[order].reset_index(drop=True)
        self._order = order
        self.pillars_ = pd.DataFrame(chosen[order], index=pd.Index(groups[order], name="group"), columns=pillars)
        self.contributions_ = pd.DataFrame(self._contributions(chosen, score, w)[order],
                                           index=pd.Index(groups[order], name="group"), columns=pillars)
        self.imputed_ = self._imputed(filled * sign, observed)
        self.strengths_, self.weaknesses_ = self._strengths(chosen)
        self.levers_ = self._levers()
        self.indicators_ = pd.DataFrame({
            "name": [i.name for i in self.indicators], "pillar": [i.pillar for i in self.indicators],
            "definition": [i.definition for i in self.indicators],
            "higher_is_better": [i.higher_is_better for i in self.indicators],
            "coverage": self._coverage, "used": used})
        self.weights_ = dict(zip(pillars, w.tolist(), strict=True))
        if widened.any():
            self.notes_.append(f"For {int(widened.sum())} group(s) the rank under the chosen settings lies outside "
                               "the 5th–95th percentile of the Monte Carlo ranks: the interval is widened to include "
                               "it (the chosen settings are unusual for them).")
        return self

    def _read(self, values: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(values, pd.DataFrame):
            raise ValueError("the values must be a table (a pandas DataFrame): groups as rows, indicators as columns")
        if len(values) == 0:
            raise ValueError("the table of values has no group")
        index = pd.Index(values.index).map(str)
        dupes = sorted(set(index[index.duplicated()]))
        if dupes:
            raise ValueError(f"group {', '.join(map(repr, dupes[:5]))} appears more than once in the values")
        names = [i.name for i in self.indicators]
        missing = [n for n in names if n not in values.columns]
        if missing:
            raise ValueError(f"the values have no column for indicator {', '.join(map(repr, missing))}")
        extra = [str(c) for c in values.columns if c not in names]
        if extra:
            raise ValueError(f"column {', '.join(map(repr, extra))} of the values is not one of the indicators")
        columns = []
        for name in names:
            col = values[name]
            numeric = pd.to_numeric(col, errors="coerce").astype(float)
            bad = numeric.isna() & col.notna()
            if bad.any():
                where = bad.to_numpy().nonzero()[0][0]
                raise ValueError(f"indicator '{name}', group '{index[where]}': {col.iloc[where]!r} is not a number")
            arr = numeric.to_numpy()
            if np.isinf(arr).any():
                where = np.isinf(arr).nonzero()[0][0]
                raise ValueError(f"indicator '{name}', group '{index[where]}': the value is infinite")
            columns.append(arr)
        raw = np.column_stack(columns)
        self.groups_ = np.asarray(index, dtype=object)
        observed = ~np.isnan(raw)
        self._coverage = observed.mean(axis=0)
        return raw, observed

    def _pillar_vector(self, pillars: list[str]) -> np.ndarray:
        given = self.weights or {}
        for p in given:
            if p not in pillars:
                self.notes_.append(f"Pillar '{p}' has a weight but no indicator with data: its weight is unused.")
        w = np.array([given.get(p, 1.0) for p in pillars])
        if w.sum() <= 0:
            raise ValueError(f"every pillar with indicators has weight 0 ({', '.join(pillars)}): give one a weight")
        return w / w.sum()

    # -- Monte Carlo -----------------------------------------------------------------------------------------------

    def _monte_carlo(self, pillar_scores, rank, progress):
        n_groups, d = len(rank), self.draws
        if d == 0:
            self.ranks_ = np.empty((0, n_groups), dtype=np.int16)
            self.draws_ = pd.DataFrame(columns=["normalisation", "aggregation", *self._pillars])
            self.sensitivity_ = pd.DataFrame({"choice": list(CHOICES), "share": [np.nan] * 3})
            self.weight_sensitivity_ = pd.DataFrame({"pillar": self._pillars, "share": np.nan})
            return rank.copy(), rank.copy(), rank.astype(float), np.zeros(n_groups, dtype=bool)
        rng = np.random.default_rng(self.seed)
        w0 = self._w
        weights = np.tile(w0, (d, 1))
        if "weights" in self.vary:
            live = w0 > 0
            if live.sum() > 1:
                weights[:, live] = rng.dirichlet(self.concentration * w0[live], size=d)
        k = rng.integers(len(NORMALISATIONS), size=d) if "normalisation" in self.vary \
            else np.full(d, NORMALISATIONS.index(self.normalisation))
        a = rng.integers(len(AGGREGATIONS), size=d) if "aggregation" in self.vary \
            else np.full(d, AGGREGATIONS.index(self.aggregation))
        ranks = np.empty((d, n_groups), dtype=np.int16 if n_groups < 32_000 else np.int32)
        combos = {(kn, an): _Aggregate(pillar_scores[kn, an], an) for kn in NORMALISATIONS for an in AGGREGATIONS}
        for start in range(0, d, _CHUNK):
            stop = min(start + _CHUNK, d)
            scores = np.empty((stop - start, n_groups))
            for ki, kn in enumerate(NORMALISATIONS):
                for ai, an in enumerate(AGGREGATIONS):
                    rows = np.nonzero((k[start:stop] == ki) & (a[start:stop] == ai))[0]
                    if len(rows):
                        scores[rows] = combos[kn, an](weights[start + rows])
            ranks[start:stop] = _competition_ranks(scores)
            if progress is not None:
                progress(stop, d)
        self.ranks_ = ranks
        self.draws_ = pd.DataFrame({"normalisation": np.array(NORMALISATIONS)[k],
                                    "aggregation": np.array(AGGREGATIONS)[a],
                                    **{p: weights[:, j] for j, p in enumerate(self._pillars)}})
        low = np.percentile(ranks, 5, axis=0, method="lower").astype(int)
        high = np.percentile(ranks, 95, axis=0, method="higher").astype(int)
        widened = (rank < low) | (rank > high)
        self._sensitivity(ranks, weights, k, a)
        return np.minimum(low, rank), np.maximum(high, rank), np.median(ranks, axis=0), widened

    def _sensitivity(self, ranks, weights, k, a) -> None:
        """First-order shares of the variance of ranks, by conditioning on each choice's value (bias-corrected)."""
        d = len(ranks)
        mean = ranks.mean(axis=0)
        total = ranks.var(axis=0).sum()

        def explained(order: np.ndarray, starts: np.ndarray) -> float:
            """The variance of the conditional mean ranks over the levels (draws ``order``-ed, level i from
            ``starts[i]``), less its sampling bias."""
            if len(starts) < 2:
                return 0.0
            counts = np.diff(np.append(starts, d))
            means = np.add.reduceat(ranks[order], starts, axis=0, dtype=np.float64) / counts[:, None]
            between = float((counts[:, None] / d * (means - mean) ** 2).sum())
            return max(0.0, between - (len(starts) - 1) / d * (total - between))

        def levels(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            order = np.argsort(labels, kind="stable")
            return order, np.nonzero(np.r_[True, np.diff(labels[order]) != 0])[0]

        bins = max(2, min(50, int(math.sqrt(d))))
        per_pillar = []
        for j in range(weights.shape[1]):  # over pillars (at most seven), every group at once
            if "weights" not in self.vary or np.ptp(weights[:, j]) == 0:
                per_pillar.append(0.0)
                continue
            order = np.argsort(weights[:, j], kind="stable")
            per_pillar.append(explained(order, np.unique(np.arange(d) * bins // d, return_index=True)[1]))
        shares = {"weights": sum(per_pillar), "normalisation": explained(*levels(k)),
                  "aggregation": explained(*levels(a))}
        scale = 1.0 / total if total > 0 else 0.0
        if total == 0:
            self.notes_.append("No group's rank changes across the draws: there is no rank variance to explain.")
        self.sensitivity_ = pd.DataFrame({"choice": list(CHOICES), "share": [shares[c] * scale for c in CHOICES]})
        self.weight_sensitivity_ = pd.DataFrame({"pillar": self._pillars, "share": np.array(per_pillar) * scale})

    # -- decomposition ---------------------------------------------------------------------------------------------

    def _contributions(self, pillars: np.ndarray, score: np.ndarray, w: np.ndarray) -> np.ndarray:
        present = ~np.isnan(pillars)
        share = np.where(present, w, 0.0)
        share = share / share.sum(axis=1, keepdims=True)
        if self.aggregation == "arithmetic":
            return np.where(present, share * np.nan_to_num(pillars), 0.0)
        logs = share * np.log(np.maximum(np.nan_to_num(pillars, nan=GEOMETRIC_FLOOR), GEOMETRIC_FLOOR))
        total = logs.sum(axis=1, keepdims=True)
        split = np.where(total > 0, logs / np.where(total > 0, total, 1.0), share)
        return score[:, None] * split

    def _imputed(self, filled_raw: np.ndarray, observed: np.ndarray) -> pd.DataFrame:
        gi, ii = np.nonzero(~observed)
        return pd.DataFrame({"group": self.groups_[gi], "indicator": [self._inds[i].name for i in ii],
                             "value": filled_raw[gi, ii], "how": _IMPUTED_HOW[self.impute]})

    def _strengths(self, pillars: np.ndarray) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        gap = pillars - np.column_stack([_median_of_others(pillars[:, p]) for p in range(pillars.shape[1])])
        gap = np.nan_to_num(gap, nan=0.0)
        names = np.array(self._pillars, dtype=object)
        best, worst = np.argsort(-gap, axis=1, kind="stable")[:, :2], np.argsort(gap, axis=1, kind="stable")[:, :2]
        strengths = {g: names[b][gap[i, b] > 1e-9].tolist() for i, (g, b) in enumerate(zip(self.groups_, best))}
        weaknesses = {g: names[b][gap[i, b] < -1e-9].tolist() for i, (g, b) in enumerate(zip(self.groups_, worst))}
        return strengths, weaknesses

    def _levers(self) -> pd.DataFrame:
        """For each group and indicator, its rank if its value were the best group's, everything else recomputed."""
        n, n_ind = self._signed.shape
        gains = np.zeros((n, n_ind), dtype=int)
        score_gains = np.full((n, n_ind), -np.inf)
        agg = self.aggregation
        floor_log = (lambda v: np.log(np.maximum(v, GEOMETRIC_FLOOR))) if agg == "geometric" else (lambda v: v)
        norm_now = _normalise(_impute(self._signed.T, self.impute), self.normalisation).T
        pillars_now = self._chosen_pillars
        eye = np.eye(n, dtype=bool)
        for i in range(n_ind):
            x = self._signed[:, i]
            best = np.nanmax(x)
            p = self._pillar_of[i]
            scen = np.where(eye, best, x[None, :])  # scenario s: group s has the best value
            scen_norm = _normalise(_impute(scen, self.impute), self.normalisation)  # scenarios × groups
            cols = [j for j in self._members[p] if j != i]
            block = floor_log(norm_now[:, cols]) if cols else np.empty((n, 0))
            have = ~np.isnan(block)
            rest_sum, rest_n = np.where(have, block, 0.0).sum(axis=1), have.sum(axis=1)
            new_val = floor_log(scen_norm)
            new_have = ~np.isnan(new_val)
            count = rest_n[None, :] + new_have
            with np.errstate(invalid="ignore"):
                pillar = np.where(count > 0, (rest_sum[None, :] + np.where(new_have, new_val, 0.0))
                                  / np.maximum(count, 1), np.nan)
            pillar_have = count > 0
            other = np.arange(len(self._pillars)) != p
            op = pillars_now[:, other]
            op_have = ~np.isnan(op)
            w_other = self._w[other]
            num = (np.where(op_have, floor_log(op), 0.0) * w_other).sum(axis=1)
            den = (op_have * w_other).sum(axis=1)
            pillar_term = np.where(pillar_have, pillar, 0.0)  # the pillar's score (geometric: its logarithm)
            total_num = num[None, :] + self._w[p] * pillar_term
            total_den = den[None, :] + self._w[p] * pillar_have
            scen_score = total_num / np.where(total_den > 0, total_den, 1.0)
            if agg == "geometric":
                scen_score = np.minimum(np.exp(scen_score), 100.0)
            scen_score = np.round(scen_score, 9)
            own = np.diagonal(scen_score)
            new_rank = 1 + (scen_score > own[:, None]).sum(axis=1)
            movable = ~(x == best)  # already the best (missing counts as movable)
            gains[:, i] = np.where(movable, self._rank - new_rank, 0)
            score_gains[:, i] = np.where(movable, own - self._score, -np.inf)
        rows = []
        order = np.lexsort((-score_gains, -gains), axis=1) if n_ind > 1 else np.zeros((n, 1), dtype=int)
        for gi in self._order:  # building the output table, best group first
            for i in order[gi, :2]:
                if gains[gi, i] > 0:
                    ind = self._inds[i]
                    now = self._filled[gi, i] * self._sign[i]
                    rows.append({"group": self.groups_[gi], "indicator": ind.name, "pillar": ind.pillar,
                                 "now": float(now), "imputed": bool(not self._observed[gi, i]),
                                 "to": float(np.nanmax(self._signed[:, i]) * self._sign[i]),
                                 "rank_gain": int(gains[gi, i]), "score_gain": float(score_gains[gi, i])})
        columns = ["group", "indicator", "pillar", "now", "imputed", "to", "rank_gain", "score_gain"]
        return pd.DataFrame(rows, columns=columns)

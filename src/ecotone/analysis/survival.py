"""Survival analysis for stage durations: Kaplan–Meier with Greenwood's log–log bands, and the log-rank test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["KaplanMeier", "kaplan_meier", "logrank"]


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan–Meier estimate: survival (share not yet left) just after each distinct time, with its band."""

    times: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n: int
    observed: int

    def quantile(self, q: float, curve: str = "survival") -> float:
        """The time by which a share ``q`` has left: the first time the curve is at or below ``1 - q``;
        NaN when it never gets there (too many still waiting)."""
        values = getattr(self, curve)
        hit = np.nonzero(values <= 1 - q + 1e-12)[0]
        return float(self.times[hit[0]]) if len(hit) else float("nan")

    @property
    def median(self) -> float:
        return self.quantile(0.5)

    def median_interval(self) -> tuple[float, float]:
        """The band of the median: where the lower and upper survival bands cross one half."""
        return self.quantile(0.5, "lower"), self.quantile(0.5, "upper")


def kaplan_meier(durations, observed, *, alpha: float = 0.05) -> KaplanMeier:
    """Estimate how long things last when some are still going (censored): the product-limit estimator.

    Parameters
    ----------
    durations : time each one lasted, or has lasted so far.
    observed : True where the end was seen, False where it is still going (censored).
    alpha : 1 − the band's confidence (Greenwood's variance on the log(−log) scale, as lifelines does).

    Examples
    --------
    >>> km = kaplan_meier([2, 3, 3, 5, 8, 9], [1, 1, 0, 1, 0, 1])
    >>> km.times.tolist(), km.survival.round(3).tolist()
    ([0.0, 2.0, 3.0, 5.0, 8.0, 9.0], [1.0, 0.833, 0.667, 0.444, 0.444, 0.0])
    >>> km.median, km.quantile(0.25)
    (5.0, 3.0)
    """
    d = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    if d.shape != e.shape:
        raise ValueError("durations and observed differ in length")
    if (d < 0).any():
        raise ValueError("a duration is negative")
    times = np.unique(np.concatenate([[0.0], d]))
    events = np.array([np.sum(e & (d == t)) for t in times]) if len(d) < 64 else \
        np.bincount(np.searchsorted(times, d[e]), minlength=len(times))
    leaving = np.bincount(np.searchsorted(times, d), minlength=len(times))
    at_risk = len(d) - np.concatenate([[0], np.cumsum(leaving)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, events / at_risk, 0.0)
        survival = np.cumprod(1 - hazard)
        green = np.cumsum(np.where(at_risk - events > 0, events / (at_risk * (at_risk - events)), 0.0))
        z = stats.norm.ppf(1 - alpha / 2)
        log_s = np.log(survival)
        spread = z * np.sqrt(green) / log_s
        lower = np.exp(-np.exp(np.log(-log_s) - spread))
        upper = np.exp(-np.exp(np.log(-log_s) + spread))
    lower = np.where(np.isfinite(lower), lower, survival)
    upper = np.where(np.isfinite(upper), upper, survival)
    lower, upper = np.minimum(lower, upper), np.maximum(lower, upper)
    return KaplanMeier(times, at_risk, events, survival, lower, upper, len(d), int(e.sum()))


def logrank(durations_a, observed_a, durations_b, observed_b) -> tuple[float, float]:
    """The log-rank test of two groups' durations: (chi-square statistic, p-value).

    Examples
    --------
    >>> stat, p = logrank([1, 2, 3, 4], [1, 1, 1, 1], [5, 6, 7, 8], [1, 1, 1, 0])
    >>> round(stat, 2), p < 0.05
    (7.34, True)
    """
    da, db = np.asarray(durations_a, float), np.asarray(durations_b, float)
    ea, eb = np.asarray(observed_a, bool), np.asarray(observed_b, bool)
    times = np.unique(np.concatenate([da[ea], db[eb]]))
    if len(times) == 0:
        return 0.0, 1.0
    na = np.array([(da >= t).sum() for t in times], float)
    nb = np.array([(db >= t).sum() for t in times], float)
    oa = np.array([(ea & (da == t)).sum() for t in times], float)
    ob = np.array([(eb & (db == t)).sum() for t in times], float)
    n, o = na + nb, oa + ob
    expected = o * na / n
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(n > 1, o * (na / n) * (nb / n) * (n - o) / (n - 1), 0.0)
    if var.sum() <= 0:
        return 0.0, 1.0
    stat = float((oa.sum() - expected.sum()) ** 2 / var.sum())
    return stat, float(stats.chi2.sf(stat, 1))

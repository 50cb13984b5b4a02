"""Parameter distributions for Monte Carlo: what is known about a constant, as a quantile function."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

__all__ = ["Distribution", "Fixed", "LogNormal", "LogitNormal", "Uniform", "from_estimate", "sample"]


@dataclass(frozen=True)
class Uniform:
    """Anywhere between ``low`` and ``high`` (a range an expert gives)."""

    low: float
    high: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u)


@dataclass(frozen=True)
class LogNormal:
    """A positive quantity around ``median``, spread ``sigma`` on the log scale (a time, a rate)."""

    median: float
    sigma: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.median * np.exp(self.sigma * stats.norm.ppf(np.asarray(u)))


@dataclass(frozen=True)
class LogitNormal:
    """A share around ``median``, spread ``sigma`` on the logit scale (a conversion rate)."""

    median: float
    sigma: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return special.expit(special.logit(self.median) + self.sigma * stats.norm.ppf(np.asarray(u)))


@dataclass(frozen=True)
class Fixed:
    """Known exactly."""

    value: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=float)


Distribution = Uniform | LogNormal | LogitNormal | Fixed


def from_estimate(value: float, std_error: float, *, share: bool = False) -> Distribution:
    """The distribution of a calibrated parameter (estimate and standard error): log-normal for a positive
    quantity, logit-normal for a share; the spread on the transformed scale by the delta method.

    Examples
    --------
    >>> d = from_estimate(10.0, 2.0)
    >>> round(float(d.ppf(0.5)), 6), round(d.sigma, 3)
    (10.0, 0.2)
    """
    if not std_error or not math.isfinite(std_error):
        return Fixed(value)
    if share:
        p = min(max(value, 1e-3), 1 - 1e-3)
        return LogitNormal(p, min(std_error / (p * (1 - p)), 3.0))
    return LogNormal(value, min(std_error / max(value, 1e-9), 1.5))


def sample(distributions: Mapping[str, Distribution], runs: int, *, seed: int | None = 0) -> pd.DataFrame:
    """``runs`` parameter sets drawn independently (Latin hypercube strata, so small ensembles cover each range).

    Examples
    --------
    >>> s = sample({"time_idea": LogNormal(9, 0.3), "success_idea": Uniform(0.5, 0.9)}, 1000, seed=1)
    >>> s.shape, bool(s["success_idea"].between(0.5, 0.9).all())
    ((1000, 2), True)
    """
    rng = np.random.default_rng(seed)
    cols = {}
    for name, dist in distributions.items():
        u = (rng.permutation(runs) + rng.random(runs)) / runs
        cols[name] = dist.ppf(u)
    return pd.DataFrame(cols, index=range(runs))

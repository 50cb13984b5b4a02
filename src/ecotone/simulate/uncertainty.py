"""Parameter distributions for Monte Carlo: what is known about a constant, as a quantile function; and what is
known about several constants together (a calibration's estimates and their covariance) as a multivariate normal on
the transformed scale (log for a positive quantity, logit for a share), drawn back on the parameters' own scale."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

__all__ = ["Distribution", "Fixed", "JointNormal", "LogNormal", "LogitNormal", "Normal", "TRANSFORMS", "Uniform",
           "backward", "forward", "from_estimate", "sample", "transform_for"]

#: The scales a parameter is fitted and drawn on: log for a positive quantity (a time, a rate), logit for a share,
#: identity for anything else.
TRANSFORMS = ("log", "logit", "identity")


def transform_for(low: float, high: float) -> str:
    """The natural scale of a parameter bounded by ``low`` and ``high``: logit inside 0–1, log above 0.

    Examples
    --------
    >>> transform_for(0.02, 0.99), transform_for(0.5, 120), transform_for(-1, 1)
    ('logit', 'log', 'identity')
    """
    if low >= 0 and high <= 1:
        return "logit"
    return "log" if low > 0 else "identity"


def forward(x, transform: str):
    """A parameter's value on its transformed scale.

    Examples
    --------
    >>> float(forward(0.5, "logit")), float(forward(1.0, "log"))
    (0.0, 0.0)
    """
    x = np.asarray(x, dtype=float)
    if transform == "log":
        return np.log(x)
    if transform == "logit":
        return special.logit(x)
    if transform == "identity":
        return x
    raise ValueError(f"unknown transform {transform!r}; use one of {', '.join(TRANSFORMS)}")


def backward(z, transform: str):
    """A parameter's value back from its transformed scale (the inverse of :func:`forward`).

    Examples
    --------
    >>> round(float(backward(forward(0.975, "logit"), "logit")), 12)
    0.975
    """
    z = np.asarray(z, dtype=float)
    if transform == "log":
        return np.exp(z)
    if transform == "logit":
        return special.expit(z)
    if transform == "identity":
        return z
    raise ValueError(f"unknown transform {transform!r}; use one of {', '.join(TRANSFORMS)}")


def slope(x, transform: str):
    """dx/dz, the change of the parameter per unit of its transformed scale, at ``x`` (the delta method's factor)."""
    x = np.asarray(x, dtype=float)
    return {"log": x, "logit": x * (1 - x), "identity": np.ones_like(x)}[transform]


def curvature(x, transform: str):
    """d²x/dz² at ``x``."""
    x = np.asarray(x, dtype=float)
    return {"log": x, "logit": x * (1 - x) * (1 - 2 * x), "identity": np.zeros_like(x)}[transform]


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
class Normal:
    """About ``mean``, give or take ``sigma`` (a quantity that may be negative)."""

    mean: float
    sigma: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.mean + self.sigma * special.ndtri(np.asarray(u))


@dataclass(frozen=True)
class Fixed:
    """Known exactly."""

    value: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=float)


Distribution = Uniform | LogNormal | LogitNormal | Normal | Fixed


@dataclass(frozen=True)
class JointNormal:
    """Parameters known together: a multivariate normal on their transformed scales (``mean`` and ``covariance``
    there), each back-transformed, so a calibration's correlations are kept and a share stays within 0–1 and inside
    its fitted interval (the interval is the same normal's, back-transformed).

    Examples
    --------
    >>> j = JointNormal(("time_idea", "success_idea"), (np.log(9), 1.0), ((0.04, -0.06), (-0.06, 0.25)),
    ...                 ("log", "logit"))
    >>> s = j.ppf(np.random.default_rng(1).random((20000, 2)))
    >>> round(float(np.median(s["time_idea"])), 1), round(float(np.corrcoef(np.log(s["time_idea"]),
    ...                                                                      special.logit(s["success_idea"]))[0, 1]), 2)
    (9.0, -0.6)
    """

    names: tuple[str, ...]
    mean: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    transforms: tuple[str, ...]

    def factor(self) -> np.ndarray:
        """A matrix ``L`` with ``L @ L.T`` the covariance (Cholesky; eigenvectors when it is only semi-definite)."""
        cov = np.asarray(self.covariance, dtype=float).reshape(len(self.names), len(self.names))
        try:
            return np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            w, v = np.linalg.eigh((cov + cov.T) / 2)
            return v * np.sqrt(np.clip(w, 0, None))

    def ppf(self, u: np.ndarray) -> dict[str, np.ndarray]:
        """Parameter values from uniforms ``u`` (runs × parameters): independent normals through the factor."""
        u = np.atleast_2d(np.asarray(u, dtype=float))
        z = np.asarray(self.mean, dtype=float) + special.ndtri(u) @ self.factor().T
        return {n: backward(z[:, i], t) for i, (n, t) in enumerate(zip(self.names, self.transforms))}

    def marginals(self) -> dict[str, Distribution]:
        """Each parameter alone (for a tornado or Sobol indices, which vary one parameter at a time)."""
        sd = np.sqrt(np.clip(np.diag(np.asarray(self.covariance, dtype=float)), 0, None))
        out: dict[str, Distribution] = {}
        for n, m, s, t in zip(self.names, self.mean, sd, self.transforms):
            median = float(backward(m, t))
            out[n] = Fixed(median) if s == 0 else LogNormal(median, float(s)) if t == "log" else \
                LogitNormal(median, float(s)) if t == "logit" else Normal(median, float(s))
        return out


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


def sample(distributions: Mapping[str, Distribution], runs: int, *, seed: int | None = 0,
           joint: Sequence[JointNormal] = ()) -> pd.DataFrame:
    """``runs`` parameter sets: each of ``distributions`` drawn independently, each ``joint`` group together;
    every dimension in Latin hypercube strata (a joint group's independent normals too, before its factor
    correlates them), so small ensembles cover each range.

    Examples
    --------
    >>> s = sample({"time_idea": LogNormal(9, 0.3), "success_idea": Uniform(0.5, 0.9)}, 1000, seed=1)
    >>> s.shape, bool(s["success_idea"].between(0.5, 0.9).all())
    ((1000, 2), True)
    """
    rng = np.random.default_rng(seed)

    def strata() -> np.ndarray:
        return (rng.permutation(runs) + rng.random(runs)) / runs

    cols = {}
    for name, dist in distributions.items():
        cols[name] = dist.ppf(strata())
    for group in joint:
        u = np.column_stack([strata() for _ in group.names]) if group.names else np.empty((runs, 0))
        cols.update(group.ppf(u))
    return pd.DataFrame(cols, index=range(runs))

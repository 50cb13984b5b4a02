"""Calibration: fit a model's constants to observations by weighted least squares, and keep their uncertainty.

Residuals are observations the model should reproduce (a variable's value at a time, with its standard error) and
priors on parameters (a published or measured value, with its standard error); both count in the same sum of
squares, so a parameter the data cannot pin down stays near its prior. The Jacobian is one ensemble run of the
model (the parameters and one nudge of each), which the vectorised engine makes about as cheap as one run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from .engine import Simulator, build
from .spec import Model, ModelError

__all__ = ["Calibration", "Prior", "Target"]


@dataclass(frozen=True)
class Target:
    """An observation: ``variable`` should be ``value`` (give or take ``sigma``) at ``time``."""

    variable: str
    time: float
    value: float
    sigma: float = 1.0
    label: str = ""


@dataclass(frozen=True)
class Prior:
    """Prior knowledge of a parameter: about ``value``, give or take ``sigma``, and where that comes from."""

    parameter: str
    value: float
    sigma: float
    source: str = ""


class Calibration:
    """Weighted least squares over a model's constants.

    Parameters
    ----------
    parameters : constant name → (low, high) bounds; the model's values are the starting point.
    targets : observations the model should reproduce.
    priors : prior knowledge of parameters.

    Attributes (after :meth:`fit`)
    ------------------------------
    estimates_ : per parameter: start, estimate, standard error, 95% interval (bounded).
    fit_ : per target and prior: observed, fitted, standardised residual.
    model_ : the model with the fitted constants.
    covariance_ : the parameters' covariance (Gauss–Newton, inflated when the fit is worse than its errors).
    rmse_ : root mean square of the targets' residuals, in the targets' units.
    chi2_, dof_ : sum of squared standardised residuals and degrees of freedom.

    Examples
    --------
    >>> from ecotone.simulate.spec import Constant, Flow, Stock
    >>> m = Model("decay", stocks=[Stock("patients", 100, outflows=("discharges",))],
    ...           flows=[Flow("discharges", "patients / stay")], constants=[Constant("stay", 2)], stop=10, dt=0.05)
    >>> obs = [Target("patients", t, 100 * np.exp(-t / 4), 0.5) for t in (2, 4, 8)]
    >>> cal = Calibration(parameters={"stay": (0.5, 20)}, targets=obs).fit(m)
    >>> round(float(cal.estimates_.loc["stay", "estimate"]), 1)
    4.0
    """

    def __init__(self, *, parameters: Mapping[str, tuple[float, float]], targets: Sequence[Target] = (),
                 priors: Sequence[Prior] = ()) -> None:
        self.parameters = dict(parameters)
        self.targets = list(targets)
        self.priors = list(priors)

    def fit(self, model: Model) -> Calibration:
        names = list(self.parameters)
        if not names:
            raise ModelError("nothing to calibrate: name at least one parameter")
        if not self.targets and not self.priors:
            raise ModelError("nothing to calibrate against: give targets or priors")
        built = build(model)
        lo = np.array([self.parameters[n][0] for n in names], float)
        hi = np.array([self.parameters[n][1] for n in names], float)
        x0 = np.clip([model.constant(n).value for n in names], lo, hi)
        x0 = np.where(x0 >= hi, hi - 1e-9 * (hi - lo), np.where(x0 <= lo, lo + 1e-9 * (hi - lo), x0))
        variables = sorted({t.variable for t in self.targets}, key=str)
        steps = np.array([int(round((t.time - model.start) / model.dt)) for t in self.targets], int)
        if (steps < 0).any() or (steps > round((model.stop - model.start) / model.dt)).any():
            raise ModelError("a target's time is outside the model's run")
        rows = [variables.index(t.variable) for t in self.targets]
        observed = np.array([t.value for t in self.targets], float)
        sigma = np.array([t.sigma for t in self.targets], float)
        prior_idx = [names.index(p.parameter) if p.parameter in names else _unknown(p.parameter) for p in self.priors]
        prior_value = np.array([p.value for p in self.priors], float)
        prior_sigma = np.array([p.sigma for p in self.priors], float)
        sim = Simulator(variables=variables, save_every=model.dt)

        def simulated(xs: np.ndarray) -> np.ndarray:  # xs: (runs, parameters) → (runs, targets)
            res = sim.run(built, {n: xs[:, i] for i, n in enumerate(names)})
            return res.values[steps, rows, :].T

        def residuals_of(xs: np.ndarray, values: np.ndarray) -> np.ndarray:
            return np.hstack([(values - observed) / sigma, (xs[:, prior_idx] - prior_value) / prior_sigma])

        def fun(x: np.ndarray) -> np.ndarray:
            return residuals_of(x[None, :], simulated(x[None, :]))[0]

        def jac(x: np.ndarray) -> np.ndarray:
            h = 1e-6 * np.maximum(np.abs(x), 1e-3)
            h = np.where(x + h > hi, -h, h)
            xs = np.vstack([x, x + np.diag(h)])
            r = residuals_of(xs, simulated(xs))
            return ((r[1:] - r[0]) / h[:, None]).T

        result = optimize.least_squares(fun, x0, jac=jac, bounds=(lo, hi), x_scale="jac")
        j = result.jac
        resid = result.fun
        self.dof_ = max(len(resid) - len(names), 1)
        self.chi2_ = float(resid @ resid)
        scale = max(1.0, self.chi2_ / self.dof_)
        self.covariance_ = pd.DataFrame(np.linalg.pinv(j.T @ j) * scale, index=names, columns=names)
        se = np.sqrt(np.clip(np.diag(self.covariance_.to_numpy()), 0, None))
        self.estimates_ = pd.DataFrame({"start": x0, "estimate": result.x, "std_error": se,
                                        "low": np.maximum(lo, result.x - 1.96 * se),
                                        "high": np.minimum(hi, result.x + 1.96 * se)}, index=pd.Index(names,
                                                                                                     name="parameter"))
        fitted = simulated(result.x[None, :])[0]
        labels = [t.label or f"{t.variable} at {t.time:g}" for t in self.targets] + \
            [f"prior {p.parameter}" for p in self.priors]
        self.fit_ = pd.DataFrame({"observed": np.concatenate([observed, prior_value]),
                                  "fitted": np.concatenate([fitted, result.x[prior_idx]]),
                                  "residual": resid}, index=pd.Index(labels, name="target"))
        self.rmse_ = float(np.sqrt(np.mean((fitted - observed) ** 2))) if len(observed) else 0.0
        self.success_, self.message_ = bool(result.success), str(result.message)
        self.model_ = model.with_constants(**dict(zip(names, result.x.tolist())))
        return self


def _unknown(parameter: str) -> int:
    raise ModelError(f"a prior names {parameter!r}, which is not among the parameters calibrated")


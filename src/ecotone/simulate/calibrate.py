"""Calibration: fit a model's constants to observations by maximum likelihood (a posterior mode with priors), and
keep their uncertainty as a covariance on the scale they are fitted on.

Each kind of observation has its own likelihood:

- a :class:`Target` is a variable's value at a time: normal with a standard error (weighted least squares), or a
  count with a Poisson or negative binomial likelihood (how many innovations formed in the history's months);
- an :class:`Exposure` is the spells of a stage seen as censored survival data: how many ended, over how much time
  in the stage in all (censored spells count their time too), the likelihood of a mean time in stage (a constant
  rate of leaving, as the model's first-order outflows assume);
- a :class:`Binomial` is conversions: how many of the spells that ended moved on, the likelihood of a share;
- a :class:`Prior` is prior knowledge of a parameter (a published or measured value with its standard error), on
  the parameter's own scale or on its transformed scale (a log-normal or logit-normal prior).

Parameters are fitted on a transformed scale (log for a positive rate or time, logit for a share, chosen from their
bounds), where the likelihood is close to normal; the covariance is the inverse of the negative log-likelihood's
Hessian at the optimum (Laplace's approximation; the model's part of it is Gauss–Newton's, the Jacobian being one
ensemble run of the model: the parameters and one nudge of each, about as cheap as one run in the vectorised engine).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from .engine import Simulator, build
from .spec import Model, ModelError
from .uncertainty import TRANSFORMS, JointNormal, backward, curvature, forward, slope, transform_for

__all__ = ["Binomial", "Calibration", "Exposure", "LIKELIHOODS", "Prior", "Target"]

#: The likelihoods a :class:`Target` can have.
LIKELIHOODS = ("normal", "poisson", "negbin")


@dataclass(frozen=True)
class Target:
    """An observation: ``variable`` should be ``value`` at ``time``: give or take ``sigma`` (``likelihood``
    "normal"), or a count with a Poisson likelihood ("poisson") or a negative binomial one of size ``dispersion``
    ("negbin": variance mean + mean² / dispersion, for counts more spread than Poisson's)."""

    variable: str
    time: float
    value: float
    sigma: float = 1.0
    label: str = ""
    likelihood: str = "normal"
    dispersion: float = math.inf


@dataclass(frozen=True)
class Prior:
    """Prior knowledge of a parameter: about ``value``, give or take ``sigma``, and where that comes from.
    ``scale`` "natural" puts a normal on the parameter itself; "transformed" puts it on the fitted scale (``sigma``
    is then on the log or logit scale: a log-normal or logit-normal prior around ``value``)."""

    parameter: str
    value: float
    sigma: float
    source: str = ""
    scale: str = "natural"


@dataclass(frozen=True)
class Exposure:
    """Spells in a stage as censored survival data: ``events`` of them ended over ``exposure`` (time units) spent in
    the stage by all of them, censored ones included; the exponential likelihood of ``parameter``, the mean time
    in the stage (the maximum is ``exposure / events``, with a standard error of 1/√events on the log scale)."""

    parameter: str
    events: int
    exposure: float
    label: str = ""


@dataclass(frozen=True)
class Binomial:
    """Conversions: ``successes`` of ``trials`` moved on; the binomial likelihood of ``parameter``, a share."""

    parameter: str
    successes: int
    trials: int
    label: str = ""


class Calibration:
    """Maximum likelihood (with priors: the posterior mode) over a model's constants, on transformed scales.

    Parameters
    ----------
    parameters : constant name → (low, high) bounds; the model's values are the starting point.
    targets : observations of the model's variables.
    priors : prior knowledge of parameters.
    exposures : censored stage times, each of a parameter that is a mean time.
    binomials : conversions, each of a parameter that is a share.
    checks : observations reported beside the fit (in ``fit_``) but not fitted: data the likelihood already holds
        in another form, or held out.
    transforms : parameter → "log", "logit" or "identity" (by default logit for bounds within 0–1, log for
        positive bounds, identity otherwise).

    Attributes (after :meth:`fit`)
    ------------------------------
    estimates_ : per parameter: start, estimate, standard error (delta method), 95% interval (the transformed
        scale's, back-transformed: asymmetric, inside 0–1 for a share), the transform, and the estimate and standard
        error on the transformed scale (z, z_std_error).
    fit_ : per observation and prior: observed, fitted, standardised residual (fitted − observed, in standard
        errors), and whether it was fitted or only checked.
    model_ : the model with the fitted constants.
    transformed_covariance_ : the parameters' covariance on the transformed scale (Laplace); what Monte Carlo
        draws from (:meth:`joint`).
    covariance_ : the same on the parameters' own scale (delta method).
    correlation_ : the parameters' correlation (transformed scale).
    rmse_ : root mean square of the targets' residuals, in the targets' units.
    nll_ : the negative log-likelihood (with priors) at the optimum.
    chi2_, dof_ : sum of squared standardised residuals (fitted observations) and degrees of freedom.

    When every observation is a normal target, the covariance is inflated by chi²/dof if the fit is worse than its
    errors (as weighted least squares does); counts, exposures and conversions carry their own sampling errors.

    Examples
    --------
    >>> from ecotone.simulate.spec import Constant, Flow, Stock
    >>> m = Model("decay", stocks=[Stock("patients", 100, outflows=("discharges",))],
    ...           flows=[Flow("discharges", "patients / stay")], constants=[Constant("stay", 2)], stop=10, dt=0.05)
    >>> obs = [Target("patients", t, 100 * np.exp(-t / 4), 0.5) for t in (2, 4, 8)]
    >>> cal = Calibration(parameters={"stay": (0.5, 20)}, targets=obs).fit(m)
    >>> round(float(cal.estimates_.loc["stay", "estimate"]), 1)
    4.0

    Censored stage times alone: 7 of 10 spells ended over 80 months in the stage.

    >>> cal = Calibration(parameters={"stay": (0.5, 200)}, exposures=[Exposure("stay", 7, 80.0)]).fit(m)
    >>> est = cal.estimates_.loc["stay"]
    >>> round(float(est["estimate"]), 2), round(float(est["z_std_error"]), 3), round(1 / math.sqrt(7), 3)
    (11.43, 0.378, 0.378)
    """

    def __init__(self, *, parameters: Mapping[str, tuple[float, float]], targets: Sequence[Target] = (),
                 priors: Sequence[Prior] = (), exposures: Sequence[Exposure] = (),
                 binomials: Sequence[Binomial] = (), checks: Sequence[Target] = (),
                 transforms: Mapping[str, str] | None = None) -> None:
        self.parameters = dict(parameters)
        self.targets = list(targets)
        self.priors = list(priors)
        self.exposures = list(exposures)
        self.binomials = list(binomials)
        self.checks = list(checks)
        self.transforms = {n: (transforms or {}).get(n) or transform_for(*b) for n, b in self.parameters.items()}

    # -- checks of the inputs -----------------------------------------------------------------------------------
    def _validate(self, model: Model) -> list[str]:
        names = list(self.parameters)
        if not names:
            raise ModelError("nothing to calibrate: name at least one parameter")
        if not (self.targets or self.priors or self.exposures or self.binomials):
            raise ModelError("nothing to calibrate against: give targets, priors, exposures or binomials")
        for n, (lo, hi) in self.parameters.items():
            model.constant(n)
            t = self.transforms[n]
            if t not in TRANSFORMS:
                raise ModelError(f"{n}: unknown transform {t!r}; use one of {', '.join(TRANSFORMS)}")
            if not lo < hi or (t == "log" and lo <= 0) or (t == "logit" and (lo < 0 or hi > 1)):
                raise ModelError(f"{n}: bounds ({lo:g}, {hi:g}) do not suit a {t} scale")
        for t in (*self.targets, *self.checks):
            if t.likelihood not in LIKELIHOODS:
                raise ModelError(f"target {t.label or t.variable}: unknown likelihood {t.likelihood!r}; use one of "
                                 f"{', '.join(LIKELIHOODS)}")
            if t.likelihood != "normal" and (t.value < 0 or not math.isfinite(t.value)):
                raise ModelError(f"target {t.label or t.variable}: a count must be 0 or more, not {t.value}")
            if t.likelihood == "normal" and not t.sigma > 0:
                raise ModelError(f"target {t.label or t.variable}: sigma must be positive, not {t.sigma}")
        for item in (*self.priors, *self.exposures, *self.binomials):
            if item.parameter not in self.parameters:
                raise ModelError(f"{type(item).__name__.lower()} names {item.parameter!r}, which is not among the "
                                 "parameters calibrated")
        for p in self.priors:
            if not p.sigma > 0 or p.scale not in ("natural", "transformed"):
                raise ModelError(f"prior {p.parameter}: sigma must be positive and scale natural or transformed")
        for e in self.exposures:
            if e.events < 0 or e.exposure < 0:
                raise ModelError(f"exposure of {e.parameter}: events and exposure must be 0 or more")
        for b in self.binomials:
            if not 0 <= b.successes <= b.trials:
                raise ModelError(f"binomial of {b.parameter}: {b.successes} successes of {b.trials} trials")
        return names

    def fit(self, model: Model, *, max_iterations: int = 200) -> Calibration:
        names = self._validate(model)
        k = len(names)
        tf = [self.transforms[n] for n in names]
        lo = np.array([self.parameters[n][0] for n in names], float)
        hi = np.array([self.parameters[n][1] for n in names], float)
        x0 = np.clip([model.constant(n).value for n in names], lo, hi)
        x0 = np.where(x0 >= hi, hi - 1e-6 * (hi - lo), np.where(x0 <= lo, lo + 1e-6 * (hi - lo), x0))
        zlo = np.array([forward(v, t) if not (t == "logit" and v <= 0) else -40.0 for v, t in zip(lo, tf)])
        zhi = np.array([forward(v, t) if not (t == "logit" and v >= 1) else 40.0 for v, t in zip(hi, tf)])

        def to_x(z: np.ndarray) -> np.ndarray:  # (..., k)
            return np.stack([backward(z[..., i], t) for i, t in enumerate(tf)], axis=-1)

        observed = [*self.targets, *self.checks]
        run_model = bool(observed)
        if run_model:
            built = build(model)
            variables = sorted({t.variable for t in observed}, key=str)
            last = round((model.stop - model.start) / model.dt)
            steps = np.array([int(round((t.time - model.start) / model.dt)) for t in observed], int)
            if (steps < 0).any() or (steps > last).any():
                raise ModelError("a target's time is outside the model's run")
            rows = [variables.index(t.variable) for t in observed]
            sim = Simulator(variables=variables, save_every=model.dt)
        nt = len(self.targets)
        y = np.array([t.value for t in self.targets], float)
        sigma = np.array([t.sigma for t in self.targets], float)
        kind = np.array([LIKELIHOODS.index(t.likelihood) for t in self.targets], int)
        size = np.array([t.dispersion for t in self.targets], float)

        def simulated(xs: np.ndarray) -> np.ndarray:  # xs: (runs, k) → (runs, observations)
            if not run_model:
                return np.zeros((len(xs), 0))
            res = sim.run(built, {n: xs[:, i] for i, n in enumerate(names)})
            return res.values[steps, rows, :].T

        # the terms on parameters directly: (index, negative log-likelihood, its first and second derivative in x)
        direct = self._direct_terms(names, tf)

        def target_terms(f: np.ndarray):
            """Per target: negative log-likelihood, its derivative in the fitted value, Fisher weight."""
            nll, d1, w = np.zeros(nt), np.zeros(nt), np.zeros(nt)
            n_ = kind == 0
            nll[n_] = 0.5 * ((f[n_] - y[n_]) / sigma[n_]) ** 2
            d1[n_] = (f[n_] - y[n_]) / sigma[n_] ** 2
            w[n_] = 1 / sigma[n_] ** 2
            c = ~n_
            mu = np.maximum(f[c], 1e-9)
            r = np.where(kind[c] == 2, size[c], np.inf)
            finite = np.isfinite(r)
            yc = y[c]
            pois = mu - yc * np.log(mu)
            rr = np.where(finite, r, 1.0)
            nb = -(special.gammaln(yc + rr) - special.gammaln(rr) + rr * np.log(rr / (rr + mu))
                   + yc * np.log(mu / (rr + mu)))
            nll[c] = np.where(finite, nb, pois)
            d1[c] = np.where(finite, (mu - yc) * rr / (mu * (rr + mu)), 1 - yc / mu)
            w[c] = np.where(finite, rr / (mu * (rr + mu)), 1 / mu)
            return nll, d1, w

        def nll_of(z: np.ndarray, f: np.ndarray) -> float:
            x = to_x(z)
            total = float(target_terms(f[:nt])[0].sum()) if nt else 0.0
            for i, fn in direct:
                total += fn(x[i], z[i])[0]
            return total

        def derivatives(z: np.ndarray, f: np.ndarray, jac: np.ndarray, *, exact: bool):
            x = to_x(z)
            g, h = np.zeros(k), np.zeros((k, k))
            if nt:
                _, d1, w = target_terms(f[:nt])
                jt = jac[:nt]
                g += jt.T @ d1
                h += jt.T @ (w[:, None] * jt)
            for i, fn in direct:
                _, dx, dxx, in_z = fn(x[i], z[i])
                if in_z:  # the term is written on the transformed scale already
                    g[i] += dx
                    h[i, i] += dxx
                else:
                    s1, s2 = slope(x[i], tf[i]), curvature(x[i], tf[i])
                    g[i] += dx * s1
                    hz = dxx * s1 ** 2 + dx * s2
                    h[i, i] += hz if exact else max(hz, dxx * s1 ** 2 * 0.1, 0.0)
            return g, h

        def evaluate(z: np.ndarray, *, with_jacobian: bool):
            if not with_jacobian:
                return simulated(to_x(z)[None, :])[0], None
            hstep = np.where(z + 1e-5 > zhi, -1e-5, 1e-5)
            zs = np.vstack([z, z + np.diag(hstep)])
            values = simulated(to_x(zs))
            return values[0], ((values[1:] - values[0]) / hstep[:, None]).T if values.size else np.zeros((0, k))

        z = np.clip(np.array([forward(v, t) for v, t in zip(x0, tf)], float), zlo, zhi)
        f, jac = evaluate(z, with_jacobian=True)
        nll = nll_of(z, f)
        damping, converged, message, iterations = 1e-3, False, "the iteration limit was reached", 0
        g, h = derivatives(z, f, jac, exact=False)
        while iterations < max_iterations:
            iterations += 1
            scale = np.maximum(np.diag(h), 1e-8)
            try:
                step = np.linalg.solve(h + damping * np.diag(scale), -g)
            except np.linalg.LinAlgError:
                damping *= 10
                continue
            candidate = np.clip(z + step, zlo, zhi)
            moved = candidate - z
            f_new, _ = evaluate(candidate, with_jacobian=False)
            nll_new = nll_of(candidate, f_new)
            if np.isfinite(nll_new) and nll_new <= nll + 1e-12 * abs(nll):
                gain = nll - nll_new
                z, nll = candidate, nll_new
                f, jac = evaluate(z, with_jacobian=True)
                g, h = derivatives(z, f, jac, exact=False)
                damping = max(damping / 3, 1e-9)
                free = ~(((z <= zlo) & (g > 0)) | ((z >= zhi) & (g < 0)))
                if (gain <= 1e-10 * (1 + abs(nll)) and (np.abs(moved) < 1e-7).all()) or \
                        _decrement(g[free], h[np.ix_(free, free)]) < 1e-10:
                    converged, message = True, "the likelihood's gradient vanished"
                    break
            else:
                damping *= 4
                if damping > 1e12:
                    converged = bool((np.abs(moved) < 1e-6).all())
                    message = "no step improves the likelihood" + (" (at its optimum)" if converged else "")
                    break
        self.iterations_ = iterations
        _, h = derivatives(z, f, jac, exact=True)
        x = to_x(z)
        at_bound = (z <= zlo + 1e-9) | (z >= zhi - 1e-9)
        cov_z = _inverse(h)
        fitted_all = f
        resid, labels, obs_all, fit_all, used = self._residuals(names, x, fitted_all, observed)
        fitted_resid = resid[used]
        self.dof_ = max(int(used.sum()) - k, 1)
        self.chi2_ = float(fitted_resid @ fitted_resid)
        if self.targets and all(t.likelihood == "normal" for t in self.targets) and not (self.exposures
                                                                                        or self.binomials):
            cov_z = cov_z * max(1.0, self.chi2_ / self.dof_)
        se_z = np.sqrt(np.clip(np.diag(cov_z), 0, None))
        dxdz = np.array([slope(x[i], tf[i]) for i in range(k)])
        cov_x = cov_z * np.outer(dxdz, dxdz)
        self.transformed_covariance_ = pd.DataFrame(cov_z, index=names, columns=names)
        self.covariance_ = pd.DataFrame(cov_x, index=names, columns=names)
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = cov_z / np.outer(se_z, se_z)
        self.correlation_ = pd.DataFrame(np.where(np.isfinite(corr), corr, 0.0), index=names, columns=names)
        low = np.array([backward(z[i] - 1.96 * se_z[i], tf[i]) for i in range(k)])
        high = np.array([backward(z[i] + 1.96 * se_z[i], tf[i]) for i in range(k)])
        self.estimates_ = pd.DataFrame({"start": x0, "estimate": x, "std_error": se_z * dxdz, "low": low,
                                        "high": high, "transform": tf, "z": z, "z_std_error": se_z,
                                        "at_bound": at_bound}, index=pd.Index(names, name="parameter"))
        self.fit_ = pd.DataFrame({"observed": obs_all, "fitted": fit_all, "residual": resid, "fitted_in": used},
                                 index=pd.Index(labels, name="target"))
        gaps = fitted_all[:nt] - y
        self.rmse_ = float(np.sqrt(np.mean(gaps ** 2))) if nt else 0.0
        self.nll_ = float(nll)
        self.success_, self.message_ = bool(converged), message
        self.model_ = model.with_constants(**dict(zip(names, x.tolist())))
        return self

    def _direct_terms(self, names: list[str], tf: list[str]):
        """The terms of the likelihood that bear on one parameter each: (index, function of (x, z) giving the
        negative log-likelihood, its first and second derivative, and whether those are in z)."""
        terms = []
        for p in self.priors:
            i = names.index(p.parameter)
            if p.scale == "transformed":
                centre = float(forward(p.value, tf[i]))
                terms.append((i, lambda x, z, c=centre, s=p.sigma: (0.5 * ((z - c) / s) ** 2, (z - c) / s ** 2,
                                                                    1 / s ** 2, True)))
            else:
                terms.append((i, lambda x, z, v=p.value, s=p.sigma: (0.5 * ((x - v) / s) ** 2, (x - v) / s ** 2,
                                                                     1 / s ** 2, False)))
        for e in self.exposures:
            i = names.index(e.parameter)
            terms.append((i, lambda x, z, d=e.events, t=e.exposure: (d * math.log(x) + t / x, d / x - t / x ** 2,
                                                                     -d / x ** 2 + 2 * t / x ** 3, False)))
        for b in self.binomials:
            i = names.index(b.parameter)

            def binomial(x, z, s=b.successes, n=b.trials):
                x = min(max(x, 1e-12), 1 - 1e-12)
                return (-(s * math.log(x) + (n - s) * math.log(1 - x)), -s / x + (n - s) / (1 - x),
                        s / x ** 2 + (n - s) / (1 - x) ** 2, False)
            terms.append((i, binomial))
        return terms

    def _residuals(self, names, x, fitted, observed):
        labels, obs, fit, resid, used = [], [], [], [], []
        for j, t in enumerate(observed):
            f = float(fitted[j])
            labels.append(t.label or f"{t.variable} at {t.time:g}")
            obs.append(t.value)
            fit.append(f)
            if t.likelihood == "normal":
                resid.append((f - t.value) / t.sigma)
            else:
                var = max(f, 1e-9) * (1 + (max(f, 1e-9) / t.dispersion if math.isfinite(t.dispersion) else 0))
                resid.append((f - t.value) / math.sqrt(var))
            used.append(j < len(self.targets))
        for p in self.priors:
            v = x[names.index(p.parameter)]
            labels.append(f"prior {p.parameter}")
            obs.append(p.value)
            fit.append(v)
            t = self.transforms[p.parameter]
            resid.append((v - p.value) / p.sigma if p.scale == "natural" else
                         float(forward(v, t) - forward(p.value, t)) / p.sigma)
            used.append(True)
        for e in self.exposures:
            v = x[names.index(e.parameter)]
            labels.append(e.label or f"time in stage {e.parameter}")
            raw = e.exposure / e.events if e.events else math.inf
            obs.append(raw)
            fit.append(v)
            resid.append((math.log(v) - math.log(raw)) * math.sqrt(e.events) if e.events else 0.0)
            used.append(True)
        for b in self.binomials:
            v = x[names.index(b.parameter)]
            labels.append(b.label or f"conversion {b.parameter}")
            share = b.successes / b.trials if b.trials else math.nan
            obs.append(share)
            fit.append(v)
            resid.append((v - share) / math.sqrt(max(v * (1 - v), 1e-12) / b.trials) if b.trials else 0.0)
            used.append(True)
        return np.array(resid, float), labels, np.array(obs, float), np.array(fit, float), np.array(used, bool)

    def joint(self) -> JointNormal:
        """The fitted parameters' joint distribution for Monte Carlo: a multivariate normal on the transformed
        scale with the Laplace covariance (correlations kept), drawn back on the parameters' scale."""
        est = self.estimates_
        cov = self.transformed_covariance_.to_numpy()
        return JointNormal(tuple(est.index), tuple(est["z"].astype(float)), tuple(map(tuple, cov)),
                           tuple(est["transform"]))


def _decrement(g: np.ndarray, h: np.ndarray) -> float:
    """Newton's decrement: how much further the negative log-likelihood would fall by a Newton step."""
    if not g.size:
        return 0.0
    try:
        return float(0.5 * g @ np.linalg.solve(h, g))
    except np.linalg.LinAlgError:
        return math.inf


def _inverse(h: np.ndarray) -> np.ndarray:
    """The inverse of a Hessian (a pseudo-inverse where the data leave a direction undetermined)."""
    h = (h + h.T) / 2
    try:
        out = np.linalg.inv(h)
        if np.all(np.isfinite(out)) and np.all(np.diag(out) >= 0):
            return (out + out.T) / 2
    except np.linalg.LinAlgError:
        pass
    return np.linalg.pinv(h)

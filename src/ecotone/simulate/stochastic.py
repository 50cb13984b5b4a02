"""Process noise: a stochastic stepper that moves whole units (innovations) between counted stocks by binomial draws.

Where a stock holds few things — a hub with one innovation in clinical validation — the deterministic model's
"0.3 of an innovation approved this month" hides the chance that none is approved for a year. The stochastic
stepper runs the same built model, but each step the counted stocks change by draws, as a chain-binomial
(stochastic stock-flow) model does:

- the units leaving a counted stock are binomial: each of its ``n`` units leaves with the probability the Euler
  step gives it (the stock's outflows × dt / n), and those leaving are split over its outflows by conditional
  binomials (a multinomial) in proportion to the flows;
- units arriving from outside the counted stocks (new ideas) are Poisson with mean inflow × dt, except the
  ``exact`` inflows (a cohort of known size), which bring their expected number (rounded by a draw);
- every other stock (capital, reputation…) moves deterministically (Euler), following the expected flows
  given the counted stocks' current values.

The mean of a chain binomial whose flows are linear in the counts is the deterministic Euler run exactly; with
feedback it is close. Draws are inverse-CDF draws from uniforms, and a run uses the uniforms of its *stream*
(``streams``): runs given the same stream share their random numbers (common random numbers), so a scenario's run
k and the baseline's run k see the same luck, and their difference is the intervention's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .engine import BuiltModel, Results, Stepper, build, recorded_results, recording
from .equations import canonical
from .spec import Model, ModelError

__all__ = ["StochasticSimulator", "binomial_icdf", "poisson_icdf"]

#: Above this variance a count is drawn from its normal approximation (rounded, clipped): still one uniform per draw.
NORMAL_ABOVE = 40.0


def _binomial(n: np.ndarray, p: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Binomial counts at quantiles ``u`` (flat arrays; ``p`` within 0–1) and each draw's leftover uniform: where
    ``u`` fell inside its count's band of the CDF, rescaled to 0–1 (independent of the count, so it can draw the
    next, conditional, count of the same run)."""
    cdf = np.log1p(-np.minimum(p, 1 - 1e-12))
    cdf *= n
    np.exp(cdf, out=cdf)  # P(0); 1 where n is 0
    count = np.zeros(n.shape)
    left = np.array(u, dtype=float)  # the leftover matters only where the count is above 0
    idx = np.flatnonzero(u > cdf)
    if not idx.size:
        return count, left
    nn, pp, uu = n[idx], np.minimum(p[idx], 1 - 1e-12), u[idx]
    var = nn * pp * (1 - pp)
    big = var > NORMAL_ABOVE
    if big.any():
        b = idx[big]
        x = nn[big] * pp[big] + np.sqrt(var[big]) * special.ndtri(uu[big]) + 0.5
        count[b] = np.clip(np.floor(x), 0, nn[big])
        left[b] = x - np.floor(x)
        keep = ~big
        idx, nn, pp, uu = idx[keep], nn[keep], pp[keep], uu[keep]
    pmf = cdf[idx]
    below = pmf
    ratio = pp / (1 - pp)
    k = 0
    while idx.size:
        k += 1
        pmf = pmf * ((nn - (k - 1)) / k) * ratio
        top = below + pmf
        count[idx] = k
        left[idx] = np.clip((uu - below) / np.where(pmf > 0, pmf, 1.0), 0, 1)
        more = (uu > top) & (nn > k) & (pmf > 0)
        idx, nn, uu, pmf, below, ratio = idx[more], nn[more], uu[more], pmf[more], top[more], ratio[more]
    return count, left


def binomial_icdf(n: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The binomial(n, p) count at quantile ``u`` (inverse CDF; the normal approximation where n·p·(1−p) is large).
    Monotone in ``u``, so shared uniforms give coupled draws.

    Examples
    --------
    >>> u = (np.arange(20000) + 0.5) / 20000
    >>> x = binomial_icdf(np.full(20000, 10.0), np.full(20000, 0.3), u)
    >>> round(float(x.mean()), 2), round(float(x.var()), 2), int(x.min()), int(x.max())
    (3.0, 2.1, 0, 9)
    """
    n, p, u = np.broadcast_arrays(np.asarray(n, float), np.clip(np.asarray(p, float), 0, 1), np.asarray(u, float))
    count, _ = _binomial(n.ravel(), p.ravel(), u.ravel())
    return np.where(p >= 1, n, count.reshape(n.shape))


def poisson_icdf(mean: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The Poisson count of ``mean`` at quantile ``u`` (inverse CDF; normal approximation for large means).

    Examples
    --------
    >>> u = (np.arange(20000) + 0.5) / 20000
    >>> x = poisson_icdf(np.full(20000, 2.5), u)
    >>> round(float(x.mean()), 2), round(float(x.var()), 2)
    (2.5, 2.5)
    """
    mean, u = np.broadcast_arrays(np.clip(np.asarray(mean, float), 0, None), np.asarray(u, float))
    shape, lam, u = mean.shape, mean.ravel(), u.ravel()
    cdf = np.exp(-lam)
    out = np.zeros(lam.shape)
    idx = np.flatnonzero(u > cdf)
    if idx.size:
        ll, uu = lam[idx], u[idx]
        big = ll > NORMAL_ABOVE
        if big.any():
            out[idx[big]] = np.clip(np.floor(ll[big] + np.sqrt(ll[big]) * special.ndtri(uu[big]) + 0.5), 0, None)
            idx, ll, uu = idx[~big], ll[~big], uu[~big]
        pmf = cdf[idx]
        top = pmf
        k = 0
        while idx.size:
            k += 1
            out[idx] = k
            pmf = pmf * ll / k
            top = top + pmf
            more = (uu > top) & (pmf > 1e-300)
            idx, ll, uu, pmf, top = idx[more], ll[more], uu[more], pmf[more], top[more]
    return out.reshape(shape)


class StochasticSimulator:
    """Runs a model for an ensemble with process noise on its ``counted`` stocks (chain binomial; see the module).

    Parameters
    ----------
    counted : the stocks that hold whole units (innovations); their initial values are rounded by a draw.
    exact : inflows of counted stocks that bring their expected number of units rather than a Poisson number.
    seed : the random streams' seed.
    save_every, variables, progress : as :class:`~ecotone.simulate.engine.Simulator`'s.

    Examples
    --------
    A queue of 20 patients discharged at 1/4 a day: the mean of 4000 noisy runs is the deterministic run.

    >>> from ecotone.simulate.spec import Flow, Stock
    >>> m = Model("ward", stocks=[Stock("patients", 20, outflows=("discharges",))],
    ...           flows=[Flow("discharges", "patients / 4")], stop=8, dt=0.5)
    >>> r = StochasticSimulator(counted=["patients"], seed=1, save_every=8).run(m, runs=4000)
    >>> x = r.final("patients")
    >>> expected = 20 * (1 - 0.5 / 4) ** 16  # the Euler run: 2.36
    >>> bool((x == np.round(x)).all()), bool(abs(x.mean() - expected) < 3 * x.std() / np.sqrt(4000))
    (True, True)
    """

    def __init__(self, *, counted: Sequence[str], exact: Sequence[str] = (), seed: int | None = 0,
                 save_every: float | None = None, variables: Sequence[str] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.counted = [canonical(c) for c in counted]
        self.exact = {canonical(f) for f in exact}
        self.seed = seed
        self.save_every = save_every
        self.variables = variables
        self.progress = progress

    def _plan(self, built: BuiltModel):
        m = built.model
        stocks = {canonical(s.name): s for s in m.stocks}
        missing = [c for c in self.counted if c not in stocks]
        if missing:
            raise ModelError(f"cannot count {', '.join(map(repr, missing))}: not stocks of {m.name!r}")
        where = {k: i for i, k in enumerate(built.stocks)}
        rec = {k: i for i, k in enumerate(built.recorded)}
        counted = set(self.counted)
        source = {canonical(f): c for c in self.counted for f in stocks[c].outflows}
        leaving = []  # (stock position, [flow positions in recorded])
        for c in self.counted:
            outs = [rec[canonical(f)] for f in stocks[c].outflows]
            if outs:
                leaving.append((where[c], outs, [canonical(f) for f in stocks[c].outflows]))
        arrivals = []  # (flow position, flow key, exact?, [target stock positions])
        transfers = {}  # flow key → target stock positions
        for c in self.counted:
            for f in (canonical(x) for x in stocks[c].inflows):
                if f in source:
                    transfers.setdefault(f, []).append(where[c])
                else:
                    arrivals.append((rec[f], f, f in self.exact, where[c]))
        for f in self.exact:
            if f not in {a[1] for a in arrivals}:
                raise ModelError(f"{f!r} is not an inflow of a counted stock from outside them, so it cannot be exact")
        counted_pos = [where[c] for c in self.counted]
        return leaving, arrivals, transfers, counted_pos, counted

    def run(self, model: Model | BuiltModel, params: Mapping[str, Any] | pd.DataFrame | None = None, *,
            runs: int | None = None, streams: Sequence[int] | np.ndarray | None = None) -> Results:
        """Run ``model`` once per row of ``params`` with process noise; run ``i`` draws from stream
        ``streams[i]`` (its own, ``i``, when None): give scenarios' runs the baseline's streams for common random
        numbers."""
        built = model if isinstance(model, BuiltModel) else build(model)
        m = built.model
        if m.method != "euler":
            raise ModelError(f"process noise steps by Euler; {m.name!r} asks for {m.method}")
        leaving, arrivals, transfers, counted_pos, _ = self._plan(built)
        stepper = Stepper(built, params, runs=runs, seed=self.seed)
        table, n = stepper.table, stepper.runs
        stream = np.arange(n) if streams is None else np.asarray(streams, dtype=int)
        if stream.shape != (n,) or (n and stream.min() < 0):
            raise ModelError(f"streams: give one stream number (0 or more) per run ({n} runs)")
        width = int(stream.max()) + 1 if n else 0
        steps, every, keep, times = recording(built, self.save_every, self.variables)
        out = np.empty((len(times), len(keep), n))
        dt = m.dt
        rng = np.random.default_rng(self.seed)
        draws_per_step = len(leaving) + len(arrivals)

        def uniforms(count: int) -> np.ndarray:
            u = rng.random((count, width))
            return u[:, stream] if streams is not None else u

        stock_pos = [pos for pos, _, _ in leaving]
        flow_pos = [j for _, outs, _ in leaving for j in outs]
        sizes = np.array([len(outs) for _, outs, _ in leaving], int)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
        same_size = bool(len(sizes)) and bool((sizes == sizes[0]).all())
        moved_row = {f: starts[r] + j for r, (_, _, keys) in enumerate(leaving) for j, f in enumerate(keys)}
        counted_set = set(counted_pos)
        flows = np.empty((len(flow_pos), n))
        held = np.empty((len(stock_pos), n))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            s = stepper.start()
            u0 = uniforms(len(counted_pos))
            for j, pos in enumerate(counted_pos):
                whole = np.floor(np.maximum(s[pos], 0.0))
                s[pos] = whole + (u0[j] < np.maximum(s[pos], 0.0) - whole)
            for i in range(steps + 1):
                d, vals = stepper.rates(s, i)
                if i % every == 0:
                    row = out[i // every]
                    for j, idx in enumerate(keep):
                        row[j] = vals[idx]
                if i == steps:
                    break
                u = uniforms(draws_per_step) if draws_per_step else None
                new = [x if j in counted_set else x + dt * np.asarray(y) for j, (x, y) in enumerate(zip(s, d))]
                if leaving:
                    for r, j in enumerate(flow_pos):
                        np.maximum(vals[j], 0.0, out=flows[r])
                    rate = flows.reshape(len(sizes), sizes[0], n).sum(axis=1) if same_size else \
                        np.add.reduceat(flows, starts, axis=0)
                    for r, pos in enumerate(stock_pos):
                        held[r] = s[pos]
                    # a stock's flows are 0 when it is empty (first-order outflows), so dividing by at least 1
                    # leaves an empty stock's share 0 without a masked division
                    share = rate * dt / np.maximum(held, 1.0)
                    gone, left = _binomial(held.ravel(), share.ravel(), u[:len(leaving)].ravel())
                    gone, left = gone.reshape(held.shape), left.reshape(held.shape)
                    for r, pos in enumerate(stock_pos):
                        new[pos] = new[pos] - gone[r]
                    moved = _split(gone, left, flows, rate, sizes, starts)
                    for f, targets in transfers.items():
                        for pos in targets:
                            new[pos] = new[pos] + moved[moved_row[f]]
                for j, (flow, key, exact, pos) in enumerate(arrivals):
                    mean = np.maximum(np.broadcast_to(vals[flow], (n,)), 0.0) * dt
                    uj = u[len(leaving) + j]
                    if exact:
                        whole = np.floor(mean)
                        got = whole + (uj < mean - whole)
                    else:
                        got = poisson_icdf(mean, uj)
                    new[pos] = new[pos] + got
                s = new
                if self.progress is not None and i % 50 == 0:
                    self.progress(i, steps)
        if self.progress is not None:
            self.progress(steps, steps)
        return recorded_results(built, keep, times, out, table)


def _split(gone: np.ndarray, left: np.ndarray, flows: np.ndarray, rate: np.ndarray, sizes: np.ndarray,
           starts: np.ndarray) -> np.ndarray:
    """Those leaving each stock (``gone``, a row per stock) split over its outflows (a row per outflow, in
    ``flows``' order) by conditional binomials in proportion to the flows, each drawn from the leftover uniform
    of the draw before it; worked on the runs where someone left only."""
    n = gone.shape[1]
    moved = np.zeros(flows.shape)
    idx = np.flatnonzero(gone > 0)
    if not idx.size:
        return moved
    row, col = np.divmod(idx, n)
    rest, remaining, u = gone.ravel()[idx], rate.ravel()[idx], left.ravel()[idx]
    size, first = sizes[row], starts[row]
    flat_moved, flat_flows = moved.reshape(-1), flows.reshape(-1)
    for j in range(int(size.max()) - 1):
        on = size > j + 1
        at = (first + j) * n + col
        fv = flat_flows[at]
        share = np.divide(fv, remaining, out=np.zeros_like(fv), where=(remaining > 0) & on)
        part, u = _binomial(np.where(on, rest, 0.0), np.clip(share, 0, 1), u)
        flat_moved[at[on]] = part[on]
        rest = rest - part
        remaining = remaining - fv
    flat_moved[(first + size - 1) * n + col] = rest
    return moved

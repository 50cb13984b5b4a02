"""Sensitivity: which uncertain parameters move an outcome most (tornado), and variance-based Sobol indices."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .engine import Simulator, BuiltModel
from .uncertainty import Distribution

__all__ = ["sobol", "tornado"]


def _outcome(built: BuiltModel, table: pd.DataFrame, outcome: str, progress) -> np.ndarray:
    steps = int(round((built.model.stop - built.model.start) / built.model.dt))
    sim = Simulator(variables=[outcome], save_every=steps * built.model.dt, progress=progress)
    return sim.run(built, table).final(outcome)


def tornado(built: BuiltModel, distributions: Mapping[str, Distribution], outcome: str, *, low: float = 0.1,
            high: float = 0.9, progress=None) -> pd.DataFrame:
    """Swing of ``outcome`` at the end of the run as each parameter goes from its ``low`` to its ``high``
    quantile, the others held at their medians; one ensemble of 2k + 1 runs. Sorted by swing, largest first.
    ``progress(done, total)`` is told the steps as they run.

    Examples
    --------
    >>> from ecotone.simulate import Constant, Flow, Model, Stock, build
    >>> from ecotone.simulate.uncertainty import Uniform
    >>> m = Model("m", stocks=[Stock("x", 0, inflows=("f",))], flows=[Flow("f", "a + 3 * b")],
    ...           constants=[Constant("a", 1), Constant("b", 1)], stop=1, dt=1)
    >>> t = tornado(build(m), {"a": Uniform(0, 2), "b": Uniform(0, 2)}, "x")
    >>> t["parameter"].tolist(), t["swing"].round(2).tolist()
    (['b', 'a'], [4.8, 1.6])
    """
    names = list(distributions)
    k = len(names)
    mid = {n: float(distributions[n].ppf(0.5)) for n in names}
    rows = [dict(mid)]
    for n in names:
        for q in (low, high):
            rows.append({**mid, n: float(distributions[n].ppf(q))})
    y = _outcome(built, pd.DataFrame(rows), outcome, progress)
    out = pd.DataFrame({"parameter": names, "low_value": [rows[1 + 2 * i][n] for i, n in enumerate(names)],
                        "high_value": [rows[2 + 2 * i][n] for i, n in enumerate(names)],
                        "at_low": y[1:2 * k + 1:2], "at_high": y[2:2 * k + 2:2], "baseline": y[0]})
    out["swing"] = (out["at_high"] - out["at_low"]).abs()
    return out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def sobol(built: BuiltModel, distributions: Mapping[str, Distribution], outcome: str, *, n: int = 1024,
          seed: int | None = 0, resamples: int = 200, progress=None) -> pd.DataFrame:
    """First-order (S1, Saltelli 2010) and total (ST, Jansen) Sobol indices of ``outcome`` at the end of the run:
    the share of its variance each parameter explains alone, and with its interactions; one ensemble of
    n(k + 2) runs. ``S1_conf`` and ``ST_conf`` are the half-widths of 95% bootstrap intervals (``resamples``
    resamples of the runs, as SALib reports them). Sorted by ST.

    Examples
    --------
    >>> from ecotone.simulate import Aux, Constant, Model, build
    >>> from ecotone.simulate.uncertainty import Uniform
    >>> m = Model("linear", auxes=[Aux("y", "a + 2 * b")], constants=[Constant("a", 0), Constant("b", 0)],
    ...           stop=1, dt=1)
    >>> s = sobol(build(m), {"a": Uniform(0, 1), "b": Uniform(0, 1)}, "y", n=16384)
    >>> s["S1"].round(1).tolist()  # variances 1/12 and 4/12: shares 0.2 and 0.8
    [0.8, 0.2]
    """
    names = list(distributions)
    k = len(names)
    rng = np.random.default_rng(seed)
    a, b = rng.random((n, k)), rng.random((n, k))
    blocks = [a, b]
    for i in range(k):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    u = np.clip(np.vstack(blocks), 1e-9, 1 - 1e-9)
    table = pd.DataFrame({nm: distributions[nm].ppf(u[:, i]) for i, nm in enumerate(names)})
    y = _outcome(built, table, outcome, progress)
    ya, yb = y[:n], y[n:2 * n]
    boot = np.vstack([np.arange(n), rng.integers(0, n, (resamples, n))])  # row 0: the sample itself
    a_, b_ = ya[boot], yb[boot]
    var = np.var(np.concatenate([a_, b_], axis=1), axis=1)
    var = np.where(var > 0, var, np.nan)
    rows = []
    for i, nm in enumerate(names):
        ab = y[(2 + i) * n:(3 + i) * n][boot]
        s1 = np.nan_to_num(np.mean(b_ * (ab - a_), axis=1) / var)
        st = np.nan_to_num(0.5 * np.mean((a_ - ab) ** 2, axis=1) / var)
        z = 1.959964
        rows.append({"parameter": nm, "S1": float(s1[0]), "S1_conf": float(z * np.std(s1[1:])),
                     "ST": float(st[0]), "ST_conf": float(z * np.std(st[1:]))})
    return pd.DataFrame(rows).sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)

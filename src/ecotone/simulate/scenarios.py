"""Scenarios: named interventions as changes to the ecosystem model's levers, compared with Monte Carlo bands.

Every scenario runs on the same parameter draws as the baseline (common random numbers), all in one ensemble, so
a difference between scenarios is the intervention's and not the luck of the draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .engine import Simulator, build
from .spec import Model, ModelError

__all__ = ["Intervention", "OUTCOMES", "MECHANISMS", "ScenarioComparison", "accelerator_cohort",
           "clinician_engagement", "connect", "fast_track", "seed_fund"]

#: Outcomes compared at the horizon, and which way is better (+1 more, -1 fewer, 0 neither).
OUTCOMES = {"market_years": 1, "on_market": 1, "cross_border": 1, "stopped": -1, "in_pipeline": 0}
#: Intermediate variables that explain how an intervention works (averaged over the run).
MECHANISMS = ("validation_time", "approval_time", "scale_time", "clinicians", "capital", "talent", "reputation")


@dataclass(frozen=True)
class Intervention:
    """An intervention: a name, what it changes (lever → ("add" | "set", value)) and how it is meant to work."""

    name: str
    changes: tuple[tuple[str, str, float], ...]
    mechanism: str

    def apply(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = dict(values)
        for lever, op, value in self.changes:
            if lever not in out:
                raise ModelError(f"{self.name}: the model has no lever {lever!r}")
            out[lever] = out[lever] + value if op == "add" else np.full_like(out[lever], value, dtype=float)
        return out


def connect(partner: str, *, partner_clinicians: float, new_ties: float, share: float = 0.25) -> Intervention:
    """Connect the hub with ``partner``: a ``share`` of its clinicians open their sites to the hub's innovations,
    and ``new_ties`` cross-hub ties open markets.

    Examples
    --------
    >>> connect("Barcelona Health Hub", partner_clinicians=8, new_ties=6).changes
    (('partner_clinicians', 'add', 2.0), ('new_cross_hub_ties', 'add', 6.0))
    """
    return Intervention(f"connect with {partner}", (("partner_clinicians", "add", share * partner_clinicians),
                                                    ("new_cross_hub_ties", "add", float(new_ties))),
                        f"{share * partner_clinicians:g} of {partner}'s clinicians join validation (capacity up, "
                        f"congestion down) and {new_ties:g} new ties open foreign markets (scaling crosses borders "
                        "sooner)")


def fast_track(*, months: float = 3.0, share: float = 0.5) -> Intervention:
    """A pre-approved regulatory pathway (as Germany's DiGA fast track: a decision in 3 months) for the ``share``
    of innovations eligible."""
    return Intervention("regulatory fast track", (("fast_track_share", "set", share),
                                                  ("fast_track_months", "set", months)),
                        f"{share:.0%} of innovations are decided in {months:g} months instead of the pathway's time "
                        "(approval is quicker, launches come sooner and feed reputation)")


def clinician_engagement(*, per_month: float = 1.0, months: float = 12.0) -> Intervention:
    """A programme recruiting ``per_month`` clinicians into innovation work for ``months`` months."""
    return Intervention("clinician engagement", (("engagement_programme", "set", per_month),
                                                 ("programme_months", "set", months)),
                        f"{per_month * months:g} clinicians recruited over {months:g} months (validation capacity up)")


def seed_fund(*, amount: float = 5.0) -> Intervention:
    """A seed fund of ``amount`` EUR million injected at the start."""
    return Intervention("seed fund", (("seed_fund", "add", amount),),
                        f"EUR {amount:g} million of capital (more startups form while it lasts)")


def accelerator_cohort(*, size: float = 10.0, mentors: float = 3.0) -> Intervention:
    """An accelerator cohort: ``size`` prototypes enter at once and ``mentors`` mentors join the hub."""
    return Intervention("accelerator cohort", (("cohort_size", "add", size), ("cohort_mentors", "add", mentors)),
                        f"{size:g} prototypes enter the pipeline and {mentors:g} mentors raise talent (prototypes "
                        "succeed more, more startups form)")


def _median_percent(end: np.ndarray, base: np.ndarray) -> float | None:
    """The median relative change in %, over the draws where the baseline is not zero (None if it always is)."""
    inside = base != 0
    return float(100 * np.median((end[inside] - base[inside]) / base[inside])) if inside.any() else None


class ScenarioComparison:
    """Run a baseline and scenarios (each a list of interventions) on the same Monte Carlo draws, in one ensemble.

    Parameters
    ----------
    scenarios : scenario name → interventions (combined in order).
    save_every : months between recorded points.

    Attributes (after :meth:`run`)
    ------------------------------
    results_ : the ensemble (runs of the baseline first, then each scenario's).
    summary_ : per scenario and outcome at the horizon: median, 5% and 95%; the median change against the baseline
        over paired draws (absolute and in %), and the share of draws in which the scenario does better.
    mechanisms_ : per scenario: the intermediate variables (mean over the run, median over draws).
    bands_ : per scenario, outcome and time: 5%, 50% and 95% quantiles of the outcome (p5, p50, p95) and of its
        difference from the baseline in the same draw (d5, d50, d95).
    """

    def __init__(self, *, scenarios: Mapping[str, Sequence[Intervention]], save_every: float = 1.0,
                 outcomes: Sequence[str] = tuple(OUTCOMES), progress=None) -> None:
        self.scenarios = {"baseline": [], **{k: list(v) for k, v in scenarios.items() if k != "baseline"}}
        self.save_every = save_every
        self.outcomes = list(outcomes)
        self.progress = progress

    def run(self, model: Model, draws: pd.DataFrame | None = None) -> ScenarioComparison:
        """Run every scenario for every row of ``draws`` (the Monte Carlo parameter sets; one run when None)."""
        built = build(model)
        draws = draws if draws is not None and len(draws.columns) else pd.DataFrame(index=range(1))
        n = len(draws)
        levers = {c.name for c in model.constants}
        base = {c.name: np.full(n, c.value) for c in model.constants}
        base.update({c: draws[c].to_numpy(float) for c in draws.columns})
        blocks = []
        for name, interventions in self.scenarios.items():
            values = base
            for intervention in interventions:
                values = intervention.apply(values)
            blocks.append(pd.DataFrame({k: v for k, v in values.items() if k in levers}))
        table = pd.concat(blocks, ignore_index=True)
        variables = list(dict.fromkeys([*self.outcomes, *MECHANISMS]))
        progress = (lambda done, total: self.progress("simulating", done, total)) if self.progress else None
        self.results_ = Simulator(save_every=self.save_every, variables=variables, progress=progress).run(built, table)
        self._summarise(n)
        return self

    def _series(self, variable: str, k: int, n: int) -> np.ndarray:
        return self.results_.series(variable)[:, k * n:(k + 1) * n]

    def _summarise(self, n: int) -> None:
        rows, mech, bands = [], [], []
        names = list(self.scenarios)
        for k, name in enumerate(names):
            for outcome in self.outcomes:
                end, base = self._series(outcome, k, n)[-1], self._series(outcome, 0, n)[-1]
                direction = OUTCOMES.get(outcome, 1)
                better = (end - base) * direction > 1e-9
                rows.append({"scenario": name, "outcome": outcome, "median": float(np.median(end)),
                             "p5": float(np.quantile(end, 0.05)), "p95": float(np.quantile(end, 0.95)),
                             "change": float(np.median(end - base)),
                             "change_pct": _median_percent(end, base),
                             "better_in": float(np.mean(better)) if k and direction else None})
                series = self._series(outcome, k, n)
                q = np.quantile(series, [0.05, 0.5, 0.95], axis=1)
                d = np.quantile(series - self._series(outcome, 0, n), [0.05, 0.5, 0.95], axis=1)
                bands.append(pd.DataFrame({"scenario": name, "outcome": outcome, "time": self.results_.times,
                                           "p5": q[0], "p50": q[1], "p95": q[2], "d5": d[0], "d50": d[1],
                                           "d95": d[2]}))
            mech.append({"scenario": name, **{m: float(np.median(self._series(m, k, n).mean(axis=0)))
                                              for m in MECHANISMS}})
        self.summary_ = pd.DataFrame(rows)
        self.mechanisms_ = pd.DataFrame(mech).set_index("scenario")
        self.bands_ = pd.concat(bands, ignore_index=True)

    def explain(self) -> dict[str, str]:
        """One sentence per scenario: what it changed at the horizon and through which variables."""
        out = {}
        base = self.mechanisms_.loc["baseline"]
        for name, interventions in self.scenarios.items():
            if name == "baseline":
                continue
            s = self.summary_[self.summary_["scenario"] == name].set_index("outcome")
            moved = []
            for o in self.outcomes:
                row = s.loc[o]
                if abs(row["change"]) < 0.005:
                    continue
                detail = [f"{row['change_pct']:+.1f}%"] if pd.notna(row["change_pct"]) else []
                if OUTCOMES.get(o, 1):
                    detail.append(f"better in {row['better_in']:.0%} of draws")
                moved.append(f"{o.replace('_', ' ')} {row['change']:+.2f}"
                             + (f" ({', '.join(detail)})" if detail else ""))
            m = self.mechanisms_.loc[name]
            shifts = [f"{v.replace('_', ' ')} {base[v]:.3g} → {m[v]:.3g}" for v in MECHANISMS
                      if abs(m[v] - base[v]) > 0.02 * max(abs(base[v]), 1e-9)]
            how = "; ".join(i.mechanism for i in interventions)
            out[name] = (f"{', '.join(moved) or 'no outcome moved'}; because {how}"
                         + (f" — seen in {', '.join(shifts)}" if shifts else ""))
        return out


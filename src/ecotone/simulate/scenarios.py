"""Scenarios: named interventions as changes to the ecosystem model's levers, compared with Monte Carlo bands.

Every scenario runs on the same parameter draws as the baseline (common random numbers), all in one ensemble, so
a difference between scenarios is the intervention's and not the luck of the draw.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Union

import numpy as np
import pandas as pd

from .ecosystem import OPEN_ENDED
from .ecosystem import COUNTED, EXACT_ARRIVALS
from .engine import Simulator, build
from .stochastic import StochasticSimulator
from .spec import Model, ModelError

__all__ = ["Intervention", "OUTCOMES", "MECHANISMS", "ScenarioComparison", "accelerator_cohort",
           "NO_GAIN", "clinician_engagement", "connect", "cost_per_unit", "counted_stocks", "discounted_cost",
           "fast_track", "seed_fund"]

#: Outcomes compared at the horizon, and which way is better (+1 more, -1 fewer, 0 neither).
OUTCOMES = {"market_years": 1, "on_market": 1, "cross_border": 1, "stopped": -1, "in_pipeline": 0}
#: Intermediate variables that explain how an intervention works (averaged over the run).
MECHANISMS = ("validation_time", "approval_time", "scale_time", "clinicians", "capital", "talent", "reputation")


#: A lever's value: a number, or a (low, high) range drawn uniformly per Monte Carlo run.
Value = Union[float, tuple[float, float]]


def _one(value: Value) -> bool:
    """Whether a lever's value reads as one thing (``1 clinician``), not several."""
    return not isinstance(value, tuple) and float(value) == 1.0


def _counted(value: Value, one: str, many: str) -> str:
    """A count with its noun, singular or plural: ``1 clinician``, ``2–4 clinicians``.

    >>> _counted(1.0, "clinician", "clinicians"), _counted((2.0, 4.0), "tie", "ties")
    ('1 clinician', '2–4 ties')
    """
    return f"{_shown(value)} {one if _one(value) else many}"


def _shown(value: Value, fmt: str = "g") -> str:
    """A lever's value in words: ``3`` or ``2–4``.

    >>> _shown((0.3, 0.6), ".0%"), _shown(3.0)
    ('30%–60%', '3')
    """
    if isinstance(value, tuple):
        return f"{value[0]:{fmt}}–{value[1]:{fmt}}"
    return f"{value:{fmt}}"


@dataclass(frozen=True)
class Intervention:
    """An intervention people fund: what it changes, when, how fast, for how long, and at what cost.

    Parameters
    ----------
    name, mechanism : what it is and how it is meant to work, in words.
    changes : (lever, "add" | "set", value); a value given as (low, high) is an uncertain effect, drawn uniformly
        per Monte Carlo run from the same draws in every scenario (common random numbers).
    key : the time profile in the ecosystem model that switches it on (:data:`~ecotone.simulate.ecosystem.LEVERS`).
    start, ramp, duration : months from the run's start until it begins, until it reaches full effect, and that it
        lasts (None: open-ended).
    cost, per_year : EUR paid once at the start, and per year while it runs.

    Examples
    --------
    >>> iv = fast_track(months=(2, 4), share=0.5).timed(start=12, ramp=6, duration=36, cost=250_000)
    >>> iv.start, iv.ramp, iv.duration, iv.cost
    (12.0, 6.0, 36.0, 250000.0)
    >>> v = iv.apply({"fast_track_months": np.zeros(2), "fast_track_share": np.zeros(2),
    ...               "fast_track_start": np.zeros(2), "fast_track_ramp": np.zeros(2),
    ...               "fast_track_duration": np.zeros(2)}, lambda key: np.array([0.0, 1.0]))
    >>> v["fast_track_months"].tolist(), v["fast_track_start"].tolist()
    ([2.0, 4.0], [12.0, 12.0])
    """

    name: str
    changes: tuple[tuple[str, str, Value], ...]
    mechanism: str
    key: str = ""
    start: float = 0.0
    ramp: float = 0.0
    duration: float | None = None
    cost: float = 0.0
    per_year: float = 0.0

    def timed(self, *, start: float | None = None, ramp: float | None = None, duration: float | None = -1.0,
              cost: float | None = None, per_year: float | None = None) -> Intervention:
        """The same intervention with its timing and costs set (``duration=None``: open-ended; -1: unchanged)."""
        for what, value in (("start", start), ("ramp", ramp), ("cost", cost), ("per_year", per_year)):
            if value is not None and (math.isnan(value) or value < 0):
                raise ModelError(f"{self.name}: {what} cannot be negative ({value:g})")
        if duration is not None and duration != -1.0 and not duration > 0:
            raise ModelError(f"{self.name}: the duration must be more than 0 months ({duration:g})")
        return replace(self, start=self.start if start is None else float(start),
                       ramp=self.ramp if ramp is None else float(ramp),
                       duration=self.duration if duration == -1.0 else (None if duration is None else float(duration)),
                       cost=self.cost if cost is None else float(cost),
                       per_year=self.per_year if per_year is None else float(per_year))

    def apply(self, values: dict[str, np.ndarray], uniform=None) -> dict[str, np.ndarray]:
        """The lever values of every run with this intervention applied; ``uniform(key)`` gives the runs' uniform
        draws for an uncertain effect (the midpoint of its range when None)."""
        out = dict(values)
        for lever, op, value in self.changes:
            if lever not in out:
                raise ModelError(f"{self.name}: the model has no lever {lever!r}")
            if isinstance(value, tuple):
                u = uniform(f"{self.key or self.name}.{lever}") if uniform is not None else 0.5
                value = value[0] + (value[1] - value[0]) * np.asarray(u, dtype=float)
            out[lever] = out[lever] + value if op == "add" else np.zeros_like(out[lever], dtype=float) + value
        if self.key:
            timing = {"start": self.start, "ramp": self.ramp,
                      "duration": OPEN_ENDED if self.duration is None else self.duration}
            for part, value in timing.items():
                lever = f"{self.key}_{part}"
                if lever not in out:
                    raise ModelError(f"{self.name}: the model has no lever {lever!r}")
                out[lever] = np.full_like(out[lever], value, dtype=float)
        return out

    def when(self) -> str:
        """Its timing in words.

        >>> fast_track().timed(start=6, ramp=3).when(), seed_fund().timed(ramp=1, duration=12).when()
        ('from month 6, full effect after 3 months, open-ended', 'from the start, full effect after 1 month, for 12 months')
        """
        months = lambda x: f"{x:g} month" + ("" if x == 1 else "s")  # noqa: E731
        return ((f"from month {self.start:g}" if self.start else "from the start")
                + (f", full effect after {months(self.ramp)}" if self.ramp else "")
                + (f", for {months(self.duration)}" if self.duration is not None else ", open-ended"))

    def described(self) -> str:
        """What it does and when, in words.

        >>> fast_track(months=3, share=0.5).timed(start=6, ramp=3, duration=24).described().split(", from")[1]
        ' month 6, full effect after 3 months, for 24 months'
        """
        return f"{self.mechanism}, {self.when()}"


def discounted_cost(intervention: Intervention, horizon: float, rate: float = 0.03) -> float:
    """What an intervention costs over the first ``horizon`` months, discounted at ``rate`` a year to the run's
    start: the one-off cost at its start, and the yearly cost accruing evenly while it runs (until its duration
    ends or the horizon, whichever is first), each EUR paid at year t worth (1 + rate)^-t.

    Examples
    --------
    One-off EUR 100,000 two years in, and EUR 10,000 a year for the two years after, at 3%:

    >>> iv = seed_fund(amount=1).timed(start=24, duration=24, cost=100_000, per_year=10_000)
    >>> round(discounted_cost(iv, horizon=120), 2)
    112565.09
    >>> round(100_000 / 1.03 ** 2 + 10_000 * (1.03 ** -2 - 1.03 ** -4) / math.log(1.03), 2)
    112565.09
    >>> discounted_cost(iv, horizon=12)  # it has not started within a year
    0.0
    """
    if rate < 0 or math.isnan(rate):
        raise ModelError(f"the discount rate cannot be negative ({rate})")
    if intervention.start >= horizon:
        return 0.0
    total = intervention.cost * (1 + rate) ** (-intervention.start / 12)
    a = intervention.start / 12
    b = min(horizon, intervention.start + (intervention.duration if intervention.duration is not None
                                           else math.inf)) / 12
    if intervention.per_year and b > a:
        total += intervention.per_year * ((b - a) if rate == 0 else
                                          ((1 + rate) ** -a - (1 + rate) ** -b) / math.log(1 + rate))
    return float(total)


def connect(partner: str, *, partner_clinicians: float, new_ties: Value, share: Value = 0.25) -> Intervention:
    """Connect the hub with ``partner``: a ``share`` of its clinicians open their sites to the hub's innovations,
    and ``new_ties`` cross-hub ties open markets.

    Examples
    --------
    >>> connect("Barcelona Health Hub", partner_clinicians=8, new_ties=6).changes
    (('partner_clinicians', 'add', 2.0), ('new_cross_hub_ties', 'add', 6.0))
    >>> connect("Barcelona Health Hub", partner_clinicians=4, new_ties=1).mechanism[:69]
    "1 of Barcelona Health Hub's clinicians joins validation (capacity up,"
    """
    clinicians = (tuple(float(s * partner_clinicians) for s in share) if isinstance(share, tuple)
                  else float(share * partner_clinicians))
    ties = tuple(float(t) for t in new_ties) if isinstance(new_ties, tuple) else float(new_ties)
    return Intervention(f"connect with {partner}", (("partner_clinicians", "add", clinicians),
                                                    ("new_cross_hub_ties", "add", ties)),
                        f"{_shown(clinicians)} of {partner}'s clinicians "
                        + ("joins" if _one(clinicians) else "join") + " validation (capacity up, congestion down) and "
                        + _counted(ties, "new tie opens", "new ties open")
                        + " foreign markets (more products cross borders)", key="connect")


def fast_track(*, months: Value = 3.0, share: Value = 0.5) -> Intervention:
    """A pre-approved regulatory pathway (as Germany's DiGA fast track: a decision in 3 months) for the ``share``
    of innovations eligible."""
    return Intervention("regulatory fast track", (("fast_track_share", "set", share),
                                                  ("fast_track_months", "set", months)),
                        f"{_shown(share, '.0%')} of innovations are decided in "
                        f"{_counted(months, 'month', 'months')} instead of the pathway's time (approval is quicker, launches come sooner and feed reputation)",
                        key="fast_track")


def clinician_engagement(*, per_month: Value = 1.0, months: float = 12.0) -> Intervention:
    """A programme recruiting ``per_month`` clinicians into innovation work for ``months`` months."""
    return Intervention("clinician engagement", (("engagement_programme", "set", per_month),),
                        f"{_counted(per_month, 'clinician is', 'clinicians are')} recruited a month (validation "
                        "capacity up)",
                        key="clinicians", duration=float(months))


def seed_fund(*, amount: Value = 5.0) -> Intervention:
    """A seed fund of ``amount`` EUR million injected at its start (or over its ramp)."""
    return Intervention("seed fund", (("seed_fund", "add", amount),),
                        f"EUR {_shown(amount)} million of capital is paid in (more startups form "
                        "while it lasts)", key="seed_fund")


def accelerator_cohort(*, size: Value = 10.0, mentors: Value = 3.0) -> Intervention:
    """An accelerator cohort: ``size`` prototypes enter at once and ``mentors`` mentors join the hub."""
    return Intervention("accelerator cohort", (("cohort_size", "add", size), ("cohort_mentors", "add", mentors)),
                        f"{_counted(size, 'prototype enters', 'prototypes enter')} the pipeline and "
                        f"{_counted(mentors, 'mentor raises', 'mentors raise')} talent "
                        "(prototypes succeed more, more startups form)", key="cohort")


#: What a cost per unit says in words when the draws at that quantile gain nothing.
NO_GAIN = "no gain"
#: The quantiles of a cost per unit, by the suffix of their fields.
QUANTILES = {"median": 0.5, "p5": 0.05, "p95": 0.95}


def cost_per_unit(cost: float, gain: np.ndarray, *, tiny: float = 1e-9) -> dict[str, object]:
    """The gain over paired draws and the cost per unit gained, with 5–95% bands: a draw that gains nothing (or
    loses) costs infinitely much per unit, so a quantile that falls on such draws has no cost per unit (None) and
    is named in ``no_gain_at`` (words say :data:`NO_GAIN` there); the share of draws with a gain says how often
    the money buys something. No cost given: no cost per unit (None) and nothing in ``no_gain_at``.

    Examples
    --------
    >>> r = cost_per_unit(1000.0, np.array([1.0, 2.0, 4.0, 0.0, -1.0]))
    >>> r["gain_share"], r["per_unit_p5"], r["per_unit_median"], r["per_unit_p95"], r["no_gain_at"]
    (0.6, 250.0, 1000.0, None, ('p95',))
    """
    gain = np.asarray(gain, dtype=float)
    per_unit = np.where(gain > tiny, cost / np.where(gain > tiny, gain, 1.0), np.inf)
    at = {q: (float(np.quantile(per_unit, level, method="inverted_cdf")) if cost else None)
          for q, level in QUANTILES.items()}
    none = tuple(q for q in ("p5", "median", "p95") if at[q] is not None and math.isinf(at[q]))
    return {"gain_median": float(np.median(gain)), "gain_p5": float(np.quantile(gain, 0.05)),
            "gain_p95": float(np.quantile(gain, 0.95)), "gain_share": float(np.mean(gain > tiny)),
            **{f"per_unit_{q}": None if q in none else at[q] for q in QUANTILES}, "no_gain_at": none}


def counted_stocks(model: Model) -> tuple[list[str], list[str]]:
    """The stocks of ``model`` that hold whole innovations, and the inflows among theirs that bring a known number
    (a cohort): the ecosystem model's pipeline, or every hub's pipeline of a hub-by-hub network model
    (``idea[hub]``…); none when the model has no such pipeline (it then runs deterministically).

    Examples
    --------
    >>> from ecotone.simulate.ecosystem import HubState, ecosystem_model
    >>> counted, exact = counted_stocks(ecosystem_model(HubState(stages={"idea": 2.0}), years=1))
    >>> counted[0], exact
    ('idea', ['cohort_intake'])
    """
    stocks = {s.name for s in model.stocks}
    flows = {f.name for f in model.flows}
    if set(COUNTED) <= stocks:
        return list(COUNTED), [f for f in EXACT_ARRIVALS if f in flows]
    counted, exact = [], []
    for name in sorted(stocks):
        head, bracket, element = name.partition("[")
        if head != COUNTED[0] or not bracket:
            continue
        hub = [f"{s}[{element}" for s in COUNTED]
        if set(hub) <= stocks:
            counted += hub
            exact += [f"{f}[{element}" for f in EXACT_ARRIVALS if f"{f}[{element}" in flows]
    return counted, exact


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
    seed : seed of the uniform draws behind uncertain effects (the same in every scenario).
    discount_rate : a year's discount rate for costs (3% by default, as health economics commonly uses).

    Attributes (after :meth:`run`)
    ------------------------------
    results_ : the ensemble (runs of the baseline first, then each scenario's).
    summary_ : per scenario and outcome at the horizon: median, 5% and 95%; the median change against the baseline
        over paired draws (absolute and in %), and the shares of draws in which the scenario does better, worse,
        or the same (better_in, worse_in, same_in).
    process_noise_ : whether the runs moved whole innovations by chance (see :meth:`run`).
    mechanisms_ : per scenario: the intermediate variables (mean over the run, median over draws).
    bands_ : per scenario, outcome and time: 5%, 50% and 95% quantiles of the outcome (p5, p50, p95) and of its
        difference from the baseline in the same draw (d5, d50, d95).
    costs_ : per scenario: its interventions' cost over the horizon, discounted and not.
    per_euro_ : per scenario and gain (extra products on the market, extra innovation-years on the market, months
        saved from validation to approval): the gain over paired draws (median, 5%, 95%), the share of draws with a
        gain, and the cost per unit gained (median, 5%, 95%; None where the draws at that quantile gain nothing, as
        the cost per unit of nothing is not a number to compare, and those quantiles named in ``no_gain_at``).
    """

    def __init__(self, *, scenarios: Mapping[str, Sequence[Intervention]], save_every: float = 1.0,
                 outcomes: Sequence[str] = tuple(OUTCOMES), progress=None, seed: int = 0,
                 discount_rate: float = 0.03) -> None:
        self.scenarios = {"baseline": [], **{k: list(v) for k, v in scenarios.items() if k != "baseline"}}
        self.save_every = save_every
        self.outcomes = list(outcomes)
        self.progress = progress
        self.seed = seed
        self.discount_rate = discount_rate
        for name, interventions in self.scenarios.items():
            keys = [i.key for i in interventions if i.key]
            twice = sorted({k for k in keys if keys.count(k) > 1})
            if twice:
                raise ModelError(f"scenario {name!r} holds {twice[0].replace('_', ' ')} twice: one of each kind "
                                 "per scenario (combine their effects in one)")

    def _uniforms(self, n: int):
        """Uniform draws per uncertain effect, Latin-hypercube stratified, the same in every scenario."""
        cache: dict[str, np.ndarray] = {}

        def uniform(key: str) -> np.ndarray:
            if key not in cache:
                rng = np.random.default_rng([self.seed, zlib.crc32(key.encode())])
                cache[key] = (rng.permutation(n) + rng.random(n)) / n
            return cache[key]
        return uniform

    def run(self, model: Model, draws: pd.DataFrame | None = None, *, process_noise: bool = True,
            noise_seed: int = 0) -> ScenarioComparison:
        """Run every scenario for every row of ``draws`` (the Monte Carlo parameter sets; one run when None).

        ``process_noise`` (on by default) moves a model's whole innovations by chance, as few innovations do,
        when it has the ecosystem model's pipeline, or a network model's pipeline per hub
        (:func:`counted_stocks`, :mod:`~ecotone.simulate.stochastic`): run k of every scenario
        uses the random stream of the baseline's run k (common random numbers, seeded by ``noise_seed``), so a
        paired difference is the intervention's. Other models, or ``process_noise=False``, run deterministically.
        """
        built = build(model)
        draws = draws if draws is not None and len(draws.columns) else pd.DataFrame(index=range(1))
        n = len(draws)
        levers = {c.name for c in model.constants}
        base = {c.name: np.full(n, c.value) for c in model.constants}
        base.update({c: draws[c].to_numpy(float) for c in draws.columns})
        blocks = []
        uniform = self._uniforms(n)
        for name, interventions in self.scenarios.items():
            values = base
            for intervention in interventions:
                values = intervention.apply(values, uniform)
            blocks.append(pd.DataFrame({k: v for k, v in values.items() if k in levers}))
        table = pd.concat(blocks, ignore_index=True)
        variables = list(dict.fromkeys([*self.outcomes, *MECHANISMS]))
        progress = (lambda done, total: self.progress("simulating", done, total)) if self.progress else None
        options = dict(save_every=self.save_every, variables=variables, progress=progress)
        counted, exact = counted_stocks(model)
        self.process_noise_ = bool(process_noise and counted)
        if self.process_noise_:
            noisy = StochasticSimulator(counted=counted, exact=exact, seed=noise_seed, **options)
            self.results_ = noisy.run(built, table, streams=np.tile(np.arange(n), len(self.scenarios)))
        else:
            self.results_ = Simulator(**options).run(built, table)
        self._summarise(n)
        self._per_euro(n, model.stop - model.start)
        return self

    def _per_euro(self, n: int, horizon: float) -> None:
        costs, rows = [], []
        decision = [v for v in ("validation_time", "approval_time") if v in self.results_.variables]
        for k, (name, interventions) in enumerate(self.scenarios.items()):
            cost = sum(discounted_cost(i, horizon, self.discount_rate) for i in interventions)
            costs.append({"scenario": name, "cost": cost,
                          "undiscounted": sum(discounted_cost(i, horizon, 0.0) for i in interventions)})
            if not k:
                continue
            gains = {}
            for outcome in ("on_market", "market_years"):
                if outcome in self.results_.variables:
                    gains[outcome] = self._series(outcome, k, n)[-1] - self._series(outcome, 0, n)[-1]
            if decision:
                gains["months_saved"] = sum(self._series(v, 0, n).mean(axis=0) - self._series(v, k, n).mean(axis=0)
                                            for v in decision)
            for gain_name, gain in gains.items():
                rows.append({"scenario": name, "gain": gain_name, "cost": cost, **cost_per_unit(cost, gain)})
        self.costs_ = pd.DataFrame(costs)
        self.per_euro_ = pd.DataFrame(rows, columns=["scenario", "gain", "cost", "gain_median", "gain_p5",
                                                     "gain_p95", "gain_share", "per_unit_median", "per_unit_p5",
                                                     "per_unit_p95", "no_gain_at"])

    def _series(self, variable: str, k: int, n: int) -> np.ndarray:
        return self.results_.series(variable)[:, k * n:(k + 1) * n]

    def _summarise(self, n: int) -> None:
        rows, mech, bands = [], [], []
        names = list(self.scenarios)
        for k, name in enumerate(names):
            for outcome in self.outcomes:
                end, base = self._series(outcome, k, n)[-1], self._series(outcome, 0, n)[-1]
                direction = OUTCOMES.get(outcome, 1)
                gain = (end - base) * direction
                same = np.abs(end - base) <= 1e-9 * np.maximum(1.0, np.abs(base))
                better, worse = (gain > 0) & ~same, (gain < 0) & ~same
                rows.append({"scenario": name, "outcome": outcome, "median": float(np.median(end)),
                             "p5": float(np.quantile(end, 0.05)), "p95": float(np.quantile(end, 0.95)),
                             "change": float(np.median(end - base)),
                             "change_pct": _median_percent(end, base),
                             "better_in": float(np.mean(better)) if k and direction else None,
                             "worse_in": float(np.mean(worse)) if k and direction else None,
                             "same_in": float(np.mean(same)) if k and direction else None})
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
                    detail.append(f"better in {row['better_in']:.0%}, worse in {row['worse_in']:.0%}, the same in "
                                  f"{row['same_in']:.0%} of draws")
                moved.append(f"{o.replace('_', ' ')} {row['change']:+.2f}"
                             + (f" ({', '.join(detail)})" if detail else ""))
            m = self.mechanisms_.loc[name]
            shifts = [f"{v.replace('_', ' ')} {base[v]:.3g} → {m[v]:.3g}" for v in MECHANISMS
                      if abs(m[v] - base[v]) > 0.02 * max(abs(base[v]), 1e-9)]
            how = "; ".join(i.described() for i in interventions)
            said = f"{', '.join(moved)}, because {how}" if moved else \
                f"no outcome moved at the horizon, although {how}"
            out[name] = said + (f" — seen in {', '.join(shifts)}" if shifts else "")
        return out


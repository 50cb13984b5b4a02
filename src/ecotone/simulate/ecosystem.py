"""The built-in ecosystem model: innovations flowing from idea to patients across borders, with the loops of a hub.

Time is in months. Seven stocks hold the innovations at each stage, an eighth those stopped. Each stage is left
at a rate (stock / time in stage); a share moves on, the rest stops. Five loops act on the pipeline
(docs/simulation.md draws them):

- R1 reputation–capital: launches raise the hub's reputation, which draws investment, which fills the capital
  that forms startups, which become launches.
- R2 reputation–clinicians: reputation draws clinicians into innovation work; more clinicians (more clinical
  sites) validate more innovations at once and enrol patients sooner, so launches come sooner.
- B1 validation congestion: more innovations in validation than the clinicians can take slows validation.
- Regulatory support: a fast track (a pre-approved pathway, as Germany's DiGA) shortens approval for the share
  of innovations eligible.
- Cross-hub ties open clinical sites (partner clinicians) and markets (the rate of crossing borders; scaling
  innovations that stop keep their own pace).
- Mentorship feeds talent, which forms startups and makes prototypes succeed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import special

from ..domain import Stage
from .calibrate import Binomial, Calibration, Exposure, Prior, Target
from .spec import Aux, Constant, Flow, Graph, Model, Stock
from .uncertainty import Distribution, Uniform, sample

__all__ = ["BOUNDS", "HubState", "LEVERS", "OPEN_ENDED", "ObservedPipeline", "PooledPriors", "STAGES", "UNCERTAIN", "distributions",
           "ecosystem_model", "fitted_model", "hub_calibration", "lever_profiles", "pooled_priors"]

#: The pipeline's stocks, in order (the domain's stages).
STAGES = [s.value for s in Stage.pipeline()]
#: The flow that leaves each stage forward, and the one that stops there.
_FORWARD = {"idea": "prototyping", "prototype": "entering_validation", "clinical_validation": "validated",
            "regulatory_approval": "approved", "market_launch": "scaling", "scale": "crossing_borders"}
_STOP = {s: f"{s}_stops" for s in _FORWARD}


@dataclass(frozen=True)
class HubState:
    """What the model starts from, read off an atlas: innovations per stage and the hub's actors and ties."""

    name: str = "a hub"
    stages: dict[str, float] = field(default_factory=dict)
    stopped: float = 0.0
    clinicians: float = 10.0
    investors: float = 3.0
    mentors: float = 2.0
    cross_hub_ties: float = 5.0
    approval_months: float = 12.0
    fast_track_months: float = 3.0


def _stage_flows() -> list[Flow]:
    flows = []
    for stage, forward in _FORWARD.items():
        time = {"clinical_validation": "validation_time", "regulatory_approval": "approval_time",
                "scale": "scale_time"}.get(stage, f"time_{stage}")
        success = "prototype_success" if stage == "prototype" else f"success_{stage}"
        flows.append(Flow(forward, f"{stage} * {success} / {time}", "innovations/month",
                          f"innovations leaving {stage.replace('_', ' ')} for the next stage"))
        # open foreign markets speed the crossing, not the giving up: scaling stops keep their own pace
        stop_time = "time_scale" if stage == "scale" else time
        flows.append(Flow(_STOP[stage], f"{stage} * (1 - {success}) / {stop_time}", "innovations/month",
                          f"innovations stopped in {stage.replace('_', ' ')}"))
    return flows


#: The interventions' time profiles: key → (what it is, whether it pays in a one-off amount, default duration).
#: Each key gets constants KEY_start, KEY_ramp, KEY_duration (months) and an auxiliary KEY_on; one-off amounts
#: (a seed fund's capital, a cohort's prototypes) also KEY_paying_in.
LEVERS = {"fast_track": ("the regulatory fast track", False), "connect": ("the connection with another hub", False),
          "clinicians": ("the clinician-engagement programme", False), "seed_fund": ("the seed fund", True),
          "cohort": ("the accelerator cohort", True)}
#: The duration of an open-ended intervention, in months: no end within any horizon.
OPEN_ENDED = 1e6


def lever_profiles() -> tuple[list[Constant], list[Aux]]:
    """The time profile of every intervention: 0 before its start, rising linearly to 1 over its ramp, 0 again
    after its duration; a one-off amount is paid in over the ramp (at once, in one step, when the ramp is 0).

    Examples
    --------
    >>> constants, auxes = lever_profiles()
    >>> [c.name for c in constants[:3]]
    ['fast_track_start', 'fast_track_ramp', 'fast_track_duration']
    >>> auxes[0].equation.split(" * ")  # doctest: +NORMALIZE_WHITESPACE
    ['(STEP(1, fast_track_start) - STEP(1, fast_track_start + fast_track_duration))',
     'MIN(1, SAFEDIV(TIME - fast_track_start, fast_track_ramp, 1))']
    """
    constants, auxes = [], []
    for key, (what, one_off) in LEVERS.items():
        start, ramp, duration = f"{key}_start", f"{key}_ramp", f"{key}_duration"
        constants += [Constant(start, 0, "months", f"months from the start of the run until {what} begins"),
                      Constant(ramp, 0, "months", f"months {what} takes to reach its full effect"),
                      Constant(duration, 12 if key == "clinicians" else OPEN_ENDED, "months",
                               f"months {what} lasts ({OPEN_ENDED:.0f}: open-ended)")]
        # STEP, not IF ... AND ...: PySD reads AND before the comparisons in XMILE
        auxes.append(Aux(f"{key}_on", f"(STEP(1, {start}) - STEP(1, {start} + {duration})) * "
                         f"MIN(1, SAFEDIV(TIME - {start}, {ramp}, 1))",
                         "share", f"how far {what} is in effect: 0 before its start, 1 at full effect"))
        if one_off:
            # PULSE, not 1 / DT, for a ramp of 0 (PySD does not read DT in XMILE equations); two auxiliaries, as
            # PySD does not parse an IF inside another
            auxes.append(Aux(f"{key}_ramping_in", f"(STEP(1, {start}) - STEP(1, {start} + MIN({duration}, "
                             f"{ramp}))) / MAX({ramp}, 0.001)", "share/month",
                             f"the share of {what}'s amount paid in per month over a ramp"))
            auxes.append(Aux(f"{key}_paying_in", f"IF {ramp} > 0 THEN {key}_ramping_in ELSE PULSE(1, {start})",
                             "share/month",
                             f"the share of {what}'s amount paid in per month (all of it over the ramp)"))
    return constants, auxes


def ecosystem_model(state: HubState | None = None, *, years: float = 10, dt: float = 0.25) -> Model:
    """The ecosystem model, started from ``state`` (a generic hub when None), run for ``years`` years.

    Examples
    --------
    >>> from ecotone.simulate import Simulator
    >>> m = ecosystem_model(HubState(stages={"idea": 10, "prototype": 5}), years=5)
    >>> len(m.stocks), len(m.flows), m.stop
    (13, 22, 60.0)
    >>> r = Simulator(save_every=12).run(m)
    >>> bool(r.final("on_market")[0] > 0), bool(r.final("stopped")[0] > 0)
    (True, True)
    """
    s = state or HubState()
    stocks = []
    for i, stage in enumerate(STAGES):
        inflows = (("idea_formation",) if i == 0 else (_FORWARD[STAGES[i - 1]],))
        if stage == "prototype":
            inflows += ("cohort_intake",)
        outflows = (_FORWARD[stage], _STOP[stage]) if stage in _FORWARD else ()
        stocks.append(Stock(stage, s.stages.get(stage, 0.0), inflows, outflows, "innovations",
                            f"innovations in {stage.replace('_', ' ')}"))
    stocks += [
        Stock("stopped", s.stopped, tuple(_STOP.values()), (), "innovations", "innovations stopped, all stages"),
        Stock("reputation", 1, ("recognition",), ("forgetting",), "index",
              "the hub's standing with investors and clinicians (1 at the start)"),
        Stock("capital", "investors * investment_per_investor * capital_turnover", ("investment",), ("spending",),
              "EUR million", "capital available to form and grow startups"),
        Stock("clinicians", "engaged_clinicians", ("recruitment",), ("clinician_attrition",), "people",
              "clinicians working with innovators"),
        Stock("talent", 1, ("talent_growth",), (), "index", "founders and skilled staff (1 at the start)"),
        Stock("market_years", 0, ("market_exposure",), (), "innovation-years",
              "years innovations have spent on the market since the start: sooner launches reach more patients"),
    ]
    flows = _stage_flows() + [
        Flow("idea_formation", "idea_rate * capital_effect * talent ^ talent_elasticity", "innovations/month",
             "new innovations formed by the hub's startups and researchers"),
        Flow("cohort_intake", "cohort_size * cohort_paying_in", "innovations/month",
             "an accelerator cohort entering at prototype (at once, or spread over the cohort's ramp)"),
        Flow("market_exposure", "on_market / 12", "innovation-years/month", "innovations on the market, in years"),
        Flow("recognition", "approved * reputation_per_launch", "index/month", "reputation earned by launches"),
        Flow("forgetting", "(reputation - 1) / reputation_memory", "index/month", "reputation fading back to 1"),
        Flow("investment", "investors * investment_per_investor * reputation ^ investor_elasticity"
             " + seed_fund * seed_fund_paying_in", "EUR million/month",
             "investors' money flowing in (and a seed fund's, at once or over its ramp)"),
        Flow("spending", "capital / capital_turnover", "EUR million/month", "capital spent by startups"),
        Flow("recruitment", "engaged_clinicians / clinician_tenure * reputation + engagement_programme * "
             "clinicians_on", "people/month",
             "clinicians joining innovation work, drawn by reputation and by an engagement programme"),
        Flow("clinician_attrition", "clinicians / clinician_tenure", "people/month", "clinicians leaving"),
        Flow("talent_growth", "(1 + mentorship_effect * (mentors + cohort_mentors * cohort_on - INIT(mentors)) / "
             "MAX(INIT(mentors), 1) - talent) / talent_time", "index/month", "talent following mentorship"),
    ]
    auxes = [
        Aux("capital_effect", "capital / INIT(capital)",
            graph=Graph((0, 0.5, 1, 1.5, 2, 3), (0, 0.6, 1, 1.25, 1.4, 1.55)), units="dimensionless",
            doc="more capital than at the start forms more startups, with diminishing returns"),
        Aux("prototype_success", "MIN(0.98, success_prototype * talent ^ talent_elasticity)", "share",
            "share of prototypes reaching validation, helped by talent"),
        Aux("validation_capacity", "(clinicians + partner_clinicians * connect_on) * trials_per_clinician",
            "innovations",
            "innovations the hub's and partners' clinicians can validate at once"),
        Aux("congestion", "clinical_validation / MAX(validation_capacity, 0.001)",
            graph=Graph((0, 1, 1.5, 2, 3, 4), (1, 1, 1.4, 2, 3.2, 4.5)), units="dimensionless",
            doc="validation slows once more innovations wait than clinicians can take"),
        Aux("clinical_reach", "(clinicians + partner_clinicians * connect_on) / MAX(INIT(clinicians), 1)",
            "dimensionless",
            "clinicians (own and partners') relative to the start: more sites enrol patients sooner"),
        Aux("validation_time", "time_clinical_validation * congestion / clinical_reach ^ site_elasticity", "months",
            "months an innovation spends in clinical validation"),
        Aux("approval_time", "time_regulatory_approval * (1 - fast_track_share * fast_track_on) + "
            "fast_track_share * fast_track_on * MIN(time_regulatory_approval, fast_track_months)", "months",
            "months in regulatory approval"),
        Aux("market_access", "((cross_hub_ties + new_cross_hub_ties * connect_on + 1) / (cross_hub_ties + 1)) ^ "
            "access_elasticity", "dimensionless", "how much more open foreign markets are than at the start"),
        Aux("scale_time", "time_scale / market_access", "months", "months before scaling crosses a border"),
        Aux("on_market", "market_launch + scale + cross_border", "innovations", "innovations reaching patients"),
        Aux("in_pipeline", "idea + prototype + clinical_validation + regulatory_approval", "innovations",
            "innovations not yet on the market"),
        Aux("launches_per_year", "approved * 12", "innovations/year", "market launches per year"),
    ]
    c = Constant
    constants = [
        c("idea_rate", 0.3, "innovations/month", "ideas formed per month at the start"),
        c("time_idea", 9, "months", "mean months as an idea"),
        c("time_prototype", 10, "months", "mean months as a prototype"),
        c("time_clinical_validation", 12, "months", "mean months in clinical validation, uncongested"),
        c("time_regulatory_approval", s.approval_months, "months", "mean months in approval (the pathway's prior)"),
        c("time_market_launch", 12, "months", "mean months from launch to scaling"),
        c("time_scale", 18, "months", "mean months scaling before crossing a border"),
        c("success_idea", 0.7, "share", "share of ideas becoming prototypes"),
        c("success_prototype", 0.75, "share", "share of prototypes reaching validation"),
        c("success_clinical_validation", 0.75, "share", "share passing validation"),
        c("success_regulatory_approval", 0.85, "share", "share approved"),
        c("success_market_launch", 0.8, "share", "share of launches that scale"),
        c("success_scale", 0.6, "share", "share of scaling innovations crossing a border"),
        c("engaged_clinicians", s.clinicians, "people", "clinicians working with innovators at the start"),
        c("clinician_tenure", 36, "months", "mean months a clinician stays engaged"),
        c("trials_per_clinician", 0.5, "innovations/person", "innovations one clinician can validate at once"),
        c("partner_clinicians", 0, "people", "clinicians of connected hubs open to this hub's innovations"),
        c("site_elasticity", 0.5, "dimensionless", "how strongly more clinical sites shorten validation"),
        c("investors", s.investors, "organisations", "investors in the hub"),
        c("investment_per_investor", 0.25, "EUR million/month", "money one investor puts in per month"),
        c("capital_turnover", 24, "months", "months capital lasts"),
        c("investor_elasticity", 1, "dimensionless", "how strongly investment follows reputation"),
        c("reputation_per_launch", 0.05, "index/innovation", "reputation one launch earns"),
        c("reputation_memory", 36, "months", "months reputation lasts"),
        c("mentors", s.mentors, "organisations", "incubators, accelerators and mentors in the hub"),
        c("mentorship_effect", 0.3, "dimensionless", "talent gained per mentor added, relative to the start"),
        c("talent_time", 24, "months", "months talent takes to follow mentorship"),
        c("talent_elasticity", 0.5, "dimensionless", "how strongly talent forms startups and lifts prototypes"),
        c("cross_hub_ties", s.cross_hub_ties, "ties", "ties between this hub and others at the start"),
        c("access_elasticity", 0.5, "dimensionless", "how strongly new cross-hub ties open markets"),
        c("fast_track_months", s.fast_track_months, "months", "months a fast-track decision takes"),
        # the levers interventions pull; all off in the baseline (each switched on by its time profile below)
        c("fast_track_share", 0, "share", "share of innovations eligible for a regulatory fast track"),
        c("new_cross_hub_ties", 0, "ties", "ties added by connecting with other hubs"),
        c("engagement_programme", 0, "people/month", "clinicians a programme recruits per month"),
        c("seed_fund", 0, "EUR million", "a seed fund's capital, injected once"),
        c("cohort_size", 0, "innovations", "prototypes an accelerator cohort brings in"),
        c("cohort_mentors", 0, "organisations", "mentors an accelerator adds"),
    ]
    profile_constants, profile_auxes = lever_profiles()
    constants += profile_constants
    auxes += profile_auxes
    return Model(f"Ecotone ecosystem model ({s.name})", stocks=stocks, flows=flows, auxes=auxes,
                 constants=constants, start=0, stop=float(years * 12), dt=dt, time_units="months",
                 doc=__doc__.split("\n\n")[0])


@dataclass(frozen=True)
class ObservedPipeline:
    """A hub's measured pipeline: its history's length, where its innovations are now, and its velocity.

    ``time_in_stage`` maps a stage to (Kaplan–Meier median months, spells); ``conversion`` to (share moved on
    among the spells that ended, spells ended); ``exposure`` to (spells that ended, months spent in the stage by
    all its spells, the censored ones included): the censored survival data the stage's time is fitted to.
    """

    months: float
    counts: dict[str, float]
    entered: int
    time_in_stage: dict[str, tuple[float, int]] = field(default_factory=dict)
    conversion: dict[str, tuple[float, int]] = field(default_factory=dict)
    exposure: dict[str, tuple[int, float]] = field(default_factory=dict)


#: What calibration fits, within what bounds: the rate ideas form, the time in each stage, the share moving on.
BOUNDS = {"idea_rate": (0.001, 50.0), **{f"time_{s}": (0.5, 120.0) for s in _FORWARD},
          **{f"success_{s}": (0.02, 0.999) for s in _FORWARD}}
#: Weakly informative priors on the fitted scale, around the model's defaults: a time in stage within a factor
#: e ≈ 2.7 of its default at one standard deviation (log scale), a share within 1.5 on the logit scale (0.7 →
#: 0.34–0.91); the regulatory pathway's published months within 0.5 on the log scale.
PRIOR_SIGMA = {"time": 1.0, "success": 1.5, "pathway": 0.5}
#: The stocks that hold whole innovations: the process-noise stepper moves them by binomial draws.
COUNTED = (*STAGES, "stopped")
#: Inflows of counted stocks that bring a known number of innovations (an accelerator cohort), not a Poisson number.
EXACT_ARRIVALS = ("cohort_intake",)


@dataclass(frozen=True)
class PooledPriors:
    """What the other hubs of an atlas say about each stage, as prior pseudo-observations (empirical Bayes):
    ``shares`` maps a stage to (successes, trials) of a Beta prior on its conversion share, ``hazards`` to (events,
    months) of a Gamma prior on its rate of leaving (1 / time in stage); ``hubs`` is how many hubs they pool."""

    shares: dict[str, tuple[float, float]] = field(default_factory=dict)
    hazards: dict[str, tuple[float, float]] = field(default_factory=dict)
    hubs: int = 0


def _beta_binomial_concentration(successes: np.ndarray, trials: np.ndarray, mean: float) -> float:
    """The Beta prior's concentration (its worth in trials) by the method of moments (Kleinman's, for shares of
    unequal sizes): the hubs' shares spread more than binomial sampling alone would make them by the intra-class
    correlation 1 / (1 + concentration); no excess spread leaves it at the trials pooled (the data it comes
    from), and it is never below 1. (A marginal likelihood cannot tell: when no hub has a failure it is largest
    for the flattest prior, as any data without failures favour a U-shaped Beta.)"""
    cap = max(float(trials.sum()), 1.0)
    spread = float(np.sum(trials * (successes / trials - mean) ** 2)) / (mean * (1 - mean))
    extra = float(np.sum(trials - 1))
    rho = (spread - len(trials)) / extra if extra > 0 else 0.0
    return cap if rho <= 1 / (cap + 1) else max(1.0, 1 / rho - 1)


def _gamma_poisson_shape(events: np.ndarray, exposure: np.ndarray, mean: float) -> float:
    """The Gamma prior's shape (its worth in spells ended) on the hubs' rates of leaving a stage, by the method of
    moments: the spells ended per hub spread as a Poisson–Gamma (variance m·E + m²·E² / shape, m the mean rate and
    E a hub's months in the stage); no excess spread leaves it at the spells pooled, and it is never below 0.5."""
    cap = max(float(events.sum()), 0.5)
    excess = float(np.sum((events - mean * exposure) ** 2) - mean * np.sum(exposure))
    inverse = excess / (mean ** 2 * float(np.sum(exposure ** 2)))
    return cap if inverse <= 1 / cap else max(0.5, 1 / inverse)


def pooled_priors(others: Sequence[ObservedPipeline]) -> PooledPriors:
    """Priors for one hub from the other hubs' pipelines (partial pooling, empirical Bayes, as benchmarking
    across sites does): for each stage, a Beta prior on its conversion share with the pooled share as its mean
    (Jeffreys' half a success and half a failure added, so 7 of 7 everywhere is not a certainty) and the
    concentration that the spread of the hubs' shares beyond binomial sampling gives; and a Gamma prior on its
    rate of leaving with the pooled rate as its mean and the shape that the spread of the hubs' spells ended
    beyond Poisson's gives (both by the method of moments). Hubs that agree give a prior worth up to all their data pooled;
    hubs that differ, a weaker one. A hub with 7 of 7 conversions then borrows strength from the others instead
    of being left with a share anywhere in 0.6–0.99.

    Examples
    --------
    >>> hubs = [ObservedPipeline(months=60, counts={}, entered=8, conversion={"idea": (1.0, 7)},
    ...                          exposure={"idea": (7, 140.0)}) for _ in range(12)]
    >>> p = pooled_priors(hubs)
    >>> s, n = p.shares["idea"]
    >>> round(float(s / n), 3), round(n)  # 84 of 84 elsewhere: mean 84.5/85, worth the 84 trials pooled
    (0.994, 84)
    >>> d, months = p.hazards["idea"]
    >>> round(float(months / d), 1), round(d)  # 20 months in the stage, worth the 84 spells pooled
    (19.9, 84)
    """
    shares, hazards = {}, {}
    for stage in _FORWARD:
        conv = [o.conversion[stage] for o in others if o.conversion.get(stage, (math.nan, 0))[1] > 0
                and not math.isnan(o.conversion[stage][0])]
        if conv:
            n = np.array([c[1] for c in conv], float)
            s = np.round(np.array([c[0] for c in conv], float) * n)
            mean = (s.sum() + 0.5) / (n.sum() + 1)
            k = _beta_binomial_concentration(s, n, mean)
            shares[stage] = (float(mean * k), float(k))
        spells = [o.exposure[stage] for o in others if o.exposure.get(stage, (0, 0.0))[1] > 0]
        if spells:
            d = np.array([e[0] for e in spells], float)
            t = np.array([e[1] for e in spells], float)
            mean = (d.sum() + 0.5) / t.sum()
            a = _gamma_poisson_shape(d, t, mean)
            hazards[stage] = (float(a), float(a / mean))
    return PooledPriors(shares, hazards, len(others))


def hub_calibration(observed: ObservedPipeline, state: HubState, *, dt: float = 0.25,
                    pooled: PooledPriors | None = None) -> tuple[Model, Calibration]:
    """Fit the model's pipeline rates to a hub's history by likelihood: the model runs from the hub's first stage
    event, empty, for ``observed.months``; the innovations it forms by then are a Poisson count (those the hub
    has); each stage's spells are censored survival data (spells ended, months in the stage) for its time, and its
    conversions (moved on, of those ended) binomial for its share; weakly informative priors (:data:`PRIOR_SIGMA`)
    keep a stage without data near the model's default, and the regulatory pathway's published months are prior
    knowledge too. The innovations now in each stage are checked (Poisson residuals in the fit), not fitted: their
    spells are in the likelihood already, and counting them again would make the fit overconfident.

    Returns the model that ran (empty at the start, with ``ideas_formed`` added) and the fitted :class:`Calibration`.

    Examples
    --------
    >>> obs = ObservedPipeline(months=60, counts={"idea": 4, "prototype": 3}, entered=7,
    ...                        conversion={"idea": (0.75, 4)}, exposure={"idea": (4, 50.0), "prototype": (0, 20.0)})
    >>> _, cal = hub_calibration(obs, HubState())
    >>> est = cal.estimates_
    >>> round(float(est.loc["idea_rate", "z_std_error"]), 2), round(1 / math.sqrt(7), 2)  # Poisson's
    (0.38, 0.38)
    >>> bool(est.loc["success_idea", "low"] < 0.75 < est.loc["success_idea", "high"])
    True
    """
    months = max(dt, round(observed.months / dt) * dt)
    history = ecosystem_model(HubState(state.name, {}, 0.0, state.clinicians, state.investors, state.mentors,
                                       state.cross_hub_ties, state.approval_months, state.fast_track_months),
                              years=months / 12, dt=dt)
    history = replace(history, auxes=[*history.auxes, Aux(
        "ideas_formed", " + ".join(COUNTED), "innovations", "innovations formed since the start (all stocks)")])
    targets = [Target("ideas_formed", months, float(observed.entered), label="innovations formed",
                      likelihood="poisson")]
    checks = [Target(stage, months, observed.counts.get(stage, 0.0), label=f"now in {stage}", likelihood="poisson")
              for stage in COUNTED]
    priors, exposures, binomials = [], [], []
    for stage in _FORWARD:
        time, share = f"time_{stage}", f"success_{stage}"
        default = history.constant(time).value
        if stage == "regulatory_approval":  # the pathway's published duration is prior knowledge
            priors.append(Prior(time, default, PRIOR_SIGMA["pathway"], "the regulatory pathway's typical months",
                                scale="transformed"))
        if pooled is not None and stage in pooled.hazards:  # a Gamma prior on the hazard: pseudo-spells
            a, b = pooled.hazards[stage]
            exposures.append(Exposure(time, a, b, f"{stage}: prior from {pooled.hubs} other hubs, {a:.1f} spells "
                                                  f"ended over {b:.0f} months"))
        elif stage != "regulatory_approval":
            priors.append(Prior(time, default, PRIOR_SIGMA["time"], "the model's default (weak)", scale="transformed"))
        events, exposure = observed.exposure.get(stage, (0, 0.0))
        if exposure > 0:
            median, _ = observed.time_in_stage.get(stage, (math.nan, 0))
            km = f", Kaplan–Meier median {median:.1f}" if not math.isnan(median) else ""
            exposures.append(Exposure(time, int(events), float(exposure),
                                      f"{stage}: {events} spells ended over {exposure:.0f} months{km}"))
        if pooled is not None and stage in pooled.shares:  # a Beta prior on the share: pseudo-conversions
            a, k = pooled.shares[stage]
            binomials.append(Binomial(share, a, k, f"{stage}: prior from {pooled.hubs} other hubs, {a:.1f} of "
                                                   f"{k:.1f} moved on"))
        else:
            priors.append(Prior(share, history.constant(share).value, PRIOR_SIGMA["success"],
                                "the model's default (weak)", scale="transformed"))
        moved, ended = observed.conversion.get(stage, (math.nan, 0))
        if ended and not math.isnan(moved):
            binomials.append(Binomial(share, int(round(moved * ended)), int(ended),
                                      f"{stage}: {round(moved * ended)} of {ended} ended spells moved on"))
    calibration = Calibration(parameters=BOUNDS, targets=targets, priors=priors, exposures=exposures,
                              binomials=binomials, checks=checks).fit(history)
    return history, calibration


def fitted_model(state: HubState, calibration: Calibration, *, years: float = 10, dt: float = 0.25) -> Model:
    """The model started from the hub's present ``state`` with the calibrated rates."""
    values = calibration.estimates_["estimate"].to_dict()
    return ecosystem_model(state, years=years, dt=dt).with_constants(**values)


#: What is uncertain beyond calibration: the strength of the loops, given as expert ranges (no hub's data pins
#: them down); Monte Carlo draws them with the calibrated rates.
UNCERTAIN: dict[str, Uniform] = {
    "investor_elasticity": Uniform(0.5, 1.5), "reputation_per_launch": Uniform(0.02, 0.1),
    "reputation_memory": Uniform(24, 60), "investment_per_investor": Uniform(0.1, 0.5),
    "capital_turnover": Uniform(12, 36), "clinician_tenure": Uniform(24, 60),
    "trials_per_clinician": Uniform(0.3, 1.0), "site_elasticity": Uniform(0.25, 0.75),
    "access_elasticity": Uniform(0.25, 1.0),
    "mentorship_effect": Uniform(0.1, 0.5), "talent_elasticity": Uniform(0.25, 0.75), "talent_time": Uniform(12, 36),
}


def distributions(calibration: Calibration | None = None) -> dict[str, Distribution]:
    """Each uncertain parameter alone: the calibrated rates' marginals (log-normal or logit-normal with their
    transformed-scale standard errors) and the loops' expert ranges. For a tornado or Sobol indices, which vary
    one parameter at a time; Monte Carlo draws the calibrated rates together (:func:`draws`)."""
    out: dict[str, Distribution] = dict(calibration.joint().marginals()) if calibration is not None else {}
    return {**out, **UNCERTAIN}


def draws(calibration: Calibration | None, runs: int, *, seed: int | None = 0) -> pd.DataFrame:
    """``runs`` Monte Carlo parameter sets: the calibrated rates from their joint distribution (multivariate normal
    on the fitted scale, correlations kept) and the loops' expert ranges independently, all stratified.

    Examples
    --------
    >>> d = draws(None, 100, seed=1)
    >>> d.shape, bool(d["talent_time"].between(12, 36).all())
    ((100, 12), True)
    """
    return sample(UNCERTAIN, runs, seed=seed, joint=[calibration.joint()] if calibration is not None else [])

"""Simulate a hub: its state and history read off the atlas, the model calibrated to it, scenarios, sensitivity,
and XMILE in and out."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.velocity import MONTH_DAYS, Velocity, current_stages
from ..data.pathways import pathway
from ..domain.parsing import day
from ..domain.problems import InputRejected, Problem
from ..io.charts import fan_chart, tornado_chart
from ..io.tables import write_frame_csv
from ..io.xmile import read_xmile, write_xmile
from ..simulate import Model, ModelError, Simulator, build
from ..simulate.calibrate import Calibration
from ..simulate.ecosystem import (STAGES, HubState, ObservedPipeline, distributions, ecosystem_model, fitted_model,
                                  hub_calibration)
from ..simulate.ecosystem import draws as monte_carlo_draws
from ..simulate.scenarios import (OUTCOMES, Intervention, ScenarioComparison, accelerator_cohort,
                                  clinician_engagement, connect, discounted_cost, fast_track, seed_fund)
from ..simulate.sensitivity import sobol, tornado
from ..simulate.uncertainty import Uniform, sample
from ..store import Atlas
from . import network_simulation
from .analysis import Result, records
from .interventions import effects, read_interventions, timing, with_timing
from .recommend import clinicians
from .velocity import pipeline_frames

__all__ = ["GAINS", "INTERVENTIONS", "NO_HISTORY_HINT", "TIMING_OPTIONS", "HubModel", "budget", "calibrate", "compare",
           "export_xmile", "hub_model", "import_xmile", "parse_scenario", "scenarios_from_file", "sensitivity"]

#: Interventions by the name a scenario uses, with their options (see docs/simulation.md).
INTERVENTIONS = {"connect": "connect:HUB[,ties=10][,share=0.25]", "fast-track": "fast-track[:months=3][,share=0.5]",
                 "clinicians": "clinicians[:per_month=1][,months=12]", "seed-fund": "seed-fund[:amount=5]",
                 "cohort": "cohort[:size=10][,mentors=3]"}
#: What every intervention also takes (see docs/simulation.md): a start (a date or months from now), a ramp and a
#: duration in months, its costs in EUR; an effect given LOW:HIGH is uncertain, drawn per Monte Carlo run.
TIMING_OPTIONS = "[,start=YYYY-MM-DD|MONTHS][,ramp=MONTHS][,duration=MONTHS|open][,cost=EUR][,per_year=EUR]"
_MENTORING = {"incubator", "accelerator"}
#: What to do about a hub whose innovations have no stage history, said to the command line's user (the API says it
#: as its pages do: api/simulations.py).
NO_HISTORY_HINT = ("import stage events with the JSON bundle (records.stage_event), or simulate another hub "
                   "(ecotone velocity --by hub)")


@dataclass
class HubModel:
    """A hub ready to simulate: its present state, its observed history and the calibration to it."""

    name: str
    state: HubState
    observed: ObservedPipeline
    history: Model
    calibration: Calibration
    as_of: dt.date

    def model(self, years: float, *, dt: float = 0.25) -> Model:
        return fitted_model(self.state, self.calibration, years=years, dt=dt)


def _state(atlas: Atlas, hub: str, when: dt.date) -> tuple[HubState, ObservedPipeline]:
    hub_id = atlas.hub_id(hub)
    name = atlas.names("hub", [hub_id]).get(hub_id, str(hub))
    events, inn = pipeline_frames(atlas, hub)
    events = events[pd.to_datetime(events["date"]) <= pd.Timestamp(when)]
    if events.empty:
        raise InputRejected([Problem(reason=f"no innovation of {name} has a stage history up to {when}",
                                     hint=NO_HISTORY_HINT)])
    now = current_stages(events, when)
    counts = Counter(now.tolist())
    first = pd.to_datetime(events["date"]).min()
    v = Velocity(as_of=when).fit(events)
    tis, conv = v.time_in_stage_, v.conversion_
    sp = v.spells_.assign(ended=v.spells_["outcome"] != "in_stage")
    exposure = sp.groupby("stage").agg(ended=("ended", "sum"), months=("months", "sum"))
    observed = ObservedPipeline(
        months=(pd.Timestamp(when) - first).days / MONTH_DAYS, counts={k: float(c) for k, c in counts.items()},
        entered=int(now.size),
        time_in_stage={s: (float(tis.loc[s, "median"]), int(tis.loc[s, "n"])) for s in tis.index},
        conversion={s: (float(conv.loc[s, "conversion"]), int(conv.loc[s, "ended"])) for s in conv.index},
        exposure={s: (int(r["ended"]), float(r["months"])) for s, r in exposure.iterrows()})
    orgs = atlas.frame("organization", ["type", "hub_id"])
    members = set(orgs.loc[orgs["hub_id"] == hub_id, "id"])
    hub_of = orgs.set_index("id")["hub_id"]
    ties = atlas.frame("tie", ["source_id", "target_id"])
    a, b = ties["source_id"].map(hub_of), ties["target_id"].map(hub_of)
    crossing = ((a == hub_id) & b.notna() & (b != hub_id)) | ((b == hub_id) & a.notna() & (a != hub_id))
    programmes = atlas.frame("program", ["kind", "hub_id"])
    mentors = int(orgs.loc[orgs["hub_id"] == hub_id, "type"].isin(_MENTORING).sum()) + \
        int(((programmes["hub_id"] == hub_id) & programmes["kind"].isin([*_MENTORING, "mentorship"])).sum())
    paths = inn["regulatory_pathway"].dropna()
    try:
        approval = pathway(paths.mode().iloc[0], atlas=atlas).typical if len(paths) else 12.0
    except KeyError:
        approval = 12.0
    state = HubState(
        name=name, stages={s: float(counts.get(s, 0)) for s in STAGES}, stopped=float(counts.get("stopped", 0)),
        clinicians=float(max(clinicians(atlas)["organization_id"].isin(members).sum(), 1)),
        investors=float((orgs.loc[orgs["hub_id"] == hub_id, "type"] == "investor").sum()),
        mentors=float(mentors), cross_hub_ties=float(crossing.sum()), approval_months=float(approval),
        fast_track_months=float(pathway("DiGA fast track").typical))
    return state, observed


def hub_model(atlas: Atlas, hub: str, *, as_of: dt.date | str | None = None) -> HubModel:
    """Read a hub off the atlas and calibrate the ecosystem model to its history, borrowing strength from the
    atlas's other hubs (their pipelines give each stage's prior: services/pooling.py)."""
    from .pooling import atlas_priors

    when = day(as_of, "as of") if as_of is not None else dt.date.today()
    state, observed = _state(atlas, hub, when)
    history, calibration = hub_calibration(observed, state, pooled=atlas_priors(atlas, hub, when))
    return HubModel(state.name, state, observed, history, calibration, when)


def calibrate(atlas: Atlas, hub: str, *, as_of: dt.date | str | None = None, out: Path | None = None) -> Result:
    """Calibrate the model to a hub: fitted rates with their uncertainty, and how well the history is reproduced.
    ``out`` (.json) keeps the estimates, standard errors and covariance."""
    h = hub_model(atlas, hub, as_of=as_of)
    c = h.calibration
    if out is not None:
        kept = {"hub": h.name, "as_of": h.as_of.isoformat(), "parameters": records(c.estimates_.reset_index()),
                "covariance": {k: records(pd.DataFrame([v]))[0] for k, v in c.covariance_.iterrows()}}
        Path(out).write_text(json.dumps(kept, indent=2, default=str), encoding="utf-8")
    est = c.estimates_.reset_index()
    fit = c.fit_.reset_index()
    counts = fit[fit["target"].str.startswith("now in")]
    return Result({"parameters": records(est.round(4)), "fit": records(fit.round(3))},
                  {"hub": h.name, "as_of": h.as_of.isoformat(), "history_months": round(h.observed.months, 1),
                   "innovations": h.observed.entered, "rmse_innovations": round(c.rmse_, 3),
                   "largest_count_gap": round(float((counts["fitted"] - counts["observed"]).abs().max()), 3),
                   "chi2": round(c.chi2_, 2), "dof": c.dof_, "converged": c.success_})


def _options(text: str, positional: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, part in enumerate(p.strip() for p in text.split(",") if p.strip()):
        key, eq, value = part.partition("=")
        if not eq:
            if i or positional is None:
                raise ValueError(f"{part!r} is not KEY=VALUE")
            key, value = positional, part
        out[key.strip().replace("-", "_")] = value.strip()
    return out


def scenario_name(text: str) -> tuple[str, str]:
    """A scenario's name and its interventions' text: ``NAME=SPEC`` names it (the name holds no ``:``, ``,`` or
    ``+``), else the text is its own name.

    Examples
    --------
    >>> scenario_name("Fast track=fast-track:months=3")
    ('Fast track', 'fast-track:months=3')
    >>> scenario_name("fast-track:months=3"), scenario_name("cohort")
    (('fast-track:months=3', 'fast-track:months=3'), ('cohort', 'cohort'))
    """
    head, eq, rest = text.partition("=")
    if eq and head.strip() and rest.strip() and not any(c in head for c in ":,+"):
        return head.strip(), rest.strip()
    return text.strip(), text.strip()


def _named(atlas: Atlas, hub: HubModel, texts: Sequence[str], option: str) -> dict[str, list[Intervention]]:
    """The scenarios of ``--scenario`` (or ``--option``) texts, by name; a name given twice is refused."""
    out: dict[str, list[Intervention]] = {}
    for text in texts:
        name, spec = scenario_name(text)
        if name in out or name == "baseline":
            raise InputRejected([Problem(column=option, reason=f"{text!r}: the name {name!r} is "
                                         + ("the baseline's" if name == "baseline" else "given twice"),
                                         hint="give each scenario its own name: NAME=SPEC")])
        out[name] = parse_scenario(atlas, hub, spec, option=option)
    return out


def parse_scenario(atlas: Atlas, hub: HubModel, text: str, *, where: tuple[str, int] | None = None,
                   option: str = "--scenario") -> list[Intervention]:
    """Interventions from a scenario's text: intervention specs joined by ``+`` (see :data:`INTERVENTIONS`),
    e.g. ``connect:Barcelona Health Hub,ties=6+fast-track:months=2:4,start=2027-03-01,ramp=6,cost=250000``.
    ``where`` (file, row) places errors in a file of interventions, by the option's column."""
    out = []
    for spec in (s.strip() for s in text.split("+") if s.strip()):
        kind, _, rest = spec.partition(":")
        kind = kind.strip().lower()
        if kind not in INTERVENTIONS:
            raise InputRejected([Problem(column=option, reason=f"unknown intervention {kind!r} in {text!r}",
                                         hint="use: " + "; ".join(INTERVENTIONS.values()))])
        try:
            opts = _options(rest, "hub" if kind == "connect" else None)
            numbers = effects(kind, opts)
            when = timing(opts, hub.as_of)
            if kind == "connect":
                if "hub" not in opts:
                    raise ValueError("name the hub to connect with: connect:HUB")
                partner, _ = _state(atlas, opts["hub"], hub.as_of)
                if partner.name == hub.name:
                    raise ValueError(f"{partner.name} cannot connect with itself")
                joined = connect(partner.name, partner_clinicians=partner.clinicians,
                                 new_ties=numbers.get("ties", 10.0), share=numbers.get("share", 0.25))
                # the two-hub model: the partner calibrated too, the link moving innovations between the pipelines
                out.append(network_simulation.partner_connection(atlas, hub, opts["hub"], joined,
                                                                 ties=numbers.get("ties", 10.0),
                                                                 share=numbers.get("share", 0.25)))
            else:
                make = {"fast-track": fast_track, "clinicians": clinician_engagement, "seed-fund": seed_fund,
                        "cohort": accelerator_cohort}[kind]
                out.append(make(**numbers))
            out[-1] = with_timing(out[-1], when)
        except (ValueError, TypeError) as exc:
            if where is not None:
                raise InputRejected([Problem(file=where[0], row=where[1], column=getattr(exc, "option", None)
                                             or "intervention", reason=str(exc),
                                             hint=f"write it as {INTERVENTIONS[kind]}")]) from None
            raise InputRejected([Problem(column=option, reason=f"{spec!r}: {exc}",
                                         hint=f"write it as {INTERVENTIONS[kind]}")]) from None
    return out


def _cell(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ":".join(str(v) for v in value)
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def scenarios_from_file(atlas: Atlas, hub: HubModel, path: Path) -> dict[str, list[Intervention]]:
    """The scenarios of a file of interventions (:func:`~ecotone.services.interventions.read_interventions`):
    rows with the same ``scenario`` are combined; a row without one is a scenario of its own."""
    named: dict[str, list[Intervention]] = {}
    for row, options in read_interventions(path):
        kind = str(options.pop("intervention")).strip().lower()
        scenario = str(options.pop("scenario", "") or "").strip()
        if kind not in INTERVENTIONS:
            raise InputRejected([Problem(file=Path(path).name, row=row, column="intervention",
                                         reason=f"unknown intervention {kind!r}",
                                         hint="use: " + "; ".join(INTERVENTIONS.values()))])
        hub_name = options.pop("hub", None)
        text = kind + ":" + ",".join(([f"hub={hub_name}"] if hub_name else [])
                                     + [f"{k}={_cell(v)}" for k, v in options.items()])
        interventions = parse_scenario(atlas, hub, text, where=(Path(path).name, row))
        named.setdefault(scenario or text.rstrip(":"), []).extend(interventions)
    return named


def compare(atlas: Atlas, hub: str, scenarios: Sequence[str] = (), *, years: float = 10, runs: int = 1000,
            seed: int = 0, as_of: dt.date | str | None = None, chart: Path | None = None,
            chart_outcome: str = "market_years", out: Path | None = None, progress=None,
            interventions: Path | None = None, discount_rate: float = 0.03) -> Result:
    """Run the calibrated baseline and each scenario ``runs`` times on the same draws; outcomes at the horizon with
    5–95% bands, the change against the baseline and why; each scenario's cost over the horizon (discounted at
    ``discount_rate`` a year) and what it buys per euro (cost per extra product on the market, per extra
    innovation-year on the market, per month saved from validation to approval, with 5–95% bands).
    ``interventions`` is a file of scenarios (YAML, JSON or CSV). ``chart`` (.png/.svg) draws
    ``chart_outcome``'s fan chart; ``out`` (.csv) receives the bands of every outcome over time (scenario, outcome,
    time, p5, p50, p95)."""
    _check_runs(runs, years)
    _check_rate(discount_rate)
    if chart_outcome not in OUTCOMES:
        raise InputRejected([Problem(column="--outcome", reason=f"no outcome {chart_outcome!r}",
                                     hint=f"use one of: {', '.join(OUTCOMES)}")])
    h = hub_model(atlas, hub, as_of=as_of)
    named = _named(atlas, h, scenarios, "--scenario")
    if interventions is not None:
        named.update(scenarios_from_file(atlas, h, interventions))
    draws = monte_carlo_draws(h.calibration, runs, seed=seed)
    model, draws, named, outcomes = network_simulation.connected_view(atlas, h, named, years=years, draws=draws,
                                                                      outcomes=tuple(OUTCOMES))
    comparison = _scenario_comparison(named, outcomes, progress, seed, discount_rate, "--scenario").run(model, draws)
    if chart is not None:
        fan_chart(comparison.bands_, chart_outcome, chart, title=f"{h.name}: {chart_outcome.replace('_', ' ')} "
                  f"over {years:g} years ({runs} runs, 5–95% band)")
    if out is not None:
        write_frame_csv(out, comparison.bands_.round(4))
    explained = comparison.explain()
    outcomes = comparison.summary_.round(2)
    explanations = [{"scenario": k, "explanation": v} for k, v in explained.items()]
    summary = {"hub": h.name, "years": years, "runs": runs, "seed": seed,
               "on_market_now": sum(h.state.stages.get(s, 0) for s in ("market_launch", "scale", "cross_border")),
               "discount_rate": discount_rate}
    tables = {"outcomes": records(outcomes),
              "mechanisms": records(comparison.mechanisms_.round(3).reset_index())}
    if explanations:
        tables["explanations"] = explanations
    if len(named):
        tables["costs"] = _costs(named, years, discount_rate)
        tables["per_euro"] = _per_euro_rows(comparison.per_euro_)
    return Result(tables, summary)


def _scenario_comparison(named, outcomes, progress, seed: int, discount_rate: float,
                         option: str) -> ScenarioComparison:
    try:
        return ScenarioComparison(scenarios=named, save_every=1.0, outcomes=outcomes, progress=progress, seed=seed,
                                  discount_rate=discount_rate)
    except ModelError as exc:
        raise InputRejected([Problem(column=option, reason=str(exc))]) from None


def _check_rate(rate: float) -> None:
    if math.isnan(rate) or not 0 <= rate < 1:
        raise InputRejected([Problem(column="--discount-rate", reason=f"the discount rate is a yearly rate from 0 to "
                                     f"1, not {rate:g}", hint="e.g. 0.03 for 3% a year")])


def _costs(named: dict[str, list[Intervention]], years: float, rate: float) -> list[dict[str, Any]]:
    """Each scenario's interventions: when they act and what they cost over the horizon."""
    rows = []
    for name, interventions in named.items():
        for i in interventions:
            rows.append({"scenario": name, "intervention": i.name, "when": i.when(), "cost_once": i.cost,
                         "per_year": i.per_year, "cost": round(discounted_cost(i, years * 12, rate), 2),
                         "undiscounted": round(discounted_cost(i, years * 12, 0.0), 2)})
    return rows


#: The gains a euro buys, in words.
GAINS = {"on_market": "extra products on the market", "market_years": "extra innovation-years on the market",
         "months_saved": "months saved from validation to approval"}


def _rounded(value: Any) -> Any:
    """A float to the cent; a missing number (NaN) as None, which JSON writes null."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 2)
    return value


def _per_euro_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for r in frame.to_dict("records"):
        rows.append({"scenario": r["scenario"], "gain": GAINS.get(r["gain"], r["gain"]), "cost": round(r["cost"], 2),
                     **{k: _rounded(r[k]) for k in ("gain_median", "gain_p5", "gain_p95")},
                     "gain_share": round(r["gain_share"], 3),
                     **{k.replace("per_unit", "cost_per_unit"): _rounded(r[k])
                        for k in ("per_unit_median", "per_unit_p5", "per_unit_p95")},
                     "no_gain_at": _no_gain(r["no_gain_at"])})
    return rows


def _no_gain(quantiles: Sequence[str]) -> str | None:
    """Which quantiles of a cost per unit fall on draws that gain nothing, for JSON and CSV: ``"median, p95"``,
    or None when every quantile has a cost.

    >>> _no_gain(("median", "p95")), _no_gain(())
    ('median, p95', None)
    """
    return ", ".join(quantiles) or None


#: The most options a budget is spread over: 2^8 - 1 = 255 combinations.
MAX_OPTIONS = 8


def budget(atlas: Atlas, hub: str, options: Sequence[str] = (), *, budget: float, years: float = 10,
           runs: int = 500, seed: int = 0, as_of: dt.date | str | None = None, interventions: Path | None = None,
           discount_rate: float = 0.03, outcome: str = "on_market", progress=None) -> Result:
    """Spend a budget: every combination of the ``options`` (scenario texts, or the scenarios of an
    ``interventions`` file) whose discounted cost over the horizon fits ``budget`` EUR, run on the same draws and
    ranked by the median gain in ``outcome`` at the horizon (with its 5–95% band), then by the cost per extra
    product on the market. Combinations over budget, or holding one kind of intervention twice, are listed apart."""
    import itertools

    _check_runs(runs, years)
    _check_rate(discount_rate)
    if outcome not in ("on_market", "market_years"):
        raise InputRejected([Problem(column="--outcome", reason=f"a budget is ranked by on_market or market_years, "
                                                                f"not {outcome!r}")])
    if math.isnan(budget) or budget <= 0:
        raise InputRejected([Problem(column="--budget", reason=f"{budget:g} EUR: a budget is more than 0",
                                     hint="e.g. 2000000 for EUR 2 million")])
    h = hub_model(atlas, hub, as_of=as_of)
    offered = _named(atlas, h, options, "--option")
    if interventions is not None:
        offered.update(scenarios_from_file(atlas, h, interventions))
    if not offered:
        raise InputRejected([Problem(column="--option", reason="no option to spend the budget on",
                                     hint="name the interventions it could fund, with their costs, e.g. "
                                          "fast-track:cost=250000 and seed-fund:amount=1,cost=1000000")])
    if len(offered) > MAX_OPTIONS:
        raise InputRejected([Problem(column="--option", reason=f"{len(offered)} options make "
                                     f"{2 ** len(offered) - 1} combinations; at most {MAX_OPTIONS} options",
                                     hint=f"weigh at most {MAX_OPTIONS} interventions against each other")])
    horizon = years * 12
    cost_of = {k: sum(discounted_cost(i, horizon, discount_rate) for i in v) for k, v in offered.items()}
    affordable: dict[str, list[Intervention]] = {}
    left_out = []
    for size in range(1, len(offered) + 1):
        for combination in itertools.combinations(offered, size):
            name = " + ".join(combination)
            cost = sum(cost_of[c] for c in combination)
            held = [i.key for c in combination for i in offered[c] if i.key]
            twice = sorted({k for k in held if held.count(k) > 1})
            if cost > budget:
                left_out.append({"combination": name, "cost": round(cost, 2), "why": "over the budget"})
            elif twice:
                left_out.append({"combination": name, "cost": round(cost, 2),
                                 "why": f"holds {twice[0].replace('_', ' ')} twice"})
            else:
                affordable[name] = [i for c in combination for i in offered[c]]
    _check_work(runs, years, len(affordable))
    ranking: list[dict[str, Any]] = []
    if affordable:
        draws = monte_carlo_draws(h.calibration, runs, seed=seed)
        comparison = _scenario_comparison(affordable, tuple(OUTCOMES), progress, seed, discount_rate,
                                          "--option").run(h.model(years), draws)
        per = comparison.per_euro_.set_index(["scenario", "gain"])
        for name in affordable:
            gained, product = per.loc[(name, outcome)], per.loc[(name, "on_market")]
            ranking.append({"combination": name, "options": name.count(" + ") + 1,
                            "cost": round(float(gained["cost"]), 2),
                            "gain_median": round(float(gained["gain_median"]), 3),
                            "gain_p5": round(float(gained["gain_p5"]), 3),
                            "gain_p95": round(float(gained["gain_p95"]), 3),
                            "gain_share": round(float(gained["gain_share"]), 3),
                            **{f"cost_per_product_{q}": _rounded(product[f"per_unit_{q}"])
                               for q in ("median", "p5", "p95")},
                            "cost_per_product_no_gain_at": _no_gain(product["no_gain_at"])})
        unit = lambda r: r["cost_per_product_median"] if isinstance(r["cost_per_product_median"], float) \
            else math.inf  # noqa: E731
        ranking.sort(key=lambda r: (-r["gain_median"], unit(r), r["cost"]))
        for i, r in enumerate(ranking, 1):
            r["rank"] = i
        ranking = [{"rank": r.pop("rank"), **r} for r in ranking]
    summary = {"hub": h.name, "budget": budget, "years": years, "runs": runs, "seed": seed,
               "discount_rate": discount_rate, "ranked_by": GAINS[outcome], "options": len(offered),
               "affordable": len(affordable), "left_out": len(left_out)}
    options_table = [{"option": k, "interventions": "; ".join(f"{i.name} ({i.when()})" for i in v),
                      "cost": round(cost_of[k], 2)} for k, v in offered.items()]
    tables: dict[str, Any] = {"ranking": ranking, "options": options_table}
    if left_out:
        tables["left_out"] = left_out
    return Result(tables, summary)


def _check_work(runs: int, years: float, scenarios: int, limit: float = 2_000_000) -> None:
    """A budget's combinations all run in one ensemble: keep it within what a server does in about 20 s."""
    work = runs * years * (scenarios + 1)
    if work > limit:
        raise InputRejected([Problem(column="--runs", reason=f"{scenarios} affordable combinations and the baseline, "
                                     f"{runs:,} Monte Carlo runs each over {years:g} years, are {work:,.0f} "
                                     f"run-years; at most {limit:,.0f} are run at once",
                                     hint="choose fewer Monte Carlo runs, fewer years or fewer interventions")])


def sensitivity(atlas: Atlas, hub: str, *, outcome: str = "market_years", method: str = "tornado",
                years: float = 10, runs: int = 2048, seed: int = 0, as_of: dt.date | str | None = None,
                chart: Path | None = None, progress=None) -> Result:
    """Which uncertain parameters move an outcome at the horizon most: a tornado (10th–90th percentile swings) or
    Sobol indices (``runs`` base samples, runs × (k + 2) simulations); ``chart`` (.png/.svg) draws it."""
    if method not in ("tornado", "sobol"):
        raise InputRejected([Problem(column="--method", reason=f"unknown method {method!r}", hint="tornado or sobol")])
    _check_runs(runs, years)
    h = hub_model(atlas, hub, as_of=as_of)
    built = build(h.model(years))
    if outcome not in built.recorded:
        raise InputRejected([Problem(column="--outcome", reason=f"the model has no variable {outcome!r}",
                                     hint=f"try {', '.join(OUTCOMES)}")])
    dists = distributions(h.calibration)
    told = (lambda done, total: progress("simulating", done, total)) if progress else None
    table = tornado(built, dists, outcome, progress=told) if method == "tornado" else \
        sobol(built, dists, outcome, n=runs, seed=seed, progress=told)
    if chart is not None:
        tornado_chart(table, outcome, chart, title=f"{h.name}: what moves {outcome.replace('_', ' ')} in "
                      f"{years:g} years ({method})")
    return Result({method: records(table.round(4))}, {"hub": h.name, "outcome": outcome, "years": years,
                                                       "parameters": len(dists)})


def export_xmile(atlas: Atlas | None, path: Path, *, hub: str | None = None, years: float = 10,
                 as_of: dt.date | str | None = None) -> Model:
    """Write the ecosystem model (calibrated to ``hub`` when given, generic otherwise) as XMILE 1.0."""
    model = hub_model(atlas, hub, as_of=as_of).model(years) if hub and atlas is not None else \
        ecosystem_model(years=years)
    write_xmile(model, path)
    return model


def import_xmile(path: Path, *, runs: int = 1, seed: int = 0, vary: Sequence[str] = (), method: str | None = None,
                 save_every: float | None = None, out: Path | None = None, chart: Path | None = None,
                 chart_variable: str | None = None, progress=None) -> Result:
    """Read an XMILE model and run it: once, or ``runs`` times with ``vary`` constants drawn uniformly
    (``NAME=LOW:HIGH``). Final values with 5–95% bands; ``out`` (.csv) receives every trajectory in tidy form
    (time, variable, run, value); ``chart`` (.png/.svg) draws ``chart_variable`` (the first stock by default).
    What the reader tolerated (an undeclared vendor prefix, say) comes back as the ``warnings`` table."""
    from ..simulate.equations import canonical

    warned: list[str] = []
    model = read_xmile(path, warnings=warned)
    dists = {}
    for text in vary:
        dists.update(_vary(model, text))
    _check_runs(runs)
    step = save_every or max(model.dt, round((model.stop - model.start) / 100 / model.dt) * model.dt)
    sim = Simulator(method=method, save_every=step,
                    progress=(lambda d, t: progress("simulating", d, t)) if progress else None)
    results = sim.run(model, sample(dists, runs, seed=seed) if dists else None, runs=runs)
    units = {canonical(v.name): v.units for v in model.variables if v.units}
    rows = []
    for v in results.variables:
        end = results.final(v)
        unit = results.units.get(v) or units.get(canonical(v.split("[", 1)[0]), "")
        rows.append({"variable": v, "units": unit, "median": float(np.median(end)),
                     "p5": float(np.quantile(end, 0.05)), "p95": float(np.quantile(end, 0.95))})
    if out is not None:
        write_frame_csv(out, results.tidy())
    notes: dict[str, str] = {}
    if chart is not None:
        variable = chart_variable or (model.stocks[0].name if model.stocks else results.variables[0])
        if chart_variable is None and model.stocks and getattr(model.stocks[0], "dims", ()):
            first = next((r for r in results.variables if canonical(r.split("[", 1)[0]) == canonical(variable)),
                         None)
            if first is not None:
                notes["chart"] = f"{first} (the first element of the array {variable}; --variable to choose)"
                variable = first
        try:
            q = results.bands(variable)
        except KeyError as exc:  # the results stand; only the chart is not drawn
            notes["chart"] = f"not drawn: --variable: {exc.args[0]}"
            chart = None
        if chart is not None:
            bands = pd.DataFrame({"scenario": model.name, "outcome": variable, "time": q.index, "p5": q["q0.05"],
                                  "p50": q["q0.5"], "p95": q["q0.95"]})
            fan_chart(bands, variable, chart, time_units=model.time_units,
                      title=f"{model.name}: {variable} ({runs} run{'s' * (runs > 1)})")
    summary = {"model": model.name, "stocks": len(model.stocks), "flows": len(model.flows), "runs": runs,
               "method": method or model.method, "time": f"{model.start:g}–{model.stop:g} {model.time_units}",
               **notes}
    tables = {"final": records(pd.DataFrame(rows).round(4))}
    if warned:
        tables["warnings"] = [{"file": str(path), "warning": w} for w in warned]
    return Result(tables, summary)


def _vary(model, text: str) -> dict:
    """``NAME=LOW:HIGH`` of ``--vary`` as a uniform draw of a constant of ``model``, refused in words when not.

    >>> from ecotone.simulate.spec import Constant, Model
    >>> _vary(Model("m", constants=[Constant("stay", 4)]), "stay=3:6")
    {'stay': Uniform(low=3.0, high=6.0)}
    """
    name, eq, span = text.partition("=")
    low, colon, high = span.partition(":")
    hint = "write NAME=LOW:HIGH with a constant of the model, e.g. --vary 'stay=3:6'"
    name = name.strip()

    def refuse(reason: str):
        return InputRejected([Problem(column="--vary", reason=f"{text!r}: {reason}", hint=hint)])

    if not eq or not colon:
        raise refuse("not of the form NAME=LOW:HIGH")
    try:
        model.constant(name)
    except (ValueError, ModelError) as exc:
        raise refuse(str(exc)) from None
    bounds = []
    for word, part in (("LOW", low), ("HIGH", high)):
        try:
            bounds.append(float(part))
        except ValueError:
            raise refuse(f"{word} {part.strip()!r} is not a number") from None
        if not math.isfinite(bounds[-1]):
            raise refuse(f"{word} {part.strip()!r} is not a finite number")
    if bounds[0] > bounds[1]:
        raise refuse(f"LOW {bounds[0]:g} is above HIGH {bounds[1]:g}; write the range low to high")
    return {name: Uniform(bounds[0], bounds[1])}


def _check_runs(runs: int, years: float | None = None) -> None:
    if runs < 1:
        raise InputRejected([Problem(column="--runs", reason=f"Monte Carlo runs must be at least 1, not {runs}",
                                     hint="e.g. 1000")])
    if years is not None and (math.isnan(years) or not 0 < years <= 100):
        raise InputRejected([Problem(column="--years", reason=f"the years simulated must be more than 0 and at most "
                                     f"100, not {years:g}")])

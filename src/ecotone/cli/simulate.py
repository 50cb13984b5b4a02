"""The ``ecotone simulate`` commands: the system-dynamics model (``ecotone velocity`` is in cli/velocity.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..domain.problems import InputRejected
from ..services import network_simulation, simulate
from ..simulate.scenarios import NO_GAIN
from ._output import Format, console, show_problems
from .app import FormatOpt, ShowOpt, _run, _show, simulate_app
from .velocity import AsOfOpt, ChartOpt

__all__ = ["simulate_app"]

HubArg = Annotated[str, typer.Option("--hub", help="The hub to simulate (name, part of it, or id).")]
YearsOpt = Annotated[float, typer.Option(help="Years to simulate.")]
RunsOpt = Annotated[int, typer.Option(help="Monte Carlo runs (parameter draws).")]
SeedOpt = Annotated[int, typer.Option(help="Seed of the draws: the same seed gives the same results.")]
InterventionsOpt = Annotated[Optional[Path], typer.Option(
    "--interventions", help="A file of interventions (.yaml, .json or .csv): one row per intervention, with "
                            "'intervention' (fast-track, seed-fund...), its options as columns, and optionally "
                            "'scenario' to combine rows.")]
RateOpt = Annotated[float, typer.Option("--discount-rate", help="Yearly discount rate of costs (0.03: 3% a year, "
                                                                "as health economics commonly uses).")]
_PER_EURO = {"per_euro": ("scenario", "gain", "cost", "gain_median", "gain_p5", "gain_p95", "gain_share",
                          "cost_per_unit_median", "cost_per_unit_p5", "cost_per_unit_p95"),
             "costs": ("scenario", "intervention", "when", "cost_once", "per_year", "cost")}
_PER_EURO_TITLES = {"costs": "Costs over the horizon (EUR, discounted)",
                    "per_euro": "Per euro: gain over paired draws and cost per unit gained (EUR)"}


def _no_gain_in_words(result, fmt: Format):
    """For a terminal table: a cost per unit missing because the draws at that quantile gain nothing reads "no
    gain" (JSON and CSV keep the number or null, and ``no_gain_at`` names those quantiles)."""
    if fmt is not Format.table:
        return result
    for name, prefix, flag in (("per_euro", "cost_per_unit_", "no_gain_at"),
                               ("ranking", "cost_per_product_", "cost_per_product_no_gain_at")):
        for row in result.tables.get(name, []):
            for q in (row.get(flag) or "").split(", "):
                if q and row.get(prefix + q) is None:
                    row[prefix + q] = NO_GAIN
    return result


def _saved(path: Path | None, what: str, fmt: Format) -> None:
    if path is not None and fmt is Format.table:
        console.print(f"{what} written to {path}")


@simulate_app.command("run")
def simulate_run(
    ctx: typer.Context, hub: HubArg, years: YearsOpt = 10, runs: RunsOpt = 1000, seed: SeedOpt = 0,
    as_of: AsOfOpt = None, chart: ChartOpt = None,
    outcome: Annotated[str, typer.Option(help="The outcome the chart draws.")] = "market_years",
    out: Annotated[Optional[Path], typer.Option(help="Write the bands of every outcome over time (CSV).")] = None,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """The baseline: the ecosystem model calibrated to the hub's history, started from where its innovations are
    now, run RUNS times with its rates and loop strengths drawn from their uncertainty; outcomes at the horizon
    with 5–95% bands (innovation-years on the market, on the market, across borders, stopped, in the pipeline).

    Example: `ecotone simulate run --hub 'Medical Innovation Institute' --years 10 --chart baseline.png`
    """
    result = _run(ctx, lambda atlas, p: simulate.compare(atlas, hub, years=years, runs=runs, seed=seed, as_of=as_of,
                                                         chart=chart, chart_outcome=outcome, out=out, progress=p), fmt)
    _show(result, fmt, show, {}, {"outcomes": "Outcomes at the horizon", "mechanisms": "How (run averages)"})
    _saved(chart, "Chart", fmt)
    _saved(out, "Bands", fmt)


@simulate_app.command("compare")
def simulate_compare(
    ctx: typer.Context, hub: HubArg,
    scenario: Annotated[Optional[list[str]], typer.Option(
        help="A scenario: interventions joined by +, optionally named NAME=SPEC ('Fast track=fast-track:months=3', "
             "so tables show the name); repeatable. " + "; ".join(simulate.INTERVENTIONS.values())
             + "; each also takes " + simulate.TIMING_OPTIONS + ", and an effect as LOW:HIGH is uncertain.")]
    = None,
    interventions: InterventionsOpt = None,
    years: YearsOpt = 10, runs: RunsOpt = 1000, seed: SeedOpt = 0, as_of: AsOfOpt = None, chart: ChartOpt = None,
    outcome: Annotated[str, typer.Option(help="The outcome the chart draws.")] = "market_years",
    out: Annotated[Optional[Path], typer.Option(help="Write the bands of every outcome over time (CSV).")] = None,
    discount_rate: RateOpt = 0.03,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Compare scenarios with the baseline on the same Monte Carlo draws: each outcome's median and 5–95% band at
    the horizon, the median change against the baseline (paired draws), the share of draws in which the scenario
    does better, and a sentence on how it works (validation, approval and scaling times, clinicians, capital,
    talent, reputation). With costs: each scenario's cost over the horizon (discounted) and what it buys per euro
    (cost per extra product on the market, per extra innovation-year, per month saved from validation to
    approval, with 5–95% bands; "no gain" where the draws gain nothing: in JSON and CSV the cost is null there
    and no_gain_at names those quantiles).

    Example: `ecotone simulate compare --hub 'Medical Innovation Institute'
    --scenario 'connect:Barcelona Health Hub' --scenario fast-track --chart scenarios.svg`;
    `ecotone simulate compare --hub Barcelona --scenario
    'fast-track:months=2:4,share=0.3:0.6,start=2027-03-01,ramp=6,duration=36,cost=250000,per_year=80000'`
    (a fast track from March 2027, at full effect after 6 months, for 3 years; decisions in 2 to 4 months for 30
    to 60% of innovations, drawn per run); `ecotone simulate compare --hub Barcelona --scenario 'Fast
    track=fast-track:months=3,cost=250000' --scenario 'Madrid link=connect:Madrid Health Hub'` (named scenarios:
    the tables and the chart say "Fast track", not the whole text); `ecotone simulate compare --hub Barcelona
    --interventions plan.yaml`
    """
    result = _run(ctx, lambda atlas, p: simulate.compare(atlas, hub, scenario or [], years=years, runs=runs,
                                                         seed=seed, as_of=as_of, chart=chart, chart_outcome=outcome,
                                                         out=out, progress=p, interventions=interventions,
                                                         discount_rate=discount_rate), fmt)
    result = _no_gain_in_words(result, fmt)
    _show(result, fmt, show, _PER_EURO, {"outcomes": "Outcomes at the horizon", "mechanisms": "How (run averages)",
                                         "explanations": "Why", **_PER_EURO_TITLES})
    _saved(chart, "Chart", fmt)
    _saved(out, "Bands", fmt)


@simulate_app.command("budget")
def simulate_budget(
    ctx: typer.Context, hub: HubArg,
    budget: Annotated[float, typer.Option(help="The money to spend over the horizon, EUR (costs discounted).")],
    option: Annotated[Optional[list[str]], typer.Option(
        help="An option to fund: interventions joined by + (as --scenario of compare, with its cost=EUR and "
             "per_year=EUR; NAME=SPEC names it); repeatable, at most 8.")] = None,
    interventions: InterventionsOpt = None,
    outcome: Annotated[str, typer.Option(help="Rank by on_market (extra products on the market at the horizon) or "
                                              "market_years (extra innovation-years).")] = "on_market",
    years: YearsOpt = 10, runs: Annotated[int, typer.Option(help="Monte Carlo runs (parameter draws).")] = 500,
    seed: SeedOpt = 0, as_of: AsOfOpt = None, discount_rate: RateOpt = 0.03,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Spend a budget: every combination of the options whose cost over the horizon fits the budget, run on the
    same Monte Carlo draws as the baseline and ranked by the outcome gained (median, with its 5–95% band and the
    share of draws with a gain), then by the cost per extra product on the market. Combinations over budget, or
    holding one kind of intervention twice, are listed apart. CSV output is the ranking.

    Example: `ecotone simulate budget --hub Barcelona --budget 2000000
    --option 'fast-track:months=2:4,cost=250000,per_year=80000'
    --option 'seed-fund:amount=1,cost=1000000' --option 'cohort:size=8,start=12,cost=600000'`
    """
    result = _run(ctx, lambda atlas, p: simulate.budget(atlas, hub, option or [], budget=budget, years=years,
                                                        runs=runs, seed=seed, as_of=as_of,
                                                        interventions=interventions, discount_rate=discount_rate,
                                                        outcome=outcome, progress=p), fmt)
    result = _no_gain_in_words(result, fmt)
    _show(result, fmt, show, {"ranking": ("rank", "combination", "cost", "gain_median", "gain_p5", "gain_p95",
                                          "gain_share", "cost_per_product_median", "cost_per_product_p5",
                                          "cost_per_product_p95")},
          {"ranking": f"Affordable combinations, by {outcome.replace('_', ' ')} gained (EUR)",
           "options": "Options (cost over the horizon, EUR)", "left_out": "Left out"})


@simulate_app.command("calibrate")
def simulate_calibrate(
    ctx: typer.Context, hub: HubArg, as_of: AsOfOpt = None,
    out: Annotated[Optional[Path], typer.Option(help="Keep the estimates, standard errors and covariance (JSON).")]
    = None,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Fit the model's rates (ideas per month, months and success share of each stage) to the hub's history:
    the model, run from the first stage event, should end with the innovations where they are now, and agree with
    the measured velocity (Kaplan–Meier times, conversions) and the regulatory pathway's published months. Shows
    each rate with its standard error and 95% interval, and the fit target by target.

    Example: `ecotone simulate calibrate --hub 'Barcelona Health Hub'`
    """
    result = _run(ctx, lambda atlas, p: simulate.calibrate(atlas, hub, as_of=as_of, out=out), fmt)
    _show(result, fmt, show, {}, {"parameters": "Calibrated rates", "fit": "Fit"})
    _saved(out, "Calibration", fmt)


@simulate_app.command("sensitivity")
def simulate_sensitivity(
    ctx: typer.Context, hub: HubArg,
    outcome: Annotated[str, typer.Option(help="The outcome at the horizon.")] = "market_years",
    method: Annotated[str, typer.Option(help="tornado (10th–90th percentile swings) or sobol (variance shares).")]
    = "tornado",
    years: YearsOpt = 10,
    runs: Annotated[int, typer.Option(help="Sobol: base samples (runs × (parameters + 2) simulations).")] = 2048,
    seed: SeedOpt = 0, as_of: AsOfOpt = None, chart: ChartOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Which uncertain parameters move an outcome most: a tornado of swings as each goes from its 10th to its
    90th percentile, or Sobol first-order and total indices (the share of the outcome's variance each explains).

    Example: `ecotone simulate sensitivity --hub Barcelona --method sobol --chart sobol.png`
    """
    result = _run(ctx, lambda atlas, p: simulate.sensitivity(atlas, hub, outcome=outcome, method=method, years=years,
                                                             runs=runs, seed=seed, as_of=as_of, chart=chart,
                                                             progress=p), fmt)
    _show(result, fmt, None, {}, {"tornado": "Tornado", "sobol": "Sobol indices"})
    _saved(chart, "Chart", fmt)


@simulate_app.command("export-xmile")
def simulate_export_xmile(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The .xmile (or .stmx) file to write.")],
    hub: Annotated[Optional[str], typer.Option(help="Calibrate to this hub first (generic model otherwise).")] = None,
    years: YearsOpt = 10, as_of: AsOfOpt = None,
) -> None:
    """Write the ecosystem model as XMILE 1.0, for Stella, Vensim and PySD (`pysd.read_xmile`), calibrated to a
    hub and started from its present when --hub is given.

    Example: `ecotone simulate export-xmile ecosystem.xmile --hub Barcelona`
    """
    if hub:
        model = _run(ctx, lambda atlas, p: simulate.export_xmile(atlas, path, hub=hub, years=years, as_of=as_of))
    else:
        model = simulate.export_xmile(None, path, years=years)
    console.print(f"{model.name}: {len(model.stocks)} stocks, {len(model.flows)} flows, {len(model.auxes)} "
                  f"auxiliaries, {len(model.constants)} constants written to {path}")


@simulate_app.command("import-xmile")
def simulate_import_xmile(
    path: Annotated[Path, typer.Argument(help="An XMILE model of the supported subset (docs/simulation.md).")],
    runs: Annotated[int, typer.Option(help="Runs; with --vary, Monte Carlo draws.")] = 1,
    seed: SeedOpt = 0,
    vary: Annotated[Optional[list[str]], typer.Option(help="NAME=LOW:HIGH: draw this constant uniformly; "
                                                      "repeatable.")] = None,
    method: Annotated[Optional[str], typer.Option(help="euler or rk4 (default: the file's).")] = None,
    save_every: Annotated[Optional[float], typer.Option(help="Time between recorded points.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Write every trajectory, tidy (time, variable, run, value), "
                                                "as CSV.")] = None,
    chart: ChartOpt = None,
    variable: Annotated[Optional[str], typer.Option(help="The variable the chart draws (default: the first "
                                                    "stock).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Run your own XMILE model here, with Monte Carlo: final values of every variable (with its units) and
    5–95% bands. Arrays (an element is `Patients[North]`), modules and macros are read; conveyors, queues, event
    posters and functions outside the subset are refused by name (docs/simulation.md). The chart draws the first
    stock (of an array, its first element, said in the summary) unless --variable names another.

    Example: `ecotone simulate import-xmile clinic.xmile --runs 5000 --vary 'stay=3:6' --chart clinic.png`
    """
    try:
        result = simulate.import_xmile(path, runs=runs, seed=seed, vary=vary or [], method=method,
                                       save_every=save_every, out=out, chart=chart, chart_variable=variable)
    except InputRejected as exc:
        show_problems(exc.problems, fmt)
        raise typer.Exit(1) from None
    _show(result, fmt, None, {}, {"final": "Final values"})
    if not str(result.summary.get("chart", "")).startswith("not drawn"):
        _saved(chart, "Chart", fmt)
    _saved(out, "Trajectories", fmt)


@simulate_app.command("hubs")
def simulate_hubs_command(
    ctx: typer.Context,
    hubs: Annotated[Optional[list[str]], typer.Argument(help="The hubs to simulate together (name, part of it, or "
                                                        "id).")] = None,
    all_hubs: Annotated[bool, typer.Option("--all", help="Every hub of the atlas with a stage history.")] = False,
    link: Annotated[Optional[list[str]], typer.Option(
        help="Connect two hubs: HUB_A=HUB_B[,ties=10][,share=0.25] (new ties that open markets; the share of each "
             "hub's clinicians opened to the other's innovations); repeatable. A hub a link names is simulated "
             "too.")] = None,
    years: YearsOpt = 10,
    runs: Annotated[int, typer.Option(help="Monte Carlo runs (parameter draws).")] = 200,
    seed: SeedOpt = 0, as_of: AsOfOpt = None,
    xmile: Annotated[Optional[Path], typer.Option(help="Write the arrayed model (a hub dimension, the links' cross "
                                                  "flows) as XMILE, for Stella or PySD.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Write the bands of every outcome per hub over time (CSV).")]
    = None,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Several hubs in one model, the hub as an array dimension: each calibrated to its own history, started from
    where its innovations are now, and connected along the links given. A link sends innovations entering
    validation to the partner's clinical sites (in proportion to the clinicians open there; the host's congestion
    counts them) and lets scaling innovations cross into the partner's market (its new ties). Innovations move as
    whole ones by chance (process noise, as in `simulate compare`), with the same random numbers with and without
    the links. Outcomes per hub at the horizon with 5–95% bands, without the links and with them on the same draws
    (the paired change, the shares of draws better and worse): market-years, on the market, across borders, stopped, in the pipeline, at partner sites,
    partners' products on the hub's market.

    Examples: `ecotone simulate hubs Barcelona 'Medical Innovation Institute'
    --link 'Barcelona=Medical Innovation Institute,ties=6'`;
    `ecotone simulate hubs --all --runs 100 --xmile hubs.xmile`
    """
    result = _run(ctx, lambda atlas, p: network_simulation.simulate_hubs(
        atlas, hubs or [], links=link or [], all_hubs=all_hubs, years=years, runs=runs, seed=seed, as_of=as_of,
        xmile=xmile, out=out, progress=p), fmt)
    _show(result, fmt, show, {}, {"outcomes": "Outcomes per hub at the horizon", "links": "Links",
                                  "ties_between_hubs": "Ties between the hubs (atlas)"})
    _saved(xmile, "Arrayed model", fmt)
    _saved(out, "Bands", fmt)

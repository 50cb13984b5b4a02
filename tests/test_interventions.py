"""Interventions people fund: dated, ramped, lasting a while, costed, with uncertain effects; results per euro and
the budget mode."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from ecotone.domain.problems import InputRejected
from ecotone.io.xmile import read_xmile, write_xmile
from ecotone.simulate import Simulator
from ecotone.simulate.ecosystem import HubState, ecosystem_model
from ecotone.simulate.scenarios import (NO_GAIN, ScenarioComparison, cost_per_unit, discounted_cost, fast_track,
                                        seed_fund)

AS_OF = "2026-11-24"
POLISH = "Medical Innovation Institute"
STATE = HubState(stages={"idea": 6.0, "prototype": 4.0, "clinical_validation": 5.0, "regulatory_approval": 3.0},
                 clinicians=4)


def _run(interventions, years=6):
    """Deterministic trajectories of the baseline (run 0) and with the interventions applied (run 1)."""
    model = ecosystem_model(STATE, years=years)
    base = {c.name: np.zeros(1) + c.value for c in model.constants}
    values = base
    for iv in interventions:
        values = iv.apply(values)
    table = pd.DataFrame([{k: v[0] for k, v in base.items()}, {k: v[0] for k, v in values.items()}])
    return Simulator(save_every=0.25).run(model, table)


def test_a_dated_fast_track_acts_from_its_start_ramps_and_stops_after_its_duration():
    iv = fast_track(months=3, share=0.5).timed(start=12, ramp=6, duration=24)
    c = _run([iv])
    t = c.times
    approval = c.series("approval_time")
    base, scen = approval[:, 0], approval[:, 1]
    before, ramping, full, after = t <= 12, (t > 12) & (t < 18), (t >= 18) & (t < 36), t >= 36
    assert np.array_equal(base[before], scen[before])  # nothing before the start
    stock = c.series("regulatory_approval")
    assert np.array_equal(stock[t <= 12, 0], stock[t <= 12, 1]) and not np.allclose(stock[t > 13, 0],
                                                                                     stock[t > 13, 1])
    assert (np.diff(scen[ramping]) < 0).all()  # approval shortens step by step over the ramp
    full_time = base[full] * (1 - 0.5) + 0.5 * np.minimum(base[full], 3)
    assert np.allclose(scen[full], full_time)
    assert np.array_equal(base[after], scen[after])  # off again after 24 months
    mid = np.searchsorted(t, 15)  # halfway through the ramp: half the effect
    assert scen[mid] == pytest.approx(base[mid] - 0.5 * (base[mid] - full_time[0]))


def test_a_one_off_amount_is_paid_in_over_its_ramp():
    c = _run([seed_fund(amount=4).timed(start=6, ramp=4)])
    paying = c.series("seed_fund_paying_in")[:, 1]
    capital = c.series("capital")
    t = c.times
    assert np.array_equal(capital[t <= 6, 0], capital[t <= 6, 1])
    assert np.isclose(paying.sum() * 0.25, 1.0)
    extra = capital[:, 1] - capital[:, 0]
    assert extra[np.searchsorted(t, 8)] < extra[np.searchsorted(t, 10)]  # still coming in at month 8


def test_the_time_profiles_are_equations_of_the_exported_xmile(tmp_path):
    model = ecosystem_model(STATE).with_constants(fast_track_share=0.5, fast_track_start=12, fast_track_ramp=6,
                                                  fast_track_duration=24)
    path = write_xmile(model, tmp_path / "m.xmile")
    text = path.read_text()
    assert "fast_track_on" in text and "STEP(1, fast_track_start)" in text
    back = read_xmile(path)
    ours, theirs = Simulator(save_every=1).run(model), Simulator(save_every=1).run(back)
    assert np.allclose(ours.series("approval_time"), theirs.series("approval_time"))


def test_uncertain_effects_use_the_same_draws_in_every_scenario():
    model = ecosystem_model(STATE, years=4)
    draws = pd.DataFrame({"trials_per_clinician": np.linspace(0.4, 0.9, 40)})
    wide, narrow = fast_track(months=(2, 4), share=(0.3, 0.6)), fast_track(months=(2.5, 3.5), share=(0.3, 0.6))
    c = ScenarioComparison(scenarios={"wide": [wide], "narrow": [narrow]}, seed=4).run(model, draws)
    table = c.results_.params
    w, n = table.iloc[40:80], table.iloc[80:120]
    assert 2 <= w["fast_track_months"].min() and w["fast_track_months"].max() <= 4
    assert w["fast_track_months"].std() > 0.4
    # the same uniform draw behind both: the narrow range is the wide one squeezed around 3
    assert np.allclose(n["fast_track_months"].to_numpy() - 3, (w["fast_track_months"].to_numpy() - 3) / 2)
    assert np.allclose(w["fast_track_share"].to_numpy(), n["fast_track_share"].to_numpy())
    again = ScenarioComparison(scenarios={"wide": [wide]}, seed=4).run(model, draws)
    assert np.allclose(again.results_.params.iloc[40:80]["fast_track_months"], w["fast_track_months"])


def test_costs_are_discounted_as_by_hand():
    iv = seed_fund(amount=1).timed(start=12, duration=36, cost=200_000, per_year=50_000)
    r = 0.03
    by_hand = 200_000 / (1 + r) ** 1 + 50_000 * ((1 + r) ** -1 - (1 + r) ** -4) / math.log(1 + r)
    assert discounted_cost(iv, 120, r) == pytest.approx(by_hand)
    assert discounted_cost(iv, 120, 0) == pytest.approx(200_000 + 3 * 50_000)
    assert discounted_cost(iv, 24, 0) == pytest.approx(200_000 + 50_000)  # the horizon cuts the yearly cost
    open_ended = seed_fund().timed(per_year=10_000)
    assert discounted_cost(open_ended, 60, 0.05) == pytest.approx(10_000 * (1 - 1.05 ** -5) / math.log(1.05))


def test_cost_per_unit_says_no_gain_and_the_share_with_a_gain():
    gain = np.array([2.0, 1.0, 0.5, 0.0, -1.0, 4.0, 1.0, 2.0, 1.0, 0.25])
    r = cost_per_unit(1000.0, gain)
    assert r["gain_share"] == pytest.approx(0.8)
    assert r["per_unit_p5"] == pytest.approx(250.0) and r["per_unit_median"] == pytest.approx(1000.0)
    assert r["per_unit_p95"] is None and r["no_gain_at"] == ("p95",)  # a number or null, never the words
    lost = cost_per_unit(1000.0, -gain)
    assert lost["per_unit_median"] is None and lost["no_gain_at"] == ("median", "p95")
    assert cost_per_unit(0.0, gain)["per_unit_median"] is None and cost_per_unit(0.0, gain)["no_gain_at"] == ()
    assert NO_GAIN == "no gain"  # what tables in words say there


def test_explanations_read_as_sentences_with_their_timing():
    from ecotone.simulate.scenarios import accelerator_cohort, clinician_engagement, connect

    assert clinician_engagement(per_month=1).mechanism.startswith("1 clinician is recruited a month")
    assert clinician_engagement(per_month=2).mechanism.startswith("2 clinicians are recruited a month")
    assert "1 prototype enters the pipeline and 1 mentor raises talent" in accelerator_cohort(size=1, mentors=1).mechanism
    assert "1 new tie opens" in connect("B", partner_clinicians=4, new_ties=1, share=0.5).mechanism
    assert "decided in 1 month instead" in fast_track(months=1).mechanism
    model = ecosystem_model(STATE, years=2)
    funded = seed_fund(amount=1).timed(start=30)  # it starts after the horizon: nothing moves
    fast = fast_track(months=2, share=0.8).timed(start=3, ramp=6, duration=12)
    comparison = ScenarioComparison(scenarios={"fund": [funded], "fast": [fast]}).run(model, process_noise=False)
    said = comparison.explain()
    assert said["fund"].startswith("no outcome moved at the horizon, although EUR 1 million of capital is paid in")
    assert "because" not in said["fund"] and "from month 30, open-ended" in said["fund"]
    assert ", because 80% of innovations are decided in 2 months" in said["fast"]
    assert "from month 3, full effect after 6 months, for 12 months" in said["fast"]


def test_compare_reports_costs_and_results_per_euro(demo_atlas):
    from ecotone.services import simulate

    text = "fast-track:months=2:4,share=0.3:0.6,start=2027-03-01,ramp=6,duration=36,cost=250000,per_year=80000"
    result = simulate.compare(demo_atlas, POLISH, [text, "seed-fund:amount=2"], years=8, runs=60, seed=1,
                              as_of=AS_OF)
    costs = pd.DataFrame(result.tables["costs"]).set_index("scenario")
    start = 3.25  # 2026-11-24 → 2027-03-01 is 97 days, 3.19 months, on the model's quarter-month steps
    by_hand = (250_000 * 1.03 ** (-start / 12)
               + 80_000 * (1.03 ** (-start / 12) - 1.03 ** (-(start + 36) / 12)) / math.log(1.03))
    assert costs.loc[text, "cost"] == pytest.approx(by_hand, abs=0.01)
    assert costs.loc[text, "undiscounted"] == pytest.approx(250_000 + 3 * 80_000)
    assert "from month 3.25, full effect after 6 months, for 36 months" == costs.loc[text, "when"]
    per = pd.DataFrame(result.tables["per_euro"]).set_index(["scenario", "gain"])
    saved = per.loc[(text, "months saved from validation to approval")]
    assert saved["gain_median"] > 0 and saved["gain_share"] > 0.9
    assert saved["cost_per_unit_p5"] <= saved["cost_per_unit_median"] <= saved["cost_per_unit_p95"]
    assert saved["cost_per_unit_median"] == pytest.approx(by_hand / saved["gain_median"], rel=0.3)
    free = per.loc[("seed-fund:amount=2", "extra products on the market")]
    assert free["cost"] == 0 and pd.isna(free["cost_per_unit_median"]) and free["no_gain_at"] is None
    for row in result.tables["per_euro"]:  # JSON and CSV: a number or null in a cost field, never words
        for q in ("median", "p5", "p95"):
            value = row[f"cost_per_unit_{q}"]
            assert value is None or (isinstance(value, float) and math.isfinite(value)), row
            assert (value is None and row["cost"] > 0) == (q in (row["no_gain_at"] or "").split(", ")), row
    json.dumps(result.tables, allow_nan=False)
    assert result.summary["discount_rate"] == 0.03


def test_budget_ranks_only_the_affordable_combinations(demo_atlas):
    from ecotone.services import simulate

    options = ["fast-track:share=0.6,cost=300000", "seed-fund:amount=3,cost=900000",
               "cohort:size=8,cost=1500000", "clinicians:per_month=2,per_year=100000"]
    result = simulate.budget(demo_atlas, POLISH, options, budget=2_000_000, years=6, runs=40, seed=3, as_of=AS_OF,
                             discount_rate=0.0)
    ranking = pd.DataFrame(result.tables["ranking"])
    assert (ranking["cost"] <= 2_000_000).all() and list(ranking["rank"]) == list(range(1, len(ranking) + 1))
    left = pd.DataFrame(result.tables["left_out"])
    assert (left["cost"] > 2_000_000).all()
    every = {" + ".join(c) for k in range(1, 5) for c in __import__("itertools").combinations(options, k)}
    assert set(ranking["combination"]) | set(left["combination"]) == every
    assert "seed-fund:amount=3,cost=900000 + cohort:size=8,cost=1500000" in set(left["combination"])
    assert list(ranking["gain_median"]) == sorted(ranking["gain_median"], reverse=True)
    assert (ranking["gain_p5"] <= ranking["gain_p95"]).all()
    clinicians = ranking.set_index("combination").loc[options[3], "cost"]
    assert clinicians == pytest.approx(100_000)  # a 12-month programme at EUR 100,000 a year, not discounted
    assert result.summary["affordable"] == len(ranking)
    json.dumps(result.tables, allow_nan=False)
    for row in result.tables["ranking"]:
        flagged = (row["cost_per_product_no_gain_at"] or "").split(", ")
        assert all((row[f"cost_per_product_{q}"] is None) == (q in flagged) for q in ("median", "p5", "p95")), row


@pytest.mark.slow
def test_files_and_options_of_interventions_and_their_errors(demo_atlas, tmp_path):
    from ecotone.services import simulate

    good = tmp_path / "plan.yaml"
    good.write_text("- scenario: fast and funded\n  intervention: fast-track\n  months: [2, 4]\n  start: 2027-03-01\n"
                    "  cost: 250000\n- scenario: fast and funded\n  intervention: seed-fund\n  amount: 2\n"
                    "  per_year: 50000\n  duration: 24\n")
    result = simulate.compare(demo_atlas, POLISH, interventions=good, years=3, runs=10, as_of=AS_OF)
    costs = pd.DataFrame(result.tables["costs"])
    assert set(costs["scenario"]) == {"fast and funded"} and len(costs) == 2
    h = simulate.hub_model(demo_atlas, POLISH, as_of=AS_OF)
    bad = tmp_path / "plan.csv"
    bad.write_text("scenario,intervention,share,cost\nA,fast-track,0.5,100000\nB,seed-fund,,-5\n")
    with pytest.raises(InputRejected) as caught:
        simulate.scenarios_from_file(demo_atlas, h, bad)
    problem = caught.value.problems[0]
    assert (problem.file, problem.row, problem.column) == ("plan.csv", 3, "cost") and "negative" in problem.reason
    unknown = tmp_path / "plan.json"
    unknown.write_text(json.dumps([{"intervention": "fast-track", "colour": "red"}]))
    with pytest.raises(InputRejected) as caught:
        simulate.scenarios_from_file(demo_atlas, h, unknown)
    assert (caught.value.problems[0].row, caught.value.problems[0].column) == (1, "colour")
    nameless = tmp_path / "plan.yml"
    nameless.write_text("- months: 3\n")
    with pytest.raises(InputRejected, match="no intervention named"):
        simulate.scenarios_from_file(demo_atlas, h, nameless)

    # the options of a scenario's text, refused naming the option
    for text, message in [("fast-track:cost=-5", "cost: cannot be negative"),
                          ("fast-track:colour=blue", "fast-track takes no option 'colour'"),
                          ("seed-fund:start=2020-01-01", "before the simulation starts"),
                          ("fast-track:months=4:2", "low end is above"),
                          ("cohort:duration=0", "more than 0 months"),
                          ("fast-track:share=1.5", "between 0 and 1")]:
        with pytest.raises(InputRejected, match=message) as caught:
            simulate.parse_scenario(demo_atlas, h, text, option="--option")
        assert caught.value.problems[0].column == "--option" and text in caught.value.problems[0].reason
    with pytest.raises(InputRejected, match="cost: cannot be negative") as caught:
        simulate.budget(demo_atlas, POLISH, ["seed-fund:cost=-1"], budget=1e6, runs=2, as_of=AS_OF)
    assert caught.value.problems[0].column == "--option"
    with pytest.raises(InputRejected, match="budget is more than 0"):
        simulate.budget(demo_atlas, POLISH, ["fast-track"], budget=0, as_of=AS_OF)
    with pytest.raises(InputRejected, match="yearly rate"):
        simulate.compare(demo_atlas, POLISH, ["fast-track"], runs=2, discount_rate=-0.1, as_of=AS_OF)
    with pytest.raises(InputRejected, match="twice"):
        simulate.compare(demo_atlas, POLISH, ["fast-track+fast-track:share=0.2"], runs=2, as_of=AS_OF)


def test_the_budget_runs_as_a_job_of_the_api(demo_atlas):
    from fastapi.testclient import TestClient

    from conftest import bearer
    from ecotone.api import create_app
    from test_api import _job

    spec = {"hub": POLISH, "budget": 1_000_000, "options": ["fast-track:cost=300000", "seed-fund:cost=900000"],
            "runs": 20, "years": 4, "as_of": AS_OF}
    with TestClient(create_app(atlas=demo_atlas), headers=bearer(demo_atlas)) as client:
        result = _job(client, client.post("/api/v1/simulations/budget", json=spec))
        ranking = result["ranking"]
        assert {r["combination"] for r in ranking} == set(spec["options"])  # both together cost 1.2 million
        assert result["left_out"][0]["why"] == "over the budget"
        assert client.post("/api/v1/simulations/budget", json={**spec, "budget": -1}).status_code == 422
        assert client.post("/api/v1/simulations", json={"hub": POLISH, "discount_rate": 2}).status_code == 422


@pytest.mark.browser
@pytest.mark.slow
def test_the_scenarios_page_costs_interventions_and_ranks_a_budget(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    from conftest import live_server
    from test_web import CHROMIUM, FACILITATOR, FLAGS, demo_app, sign_in

    app = demo_app(tmp_path_factory.mktemp("web"))
    with live_server(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, url, FACILITATOR, "/scenarios")
        page.select_option("select[name=hub]", label=POLISH)
        page.fill("input[name=runs]", "40")
        page.fill("input[name=years]", "5")
        page.check("input[value=fast-track]")
        page.fill("input[name=fast-track-cost]", "-5")
        page.click("text=Run the scenarios")
        error = page.locator("#fast-track-error")
        assert error.is_visible() and "cannot be negative" in error.inner_text()
        assert "--" not in error.inner_text() and "cost=" not in error.inner_text()
        page.fill("input[name=fast-track-cost]", "250000")
        page.fill("input[name=fast-track-per_year]", "80000")
        page.fill("input[name=fast-track-ramp]", "6")
        page.fill("input[name=fast-track-duration]", "36")
        page.check("input[value=seed-fund]")
        page.fill("input[name=seed-fund-cost]", "900000")
        page.fill("input[name=seed-fund-start]", "2027-06-01")
        page.click("text=Run the scenarios")
        page.wait_for_selector("#per-euro table", timeout=90_000)
        per_euro = page.locator("#per-euro").inner_text()
        assert "Regulatory fast track" in per_euro and "extra products on the market" in per_euro
        assert "EUR" in per_euro and "draws with a gain" in per_euro and "fast-track:" not in per_euro
        assert "EUR 900 k" in page.locator("#costs").inner_text()  # money in words, as on every page
        page.fill("input[name=budget]", "1000000")
        page.click("text=Rank what the budget can fund")
        page.wait_for_selector("#ranking table", timeout=90_000)
        ranking = page.locator("#ranking tbody tr")
        assert ranking.count() == 2  # each alone fits; both together (EUR 1.4 million or so) do not
        assert "over the budget" in page.locator("#left-out").inner_text()
        shot = tmp_path_factory.mktemp("shots") / "scenarios-per-euro.png"
        page.screenshot(path=str(shot), full_page=True)  # to look at when the page changes
        assert shot.stat().st_size > 50_000
        assert not errors, errors
        browser.close()


def test_a_network_model_runs_with_process_noise_on_every_hubs_pipeline():
    from ecotone.simulate.network import Link, network_model
    from ecotone.simulate.scenarios import counted_stocks

    north = HubState("North Hub", {"idea": 4, "prototype": 6, "clinical_validation": 8}, clinicians=6)
    south = HubState("South Hub", {"idea": 2, "clinical_validation": 2, "scale": 5}, clinicians=25)
    model = network_model([north, south], [Link("North Hub", "South Hub", ties=2)], years=2, arrayed=False)
    counted, exact = counted_stocks(model)
    assert {"idea[north_hub]", "stopped[north_hub]", "idea[south_hub]", "scale[south_hub]"} <= set(counted)
    assert exact == ["cohort_intake[north_hub]", "cohort_intake[south_hub]"]
    from ecotone.simulate.stochastic import StochasticSimulator

    results = StochasticSimulator(counted=counted, exact=exact, seed=4, save_every=1.0).run(
        model, pd.DataFrame({"site_share[north_hub]": np.full(60, 0.25)}), streams=np.tile(np.arange(30), 2))
    on_market = results.series("on_market[north_hub]")
    assert np.array_equal(on_market, np.round(on_market)) and on_market[-1].std() > 0  # whole innovations, by chance
    assert np.array_equal(on_market[:, :30], on_market[:, 30:])  # the same stream, the same luck


@pytest.mark.slow
def test_simulate_hubs_runs_with_the_process_noise_of_compare(demo_atlas):
    from ecotone.services import network_simulation as ns

    network = ns.hub_network(demo_atlas, ["Barcelona"], links=["Barcelona=Madrid"], as_of=AS_OF)
    results, blocks = ns.run_network(network, years=3, runs=30, seed=2, scenarios={"linked again": {}},
                                     outcomes=("on_market", "market_years"))
    assert blocks == ["no links", "linked", "linked again"]
    e = network.elements[0].lower()
    on_market = results.series(f"on_market[{e}]")
    assert np.array_equal(on_market, np.round(on_market))  # whole products, as compare counts them
    linked, again = on_market[:, 30:60], on_market[:, 60:]
    assert np.array_equal(linked, again)  # every block on the random numbers of the same runs
    assert not np.array_equal(on_market[:, :30], linked)
    plain, _ = ns.run_network(network, years=3, runs=30, seed=2, outcomes=("on_market",), process_noise=False)
    smooth = plain.series(f"on_market[{e}]")
    assert not np.array_equal(smooth, np.round(smooth))
    result = ns.simulate_hubs(demo_atlas, ["Barcelona"], links=["Barcelona=Madrid"], runs=20, years=3,
                              as_of=AS_OF)
    assert "same random numbers" in result.summary["process_noise"]
    rows = [r for r in result.tables["outcomes"] if r["scenario"] == "linked"]
    assert all(r["worse_in"] is not None for r in rows if r["outcome"] == "market_years")


@pytest.mark.browser
@pytest.mark.slow
def test_the_scenarios_form_says_what_is_wrong_next_to_the_field_and_sets_effect_sizes(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    from conftest import live_server
    from test_web import CHROMIUM, FACILITATOR, FLAGS, demo_app, sign_in

    shots = tmp_path_factory.mktemp("shots")
    app = demo_app(tmp_path_factory.mktemp("web"))
    with live_server(app) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        posted: list[str] = []
        page.on("request", lambda r: posted.append(r.post_data or "") if r.method == "POST" and "simulations" in r.url
                else None)
        sign_in(page, url, FACILITATOR, "/scenarios")
        page.select_option("select[name=hub]", label=POLISH)
        hub, partner = page.input_value("select[name=hub]"), page.input_value("select[name=partner]")
        assert partner and partner != hub  # another hub by default
        # the effect sizes are fields, with the CLI's defaults in them
        assert page.input_value("input[name=fast-track-months]") == "3"
        assert page.input_value("input[name=connect-ties]") == "10"
        assert page.input_value("input[name=cohort-mentors]") == "3"
        page.check("input[name=connect]")
        page.select_option("select[name=partner]", value=hub)
        page.fill("input[name=runs]", "20")
        page.fill("input[name=years]", "3")
        page.click("text=Run the scenarios")
        assert "cannot be connected with itself" in page.locator("#connect-error").inner_text()
        page.fill("input[name=runs]", "")
        page.locator("input[name=runs]").press_sequentially("5e")  # a number field that holds no number
        page.click("text=Run the scenarios")
        runs_error = page.locator("#runs-error")
        assert runs_error.is_visible() and "not a number" in runs_error.inner_text()
        # the button is below the fold: the wrong field takes the focus and is scrolled into sight with its error
        assert page.evaluate("document.activeElement.name") == "runs"
        assert page.evaluate("""() => { const r = document.getElementById('runs-error').getBoundingClientRect();
                                        return r.top >= 0 && r.bottom <= innerHeight; }""")
        page.screenshot(path=str(shots / "scenarios-runs-error-in-sight.png"))
        assert not posted  # refused in the form, before anything was sent
        assert page.locator("#problems table").count() == 0  # no table of empty file/sheet/row/column columns
        page.screenshot(path=str(shots / "scenarios-form-errors.png"), full_page=True)
        page.fill("input[name=runs]", "20")
        page.uncheck("input[name=connect]")
        page.check("input[value=fast-track]")
        page.fill("input[name=fast-track-months]", "2")
        page.fill("input[name=fast-track-share]", "1.5")
        page.click("text=Run the scenarios")
        assert "between 0 and 1" in page.locator("#fast-track-error").inner_text()
        page.fill("input[name=fast-track-share]", "0.8")
        page.fill("input[name=fast-track-cost]", "200000")
        page.check("input[value=cohort]")
        page.fill("input[name=cohort-size]", "4")
        page.click("text=Run the scenarios")
        page.wait_for_selector("#per-euro table", timeout=90_000)
        assert any("fast-track:months=2,share=0.8,cost=200000" in body for body in posted), posted
        assert any("cohort:size=4" in body for body in posted), posted
        why = page.locator("#why").inner_text()
        assert "80% of innovations are decided in 2 months" in why and "4 prototypes enter" in why
        page.fill("input[name=budget]", "500000")
        page.click("text=Rank what the budget can fund")
        page.wait_for_selector("#ranking table", timeout=90_000)
        assert page.locator("#ranking tbody tr").count() >= 1
        page.screenshot(path=str(shots / "scenarios-effects-ranking.png"), full_page=True)
        assert not errors, errors
        browser.close()
    print("screenshots in", shots)


def test_a_scenario_can_be_named_on_the_command_line(demo_atlas):
    from ecotone.services import simulate

    result = simulate.compare(demo_atlas, POLISH, ["Fast track=fast-track:months=2,cost=100000", "seed-fund"],
                              years=2, runs=8, as_of=AS_OF)
    assert {r["scenario"] for r in result.tables["outcomes"]} == {"baseline", "Fast track", "seed-fund"}
    assert {r["scenario"] for r in result.tables["costs"]} == {"Fast track", "seed-fund"}
    with pytest.raises(InputRejected, match="given twice"):
        simulate.compare(demo_atlas, POLISH, ["A=fast-track", "A=seed-fund"], years=2, runs=2, as_of=AS_OF)
    with pytest.raises(InputRejected, match="unknown intervention 'fast-tracks'") as caught:
        simulate.compare(demo_atlas, POLISH, ["Quick=fast-tracks"], years=2, runs=2, as_of=AS_OF)
    assert caught.value.problems[0].column == "--scenario"

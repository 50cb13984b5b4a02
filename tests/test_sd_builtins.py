"""Every XMILE 1.0 builtin of the engine against a closed form, a hand computation, the corpus' canonical output
(SDXorg test-models, tests/data/sd-test-models) or PySD; non-negative stocks and flows as XMILE 1.0 says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecotone.simulate.engine import Simulator, build
from ecotone.simulate.equations import EquationError, parse
from ecotone.simulate.spec import Aux, Constant, Flow, Graph, Lookup, Model, ModelError, Stock

CORPUS = Path(__file__).parent / "data" / "sd-test-models" / "tests"


def run(model: Model, **kw) -> pd.DataFrame:
    """One run, every variable a column, a row per DT."""
    r = Simulator(**kw).run(model)
    return pd.DataFrame({v: r.series(v)[:, 0] for v in r.variables}, index=r.times)


def canonical_output(test: str) -> pd.DataFrame:
    path = CORPUS / test / "output.tab"
    if not path.exists():
        pytest.skip(f"the corpus copy has no {test}")
    return pd.read_csv(path, sep="\t")


# -- mathematics --------------------------------------------------------------------------------------------------
def test_mathematical_functions_and_xmiles_int_and_mod():
    m = Model("math", start=0, stop=4, dt=0.5, auxes=[
        Aux("x", "TIME - 2.3"),
        Aux("floor", "INT(x)"), Aux("modulo", "x MOD 2"), Aux("modulo_neg", "TIME MOD -3"),
        Aux("trig", "SIN(x) ^ 2 + COS(x) ^ 2 + TAN(PI / 4) + ARCTAN(1) * 4 - PI()"),
        Aux("arcs", "ARCSIN(0.5) + ARCCOS(0.5)"), Aux("big", "IF INF > 1E300 THEN 1 ELSE 0"),
        Aux("logs", "LOG10(1000) + LN(EXP(2)) + SQRT(16) + ABS(-1)"), Aux("pick", "IF_THEN_ELSE(x > 0, 1, -1)"),
        Aux("minmax", "MIN(x, 0) + MAX(x, 0)")])
    out = run(m)
    x = out["x"].to_numpy()
    assert out["floor"].tolist() == np.floor(x).tolist()  # the next integer below: INT(-0.3) is -1, not 0
    assert out["floor"].iloc[0] == -3.0
    assert np.allclose(out["modulo"], x - 2 * np.floor(x / 2))  # Knuth's floored modulus: the divisor's sign
    assert (out["modulo"] >= 0).all() and (out["modulo_neg"] <= 0).all()
    assert np.allclose(out["trig"], 2.0) and np.allclose(out["arcs"], np.pi / 2) and (out["big"] == 1).all()
    assert np.allclose(out["logs"], 3 + 2 + 4 + 1)
    assert out["pick"].tolist() == np.where(x > 0, 1.0, -1.0).tolist()
    assert np.allclose(out["minmax"], x)


def test_xidz_zidz_and_safediv_match_the_corpus():
    expected = canonical_output("xidz_zidz")
    m = Model("xidz", start=0, stop=1, dt=1, auxes=[
        Aux("test_zidz", "ZIDZ(numerator, zero)"), Aux("text_xidz", "SAFEDIV(numerator, zero, alternate)"),
        Aux("xidz", "XIDZ(numerator, 4, alternate)")],
        constants=[Constant("numerator", 11), Constant("zero", 0), Constant("alternate", 4)])
    out = run(m)
    assert out["test_zidz"].tolist() == expected["test zidz"].tolist()
    assert out["text_xidz"].tolist() == expected["text xidz"].tolist()
    assert out["xidz"].tolist() == [11 / 4, 11 / 4]


# -- non-negative stocks and flows ----------------------------------------------------------------------------------
def test_non_negative_stocks_limit_their_outflows_as_the_corpus_says():
    expected = canonical_output("non_negative_stocks")
    m = Model("non negative", start=0, stop=60, dt=1.5, stocks=[
        Stock("TestStock0", 25, outflows=("OutFlow",)), Stock("TestStock1", 25, outflows=("OutFlow",), non_negative=True),
        Stock("TestStock2", 10, inflows=("if_else",)), Stock("TestStock3", 10, inflows=("if_else",), non_negative=True)],
        flows=[Flow("OutFlow", 1), Flow("if_else", "IF Time > 10 THEN Time ELSE -Time")])
    out = run(m)
    for name in ("TestStock0", "TestStock1", "TestStock2", "TestStock3", "OutFlow", "if_else"):
        assert np.allclose(out[name], expected[name], atol=1e-9), name
    assert out["TestStock0"].min() < 0 and out["TestStock1"].min() == 0  # the same outflow, one stock guarded


def test_non_negative_flows_and_stocks_together_match_the_corpus():
    expected = canonical_output("non_negative_all")
    m = Model("non negative all", start=0, stop=50, dt=1, stocks=[
        Stock("TestStock0", 25, outflows=("OutFlow",), non_negative=True),
        Stock("TestStock1", 25, outflows=("OutFlow",), non_negative=True),
        Stock("TestStock2", 10, outflows=("if_else",), non_negative=True),
        Stock("TestStock3", 10, outflows=("if_else",))],
        flows=[Flow("OutFlow", "Time-20", non_negative=True),
               Flow("if_else", "IF Time > 10 THEN Time ELSE -Time", non_negative=True)])
    out = run(m)
    for name in expected.columns[5:]:
        assert np.allclose(out[name], expected[name], atol=1e-9), name


def test_outflows_are_served_in_order_and_what_is_let_out_arrives():
    # 10 in the stock, 2 flowing in per month over dt 1: 12 to share; 'first' asks 8, 'second' 8, 'third' 1
    m = Model("order", start=0, stop=1, dt=1, stocks=[
        Stock("store", 10, inflows=("supply",), outflows=("first", "second", "third"), non_negative=True),
        Stock("a", 0, inflows=("first",)), Stock("b", 0, inflows=("second",)), Stock("c", 0, inflows=("third",))],
        flows=[Flow("supply", 2), Flow("first", 8), Flow("second", 8), Flow("third", 1)])
    out = run(m).iloc[-1]
    assert (out["store"], out["a"], out["b"], out["c"]) == (0.0, 8.0, 4.0, 0.0)
    assert out["second"] == 8.0  # a flow reports its own equation; the stocks move what could flow


def test_under_rk4_a_non_negative_stock_never_goes_below_zero():
    m = Model("drain", start=0, stop=10, dt=0.5, method="rk4", stocks=[
        Stock("tank", 5, outflows=("leak",), non_negative=True), Stock("spilled", 0, inflows=("leak",))],
        flows=[Flow("leak", 2)])
    out = run(m)
    # each of RK4's four stages limits the outflow to what its stage holds: an emptying stock keeps 3/8 per DT
    assert out["tank"].min() >= 0 and np.all(np.diff(out["tank"]) <= 0) and out["tank"].iloc[-1] < 1e-6
    assert out["tank"].loc[2.5] == pytest.approx(0.375)
    assert np.allclose(out["tank"] + out["spilled"], 5)  # nothing made or lost


# -- delays and smooths -------------------------------------------------------------------------------------------
def _delay_model(**kw) -> Model:
    return Model("delay", start=1, stop=13, dt=1, stocks=[Stock("Stock 1", 100, inflows=("Flow 2",))],
                 flows=[Flow("Flow 2", "Converter_1*Stock_1")],
                 auxes=[Aux("Delay Stock 1", "DELAY(Stock_1, 1)"), Aux("Delay Stock 1 0", "DELAY(Stock_1, 1, 0)"),
                        Aux("Delay Flow 2", "DELAY(Flow_2, 5)"), Aux("Delay Flow 2 20", "DELAY(Flow_2, 5, -20)"),
                        Aux("Converter 2", "(((Stock_1/DELAY(Stock_1, 1))-1)*100)")],
                 constants=[Constant("Converter 1", 0.02)], **kw)


def test_delay_is_a_pipeline_of_past_inputs_as_the_corpus_says():
    expected = canonical_output("delay_xmile")
    out = run(_delay_model())
    for name in expected.columns[5:].drop("Converter 1"):
        assert np.allclose(out[name], expected[name], rtol=1e-12), name


def test_delay_times_differ_between_runs_of_one_ensemble():
    m = Model("late", start=0, stop=10, dt=0.5, auxes=[Aux("late", "DELAY(TIME, lag, -1)")],
              constants=[Constant("lag", 1)])
    r = Simulator().run(m, {"lag": [1.0, 2.5, 0.1]})
    t = r.times
    assert np.allclose(r.series("late")[:, 0], np.where(t >= 1, t - 1, -1))
    assert np.allclose(r.series("late")[:, 1], np.where(t >= 2.5, t - 2.5, -1))
    assert np.allclose(r.series("late")[:, 2], np.where(t >= 0.5, t - 0.5, -1))  # at least one DT


def test_delayn_and_smthn_of_order_three_are_delay3_and_smth3():
    m = Model("n", stop=20, dt=0.25, auxes=[
        Aux("input", "STEP(10, 2) + RAMP(1, 5, 8)"),
        Aux("d3", "DELAY3(input, 4, 2)"), Aux("dn", "DELAYN(input, 4, order, 2)"),
        Aux("s3", "SMTH3(input, 4)"), Aux("sn", "SMTHN(input, 4, 3)"), Aux("d7", "DELAYN(input, 4, 7)"),
        Aux("d3_from_zero", "DELAY3(input, 4)")],
        constants=[Constant("order", 3)])
    out = run(m)
    assert np.allclose(out["d3"], out["dn"], rtol=1e-14) and np.allclose(out["s3"], out["sn"], rtol=1e-14)
    # a higher order is closer to the fixed delay: halfway through the delay time less of the step is through
    assert 0 < out["d7"].loc[4.0] < out["d3_from_zero"].loc[4.0] and out["d7"].loc[8.0] > out["d3_from_zero"].loc[8.0]
    with pytest.raises(ModelError, match="order fixes the structure|order"):
        Simulator().run(build(m), {"order": [3, 4]})
    with pytest.raises(ModelError, match="dn: DELAYN's order n must be a number or a constant"):
        build(Model("bad", auxes=[Aux("dn", "DELAYN(TIME, 4, TIME)")]))


def test_trend_and_forcst_of_exponential_growth():
    # input grows 5% a month; TREND's smoothed average lags it by the averaging time, so the trend settles at
    # (1 - e^{-g·T}) / T / e^{-g·T}·... computed here against the continuous closed form for small DT
    g, tau = 0.05, 2.0
    m = Model("trend", stop=60, dt=1 / 64, auxes=[
        Aux("input", "EXP(g * TIME)"), Aux("trend", "TREND(input, tau, g)"),
        Aux("forecast", "FORCST(input, tau, 3, g)")], constants=[Constant("g", g), Constant("tau", tau)])
    out = run(m).iloc[-1]
    # the average a follows a' = (x - a)/tau with x = e^{gt}: a → x / (1 + g·tau), so TREND → g
    assert out["trend"] == pytest.approx(g, rel=1e-3)
    assert out["forecast"] == pytest.approx(out["input"] * (1 + g * 3), rel=1e-3)


def test_npv_discounts_each_dt_by_one_plus_rate_times_dt():
    m = Model("npv", stop=5, dt=0.5, auxes=[Aux("value", "NPV(100, 0.1, 7, 2)")])
    out = run(m)
    dt, r = 0.5, 0.1
    hand = [2 * (7 + sum(100 * dt * (1 + r * dt) ** -j for j in range(i))) for i in range(len(out))]
    assert np.allclose(out["value"], hand, rtol=1e-12)


def test_previous_and_init():
    m = Model("prev", stop=3, dt=0.5, auxes=[
        Aux("count", "PREVIOUS(SELF, 0) + 1"), Aux("last_time", "PREVIOUS(TIME, -1)"),
        Aux("start", "INIT(TIME + 10)")], stocks=[Stock("s", 0, inflows=("f",))], flows=[Flow("f", "count")])
    out = run(m)
    assert out["count"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert out["last_time"].tolist() == [-1, 0, 0.5, 1, 1.5, 2, 2.5] and (out["start"] == 10).all()
    assert np.allclose(out["s"], 0.5 * np.concatenate([[0], np.cumsum(out["count"].to_numpy())[:-1]]))


def test_test_inputs_step_ramp_pulse():
    m = Model("inputs", stop=10, dt=0.5, auxes=[
        Aux("step", "STEP(6, 3)"), Aux("ramp", "RAMP(2, 5)"), Aux("once", "PULSE(20, 4)"),
        Aux("train", "PULSE(20, 2, 3)")])
    out = run(m)
    t = out.index.to_numpy()
    assert out["step"].tolist() == np.where(t >= 3, 6.0, 0).tolist()
    assert np.allclose(out["ramp"], np.where(t >= 5, 2 * (t - 5), 0))
    assert out["once"].tolist() == np.where(t == 4, 40.0, 0).tolist()  # magnitude / DT, once
    assert out["train"].tolist() == np.where(np.isin(t, [2, 5, 8]), 40.0, 0).tolist()  # XMILE: 2, 5, 8, ...


# -- graphical functions ------------------------------------------------------------------------------------------
def test_stand_alone_graphical_functions_of_every_kind():
    points = (0, 1, 2), (0.0, 10.0, 10.0)
    m = Model("graphs", start=-1, stop=4, dt=0.5, auxes=[
        Aux("x", "TIME"), Aux("cont", "effect(x)"), Aux("extra", "LOOKUP(effect_x, x)"), Aux("steps", "stairs(x)"),
        Aux("inline", "x", graph=Graph(*points, kind="extrapolate")), Aux("via_aux", "LOOKUP(inline, x / 2)")],
        lookups=[Lookup("effect", Graph(*points)), Lookup("effect x", Graph((0, 1, 2), (0.0, 10.0, 40.0),
                                                                            kind="extrapolate")),
                 Lookup("stairs", Graph(*points, kind="discrete"))])
    out = run(m)
    x = out["x"].to_numpy()
    assert np.allclose(out["cont"], np.interp(x, *points))
    assert np.allclose(out["extra"], np.where(x < 0, 10 * x, np.where(x > 2, 40 + 30 * (x - 2),
                                                                       np.interp(x, (0, 1, 2), (0, 10, 40)))))
    assert out["steps"].tolist() == np.where(x < 1, 0.0, 10.0).tolist()
    assert np.allclose(out["inline"], np.where(x < 0, 10 * x, np.interp(x, *points)))
    assert np.allclose(out["via_aux"], np.interp(x / 2, *points) + np.where(x < 0, 10 * x / 2, 0))


def test_calls_to_nothing_and_functions_outside_the_subset_are_refused():
    with pytest.raises(ModelError, match="y: calls nothing_here, which is neither a builtin function nor a graph"):
        Model("m", auxes=[Aux("y", "nothing_here(TIME)")]).check()
    with pytest.raises(EquationError, match="HISTORY is outside the supported subset"):
        parse("HISTORY(x, 3)")
    with pytest.raises(EquationError, match="DELAYN takes 3 or 4 arguments, not 2"):
        parse("DELAYN(x, 3)")
    with pytest.raises(ModelError, match="y: effect is a graphical function; read it as effect"):
        build(Model("m", auxes=[Aux("y", "effect + 1")], lookups=[Lookup("effect", Graph((0, 1), (0, 1)))]))


# -- random functions ---------------------------------------------------------------------------------------------
def _random_model() -> Model:
    return Model("noise", stop=2, dt=0.5, auxes=[
        Aux("u", "RANDOM(2, 4, 17)"), Aux("z", "NORMAL(5, 2, 17)"), Aux("other", "RANDOM(2, 4, 17)"),
        Aux("free", "NORMAL(0, 1)"), Aux("e", "EXPRND(3, 5)"), Aux("ln", "LOGNORMAL(10, 2, 5)"),
        Aux("p", "POISSON(4, 5)")])


def test_seeded_random_functions_are_reproducible_and_independent():
    m = _random_model()
    first, again = Simulator().run(m, runs=20_000), Simulator().run(m, runs=20_000)
    for v in ("u", "z", "other", "e", "ln", "p"):
        assert np.array_equal(first.series(v), again.series(v)), v  # the seed fixes the numbers
    assert not np.array_equal(first.series("free"), again.series("free"))  # no seed anywhere: fresh numbers
    seeded = [Simulator(seed=3).run(m, runs=50).series("free") for _ in range(2)]
    assert np.array_equal(*seeded)
    u = first.series("u")
    assert u.min() >= 2 and u.max() <= 4
    assert u.mean() == pytest.approx(3, abs=0.01) and u.std() == pytest.approx(2 / 12 ** 0.5, abs=0.01)
    z = first.series("z")
    assert z.mean() == pytest.approx(5, abs=0.03) and z.std() == pytest.approx(2, abs=0.03)
    assert first.series("e").mean() == pytest.approx(3, abs=0.05)
    assert first.series("ln").mean() == pytest.approx(10, abs=0.05) and first.series("ln").std() == \
        pytest.approx(2, abs=0.05)
    p = first.series("p")
    assert np.array_equal(p, np.round(p)) and p.mean() == pytest.approx(4, abs=0.05) and p.var() == \
        pytest.approx(4, abs=0.15)
    # independent across call sites with the same seed, across runs and across times
    assert abs(np.corrcoef(u.ravel(), first.series("other").ravel())[0, 1]) < 0.02
    assert abs(np.corrcoef(u[0], u[1])[0, 1]) < 0.03
    # a run's numbers do not depend on how many runs the ensemble has
    assert np.array_equal(Simulator().run(m, runs=1).series("u")[:, 0], u[:, 0])


def test_a_seed_must_be_fixed_and_whole():
    with pytest.raises(ModelError, match="x: RANDOM's seed must be a number or a constant"):
        build(Model("m", auxes=[Aux("x", "RANDOM(0, 1, TIME)")]))
    with pytest.raises(ModelError, match="x: NORMAL's seed must be a whole number from 0 to 2\\^32 - 1"):
        build(Model("m", auxes=[Aux("x", "NORMAL(0, 1, 1.5)")]))


# -- against PySD ---------------------------------------------------------------------------------------------------
_PYSD_EQUATIONS = {
    "input": "10 + STEP(5, 2) + RAMP(1, 4) + 3 * SIN(TIME) + PULSE(8, 3)",
    "late": "DELAY(input, 2.5)", "late_from": "DELAY(input, 1, 4)", "late7": "DELAYN(input, 3, 7)",
    "smooth5": "SMTHN(input, 2, 5, 9)", "smooth3": "SMTH3(input, 3)", "trend": "TREND(input, 2)",
    "forecast": "FORCST(input, 2, 4)", "safe": "SAFEDIV(input, TIME - 5, -1)", "safe0": "SAFEDIV(input, 0)",
    "trig": "ARCTAN(TIME) + ARCSIN(0.5) + COS(TIME) * TAN(0.3)", "bounds": "MIN(input, 14) + MAX(input, 12)",
    "first": "INIT(input) * 2", "train": "PULSE(2, 1, 3)",
}


def test_the_builtins_pysd_runs_give_its_trajectories(tmp_path):
    """PySD reads the same equations from an XMILE file; the trajectories agree to 1e-9."""
    pysd = pytest.importorskip("pysd")
    auxes = "".join(f'<aux name="{k}"><eqn>{v}</eqn></aux>' for k, v in _PYSD_EQUATIONS.items())
    path = tmp_path / "builtins.xmile"
    path.write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header><vendor>Ecotone tests</vendor><product version="1">hand-written</product></header>
  <sim_specs method="Euler"><start>0</start><stop>12</stop><dt>0.25</dt></sim_specs>
  <model><variables>{auxes}</variables></model>
</xmile>""")
    ours = run(Model("builtins", stop=12, dt=0.25, auxes=[Aux(k, v) for k, v in _PYSD_EQUATIONS.items()]))
    theirs = pysd.read_xmile(str(path)).run(return_timestamps=list(ours.index), progress=False)
    for k in _PYSD_EQUATIONS:
        assert np.allclose(ours[k].to_numpy(), theirs[k].to_numpy(), rtol=1e-9, atol=1e-9), k


def test_a_misspelt_function_or_name_is_told_with_the_near_one():
    from ecotone.simulate.spec import Aux, Constant, Model, ModelError

    def error(equation: str) -> str:
        model = Model("typo", auxes=[Aux("smoothed orders", equation)], constants=[Constant("delayed orders", 2),
                                                                                    Constant("orders", 5)])
        with pytest.raises(ModelError) as caught:
            model.check()
        return str(caught.value)

    assert "SMTH33 is not a builtin function (did you mean SMTH3?)" in error("SMTH33(orders, 4)")
    assert "calls smth, which is neither" in error("SMTH(orders)") and "(did you mean SMTH" in error("SMTH(orders)")
    assert "refers to delayed_ordrs, which the model does not define (did you mean delayed_orders?)" in \
        error("delayed_ordrs * 2")

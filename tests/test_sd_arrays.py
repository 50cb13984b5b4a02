"""Arrays in stock-flow models: dimensions, apply-to-all and per-element equations, subranges, updimensioning and
the array builtins, built as specs and run by the engine; checked by hand, against the canonical outputs of the
SDXorg test-models (tests/data/sd-test-models, MIT) and against PySD on an XMILE file PySD reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecotone.simulate.arrays import flatten
from ecotone.simulate.engine import Simulator, build
from ecotone.simulate.equations import FUNCTIONS, EquationError, canonical, parse, to_text
from ecotone.simulate.spec import Aux, Constant, Dimension, Flow, Graph, Model, ModelError, Stock

CORPUS = Path(__file__).parent / "data" / "sd-test-models" / "tests"
REGION = Dimension("region", ("north", "south", "east"))
AGE = Dimension("age", ("young", "old"))


def canonical_output(folder: str) -> pd.DataFrame:
    """A corpus model's canonical output: a row per time, a column per variable (canonical names)."""
    table = pd.read_csv(CORPUS / folder / "output.tab", sep="\t", lineterminator=None)
    table.columns = [canonical(str(c).strip('"')) for c in table.columns]
    return table.set_index("time")


def same(ours: pd.Series, canon: pd.Series, column: str, rtol: float = 1e-9, atol: float = 0.0) -> None:
    """Our trajectory against the canonical one, at the times it records (constants only at the start)."""
    want = canon.to_numpy(dtype=float)
    kept = ~np.isnan(want)
    assert kept.any(), column
    np.testing.assert_allclose(ours.to_numpy()[kept], want[kept], rtol=rtol, atol=atol, err_msg=column)


def run(model: Model, params=None) -> pd.DataFrame:
    r = Simulator().run(model, params)
    return pd.DataFrame({canonical(v): r.series(v)[:, 0] for v in r.variables}, index=r.times)


# -- the syntax -----------------------------------------------------------------------------------------------------
def test_subscripts_read_back_what_they_write():
    for text in ("x[a, b] + y[region] * SUM(z[*])", "MEAN(w[*:south_east, 2])", "q[\"North East\"] / SIZE(q)",
                 "MAX(beds[*], 0)", "STDDEV(x[north, *]) + PROD(y)"):
        tree = parse(text)
        assert parse(to_text(tree)) == tree
    assert parse("x[*:Sub, 1, a]") == ("sub", "x", (("star", "sub"), ("num", 1), ("ref", "a")))
    assert canonical("Stock A[Entry 1, Entry 2]") == canonical("stock_a[entry_1,entry_2]") == "stock_a[entry_1,entry_2]"
    for name in ("SUM", "PROD", "MEAN", "STDDEV", "SIZE"):
        assert FUNCTIONS[name] == (1,)
    assert 1 in FUNCTIONS["MIN"] and 2 in FUNCTIONS["MAX"]


@pytest.mark.parametrize("text, message", [
    ("x[]", "expected an element"), ("x[0]", "counts from 1"), ("x[1.5]", "counts from 1"),
    ("x[a", "expected ]"), ("x[*:]", "expected a dimension"),
])
def test_bad_subscripts_say_what_is_wrong(text, message):
    with pytest.raises(EquationError, match=message):
        parse(text)


# -- against the canonical outputs of the test-models corpus --------------------------------------------------------
def test_one_argument_min_and_max_span_the_array():
    """min_max_1arg: var1[dim1] = 1, 2, 3; MIN(var1[dim1]) and MAX(var1[dim1]) in scalars."""
    dim1 = Dimension("dim1", ("a", "b", "c"))
    m = Model("min_max_1arg", dimensions=[dim1], stop=1, dt=1, auxes=[
        Aux("var_min", "MIN(var1[dim1])"), Aux("var_max", "MAX(var1[dim1])"),
        Aux("var1", "", dims=("dim1",), by_element=((("a",), "1"), (("b",), "2"), (("c",), "3")))])
    ours, canon = run(m), canonical_output("min_max_1arg")
    for column in ("var_min", "var_max", "var1[a]", "var1[b]", "var1[c]"):
        same(ours[column], canon[column], column)


def test_subscripted_trig_matches_the_canonical_output():
    """subscripted_trig: the trigonometric builtins over one and two dimensions, apply-to-all, with per-element
    inputs that change in time (var3)."""
    sub1, sub2 = Dimension("sub1", ("A", "B", "C")), Dimension("sub2", ("D", "E"))
    values1 = dict(zip("ABC", (0.1, 0.3, 0.8)))
    values2 = {("A", "D"): 0.1, ("A", "E"): 0.2, ("B", "D"): 0.4, ("B", "E"): 0.5, ("C", "D"): 0.6, ("C", "E"): 0.7}
    auxes = [Aux("var1", "", dims=("sub1",), by_element=tuple(((k,), str(v)) for k, v in values1.items())),
             Aux("var2", "", dims=("sub1", "sub2"), by_element=tuple((k, str(v)) for k, v in values2.items())),
             Aux("var3", "", dims=("sub2",), by_element=((("D",), "(Time+1)/15"), (("E",), "-0.2-Time/20")))]
    functions = {"abs": "ABS", "arccos": "ARCCOS", "arcsin": "ARCSIN", "arctan": "ARCTAN", "cos": "COS",
                 "exp": "EXP", "sin": "SIN", "tan": "TAN", "cosh": "COSH", "sinh": "SINH", "tanh": "TANH"}
    functions = {k: f for k, f in functions.items() if f in FUNCTIONS}
    subscripts = {1: ("sub1",), 2: ("sub1", "sub2"), 3: ("sub2",)}
    for short, fn in [*functions.items(), ("ln", "LN")]:
        for n, dims in subscripts.items():
            arg = f"var{n}[{','.join(dims)}]"
            auxes.append(Aux(f"s{short}{n}", f"LN(ABS({arg}))" if fn == "LN" else f"{fn}({arg})", dims=dims))
    m = Model("subscripted_trig", dimensions=[sub1, sub2], auxes=auxes, stop=10, dt=1)
    ours, canon = run(m), canonical_output("subscripted_trig")
    compared = [c for c in canon.columns if c in ours.columns]
    assert len(compared) >= 15 * len(functions) // 2  # the trig functions the engine has, over every element
    for column in compared:
        same(ours[column], canon[column], column, rtol=2e-5, atol=1e-6)


def test_updimensioning_reads_a_lower_dimensional_variable_at_its_elements():
    """subscript_updimensioning: Two Dims[Dim1, Dim2] = One Dim[Dim1]."""
    dim1, dim2 = Dimension("Dim1", ("A", "B", "C")), Dimension("Dim2", ("D", "E"))
    m = Model("updim", dimensions=[dim2, dim1], stop=2, dt=1, auxes=[
        Aux("One Dim", "", dims=("Dim1",), by_element=((("A",), "1"), (("B",), "2"), (("C",), "3"))),
        Aux("Two Dims", "One_Dim[Dim1]", dims=("Dim1", "Dim2"))])
    ours, canon = run(m), canonical_output("subscript_updimensioning")
    for column in [c for c in canon.columns if c.startswith(("one_dim[", "two_dims["))]:
        same(ours[column], canon[column], column)
    assert len([c for c in ours.columns if c.startswith("two_dims[")]) == 6


def test_mixed_assembly_of_apply_to_all_and_per_element_equations():
    """subscript_mixed_assembly: mixed assembly[Dim1, D] = subset[Dim1]; its E column holds values by element."""
    dim1, dim2 = Dimension("Dim1", ("A", "B", "C")), Dimension("Dim2", ("D", "E"))
    m = Model("mixed", dimensions=[dim2, dim1], stop=3, dt=1, auxes=[
        Aux("subset", "", dims=("Dim1",), by_element=((("A",), 1.1), (("B",), 1.2), (("C",), 1.3))),
        Aux("mixed assembly", "subset[Dim1]", dims=("Dim1", "Dim2"),
            by_element=((("A", "E"), 2.1), (("B", "E"), 2.2), (("C", "E"), 2.3)))])
    ours, canon = run(m), canonical_output("subscript_mixed_assembly")
    for column in [c for c in canon.columns if c.startswith(("subset[", "mixed_assembly["))]:
        assert ours[column].iloc[0] == pytest.approx(float(canon[column].iloc[0])), column


# -- by hand --------------------------------------------------------------------------------------------------------
def pipeline(**extra) -> Model:
    """Patients waiting per region, referred at a rate per region and treated over a time per region."""
    return Model("waiting", dimensions=[REGION, AGE], stop=4, dt=0.5, stocks=[
        Stock("waiting", "initial[region]", inflows=("referrals",), outflows=("treatments",), dims=("region",))],
        flows=[Flow("referrals", "rate[region] * (1 + STEP(1, 2))", dims=("region",)),
               Flow("treatments", "waiting[region] / treatment_time", dims=("region",))],
        constants=[Constant("rate", 10, dims=("region",), by_element=((("south",), 20), (("east",), 5))),
                   Constant("initial", 100, dims=("region",)), Constant("treatment_time", 4)], **extra)


def test_an_arrayed_stock_fills_and_drains_element_by_element():
    r = Simulator().run(pipeline(), {"rate[east]": [5.0, 50.0]})
    rates = {"north": 10.0, "south": 20.0, "east": 5.0}
    for region, rate in rates.items():
        x = 100.0
        for i in range(8):
            x += 0.5 * (rate * (1 + (i * 0.5 + 0.25 > 2)) - x / 4)
        assert r.final(f"waiting[{region}]")[0] == pytest.approx(x)
    assert r.final("waiting[east]")[1] > r.final("waiting[east]")[0] + 50  # the element set in the table
    with pytest.raises(KeyError, match=r"'waiting' is an array: .*waiting\[north\], waiting\[south\]"):
        r.series("waiting")
    assert r.frame("Waiting[North]").shape == (9, 2)


def test_array_builtins_agree_with_numpy():
    values = {"north": 3.0, "south": -1.5, "east": 7.25}
    m = Model("stats", dimensions=[REGION], stop=1, dt=1,
              constants=[Constant("x", 0, dims=("region",), by_element=tuple(((k,), v) for k, v in values.items()))],
              auxes=[Aux("total", "SUM(x[*])"), Aux("product", "PROD(x)"), Aux("average", "MEAN(x[region])"),
                     Aux("spread", "STDDEV(x[*])"), Aux("count", "SIZE(x)"), Aux("low", "MIN(x)"),
                     Aux("high", "MAX(x[*], 10)"), Aux("share", "x / SUM(x)", dims=("region",)),
                     Aux("deviation", "x[region] - MEAN(x)", dims=("region",))])
    a = np.array(list(values.values()))
    got = run(m).iloc[0]
    assert got["total"] == pytest.approx(a.sum())
    assert got["product"] == pytest.approx(a.prod())
    assert got["average"] == pytest.approx(a.mean())
    assert got["spread"] == pytest.approx(a.std())  # the population's standard deviation (divided by n)
    assert got["count"] == 3 and got["low"] == -1.5 and got["high"] == 10
    offset = Model("offset", dimensions=[REGION], stop=1, dt=1, constants=[
        Constant("y", 0, dims=("region",), by_element=tuple(((k,), 1e8 + v) for k, v in values.items()))],
        auxes=[Aux("spread", "STDDEV(y)")])
    assert run(offset).iloc[0]["spread"] == pytest.approx(a.std(), rel=1e-9)  # no cancellation at a large mean
    for i, region in enumerate(values):
        assert got[f"share[{region}]"] == pytest.approx(a[i] / a.sum())
        assert got[f"deviation[{region}]"] == pytest.approx(a[i] - a.mean())


def test_slices_positions_transposition_subranges_and_mapped_dimensions():
    south_east = Dimension("south_east", ("south", "east"))
    area = Dimension("area", ("a1", "a2", "a3"))  # same size as region: mapped by position
    flows = tuple(((f, t), float(10 * i + j)) for i, f in enumerate(REGION.elements)
                  for j, t in enumerate(REGION.elements))
    to = Dimension("to", REGION.elements)
    m = Model("slices", dimensions=[REGION, AGE, south_east, area, to], stop=1, dt=1, constants=[
        Constant("patients", 0, dims=("region", "age"), by_element=tuple(
            ((r, a), float(i * 2 + j + 1)) for i, r in enumerate(REGION.elements) for j, a in enumerate(AGE.elements))),
        Constant("moves", 0, dims=("region", "to"), by_element=flows)], auxes=[
        Aux("young_total", "SUM(patients[*, young])"),
        Aux("per_region", "SUM(patients[region, *])", dims=("region",)),
        Aux("second", "patients[2, old]"),
        Aux("back", "moves[to, region]", dims=("region", "to")),
        Aux("in_south_east", "SUM(patients[*:south_east, old])"),
        Aux("sub_copy", "per_region[south_east] * 2", dims=("south_east",)),
        Aux("mapped", "per_region[area]", dims=("area",)),
        Aux("all", "SUM(patients)")])
    got = run(m).iloc[0]
    # patients: north (1, 2), south (3, 4), east (5, 6)
    assert got["young_total"] == 9 and got["second"] == 4 and got["all"] == 21 and got["in_south_east"] == 10
    assert [got[f"per_region[{r}]"] for r in REGION.elements] == [3, 7, 11]
    assert got["back[north,east]"] == 20 and got["back[east,north]"] == 2  # moves[east, north], moves[north, east]
    assert got["sub_copy[south]"] == 14 and got["sub_copy[east]"] == 22
    assert [got[f"mapped[{a}]"] for a in area.elements] == [3, 7, 11]


def test_arrayed_graphs_and_smooths_run_per_element():
    m = Model("graphs", dimensions=[REGION], stop=2, dt=1, constants=[
        Constant("load", 0.5, dims=("region",), by_element=((("east",), 1.5),))], auxes=[
        Aux("effect", "load[region]", dims=("region",), graph=Graph((0, 1, 2), (1.0, 0.5, 0.0))),
        Aux("smoothed", "SMTH1(load[region] * 2, 1)", dims=("region",))])
    got = run(m)
    assert got["effect[north]"].iloc[0] == pytest.approx(0.75) and got["effect[east]"].iloc[0] == pytest.approx(0.25)
    assert got["smoothed[east]"].iloc[-1] == pytest.approx(3.0) and got["smoothed[north]"].iloc[-1] == 1.0


def test_flatten_names_the_elements_and_leaves_scalar_models_alone():
    flat = flatten(pipeline())
    names = [v.name for v in flat.variables]
    assert "waiting[north]" in names and "rate[east]" in names and "treatment_time" in names
    assert flat.dimensions == [] and len(flat.stocks) == 3
    assert flat.stocks[1].inflows == ("referrals[south]",) and flat.stocks[1].outflows == ("treatments[south]",)
    assert flat.constant("rate[south]").value == 20 and flat.constant("rate[north]").value == 10
    flat.check()
    scalar = Model("scalar", stocks=[Stock("x", 1, outflows=("out",))], flows=[Flow("out", "x / 2")])
    assert flatten(scalar) is scalar
    big = Dimension("n", tuple(f"e{i}" for i in range(400)))  # a long array sums without deep nesting
    m = Model("big", dimensions=[big], stop=1, dt=1, constants=[Constant("x", 1, dims=("n",))],
              auxes=[Aux("total", "SUM(x[*])"), Aux("spread", "STDDEV(x)")])
    assert build(m) and run(m)["total"].iloc[0] == 400


# -- refusals -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("change, message", [
    ({"dimensions": [REGION, REGION]}, "two dimensions are named 'region'"),
    ({"dimensions": [Dimension("region", ())]}, "the dimension 'region' has no elements"),
    ({"dimensions": [Dimension("region", ("a", "A"))]}, "lists a twice"),
    ({"auxes": [Aux("a", 1, dims=("ward",))]}, "a: unknown dimension 'ward'"),
    ({"auxes": [Aux("a", 1, dims=("region", "region"))]}, "a: a dimension is listed twice"),
    ({"auxes": [Aux("a", 1, dims=("region",), by_element=((("west",), 2),))]},
     r"a\[west\]: west is not an element of region"),
    ({"auxes": [Aux("a", 1, dims=("region",), by_element=((("north", "young"), 2),))]},
     r"a\[north, young\]: 2 subscripts for 1 dimension"),
    ({"auxes": [Aux("a", 1, by_element=((("north",), 2),))]}, "a: has equations by element but no dimensions"),
    ({"auxes": [Aux("a", "rate[north, young]")]}, r"a: rate\[north, young\]: rate takes 1 subscript"),
    ({"auxes": [Aux("a", "rate[west]")]}, r"a: rate\[west\]: west is not an element of region"),
    ({"auxes": [Aux("a", "rate[4]")]}, "region has 3 elements, no position 4"),
    ({"auxes": [Aux("a", "treatment_time[north]")]}, "treatment_time is not an array"),
    ({"auxes": [Aux("a", "rate[*]")]}, r"a: rate\[\*\]: \* spans region, which only an array builtin"),
    ({"auxes": [Aux("a", "rate[region]")]}, r"a: rate\[region\]: region is not a dimension of a; to span it"),
    ({"auxes": [Aux("a", "rate * 2")]}, "a: rate: region is not a dimension of a"),
    ({"auxes": [Aux("a", "rate[age]", dims=("age",))]}, r"a\[young\]: rate\[age\]: young of age is not an element"),
    ({"auxes": [Aux("a", "SUM(rate[*:ward])")]}, "ward is not a dimension of the model"),
])
def test_wrong_arrays_are_refused_naming_the_variable(change, message):
    base = pipeline()
    model = Model(base.name, stocks=base.stocks, flows=base.flows, constants=base.constants,
                  auxes=change.get("auxes", []), dimensions=change.get("dimensions", base.dimensions),
                  stop=base.stop, dt=base.dt)
    with pytest.raises(ModelError, match=message):
        build(model)


# -- against PySD ---------------------------------------------------------------------------------------------------
XMILE = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header><vendor>Ecotone tests</vendor><product version="1">hand-written</product></header>
  <sim_specs method="Euler" time_units="Months"><start>0</start><stop>6</stop><dt>0.25</dt></sim_specs>
  <dimensions>
    <dim name="region"><elem name="north"/><elem name="south"/><elem name="east"/></dim>
    <dim name="age"><elem name="young"/><elem name="old"/></dim>
  </dimensions>
  <model><variables>
    <stock name="waiting"><dimensions><dim name="region"/><dim name="age"/></dimensions>
      <eqn>initial[region] * share[age]</eqn><inflow>referrals</inflow><outflow>treatments</outflow></stock>
    <flow name="referrals"><dimensions><dim name="region"/><dim name="age"/></dimensions>
      <eqn>rate[region] * share[age]</eqn></flow>
    <flow name="treatments"><dimensions><dim name="region"/><dim name="age"/></dimensions>
      <eqn>waiting[region, age] / treatment_time[age]</eqn></flow>
    <aux name="rate"><dimensions><dim name="region"/></dimensions>
      <element subscript="north"><eqn>10</eqn></element><element subscript="south"><eqn>20</eqn></element>
      <element subscript="east"><eqn>5</eqn></element></aux>
    <aux name="initial"><dimensions><dim name="region"/></dimensions><eqn>100</eqn></aux>
    <aux name="share"><dimensions><dim name="age"/></dimensions>
      <element subscript="young"><eqn>0.7</eqn></element><element subscript="old"><eqn>0.3</eqn></element></aux>
    <aux name="treatment_time"><dimensions><dim name="age"/></dimensions>
      <element subscript="young"><eqn>2</eqn></element><element subscript="old"><eqn>5</eqn></element></aux>
    <aux name="longest"><eqn>MAX(waiting[region, age])</eqn></aux>
    <aux name="shortest"><eqn>MIN(waiting[region, age])</eqn></aux>
    <aux name="young_share"><dimensions><dim name="region"/></dimensions>
      <eqn>waiting[region, young] / (waiting[region, young] + waiting[region, old])</eqn></aux>
  </variables></model>
</xmile>
"""


def arrayed_pipeline() -> Model:
    """The model of XMILE above, as a spec."""
    dims = ("region", "age")
    return Model("pipeline", dimensions=[REGION, AGE], stop=6, dt=0.25, stocks=[
        Stock("waiting", "initial[region] * share[age]", inflows=("referrals",), outflows=("treatments",), dims=dims)],
        flows=[Flow("referrals", "rate[region] * share[age]", dims=dims),
               Flow("treatments", "waiting[region, age] / treatment_time[age]", dims=dims)],
        constants=[Constant("rate", 0, dims=("region",), by_element=((("north",), 10), (("south",), 20),
                                                                      (("east",), 5))),
                   Constant("initial", 100, dims=("region",)),
                   Constant("share", 0, dims=("age",), by_element=((("young",), 0.7), (("old",), 0.3))),
                   Constant("treatment_time", 0, dims=("age",), by_element=((("young",), 2), (("old",), 5)))],
        auxes=[Aux("longest", "MAX(waiting[region, age])"), Aux("shortest", "MIN(waiting[region, age])"),
               Aux("young_share", "waiting[region, young] / (waiting[region, young] + waiting[region, old])",
                   dims=("region",))])


def test_an_arrayed_pipeline_matches_pysd(tmp_path):
    pysd = pytest.importorskip("pysd")
    path = tmp_path / "pipeline.xmile"
    path.write_text(XMILE)
    theirs = pysd.read_xmile(str(path)).run(return_timestamps=np.arange(0, 6.25, 0.25))
    ours = run(arrayed_pipeline())
    for column in ("longest", "shortest"):  # PySD's XMILE reader has MIN/MAX of an array, not SUM or *
        np.testing.assert_allclose(ours[column].to_numpy(), theirs[column].to_numpy(), rtol=1e-10)
    for region in REGION.elements:
        np.testing.assert_allclose(ours[f"young_share[{region}]"].to_numpy(),
                                   theirs[f"young_share[{region}]"].to_numpy(), rtol=1e-10)
        for age in AGE.elements:
            np.testing.assert_allclose(ours[f"waiting[{region},{age}]"].to_numpy(),
                                       theirs[f"waiting[{region},{age}]"].to_numpy(), rtol=1e-10)

"""XMILE files both ways, for what the SDXorg corpus does not cover: modules, macros with several parameters and
their own stocks, graphical function types, non-negative flows, refusals that name the construct, the variable and
the line, undeclared vendor prefixes, a messy real-world file; and the writer's stock-flow diagram, read back by
PySD with the same trajectories."""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from ecotone.domain.problems import InputRejected
from ecotone.io.xmile import XmileWarning, read_xmile, read_xmile_text, write_xmile, xmile_text
from ecotone.simulate.engine import Simulator
from ecotone.simulate.spec import Constant, Flow, Graph, Model, Stock

_CORPUS = Path(__file__).parent / "data" / "sd-test-models"
_spec = importlib.util.spec_from_file_location("sd_corpus", _CORPUS / "corpus.py")
corpus = sys.modules.setdefault("sd_corpus", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(corpus)

NS = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"


def doc(body: str, *, specs: str = "<start>0</start><stop>10</stop><dt>1</dt>", top: str = "") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<xmile version="1.0" xmlns="{NS}">\n'
            f"<header><name>t</name></header>\n<sim_specs method=\"Euler\">{specs}</sim_specs>\n{top}\n"
            f"{body}\n</xmile>\n")


# -- modules (XMILE 1.0 §3.7.4: a module instantiates a named model; <connect> feeds its inputs) ----------------
MODULES = doc("""<model><variables>
  <aux name="referral rate"><eqn>6</eqn></aux>
  <module name="North clinic" model="clinic"><connect to="arrivals" from=".referral_rate"/></module>
  <module name="South clinic" model="clinic"><connect to="South_clinic.arrivals" from="North_clinic.treated"/></module>
  <aux name="total waiting"><eqn>North_clinic.waiting + South_clinic.waiting</eqn></aux>
</variables></model>
<model name="clinic"><variables>
  <flow name="arrivals" access="input"><eqn>0</eqn></flow>
  <stock name="waiting"><eqn>0</eqn><inflow>arrivals</inflow><outflow>treated</outflow></stock>
  <flow name="treated"><eqn>waiting / 2</eqn></flow>
</variables></model>""")


def test_modules_are_flattened_with_prefixed_names_and_connected():
    model = read_xmile_text(MODULES)
    names = {v.name for v in model.variables}
    assert {"north_clinic.waiting", "south_clinic.waiting", "north_clinic.treated"} <= names
    r = Simulator().run(model)
    north, south = r.series("north_clinic.waiting")[:, 0], r.series("south_clinic.waiting")[:, 0]
    # by hand: north fills with 6 and drains half; south fills with what north treats
    n, s = [0.0], [0.0]
    for _ in range(10):
        n.append(n[-1] + 6 - n[-1] / 2)
        s.append(s[-1] + n[-2] / 2 - s[-1] / 2)
    assert np.allclose(north, n) and np.allclose(south, s)
    assert np.allclose(r.series("total waiting")[:, 0], np.add(n, s))


def test_a_module_of_a_model_the_file_lacks_is_refused_with_its_line():
    text = MODULES.replace('model="clinic"><connect to="arrivals"', 'model="hospital"><connect to="arrivals"')
    with pytest.raises(InputRejected, match=r"line 8: module 'North clinic' uses the model 'hospital'"):
        read_xmile_text(text)


# -- macros (§3.6.1 / §3.7.5: parameters, an output equation, variables of their own) -------------------------------
MACRO = doc("""<model><variables>
  <aux name="demand"><eqn>10 + TIME</eqn></aux>
  <aux name="capped"><eqn>CAP AT(demand, 12, 2)</eqn></aux>
  <aux name="smoothed"><eqn>AVERAGE(demand, 2) + AVERAGE(capped, 4)</eqn></aux>
</variables></model>
<macro name="CAP AT"><parm>x</parm><parm>ceiling</parm><parm>slack</parm>
  <eqn>MIN(x, ceiling + slack)</eqn></macro>
<macro name="AVERAGE"><parm>input</parm><parm>time</parm><eqn>level</eqn>
  <variables>
    <stock name="level"><eqn>input</eqn><inflow>change</inflow></stock>
    <flow name="change"><eqn>(input - level) / time</eqn></flow>
  </variables></macro>""")


def test_macros_with_several_parameters_and_their_own_stocks_are_expanded_at_each_call():
    model = read_xmile_text(MACRO)
    assert len([s for s in model.stocks if s.name.endswith(".level")]) == 2  # one per call
    r = Simulator().run(model)
    demand = 10 + r.times
    assert np.allclose(r.series("capped")[:, 0], np.minimum(demand, 14))
    a, b, capped = [10.0], [10.0], np.minimum(demand, 14)
    for i in range(10):
        a.append(a[-1] + (demand[i] - a[-1]) / 2)
        b.append(b[-1] + (capped[i] - b[-1]) / 4)
    assert np.allclose(r.series("smoothed")[:, 0], np.add(a, b))


def test_a_macro_called_with_the_wrong_number_of_arguments_is_refused():
    with pytest.raises(InputRejected, match=r"capped.*CAP AT takes 3 arguments \(x, ceiling, slack\), not 2"):
        read_xmile_text(MACRO.replace("CAP AT(demand, 12, 2)", "CAP AT(demand, 12)"))


# -- graphical functions and non-negative flows ---------------------------------------------------------------------
def test_graphical_function_types_are_read_and_written():
    text = doc("""<model><variables>
      <gf name="effect" type="discrete"><xscale min="0" max="2"/><ypts>1;5;9</ypts></gf>
      <aux name="stepwise"><eqn>effect(TIME / 5)</eqn></aux>
      <aux name="beyond"><eqn>TIME</eqn><gf type="extrapolate"><xpts>0|5</xpts><ypts>0|10</ypts></gf></aux>
    </variables></model>""").replace("<ypts>1;5;9", '<ypts sep=";">1;5;9').replace("<xpts>0|5", '<xpts sep="|">0|5') \
        .replace("<ypts>0|10", '<ypts sep="|">0|10')
    model = read_xmile_text(text)
    [lookup] = model.lookups
    assert lookup.graph.kind == "discrete" and lookup.graph.ys == (1, 5, 9) and lookup.graph.xs == (0, 1, 2)
    assert model.variable("beyond").graph.kind == "extrapolate"
    again = read_xmile_text(xmile_text(model))
    assert again.lookups[0].graph == lookup.graph and again.variable("beyond").graph == model.variable("beyond").graph


def test_non_negative_flows_and_false_read_as_false():
    text = doc("""<behavior><flow><non_negative/></flow></behavior><model><variables>
      <stock name="s"><eqn>5</eqn><outflow>out</outflow><outflow>back</outflow></stock>
      <flow name="out"><eqn>TIME - 3</eqn></flow>
      <flow name="back"><eqn>-1</eqn><non_negative>false</non_negative></flow>
    </variables></model>""")
    model = read_xmile_text(text)
    assert model.variable("out").non_negative and not model.variable("back").non_negative
    assert not model.variable("s").non_negative
    written = xmile_text(model)
    assert written.count("<non_negative />") == 1
    assert read_xmile_text(written).variable("out").non_negative


# -- refusals, warnings, messy files --------------------------------------------------------------------------------
@pytest.mark.parametrize("fragment, message", [
    ('<stock name="belt"><eqn>0</eqn><conveyor><len>3</len></conveyor></stock>',
     r"line 8: stock 'belt': conveyors are outside"),
    ('<queue name="line"><eqn>0</eqn></queue>', r"line 8: queues \(line, in the model\) are outside"),
    ('<aux name="broken"><eqn>1 +* 2</eqn></aux>', r"line 8: aux 'broken': unexpected"),
    ('<aux name="lost"><eqn> ??? </eqn></aux>', r"line 8: aux 'lost' has the equation \?\?\?, xmutil's mark"),
])
def test_refusals_name_the_construct_the_variable_and_the_line(fragment, message):
    text = doc(f"<model><variables>\n<aux name='x'><eqn>1</eqn></aux>\n{fragment}\n</variables></model>")
    with pytest.raises(InputRejected, match=message):
        read_xmile_text(text)


def test_an_unknown_integration_method_is_refused_by_name():
    with pytest.raises(InputRejected, match="'RK45' is outside the supported subset"):
        read_xmile_text(doc("<model><variables/></model>").replace('method="Euler"', 'method="RK45"'))


def test_an_undeclared_prefix_gives_a_warning_not_a_refusal():
    text = doc('<isee:prefs show_module_prefix="true"/><model><variables><aux name="a"><eqn>1</eqn></aux>'
               "</variables></model>").replace('<sim_specs method="Euler">',
                                               '<sim_specs method="Euler" isee:simulation_delay="0">')
    with pytest.warns(XmileWarning, match="prefix isee: without declaring it"):
        read_xmile_text(text)
    found: list[str] = []
    read_xmile_text(text, warnings=found)
    assert len(found) == 1


def test_a_messy_real_world_file_reads(tmp_path):
    """What files from the field look like: a byte-order mark, CRLF lines, an undeclared isee: prefix, names with
    \\n and odd case, quoted names, a continued line, dt as a reciprocal, views, groups and styles to skip."""
    text = ("\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
            f'<xmile version="1.0" xmlns="{NS}">\r\n<isee:prefs/>\r\n<header><name>Clinic</name></header>\r\n'
            '<sim_specs method="RK4" time_units="Weeks"><start>0</start><stop>8</stop>'
            '<dt reciprocal="true">4</dt></sim_specs>\r\n<style><model font-size="9pt"/></style>\r\n'
            "<model><variables>\r\n"
            '<stock name="Waiting\\nList"><eqn>100</eqn><outflow>Seen</outflow><non_negative/></stock>\r\n'
            '<flow name="Seen"><eqn>waiting_list / \\\r\n "Average Wait"</eqn></flow>\r\n'
            '<aux name="AVERAGE WAIT"><eqn>4</eqn><units>weeks</units></aux>\r\n'
            '<group name="staff"/>\r\n'
            "</variables><views><view><stock name=\"Waiting_List\" x=\"1\" y=\"2\"/></view></views></model>"
            "\r\n</xmile>\r\n")
    path = tmp_path / "clinic.stmx"
    path.write_bytes(text.encode("utf-8"))
    found: list[str] = []
    model = read_xmile(path, warnings=found)
    assert model.dt == 0.25 and model.method == "rk4" and model.time_units == "weeks"
    r = Simulator(save_every=1).run(model)
    assert np.allclose(r.series("waiting list")[:, 0], 100 * np.exp(-r.times / 4), rtol=1e-4)
    assert found and "isee" in found[0]


# -- the writer's diagram, and PySD reading what Ecotone writes -------------------------------------------------------
def _clinic() -> Model:
    return Model("clinic", stocks=[Stock("waiting", 50, ("referrals",), ("admissions",)),
                                   Stock("in treatment", 0, ("admissions",), ("discharges",))],
                 flows=[Flow("referrals", "base * (1 + 0.5 * STEP(1, 5))"), Flow("admissions", "waiting / wait"),
                        Flow("discharges", "in_treatment / stay")],
                 constants=[Constant("base", 10), Constant("wait", 3), Constant("stay", 5)], stop=20, dt=0.5)


def test_the_written_view_is_a_valid_stock_flow_diagram():
    import xml.etree.ElementTree as ET

    root = ET.fromstring(xmile_text(_clinic()))
    q = f"{{{NS}}}"
    view = root.find(f"{q}model/{q}views/{q}view")
    assert view is not None
    uids = [e.get("uid") for e in view]
    assert len(uids) == len(set(uids)) and all(uids)
    placed = {e.get("name") for e in view if e.tag in (f"{q}stock", f"{q}flow", f"{q}aux")}
    assert placed == {"waiting", "in_treatment", "referrals", "admissions", "discharges", "base", "wait", "stay"}
    for flow in view.findall(f"{q}flow"):
        pts = flow.findall(f"{q}pts/{q}pt")
        assert len(pts) >= 2, flow.get("name")
    stocks = {e.get("name"): float(e.get("x")) for e in view.findall(f"{q}stock")}
    assert stocks["waiting"] < stocks["in_treatment"]  # the chain runs left to right
    connectors = [(c.findtext(f"{q}from"), c.findtext(f"{q}to")) for c in view.findall(f"{q}connector")]
    assert all(a in placed and b in placed for a, b in connectors)
    assert ("wait", "admissions") in connectors and ("waiting", "admissions") in connectors
    # the element order the XMILE schema gives a model: variables, then views
    assert [c.tag for c in root.find(f"{q}model")][-2:] == [f"{q}variables", f"{q}views"]


def test_pysd_reads_the_written_files_back_with_the_same_trajectories(tmp_path):
    paths = [_CORPUS / "tests" / "subscript_updimensioning" / "test_subscript_updimensioning.xmile",
             _CORPUS / "tests" / "non_negative_stocks" / "test_non_negative_stocks.xmile",
             _CORPUS / "tests" / "macro_multi_macros" / "test_macro_multi_macros.xmile"]
    for path in paths:
        model = read_xmile_text(corpus.repaired(path).text, warnings=[])
        text = xmile_text(model)
        ours, theirs = corpus.run_ecotone(path, text)[0], corpus.run_pysd(path, text)
        common = [c for c in theirs.columns if c in ours.columns]
        assert len(common) >= 5, path.name
        rows = [int(np.argmin(np.abs(ours.index.to_numpy() - t))) for t in theirs.index]
        for c in common:
            assert np.allclose(ours[c].to_numpy()[rows], theirs[c].to_numpy(), rtol=1e-6), (path.name, c)
    clinic = write_xmile(_clinic(), tmp_path / "clinic.xmile")
    ours = Simulator().run(_clinic())
    theirs = corpus.run_pysd(clinic)
    assert np.allclose(ours.series("in treatment")[:, 0], theirs["in_treatment"].to_numpy(), rtol=1e-9)


def test_writing_reads_back_the_same_arrays_and_lookups():
    path = _CORPUS / "tests" / "subscript_mixed_assembly" / "test_subscript_mixed_assembly.xmile"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XmileWarning)
        model = read_xmile_text(corpus.repaired(path).text)
        again = read_xmile_text(xmile_text(model))
    assert [d.elements for d in again.dimensions] == [d.elements for d in model.dimensions]
    a, b = Simulator().run(model), Simulator().run(again)
    assert a.variables == b.variables and np.allclose(a.values, b.values)
    assert Graph((0, 1), (0, 1)).kind == "continuous"


def test_the_ecosystem_diagram_is_readable_no_icons_overlap():
    """The built-in ecosystem model: the main chain left to right on one line, the stopped sink below it with
    each stage's pipe of its own, and no two stocks, valves or auxiliaries (with their labels) in one place."""
    import xml.etree.ElementTree as ET

    from ecotone.simulate.ecosystem import ecosystem_model

    q = f"{{{NS}}}"
    view = ET.fromstring(xmile_text(ecosystem_model())).find(f"{q}model/{q}views/{q}view")
    boxes = []
    for e in view:
        if e.tag == f"{q}connector":
            continue
        x, y, name = float(e.get("x")), float(e.get("y")), e.get("name")
        w = float(e.get("width", 45)) if e.tag == f"{q}stock" else 18
        h = 35 if e.tag == f"{q}stock" else 18
        boxes.append((name, (x - w / 2, y - h / 2, x + w / 2, y + h / 2 + 14)))  # icon and its label's line
    clashes = [(a, b) for i, (a, p) in enumerate(boxes) for b, r in boxes[i + 1:]
               if p[0] < r[2] and r[0] < p[2] and p[1] < r[3] and r[1] < p[3]]
    assert not clashes
    stocks = {e.get("name"): (float(e.get("x")), float(e.get("y"))) for e in view.findall(f"{q}stock")}
    chain = ["idea", "prototype", "clinical_validation", "regulatory_approval", "market_launch", "scale"]
    assert len({stocks[s][1] for s in chain}) == 1 and [stocks[s][0] for s in chain] == sorted(
        stocks[s][0] for s in chain)
    assert stocks["stopped"][1] > stocks["idea"][1]  # the sink sits below the line
    stops = {e.get("name"): [(p.get("x"), p.get("y")) for p in e.iter(f"{q}pt")]
             for e in view.findall(f"{q}flow") if e.get("name").endswith("_stops")}
    assert len(stops) == 6 and len({tuple(p) for p in stops.values()}) == 6  # a pipe of its own each
    for name, pts in stops.items():  # straight down from its own stock
        stock = stocks[name.removesuffix("_stops")]
        assert float(pts[0][0]) == stock[0] and float(pts[-1][1]) < stocks["stopped"][1]
    auxes = {e.get("name"): (float(e.get("x")), float(e.get("y"))) for e in view.findall(f"{q}aux")}
    valves = {e.get("name"): (float(e.get("x")), float(e.get("y"))) for e in view.findall(f"{q}flow")}
    # a constant stands near the flow it feeds, not in a row far away
    assert abs(auxes["time_idea"][0] - valves["prototyping"][0]) <= 300
    assert valves["prototyping"][1] - 400 < auxes["time_idea"][1] < valves["prototyping"][1]


_ARRAYED = """<?xml version="1.0" encoding="utf-8"?>
<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0" version="1.0">
<header><vendor>x</vendor><product version="1">x</product></header>
<sim_specs method="Euler" time_units="months"><start>0</start><stop>10</stop><dt>1</dt></sim_specs>
<dimensions><dim name="region"><elem name="North"/><elem name="South"/></dim></dimensions>
<model><variables>
<stock name="Patients"><dimensions><dim name="region"/></dimensions><eqn>100</eqn><outflow>discharges</outflow>
<units>people</units></stock>
<flow name="discharges"><dimensions><dim name="region"/></dimensions><eqn>Patients / stay</eqn>
<units>people/month</units></flow>
<aux name="stay"><eqn>4</eqn><units>months</units></aux>
</variables></model></xmile>"""


def test_import_xmile_charts_an_arrayed_first_stock_and_keeps_units_and_results(tmp_path):
    from ecotone.services.simulate import import_xmile

    path = tmp_path / "arrayed.xmile"
    path.write_text(_ARRAYED, encoding="utf-8")
    result = import_xmile(path, runs=20, vary=["stay=3:6"], chart=tmp_path / "a.png")
    assert (tmp_path / "a.png").stat().st_size > 0 and "Patients[North]" in result.summary["chart"]
    units = {r["variable"]: r["units"] for r in result.tables["final"]}
    assert units == {"Patients[North]": "people", "Patients[South]": "people", "discharges[North]": "people/month",
                     "discharges[South]": "people/month"}
    kept = import_xmile(path, chart=tmp_path / "b.png", chart_variable="nope")  # a bad --variable: results stand
    assert len(kept.tables["final"]) == 4 and kept.summary["chart"].startswith("not drawn")
    for bad, said in (("stay=abc:5", "LOW 'abc' is not a number"), ("stay=8:2", "LOW 8 is above HIGH 2"),
                      ("stay", "NAME=LOW:HIGH")):
        with pytest.raises(InputRejected, match=said):
            import_xmile(path, runs=5, vary=[bad])

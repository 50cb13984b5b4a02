"""XMILE constructs met in real files beyond the SDXorg corpus (the XMILE 1.0 specification's examples, Stella's
module files), each as a small hand-written file from the specification's text: what Ecotone reads and computes,
and what it refuses with the construct, the variable and the line."""

from __future__ import annotations

import numpy as np
import pytest

from ecotone.domain.problems import InputRejected
from ecotone.io.xmile import read_xmile_text
from ecotone.simulate.engine import Simulator

NS = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"


def doc(body: str, *, head: str = "", specs: str | None = "<start>0</start><stop>4</stop><dt>1</dt>") -> str:
    sim = f'<sim_specs method="Euler">{specs}</sim_specs>' if specs is not None else ""
    return (f'<xmile version="1.0" xmlns="{NS}">\n<header><name>t</name>{head}</header>\n{sim}\n{body}\n</xmile>\n')


def run(text: str, warnings: list[str] | None = None) -> dict[str, np.ndarray]:
    model = read_xmile_text(text, source="case.xmile", warnings=warnings if warnings is not None else [])
    results = Simulator().run(model)
    return {v: results.values[:, i, 0] for i, v in enumerate(results.variables)}


def refusal(text: str) -> str:
    with pytest.raises(InputRejected) as err:
        read_xmile_text(text, source="case.xmile", warnings=[])
    return str(err.value)


# -- modules as Stella writes them (XMILE 1.0 §3.7.4 and the qualified names of §3.2.2.3) --------------------------
# Two modules feed each other; inside a module, ".x" names the root model's x, "other.y" the other module's y, and
# an input may be a stock placeholder whose equation is only a {comment} until something is connected to it.
STELLA_MODULES = doc("""
<model><variables>
  <module name="prey"><connect to="area" from=".area"/><connect to="hunters" from="hunters.hunters"/></module>
  <module name="hunters"><connect to="density" from="prey.density"/></module>
  <aux name="area" access="output"><eqn>10</eqn></aux>
</variables></model>
<model name="prey"><variables>
  <stock name="prey"><eqn>100</eqn><inflow>births</inflow><outflow>eaten</outflow></stock>
  <flow name="births"><eqn>prey * 0.1</eqn></flow>
  <flow name="eaten"><eqn>hunters.hunters * 0.5</eqn></flow>
  <aux name="area" access="input"><eqn>{Enter equation for use when not hooked up}</eqn></aux>
  <aux name="density" access="output"><eqn>prey / .area {per hectare}</eqn></aux>
  <stock name="hunters" access="input"><eqn>{placeholder}</eqn></stock>
</variables></model>
<model name="hunters"><variables>
  <stock name="hunters" access="output"><eqn>4</eqn><inflow>births</inflow></stock>
  <flow name="births"><eqn>hunters * prey.density / 100</eqn></flow>
  <aux name="density" access="input"><eqn>{placeholder}</eqn></aux>
</variables></model>""")


def test_stella_modules_with_root_references_comments_and_an_input_stock():
    got = run(STELLA_MODULES)
    prey, hunters = [100.0], [4.0]
    for _ in range(4):  # Euler by hand: the input stock is the other module's stock, not a stock of its own
        density = prey[-1] / 10
        prey.append(prey[-1] + prey[-1] * 0.1 - hunters[-1] * 0.5)
        hunters.append(hunters[-1] + hunters[-1] * density / 100)
    np.testing.assert_allclose(got["prey.prey"], prey)
    np.testing.assert_allclose(got["hunters.hunters"], hunters)
    np.testing.assert_allclose(got["prey.hunters"], hunters)
    np.testing.assert_allclose(got["prey.density"], np.array(prey) / 10)


def test_a_connect_from_a_module_output_to_the_parent():
    # §3.7.4: <connect to=".x" from="module.y"> sets the parent's x from the module's output y
    text = doc("""<model><variables>
      <module name="sub"><connect to="input" from=".given"/><connect to=".result" from="sub.output"/></module>
      <aux name="given"><eqn>3</eqn></aux>
      <aux name="result" access="input"/>
    </variables></model>
    <model name="sub"><variables>
      <aux name="input" access="input"/>
      <aux name="output" access="output"><eqn>input * 2 + TIME</eqn></aux>
    </variables></model>""")
    np.testing.assert_allclose(run(text)["result"], [6, 7, 8, 9, 10])


def test_a_number_starting_with_a_point_is_not_a_root_reference():
    got = run(doc('<model><variables><aux name="x"><eqn>.5 + 0.25 * TIME {a comment}</eqn></aux>'
                  '</variables></model>'))
    np.testing.assert_allclose(got["x"], [0.5, 0.75, 1.0, 1.25, 1.5])


# -- a non-apply-to-all graphical function (§3.7.1.3 arrays; each element has its own <gf>, one shared <eqn>) ------
ELEMENT_GRAPHS = doc("""
<dimensions><dim name="products" size="2"/></dimensions>
<model><variables>
  <aux name="demand">
    <dimensions><dim name="products"/></dimensions>
    <element subscript="1"><gf><xscale min="0" max="4"/><ypts>0,10,20</ypts></gf></element>
    <element subscript="2"><gf><xscale min="0" max="4"/><yscale min="0" max="100"/><ypts>100,50,0</ypts></gf></element>
    <eqn>TIME</eqn>
  </aux>
  <aux name="total"><eqn>SUM(demand[*])</eqn></aux>
</variables></model>""")


def test_each_element_reads_its_own_graphical_function_at_the_shared_equation():
    got = run(ELEMENT_GRAPHS)
    np.testing.assert_allclose(got["demand[1]"], [0, 5, 10, 15, 20])
    np.testing.assert_allclose(got["demand[2]"], [100, 75, 50, 25, 0])
    np.testing.assert_allclose(got["total"], [100, 80, 60, 40, 20])


# -- what is refused, and how --------------------------------------------------------------------------------------
def test_includes_are_refused_naming_the_file_and_line():
    text = doc('<model><variables><aux name="x"><eqn>1</eqn></aux></variables></model>',
               head='<includes>\n<include resource="library.xmile"/></includes>')
    msg = refusal(text)
    assert "line 3" in msg and "library.xmile" in msg and "several files" in msg


def test_a_module_in_another_file_is_refused():
    text = doc('<model><variables>\n<module name="sub" resource="sub.xmile"/></variables></model>')
    msg = refusal(text)
    assert "module 'sub'" in msg and "sub.xmile" in msg and "line 5" in msg


def test_a_macro_library_says_it_has_nothing_to_simulate():
    msg = refusal(doc('<macro name="DOUBLE"><parm>x</parm><eqn>x * 2</eqn></macro>'))
    assert "only <macro>s" in msg


def test_an_unknown_function_is_refused_with_its_line():
    text = doc('<model><variables>\n<aux name="y"><eqn>1</eqn></aux>\n<aux name="x"><eqn>DOUBLE(100)</eqn></aux>'
               '</variables></model>')
    msg = refusal(text)
    assert "line 6" in msg and "double" in msg.lower() and "<macro>" in msg


def test_a_file_without_sim_specs_says_which_defaults_it_ran_with():
    found: list[str] = []
    run(doc('<model><variables><aux name="x"><eqn>1</eqn></aux></variables></model>', specs=None), found)
    assert any("no <sim_specs>" in w for w in found)

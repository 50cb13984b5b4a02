"""XMILE 1.0 (OASIS): write any model spec for Stella, Vensim and PySD, and read models of the documented subset.

The subset: one ``<model>`` of ``<stock>`` (``<eqn>``, ``<inflow>``, ``<outflow>``, ``<non_negative/>``), ``<flow>``
and ``<aux>`` (each with ``<eqn>``, optional ``<gf>`` with ``<xscale>``/``<xpts>`` and ``<ypts>``, ``<units>``,
``<doc>``), ``<sim_specs>`` (``<start>``, ``<stop>``, ``<dt>``, method Euler or RK4) and the functions of
:data:`ecotone.simulate.equations.FUNCTIONS`. Views, styles, groups and vendor elements are skipped; arrays,
modules, macros, conveyors, queues and other functions are refused by name.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..domain.problems import InputRejected, Problem
from ..simulate.equations import canonical, parse, to_text
from ..simulate.spec import Constant, Flow, Model, Stock
from .xmile_read import read_document

__all__ = ["NAMESPACE", "XmileWarning", "read_xmile", "read_xmile_text", "write_xmile", "xmile_text"]

NAMESPACE = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"
_N = f"{{{NAMESPACE}}}"
def _number(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def xmile_text(model: Model) -> str:
    """The model as an XMILE 1.0 document.

    Examples
    --------
    >>> m = Model("decay", stocks=[Stock("patients", 100, outflows=("discharges",))],
    ...           flows=[Flow("discharges", "patients / stay")], constants=[Constant("stay", 4)])
    >>> print(xmile_text(m).splitlines()[1])
    <xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0" version="1.0">
    >>> print(read_xmile_text(xmile_text(m)))  # read back
    model decay: time 0 to 120 months, dt 0.25, euler
    patients = INTEG(-discharges, 100)
    discharges = patients / stay
    stay = 4
    """
    model.check()
    from .. import __version__

    ET.register_namespace("", NAMESPACE)
    root = ET.Element(f"{_N}xmile", {"version": "1.0"})
    header = ET.SubElement(root, f"{_N}header")
    ET.SubElement(header, f"{_N}vendor").text = "Ecotone"
    ET.SubElement(header, f"{_N}product", {"version": __version__}).text = "Ecotone"
    ET.SubElement(header, f"{_N}name").text = model.name
    specs = ET.SubElement(root, f"{_N}sim_specs", {"method": "RK4" if model.method == "rk4" else "Euler",
                                                   "time_units": model.time_units})
    for tag, value in (("start", model.start), ("stop", model.stop), ("dt", model.dt)):
        ET.SubElement(specs, f"{_N}{tag}").text = _number(value)
    xmodel = ET.SubElement(root, f"{_N}model")
    if model.doc:
        ET.SubElement(xmodel, f"{_N}doc").text = model.doc
    variables = ET.SubElement(xmodel, f"{_N}variables")
    names = {canonical(v.name): _reference(v.name) for v in model.variables}

    def eqn(parent: ET.Element, text: str | float) -> None:
        ET.SubElement(parent, f"{_N}eqn").text = to_text(parse(text), names)

    for v in model.variables:
        tag = {Stock: "stock", Flow: "flow"}.get(type(v), "aux")
        el = ET.SubElement(variables, f"{_N}{tag}", {"name": v.name})
        if isinstance(v, Constant):
            ET.SubElement(el, f"{_N}eqn").text = _number(v.value)
        else:
            eqn(el, v.initial if isinstance(v, Stock) else v.equation)
        if isinstance(v, Stock):
            for f in v.inflows:
                ET.SubElement(el, f"{_N}inflow").text = f
            for f in v.outflows:
                ET.SubElement(el, f"{_N}outflow").text = f
            if v.non_negative:
                ET.SubElement(el, f"{_N}non_negative")
        elif not isinstance(v, Constant) and v.graph is not None:
            gf = ET.SubElement(el, f"{_N}gf")
            if v.graph.evenly_spaced:
                ET.SubElement(gf, f"{_N}xscale", {"min": _number(v.graph.xs[0]), "max": _number(v.graph.xs[-1])})
            else:
                ET.SubElement(gf, f"{_N}xpts").text = ",".join(_number(x) for x in v.graph.xs)
            ET.SubElement(gf, f"{_N}ypts").text = ",".join(_number(y) for y in v.graph.ys)
        if v.units:
            ET.SubElement(el, f"{_N}units").text = v.units
        if v.doc:
            ET.SubElement(el, f"{_N}doc").text = v.doc
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _reference(name: str) -> str:
    """How an equation refers to a variable: spaces become underscores; other characters need quotes."""
    plain = re.sub(r"\s+", "_", name.strip())
    return plain if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", plain) else f'"{name}"'


def write_xmile(model: Model, path: str | Path) -> Path:
    """Write ``model`` to ``path`` as XMILE 1.0 (``.xmile`` or ``.stmx``)."""
    path = Path(path)
    path.write_text(xmile_text(model), encoding="utf-8")
    return path


def read_xmile(path: str | Path, *, warnings: list[str] | None = None) -> Model:
    """Read an XMILE model of the documented subset; anything outside it is an error naming the construct."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputRejected([Problem(file=str(path), reason=f"cannot read the file: {exc}")]) from None
    return read_xmile_text(text, source=str(path), warnings=warnings)


def read_xmile_text(text: str, *, source: str = "model.xmile", warnings: list[str] | None = None) -> Model:
    """Read an XMILE document given as text (see :func:`read_xmile`)."""
    found: list[str] = []
    model = read_document(text, source, found)
    _warn(found, warnings, source)
    return model


class XmileWarning(UserWarning):
    """Something in an XMILE file Ecotone read past (an undeclared vendor prefix, say), said in words."""


def _warn(found: list[str], into: list[str] | None, source: str) -> None:
    if into is not None:
        into.extend(found)
        return
    import warnings as _warnings

    for text in found:
        _warnings.warn(f"{source}: {text}", XmileWarning, stacklevel=3)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]

"""XMILE 1.0 (OASIS): write any model spec for Stella, Vensim and PySD, with its stock-flow diagram, and read the
files modellers have (Stella's, xmutil's from Vensim, hand-written ones).

Reading is :mod:`ecotone.io.xmile_read` (safe parsing with line numbers in :mod:`ecotone.io.xmile_parse`, macros in
:mod:`ecotone.io.xmile_macros`); the diagram is :mod:`ecotone.io.xmile_views`. docs/simulation.md lists the
subset construct by construct: what is read, what is written, what is refused (naming the construct, the variable
and the line) and what is only warned about.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..domain.problems import InputRejected, Problem
from ..simulate.equations import canonical, parse, to_text
from ..simulate.spec import Constant, Flow, Model, Stock
from .xmile_read import read_document
from .xmile_views import view_element

__all__ = ["NAMESPACE", "XmileWarning", "read_xmile", "read_xmile_text", "write_xmile", "xmile_text"]

NAMESPACE = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"
_N = f"{{{NAMESPACE}}}"
def _number(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def xmile_text(model: Model, *, views: bool = True) -> str:
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
    dimensions = getattr(model, "dimensions", [])
    if dimensions:
        xdims = ET.SubElement(root, f"{_N}dimensions")
        for d in dimensions:
            xdim = ET.SubElement(xdims, f"{_N}dim", {"name": d.name})
            for e in d.elements:
                ET.SubElement(xdim, f"{_N}elem", {"name": e})
    xmodel = ET.SubElement(root, f"{_N}model")
    if model.doc:
        ET.SubElement(xmodel, f"{_N}doc").text = model.doc
    variables = ET.SubElement(xmodel, f"{_N}variables")
    lookups = getattr(model, "lookups", [])
    names = {canonical(v.name): _reference(v.name) for v in (*model.variables, *lookups)}
    elements = {canonical(d.name): d.elements for d in dimensions}
    for d in dimensions:  # subscripts keep the spelling of their dimension and elements (PySD compares it exactly)
        for n in (d.name, *d.elements):
            names.setdefault(canonical(n), _reference(n))

    called = re.compile(r"\bLOOKUP\((" + "|".join(re.escape(names[canonical(lk.name)]) for lk in lookups) + r"), ") \
        if lookups else None

    def eqn(parent: ET.Element, text: str | float) -> None:
        out = _number(text) if isinstance(text, (int, float)) else to_text(parse(text), names)
        if called is not None:  # a stand-alone graphical function is called by its name, as Stella writes it
            out = called.sub(lambda m: f"{m.group(1)}(", out)
        ET.SubElement(parent, f"{_N}eqn").text = out

    def arrayed(el: ET.Element, v, default: str | float) -> None:
        """An arrayed variable's dimensions, and its equations element by element when they differ."""
        dims = getattr(v, "dims", ())
        if not dims:
            eqn(el, default)
            return
        xd = ET.SubElement(el, f"{_N}dimensions")
        for d in dims:
            ET.SubElement(xd, f"{_N}dim", {"name": d})
        given = {tuple(canonical(x) for x in k): e for k, e in v.by_element}
        if not given:
            eqn(el, default)
            return
        keys: list[tuple[str, ...]] = [()]
        for d in dims:
            keys = [(*k, e) for k in keys for e in elements[canonical(d)]]
        for k in keys:
            xe = ET.SubElement(el, f"{_N}element", {"subscript": ",".join(k)})
            eqn(xe, given.get(tuple(canonical(x) for x in k), default))

    for v in model.variables:
        tag = {Stock: "stock", Flow: "flow"}.get(type(v), "aux")
        el = ET.SubElement(variables, f"{_N}{tag}", {"name": v.name})
        arrayed(el, v, v.value if isinstance(v, Constant) else v.initial if isinstance(v, Stock) else v.equation)
        if isinstance(v, Stock):
            for f in v.inflows:
                ET.SubElement(el, f"{_N}inflow").text = f
            for f in v.outflows:
                ET.SubElement(el, f"{_N}outflow").text = f
        if getattr(v, "non_negative", False):
            ET.SubElement(el, f"{_N}non_negative")
        if not isinstance(v, (Constant, Stock)) and v.graph is not None:
            _gf(el, v.graph)
        if v.units:
            ET.SubElement(el, f"{_N}units").text = v.units
        if v.doc:
            ET.SubElement(el, f"{_N}doc").text = v.doc
    for lk in lookups:
        el = _gf(variables, lk.graph, lk.name)
        if lk.units:
            ET.SubElement(el, f"{_N}units").text = lk.units
        if lk.doc:
            ET.SubElement(el, f"{_N}doc").text = lk.doc
    if views:
        xmodel.append(view_element(model, lambda t: f"{_N}{t}", _reference))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _gf(parent: ET.Element, graph, name: str | None = None) -> ET.Element:
    """A graphical function: its type when not continuous, an x scale (evenly spaced) or x points, and y points."""
    attrs = {"name": name} if name else {}
    kind = getattr(graph, "kind", "continuous")
    if kind != "continuous":
        attrs["type"] = kind
    gf = ET.SubElement(parent, f"{_N}gf", attrs)
    # an x scale only when the points are evenly spaced: PySD reads <xscale> in preference to <xpts>
    if graph.evenly_spaced:
        ET.SubElement(gf, f"{_N}xscale", {"min": _number(graph.xs[0]), "max": _number(graph.xs[-1])})
    else:
        ET.SubElement(gf, f"{_N}xpts").text = ",".join(_number(x) for x in graph.xs)
    ET.SubElement(gf, f"{_N}yscale", {"min": _number(min(graph.ys)), "max": _number(max(graph.ys))})
    ET.SubElement(gf, f"{_N}ypts").text = ",".join(_number(y) for y in graph.ys)
    return gf


def _reference(name: str) -> str:
    """How an equation refers to a variable: spaces become underscores; other characters need quotes."""
    plain = re.sub(r"\s+", "_", name.strip())
    return plain if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", plain) else f'"{name}"'


def write_xmile(model: Model, path: str | Path, *, views: bool = True) -> Path:
    """Write ``model`` to ``path`` as XMILE 1.0 (``.xmile`` or ``.stmx``), with its stock-flow diagram unless
    ``views`` is false."""
    path = Path(path)
    path.write_text(xmile_text(model, views=views), encoding="utf-8")
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

    for text in found:  # said against the file, not against Ecotone's code
        _warnings.warn_explicit(text, XmileWarning, filename=source, lineno=0)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]

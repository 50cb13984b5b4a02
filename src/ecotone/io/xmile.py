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
            for e in d.elements:  # a name as Stella and PySD read it: underscores are spaces
                ET.SubElement(xdim, f"{_N}elem", {"name": _spaced(e)})
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

    scalar = _pulse_constants(model)

    def eqn(parent: ET.Element, text: str | float) -> None:
        out = _number(text) if isinstance(text, (int, float)) else to_text(_unsubscript(parse(text), scalar), names)
        if called is not None:  # a stand-alone graphical function is called by its name, as Stella writes it
            out = called.sub(lambda m: f"{m.group(1)}(", out)
        ET.SubElement(parent, f"{_N}eqn").text = out

    def arrayed(el: ET.Element, v, default: str | float) -> None:
        """An arrayed variable's dimensions, and its equations element by element when they differ."""
        dims = getattr(v, "dims", ())
        if not dims or canonical(v.name) in scalar:
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
            xe = ET.SubElement(el, f"{_N}element", {"subscript": ",".join(_spaced(x) for x in k)})
            eqn(xe, given.get(tuple(canonical(x) for x in k), default))

    taken = set(names)
    for v in model.variables:
        tag = {Stock: "stock", Flow: "flow"}.get(type(v), "aux")
        el = ET.SubElement(variables, f"{_N}{tag}", {"name": v.name})
        if isinstance(v, Stock) and v.dims and v.by_element:
            # PySD reads one initial value for an arrayed stock, not one per <element>: the initial values stand in
            # an auxiliary of their own that the stock starts from (the same model)
            start = f"initial_{_reference(v.name)}"
            while canonical(start) in taken:
                start += "_"
            taken.add(canonical(start))
            names[canonical(start)] = start
            holder = ET.SubElement(variables, f"{_N}aux", {"name": start})
            arrayed(holder, v, v.initial)
            ET.SubElement(holder, f"{_N}doc").text = f"the initial value of {v.name}, hub by hub"
            eqn(el, f"{start}[{', '.join(v.dims)}]")
            xd = ET.Element(f"{_N}dimensions")
            for d in v.dims:
                ET.SubElement(xd, f"{_N}dim", {"name": d})
            el.insert(0, xd)
        else:
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


def _spaced(name: str) -> str:
    """A dimension element as ``<elem name>`` and ``subscript=`` spell it, where an underscore is a space
    (equations write ``x[Medical_Innovation_Institute]``, PySD and Stella read the element "Medical Innovation
    Institute").

    >>> _spaced("Medical_Innovation_Institute")
    'Medical Innovation Institute'
    """
    return re.sub(r"_+", " ", name).strip() or name


_PULSES = {"PULSE", "PULSE_TRAIN", "PULSE TRAIN"}


def _pulse_constants(model: Model) -> set[str]:
    """Arrayed constants with one value for every element that a PULSE reads: written without dimensions, as
    PySD's PULSE cannot take an arrayed start (the model is the same; Stella reads either).

    >>> from ecotone.simulate.spec import Aux, Dimension
    >>> m = Model("m", auxes=[Aux("p", "PULSE(1, start[hub])", dims=("hub",))],
    ...           constants=[Constant("start", 3, dims=("hub",))], dimensions=[Dimension("hub", ("a", "b"))])
    >>> sorted(_pulse_constants(m))
    ['start']
    """
    found: set[str] = set()

    def walk(n, inside: bool) -> None:
        if not isinstance(n, tuple) or not n:
            return
        if n[0] == "sub" and inside:
            found.add(n[1])
        if n[0] == "call":
            for a in n[2]:
                walk(a, inside or n[1].upper() in _PULSES)
            return
        for c in n[1:]:
            if isinstance(c, tuple):
                walk(c, inside) if c and isinstance(c[0], str) else [walk(x, inside) for x in c]

    for v in model.variables:
        if isinstance(v, Constant):
            continue
        for text in (v.initial if isinstance(v, Stock) else v.equation, *(e for _, e in v.by_element)):
            if isinstance(text, str):
                walk(parse(text), False)
    return {canonical(c.name) for c in model.constants if canonical(c.name) in found and c.dims
            and all(x == c.value for _, x in c.by_element)}


def _unsubscript(node, names: set[str]):
    """``node`` with every subscripted reference to one of ``names`` made plain."""
    if not names or not isinstance(node, tuple) or not node or not isinstance(node[0], str):
        return node
    if node[0] == "sub" and node[1] in names:
        return ("ref", node[1])
    if node[0] in ("num", "ref", "star"):
        return node
    if node[0] == "call":
        return ("call", node[1], tuple(_unsubscript(a, names) for a in node[2]))
    if node[0] == "sub":
        return node
    return (node[0], *(_unsubscript(c, names) if isinstance(c, tuple) else c for c in node[1:]))


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

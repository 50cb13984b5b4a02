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
from .xmile_parse import parse_xml
from ..simulate.equations import EquationError, canonical, parse, to_text
from ..simulate.spec import Aux, Constant, Flow, Graph, Model, ModelError, Stock

__all__ = ["NAMESPACE", "XmileWarning", "read_xmile", "read_xmile_text", "write_xmile", "xmile_text"]

NAMESPACE = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"
_N = f"{{{NAMESPACE}}}"
_REFUSED = {"dimensions": "arrays (dimensions)", "module": "modules", "macro": "macros", "conveyor": "conveyors",
            "queue": "queues", "event_poster": "event posters", "delay_aux": "delay auxiliaries"}
_SKIPPED = {"views", "style", "group", "behavior", "data", "model_units", "prefs", "options", "isee"}


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
    def reject(reason: str, hint: str | None = None) -> InputRejected:
        return InputRejected([Problem(file=source, reason=reason, hint=hint)])

    try:
        doc = parse_xml(text)
    except ValueError as exc:
        raise reject(str(exc)) from None
    root = doc.root
    _warn(doc.warnings, warnings, source)
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    if _local(root.tag) != "xmile":
        raise reject(f"the root element is <{_local(root.tag)}>, not <xmile>", "export the model as XMILE 1.0")
    for el in root.iter():
        name = _local(el.tag)
        if name == "dimensions" and len(el) == 0:
            continue  # xmutil writes an empty <dimensions/> into every file
        if name in _REFUSED and el.tag.startswith(ns):
            raise reject(f"<{name}> ({_REFUSED[name]}) is outside the supported XMILE subset",
                         "see docs/simulation.md for what Ecotone reads")
    models = root.findall(f"{ns}model")
    if len(models) != 1:
        raise reject(f"{len(models)} <model> elements; the supported subset has exactly one (no modules)")
    specs = root.find(f"{ns}sim_specs")
    header_name = root.findtext(f"{ns}header/{ns}name")
    kwargs: dict = {"name": (header_name or Path(source).stem).strip()}
    if specs is not None:
        method = (specs.get("method") or "euler").lower()
        if method not in ("euler", "rk4"):
            raise reject(f"the integration method {specs.get('method')!r} is outside the supported subset",
                         "use Euler or RK4")
        kwargs["method"] = method
        kwargs["time_units"] = (specs.get("time_units") or "months").lower()
        for tag in ("start", "stop", "dt"):
            el = specs.find(f"{ns}{tag}")
            if el is not None and el.text:
                try:
                    value = float(el.text)
                except ValueError:
                    raise reject(f"<sim_specs> <{tag}> is {el.text!r}, not a number") from None
                kwargs[tag] = 1 / value if tag == "dt" and el.get("reciprocal") == "true" else value
    doc = models[0].findtext(f"{ns}doc")
    stocks, flows, auxes, constants = [], [], [], []
    variables = models[0].find(f"{ns}variables")
    for el in (variables if variables is not None else []):
        kind = _local(el.tag)
        if not el.tag.startswith(ns) or kind in _SKIPPED:
            continue
        name = el.get("name")
        if kind not in ("stock", "flow", "aux"):
            raise reject(f"<{kind}> {name or ''} is outside the supported XMILE subset".replace("  ", " "),
                         "the subset has stock, flow and aux")
        if not name:
            raise reject(f"a <{kind}> has no name")
        name = name.replace("\\n", " ").strip()
        equation = (el.findtext(f"{ns}eqn") or "").strip()
        units, text_doc = (el.findtext(f"{ns}units") or "").strip(), (el.findtext(f"{ns}doc") or "").strip()
        if not equation:
            raise reject(f"{kind} {name!r} has no <eqn>")
        try:
            tree = parse(equation)
        except EquationError as exc:
            raise reject(f"{kind} {name!r}: {exc}") from None
        if kind == "stock":
            stocks.append(Stock(name, equation, tuple(f.text.strip() for f in el.findall(f"{ns}inflow")),
                                tuple(f.text.strip() for f in el.findall(f"{ns}outflow")), units, text_doc,
                                el.find(f"{ns}non_negative") is not None))
            continue
        graph = _graph(el.find(f"{ns}gf"), ns, name, reject)
        if kind == "aux" and graph is None and tree[0] == "num":
            constants.append(Constant(name, tree[1], units, text_doc))
        else:
            cls = Flow if kind == "flow" else Aux
            (flows if kind == "flow" else auxes).append(cls(name, equation, units, text_doc, graph))
    model = Model(stocks=stocks, flows=flows, auxes=auxes, constants=constants, doc=(doc or "").strip(), **kwargs)
    try:
        model.check()
    except ModelError as exc:
        raise reject(str(exc)) from None
    return model


def _graph(gf: ET.Element | None, ns: str, name: str, reject) -> Graph | None:
    if gf is None:
        return None
    kind = (gf.get("type") or "continuous").lower()
    if kind != "continuous":
        raise reject(f"{name!r}: graphical function type {kind!r} is outside the supported subset (continuous)")
    try:
        ys = tuple(float(y) for y in re.split(r"[,\s]+", (gf.findtext(f"{ns}ypts") or "").strip()) if y)
        xpts = gf.findtext(f"{ns}xpts")
        if xpts:
            xs = tuple(float(x) for x in re.split(r"[,\s]+", xpts.strip()) if x)
        else:
            scale = gf.find(f"{ns}xscale")
            if scale is None:
                raise reject(f"{name!r}: a graphical function needs <xscale> or <xpts>")
            lo, hi = float(scale.get("min")), float(scale.get("max"))
            xs = tuple(lo + (hi - lo) * i / (len(ys) - 1) for i in range(len(ys))) if len(ys) > 1 else ()
        return Graph(xs, ys)
    except (TypeError, ValueError) as exc:
        raise reject(f"{name!r}: cannot read its graphical function ({exc})") from None


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

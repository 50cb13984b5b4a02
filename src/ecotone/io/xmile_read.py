"""Reading XMILE 1.0 files as modellers have them (Stella, xmutil from Vensim, hand-written) into a model spec.

What is read: ``<sim_specs>`` (start, stop, ``<dt>`` or ``<dt reciprocal="true">``, Euler or RK4, time units);
model-wide ``<behavior>`` (``<non_negative/>`` for stocks and flows, or inside ``<stock>``/``<flow>``);
``<dimensions>`` (``<dim>`` with ``<elem>``\\ s or a ``size``); stocks, flows and auxiliaries with ``<eqn>``,
``<inflow>``/``<outflow>``, ``<non_negative/>`` (``false`` read as false), ``<units>``, ``<doc>``, a ``<gf>``
(continuous, extrapolate or discrete; ``<xscale>`` or ``<xpts>``, any ``sep``), arrays (``<dimensions>`` on a
variable, ``<element subscript="...">`` per element, each element's own ``<gf>``, a list of numbers for a whole
array); stand-alone ``<gf name="...">`` lookups; ``{comments}`` in equations; macros (expanded at each call, see
:mod:`ecotone.io.xmile_macros`) and modules (flattened, their variables named ``module.variable``; ``.name`` is
the root model's variable; connections into a module's inputs and out of its outputs). Views, styles and vendor elements are skipped. Anything
else is refused by an :class:`~ecotone.domain.problems.InputRejected` naming the construct, the variable and the
line.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from ..domain.problems import InputRejected, Problem
from ..simulate import spec as _spec
from ..simulate.equations import EquationError, canonical, parse
from ..simulate.spec import Aux, Constant, Flow, Graph, Model, ModelError, Stock
from .xmile_macros import Macro, expand_calls, rename
from .xmile_parse import ParsedXml, parse_xml

__all__ = ["read_document"]

_REFUSED = {"conveyor": "conveyors", "queue": "queues", "event_poster": "event posters",
            "delay_aux": "delay auxiliaries", "array": "arrays of the old isee form"}
_SKIPPED = {"views", "style", "group", "data", "model_units", "prefs", "options", "isee", "button", "graph",
            "table", "text_box", "graphics_frame", "alias", "connector", "stacked_container"}
_METHODS = {"euler": "euler", "rk4": "rk4"}
_GF_KINDS = ("continuous", "extrapolate", "discrete")


@dataclass
class _Raw:
    """One variable as the file gives it, before it becomes a spec object."""

    kind: str                      # stock, flow, aux
    name: str
    line: int | None
    eqns: list[str] = field(default_factory=list)
    dims: tuple[str, ...] = ()
    elements: list[tuple[tuple[str, ...], str, int | None]] = field(default_factory=list)
    inflows: tuple[str, ...] = ()
    outflows: tuple[str, ...] = ()
    non_negative: bool | None = None
    gf: ET.Element | None = None
    element_gfs: dict[tuple[str, ...], ET.Element] = field(default_factory=dict)  # an element's own <gf>
    units: str = ""
    doc: str = ""
    access: str = ""


class _Reader:
    def __init__(self, doc: ParsedXml, source: str, warnings: list[str]) -> None:
        self.doc, self.source, self.warnings = doc, source, warnings
        root = doc.root
        self.ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        self.dimensions: dict[str, tuple[str, ...]] = {}
        self.macros: dict[str, Macro] = {}
        self.sites = 0

    # -- errors ----------------------------------------------------------------------------------------------
    def reject(self, reason: str, el: ET.Element | None = None, hint: str | None = None) -> InputRejected:
        line = el.line if isinstance(el, _Line) else self.doc.line(el)
        return InputRejected([Problem(file=self.source, reason=f"line {line}: {reason}" if line else reason,
                                      hint=hint)])

    def q(self, tag: str) -> str:
        return f"{self.ns}{tag}"

    def text(self, el: ET.Element, tag: str) -> str:
        return (el.findtext(self.q(tag)) or "").strip()

    # -- the document ----------------------------------------------------------------------------------------
    def read(self) -> Model:
        root = self.doc.root
        if _local(root.tag) != "xmile":
            raise self.reject(f"the root element is <{_local(root.tag)}>, not <xmile>", root,
                              "export the model as XMILE 1.0")
        for inc in root.iter(self.q("include")):
            raise self.reject(f"<include resource={(inc.get('resource') or '').strip()!r}> (a model split over "
                              "several files) is outside the supported XMILE subset", inc,
                              "copy the included macros and models into this file")
        specs = root.find(self.q("sim_specs"))
        kwargs = self.sim_specs(specs)
        if specs is None and root.find(self.q("model")) is not None:
            self.warnings.append("the file has no <sim_specs>; simulated with Ecotone's defaults (time 0 to 120 "
                                 "months, dt 0.25, Euler)")
        header_name = root.findtext(f"{self.ns}header/{self.ns}name")
        kwargs["name"] = (header_name or "").strip() or Path(self.source).stem
        defaults = self.behavior(root.find(self.q("behavior")))
        for dims in root.findall(self.q("dimensions")):
            self.read_dimensions(dims)
        for el in root.findall(self.q("macro")):
            self.read_macro(el)
        models = root.findall(self.q("model"))
        if not models:
            if self.macros:
                raise self.reject("the file holds only <macro>s and no <model> (a macro library, meant to be "
                                  "included by another file): there is nothing to simulate", root)
            raise self.reject("the file has no <model>", root)
        named = {canonical(m.get("name") or ""): m for m in models}
        used = {canonical(m.get("model") or m.get("name") or "") for el in models
                for m in el.iter(self.q("module"))}
        mains = [m for m in models if not m.get("name")] or [m for m in models
                                                              if canonical(m.get("name")) not in used]
        if len(mains) != 1:
            raise self.reject(f"{len(mains)} <model>s could be the main one (the main model has no name and is "
                              "not used as a module)", models[0])
        main = mains[0]
        raws = self.read_model(main, "", named, ())
        doc = self.text(main, "doc")
        return self.build(raws, defaults, kwargs, doc)

    def sim_specs(self, specs: ET.Element | None) -> dict:
        kwargs: dict = {}
        if specs is None:
            return kwargs
        method = (specs.get("method") or "euler").strip().lower()
        if method not in _METHODS:
            raise self.reject(f"the integration method {specs.get('method')!r} is outside the supported subset",
                              specs, "use Euler or RK4")
        kwargs["method"] = _METHODS[method]
        kwargs["time_units"] = (specs.get("time_units") or "months").strip().lower()
        for tag in ("start", "stop", "dt"):
            el = specs.find(self.q(tag))
            if el is not None and (el.text or "").strip():
                try:
                    value = float(el.text)
                except ValueError:
                    raise self.reject(f"<sim_specs> <{tag}> is {el.text.strip()!r}, not a number", el) from None
                if tag == "dt" and (el.get("reciprocal") or "").lower() == "true":
                    value = 1 / value
                kwargs[tag] = value
        return kwargs

    def behavior(self, el: ET.Element | None) -> dict[str, bool]:
        out = {"stock": False, "flow": False}
        if el is None:
            return out
        everything = self.flag(el.find(self.q("non_negative")))
        if everything is not None:
            out = {"stock": everything, "flow": everything}
        for kind in ("stock", "flow"):
            sub = el.find(self.q(kind))
            if sub is not None:
                value = self.flag(sub.find(self.q("non_negative")))
                if value is not None:
                    out[kind] = value
        return out

    def flag(self, el: ET.Element | None) -> bool | None:
        """A ``<non_negative/>``: None when absent; ``<non_negative>false</non_negative>`` is false."""
        if el is None:
            return None
        value = (el.text or "").strip().lower()
        if value in ("", "true", "1", "yes"):
            return True
        if value in ("false", "0", "no"):
            return False
        raise self.reject(f"<non_negative> holds {value!r}; give true or false", el)

    def read_dimensions(self, el: ET.Element) -> None:
        for dim in el.findall(self.q("dim")):
            name = (dim.get("name") or "").strip()
            if not name:
                raise self.reject("a <dim> has no name", dim)
            elems = tuple((e.get("name") or "").strip() for e in dim.findall(self.q("elem")))
            if not elems:
                size = dim.get("size")
                try:
                    elems = tuple(str(i) for i in range(1, int(size) + 1))
                except (TypeError, ValueError):
                    raise self.reject(f"dimension {name!r} has neither <elem>s nor a size", dim) from None
            self.dimensions[canonical(name)] = elems
            self._dim_names = getattr(self, "_dim_names", {})
            self._dim_names[canonical(name)] = name

    def read_macro(self, el: ET.Element) -> None:
        name = (el.get("name") or "").strip()
        if not name:
            raise self.reject("a <macro> has no name", el)
        parms = [(p.text or "").strip() for p in el.findall(self.q("parm"))]
        eqn = self.text(el, "eqn")
        if not eqn:
            raise self.reject(f"macro {name!r} has no <eqn>", el)
        if el.get("filter"):
            self.warnings.append(f"line {self.doc.line(el)}: macro {name!r} is an option filter for "
                                 f"{el.get('filter')}s; Ecotone applies XMILE's own meaning of the option "
                                 "(non-negative flows and stocks) and does not call the filter")
        variables = el.find(self.q("variables"))
        raws = self.read_variables(variables, "macro " + name) if variables is not None else []
        self.macros[canonical(name)] = Macro(name, parms, eqn, raws, self.doc.line(el))

    # -- variables -------------------------------------------------------------------------------------------
    def read_variables(self, variables: ET.Element, where: str) -> list[_Raw]:
        out: list[_Raw] = []
        for el in variables:
            kind = _local(el.tag)
            if kind in _SKIPPED or (self.ns and not el.tag.startswith(self.ns)):
                continue
            name = (el.get("name") or "").replace("\\n", " ").strip()
            if kind in _REFUSED or kind not in ("stock", "flow", "aux", "gf", "module"):
                what = _REFUSED.get(kind, f"<{kind}>")
                raise self.reject(f"{what} ({name or 'unnamed'}, in {where}) are outside the supported XMILE "
                                  "subset", el, "see docs/simulation.md for what Ecotone reads")
            if not name:
                raise self.reject(f"a <{kind}> in {where} has no name", el)
            if kind == "module":
                out.append(_Raw("module", name, self.doc.line(el), eqns=[el.get("model") or name]))
                out[-1].gf = el  # the module element itself, for its connections
                continue
            for child in el:
                sub = _local(child.tag)
                if sub in _REFUSED:
                    raise self.reject(f"{kind} {name!r}: {_REFUSED[sub]} are outside the supported XMILE subset",
                                      child)
            raw = _Raw(kind, name, self.doc.line(el), units=self.text(el, "units"), doc=self.text(el, "doc"),
                       access=(el.get("access") or "").lower())
            if kind == "gf":
                raw.gf = el
                out.append(raw)
                continue
            raw.eqns = [_uncomment(e.text or "") for e in el.findall(self.q("eqn"))]
            dims = el.find(self.q("dimensions"))
            if dims is not None:
                raw.dims = tuple((d.get("name") or "").strip() for d in dims.findall(self.q("dim")))
            for element in el.findall(self.q("element")):
                key = tuple(s.strip() for s in (element.get("subscript") or "").split(","))
                raw.elements.append((key, _uncomment(element.findtext(self.q("eqn")) or ""),
                                     self.doc.line(element)))
                if element.find(self.q("gf")) is not None:
                    raw.element_gfs[key] = element.find(self.q("gf"))
            if kind == "stock":
                raw.inflows = tuple(rename_ref(f.text) for f in el.findall(self.q("inflow")) if f.text)
                raw.outflows = tuple(rename_ref(f.text) for f in el.findall(self.q("outflow")) if f.text)
            if kind in ("stock", "flow"):
                raw.non_negative = self.flag(el.find(self.q("non_negative")))
            if kind != "stock" and el.find(self.q("gf")) is not None:
                raw.gf = el.find(self.q("gf"))
            out.append(raw)
        return out

    def read_model(self, model: ET.Element, prefix: str, named: dict[str, ET.Element],
                   stack: tuple[str, ...]) -> list[_Raw]:
        variables = model.find(self.q("variables"))
        where = f"module {prefix.rstrip('.')}" if prefix else "the model"
        raws = self.read_variables(variables, where) if variables is not None else []
        out: list[_Raw] = []
        outputs: dict[str, tuple[str, ET.Element]] = {}
        for raw in raws:
            if raw.kind != "module":
                out.append(raw)
                continue
            target = canonical(raw.eqns[0])
            if raw.gf.get("resource"):
                raise self.reject(f"module {raw.name!r} takes its model from the file {raw.gf.get('resource')!r} "
                                  "(a model split over several files), which is outside the supported XMILE "
                                  "subset", raw.gf, "copy that model into this file as <model name=...>")
            if target not in named:
                raise self.reject(f"module {raw.name!r} uses the model {raw.eqns[0]!r}, which the file does not "
                                  "define", raw.gf)
            if target in stack:
                raise self.reject(f"module {raw.name!r} contains itself", raw.gf)
            inner_prefix = canonical(raw.name)
            inner = self.read_model(named[target], "", named, (*stack, target))
            local = {canonical(r.name) for r in inner}
            mapping = {n: f"{inner_prefix}.{n}" for n in local}
            connected: dict[str, str] = {}
            for c in raw.gf.findall(self.q("connect")):
                to, frm = (c.get("to") or "").strip(), (c.get("from") or "").strip()
                if to.startswith(".") or (canonical(to) not in local and "." in frm
                                          and canonical(frm.split(".")[0]) == inner_prefix):
                    # an output of the module feeding a variable of this model (to=".x" from="module.y")
                    inner_key = canonical(frm.split(".", 1)[1]) if "." in frm else ""
                    if inner_key not in local:
                        raise self.reject(f"module {raw.name!r}: <connect from={frm!r}> names no variable of the "
                                          f"model {raw.eqns[0]!r}", c)
                    outputs[canonical(to.lstrip("."))] = (f"{inner_prefix}.{inner_key}", c)
                    continue
                to_key = canonical(to.split(".", 1)[1] if "." in to and canonical(to.split(".")[0]) ==
                                   inner_prefix else to)
                if to_key not in local:
                    raise self.reject(f"module {raw.name!r}: <connect to={to!r}> names no variable of the model "
                                      f"{raw.eqns[0]!r}", c)
                connected[to_key] = frm.lstrip(".")
            for r in inner:
                key = canonical(r.name)
                r.name = f"{inner_prefix}.{key}"
                r.eqns = [rename(e, mapping) for e in r.eqns]
                r.elements = [(k, rename(e, mapping), ln) for k, e, ln in r.elements]
                r.inflows = tuple(mapping.get(canonical(f), f) for f in r.inflows)
                r.outflows = tuple(mapping.get(canonical(f), f) for f in r.outflows)
                if key in connected:  # an input: it takes the value connected to it (a stock becomes an aux)
                    r.eqns, r.elements, r.gf, r.element_gfs = [connected[key]], [], None, {}
                    if r.kind == "stock":
                        r.kind, r.inflows, r.outflows, r.non_negative = "aux", (), (), None
                out.append(r)
        for key, (source, c) in outputs.items():
            target = next((r for r in out if canonical(r.name) == key), None)
            if target is None:
                raise self.reject(f"<connect to={c.get('to')!r}> names no variable of {where}", c)
            target.eqns, target.elements, target.gf, target.element_gfs = [source], [], None, {}
            if target.kind == "stock":
                target.kind, target.inflows, target.outflows, target.non_negative = "aux", (), (), None
        return out

    # -- the spec --------------------------------------------------------------------------------------------
    def build(self, raws: list[_Raw], defaults: dict[str, bool], kwargs: dict, doc: str) -> Model:
        extra: list[_Raw] = []

        def site(macro: Macro, args: list[str]) -> str:
            if len(args) != len(macro.parms):
                raise ValueError(f"the macro {macro.name} takes {len(macro.parms)} arguments "
                                 f"({', '.join(macro.parms)}), not {len(args)}")
            self.sites += 1
            prefix = f"{canonical(macro.name)}_{self.sites}"
            inner = {canonical(p) for p in macro.parms} | {canonical(v.name) for v in macro.variables}
            inner.add(canonical(macro.name))
            mapping = {n: f"{prefix}.{n}" for n in inner}
            for p, a in zip(macro.parms, args):
                extra.append(_Raw("aux", f"{prefix}.{canonical(p)}", macro.line, eqns=[a]))
            for v in macro.variables:
                copy = dataclasses.replace(v, name=f"{prefix}.{canonical(v.name)}",
                                           eqns=[rename(e, mapping) for e in v.eqns],
                                           inflows=tuple(mapping.get(canonical(f), f) for f in v.inflows),
                                           outflows=tuple(mapping.get(canonical(f), f) for f in v.outflows))
                extra.append(copy)
            if canonical(macro.name) not in {canonical(v.name) for v in macro.variables}:
                extra.append(_Raw("aux", f"{prefix}.{canonical(macro.name)}", macro.line,
                                  eqns=[rename(macro.eqn, mapping)]))
            return f"{prefix}.{canonical(macro.name)}"

        if self.macros:
            for raw in raws:
                try:
                    raw.eqns = [expand_calls(e, self.macros, site) for e in raw.eqns]
                    raw.elements = [(k, expand_calls(e, self.macros, site), ln) for k, e, ln in raw.elements]
                except ValueError as exc:
                    raise self.reject(f"{raw.kind} {raw.name!r}: {exc}", None) from None
            raws = raws + extra

        for raw in raws:  # ".name" reads the root model's variable, whose name has no prefix
            raw.eqns = [_ROOT_REF.sub("", e) for e in raw.eqns]
            raw.elements = [(k, _ROOT_REF.sub("", e), ln) for k, e, ln in raw.elements]
        out: dict[str, list] = {"stocks": [], "flows": [], "auxes": [], "constants": [], "lookups": []}
        for raw in raws:
            self.make(raw, defaults, out)
        if self.dimensions:
            out["dimensions"] = [_spec.Dimension(self._dim_names[k], v) for k, v in self.dimensions.items()]
        try:
            model = Model(**{k: v for k, v in out.items() if v or k in ("stocks", "flows", "auxes", "constants")},
                          doc=doc, **kwargs)
            model.check()
        except (ModelError, TypeError) as exc:
            lines = {canonical(r.name): r.line for r in raws}
            head = str(exc).split(":", 1)[0]
            hint = None
            if "neither a builtin" in str(exc):
                hint = ("define it in the file as a <macro> or a stand-alone <gf name=...>"
                        + ("; WITH_LOOKUP is Vensim's, and xmutil dropped its table: give the variable a <gf>"
                           if "with_lookup" in str(exc).lower() else ""))
            raise self.reject(str(exc), _Line(lines.get(canonical(head))), hint) from None
        return model

    def make(self, raw: _Raw, defaults: dict[str, bool], out: dict[str, list]) -> None:
        el_of = _Line(raw.line)
        if raw.kind == "gf":
            if not hasattr(_spec, "Lookup"):
                raise self.reject(f"the stand-alone graphical function {raw.name!r} needs lookups, which this "
                                  "version of the engine lacks", el_of)
            out["lookups"].append(_spec.Lookup(raw.name, self.graph(raw.gf, raw), raw.units, raw.doc))
            return
        dims = tuple(self.dim_name(d, raw) for d in raw.dims)
        if raw.element_gfs:
            self.element_graphs(raw, dims, out)
        by_element = self.elements(raw, dims)
        equation = raw.eqns[0] if raw.eqns else ""
        if len(raw.eqns) > 1:
            if not dims:
                raise self.reject(f"{raw.kind} {raw.name!r} has {len(raw.eqns)} <eqn>s", el_of)
            keys = self.keys(dims)
            if len(raw.eqns) != len(keys):
                raise self.reject(f"{raw.kind} {raw.name!r} has {len(raw.eqns)} <eqn>s for {len(keys)} elements",
                                  el_of)
            self.warnings.append(f"{raw.kind} {raw.name!r} has one <eqn> per element, read in the order of its "
                                 "dimensions' elements")
            by_element = tuple(zip(keys, raw.eqns))
            equation = raw.eqns[0]
        elif dims and equation and _is_number_list(equation):
            numbers = [float(x) for x in re.split(r"[,;\s]+", equation) if x]
            keys = self.keys(dims)
            if len(numbers) != len(keys):
                raise self.reject(f"{raw.kind} {raw.name!r}: {len(numbers)} numbers for {len(keys)} elements",
                                  el_of)
            by_element, equation = tuple(zip(keys, numbers)), numbers[0]
        if not by_element and not str(equation).strip():
            raise self.reject(f"{raw.kind} {raw.name!r} has no <eqn>", el_of)
        if by_element and not str(equation).strip():
            equation = by_element[0][1]
        self.check_equation(raw, equation, raw.line)
        array = {"dims": dims, "by_element": by_element} if dims else {}
        if array and not hasattr(_spec, "Dimension"):
            raise self.reject(f"{raw.kind} {raw.name!r} is arrayed, which this version of the engine lacks",
                              el_of)
        if raw.kind == "stock":
            nn = raw.non_negative if raw.non_negative is not None else defaults["stock"]
            out["stocks"].append(Stock(raw.name, equation, raw.inflows, raw.outflows, raw.units, raw.doc, nn,
                                       **array))
            return
        graph = self.graph(raw.gf, raw) if raw.gf is not None else None
        tree = parse(equation) if not isinstance(equation, float) else ("num", equation)
        if raw.kind == "aux" and graph is None and tree[0] == "num" and all(
                isinstance(v, float) or parse(v)[0] == "num" for _, v in by_element):
            values = tuple((k, float(v) if isinstance(v, float) else parse(v)[1]) for k, v in by_element)
            out["constants"].append(Constant(raw.name, tree[1], raw.units, raw.doc,
                                             **({"dims": dims, "by_element": values} if dims else {})))
            return
        extra = dict(array)
        if raw.kind == "flow":
            nn = raw.non_negative if raw.non_negative is not None else defaults["flow"]
            if nn:
                if "non_negative" not in {f.name for f in dataclasses.fields(Flow)}:
                    raise self.reject(f"flow {raw.name!r} is non-negative (a uniflow), which this version of the "
                                      "engine lacks", el_of)
                extra["non_negative"] = True
        cls = Flow if raw.kind == "flow" else Aux
        out["flows" if raw.kind == "flow" else "auxes"].append(cls(raw.name, equation, raw.units, raw.doc, graph,
                                                                   **extra))

    def element_graphs(self, raw: _Raw, dims: tuple[str, ...], out: dict[str, list]) -> None:
        """Elements with a ``<gf>`` of their own (a non-apply-to-all graphical function): each graph becomes a
        hidden stand-alone lookup ``<variable>.gf_<n>``, and the element reads it at its own ``<eqn>`` (or the
        variable's, which XMILE lets the elements share)."""
        if not dims:
            raise self.reject(f"{raw.kind} {raw.name!r} has <element>s but no <dimensions>", _Line(raw.line))
        shared = raw.eqns[0] if raw.eqns else ""
        given = {tuple(canonical(x) for x in k): (k, e, ln) for k, e, ln in raw.elements}
        elements = []
        for n, key in enumerate(self.keys(dims), 1):
            k, eqn, line = given.get(tuple(canonical(x) for x in key), (key, "", raw.line))
            gf = next((g for gk, g in raw.element_gfs.items()
                       if tuple(canonical(x) for x in gk) == tuple(canonical(x) for x in key)), raw.gf)
            eqn = eqn or shared
            if not eqn:
                raise self.reject(f"{raw.kind} {raw.name!r}[{', '.join(key)}] has a graphical function but no "
                                  "<eqn> to read it at", _Line(line))
            if gf is not None:
                name = f"{canonical(raw.name)}.gf_{n}"
                out["lookups"].append(_spec.Lookup(name, self.graph(gf, raw), raw.units))
                eqn = f"LOOKUP({name}, {eqn})"
            elements.append((k, eqn, line))
        raw.elements, raw.gf, raw.element_gfs = elements, None, {}
        raw.eqns = [elements[0][1]]

    def check_equation(self, raw: _Raw, text: str | float, line: int | None) -> None:
        if isinstance(text, float):
            return
        if text.strip() == "???":
            raise self.reject(f"{raw.kind} {raw.name!r} has the equation ???, xmutil's mark for a Vensim "
                              "definition it could not translate", _Line(line),
                              "give it an equation (or values) in Stella or by hand")
        try:
            parse(text)
        except EquationError as exc:
            raise self.reject(f"{raw.kind} {raw.name!r}: {exc}", _Line(line)) from None

    def dim_name(self, name: str, raw: _Raw) -> str:
        if canonical(name) not in self.dimensions:
            raise self.reject(f"{raw.kind} {raw.name!r} is arrayed over {name!r}, which <dimensions> does not "
                              "declare", _Line(raw.line))
        return self._dim_names[canonical(name)]

    def keys(self, dims: tuple[str, ...]) -> list[tuple[str, ...]]:
        keys: list[tuple[str, ...]] = [()]
        for d in dims:
            keys = [(*k, e) for k in keys for e in self.dimensions[canonical(d)]]
        return keys

    def elements(self, raw: _Raw, dims: tuple[str, ...]) -> tuple:
        if not raw.elements:
            return ()
        if not dims:
            raise self.reject(f"{raw.kind} {raw.name!r} has <element>s but no <dimensions>",
                              _Line(raw.elements[0][2]))
        valid = {tuple(canonical(x) for x in k): k for k in self.keys(dims)}
        seen: dict[tuple[str, ...], int | None] = {}
        out = []
        for key, eqn, line in raw.elements:
            ck = tuple(canonical(x) for x in key)
            if ck not in valid:
                self.warnings.append(f"line {line}: {raw.kind} {raw.name!r}: the element [{', '.join(key)}] is not "
                                     f"one of its dimensions ({', '.join(dims)}); ignored")
                continue
            if ck in seen:
                raise self.reject(f"{raw.kind} {raw.name!r}: the element [{', '.join(key)}] is defined twice "
                                  f"(also on line {seen[ck]})", _Line(line))
            seen[ck] = line
            self.check_equation(raw, eqn, line)
            out.append((valid[ck], eqn))
        return tuple(out)

    def graph(self, gf: ET.Element, raw: _Raw) -> Graph:
        where = f"{raw.kind} {raw.name!r}"
        kind = (gf.get("type") or ("discrete" if (gf.get("discrete") or "").lower() == "true" else "continuous"))
        kind = kind.strip().lower()
        if kind not in _GF_KINDS:
            raise self.reject(f"{where}: graphical function type {kind!r} is outside the supported subset "
                              f"({', '.join(_GF_KINDS)})", gf)

        def points(tag: str) -> tuple[float, ...] | None:
            el = gf.find(self.q(tag))
            if el is None or not (el.text or "").strip():
                return None
            sep = el.get("sep") or ","
            parts = [p for p in re.split("|".join(map(re.escape, {sep, ","})) + r"|\s+", el.text.strip()) if p]
            try:
                return tuple(float(p) for p in parts)
            except ValueError as exc:
                raise self.reject(f"{where}: cannot read the <{tag}> of its graphical function ({exc})", el) \
                    from None

        ys = points("ypts")
        if ys is None:
            raise self.reject(f"{where}: its graphical function has no <ypts>", gf)
        xs = points("xpts")
        if xs is None:
            scale = gf.find(self.q("xscale"))
            if scale is None:
                raise self.reject(f"{where}: a graphical function needs <xscale> or <xpts>", gf)
            try:
                lo, hi = float(scale.get("min")), float(scale.get("max"))
            except (TypeError, ValueError):
                raise self.reject(f"{where}: <xscale> needs numeric min and max", scale) from None
            xs = tuple(lo + (hi - lo) * i / (len(ys) - 1) for i in range(len(ys))) if len(ys) > 1 else (lo,)
        try:
            if kind != "continuous":
                if "kind" not in {f.name for f in dataclasses.fields(Graph)}:
                    raise self.reject(f"{where}: {kind} graphical functions need a newer engine", gf)
                return Graph(xs, ys, kind=kind)
            return Graph(xs, ys)
        except ModelError as exc:
            raise self.reject(f"{where}: {exc}", gf) from None


class _Line:
    """Stands in for an element where only its line is known."""

    def __init__(self, line: int | None) -> None:
        self.line = line


#: ``.name`` in an equation: the root model's variable (XMILE 1.0 qualified names), not a number like ``.5``
_ROOT_REF = re.compile(r'(?<![\w.\])"])\.(?=[A-Za-z_"])')


def _uncomment(text: str) -> str:
    """An equation without its XMILE comments (``{...}``, which count as white space), stripped.

    >>> _uncomment("{Enter equation} ")
    ''
    >>> _uncomment('births {per year} * "a {b}"')
    'births   * "a {b}"'
    """
    return re.sub(r'"[^"]*"|\{[^}]*\}', lambda m: m.group(0) if m.group(0).startswith('"') else " ", text).strip()


def rename_ref(text: str) -> str:
    return text.replace("\\n", " ").strip()


def _is_number_list(text: str) -> bool:
    return bool(re.fullmatch(r"\s*[-+]?[\d.eE+-]+(\s*[,;]\s*[-+]?[\d.eE+-]+)+\s*;?\s*", text))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_document(text: str, source: str, warnings: list[str]) -> Model:
    """Read an XMILE document given as text into a model spec; what was read past goes to ``warnings``.

    Examples
    --------
    >>> w: list[str] = []
    >>> m = read_document('''<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
    ...   <isee:prefs/><sim_specs method="Euler"><start>0</start><stop>4</stop><dt reciprocal="true">4</dt>
    ...   </sim_specs><behavior><stock><non_negative/></stock></behavior>
    ...   <model><variables>
    ...     <stock name="Patients"><eqn>10</eqn><outflow>discharges</outflow></stock>
    ...     <flow name="discharges"><eqn>Patients / stay</eqn></flow>
    ...     <aux name="stay"><eqn>4</eqn></aux>
    ...   </variables></model></xmile>''', "clinic.xmile", w)
    >>> m.dt, m.stocks[0].non_negative, len(w)
    (0.25, True, 1)
    """
    try:
        doc = parse_xml(text.replace("\\\r\n", " ").replace("\\\n", " "))
    except ValueError as exc:
        raise InputRejected([Problem(file=source, reason=str(exc))]) from None
    warnings.extend(doc.warnings)
    reader = _Reader(doc, source, warnings)
    return reader.read()

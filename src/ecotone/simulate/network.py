"""The ecosystem model over several hubs at once: the hub as an array dimension, with cross-hub flows of clinical
validation and market entry between connected hubs.

Every stock, flow, auxiliary and constant of the single-hub model (:func:`ecotone.simulate.ecosystem.ecosystem_model`)
is arrayed by a ``hub`` dimension; each hub's own state and calibrated rates are per-element values. An innovation
stays in its home hub's stocks (its founders, its calibrated rates); what a link between two hubs moves is *where*
it is validated and *where* it is sold:

- **Validation at partner sites.** A hub opens ``site_share`` of its clinicians to its partners (split among them by
  their ties). Innovations entering validation are split between home and partner sites in proportion to the
  clinicians there: those sent abroad wait in ``validating_at_partners``, are slowed by the *host's* congestion (the
  host counts them in its own ``hosted_validation``) and come back to their home hub's regulatory approval (or
  stop). Partner sites also enrol patients for the home trials (``clinical_reach``), as in the single-hub
  ``connect`` lever.
- **Market entry.** A link's new ties open the partner's market: a share of the home hub's scaling innovations
  crosses into it (``entering_partner_markets``, from ``scale`` to ``cross_border``), and the partner counts them
  in ``partner_products`` (partners' innovations on its market, a co-flow that is no innovation of its own).

Innovations are conserved: every cross flow leaves one stock of a hub's pipeline for another of the same hub's.
With no links (or ``site_share`` and ``link_ties`` at zero) every hub follows its own single-hub trajectory.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .equations import Node, canonical, parse, to_text
from .spec import Aux, Constant, Dimension, Flow, Model, ModelError, Stock

__all__ = ["HUB", "Link", "MATERIAL", "NETWORK_OUTCOMES", "element_name", "hub_elements", "network_model"]

#: The dimension's name.
HUB = "hub"
#: The stocks that hold a hub's innovations (conserved: only ideas formed and cohorts add to their total).
MATERIAL = ("idea", "prototype", "clinical_validation", "regulatory_approval", "market_launch", "scale",
            "cross_border", "stopped", "validating_at_partners")
#: Outcomes per hub at the horizon, and which way is better (+1 more, -1 fewer, 0 neither).
NETWORK_OUTCOMES = {"market_years": 1, "on_market": 1, "cross_border": 1, "stopped": -1, "in_pipeline": 0,
                    "validating_at_partners": 0, "partner_products": 1}


@dataclass(frozen=True)
class Link:
    """A connection between hubs ``a`` and ``b`` (their names): ``ties`` already between them in the atlas,
    ``new_ties`` the connection adds (they open markets), and the ``share`` of each hub's clinicians opened to the
    other's innovations.

    Examples
    --------
    >>> Link("Barcelona Health Hub", "Medical Innovation Institute", ties=3).weight
    13.0
    """

    a: str
    b: str
    ties: float = 0.0
    new_ties: float = 10.0
    share: float = 0.25

    @property
    def weight(self) -> float:
        """How much the two hubs deal with each other: the ties they have and the ties the connection adds."""
        return float(self.ties + self.new_ties)


def element_name(hub: str) -> str:
    """The element of the ``hub`` dimension that names a hub: its name with every run of other characters than
    letters and digits as one underscore (XMILE names, unquoted).

    Examples
    --------
    >>> element_name("Cambridge–London–Oxford"), element_name("Texas Medical Center")
    ('Cambridge_London_Oxford', 'Texas_Medical_Center')
    """
    text = re.sub(r"[^0-9A-Za-z]+", "_", hub).strip("_") or "hub"
    return f"hub_{text}" if text[0].isdigit() else text


def hub_elements(names: Sequence[str]) -> list[str]:
    """The dimension's elements for hubs named ``names`` (in order), refusing two hubs that would share one."""
    out = [element_name(n) for n in names]
    seen: dict[str, str] = {}
    for name, element in zip(names, out):
        if canonical(element) in seen:
            raise ModelError(f"the hubs {seen[canonical(element)]!r} and {name!r} would both be the element "
                             f"{element!r} of the hub dimension: simulate one of them, or rename it")
        seen[canonical(element)] = name
    return out


# -- equation trees ------------------------------------------------------------------------------------------------
def _at(name: str, element: str) -> Node:
    """A reference to ``name`` at another hub's element (written ``name[element]``)."""
    return ("ref", f"{canonical(name)}@{canonical(element)}")


def _swap(node: Node, old: str, new: Node) -> Node:
    """``node`` with every reference to ``old`` replaced by ``new``."""
    kind = node[0]
    if kind == "ref":
        return new if node[1] == old else node
    if kind == "num":
        return node
    if kind == "call":
        return ("call", node[1], tuple(_swap(a, old, new) for a in node[2]))
    if kind == "op":
        return ("op", node[1], _swap(node[2], old, new), _swap(node[3], old, new))
    return (kind, *(_swap(c, old, new) for c in node[1:]))


def _sum(terms: list[Node]) -> Node:
    out = terms[0] if terms else ("num", 0.0)
    for t in terms[1:]:
        out = ("op", "+", out, t)
    return out


def _num(x: float) -> Node:
    return ("num", float(x))


def _op(op: str, a: Node, b: Node) -> Node:
    return ("op", op, a, b)


def _times(a: Node, x: float) -> Node:
    return a if x == 1 else _op("*", a, _num(x))


@dataclass
class _Var:
    kind: type
    base: Stock | Flow | Aux | Constant
    trees: dict[str, Node]            # element → equation (flows, auxes, stock initial values)
    values: dict[str, float] | None = None   # constants: element → value
    inflows: tuple[str, ...] = ()
    outflows: tuple[str, ...] = ()


def network_model(states: Sequence, links: Sequence[Link] = (), *, calibrations: Sequence | None = None,
                  years: float = 10, dt: float = 0.25, arrayed: bool = True) -> Model:
    """The ecosystem model of several hubs (``states``: :class:`~ecotone.simulate.ecosystem.HubState`), arrayed
    by a ``hub`` dimension, with each hub's calibrated rates (``calibrations``, one
    :class:`~ecotone.simulate.calibrate.Calibration` or None per hub, through
    :func:`~ecotone.simulate.ecosystem.fitted_model`) and the cross-hub flows of ``links``.

    ``arrayed=False`` writes the same model out element by element (scalar variables named ``x[element]``, what
    :func:`ecotone.simulate.arrays.flatten` makes of the arrayed one): the form whose constants a parameter table
    sets one hub at a time, as Monte Carlo does.

    Examples
    --------
    >>> from ecotone.simulate import Simulator
    >>> from ecotone.simulate.ecosystem import HubState
    >>> a, b = HubState("North", {"clinical_validation": 6}), HubState("South", {"scale": 4}, clinicians=20)
    >>> m = network_model([a, b], [Link("North", "South", ties=2)], years=3)
    >>> m.dimensions, m.variable("clinicians").dims
    ([Dimension(name='hub', elements=('North', 'South'))], ('hub',))
    >>> r = Simulator(save_every=12).run(network_model([a, b], [Link("North", "South")], years=3, arrayed=False))
    >>> bool(r.final("validating_at_partners[north]")[0] > 0), bool(r.final("partner_products[north]")[0] > 0)
    (True, True)
    """
    from .ecosystem import ecosystem_model, fitted_model

    if not states:
        raise ModelError("a network needs at least one hub")
    names = [s.name for s in states]
    elements = hub_elements(names)
    by_name = {canonical(n): e for n, e in zip(names, elements)}
    calibrations = list(calibrations) if calibrations is not None else [None] * len(states)
    if len(calibrations) != len(states):
        raise ModelError(f"{len(states)} hubs but {len(calibrations)} calibrations")
    models = [fitted_model(s, c, years=years, dt=dt) if c is not None else ecosystem_model(s, years=years, dt=dt)
              for s, c in zip(states, calibrations)]
    partners = _partners(links, by_name)
    variables = _per_hub(models, elements)
    _add_links(variables, elements, partners, models[0])
    first = models[0]
    name = f"Ecotone ecosystem model ({len(states)} hubs: {', '.join(names)})"
    doc = __doc__.split("\n\n")[0]
    if arrayed:
        return _arrayed(variables, elements, first, name, doc)
    return _scalar(variables, elements, first, name, doc)


def _partners(links: Sequence[Link], by_name: dict[str, str]) -> dict[str, dict[str, Link]]:
    out: dict[str, dict[str, Link]] = {}
    for link in links:
        ends = []
        for end in (link.a, link.b):
            if canonical(end) not in by_name:
                raise ModelError(f"the link {link.a} = {link.b} names {end!r}, which is not one of the hubs "
                                 f"simulated ({', '.join(by_name.values())})")
            ends.append(by_name[canonical(end)])
        if ends[0] == ends[1]:
            raise ModelError(f"a hub cannot be linked with itself ({link.a})")
        for value, what in ((link.ties, "ties"), (link.new_ties, "new ties"), (link.share, "share")):
            if not value >= 0:
                raise ModelError(f"the link {link.a} = {link.b}: {what} must be zero or more, not {value}")
        if link.share > 1:
            raise ModelError(f"the link {link.a} = {link.b}: a share of clinicians is at most 1, not {link.share}")
        a, b = ends
        if b in out.get(a, {}):
            raise ModelError(f"{link.a} and {link.b} are linked twice")
        out.setdefault(a, {})[b] = link
        out.setdefault(b, {})[a] = link
    return out


def _per_hub(models: list[Model], elements: list[str]) -> dict[str, _Var]:
    """Each variable of the single-hub model with its equation or value at every hub."""
    out: dict[str, _Var] = {}
    for v in models[0].variables:
        key = canonical(v.name)
        if isinstance(v, Constant):
            out[key] = _Var(Constant, v, {}, {e: m.constant(v.name).value for e, m in zip(elements, models)})
            continue
        trees = {}
        for e, m in zip(elements, models):
            w = m.variable(v.name)
            trees[e] = parse(w.initial if isinstance(w, Stock) else w.equation)
        if isinstance(v, Stock):
            out[key] = _Var(Stock, v, trees, None, tuple(map(canonical, v.inflows)),
                            tuple(map(canonical, v.outflows)))
        else:
            out[key] = _Var(type(v), v, trees)
    return out


def _add_links(var: dict[str, _Var], elements: list[str], partners: dict[str, dict[str, Link]],
               single: Model) -> None:
    """The cross-hub structure, written as changes to the single-hub equations (so the levers and loops of the
    single-hub model carry over) and new per-hub variables; links only enter through per-element equations."""
    def new(kind, name, equation, units, doc, trees=None, **extra):
        base = kind(name, equation if kind is not Stock else 0, units=units, doc=doc, **extra) if kind is not \
            Constant else Constant(name, 0.0, units, doc)
        if kind is Constant:
            var[name] = _Var(Constant, base, {}, dict(trees))
        else:
            var[name] = _Var(kind, base, trees or {e: parse(equation) for e in elements})

    def edit(name: str, change) -> None:
        var[name].trees = {e: change(t) for e, t in var[name].trees.items()}

    on = ("ref", "connect_on") if "connect_on" in var else _num(1)
    ref = lambda n: ("ref", n)  # noqa: E731 - a name at the element being computed

    # -- the link's levers: per hub, what it opens (0 turns every cross flow off) ----------------------------------
    new(Constant, "site_share", 0, "share", "share of the hub's clinicians open to its partners' innovations",
        {e: max((ln.share for ln in partners.get(e, {}).values()), default=0.0) for e in elements})
    new(Constant, "link_ties", 0, "ties", "new ties with the hubs it is linked with (they open their markets)",
        {e: sum(ln.new_ties for ln in partners.get(e, {}).values()) for e in elements})

    def split(host: str, guest: str) -> float:
        """The part of ``host``'s open clinicians offered to ``guest``: by their ties among the host's links."""
        weights = {p: ln.weight for p, ln in partners[host].items()}
        total = sum(weights.values())
        return weights[guest] / total if total > 0 else 1 / len(weights)

    # -- validation at partner sites -------------------------------------------------------------------------------
    def offered(host: str, guest: str) -> Node:  # clinicians of host open to guest's innovations
        return _op("*", _times(_at("site_share", host), split(host, guest)), _at("clinicians", host))

    trees = {e: _op("*", _sum([offered(p, e) for p in partners.get(e, {})]), on) if e in partners else _num(0)
             for e in elements}
    new(Aux, "partner_sites", "0", "people", "clinicians of linked hubs whose sites take this hub's innovations",
        trees)
    new(Aux, "partner_site_share", "partner_sites / MAX(clinicians + partner_clinicians + partner_sites, 0.001)",
        "share", "share of the clinical sites open to this hub's innovations that are at partner hubs")
    hosted = {}
    for e in elements:
        terms = [_op("/", _op("*", _at("validating_at_partners", g), _op("*", offered(e, g), _at("connect_on", g)
                                                                          if "connect_on" in var else _num(1))),
                      ("call", "MAX", (_at("partner_sites", g), _num(0.001)))) for g in partners.get(e, {})]
        hosted[e] = _sum(terms)
    new(Aux, "hosted_validation", "0", "innovations", "partners' innovations validated at this hub's sites", hosted)
    congestion = {}
    for e in elements:
        terms = [_op("*", _op("*", offered(p, e), on), _at("congestion", p)) for p in partners.get(e, {})]
        congestion[e] = ("call", "SAFEDIV", (_sum(terms), ref("partner_sites"), _num(1))) if terms else _num(1)
    new(Aux, "partner_congestion", "1", "dimensionless", "congestion at the partner sites this hub's innovations "
        "use (their hosts', weighted by the sites open)", congestion)
    edit("congestion", lambda t: _swap(t, "clinical_validation",
                                       _op("+", ref("clinical_validation"), ref("hosted_validation"))))
    edit("clinical_reach", lambda t: _op("+", t, _op("/", ref("partner_sites"),
                                                      ("call", "MAX", (("call", "INIT", (ref("clinicians"),)),
                                                                       _num(1))))))
    entering = var["entering_validation"].trees
    new(Flow, "entering_partner_validation", "0", "innovations/month",
        "prototypes starting validation at partner hubs' sites",
        {e: _op("*", t, ref("partner_site_share")) for e, t in entering.items()})
    edit("entering_validation", lambda t: _op("*", t, _op("-", _num(1), ref("partner_site_share"))))
    new(Aux, "partner_validation_time", "0", "months", "months an innovation spends in validation at partner sites",
        {e: _swap(t, "congestion", ref("partner_congestion")) for e, t in var["validation_time"].trees.items()})
    abroad = lambda t: _swap(_swap(t, "clinical_validation", ref("validating_at_partners")),  # noqa: E731
                             "validation_time", ref("partner_validation_time"))
    new(Flow, "validated_at_partners", "0", "innovations/month",
        "innovations validated at partner sites, back to their home hub's approval",
        {e: abroad(t) for e, t in var["validated"].trees.items()})
    new(Flow, "partner_validation_stops", "0", "innovations/month", "innovations stopped at partner sites",
        {e: abroad(t) for e, t in var["clinical_validation_stops"].trees.items()})
    new(Stock, "validating_at_partners", "0", "innovations",
        "this hub's innovations in clinical validation at linked hubs' sites", {e: _num(0) for e in elements})
    v = var["validating_at_partners"]
    v.inflows, v.outflows = ("entering_partner_validation",), ("validated_at_partners", "partner_validation_stops")
    var["prototype"].outflows += ("entering_partner_validation",)
    var["regulatory_approval"].inflows += ("validated_at_partners",)
    var["stopped"].inflows += ("partner_validation_stops",)
    edit("in_pipeline", lambda t: _op("+", t, ref("validating_at_partners")))

    # -- market entry ----------------------------------------------------------------------------------------------
    new(Aux, "linked_market_access", "market_access", "dimensionless",
        "market access with the links' new ties: partner markets open to this hub's innovations",
        {e: _swap(t, "new_cross_hub_ties", _op("+", ref("new_cross_hub_ties"), ref("link_ties")))
         for e, t in var["market_access"].trees.items()})
    new(Flow, "entering_partner_markets", "scale * success_scale * (linked_market_access - market_access) / "
        "time_scale", "innovations/month", "scaling innovations crossing into linked hubs' markets")
    var["scale"].outflows += ("entering_partner_markets",)
    var["cross_border"].inflows += ("entering_partner_markets",)
    arrivals = {}
    for e in elements:
        terms = []
        for g in partners.get(e, {}):
            w = {p: ln.new_ties for p, ln in partners[g].items()}
            part = w[e] / sum(w.values()) if sum(w.values()) > 0 else 1 / len(w)
            terms.append(_times(_at("entering_partner_markets", g), part))
        arrivals[e] = _sum(terms)
    new(Flow, "partner_arrivals", "0", "innovations/month", "linked hubs' innovations entering this hub's market",
        arrivals)
    new(Stock, "partner_products", "0", "innovations",
        "linked hubs' innovations on this hub's market (theirs: counted in their cross_border, not here)",
        {e: _num(0) for e in elements})
    var["partner_products"].inflows = ("partner_arrivals",)


# -- writing the model out -----------------------------------------------------------------------------------------
def _text(node: Node, element: str | None, var: dict[str, _Var], scalar: bool,
          spelling: dict[str, str] | None = None) -> str:
    """An equation tree as text at ``element`` (None: apply-to-all, the dimension's name as the subscript): the
    arrayed form subscripts each name (``x[Element]``, ``x[hub]``), the scalar one names the flattened variable
    (``"x[element]"``)."""
    spelling = spelling or {}

    def at(n: Node) -> Node:
        kind = n[0]
        if kind == "ref":
            name, _, where = n[1].partition("@")
            if name not in var:
                return n
            where = where or (canonical(element) if element else HUB)
            return ("ref", f"{name}[{where}]") if scalar else ("sub", name, (("ref", spelling.get(where, where)),))
        if kind == "num":
            return n
        if kind == "call":
            return ("call", n[1], tuple(at(a) for a in n[2]))
        if kind == "op":
            return ("op", n[1], at(n[2]), at(n[3]))
        return (kind, *(at(c) for c in n[1:]))

    return to_text(at(node))


def _common(v: _Var, elements: list[str], var: dict[str, _Var]) -> tuple[str, tuple]:
    """The apply-to-all equation (the most common one) and the elements that differ from it."""
    spelling = {canonical(e): e for e in elements}
    texts = {e: _text(v.trees[e], None, var, False, spelling) for e in elements}
    counts: dict[str, int] = {}
    for t in texts.values():
        counts[t] = counts.get(t, 0) + 1
    common = max(counts, key=counts.get)
    if counts[common] == 1 and len(elements) > 1:  # a cross-hub variable: every hub its own equation
        common = "0"
    own = tuple(((e,), _text(v.trees[e], e, var, False, spelling)) for e in elements if texts[e] != common)
    return common, own


def _arrayed(var: dict[str, _Var], elements: list[str], m: Model, name: str, doc: str) -> Model:
    dims = (HUB,)
    stocks, flows, auxes, constants = [], [], [], []
    for key, v in var.items():
        b = v.base
        if v.kind is Constant:
            values = [v.values[e] for e in elements]
            common = max(set(values), key=values.count)
            own = tuple(((e,), x) for e, x in zip(elements, values) if x != common)
            constants.append(replace(b, value=common, dims=dims, by_element=own))
            continue
        common, own = _common(v, elements, var)
        if v.kind is Stock:
            stocks.append(Stock(b.name, common, v.inflows, v.outflows, b.units, b.doc, b.non_negative, dims=dims,
                                by_element=own))
        else:
            (flows if v.kind is Flow else auxes).append(replace(b, equation=common, dims=dims, by_element=own))
    return Model(name, stocks, flows, auxes, constants, m.start, m.stop, m.dt, m.method, m.time_units, doc,
                 dimensions=[Dimension(HUB, tuple(elements))])


def _scalar(var: dict[str, _Var], elements: list[str], m: Model, name: str, doc: str) -> Model:
    stocks, flows, auxes, constants = [], [], [], []
    for key, v in var.items():
        b = v.base
        for e in elements:
            at = f"{b.name}[{canonical(e)}]"
            if v.kind is Constant:
                constants.append(replace(b, name=at, value=v.values[e]))
            elif v.kind is Stock:
                stocks.append(Stock(at, _text(v.trees[e], e, var, True),
                                    tuple(f"{f}[{canonical(e)}]" for f in v.inflows),
                                    tuple(f"{f}[{canonical(e)}]" for f in v.outflows), b.units, b.doc,
                                    b.non_negative))
            else:
                (flows if v.kind is Flow else auxes).append(replace(b, name=at,
                                                                    equation=_text(v.trees[e], e, var, True)))
    return Model(name, stocks, flows, auxes, constants, m.start, m.stop, m.dt, m.method, m.time_units, doc)

"""The model spec: a stock-flow model as plain dataclasses (stocks, flows, auxiliaries, constants, graphs).

A spec holds equations as text and nothing computed; :mod:`ecotone.simulate.engine` builds it into something that
runs, and :mod:`ecotone.io.xmile` writes and reads it. ``print(model)`` shows it the way modellers write equations.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

from .equations import FUNCTIONS, TIME_NAMES, EquationError, canonical, did_you_mean, parse, references

__all__ = ["Aux", "Constant", "Dimension", "Flow", "Graph", "Lookup", "Model", "ModelError", "Stock"]

#: Per-element equations of an arrayed variable: ((element, ...), equation or value) pairs.
ByElement = tuple[tuple[tuple[str, ...], "str | float"], ...]


class ModelError(ValueError):
    """A spec that cannot run: the variable at fault and why."""


#: XMILE's kinds of graphical function (section 3.1.4).
GRAPH_KINDS = ("continuous", "extrapolate", "discrete")


@dataclass(frozen=True)
class Graph:
    """A graphical function (lookup table) of one of XMILE's three kinds: ``continuous`` reads y off straight lines
    between the points and is flat beyond the ends; ``extrapolate`` continues the first and last lines beyond the
    ends; ``discrete`` is a staircase, each y holding from its x to the next.

    Examples
    --------
    >>> Graph(xs=(0, 1, 2), ys=(1.0, 0.5, 0.4)).evenly_spaced
    True
    >>> Graph(xs=(0, 1), ys=(0, 1), kind="cubic")
    Traceback (most recent call last):
    ...
    ecotone.simulate.spec.ModelError: a graph is continuous, extrapolate or discrete, not 'cubic'
    """

    xs: tuple[float, ...]
    ys: tuple[float, ...]
    kind: str = "continuous"

    def __post_init__(self) -> None:
        if len(self.xs) != len(self.ys) or len(self.xs) < 2:
            raise ModelError("a graph needs as many x as y points, at least two "
                             f"(got {len(self.xs)} and {len(self.ys)})")
        if any(b <= a for a, b in zip(self.xs, self.xs[1:])):
            raise ModelError("a graph's x points must increase")
        if self.kind not in GRAPH_KINDS:
            raise ModelError(f"a graph is {', '.join(GRAPH_KINDS[:-1])} or {GRAPH_KINDS[-1]}, not {self.kind!r}")

    @property
    def evenly_spaced(self) -> bool:
        step = (self.xs[-1] - self.xs[0]) / (len(self.xs) - 1)
        return all(abs(x - (self.xs[0] + i * step)) < 1e-9 * max(1.0, abs(step)) for i, x in enumerate(self.xs))


@dataclass(frozen=True)
class Dimension:
    """A dimension that arrays are laid out along: its name and its elements, in order (XMILE's ``<dim>``).

    A dimension whose elements are some of another's is a subrange of it (see :mod:`ecotone.simulate.arrays`).

    Examples
    --------
    >>> Dimension("region", ("north", "south")).position("South")
    2
    """

    name: str
    elements: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "elements", tuple(str(e) for e in self.elements))

    def position(self, element: str) -> int:
        """The 1-based position of ``element`` (compared as names are: case and spaces aside); 0 if absent."""
        keys = [canonical(e) for e in self.elements]
        key = canonical(element)
        return keys.index(key) + 1 if key in keys else 0


@dataclass(frozen=True)
class Stock:
    """An accumulation: its initial value (an equation) and the flows that fill and drain it.

    A ``non_negative`` stock never goes below zero, as XMILE 1.0 defines it: in every step its outflows are cut
    back, in the order they are listed, to what the stock holds plus what flows in (Stella's default for stocks).
    """

    name: str
    initial: str | float
    inflows: tuple[str, ...] = ()
    outflows: tuple[str, ...] = ()
    units: str = ""
    doc: str = ""
    non_negative: bool = False
    dims: tuple[str, ...] = ()
    by_element: ByElement = ()


@dataclass(frozen=True)
class _Computed:
    """A value computed at every step from its equation; with a ``graph``, the graph read at that value."""

    name: str
    equation: str | float
    units: str = ""
    doc: str = ""
    graph: Graph | None = None
    dims: tuple[str, ...] = ()
    by_element: ByElement = ()


@dataclass(frozen=True)
class Flow(_Computed):
    """A rate that moves material into or out of stocks, per unit of time; a ``non_negative`` flow (a uniflow)
    never runs backwards: a negative value of its equation counts as zero."""

    non_negative: bool = False


@dataclass(frozen=True)
class Aux(_Computed):
    """An auxiliary: a value computed from others at every step (a converter, in Stella's words)."""


@dataclass(frozen=True)
class Constant:
    """A parameter: a number fixed during a run, the thing Monte Carlo, calibration and scenarios vary."""

    name: str
    value: float
    units: str = ""
    doc: str = ""
    dims: tuple[str, ...] = ()
    by_element: ByElement = ()


@dataclass(frozen=True)
class Lookup:
    """A stand-alone graphical function (XMILE's ``<gf name="...">``), read by equations as ``LOOKUP(name, x)`` or
    ``name(x)``.

    Examples
    --------
    >>> Lookup("capacity_effect", Graph((0, 1, 2), (1.0, 0.8, 0.5))).graph.kind
    'continuous'
    """

    name: str
    graph: Graph
    units: str = ""
    doc: str = ""
    dims: tuple[str, ...] = ()
    by_element: tuple[tuple[tuple[str, ...], Graph], ...] = ()


Variable = Stock | Flow | Aux | Constant


@dataclass(frozen=True)
class Model:
    """A stock-flow model and how to run it (time from ``start`` to ``stop`` in steps of ``dt``).

    Examples
    --------
    >>> m = Model("decay", stocks=[Stock("patients", 100, outflows=("discharges",))],
    ...           flows=[Flow("discharges", "patients / stay")], constants=[Constant("stay", 4, units="days")],
    ...           stop=10, dt=0.5, time_units="days")
    >>> print(m)
    model decay: time 0 to 10 days, dt 0.5, euler
    patients = INTEG(-discharges, 100)
    discharges = patients / stay
    stay = 4  ~ days
    >>> m.check()
    >>> m.with_constants(stay=2).constant("stay").value
    2.0
    """

    name: str
    stocks: list[Stock] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    auxes: list[Aux] = field(default_factory=list)
    constants: list[Constant] = field(default_factory=list)
    start: float = 0.0
    stop: float = 120.0
    dt: float = 0.25
    method: Literal["euler", "rk4"] = "euler"
    time_units: str = "months"
    doc: str = ""
    dimensions: list[Dimension] = field(default_factory=list)
    lookups: list[Lookup] = field(default_factory=list)

    # -- lookup --------------------------------------------------------------------------------------------------
    @property
    def variables(self) -> list[Variable]:
        return [*self.stocks, *self.flows, *self.auxes, *self.constants]

    @cached_property
    def _by_name(self) -> dict[str, Variable]:
        """Variables by canonical name (the first of a name, as a scan would find it); a model is not changed in
        place (``with_constants`` and ``replace`` make a new one), so the index is built once."""
        index: dict[str, Variable] = {}
        for v in self.variables:
            index.setdefault(canonical(v.name), v)
        return index

    def variable(self, name: str) -> Variable:
        try:
            return self._by_name[canonical(name)]
        except KeyError:
            raise ModelError(f"the model {self.name!r} has no variable {name!r}") from None

    def dimension(self, name: str) -> Dimension:
        key = canonical(name)
        for d in self.dimensions:
            if canonical(d.name) == key:
                return d
        known = ", ".join(d.name for d in self.dimensions) or "none"
        raise ModelError(f"the model {self.name!r} has no dimension {name!r} (its dimensions: {known})")

    def constant(self, name: str) -> Constant:
        v = self.variable(name)
        if not isinstance(v, Constant):
            raise ModelError(f"{name!r} is a {type(v).__name__.lower()}, not a constant")
        return v

    def with_constants(self, **values: float) -> Model:
        """A copy with some constants set to new values."""
        missing = [k for k in values if not isinstance(self.variable(k), Constant)]
        if missing:
            raise ModelError(f"not constants: {', '.join(missing)}")
        keys = {canonical(k): float(v) for k, v in values.items()}
        return replace(self, constants=[replace(c, value=keys.get(canonical(c.name), c.value))
                                        for c in self.constants])

    # -- checks --------------------------------------------------------------------------------------------------
    def check(self) -> None:
        """Raise :class:`ModelError` naming the first variable that is wrong (a duplicate name, an equation that
        cannot be read, a reference to nothing, a stock fed by something that is not a flow)."""
        if self.dt <= 0 or self.stop <= self.start:
            raise ModelError(f"time must run forward: start {self.start}, stop {self.stop}, dt {self.dt}")
        if self.method not in ("euler", "rk4"):
            raise ModelError(f"unknown integration method {self.method!r}; use euler or rk4")
        seen: dict[str, str] = {}
        for v in self.variables:
            key = canonical(v.name)
            if not key or key in TIME_NAMES:
                raise ModelError(f"{v.name!r} cannot name a variable")
            if key in seen:
                raise ModelError(f"two variables are named {v.name!r}")
            seen[key] = type(v).__name__
        graphs = {canonical(v.name) for v in (*self.flows, *self.auxes) if v.graph is not None}
        for lk in self.lookups:
            key = canonical(lk.name)
            if not key or key in TIME_NAMES or key in seen:
                raise ModelError(f"the graphical function {lk.name!r} is named like a variable or a builtin")
            seen[key], graphs = "Lookup", graphs | {key}
        from .arrays import check_arrays, equations_of  # arrays builds on this module

        check_arrays(self)
        for v in self.variables:
            if isinstance(v, Constant):
                continue
            for where, text in equations_of(self, v):
                try:
                    tree = parse(text)
                    refs = references(tree)
                except EquationError as exc:
                    raise ModelError(f"{where}: {exc}") from None
                _check_lookups(tree, where, graphs)
                unknown = sorted(r for r in refs - TIME_NAMES if r not in seen)
                if unknown:
                    hint = did_you_mean(unknown[0], seen) if len(unknown) == 1 else ""
                    raise ModelError(f"{where}: refers to {', '.join(unknown)}, which the model does not define"
                                     + hint)
            if isinstance(v, Stock):
                for f in (*v.inflows, *v.outflows):
                    if seen.get(canonical(f)) != "Flow":
                        raise ModelError(f"{v.name}: {f!r} fills or drains it but is not a flow of the model")

    # -- printing ------------------------------------------------------------------------------------------------
    def __str__(self) -> str:
        lines = [f"model {self.name}: time {self.start:g} to {self.stop:g} {self.time_units}, dt {self.dt:g}, "
                 f"{self.method}"]
        for s in self.stocks:
            net = " ".join([*(f"+{f}" for f in s.inflows), *(f"-{f}" for f in s.outflows)]).lstrip("+")
            lines.append(_line(s.name, f"INTEG({net or 0}, {s.initial})", s.units))
        for v in (*self.flows, *self.auxes):
            text = f"{v.equation}" if v.graph is None else \
                f"GRAPH({v.equation}; {', '.join(f'({x:g}, {y:g})' for x, y in zip(v.graph.xs, v.graph.ys))})"
            lines.append(_line(v.name, text, v.units))
        lines += [_line(c.name, f"{c.value:g}", c.units) for c in self.constants]
        return "\n".join(lines)


def _check_lookups(node: tuple, where: str, graphs: set[str]) -> None:
    """A LOOKUP (or ``name(x)``) must name a graphical function; a graphical function is read only that way."""
    kind = node[0]
    if kind == "call" and node[1] == "LOOKUP":
        first = node[2][0]
        if first[0] != "ref" or first[1] not in graphs:
            what = first[1] if first[0] == "ref" else "an expression"
            hint = did_you_mean(what.upper(), FUNCTIONS) or did_you_mean(what, graphs)
            raise ModelError(f"{where}: calls {what}, which is neither a builtin function nor a graphical function "
                             "of the model" + hint)
        _check_lookups(node[2][1], where, graphs)
        return
    if kind == "ref":
        return
    children = node[2] if kind == "call" else node[2:] if kind == "op" else node[1:] if kind in ("neg", "not",
                                                                                                   "if") else ()
    for c in children:
        if isinstance(c, tuple):
            _check_lookups(c, where, graphs)


def _line(name: str, text: str, units: str) -> str:
    return f"{name} = {text}" + (f"  ~ {units}" if units else "")

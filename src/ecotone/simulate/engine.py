"""The engine: a model spec built into two generated numpy functions, run for a whole ensemble at once.

Building turns the spec's equations into Python source (one ``init`` and one ``rates`` function, equations in
dependency order) so that a step costs one call whatever the model's size; every value is an array over the runs
of the ensemble, so 10,000 Monte Carlo runs cost about as many numpy operations as one. Every XMILE 1.0 builtin
runs: SMTH1/SMTH3/SMTHN, DELAY1/DELAY3/DELAYN, TREND, FORCST and NPV get hidden stocks as PySD and Vensim give
them; INIT is evaluated once at the start; DELAY (a pipeline of past inputs), PREVIOUS and the random functions
keep a state outside the stocks that changes once per DT (the same in every stage of RK4).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .arrays import flatten
from .equations import RANDOM_FUNCTIONS, TIME_NAMES, Node, canonical, parse, references
from .spec import Constant, Flow, Graph, Model, ModelError

__all__ = ["Stepper", "BuiltModel", "Results", "Simulator", "build"]

_ORDER = {"SMTH1": 1, "SMOOTH": 1, "SMTH3": 3, "SMOOTH3": 3, "DELAY1": 1, "DELAY3": 3, "SMTHN": 0, "DELAYN": 0}
_CALLS = {"MIN": "np.minimum", "MAX": "np.maximum", "ABS": "np.abs", "EXP": "np.exp", "LN": "np.log",
          "LOG10": "np.log10", "SQRT": "np.sqrt", "SIN": "np.sin", "COS": "np.cos", "TAN": "np.tan",
          "ARCSIN": "np.arcsin", "ARCCOS": "np.arccos", "ARCTAN": "np.arctan", "SINH": "np.sinh", "COSH": "np.cosh",
          "TANH": "np.tanh", "INT": "np.floor",
          "SAFEDIV": "_safediv", "XIDZ": "_safediv", "ZIDZ": "_safediv", "IF_THEN_ELSE": "np.where",
          "_LOGNORMAL": "_lognormal", "_EXPRND": "_exprnd", "_POISSON": "_poisson"}
_OPS = {"=": "==", "<>": "!=", "^": "**"}
#: Operators written as numpy calls, so that plain numbers divided by zero give inf or nan (as Stella does) and the
#: run goes on, instead of Python's ZeroDivisionError.
_UFUNCS = {"/": "np.true_divide", "^": "np.power", "MOD": "np.mod"}
_TIME = {"time": "t", "dt": "dt", "starttime": "t0", "stoptime": "t1", "pi": "np.pi", "inf": "np.inf"}
_SMALL = 1e-6  # PySD's and Vensim's tolerance on pulse times


# -- builtins the generated code calls (XMILE's definitions, as PySD implements them) --------------------------------
def _step(t: float, dt: float, height: Any, start: Any) -> Any:
    return height * (t + dt / 2 > start)


def _pulse(t: float, dt: float, magnitude: Any, first: Any, interval: Any = 0.0) -> Any:
    once = (first - _SMALL <= t) & (t < first + dt / 2)
    interval = np.asarray(interval, dtype=float)
    safe = np.where(interval > 0, interval, 1.0)
    repeated = (t >= first) & (np.mod(t - first + _SMALL, safe) < dt / 2)
    return np.where(interval > 0, repeated, once) * magnitude / dt


def _ramp(t: float, dt: float, slope: Any, start: Any, end: Any = None) -> Any:
    final = t if end is None else np.minimum(end, t)
    return (t + _SMALL > start) * slope * (final - start)


def _pulse_train(t: float, dt: float, start: Any, duration: Any, repeat: Any, end: Any) -> Any:
    """1 for ``duration`` from ``start`` and again every ``repeat`` until ``end``, else 0 (Vensim's PULSE TRAIN,
    as PySD defines it; ``repeat`` 0 means once).

    >>> [float(_pulse_train(t, 1.0, 2, 1, 3, 9)) for t in range(11)]
    [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    """
    repeat = np.asarray(repeat, dtype=float)
    since = t - start + _SMALL
    within = np.where(repeat > 0, np.mod(since, np.where(repeat > 0, repeat, 1.0)), since) < duration
    return ((t + _SMALL >= start) & (t <= end + _SMALL) & within) * 1.0


def _safediv(a: Any, b: Any, otherwise: Any = 0.0) -> Any:
    """a / b, or ``otherwise`` where b is exactly zero (SAFEDIV, XIDZ, ZIDZ).

    >>> _safediv(np.array([1.0, 2.0]), np.array([0.0, 4.0]), -1.0)
    array([-1. ,  0.5])
    """
    b = np.asarray(b, dtype=float)
    return np.where(b == 0, otherwise, a / np.where(b == 0, 1.0, b))


def _lognormal(mean: Any, sd: Any, z: Any) -> Any:
    """A log-normal draw with the given mean and standard deviation (of the variable, not of its log).

    >>> z = np.random.default_rng(1).standard_normal(200_000)
    >>> x = _lognormal(10.0, 2.0, z)
    >>> round(float(x.mean()), 1), round(float(x.std()), 1)
    (10.0, 2.0)
    """
    var = np.log1p((np.asarray(sd, dtype=float) / mean) ** 2)
    return np.exp(np.log(mean) - var / 2 + np.sqrt(var) * z)


def _exprnd(mean: Any, u: Any) -> Any:
    return -mean * np.log1p(-u)


def _poisson(mean: Any, u: Any) -> Any:
    from scipy.stats import poisson

    return np.maximum(poisson.ppf(u, mean), 0.0)


def _graph_function(graph: Graph) -> Callable[[Any], Any]:
    """The graphical function as a numpy function of x, by XMILE's kind (continuous, extrapolate, discrete).

    >>> g = _graph_function(Graph((0, 1, 2), (0.0, 10.0, 40.0), kind="extrapolate"))
    >>> g(np.array([-1.0, 0.5, 3.0]))
    array([-10.,   5.,  70.])
    >>> _graph_function(Graph((0, 1, 2), (0.0, 10.0, 10.0), kind="discrete"))(np.array([-1, 0.99, 1.0, 5]))
    array([ 0.,  0., 10., 10.])
    """
    xs, ys = np.asarray(graph.xs, dtype=float), np.asarray(graph.ys, dtype=float)
    if graph.kind == "discrete":
        return lambda x: ys[np.clip(np.searchsorted(xs, x, side="right") - 1, 0, len(xs) - 1)]
    if graph.kind == "extrapolate":
        lo, hi = (ys[1] - ys[0]) / (xs[1] - xs[0]), (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])

        def extrapolate(x: Any) -> Any:
            x = np.asarray(x, dtype=float)
            return np.where(x < xs[0], ys[0] + (x - xs[0]) * lo,
                            np.where(x > xs[-1], ys[-1] + (x - xs[-1]) * hi, np.interp(x, xs, ys)))
        return extrapolate
    return lambda x: np.interp(x, xs, ys)


@dataclass
class _Discrete:
    """A state that changes once per DT outside the stocks: a DELAY pipeline, a PREVIOUS value or a random draw."""

    kind: str                 # "delay", "previous" or "random"
    key: str                  # the value the equations read
    input: str | None = None  # delay, previous: what is stored at every DT
    time: str | None = None   # delay: the INIT value holding the delay time
    initial: str | None = None  # delay, previous: the INIT value holding the initial output
    draw: str = "uniform"     # random: "uniform" or "normal"
    seed: int | None = None   # random: the call's seed (None: the simulator's)
    site: int = 0             # random: a number for the call site (its variable and place in the equation)


@dataclass
class BuiltModel:
    """A model built for running: ordered names, generated functions, and the source they came from."""

    model: Model
    stocks: list[str]
    constants: list[str]
    recorded: list[str]
    names: dict[str, str]
    init: Callable[..., tuple]
    rates: Callable[..., tuple]
    source: str
    non_negative: list[int] = field(default_factory=list)
    discrete: list[_Discrete] = field(default_factory=list)
    init_keys: list[str] = field(default_factory=list)
    structural: set[str] = field(default_factory=set)


def build(model: Model) -> BuiltModel:
    """Check a spec and generate its ``init`` and ``rates`` functions.

    Examples
    --------
    >>> from ecotone.simulate.spec import Flow, Stock
    >>> m = Model("growth", stocks=[Stock("users", 10, inflows=("adoption",))],
    ...           flows=[Flow("adoption", "SMTH1(users * 0.1, 2)")])
    >>> print(build(m).source)  # the smooth is a hidden stock (v0) fed by its input (v3) over its time (v4)
    def init(k, z, t, dt, t0, t1):
        pass
        v1 = 10.0
        v0 = (v1 * 0.1)
        v2 = v0
        v3 = (v1 * 0.1)
        v4 = 2.0
        return (v0, v1, ), ()
    <BLANKLINE>
    def rates(s, k, iv, z, t, dt, t0, t1):
        v0, v1, = s
        v2 = v0
        v3 = (v1 * 0.1)
        v4 = 2.0
        return (((v3 - v0) * np.true_divide(1.0, v4)), (0.0 + v2), ), (v1, v2, ), ()
    <BLANKLINE>
    """
    model.check()
    model = flatten(model)  # arrays: one scalar variable per element (a model without them comes back as it is)
    return _Builder(model).build()


class _Builder:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.kind: dict[str, str] = {}
        self.eq: dict[str, Node] = {}           # auxes and flows: their equation
        self.graph: dict[str, Graph] = {}       # flows and auxes with a graph, and stand-alone graphs: by name
        self.initial: dict[str, Node] = {}      # stocks: initial value
        self.derivative: dict[str, Node] = {}   # hidden stocks: rate of change
        self.flows_of: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {}  # model stocks
        self.init_values: dict[str, Node] = {}  # INIT(x) calls: evaluated once at the start
        self.discrete: list[_Discrete] = []
        self.uniflows: set[str] = set()
        self.display: dict[str, str] = {}
        self.structural: set[str] = set()
        self.hidden = 0
        self.constants = {canonical(c.name): c for c in model.constants}

    def build(self) -> BuiltModel:
        m = self.model
        for c in m.constants:
            self.kind[canonical(c.name)] = "constant"
        for lk in getattr(m, "lookups", ()):
            self.graph[canonical(lk.name)] = lk.graph
        for v in (*m.flows, *m.auxes):
            key = canonical(v.name)
            self.kind[key] = "flow" if isinstance(v, Flow) else "aux"
            self.display[key] = v.name
            if v.graph is not None:
                self.graph[key] = v.graph
            if isinstance(v, Flow) and v.non_negative:
                self.uniflows.add(key)
        for v in (*m.flows, *m.auxes):
            key = canonical(v.name)
            self.eq[key] = self.expand(parse(v.equation), key)
        for s in m.stocks:
            key = canonical(s.name)
            self.kind[key] = "stock"
            self.display[key] = s.name
            self.initial[key] = self.expand(parse(s.initial), key)
            self.flows_of[key] = (tuple(canonical(f) for f in s.inflows), tuple(canonical(f) for f in s.outflows),
                                  s.non_negative)
        stocks = [k for k in self.kind if self.kind[k] == "stock"]
        constants = [canonical(c.name) for c in m.constants]
        computed = [k for k in self.kind if self.kind[k] in ("aux", "flow")]
        discrete = [d.key for d in self.discrete]
        step_order = self.order(computed, {k: self.eq[k] for k in computed}, skip=set(stocks) | set(constants)
                                | set(self.init_values) | set(discrete), phase="during the run")
        init_nodes = {**{k: self.eq[k] for k in computed}, **self.initial, **self.init_values,
                      **{d.key: ("ref", d.initial) for d in self.discrete if d.initial is not None}}
        randoms = {d.key for d in self.discrete if d.kind == "random"}
        init_order = self.order(list(init_nodes), init_nodes, skip=set(constants) | randoms, phase="at the start")
        recorded = [canonical(v.name) for v in (*m.stocks, *m.flows, *m.auxes)]
        names = {k: f"v{i}" for i, k in enumerate([*stocks, *constants, *computed, *self.init_values, *discrete])}
        source = self.source(stocks, constants, step_order, init_order, init_nodes, recorded, names)
        namespace: dict[str, Any] = {"np": np, "_step": _step, "_pulse": _pulse, "_ramp": _ramp,
                                     "_safediv": _safediv, "_pulse_train": _pulse_train, "_lognormal": _lognormal, "_exprnd": _exprnd,
                                     "_poisson": _poisson}
        for i, (key, g) in enumerate(self.graph.items()):
            namespace[f"_g{i}"] = (np.asarray(g.xs, float), np.asarray(g.ys, float))
            namespace[f"_gf{i}"] = _graph_function(g)
        exec(compile(source, f"<model {m.name}>", "exec"), namespace)  # noqa: S102 - our own generated source
        non_negative = [i for i, k in enumerate(stocks) if k in self.flows_of and self.flows_of[k][2]]
        return BuiltModel(m, stocks, constants, recorded, {k: self.display.get(k, k) for k in recorded},
                          namespace["init"], namespace["rates"], source, non_negative, self.discrete,
                          list(self.init_values), self.structural)

    # -- stateful builtins become hidden stocks or discrete states -----------------------------------------------
    def _new(self, tag: str) -> str:
        self.hidden += 1
        return f"_{tag}{self.hidden}"

    def _aux(self, key: str, eq: Node) -> Node:
        self.kind[key], self.eq[key] = "aux", eq
        return ("ref", key)

    def _once(self, key: str, eq: Node) -> str:
        self.kind[key], self.init_values[key] = "init", eq
        return key

    def _stock(self, key: str, initial: Node, derivative: Node) -> Node:
        self.kind[key], self.initial[key], self.derivative[key] = "stock", initial, derivative
        return ("ref", key)

    def constant_value(self, node: Node, fn: str, what: str, owner: str) -> float:
        """A number fixed when the model is built (the order of DELAYN/SMTHN, a seed): a number or a constant."""
        if node[0] == "num":
            return float(node[1])
        if node[0] == "ref" and node[1] in self.constants:
            self.structural.add(node[1])
            return float(self.constants[node[1]].value)
        raise ModelError(f"{self.display.get(owner, owner)}: {fn}'s {what} must be a number or a constant, since it "
                         "fixes the model's structure")

    def expand(self, node: Node, owner: str, counter: list[int] | None = None) -> Node:
        counter = [0] if counter is None else counter
        kind = node[0]
        if kind == "ref":
            if node[1] == "self":
                return ("ref", owner)
            if node[1] in self.graph and self.kind.get(node[1]) not in ("aux", "flow"):
                raise ModelError(f"{self.display.get(owner, owner)}: {node[1]} is a graphical function; read it as "
                                 f"{node[1]}(x) or LOOKUP({node[1]}, x)")
            return node
        if kind == "num":
            return node
        if kind == "op":
            return ("op", node[1], self.expand(node[2], owner, counter), self.expand(node[3], owner, counter))
        if kind in ("neg", "not", "if"):
            return (kind, *(self.expand(c, owner, counter) for c in node[1:]))
        if kind != "call":
            return node
        fn = node[1]
        if fn == "LOOKUP":
            return ("call", "LOOKUP", (node[2][0], self.expand(node[2][1], owner, counter)))
        args = tuple(self.expand(a, owner, counter) for a in node[2])
        if fn in ("PI", "INF"):
            return ("ref", fn.lower())
        if fn == "INIT":
            return ("ref", self._once(self._new("init"), args[0]))
        if fn in RANDOM_FUNCTIONS:
            return self.random(fn, args, owner, counter)
        if fn == "DELAY":
            tag = self._new("delay")
            self._aux(f"{tag}_in", args[0])
            d = _Discrete("delay", f"{tag}_out", input=f"{tag}_in", time=self._once(f"{tag}_time", args[1]),
                          initial=self._once(f"{tag}_initial", args[2] if len(args) > 2 else args[0]))
            self.kind[d.key] = "discrete"
            self.discrete.append(d)
            return ("ref", d.key)
        if fn == "PREVIOUS":
            tag = self._new("previous")
            self._aux(f"{tag}_in", args[0])
            d = _Discrete("previous", f"{tag}_out", input=f"{tag}_in",
                          initial=self._once(f"{tag}_initial", args[1] if len(args) > 1 else ("num", 0.0)))
            self.kind[d.key] = "discrete"
            self.discrete.append(d)
            return ("ref", d.key)
        if fn in ("TREND", "FORCST"):
            return self.trend(fn, args)
        if fn == "NPV":
            return self.npv(args)
        if fn not in _ORDER:
            return ("call", fn, args)
        return self.chain(fn, args, owner)

    def chain(self, fn: str, args: tuple[Node, ...], owner: str) -> Node:
        """SMTH1/3/N and DELAY1/3/N: a cascade of n first-order stocks (PySD's and Vensim's form)."""
        n = _ORDER[fn]
        rest = list(args[2:])
        if n == 0:
            n = int(round(self.constant_value(rest.pop(0), fn, "order n", owner)))
            if n < 1:
                raise ModelError(f"{self.display.get(owner, owner)}: {fn}'s order must be at least 1, not {n}")
        tag = self._new(fn.lower())
        source, tau = self._aux(f"{tag}_in", args[0]), self._aux(f"{tag}_time", args[1])
        start = rest[0] if rest else args[0]
        delay = fn.startswith("DELAY")
        inflow: Node = source
        level: Node = source
        for i in range(n):
            key = f"{tag}_{i + 1}"
            # delays keep each level as material × delay time (PySD's form); smooths keep the smoothed value
            out: Node = ("op", "/", ("ref", key), tau) if delay else ("ref", key)
            rate = ("op", "/", ("num", float(n)), tau) if not delay else ("num", float(n))
            level = self._stock(key, ("op", "*", start, tau) if delay else start,
                                ("op", "*", ("op", "-", inflow, out), rate))
            inflow = out
        if delay:
            return self._aux(f"{tag}_out", inflow)
        return level

    def trend(self, fn: str, args: tuple[Node, ...]) -> Node:
        """TREND = (input − average) / (average time × |average|), the average a first-order smooth started at
        input / (1 + initial trend × average time); FORCST = input × (1 + TREND × horizon)."""
        tag = self._new(fn.lower())
        x, tau = self._aux(f"{tag}_in", args[0]), self._aux(f"{tag}_time", args[1])
        initial = args[3] if fn == "FORCST" and len(args) > 3 else args[2] if fn == "TREND" and len(args) > 2 \
            else ("num", 0.0)
        avg = self._stock(f"{tag}_average", ("op", "/", x, ("op", "+", ("num", 1.0), ("op", "*", initial, tau))),
                          ("op", "/", ("op", "-", x, ("ref", f"{tag}_average")), tau))
        slope = ("call", "ZIDZ", (("op", "-", x, avg), ("op", "*", tau, ("call", "ABS", (avg,)))))
        if fn == "TREND":
            return self._aux(f"{tag}_out", slope)
        horizon = self._aux(f"{tag}_horizon", args[2])
        return self._aux(f"{tag}_out", ("op", "*", x, ("op", "+", ("num", 1.0), ("op", "*", slope, horizon))))

    def npv(self, args: tuple[Node, ...]) -> Node:
        """NPV(stream, rate[, initial[, factor]]): the stream accumulated, each DT discounted by 1 / (1 + rate·DT)
        more than the one before (Vensim's definition), times ``factor``."""
        tag = self._new("npv")
        stream, rate = self._aux(f"{tag}_in", args[0]), self._aux(f"{tag}_rate", args[1])
        df = ("ref", f"{tag}_discount")
        self._stock(f"{tag}_discount", ("num", 1.0), ("op", "/", ("op", "*", ("neg", df), rate),
                                                      ("op", "+", ("num", 1.0), ("op", "*", rate, ("ref", "dt")))))
        acc = self._stock(f"{tag}_sum", args[2] if len(args) > 2 else ("num", 0.0), ("op", "*", stream, df))
        return self._aux(f"{tag}_out", ("op", "*", acc, args[3] if len(args) > 3 else ("num", 1.0)))

    def random(self, fn: str, args: tuple[Node, ...], owner: str, counter: list[int]) -> Node:
        """A random call: a standard draw every DT (uniform or normal), shaped by the call's parameters."""
        counter[0] += 1
        nparams = {"RANDOM": 2, "NORMAL": 2, "LOGNORMAL": 2, "EXPRND": 1, "POISSON": 1}[fn]
        seed = None
        if len(args) > nparams:
            value = self.constant_value(args[nparams], fn, "seed", owner)
            if value < 0 or value >= 2 ** 32 or not float(value).is_integer():
                raise ModelError(f"{self.display.get(owner, owner)}: {fn}'s seed must be a whole number from 0 to "
                                 f"2^32 - 1, not {value:g}")
            seed = int(value)
        draw = "normal" if fn in ("NORMAL", "LOGNORMAL") else "uniform"
        site = zlib.crc32(f"{owner}#{counter[0]}".encode())
        d = _Discrete("random", self._new("random"), draw=draw, seed=seed, site=site)
        self.kind[d.key] = "discrete"
        self.discrete.append(d)
        u = ("ref", d.key)
        if fn == "RANDOM":
            return ("op", "+", args[0], ("op", "*", ("op", "-", args[1], args[0]), u))
        if fn == "NORMAL":
            return ("op", "+", args[0], ("op", "*", args[1], u))
        return ("call", f"_{fn}", (*args[:nparams], u))

    # -- ordering ----------------------------------------------------------------------------------------------
    def order(self, keys: list[str], eqs: Mapping[str, Node], *, skip: set[str], phase: str) -> list[str]:
        deps = {k: sorted((references(eqs[k]) - TIME_NAMES - skip) & set(eqs)) for k in keys}
        done: list[str] = []
        state: dict[str, int] = {}

        def visit(k: str, path: list[str]) -> None:
            if state.get(k) == 2:
                return
            if state.get(k) == 1:
                loop = path[path.index(k):] + [k]
                raise ModelError(f"simultaneous equations {phase}: {' → '.join(self.display.get(x, x) for x in loop)}"
                                 "; every feedback loop must pass through a stock")
            state[k] = 1
            for d in deps[k]:
                visit(d, [*path, k])
            state[k] = 2
            done.append(k)

        for k in keys:
            visit(k, [])
        return done

    # -- code generation ---------------------------------------------------------------------------------------
    def code(self, node: Node, names: dict[str, str]) -> str:
        kind = node[0]
        if kind == "num":
            return repr(node[1])
        if kind == "ref":
            return _TIME.get(node[1]) or names[node[1]]
        if kind == "neg":
            return f"(-{self.code(node[1], names)})"
        if kind == "not":
            return f"np.logical_not({self.code(node[1], names)})"
        if kind == "if":
            return f"np.where({', '.join(self.code(c, names) for c in node[1:])})"
        if kind == "op":
            a, b = self.code(node[2], names), self.code(node[3], names)
            if node[1] in ("AND", "OR"):
                return f"np.logical_{node[1].lower()}({a}, {b})"
            if node[1] in _UFUNCS:  # MOD: XMILE's floored modulus, with the sign of the divisor
                return f"{_UFUNCS[node[1]]}({a}, {b})"
            return f"({a} {_OPS.get(node[1], node[1])} {b})"
        fn, raw = node[1], node[2]
        if fn == "LOOKUP":
            return f"_gf{list(self.graph).index(raw[0][1])}({self.code(raw[1], names)})"
        args = [self.code(a, names) for a in raw]
        if fn in ("STEP", "PULSE", "RAMP", "PULSE_TRAIN"):
            if fn == "PULSE" and len(args) == 1:
                args.append("t0")
            return f"_{fn.lower()}(t, dt, {', '.join(args)})"
        if fn in ("SUM", "MEAN", "PROD") or (fn in ("MIN", "MAX") and len(args) == 1):
            return args[0]  # of one number (an array argument has been spread over its elements by then)
        if fn == "STDDEV":
            return f"(0.0 * {args[0]})"
        if fn == "SIZE":
            return "1.0"
        return f"{_CALLS[fn]}({', '.join(args)})"

    def value(self, key: str, names: dict[str, str]) -> str:
        text = self.code(self.eq[key], names)
        if key in self.graph:
            g, i = self.graph[key], list(self.graph).index(key)
            text = f"np.interp({text}, *_g{i})" if g.kind == "continuous" else f"_gf{i}({text})"
        if key in self.uniflows:
            text = f"np.maximum({text}, 0.0)"
        return text

    def flows_code(self, stocks: list[str], names: dict[str, str]) -> tuple[list[str], dict[str, str]]:
        """Lines that limit the outflows of non-negative stocks, and each stock's rate of change.

        XMILE 1.0: what a non-negative stock holds plus what flows in this DT (a negative inflow and a negative
        outflow count the other way) is handed out to what drains it in the order listed; each drain gets what it
        asks or what is left. A flow so limited enters downstream stocks limited.
        """
        lines: list[str] = []
        limited: dict[str, str] = {}  # flow → its value after its source stock limited it
        guarded = [k for k in stocks if k in self.flows_of and self.flows_of[k][2]]
        sources = {f: k for k in guarded for f in self.flows_of[k][1]}
        ordered: list[str] = []  # upstream stocks first, so that what they let out is what flows in downstream
        while len(ordered) < len(guarded):
            ready = [k for k in guarded if k not in ordered and all(
                sources.get(f, k) == k or sources[f] in ordered for f in self.flows_of[k][0])]
            ordered.append(ready[0] if ready else next(k for k in guarded if k not in ordered))
        gained: dict[str, str] = {}
        for key in ordered:
            i = stocks.index(key)
            ins, outs, _ = self.flows_of[key]
            inflow = {f: limited.get(f, names[f]) for f in ins}
            gains = [f"np.maximum({inflow[f]}, 0.0)" for f in ins] + [f"np.maximum(-{names[f]}, 0.0)" for f in outs]
            drains = [(None, f"np.maximum(-{inflow[f]}, 0.0)") for f in ins] + \
                [(f, f"np.maximum({names[f]}, 0.0)") for f in outs]
            lines.append(f"    _n{i} = {' + '.join(gains) or '0.0'}")
            lines.append(f"    _a{i} = {names[key]} / dt + _n{i}")
            takes = []
            for j, (flow, ask) in enumerate(drains):
                lines.append(f"    _t{i}_{j} = np.minimum({ask}, np.maximum(_a{i}, 0.0))")
                lines.append(f"    _a{i} = _a{i} - _t{i}_{j}")
                takes.append(f"_t{i}_{j}")
                if flow is not None and flow not in limited:
                    lines.append(f"    _l{i}_{j} = _t{i}_{j} - np.maximum(-{names[flow]}, 0.0)")
                    limited[flow] = f"_l{i}_{j}"
            gained[key] = f"(_n{i} - ({' + '.join(takes) or '0.0'}))"
        out: dict[str, str] = {}
        for key in stocks:
            if key in gained:
                out[key] = gained[key]
            elif key in self.flows_of:
                ins, outs, _ = self.flows_of[key]
                out[key] = "(0.0" + "".join(f" + {limited.get(f, names[f])}" for f in ins) + \
                    "".join(f" - {names[f]}" for f in outs) + ")"
            else:
                out[key] = self.code(self.derivative[key], names)
        return lines, out

    def source(self, stocks, constants, step_order, init_order, init_nodes, recorded, names) -> str:
        unpack_k = f"    {', '.join(names[c] for c in constants)}, = k" if constants else ""
        unpack_z = f"    {', '.join(names[d.key] for d in self.discrete)}, = z" if self.discrete else ""
        lines = ["def init(k, z, t, dt, t0, t1):", unpack_k or "    pass"]
        if unpack_z:
            lines.append(unpack_z)
        for key in init_order:
            text = self.value(key, names) if key in self.eq else self.code(init_nodes[key], names)
            lines.append(f"    {names[key]} = {text}")
        lines.append(f"    return ({''.join(names[s] + ', ' for s in stocks)}), "
                     f"({''.join(names[i] + ', ' for i in self.init_values)})")
        lines.append("")
        lines.append("def rates(s, k, iv, z, t, dt, t0, t1):")
        if stocks:
            lines.append(f"    {', '.join(names[s] for s in stocks)}, = s")
        if constants:
            lines.append(unpack_k)
        if self.init_values:
            lines.append(f"    {', '.join(names[i] for i in self.init_values)}, = iv")
        if unpack_z:
            lines.append(unpack_z)
        lines += [f"    {names[key]} = {self.value(key, names)}" for key in step_order]
        limit, derivative = self.flows_code(stocks, names)
        lines += limit
        derivs = "".join(derivative[s] + ", " for s in stocks)
        feeds = "".join(names[d.input] + ", " for d in self.discrete if d.input is not None)
        lines.append(f"    return ({derivs}), ({''.join(names[r] + ', ' for r in recorded)}), ({feeds})")
        return "\n".join(lines) + "\n"


@dataclass
class Results:
    """Trajectories of an ensemble: ``values[time, variable, run]``, with the parameters of every run.

    Examples
    --------
    >>> from ecotone.simulate.spec import Flow, Stock
    >>> m = Model("decay", stocks=[Stock("patients", 100, outflows=("discharges",))],
    ...           flows=[Flow("discharges", "patients / stay")], constants=[Constant("stay", 4)], stop=2, dt=1)
    >>> r = Simulator().run(m, {"stay": [2.0, 4.0]})
    >>> r.frame("patients").to_dict("list")  # a column per run, a row per time (0, 1, 2)
    {0: [100.0, 50.0, 25.0], 1: [100.0, 75.0, 56.25]}
    >>> r.tidy().head(2)
       time  variable  run  value
    0   0.0  patients    0  100.0
    1   0.0  patients    1  100.0
    """

    times: np.ndarray
    variables: list[str]
    values: np.ndarray
    params: pd.DataFrame
    units: dict[str, str] = field(default_factory=dict)

    @property
    def runs(self) -> int:
        return self.values.shape[2]

    def index(self, variable: str) -> int:
        key = canonical(variable)
        for i, v in enumerate(self.variables):
            if canonical(v) == key:
                return i
        elements = [v for v in self.variables if canonical(v).startswith(key + "[")]
        if elements:  # an arrayed variable is recorded element by element
            raise KeyError(f"{variable!r} is an array: ask for one of its elements ({', '.join(elements)})")
        raise KeyError(f"no variable {variable!r} was recorded (recorded: {', '.join(self.variables)})")

    def series(self, variable: str) -> np.ndarray:
        """The trajectories of one variable, ``[time, run]``."""
        return self.values[:, self.index(variable), :]

    def frame(self, variable: str) -> pd.DataFrame:
        """One variable as a table: a row per time, a column per run."""
        out = pd.DataFrame(self.series(variable), index=pd.Index(self.times, name="time"))
        out.columns.name = "run"
        return out

    def bands(self, variable: str, quantiles: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Quantiles of one variable across runs at every time (the bands of a fan chart)."""
        q = np.quantile(self.series(variable), quantiles, axis=1).T
        return pd.DataFrame(q, index=pd.Index(self.times, name="time"), columns=[f"q{x:g}" for x in quantiles])

    def final(self, variable: str) -> np.ndarray:
        """Every run's value at the last recorded time."""
        return self.series(variable)[-1]

    def tidy(self, variables: Iterable[str] | None = None) -> pd.DataFrame:
        """Long form: one row per time, variable and run."""
        idx = [self.index(v) for v in variables] if variables is not None else list(range(len(self.variables)))
        t, v, r = np.meshgrid(self.times, np.arange(len(idx)), np.arange(self.runs), indexing="ij")
        return pd.DataFrame({"time": t.ravel(), "variable": np.asarray(self.variables, dtype=object)[idx][v.ravel()],
                             "run": r.ravel(), "value": self.values[:, idx, :].ravel()})


class Simulator:
    """Runs a model for an ensemble of parameter sets, as one array computation.

    Parameters
    ----------
    method : "euler" or "rk4"; None takes the model's.
    save_every : time between recorded points (a multiple of dt); None records every step.
    variables : the variables to record (all stocks, flows and auxiliaries when None).
    seed : the seed of the random functions called without a seed of their own (RANDOM, NORMAL, ...); None draws
        a fresh one at every run. A call with its own seed draws the same numbers whatever this is.

    Examples
    --------
    >>> from ecotone.simulate.spec import Flow, Stock
    >>> m = Model("decay", stocks=[Stock("x", 1, outflows=("out",))], flows=[Flow("out", "x")], stop=1, dt=0.1)
    >>> euler = Simulator(save_every=1).run(m).final("x")[0]
    >>> rk4 = Simulator(method="rk4", save_every=1).run(m).final("x")[0]
    >>> print(f"{euler:.4f} {rk4:.6f} {np.exp(-1):.6f}")
    0.3487 0.367880 0.367879
    """

    def __init__(self, *, method: str | None = None, save_every: float | None = None,
                 variables: Sequence[str] | None = None, progress: Callable[[int, int], None] | None = None,
                 seed: int | None = None) -> None:
        self.method = method
        self.seed = seed
        self.save_every = save_every
        self.variables = variables
        self.progress = progress

    def run(self, model: Model | BuiltModel, params: Mapping[str, Any] | pd.DataFrame | None = None,
            *, runs: int | None = None) -> Results:
        """Run ``model`` once per row of ``params`` (constant name → one value, or one per run)."""
        built = model if isinstance(model, BuiltModel) else build(model)
        m = built.model
        method = self.method or m.method
        if method not in ("euler", "rk4"):
            raise ModelError(f"unknown integration method {method!r}; use euler or rk4")
        table = _params(params, built, runs)
        n = len(table) if len(table.columns) else (runs or 1)
        given = {canonical(c): table[c].to_numpy(dtype=float) for c in table.columns}
        fixed = sorted(c for c in given if c in built.structural)
        if fixed:
            raise ModelError(f"{', '.join(fixed)} fix(es) the structure of {m.name!r} (the order of a DELAYN or "
                             "SMTHN, or a seed) and cannot vary between runs")
        k = tuple(given.get(c, m.constant(c).value) for c in built.constants)
        steps, every, keep, times = recording(built, self.save_every, self.variables)
        out = np.empty((len(times), len(keep), n))
        dt, t0, t1 = m.dt, m.start, m.stop
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            states = _States(built.discrete, n, dt, self.seed)
            s, iv = built.init(k, states.values(0), t0, dt, t0, t1)
            s = tuple(np.broadcast_to(np.asarray(x, dtype=float), (n,)).copy() for x in s)
            states.start(dict(zip(built.init_keys, iv)))
            rates, nonneg = built.rates, built.non_negative
            for i in range(steps + 1):
                t = t0 + i * dt
                z = states.values(i)
                d, vals, feeds = rates(s, k, iv, z, t, dt, t0, t1)
                if i % every == 0:
                    row = out[i // every]
                    for j, idx in enumerate(keep):
                        row[j] = vals[idx]
                if i == steps:
                    break
                if feeds:
                    states.update(i, feeds)
                if method == "euler":
                    s = tuple(x + dt * y for x, y in zip(s, d))
                else:  # the discrete states (z) hold over the step; each stage limits non-negative stocks' outflows
                    h = dt / 2
                    d2 = rates(tuple(x + h * y for x, y in zip(s, d)), k, iv, z, t + h, dt, t0, t1)[0]
                    d3 = rates(tuple(x + h * y for x, y in zip(s, d2)), k, iv, z, t + h, dt, t0, t1)[0]
                    d4 = rates(tuple(x + dt * y for x, y in zip(s, d3)), k, iv, z, t + dt, dt, t0, t1)[0]
                    s = tuple(x + dt / 6 * (a + 2 * b + 2 * c + e) for x, a, b, c, e in zip(s, d, d2, d3, d4))
                    if nonneg:
                        s = tuple(np.maximum(x, 0.0) if j in nonneg else x for j, x in enumerate(s))
                if self.progress is not None and i % 50 == 0:
                    self.progress(i, steps)
        if self.progress is not None:
            self.progress(steps, steps)
        return recorded_results(built, keep, times, out, table)


class Stepper:
    """One ensemble run of a built model, a step at a time, for steppers of their own (a stochastic one moves the
    stocks itself): the runs' parameter table and constants, the initial stocks, and at each step the stocks'
    rates of change and every recorded value (``BuiltModel.recorded``' order), the model's discrete states
    (DELAY pipelines, PREVIOUS, random draws) kept as :class:`Simulator` keeps them.

    Examples
    --------
    >>> from ecotone.simulate.spec import Flow, Stock
    >>> m = Model("decay", stocks=[Stock("x", 1, outflows=("out",))], flows=[Flow("out", "x * rate")],
    ...           constants=[Constant("rate", 1)], stop=1, dt=0.5)
    >>> st = Stepper(build(m), {"rate": [1.0, 2.0]})
    >>> s = st.start()
    >>> d, values = st.rates(s, 0)
    >>> [float(v) for v in d[0]], st.steps, st.runs
    ([-1.0, -2.0], 2, 2)
    """

    def __init__(self, built: BuiltModel, params: Mapping[str, Any] | pd.DataFrame | None = None, *,
                 runs: int | None = None, seed: int | None = None) -> None:
        m = built.model
        self.built, self.dt, self.t0, self.t1 = built, m.dt, m.start, m.stop
        self.table = _params(params, built, runs)
        self.runs = len(self.table) if len(self.table.columns) else (runs or 1)
        given = {canonical(c): self.table[c].to_numpy(dtype=float) for c in self.table.columns}
        fixed = sorted(c for c in given if c in built.structural)
        if fixed:
            raise ModelError(f"{', '.join(fixed)} fix(es) the structure of {m.name!r} (the order of a DELAYN or "
                             "SMTHN, or a seed) and cannot vary between runs")
        self.constants = tuple(given.get(c, m.constant(c).value) for c in built.constants)
        self.steps = int(round((m.stop - m.start) / m.dt))
        self._states = _States(built.discrete, self.runs, self.dt, seed)
        self._iv: tuple = ()

    def start(self) -> list[np.ndarray]:
        """The stocks' initial values, one array of runs per stock (``BuiltModel.stocks``' order)."""
        s, self._iv = self.built.init(self.constants, self._states.values(0), self.t0, self.dt, self.t0, self.t1)
        self._states.start(dict(zip(self.built.init_keys, self._iv)))
        return [np.broadcast_to(np.asarray(x, dtype=float), (self.runs,)).copy() for x in s]

    def rates(self, stocks: Sequence[np.ndarray], i: int) -> tuple[tuple, tuple]:
        """At step ``i`` (time t0 + i·dt) with ``stocks``: their rates of change and the recorded values; the
        discrete states then move on to the next step."""
        d, vals, feeds = self.built.rates(tuple(stocks), self.constants, self._iv, self._states.values(i),
                                          self.t0 + i * self.dt, self.dt, self.t0, self.t1)
        if feeds:
            self._states.update(i, feeds)
        return d, vals


def recording(built: BuiltModel, save_every: float | None, variables: Sequence[str] | None
              ) -> tuple[int, int, list[int], np.ndarray]:
    """What a run records: its number of steps, the steps between recorded points, the indices of the recorded
    variables (all stocks, flows and auxiliaries when ``variables`` is None) and the recorded times; an error
    names a ``save_every`` that is not a multiple of dt, or a variable that cannot be recorded."""
    m = built.model
    steps = int(round((m.stop - m.start) / m.dt))
    every = 1 if save_every is None else int(round(save_every / m.dt))
    if every < 1 or abs(every * m.dt - (save_every or m.dt)) > 1e-9 * m.dt:
        raise ModelError(f"save every {save_every} is not a multiple of dt {m.dt}")
    unknown = [v for v in variables or () if canonical(v) not in built.recorded]
    if unknown:
        raise ModelError(f"cannot record {', '.join(map(repr, unknown))}: not a stock, flow or auxiliary of "
                         f"{m.name!r}")
    keep = [built.recorded.index(canonical(v)) for v in variables] if variables is not None else \
        list(range(len(built.recorded)))
    return steps, every, keep, m.start + np.arange(0, steps + 1, every) * m.dt


def recorded_results(built: BuiltModel, keep: list[int], times: np.ndarray, out: np.ndarray,
                     table: pd.DataFrame) -> Results:
    """The :class:`Results` of a run: the recorded variables by their names, with their units and parameters."""
    variables = [built.names[built.recorded[j]] for j in keep]
    units = {v.name: v.units for v in built.model.variables if v.units and not isinstance(v, Constant)}
    return Results(times, variables, out, table.reset_index(drop=True), units)


def _params(params: Mapping[str, Any] | pd.DataFrame | None, built: BuiltModel, runs: int | None) -> pd.DataFrame:
    if params is None:
        return pd.DataFrame(index=range(runs or 1))
    if isinstance(params, pd.DataFrame):
        table = params
    else:
        values = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in params.items()}
        n = runs or max((len(v) for v in values.values()), default=1)
        wrong = [k for k, v in values.items() if len(v) not in (1, n)]
        if wrong:
            raise ModelError(f"{', '.join(wrong)}: give one value or one per run ({n} runs)")
        table = pd.DataFrame({k: np.broadcast_to(v, (n,)) for k, v in values.items()}, index=range(n))
    unknown = [c for c in table.columns if canonical(str(c)) not in built.constants]
    if unknown:
        raise ModelError(f"not constants of {built.model.name!r}: {', '.join(map(str, unknown))}")
    return table


class _States:
    """The discrete states of one ensemble run: DELAY pipelines, PREVIOUS values and random draws.

    A DELAY keeps, per run, a ring of its input's last ``round(delay time / DT)`` values (at least one; the delay
    time is read at the start); a random call draws, at step i, from a generator seeded by (seed, call site, i), so
    that run r's number does not depend on how many runs the ensemble has.
    """

    def __init__(self, discrete: list[_Discrete], n: int, dt: float, seed: int | None) -> None:
        self.discrete, self.n, self.dt = discrete, n, dt
        self.seed = int(np.random.SeedSequence().entropy) if seed is None else int(seed)
        self.cache: tuple[int, tuple] | None = None
        self.state: list[Any] = [None] * len(discrete)
        self.cols = np.arange(n)
        self.feeding = [j for j, d in enumerate(discrete) if d.input is not None]

    def start(self, iv: dict[str, Any]) -> None:
        n, self.cache = self.n, None  # step 0's draws come again from their seeds; the pipelines are now filled
        for j, d in enumerate(self.discrete):
            if d.kind == "random":
                continue
            initial = np.broadcast_to(np.asarray(iv[d.initial], dtype=float), (n,))
            if d.kind == "previous":
                self.state[j] = initial.copy()
                continue
            time = np.broadcast_to(np.asarray(iv[d.time], dtype=float), (n,))
            order = np.maximum(np.round(time / self.dt + _SMALL), 1).astype(int)
            ring = np.empty((int(order.max()), n))
            ring[:] = initial
            self.state[j] = (ring, order)

    def values(self, i: int) -> tuple:
        if self.cache is not None and self.cache[0] == i:
            return self.cache[1]
        out = []
        for j, d in enumerate(self.discrete):
            if d.kind == "random":
                key = [1, d.seed, d.site, i] if d.seed is not None else [0, self.seed, d.site, i]
                rng = np.random.default_rng(key)
                out.append(rng.random(self.n) if d.draw == "uniform" else rng.standard_normal(self.n))
            elif self.state[j] is None:
                out.append(None)  # before the start: init computes the initial output itself
            elif d.kind == "previous":
                out.append(self.state[j])
            else:
                ring, order = self.state[j]
                out.append(ring[i % order, self.cols])
        self.cache = (i, tuple(out))
        return self.cache[1]

    def update(self, i: int, feeds: tuple) -> None:
        n = self.n
        for j, x in zip(self.feeding, feeds):
            x = np.broadcast_to(np.asarray(x, dtype=float), (n,))
            if self.discrete[j].kind == "previous":
                self.state[j] = x.copy()
            else:
                ring, order = self.state[j]
                ring[i % order, self.cols] = x

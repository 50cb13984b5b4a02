"""The engine: a model spec built into two generated numpy functions, run for a whole ensemble at once.

Building turns the spec's equations into Python source (one ``init`` and one ``rates`` function, equations in
dependency order) so that a step costs one call whatever the model's size; every value is an array over the runs
of the ensemble, so 10,000 Monte Carlo runs cost about as many numpy operations as one. SMTH1/SMTH3/DELAY1/DELAY3
get hidden stocks as PySD and Vensim give them; INIT is evaluated once at the start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .arrays import flatten
from .equations import TIME_NAMES, Node, canonical, parse, references
from .spec import Constant, Flow, Model, ModelError

__all__ = ["BuiltModel", "Results", "Simulator", "build"]

_ORDER = {"SMTH1": 1, "SMOOTH": 1, "SMTH3": 3, "SMOOTH3": 3, "DELAY1": 1, "DELAY3": 3}
_CALLS = {"MIN": "np.minimum", "MAX": "np.maximum", "ABS": "np.abs", "EXP": "np.exp", "LN": "np.log",
          "LOG10": "np.log10", "SQRT": "np.sqrt", "SIN": "np.sin", "COS": "np.cos", "TAN": "np.tan",
          "INT": "np.floor", "SAFEDIV": "_safediv"}
_OPS = {"=": "==", "<>": "!=", "^": "**"}
_TIME = {"time": "t", "dt": "dt", "starttime": "t0", "stoptime": "t1"}
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


def _safediv(a: Any, b: Any, otherwise: Any = 0.0) -> Any:
    b = np.asarray(b, dtype=float)
    return np.where(b == 0, otherwise, a / np.where(b == 0, 1.0, b))


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


def build(model: Model) -> BuiltModel:
    """Check a spec and generate its ``init`` and ``rates`` functions.

    Examples
    --------
    >>> from ecotone.simulate.spec import Flow, Stock
    >>> m = Model("growth", stocks=[Stock("users", 10, inflows=("adoption",))],
    ...           flows=[Flow("adoption", "SMTH1(users * 0.1, 2)")])
    >>> print(build(m).source)  # the smooth is a hidden stock (v0) fed by its input (v3) over its time (v4)
    def init(k, t, dt, t0, t1):
        pass
        v1 = 10.0
        v0 = (v1 * 0.1)
        v2 = v0
        v3 = (v1 * 0.1)
        v4 = 2.0
        return (v0, v1, ), ()
    <BLANKLINE>
    def rates(s, k, iv, t, dt, t0, t1):
        v0, v1, = s
        v2 = v0
        v3 = (v1 * 0.1)
        v4 = 2.0
        return (((v3 - v0) * (1.0 / v4)), (0.0 + v2), ), (v1, v2, )
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
        self.graph: dict[str, Any] = {}
        self.initial: dict[str, Node] = {}      # stocks: initial value
        self.derivative: dict[str, Node] = {}   # stocks: rate of change
        self.init_values: dict[str, Node] = {}  # INIT(x) calls: evaluated once at the start
        self.display: dict[str, str] = {}
        self.hidden = 0

    def build(self) -> BuiltModel:
        m = self.model
        for c in m.constants:
            self.kind[canonical(c.name)] = "constant"
        for v in (*m.flows, *m.auxes):
            key = canonical(v.name)
            self.kind[key] = "flow" if isinstance(v, Flow) else "aux"
            self.display[key] = v.name
            self.eq[key] = self.expand(parse(v.equation), v.name)
            if v.graph is not None:
                self.graph[key] = v.graph
        for s in m.stocks:
            key = canonical(s.name)
            self.kind[key] = "stock"
            self.display[key] = s.name
            self.initial[key] = self.expand(parse(s.initial), s.name)
            terms: Node = ("num", 0.0)
            for f in s.inflows:
                terms = ("op", "+", terms, ("ref", canonical(f)))
            for f in s.outflows:
                terms = ("op", "-", terms, ("ref", canonical(f)))
            self.derivative[key] = terms
        stocks = [k for k in self.kind if self.kind[k] == "stock"]
        constants = [canonical(c.name) for c in m.constants]
        computed = [k for k in self.kind if self.kind[k] in ("aux", "flow")]
        step_order = self.order(computed, {k: self.eq[k] for k in computed}, skip=set(stocks) | set(constants)
                                | set(self.init_values), phase="during the run")
        init_nodes = {**{k: self.eq[k] for k in computed}, **self.initial, **self.init_values}
        init_order = self.order(list(init_nodes), init_nodes, skip=set(constants), phase="at the start")
        recorded = [canonical(v.name) for v in (*m.stocks, *m.flows, *m.auxes)]
        names = {k: f"v{i}" for i, k in enumerate([*stocks, *constants, *computed, *self.init_values])}
        source = self.source(stocks, constants, computed, step_order, init_order, init_nodes, recorded, names)
        namespace: dict[str, Any] = {"np": np, "_step": _step, "_pulse": _pulse, "_ramp": _ramp,
                                     "_safediv": _safediv}
        namespace.update({f"_g{i}": (np.asarray(g.xs, float), np.asarray(g.ys, float))
                          for i, g in enumerate(self.graph.values())})
        exec(compile(source, f"<model {m.name}>", "exec"), namespace)  # noqa: S102 - our own generated source
        non_negative = [i for i, k in enumerate(stocks) if any(canonical(s.name) == k and s.non_negative
                                                                for s in m.stocks)]
        return BuiltModel(m, stocks, constants, recorded, {k: self.display.get(k, k) for k in recorded},
                      namespace["init"], namespace["rates"], source, non_negative)

    # -- stateful builtins become hidden stocks ----------------------------------------------------------------
    def expand(self, node: Node, owner: str) -> Node:
        kind = node[0]
        if kind in ("num", "ref"):
            return node
        if kind == "op":
            return ("op", node[1], self.expand(node[2], owner), self.expand(node[3], owner))
        if kind in ("neg", "not", "if"):
            return (kind, *(self.expand(c, owner) for c in node[1:]))
        fn, args = node[1], tuple(self.expand(a, owner) for a in node[2])
        if fn == "INIT":
            self.hidden += 1
            key = f"_init{self.hidden}"
            self.kind[key], self.init_values[key] = "init", args[0]
            return ("ref", key)
        if fn not in _ORDER:
            return ("call", fn, args)
        self.hidden += 1
        n, tag = _ORDER[fn], f"_{fn.lower()}{self.hidden}"
        source, tau = f"{tag}_in", f"{tag}_time"
        for key, eq in ((source, args[0]), (tau, args[1])):
            self.kind[key], self.eq[key] = "aux", eq
        start = args[2] if len(args) == 3 else args[0]
        delay = fn.startswith("DELAY")
        levels = [f"{tag}_{i + 1}" for i in range(n)]
        inflow: Node = ("ref", source)
        for level in levels:
            self.kind[level] = "stock"
            self.initial[level] = ("op", "*", start, args[1]) if delay else start
            # delays keep each level as material × delay time (PySD's form); smooths keep the smoothed value
            out: Node = ("op", "/", ("ref", level), ("ref", tau)) if delay else ("ref", level)
            rate = ("op", "/", ("num", float(n)), ("ref", tau)) if not delay else ("num", float(n))
            self.derivative[level] = ("op", "*", ("op", "-", inflow, out), rate)
            inflow = out
        if delay:
            self.kind[f"{tag}_out"], self.eq[f"{tag}_out"] = "aux", inflow
            return ("ref", f"{tag}_out")
        return ("ref", levels[-1])

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
            if node[1] == "MOD":
                return f"np.mod({a}, {b})"
            return f"({a} {_OPS.get(node[1], node[1])} {b})"
        fn, args = node[1], [self.code(a, names) for a in node[2]]
        if fn in ("STEP", "PULSE", "RAMP"):
            return f"_{fn.lower()}(t, dt, {', '.join(args)})"
        return f"{_CALLS[fn]}({', '.join(args)})"

    def value(self, key: str, names: dict[str, str]) -> str:
        text = self.code(self.eq[key], names)
        if key in self.graph:
            text = f"np.interp({text}, *_g{list(self.graph).index(key)})"
        return text

    def source(self, stocks, constants, computed, step_order, init_order, init_nodes, recorded, names) -> str:
        unpack_k = f"    {', '.join(names[c] for c in constants)}, = k\n" if constants else ""
        lines = ["def init(k, t, dt, t0, t1):", unpack_k.rstrip("\n") or "    pass"]
        for key in init_order:
            text = self.value(key, names) if key in self.eq else self.code(init_nodes[key], names)
            lines.append(f"    {names[key]} = {text}")
        lines.append(f"    return ({''.join(names[s] + ', ' for s in stocks)}), "
                     f"({''.join(names[i] + ', ' for i in self.init_values)})")
        lines.append("")
        lines.append("def rates(s, k, iv, t, dt, t0, t1):")
        if stocks:
            lines.append(f"    {', '.join(names[s] for s in stocks)}, = s")
        if constants:
            lines.append(unpack_k.rstrip("\n"))
        if self.init_values:
            lines.append(f"    {', '.join(names[i] for i in self.init_values)}, = iv")
        lines += [f"    {names[key]} = {self.value(key, names)}" for key in step_order]
        derivs = "".join(self.code(self.derivative[s], names) + ", " for s in stocks)
        lines.append(f"    return ({derivs}), ({''.join(names[r] + ', ' for r in recorded)})")
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
                 variables: Sequence[str] | None = None, progress: Callable[[int, int], None] | None = None) -> None:
        self.method = method
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
        k = tuple(given.get(c, m.constant(c).value) for c in built.constants)
        steps = int(round((m.stop - m.start) / m.dt))
        every = 1 if self.save_every is None else int(round(self.save_every / m.dt))
        if every < 1 or abs(every * m.dt - (self.save_every or m.dt)) > 1e-9 * m.dt:
            raise ModelError(f"save every {self.save_every} is not a multiple of dt {m.dt}")
        unknown = [v for v in self.variables or () if canonical(v) not in built.recorded]
        if unknown:
            raise ModelError(f"cannot record {', '.join(map(repr, unknown))}: not a stock, flow or auxiliary of "
                             f"{m.name!r}")
        keep = [built.recorded.index(canonical(v)) for v in self.variables] if self.variables is not None else \
            list(range(len(built.recorded)))
        times = m.start + np.arange(0, steps + 1, every) * m.dt
        out = np.empty((len(times), len(keep), n))
        dt, t0, t1 = m.dt, m.start, m.stop
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            s, iv = built.init(k, t0, dt, t0, t1)
            s = tuple(np.broadcast_to(np.asarray(x, dtype=float), (n,)).copy() for x in s)
            rates, nonneg = built.rates, built.non_negative
            for i in range(steps + 1):
                t = t0 + i * dt
                d, vals = rates(s, k, iv, t, dt, t0, t1)
                if i % every == 0:
                    row = out[i // every]
                    for j, idx in enumerate(keep):
                        row[j] = vals[idx]
                if i == steps:
                    break
                if method == "euler":
                    s = tuple(x + dt * y for x, y in zip(s, d))
                else:
                    h = dt / 2
                    d2, _ = rates(tuple(x + h * y for x, y in zip(s, d)), k, iv, t + h, dt, t0, t1)
                    d3, _ = rates(tuple(x + h * y for x, y in zip(s, d2)), k, iv, t + h, dt, t0, t1)
                    d4, _ = rates(tuple(x + dt * y for x, y in zip(s, d3)), k, iv, t + dt, dt, t0, t1)
                    s = tuple(x + dt / 6 * (a + 2 * b + 2 * c + e) for x, a, b, c, e in zip(s, d, d2, d3, d4))
                if nonneg:
                    s = tuple(np.maximum(x, 0.0) if j in nonneg else x for j, x in enumerate(s))
                if self.progress is not None and i % 50 == 0:
                    self.progress(i, steps)
        if self.progress is not None:
            self.progress(steps, steps)
        variables = [built.names[built.recorded[j]] for j in keep]
        units = {v.name: v.units for v in m.variables if v.units and not isinstance(v, Constant)}
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

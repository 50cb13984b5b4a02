"""Arrays (subscripts): an arrayed model flattened into a scalar one, one variable per element.

A variable with ``dims`` holds one value per combination of its dimensions' elements; the scalar variable for
``x`` at elements ``(a, b)`` is named ``x[a,b]``. An apply-to-all equation is written once for every element: in
it, a dimension name means "the element being computed" (``inflow[region]``), also when the dimension read is a
subrange of the one computed or the other way round (elements are matched by name), or a dimension of the same
size (matched by position); a variable with fewer dimensions is read at the elements it has (updimensioning); an
element name or a 1-based position picks one element; ``*`` (or ``*:Subrange``, or a dimension that the variable
being computed does not have) spans a dimension, which only an array builtin (SUM, PROD, MEAN, STDDEV, SIZE, MIN,
MAX) may take. ``by_element`` gives some elements equations of their own.

Examples
--------
>>> from ecotone.simulate.spec import Aux, Constant, Dimension, Model
>>> m = Model("beds", dimensions=[Dimension("region", ("north", "south"))],
...           constants=[Constant("beds", 10, dims=("region",), by_element=((("south",), 30),))],
...           auxes=[Aux("share", "beds[region] / SUM(beds[*])", dims=("region",)),
...                  Aux("largest", "MAX(beds)")], stop=1, dt=1)
>>> print(flatten(m))
model beds: time 0 to 1 months, dt 1, euler
share[north] = "beds[north]" / ("beds[north]" + "beds[south]")
share[south] = "beds[south]" / ("beds[north]" + "beds[south]")
largest = MAX("beds[north]", "beds[south]")
beds[north] = 10
beds[south] = 30
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from .equations import ARRAY_FUNCTIONS, EquationError, Node, canonical, parse, to_text
from .spec import Constant, Dimension, Model, ModelError, Stock

__all__ = ["check_arrays", "elements_of", "equations_of", "flatten", "flat_name"]

Variable = Any  # Stock | Flow | Aux | Constant | Lookup (they share name, dims and by_element)


def flat_name(name: str, elements: tuple[str, ...]) -> str:
    """The name of one element's scalar variable: ``x[a,b]``.

    >>> flat_name("Stock A", ("Entry 1", "b"))
    'Stock A[Entry 1,b]'
    """
    return f"{name}[{','.join(elements)}]" if elements else name


def elements_of(model: Model, variable: Variable) -> list[tuple[str, ...]]:
    """Every combination of a variable's elements, first dimension slowest (``[()]`` for a scalar)."""
    dims = [model.dimension(d) for d in getattr(variable, "dims", ())]
    return list(itertools.product(*(d.elements for d in dims)))


def _arrayed(model: Model) -> list[Variable]:
    return [*model.variables, *getattr(model, "lookups", [])]


def _keyed(by_element: Any) -> dict[tuple[str, ...], Any]:
    return {tuple(canonical(e) for e in key): value for key, value in by_element}


def equations_of(model: Model, variable: Variable) -> list[tuple[str, str | float]]:
    """The equations a variable holds, each with where it is (``x`` or ``x[a]``), for checking and reporting.

    The apply-to-all equation is left out when every element has one of its own.
    """
    own = [(flat_name(variable.name, tuple(k)), eq) for k, eq in getattr(variable, "by_element", ())]
    text = variable.initial if isinstance(variable, Stock) else getattr(variable, "equation", None)
    if text is None:
        return own
    if own and (text is None or str(text).strip() == ""):
        try:
            covered = len(_keyed(variable.by_element)) >= len(elements_of(model, variable))
        except ModelError:
            covered = False
        if covered:
            return own
    return [(variable.name, text), *own]


# -- checks ---------------------------------------------------------------------------------------------------------
def check_arrays(model: Model) -> None:
    """Raise :class:`ModelError` for the first array that is wrong: a dimension declared twice or without elements,
    a variable over a dimension the model lacks, a per-element equation for an element not in its dimension or
    with the wrong number of subscripts, a subscript that names nothing or counts wrong.

    >>> from ecotone.simulate.spec import Aux, Dimension
    >>> m = Model("m", dimensions=[Dimension("region", ("north", "south"))],
    ...           auxes=[Aux("a", 1, dims=("region",)), Aux("b", "a[east]", dims=("region",))])
    >>> check_arrays(m)
    Traceback (most recent call last):
    ...
    ecotone.simulate.spec.ModelError: b: a[east]: east is not an element of region (north, south)
    """
    seen: set[str] = set()
    for d in model.dimensions:
        key = canonical(d.name)
        if not key:
            raise ModelError("a dimension needs a name")
        if key in seen:
            raise ModelError(f"two dimensions are named {d.name!r}")
        seen.add(key)
        if not d.elements:
            raise ModelError(f"the dimension {d.name!r} has no elements")
        names = [canonical(e) for e in d.elements]
        twice = sorted({e for e in names if names.count(e) > 1})
        if twice:
            raise ModelError(f"the dimension {d.name!r} lists {', '.join(twice)} twice")
    variables = {canonical(v.name): v for v in _arrayed(model)}
    for v in _arrayed(model):
        dims = tuple(getattr(v, "dims", ()))
        if isinstance(dims, str):
            raise ModelError(f"{v.name}: dims must be a tuple of dimension names, not the text {dims!r}")
        for d in dims:
            if canonical(d) not in seen:
                known = ", ".join(x.name for x in model.dimensions) or "none"
                raise ModelError(f"{v.name}: unknown dimension {d!r} (the model's dimensions: {known})")
        if len({canonical(d) for d in dims}) < len(dims):
            raise ModelError(f"{v.name}: a dimension is listed twice in {', '.join(dims)}")
        by_element = getattr(v, "by_element", ())
        if by_element and not dims:
            raise ModelError(f"{v.name}: has equations by element but no dimensions")
        for key, _ in by_element:
            key = (key,) if isinstance(key, str) else tuple(key)
            if len(key) != len(dims):
                raise ModelError(f"{v.name}[{', '.join(key)}]: {len(key)} subscripts for {len(dims)} "
                                 f"dimension{'s' * (len(dims) != 1)} ({', '.join(dims)})")
            for element, d in zip(key, dims):
                dim = model.dimension(d)
                if not dim.position(element):
                    raise ModelError(f"{v.name}[{', '.join(key)}]: {element} is not an element of {dim.name} "
                                     f"({', '.join(dim.elements)})")
        if isinstance(v, Constant):
            continue
        for where, text in equations_of(model, v):
            try:
                tree = parse(text)
            except EquationError:
                continue  # Model.check reports it
            for node in _walk(tree):
                if node[0] == "sub":
                    _check_subscript(model, variables, node, where)


def _walk(node: Node) -> Iterator[Node]:
    yield node
    if node[0] in ("num", "ref", "sub"):
        return
    children = node[2] if node[0] == "call" else node[2:] if node[0] == "op" else node[1:]
    for c in children:
        yield from _walk(c)


def _check_subscript(model: Model, variables: dict[str, Variable], node: Node, where: str) -> None:
    _, name, indices = node
    target = variables.get(name)
    if target is None:
        return  # Model.check reports the unknown name
    shown = to_text(node)
    dims = [model.dimension(d) for d in getattr(target, "dims", ())]
    if not dims:
        raise ModelError(f"{where}: {shown}: {target.name} is not an array, it takes no subscripts")
    if len(indices) != len(dims):
        raise ModelError(f"{where}: {shown}: {target.name} takes {len(dims)} subscript{'s' * (len(dims) != 1)} "
                         f"({', '.join(d.name for d in dims)}), not {len(indices)}")
    for index, dim in zip(indices, dims):
        kind, value = index
        if kind == "num" and not 1 <= value <= len(dim.elements):
            raise ModelError(f"{where}: {shown}: {dim.name} has {len(dim.elements)} elements, no position {value}")
        if kind == "star" and value is not None:
            _dimension(model, value, where, shown)
        if kind == "ref" and not _is_dimension(model, value) and not dim.position(value):
            raise ModelError(f"{where}: {shown}: {value} is not an element of {dim.name} "
                             f"({', '.join(dim.elements)})")


def _is_dimension(model: Model, name: str) -> bool:
    return any(canonical(d.name) == name for d in model.dimensions)


def _dimension(model: Model, name: str, where: str, shown: str) -> Dimension:
    for d in model.dimensions:
        if canonical(d.name) == name:
            return d
    raise ModelError(f"{where}: {shown}: {name} is not a dimension of the model")


# -- flattening -----------------------------------------------------------------------------------------------------
def flatten(model: Model) -> Model:
    """The same model with every arrayed variable expanded into one scalar variable per element.

    Subscripts in equations become references to those variables, array builtins become sums, products, means,
    minima and maxima over them. A model without dimensions or array builtins comes back as it is.
    Raises :class:`ModelError` naming the variable (and element) whose equation cannot be resolved.
    """
    if not model.dimensions and not any(_uses_arrays(model, v) for v in model.variables):
        return model
    check_arrays(model)
    return _Flattener(model).run()


def _uses_arrays(model: Model, v: Variable) -> bool:
    if isinstance(v, Constant):
        return False
    for _, text in equations_of(model, v):
        try:
            tree = parse(text)
        except EquationError:
            return False
        if any(n[0] == "sub" or (n[0] == "call" and n[1] in ARRAY_FUNCTIONS and n[1] not in ("MIN", "MAX"))
               or (n[0] == "call" and n[1] in ("MIN", "MAX") and len(n[2]) == 1) for n in _walk(tree)):
            return True
    return False


class _Flattener:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.dims = {canonical(d.name): d for d in model.dimensions}
        self.elements = {k: [canonical(e) for e in d.elements] for k, d in self.dims.items()}
        self.spelling = {k: {canonical(e): e for e in d.elements} for k, d in self.dims.items()}
        self.vars = {canonical(v.name): v for v in _arrayed(model)}
        self.var_dims = {k: [canonical(d) for d in getattr(v, "dims", ())] for k, v in self.vars.items()}

    # the flat names of a variable's elements, canonical
    def key(self, name: str, elements: tuple[str, ...]) -> str:
        return canonical(flat_name(name, elements))

    def run(self) -> Model:
        m = self.model
        out: dict[str, list[Any]] = {"stocks": [], "flows": [], "auxes": [], "constants": []}
        for field_name in out:
            for v in getattr(m, field_name):
                out[field_name] += self.expand(v)
        extra: dict[str, Any] = {}
        if hasattr(m, "lookups"):
            extra["lookups"] = [x for lk in m.lookups for x in self.expand_lookup(lk)]
        return replace(m, dimensions=[], **out, **extra)

    def spelled(self, v: Variable, elements: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(self.spelling[d][e] for d, e in zip(self.var_dims[canonical(v.name)], elements))

    def combos(self, v: Variable) -> list[tuple[str, ...]]:
        return list(itertools.product(*(self.elements[d] for d in self.var_dims[canonical(v.name)])))

    def expand_lookup(self, lookup: Variable) -> list[Variable]:
        if not getattr(lookup, "dims", ()):
            return [lookup]
        own = _keyed(getattr(lookup, "by_element", ()))  # a Lookup's by_element holds graphs
        return [replace(lookup, name=flat_name(lookup.name, self.spelled(lookup, e)), graph=own.get(e, lookup.graph),
                        dims=(), by_element=()) for e in self.combos(lookup)]

    def expand(self, v: Variable) -> list[Variable]:
        dims = self.var_dims[canonical(v.name)]
        own = _keyed(getattr(v, "by_element", ()))
        out = []
        for elements in self.combos(v):
            bind = dict(zip(dims, elements))
            name = flat_name(v.name, self.spelled(v, elements))
            where = name
            if isinstance(v, Constant):
                try:
                    value = float(own.get(elements, v.value))
                except (TypeError, ValueError):
                    raise ModelError(f"{where}: a constant's value must be a number, not "
                                     f"{own.get(elements, v.value)!r}") from None
                out.append(replace(v, name=name, value=value, dims=(), by_element=()))
                continue
            text = own.get(elements, v.initial if isinstance(v, Stock) else v.equation)
            try:
                tree = self.resolve(parse(text), bind, where)
            except EquationError as exc:
                raise ModelError(f"{where}: {exc}") from None
            equation = to_text(tree)
            if isinstance(v, Stock):
                flows = {f: tuple(self.resolve(("ref", canonical(x)), bind, where)[1] for x in getattr(v, f))
                         for f in ("inflows", "outflows")}
                out.append(replace(v, name=name, initial=equation, dims=(), by_element=(), **flows))
            else:
                out.append(replace(v, name=name, equation=equation, dims=(), by_element=()))
        return out

    # -- resolving one equation for one element -------------------------------------------------------------------
    def resolve(self, node: Node, bind: dict[str, str], where: str) -> Node:
        kind = node[0]
        if kind == "num":
            return node
        if kind == "ref":
            if node[1] in self.vars and self.var_dims[node[1]]:
                target = self.vars[node[1]]
                return self.element(node[1], tuple(("ref", d) for d in self.var_dims[node[1]]), bind, where,
                                    shown=target.name)
            return node
        if kind == "sub":
            return self.element(node[1], node[2], bind, where, shown=to_text(node))
        if kind == "op":
            return ("op", node[1], self.resolve(node[2], bind, where), self.resolve(node[3], bind, where))
        if kind in ("neg", "not", "if"):
            return (kind, *(self.resolve(c, bind, where) for c in node[1:]))
        fn, args = node[1], node[2]
        if fn in ("SUM", "PROD", "MEAN", "STDDEV", "SIZE") or (fn in ("MIN", "MAX") and len(args) == 1):
            return self.reduce(fn, self.span(args[0], bind, where), where)
        if fn in ("MIN", "MAX"):  # MAX(x[*], 0): the largest of the array's elements and 0
            items = [e for a in args for e in self.span(a, bind, where, bare=False)]
            return _balanced(items, lambda a, b: ("call", fn, (a, b)))
        if fn == "LOOKUP" and args and args[0][0] in ("ref", "sub"):  # an arrayed graph: the element computed
            table = self.resolve(args[0], bind, where) if args[0][0] == "sub" or args[0][1] in self.vars else args[0]
            return ("call", fn, (table, *(self.resolve(a, bind, where) for a in args[1:])))
        return ("call", fn, tuple(self.resolve(a, bind, where) for a in args))

    def element(self, name: str, indices: tuple[Node, ...], bind: dict[str, str], where: str, shown: str) -> Node:
        """The reference to one element of ``name`` picked by ``indices`` for the element being computed."""
        target = self.vars.get(name)
        if target is None:
            raise ModelError(f"{where}: {shown}: the model has no variable {name}")
        dims = self.var_dims[name]
        picked = []
        for index, dim in zip(indices, dims):
            kind, value = index
            if kind == "num":
                picked.append(self.elements[dim][value - 1])
            elif kind == "star":
                axis = value or dim
                if axis not in bind:
                    raise ModelError(f"{where}: {shown}: * spans {self.dims[axis].name}, which only an array "
                                     "builtin (SUM, PROD, MEAN, STDDEV, SIZE, MIN, MAX) can take")
                picked.append(self.match(bind[axis], axis, dim, where, shown))
            elif value in self.dims:
                axis = self.axis_for(value, bind)
                if axis is None:
                    raise ModelError(
                        f"{where}: {shown}: {self.dims[value].name} is not a dimension of "
                        f"{where.split('[')[0]}; to span it, use an array builtin such as SUM({shown})")
                picked.append(self.match(bind[axis], axis, dim, where, shown))
            else:
                if value not in self.elements[dim]:
                    raise ModelError(f"{where}: {shown}: {value} is not an element of {self.dims[dim].name}")
                picked.append(value)
        return ("ref", self.key(target.name, self.spelled(target, tuple(picked))))

    def axis_for(self, dim: str, bind: dict[str, str]) -> str | None:
        """The dimension of ``bind`` that a dimension name in an equation stands for: itself, else the one it is a
        subrange of (or that is a subrange of it) holding the bound element."""
        if dim in bind:
            return dim
        mine = set(self.elements[dim])
        for d, e in bind.items():
            theirs = set(self.elements[d])
            if (mine <= theirs or theirs <= mine) and e in mine:
                return d
        return None

    def match(self, element: str, source: str, target: str, where: str, shown: str) -> str:
        """``element`` of dimension ``source`` as an element of ``target``: by name, else by position."""
        if element in self.elements[target]:
            return element
        if len(self.elements[source]) == len(self.elements[target]):
            return self.elements[target][self.elements[source].index(element)]
        raise ModelError(f"{where}: {shown}: {self.spelling[source][element]} of {self.dims[source].name} is not an "
                         f"element of {self.dims[target].name} ({', '.join(self.dims[target].elements)})")

    # -- array builtins --------------------------------------------------------------------------------------------
    def span(self, node: Node, bind: dict[str, str], where: str, bare: bool = True) -> list[Node]:
        """The elements an array argument spans, each resolved (one node when it spans nothing). A bare arrayed
        name spans all its elements (``bare``), or only the dimensions the element being computed lacks."""
        axes: dict[str, None] = {}
        self.axes(node, bind, axes, bare)
        if not axes:
            return [self.resolve(node, bind, where)]
        out = []
        spanned = _spanned(node, self, bind if not bare else {})
        for combo in itertools.product(*(self.elements[a] for a in axes)):
            inner = {**{k: v for k, v in bind.items() if k not in axes}, **dict(zip(axes, combo))}
            out.append(self.resolve(spanned, inner, where))
        return out

    def axes(self, node: Node, bind: dict[str, str], axes: dict[str, None], bare: bool = True) -> None:
        kind = node[0]
        if kind == "num":
            return
        if kind == "ref":
            for d in self.var_dims.get(node[1], ()) if node[1] in self.vars else ():
                if bare or self.axis_for(d, bind) is None:
                    axes[d] = None  # a bare arrayed name inside an array builtin: all its elements
            return
        if kind == "sub":
            for index, dim in zip(node[2], self.var_dims.get(node[1], ())):
                if index[0] == "star":
                    axes[index[1] or dim] = None
                elif index[0] == "ref" and index[1] in self.dims and self.axis_for(index[1], bind) is None:
                    axes[index[1]] = None
            return
        if kind == "call" and (node[1] in ("SUM", "PROD", "MEAN", "STDDEV", "SIZE")
                               or (node[1] in ("MIN", "MAX") and len(node[2]) == 1)):
            return  # a nested reduction spans its own
        children = node[2] if kind == "call" else node[2:] if kind == "op" else node[1:]
        for c in children:
            self.axes(c, bind, axes, bare)

    def reduce(self, fn: str, items: list[Node], where: str) -> Node:
        n = float(len(items))
        if fn == "SIZE":
            return ("num", n)
        if fn in ("MIN", "MAX"):
            return _balanced(items, lambda a, b: ("call", fn, (a, b)))
        total = _balanced(items, lambda a, b: ("op", "+", a, b))
        if fn == "SUM":
            return total
        if fn == "PROD":
            return _balanced(items, lambda a, b: ("op", "*", a, b))
        if fn == "MEAN":
            return ("op", "/", total, ("num", n)) if n != 1 else total
        # STDDEV: the population standard deviation (divided by the number of elements, as Simlin computes it),
        # from the deviations from the first element (the shifted-data formula: one pass, so the equation grows
        # with n, not n², and without the cancellation of mean(x²) - mean(x)² when the mean is large)
        shifted = [("op", "-", x, items[0]) for x in items[1:]]
        if not shifted:
            return ("num", 0.0)
        plus = lambda a, b: ("op", "+", a, b)  # noqa: E731
        squares = ("op", "/", _balanced([("op", "^", d, ("num", 2.0)) for d in shifted], plus), ("num", n))
        drift = ("op", "^", ("op", "/", _balanced(shifted, plus), ("num", n)), ("num", 2.0))
        return ("call", "SQRT", (("call", "MAX", (("num", 0.0), ("op", "-", squares, drift))),))


def _spanned(node: Node, flat: _Flattener, bound: dict[str, str]) -> Node:
    """A bare arrayed name inside an array builtin means all of it, ``x`` → ``x[*, *]`` (but for the dimensions
    in ``bound``, which stay the element being computed)."""
    kind = node[0]
    if kind == "ref" and node[1] in flat.vars and flat.var_dims[node[1]]:
        return ("sub", node[1], tuple(("ref", d) if flat.axis_for(d, bound) else ("star", None)
                                      for d in flat.var_dims[node[1]]))
    if kind in ("num", "ref", "sub"):
        return node
    if kind == "call":
        if node[1] in ("SUM", "PROD", "MEAN", "STDDEV", "SIZE") or (node[1] in ("MIN", "MAX") and len(node[2]) == 1):
            return node
        return ("call", node[1], tuple(_spanned(a, flat, bound) for a in node[2]))
    if kind == "op":
        return ("op", node[1], _spanned(node[2], flat, bound), _spanned(node[3], flat, bound))
    return (kind, *(_spanned(c, flat, bound) for c in node[1:]))


def _balanced(items: list[Node], join: Any) -> Node:
    """Items joined pairwise into a tree of depth log2(n), so that long arrays do not nest deeply."""
    if not items:
        return ("num", 0.0)
    while len(items) > 1:
        items = [join(items[i], items[i + 1]) if i + 1 < len(items) else items[i] for i in range(0, len(items), 2)]
    return items[0]

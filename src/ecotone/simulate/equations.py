"""Equations of stock-flow models: XMILE's expression syntax parsed into a small tree, and written back as text.

The tree is made of tuples: ``("num", value)``, ``("ref", name)``, ``("call", FUNCTION, args)``,
``("op", operator, left, right)``, ``("neg", operand)``, ``("not", operand)`` and ``("if", cond, then, else)``;
a subscripted name ``x[a, Dim, 1, *]`` is ``("sub", name, indices)`` with one index per dimension: ``("ref", name)``
(an element or a dimension), ``("num", position)`` (1-based) or ``("star", dimension_or_None)`` (``*`` or ``*:Dim``).
Names are canonical (:func:`canonical`): XMILE compares them without case, and a space equals an underscore.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

__all__ = ["ARRAY_FUNCTIONS", "EquationError", "FUNCTIONS", "RANDOM_FUNCTIONS", "STATEFUL", "UNSUPPORTED",
           "canonical", "parse", "references", "to_text"]

Node = tuple[Any, ...]

#: Functions an equation may call, with how many arguments each accepts: XMILE 1.0's builtins (section 3.5), its
#: optional IF_THEN_ELSE form, Vensim's XIDZ, ZIDZ and NPV, and SMOOTH/SMOOTH3 as Vensim's names for SMTH1/SMTH3.
#: PI and INF may be written with or without parentheses; TIME, DT, STARTTIME, STOPTIME and SELF are names.
#: ``name(x)`` for a name that is none of these reads the model's graphical function ``name`` at x (LOOKUP).
FUNCTIONS: dict[str, tuple[int, ...]] = {
    "MIN": (2,), "MAX": (2,), "ABS": (1,), "EXP": (1,), "LN": (1,), "LOG10": (1,), "SQRT": (1,), "SIN": (1,),
    "COS": (1,), "TAN": (1,), "ARCSIN": (1,), "ARCCOS": (1,), "ARCTAN": (1,), "SINH": (1,),
    "COSH": (1,), "TANH": (1,), "INT": (1,), "PI": (0,), "INF": (0,),
    "SAFEDIV": (2, 3), "XIDZ": (3,), "ZIDZ": (2,), "IF_THEN_ELSE": (3,), "LOOKUP": (2,),
    "STEP": (2,), "PULSE": (1, 2, 3), "RAMP": (2, 3), "PULSE_TRAIN": (4,),
    "SMTH1": (2, 3), "SMTH3": (2, 3), "SMTHN": (3, 4), "SMOOTH": (2, 3), "SMOOTH3": (2, 3),
    "DELAY": (2, 3), "DELAY1": (2, 3), "DELAY3": (2, 3), "DELAYN": (3, 4),
    "TREND": (2, 3), "FORCST": (3, 4), "NPV": (2, 3, 4), "INIT": (1,), "PREVIOUS": (1, 2),
    "RANDOM": (2, 3), "NORMAL": (2, 3), "LOGNORMAL": (2, 3), "EXPRND": (1, 2), "POISSON": (1, 2),
    # array builtins: one array argument (x[*], x[Dim] outside Dim, or a bare arrayed name); MIN/MAX also take one
    "SUM": (1,), "PROD": (1,), "MEAN": (1,), "STDDEV": (1,), "SIZE": (1,),
}
FUNCTIONS["MIN"] = FUNCTIONS["MAX"] = (1, 2)
#: Functions that reduce an array to one number (MIN and MAX do when given one argument).
ARRAY_FUNCTIONS = frozenset({"SUM", "PROD", "MEAN", "STDDEV", "SIZE", "MIN", "MAX"})
#: Functions that keep a state of their own (the engine gives each call hidden stocks or an initial value).
STATEFUL = frozenset({"SMTH1", "SMTH3", "SMTHN", "SMOOTH", "SMOOTH3", "DELAY", "DELAY1", "DELAY3", "DELAYN",
                      "TREND", "FORCST", "NPV", "INIT", "PREVIOUS"})
#: Functions that draw a new random number every DT (reproducible when given a seed).
RANDOM_FUNCTIONS = frozenset({"RANDOM", "NORMAL", "LOGNORMAL", "EXPRND", "POISSON"})
#: Names that are not variables: the time names, XMILE's constants PI and INF, and SELF (inside PREVIOUS).
TIME_NAMES = frozenset({"time", "dt", "starttime", "stoptime", "pi", "inf", "self"})
#: Builtins of Stella or Vensim that are not XMILE 1.0's and that Ecotone does not run: refused by name.
UNSUPPORTED = frozenset({"HISTORY", "COUNTER", "TIMECYCLE", "RANK", "DELAY_FIXED", "DELAY_MATERIAL", "SMOOTHI",
                         "SMOOTH3I", "RANDOM_NORMAL", "RANDOM_UNIFORM", "GAMMA", "BETA", "BINOMIAL",
                         "TRIANGULAR", "WEIBULL", "GAMMALN", "MONTECARLO", "PERCENT", "CGROWTH", "DERIVN",
                         "LOOKUP_INVERT", "GET_DATA_AT_TIME", "TIME_BASE", "SSHAPE", "QUEUE", "CONVEYOR"})

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<quoted>"[^"]*")
    | (?P<name>[A-Za-z_][A-Za-z0-9_$]*(?:\.[A-Za-z_][A-Za-z0-9_$]*)?)
    | (?P<op><>|<=|>=|[-+*/^(),=<>\[\]:])
    )""", re.VERBOSE)
_KEYWORDS = {"IF", "THEN", "ELSE", "AND", "OR", "NOT", "MOD"}
_BINARY = [("OR",), ("AND",), ("=", "<>", "<", ">", "<=", ">="), ("+", "-"), ("*", "/", "MOD")]


class EquationError(ValueError):
    """An equation that cannot be read, with the position of the trouble."""


def canonical(name: str) -> str:
    """The name XMILE means: case-folded, quotes dropped, runs of spaces and underscores as one underscore.

    Examples
    --------
    >>> canonical('"Clinical  Validation"'), canonical("clinical_validation")
    ('clinical_validation', 'clinical_validation')

    An element of an array is named as its variable with the elements in brackets, without spaces around them:

    >>> canonical("Stock A[Entry 1, Entry 2]")
    'stock_a[entry_1,entry_2]'
    """
    out = re.sub(r"[\s_]+", "_", name.strip().strip('"').strip()).lower()
    return re.sub(r"_*([\[\],])_*", r"\1", out) if "[" in out else out


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.replace("\\n", " ")
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise EquationError(f"cannot read {text[pos:].strip()[:20]!r} in {text.strip()!r}")
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "name" and value.upper() in _KEYWORDS:
            kind, value = "op", value.upper()
        out.append((kind, value))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            found = "the end" if tok is None else repr(tok[1])
            raise EquationError(f"expected {value or 'a value'} but found {found} in {self.text.strip()!r}")
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.expression()
        if self.peek() is not None:
            raise EquationError(f"unexpected {self.peek()[1]!r} in {self.text.strip()!r}")
        return node

    def expression(self) -> Node:
        if self.peek() == ("op", "IF"):
            self.take()
            cond = self.expression()
            self.take("THEN")
            then = self.expression()
            self.take("ELSE")
            return ("if", cond, then, self.expression())
        return self.binary(0)

    def binary(self, level: int) -> Node:
        if level == len(_BINARY):
            return self.unary()
        left = self.binary(level + 1)
        while (tok := self.peek()) and tok[0] == "op" and tok[1] in _BINARY[level]:
            self.take()
            left = ("op", tok[1], left, self.binary(level + 1))
        return left

    def unary(self) -> Node:
        tok = self.peek()
        if tok in (("op", "-"), ("op", "+"), ("op", "NOT")):
            self.take()
            operand = self.unary()
            return operand if tok[1] == "+" else ("neg" if tok[1] == "-" else "not", operand)
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.peek() == ("op", "^"):
            self.take()
            return ("op", "^", base, self.unary())  # right-associative, binds tighter than unary minus on its left
        return base

    def atom(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            return ("num", float(value))
        if value == "(":
            node = self.expression()
            self.take(")")
            return node
        if kind in ("name", "quoted"):
            if self.peek() == ("op", "(") and kind == "name":
                return self.call(value)
            if self.peek() == ("op", "["):
                return self.subscripts(canonical(value))
            return ("ref", canonical(value))
        raise EquationError(f"unexpected {value!r} in {self.text.strip()!r}")

    def subscripts(self, name: str) -> Node:
        self.take("[")
        indices = [self.index()]
        while self.peek() == ("op", ","):
            self.take()
            indices.append(self.index())
        self.take("]")
        return ("sub", name, tuple(indices))

    def index(self) -> Node:
        kind, value = self.take()
        if value == "*":
            if self.peek() == ("op", ":"):
                self.take()
                kind, value = self.take()
                if kind not in ("name", "quoted"):
                    raise EquationError(f"expected a dimension after *: but found {value!r} in {self.text.strip()!r}")
                return ("star", canonical(value))
            return ("star", None)
        if kind == "num":
            if not float(value).is_integer() or float(value) < 1:
                raise EquationError(f"a position in brackets counts from 1, not {value} in {self.text.strip()!r}")
            return ("num", int(float(value)))
        if kind in ("name", "quoted"):
            return ("ref", canonical(value))
        raise EquationError(f"expected an element, a dimension, a position or * in brackets but found {value!r} "
                            f"in {self.text.strip()!r}")

    def call(self, name: str) -> Node:
        function = name.upper()
        self.take("(")
        args: list[Node] = []
        if self.peek() != ("op", ")"):
            args.append(self.expression())
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.expression())
        self.take(")")
        if function in UNSUPPORTED:
            raise EquationError(f"the function {function} is outside the supported subset (XMILE 1.0's builtins; "
                                f"supported: {', '.join(FUNCTIONS)})")
        if function not in FUNCTIONS:  # XMILE 3.3.2: a named graphical function is called like a function
            if len(args) != 1:
                raise EquationError(f"{name} is not a builtin function{did_you_mean(function, FUNCTIONS)}, and a "
                                    f"graphical function is read at one value, not {len(args)}, in "
                                    f"{self.text.strip()!r}")
            return ("call", "LOOKUP", (("ref", canonical(name)), args[0]))
        if len(args) not in FUNCTIONS[function]:
            counts = " or ".join(map(str, FUNCTIONS[function]))
            raise EquationError(f"{function} takes {counts} arguments, not {len(args)}")
        return ("call", function, tuple(args))


def did_you_mean(name: str, known) -> str:
    """`` (did you mean X?)`` for the closest of ``known`` to a misspelt ``name``, or nothing.

    >>> did_you_mean("SMTH33", FUNCTIONS), did_you_mean("delayed_ordrs", ["delayed_orders", "orders"])
    (' (did you mean SMTH3?)', ' (did you mean delayed_orders?)')
    >>> did_you_mean("zzz", FUNCTIONS)
    ''
    """
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def parse(text: str | float | int) -> Node:
    """Read an equation (a number or an XMILE expression) into a tree.

    Examples
    --------
    >>> parse("IF TIME > 12 THEN 2 * base ELSE -base ^ 2")
    ('if', ('op', '>', ('ref', 'time'), ('num', 12.0)), ('op', '*', ('num', 2.0), ('ref', 'base')), ('neg', ('op', '^', ('ref', 'base'), ('num', 2.0))))
    >>> parse("DELAYN(orders, 3, 10) + cost_f(2003)")  # a name that is no builtin reads a graphical function
    ('op', '+', ('call', 'DELAYN', (('ref', 'orders'), ('num', 3.0), ('num', 10.0))), ('call', 'LOOKUP', (('ref', 'cost_f'), ('num', 2003.0))))
    >>> parse("HISTORY(x, 3)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ecotone.simulate.equations.EquationError: the function HISTORY is outside the supported subset (XMILE 1.0's builtins; supported: MIN, MAX, ...)
    >>> parse("stock_a[Entry_1] + SUM(inflow[*]) / SIZE(inflow)")
    ('op', '+', ('sub', 'stock_a', (('ref', 'entry_1'),)), ('op', '/', ('call', 'SUM', (('sub', 'inflow', (('star', None),)),)), ('call', 'SIZE', (('ref', 'inflow'),))))
    """
    if isinstance(text, (int, float)):
        return ("num", float(text))
    if not str(text).strip():
        raise EquationError("the equation is empty")
    return _Parser(str(text)).parse()


def references(node: Node) -> set[str]:
    """The names an equation reads (TIME, DT and the like included).

    Examples
    --------
    >>> sorted(references(parse("SMTH1(launches, reputation_time) * MAX(0, TIME - start)")))
    ['launches', 'reputation_time', 'start', 'time']
    """
    kind = node[0]
    if kind in ("ref", "sub"):  # a subscript names elements or dimensions, not variables
        return {node[1]}
    if kind == "num":
        return set()
    children = node[2] if kind == "call" else node[2:] if kind == "op" else node[1:]
    return set().union(*(references(c) for c in children))


_PRECEDENCE = {"OR": 1, "AND": 2, "=": 3, "<>": 3, "<": 3, ">": 3, "<=": 3, ">=": 3, "+": 4, "-": 4,
               "*": 5, "/": 5, "MOD": 5, "^": 7}


def to_text(node: Node, names: dict[str, str] | None = None) -> str:
    """Write a tree back as an XMILE equation; ``names`` maps canonical names to the spelling to use.

    Examples
    --------
    >>> to_text(parse("(a + b) * -c ^ 2 / SMOOTH(x, 3)"))
    '(a + b) * -c ^ 2 / SMTH1(x, 3)'
    """
    names = names or {}

    def index(i: Node) -> str:
        if i[0] == "star":
            return "*" if i[1] is None else f"*:{names.get(i[1], i[1])}"
        return str(i[1]) if i[0] == "num" else names.get(i[1], i[1])

    def text(n: Node, outer: int = 0) -> str:
        kind = n[0]
        if kind == "num":
            return repr(int(n[1])) if float(n[1]).is_integer() and abs(n[1]) < 1e15 else repr(n[1])
        if kind == "ref":
            name = names.get(n[1], n[1])
            return name.upper() if n[1] in TIME_NAMES else f'"{name}"' if "[" in name else name
        if kind == "sub":
            return f"{names.get(n[1], n[1])}[{', '.join(index(i) for i in n[2])}]"
        if kind == "call":
            fn = {"SMOOTH": "SMTH1", "SMOOTH3": "SMTH3"}.get(n[1], n[1])
            return f"{fn}({', '.join(text(a) for a in n[2])})"
        if kind in ("neg", "not"):
            out = f"{'-' if kind == 'neg' else 'NOT '}{text(n[1], 6)}"
            return f"({out})" if outer > 6 else out
        if kind == "if":
            out = f"IF {text(n[1])} THEN {text(n[2])} ELSE {text(n[3])}"
            return f"({out})" if outer else out
        op, level = n[1], _PRECEDENCE[n[1]]
        right_level = level if op == "^" else level + 1
        out = f"{text(n[2], level + (op == '^'))} {op} {text(n[3], right_level)}"
        return f"({out})" if level < outer else out

    return text(node)

"""XMILE macros expanded where they are called, so the engine sees only ordinary variables.

A macro (``<macro name="...">`` with ``<parm>``\\ s, an ``<eqn>`` and optionally ``<variables>`` of its own) is
expanded at each call site: the call's arguments become hidden auxiliaries named ``<macro>_<n>.<parm>``, the
macro's own variables are copied under the same prefix, and the call is replaced by a reference to
``<macro>_<n>.<macro>``, whose equation is the macro's ``<eqn>``. Calls are found in the equation text (before
parsing), so a macro may be named like a function, and its name may have spaces, as xmutil writes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..simulate.equations import canonical

__all__ = ["Macro", "call_sites", "expand_calls", "rename"]


@dataclass
class Macro:
    """A macro as read from the file: its parameters, its output equation and its own variables."""

    name: str
    parms: list[str]
    eqn: str
    variables: list = field(default_factory=list)  # raw variable records (see xmile_read._Raw)
    line: int | None = None


def _pattern(name: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in re.split(r"[\s_]+", name.strip()) if w]
    return re.compile(r"(?<![\w.\"])" + r"[\s_]+".join(words) + r"\s*\(", re.IGNORECASE)


def call_sites(text: str, name: str) -> list[tuple[int, int, list[str]]]:
    """Where ``name(...)`` is called in ``text``: (start, end, argument texts), the outermost first.

    Examples
    --------
    >>> call_sites("1 + EXPRESSION MACRO(a, MIN(b, c)) * 2", "expression macro")
    [(4, 34, ['a', 'MIN(b, c)'])]
    """
    out = []
    pos = 0
    pattern = _pattern(name)
    while (m := pattern.search(text, pos)) is not None:
        depth, i, args, start = 1, m.end(), [], m.end()
        quoted = False
        while i < len(text) and depth:
            ch = text[i]
            if ch == '"':
                quoted = not quoted
            elif not quoted and ch in "([":
                depth += 1
            elif not quoted and ch in ")]":
                depth -= 1
            elif not quoted and ch == "," and depth == 1:
                args.append(text[start:i].strip())
                start = i + 1
            i += 1
        if depth:
            raise ValueError(f"the call of {name} has no closing parenthesis")
        last = text[start:i - 1].strip()
        if last or args:
            args.append(last)
        out.append((m.start(), i, args))
        pos = i
    return out


def expand_calls(text: str, macros: dict[str, Macro], new_site: Callable[[Macro, list[str]], str]) -> str:
    """``text`` with every call of a macro replaced by the name ``new_site(macro, arguments)`` gives it.

    Examples
    --------
    >>> m = Macro("DOUBLE", ["x"], "2 * x")
    >>> expand_calls("DOUBLE(a) + DOUBLE(DOUBLE(b))", {"double": m}, lambda mac, args: f"[{args[0]}]")
    '[a] + [[b]]'
    """
    for macro in macros.values():
        sites = call_sites(text, macro.name)
        for start, end, args in reversed(sites):
            args = [expand_calls(a, macros, new_site) for a in args]
            text = text[:start] + new_site(macro, args) + text[end:]
    return text


def rename(text: str, names: dict[str, str]) -> str:
    """``text`` with each name of ``names`` (canonical → new spelling) replaced where it is read.

    Examples
    --------
    >>> rename("input * Parameter + other", {"input": "m_1.input", "parameter": "m_1.parameter"})
    'm_1.input * m_1.parameter + other'
    """
    def swap(m: re.Match[str]) -> str:
        word = m.group(0)
        if m.end() < len(text) and text[m.end():].lstrip().startswith("("):
            return word  # a function call, not a variable
        return names.get(canonical(word), word)

    return re.sub(r'"[^"]*"|(?<![\w.])[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?', swap, text)

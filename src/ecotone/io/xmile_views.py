"""The stock-flow diagram of a model as an XMILE ``<views><view>``, laid out so Stella users see the picture.

The layout is simple and readable: each chain of stocks joined by flows is a row, its stocks left to right in the
order material moves; a flow sits on its pipe between the stocks it joins (or between a stock and a cloud, for a
flow from or to outside the model), with the pipe's ``<pts>``; auxiliaries and constants stand in a row above the
stocks; a connector runs from each variable to every variable whose equation reads it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from ..simulate.equations import TIME_NAMES, canonical, parse, references
from ..simulate.spec import Constant, Model, Stock

__all__ = ["view_element"]

_GAP, _ROW, _STOCK_W, _TOP = 220, 180, 45, 80


def _chains(model: Model) -> list[list[Stock]]:
    """Stocks grouped by the flows that join them, each group in the order material moves."""
    index = {canonical(s.name): s for s in model.stocks}
    after: dict[str, set[str]] = {k: set() for k in index}
    linked: dict[str, set[str]] = {k: set() for k in index}
    for f in model.flows:
        f_key = canonical(f.name)
        src = [k for k, s in index.items() if f_key in map(canonical, s.outflows)]
        dst = [k for k, s in index.items() if f_key in map(canonical, s.inflows)]
        for a in src:
            for b in dst:
                after[a].add(b)
                linked[a].add(b)
                linked[b].add(a)
    seen: set[str] = set()
    chains = []
    for k in index:
        if k in seen:
            continue
        group, todo = [], [k]
        while todo:
            x = todo.pop()
            if x in seen:
                continue
            seen.add(x)
            group.append(x)
            todo.extend(linked[x])
        # order: a stock before those it feeds (a loop back is left where it falls)
        ordered: list[str] = []
        while len(ordered) < len(group):
            rest = [g for g in group if g not in ordered]
            first = next((g for g in rest if not any(g in after[o] for o in rest if o != g)), rest[0])
            ordered.append(first)
        chains.append([index[g] for g in ordered])
    return chains


def view_element(model: Model, tag: Callable[[str], str], ref: Callable[[str], str]) -> ET.Element:
    """The ``<views>`` element of ``model``; ``tag`` qualifies element names, ``ref`` spells variable names.

    Examples
    --------
    >>> from ecotone.simulate.spec import Flow
    >>> m = Model("clinic", stocks=[Stock("waiting", 10, ("referrals",), ("admissions",)),
    ...           Stock("treated", 0, ("admissions",))], flows=[Flow("referrals", "rate"), Flow("admissions",
    ...           "waiting / wait")], constants=[Constant("rate", 2), Constant("wait", 3)])
    >>> view = view_element(m, lambda t: t, lambda n: n)[0]
    >>> [(e.tag, e.get("name"), e.get("x")) for e in view if e.tag != "connector"]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('stock', 'waiting', '320'), ('stock', 'treated', '540'), ('flow', 'referrals', '210'),
     ('flow', 'admissions', '430'), ('aux', 'rate', '210'), ('aux', 'wait', '430')]
    >>> sorted((c.find("from").text, c.find("to").text) for c in view.iter("connector"))
    [('rate', 'referrals'), ('wait', 'admissions'), ('waiting', 'admissions')]
    """
    views = ET.Element(tag("views"))
    view = ET.SubElement(views, tag("view"), {"type": "stock_flow"})
    uid = iter(range(1, 1_000_000))
    where: dict[str, tuple[float, float]] = {}
    x0 = 100 + _GAP
    stock_els: list[ET.Element] = []
    for row, chain in enumerate(_chains(model)):
        y = _TOP + _ROW * (row + 1)
        for i, s in enumerate(chain):
            where[canonical(s.name)] = (x0 + _GAP * i, y)
    for s in model.stocks:
        x, y = where[canonical(s.name)]
        stock_els.append(ET.SubElement(view, tag("stock"), {"uid": str(next(uid)), "name": ref(s.name),
                                                            "x": _n(x), "y": _n(y)}))
    half = _STOCK_W / 2
    free_x = 100
    for f in model.flows:
        key = canonical(f.name)
        src = next((where[canonical(s.name)] for s in model.stocks if key in map(canonical, s.outflows)), None)
        dst = next((where[canonical(s.name)] for s in model.stocks if key in map(canonical, s.inflows)), None)
        if src and dst:
            (ax, ay), (bx, by) = src, dst
            start, end = (ax + half, ay), (bx - half, by) if bx > ax else (bx + half, by)
            if ay != by or bx <= ax:  # joins rows, or runs back: a bent pipe
                start, end = (ax, ay + 17.5), (bx, by + 17.5)
        elif src:
            start, end = (src[0] + half, src[1]), (src[0] + _GAP - half, src[1])
        elif dst:
            start, end = (dst[0] - _GAP + half, dst[1]), (dst[0] - half, dst[1])
        else:
            free_x += _GAP / 2
            start, end = (free_x - 40, _TOP + _ROW / 2), (free_x + 40, _TOP + _ROW / 2)
        mid = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        where[key] = mid
        el = ET.SubElement(view, tag("flow"), {"uid": str(next(uid)), "name": ref(f.name), "x": _n(mid[0]),
                                               "y": _n(mid[1])})
        pts = ET.SubElement(el, tag("pts"))
        points = [start, end] if start[1] == end[1] else [start, (start[0], start[1] + 40),
                                                           (end[0], start[1] + 40), end]
        for px, py in points:
            ET.SubElement(pts, tag("pt"), {"x": _n(px), "y": _n(py)})
    taken: set[float] = set()
    for v in (*model.auxes, *model.constants):
        readers = [where[canonical(r.name)][0] for r in (*model.flows, *model.auxes, *model.stocks)
                   if canonical(r.name) in where and canonical(v.name) in _reads(r)]
        x = readers[0] if readers else free_x + _GAP / 2
        while round(x) in taken:
            x += 90
        taken.add(round(x))
        where[canonical(v.name)] = (x, _TOP)
        ET.SubElement(view, tag("aux"), {"uid": str(next(uid)), "name": ref(v.name), "x": _n(x), "y": _n(_TOP)})
    pipes = {(canonical(f), canonical(s.name)) for s in model.stocks for f in (*s.inflows, *s.outflows)}
    for v in (*model.stocks, *model.flows, *model.auxes):
        for source in sorted(_reads(v)):
            if source in where and (source, canonical(v.name)) not in pipes:
                c = ET.SubElement(view, tag("connector"), {"uid": str(next(uid)), "angle": "0"})
                ET.SubElement(c, tag("from")).text = ref(_display(model, source))
                ET.SubElement(c, tag("to")).text = ref(v.name)
    return views


def _reads(v) -> set[str]:
    if isinstance(v, Constant):
        return set()
    texts = [v.initial if isinstance(v, Stock) else v.equation, *(e for _, e in getattr(v, "by_element", ()))]
    out: set[str] = set()
    for text in texts:
        out |= references(parse(text)) - TIME_NAMES
    return out


def _display(model: Model, key: str) -> str:
    return next(v.name for v in model.variables if canonical(v.name) == key)


def _n(value: float) -> str:
    return str(int(round(value)))

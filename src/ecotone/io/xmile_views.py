"""The stock-flow diagram of a model as an XMILE ``<views><view>``, laid out so Stella users see the picture.

The layout: each chain of stocks joined by flows is a band. Its main line (the longest path material takes) runs
left to right, a flow's valve on the straight pipe between the stocks it joins. A stock of the chain off the main
line (a sink like ``stopped`` fed by every stage) sits below it, drawn as wide as the stocks that feed it, so each
pipe runs straight down from its own stock with its own valve. A flow from or to outside the model runs to a cloud
on a free side of its stock (right, below or above). Small chains (one stock, say) share a band side by side.
Auxiliaries and constants stand in columns above the flow or stock they feed, the nearest free place on a grid, so
no two icons or labels overlap; a connector runs from each variable to every variable whose equation reads it.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from ..simulate.equations import TIME_NAMES, canonical, parse, references
from ..simulate.spec import Constant, Model, Stock

__all__ = ["view_element", "Layout", "layout"]

_GAP = 300  # stock to stock on a main line; valves half way, on the same 150 grid as the auxiliaries' columns
_COL, _LEVEL = 150, 55  # auxiliaries: column width and row height of their grid
_STOCK_W, _STOCK_H = 45, 35
_DOWN = 220  # main line to the stocks below it
_BAND_GAP = 90  # between bands
_SMALL = 2  # chains of at most this many stocks share a band
_BAND_WIDTH = 2400


@dataclass
class Layout:
    """Where each icon goes: centres, stock widths, pipe points, and the boxes that must not overlap."""

    at: dict[str, tuple[float, float]] = field(default_factory=dict)  # canonical name -> centre
    width: dict[str, float] = field(default_factory=dict)  # stocks drawn wider than usual
    pipes: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # flow -> points, source first
    boxes: list[tuple[str, tuple[float, float, float, float]]] = field(default_factory=list)  # (name, box)

    def free(self, box: tuple[float, float, float, float]) -> bool:
        return not any(_overlap(box, b) for _, b in self.boxes)

    def shift(self, names: set[str], dy: float) -> None:
        for k in names:
            if k in self.at:
                x, y = self.at[k]
                self.at[k] = (x, y + dy)
            if k in self.pipes:
                self.pipes[k] = [(x, y + dy) for x, y in self.pipes[k]]
        self.boxes = [(n, (b[0], b[1] + dy, b[2], b[3] + dy)) if n in names else (n, b) for n, b in self.boxes]


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label_box(name: str, x: float, y: float, below: float) -> tuple[float, float, float, float]:
    half = max(24.0, 3.3 * len(name))  # about 6.6 points a character in Stella's 9-point label
    return (x - half, y - 12, x + half, y + below)


def _links(model: Model):
    index = {canonical(s.name): s for s in model.stocks}
    src: dict[str, str] = {}
    dst: dict[str, str] = {}
    for k, s in index.items():
        for f in s.outflows:
            src.setdefault(canonical(f), k)
        for f in s.inflows:
            dst.setdefault(canonical(f), k)
    return index, src, dst


def _chains(model: Model) -> list[tuple[list[str], list[str]]]:
    """Stocks grouped by the flows that join them: (main line in the order material moves, the rest)."""
    index, src, dst = _links(model)
    after: dict[str, list[str]] = {k: [] for k in index}
    linked: dict[str, set[str]] = {k: set() for k in index}
    for f, a in src.items():
        b = dst.get(f)
        if b is not None and b != a:
            after[a].append(b)
            linked[a].add(b)
            linked[b].add(a)
    seen: set[str] = set()
    out = []
    for k in index:
        if k in seen:
            continue
        group, todo = [], [k]
        while todo:
            x = todo.pop()
            if x not in seen:
                seen.add(x)
                group.append(x)
                todo.extend(sorted(linked[x] - seen))
        order = [g for g in index if g in group]

        def longest(start: str, visiting: frozenset) -> list[str]:
            best: list[str] = []
            for b in after[start]:
                if b not in visiting:
                    p = longest(b, visiting | {b})
                    if len(p) > len(best):
                        best = p
            return [start, *best]

        heads = [g for g in order if not any(g in after[o] for o in order)] or order[:1]
        line: list[str] = []
        for h in heads:
            p = longest(h, frozenset({h}))
            if len(p) > len(line):
                line = p
        out.append((line, [g for g in order if g not in line]))
    return out


def layout(model: Model) -> Layout:
    """The positions of every stock, flow, auxiliary and constant of ``model`` (see the module's docstring).

    >>> from ecotone.simulate.spec import Flow
    >>> m = Model("clinic", stocks=[Stock("waiting", 10, ("referrals",), ("admissions", "dropouts")),
    ...           Stock("treated", 0, ("admissions",)), Stock("lost", 0, ("dropouts",))],
    ...           flows=[Flow("referrals", "rate"), Flow("admissions", "waiting / wait"),
    ...           Flow("dropouts", "waiting / 10")], constants=[Constant("rate", 2), Constant("wait", 3)])
    >>> lay = layout(m)
    >>> lay.at["waiting"][0] < lay.at["admissions"][0] < lay.at["treated"][0]  # left to right
    True
    >>> lay.at["lost"][1] > lay.at["waiting"][1]  # a sink off the main line sits below it
    True
    >>> lay.at["wait"][1] < lay.at["admissions"][1]  # a constant above the flow it feeds
    True
    """
    index, src, dst = _links(model)
    lay = Layout()
    flows = {canonical(f.name): f for f in model.flows}
    names = {canonical(v.name): v.name for v in model.variables}
    band_of: dict[str, int] = {}
    bands: list[list[tuple[list[str], list[str]]]] = []
    chains = _chains(model)
    room = max([_BAND_WIDTH, *((len(ln) + 1) * _GAP for ln, _ in chains)])
    for chain in chains:
        line, rest = chain
        small = not rest and len(line) <= _SMALL
        width = (len(line) + 1.5) * _GAP
        if small and bands and all(not r and len(ln) <= _SMALL for ln, r in bands[-1]) \
                and sum((len(ln) + 1.5) * _GAP for ln, _ in bands[-1]) + width <= room:
            bands[-1].append(chain)
        else:
            bands.append([chain])
    loose_flows = [k for k in flows if k not in src and k not in dst]
    members: list[set[str]] = []
    for b, band in enumerate(bands):
        placed: set[str] = set()
        x0 = 150 + _GAP / 2
        for line, rest in band:
            for i, k in enumerate(line):
                lay.at[k] = (x0 + _GAP * i, 0.0)
            below_row = 0
            for k in rest:  # off the main line: below, under the stocks it joins
                joined = [lay.at[s][0] for f, s in src.items() if dst.get(f) == k and s in lay.at] + \
                         [lay.at[d][0] for f, d in dst.items() if src.get(f) == k and d in lay.at]
                lo, hi = (min(joined), max(joined)) if joined else (x0, x0)
                below_row += 1
                lay.at[k] = ((lo + hi) / 2, _DOWN * below_row)
                if hi > lo:
                    lay.width[k] = hi - lo + 2 * _STOCK_W
            for k in (*line, *rest):
                x, y = lay.at[k]
                w = lay.width.get(k, _STOCK_W)
                lay.boxes.append((k, (x - w / 2, y - _STOCK_H / 2, x + w / 2, y + _STOCK_H / 2 + 14)))
                placed.add(k)
            band_flows = [f for f in flows if src.get(f) in line + rest or dst.get(f) in line + rest]
            sides: dict[str, set[str]] = {k: set() for k in (*line, *rest)}
            for i, k in enumerate(line):
                if i:
                    sides[k].add("left")
                if i + 1 < len(line):
                    sides[k].add("right")
            for f in band_flows:
                a, d = src.get(f), dst.get(f)
                if a and d and a in line and d in line and line.index(d) == line.index(a) + 1:
                    (ax, ay), (bx, by) = lay.at[a], lay.at[d]
                    lay.pipes[f] = [(ax + _STOCK_W / 2, ay), (bx - _STOCK_W / 2, by)]
                elif a and d and (a in rest) != (d in rest):  # to or from a stock below: straight down (up)
                    top, low = (a, d) if a in line else (d, a)
                    x = lay.at[top][0]
                    y0, y1 = lay.at[top][1] + _STOCK_H / 2, lay.at[low][1] - _STOCK_H / 2
                    sides[top].add("down")
                    lay.pipes[f] = [(x, y0), (x, y1)] if a == top else [(x, y1), (x, y0)]
                elif a and d:  # skips along the line, runs back, or joins two stocks below: a bent pipe under
                    (ax, ay), (bx, by) = lay.at[a], lay.at[d]
                    drop = max(ay, by) + _STOCK_H / 2 + 30
                    lay.pipes[f] = [(ax, ay + _STOCK_H / 2), (ax, drop), (bx, drop), (bx, by + _STOCK_H / 2)]
                else:  # to or from a cloud, on a free side of the stock
                    k = a or d
                    x, y = lay.at[k]
                    order = ("right", "down", "up", "left") if a else ("left", "up", "down", "right")
                    side = next((s for s in order if s not in sides[k]), order[0])
                    sides[k].add(side)
                    w = lay.width.get(k, _STOCK_W) / 2
                    edge, far = {"right": ((x + w, y), (x + _GAP - w, y)), "left": ((x - w, y), (x - _GAP + w, y)),
                                 "down": ((x, y + _STOCK_H / 2), (x, y + _DOWN / 2 + 40)),
                                 "up": ((x, y - _STOCK_H / 2), (x, y - _DOWN / 2 - 40))}[side]
                    lay.pipes[f] = [edge, far] if a else [far, edge]
                pts = lay.pipes[f]
                mid = ((pts[0][0] + pts[-1][0]) / 2, (pts[0][1] + pts[-1][1]) / 2) if len(pts) == 2 \
                    else ((pts[1][0] + pts[2][0]) / 2, pts[1][1])
                lay.at[f] = mid
                xs, ys = [p[0] for p in pts], [p[1] for p in pts]
                lay.boxes.append((f, (min(xs) - 9, min(ys) - 9, max(xs) + 9, max(ys) + 9)))  # pipe and clouds
                lay.boxes.append((f, _label_box(names[f], *mid, 26)))  # valve and its label
                placed.add(f)
            x0 += (len(line) + 1.5) * _GAP
        members.append(placed)
        band_of.update({k: b for k in placed})
    # flows joined to no stock: a row of their own under the last band
    for i, f in enumerate(loose_flows):
        x, y = 150 + _GAP / 2 + _GAP * i, 0.0
        lay.pipes[f] = [(x - 60, y), (x + 60, y)]
        lay.at[f] = (x, y)
        lay.boxes.append((f, (x - 70, y - 12, x + 70, y + 26)))
        band_of[f] = len(bands)
    if loose_flows:
        members.append(set(loose_flows))
    # auxiliaries and constants: above the flow or stock they feed (or, failing that, the one they read)
    readers: dict[str, list[str]] = {canonical(v.name): [] for v in model.variables}
    for v in model.variables:
        for r in sorted(_reads(v)):
            if r in readers:
                readers[r].append(canonical(v.name))
    todo = [canonical(v.name) for v in (*model.auxes, *model.constants)]
    while todo:
        progress = False
        for k in list(todo):
            anchors = [r for r in readers[k] if r in lay.at and r != k]
            if not anchors:
                anchors = [r for r in sorted(_reads(_var(model, k))) if r in lay.at]
            if not anchors and any(r in todo and r != k for r in (*readers[k], *_reads(_var(model, k)))):
                continue
            anchor = min(anchors, key=lambda r: (lay.at[r][1] > 0, band_of.get(r, 0))) if anchors else None
            _place_aux(lay, k, names[k], anchor, band_of, members, len(bands) + bool(loose_flows))
            todo.remove(k)
            progress = True
        if not progress:  # a loop of auxiliaries with nothing placed: take the first
            k = todo.pop(0)
            _place_aux(lay, k, names[k], None, band_of, members, len(bands) + bool(loose_flows))
    # stack the bands: each below the one before, with a margin
    bottom = 0.0
    for b, placed in enumerate(members):
        mine = [box for n, box in lay.boxes if n in placed]
        if not mine:
            continue
        top, low = min(bx[1] for bx in mine), max(bx[3] for bx in mine)
        dy = bottom + (_BAND_GAP if b else 40) - top
        lay.shift(placed, dy)
        bottom = low + dy
    return lay


def _var(model: Model, key: str):
    return next(v for v in model.variables if canonical(v.name) == key)


def _place_aux(lay: Layout, key: str, name: str, anchor: str | None, band_of: dict[str, int],
               members: list[set[str]], spare: int) -> None:
    if anchor is None:
        band = spare
        while len(members) <= band:
            members.append(set())
        used = [lay.at[k][0] for k in members[band] if k in lay.at]
        ax, ay = (max(used) + _COL if used else 150 + _GAP / 2), 0.0
        base = 0.0
    else:
        band = band_of[anchor]
        ax, ay = lay.at[anchor]
        base = min(ay, 0.0) - 95 if ay <= 0 else ay - 40
    # candidates: the anchor's column upward, then the columns beside it
    for ring in range(0, 40):
        for dx in sorted({-ring, ring}, key=lambda d: (abs(d), -d)):
            for level in range(0, 6 if ring < 39 else 60):
                if anchor is not None and ay > 0:  # beside a flow below the main line: stack downwards
                    y = base + _LEVEL * level
                else:
                    y = base - _LEVEL * level
                x = ax + _COL * dx
                box = _label_box(name, x, y, 26)
                if lay.free(box):
                    lay.at[key] = (x, y)
                    lay.boxes.append((key, box))
                    members[band].add(key)
                    band_of[key] = band
                    return


def view_element(model: Model, tag: Callable[[str], str], ref: Callable[[str], str]) -> ET.Element:
    """The ``<views>`` element of ``model``; ``tag`` qualifies element names, ``ref`` spells variable names.

    Examples
    --------
    >>> from ecotone.simulate.spec import Flow
    >>> m = Model("clinic", stocks=[Stock("waiting", 10, ("referrals",), ("admissions",)),
    ...           Stock("treated", 0, ("admissions",))], flows=[Flow("referrals", "rate"), Flow("admissions",
    ...           "waiting / wait")], constants=[Constant("rate", 2), Constant("wait", 3)])
    >>> view = view_element(m, lambda t: t, lambda n: n)[0]
    >>> [(e.tag, e.get("name")) for e in view if e.tag != "connector"]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('stock', 'waiting'), ('stock', 'treated'), ('flow', 'referrals'), ('flow', 'admissions'),
     ('aux', 'rate'), ('aux', 'wait')]
    >>> sorted((c.find("from").text, c.find("to").text) for c in view.iter("connector"))
    [('rate', 'referrals'), ('wait', 'admissions'), ('waiting', 'admissions')]
    """
    lay = layout(model)
    views = ET.Element(tag("views"))
    view = ET.SubElement(views, tag("view"), {"type": "stock_flow"})
    uid = iter(range(1, 1_000_000))
    for s in model.stocks:
        k = canonical(s.name)
        x, y = lay.at[k]
        attrs = {"uid": str(next(uid)), "name": ref(s.name), "x": _n(x), "y": _n(y)}
        if k in lay.width:
            attrs.update(width=_n(lay.width[k]), height=_n(_STOCK_H))
        ET.SubElement(view, tag("stock"), attrs)
    for f in model.flows:
        k = canonical(f.name)
        x, y = lay.at[k]
        el = ET.SubElement(view, tag("flow"), {"uid": str(next(uid)), "name": ref(f.name), "x": _n(x), "y": _n(y)})
        pts = ET.SubElement(el, tag("pts"))
        for px, py in lay.pipes[k]:
            ET.SubElement(pts, tag("pt"), {"x": _n(px), "y": _n(py)})
    for v in (*model.auxes, *model.constants):
        x, y = lay.at[canonical(v.name)]
        ET.SubElement(view, tag("aux"), {"uid": str(next(uid)), "name": ref(v.name), "x": _n(x), "y": _n(y)})
    pipes = {(canonical(f), canonical(s.name)) for s in model.stocks for f in (*s.inflows, *s.outflows)}
    for v in (*model.stocks, *model.flows, *model.auxes):
        to = canonical(v.name)
        for source in sorted(_reads(v)):
            if source in lay.at and (source, to) not in pipes and source != to:
                (sx, sy), (tx, ty) = lay.at[source], lay.at[to]
                angle = math.degrees(math.atan2(sy - ty, tx - sx)) % 360  # Stella: counter-clockwise, y up
                c = ET.SubElement(view, tag("connector"), {"uid": str(next(uid)), "angle": f"{angle:.0f}"})
                ET.SubElement(c, tag("from")).text = ref(_display(model, source))
                ET.SubElement(c, tag("to")).text = ref(v.name)
    return views


def _reads(v) -> set[str]:
    if isinstance(v, Constant):
        return set()
    texts = [v.initial if isinstance(v, Stock) else v.equation, *(e for _, e in getattr(v, "by_element", ()))]
    out: set[str] = set()
    for text in texts:
        if isinstance(text, str):
            out |= references(parse(text)) - TIME_NAMES
    return out


def _display(model: Model, key: str) -> str:
    return next(v.name for v in model.variables if canonical(v.name) == key)


def _n(value: float) -> str:
    return str(int(round(value)))

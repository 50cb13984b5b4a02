"""GEXF 1.3 (Gephi's format): actors with their attributes, position, colour and size; ties with weight, kind,
direction and their start and end as dynamic intervals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from ._graphfile import atomic_text, category_colours, columns_of, rgb, value_of, xml_text

__all__ = ["write_gexf"]

_SIZE_RANGE = (4.0, 40.0)


def write_gexf(path: Path, nodes: pd.DataFrame, ties: pd.DataFrame, *, color_by: str | None = "type",
               size_by: str | None = None, viz: pd.DataFrame | None = None, name: str = "Ecotone atlas") -> Path:
    """Write a network as GEXF 1.3.

    ``nodes`` needs ``id`` and ``name`` (the label); its other columns become node attributes. ``ties`` needs
    ``id``, ``source`` and ``target`` (node ids), ``weight`` and ``directed``; ``start_date`` and ``end_date``
    become the edge's interval, other columns attributes. Attributes are declared with numeric ids (0, 1, 2…) and
    their column's name as title, typed (string, integer, double, boolean), so Gephi and graphology-gexf show
    them by name. Each tie says whether it is ``directed`` or ``undirected``; the graph's ``defaultedgetype`` is
    directed when any tie is (networkx reads only files whose ties all go one way). Nodes are coloured by the
    categories of ``color_by`` (the application's colours) and sized by the numeric column ``size_by``;
    ``viz`` (columns ``id`` and any of ``x``, ``y``, ``size``, ``color`` as ``#rrggbb``) gives positions and
    overrides colours and sizes node by node.

    Examples
    --------
    >>> import networkx as nx, tempfile, pathlib
    >>> nodes = pd.DataFrame({"id": [1, 2], "name": ["Clínic", "Kardio"], "type": ["hospital", "startup"]})
    >>> ties = pd.DataFrame({"id": [7], "source": [1], "target": [2], "weight": [2.0], "directed": [False],
    ...                      "kind": ["clinical_pilot"], "start_date": [pd.Timestamp("2024-03-01")]})
    >>> viz = pd.DataFrame({"id": [1, 2], "x": [0.5, -1.0], "y": [2.0, 0.0]})
    >>> path = write_gexf(pathlib.Path(tempfile.mkdtemp()) / "map.gexf", nodes, ties, viz=viz)
    >>> g = nx.read_gexf(path, version="1.3")
    >>> g.nodes["1"]["label"], g.nodes["1"]["type"], g.edges["1", "2"]["weight"], g.edges["1", "2"]["start"]
    ('Clínic', 'hospital', 2.0, '2024-03-01')
    >>> g.nodes["1"]["viz"]["position"]
    {'x': 0.5, 'y': 2.0, 'z': 0.0}
    """
    directed = bool(ties["directed"].any()) if len(ties) else False
    node_cols = columns_of(nodes, ("id", "name"))
    edge_cols = columns_of(ties, ("id", "source", "target", "weight", "start_date", "end_date"))
    if color_by and color_by not in nodes:
        raise ValueError(f"cannot colour by {color_by!r}: no such node column")
    colours = category_colours(color_by, nodes[color_by]) if color_by else {}
    sizes = _sizes(nodes, size_by)
    looks = _viz(nodes, viz)
    dated = "start_date" in ties or "end_date" in ties
    with atomic_text(path) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write('<gexf xmlns="http://gexf.net/1.3" xmlns:viz="http://gexf.net/1.3/viz" '
                  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                  'xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">\n')
        out.write(f'  <meta lastmodifieddate="{dt.date.today().isoformat()}">\n'
                  f'    <creator>Ecotone</creator>\n    <description>{_text(name)}</description>\n  </meta>\n')
        mode = ' mode="dynamic" timeformat="date"' if dated else ' mode="static"'
        out.write(f'  <graph defaultedgetype="{"directed" if directed else "undirected"}"{mode}>\n')
        for cls, cols in (("node", node_cols), ("edge", edge_cols)):
            out.write(f'    <attributes class="{cls}" mode="static">\n')
            for i, col in enumerate(cols):
                out.write(f'      <attribute id="{i}" title={_attr(col.name)} type="{col.kind}"/>\n')
            out.write("    </attributes>\n")
        out.write("    <nodes>\n")
        for row, size, look in zip(nodes.itertuples(index=False), sizes, looks):
            rec = row._asdict()
            out.write(f'      <node id="{rec["id"]}" label={_attr(str(rec["name"]))}>\n')
            _attvalues(out, rec, node_cols, "        ")
            colour = look.get("color") or (colours.get(value_of(rec[color_by])) if colours else None)
            if colour:
                r, g, b = colour
                out.write(f'        <viz:color r="{r}" g="{g}" b="{b}"/>\n')
            if "x" in look:
                out.write(f'        <viz:position x="{look["x"]!r}" y="{look["y"]!r}" z="0.0"/>\n')
            size = look.get("size", size)
            if size is not None:
                out.write(f'        <viz:size value="{size!r}"/>\n')
            out.write("      </node>\n")
        out.write("    </nodes>\n    <edges>\n")
        for row in ties.itertuples(index=False):
            rec = row._asdict()
            interval = ""
            for key, attr in (("start_date", "start"), ("end_date", "end")):
                text = value_of(rec.get(key))
                if text:
                    interval += f' {attr}="{text}"'
            label = f' label={_attr(str(rec["kind"]))}' if "kind" in rec and rec["kind"] else ""
            kind = "directed" if rec["directed"] else "undirected"
            out.write(f'      <edge id="{rec["id"]}" source="{rec["source"]}" target="{rec["target"]}" '
                      f'type="{kind}" weight="{float(rec["weight"])!r}"{label}{interval}>\n')
            _attvalues(out, rec, edge_cols, "        ")
            out.write("      </edge>\n")
        out.write("    </edges>\n  </graph>\n</gexf>\n")
    return Path(path)


def _viz(nodes: pd.DataFrame, viz: pd.DataFrame | None) -> list[dict]:
    """Per node, what ``viz`` says of it: ``x`` and ``y`` together, ``size``, ``color`` as (r, g, b)."""
    if viz is None or not len(nodes):
        return [{} for _ in range(len(nodes))]
    if "id" not in viz:
        raise ValueError("viz needs an id column naming the nodes")
    if ("x" in viz) != ("y" in viz):
        raise ValueError("viz gives positions with both x and y")
    by_id = viz.drop_duplicates("id").set_index("id")
    found = by_id.reindex(nodes["id"].to_numpy())
    out = []
    for rec in found.to_dict("records"):
        look: dict = {}
        if "x" in rec and _number(rec["x"]) and _number(rec["y"]):
            look["x"], look["y"] = float(rec["x"]), float(rec["y"])
        if "size" in rec and _number(rec["size"]):
            look["size"] = float(rec["size"])
        if isinstance(rec.get("color"), str):
            look["color"] = rgb(rec["color"])
        out.append(look)
    return out


def _number(value) -> bool:
    return value is not None and isinstance(value, int | float | np.number) and bool(np.isfinite(value))


def _text(value: str) -> str:
    return xml_text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    return quoteattr(xml_text(value))


def _attvalues(out, rec: dict, cols, indent: str) -> None:
    values = [(i, value_of(rec[c.name])) for i, c in enumerate(cols)]
    values = [(i, v) for i, v in values if v is not None]
    if not values:
        return
    out.write(f"{indent}<attvalues>\n")
    for i, v in values:
        out.write(f'{indent}  <attvalue for="{i}" value={_attr(v)}/>\n')
    out.write(f"{indent}</attvalues>\n")


def _sizes(nodes: pd.DataFrame, size_by: str | None) -> list[float | None]:
    if not size_by:
        return [None] * len(nodes)
    if size_by not in nodes or not pd.api.types.is_numeric_dtype(nodes[size_by]):
        raise ValueError(f"cannot size by {size_by!r}: it is not a numeric node column")
    values = nodes[size_by].to_numpy(float)
    values = np.where(np.isnan(values), 0.0, values)
    lo, hi = values.min() if len(values) else 0.0, values.max() if len(values) else 0.0
    span = hi - lo
    low, high = _SIZE_RANGE
    return [round(float(low + (high - low) * ((v - lo) / span if span > 0 else 0.5)), 3) for v in values]

"""GraphML: actors and ties with typed attributes, readable by networkx, igraph, Gephi, Cytoscape and yEd."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import pandas as pd

from ._graphfile import atomic_text, columns_of, value_of, xml_text

__all__ = ["write_graphml"]

_TYPES = {"string": "string", "integer": "long", "double": "double", "boolean": "boolean"}


def write_graphml(path: Path, nodes: pd.DataFrame, ties: pd.DataFrame) -> Path:
    """Write a network as GraphML.

    Node ids are ``n<id>``, tie ids ``e<id>``; every other column of ``nodes`` and ``ties`` becomes a typed data
    key (``name`` included). The graph's default is directed when any tie is; each tie keeps its own
    ``directed`` attribute.

    Examples
    --------
    >>> import networkx as nx, tempfile, pathlib
    >>> nodes = pd.DataFrame({"id": [1, 2], "name": ["Clínic", "Kardio"], "degree": [1, 1]})
    >>> ties = pd.DataFrame({"id": [7], "source": [1], "target": [2], "weight": [2.5], "directed": [True],
    ...                      "kind": ["clinical_pilot"]})
    >>> g = nx.read_graphml(write_graphml(pathlib.Path(tempfile.mkdtemp()) / "map.graphml", nodes, ties))
    >>> g.nodes["n1"], g.edges["n1", "n2"]["weight"], g.edges["n1", "n2"]["kind"]
    ({'name': 'Clínic', 'degree': 1}, 2.5, 'clinical_pilot')
    """
    directed = bool(ties["directed"].any()) if len(ties) else False
    node_cols = columns_of(nodes, ("id",))
    edge_cols = columns_of(ties, ("id", "source", "target"))
    with atomic_text(path) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                  '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
                  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                  'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
                  'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
        for cls, cols in (("node", node_cols), ("edge", edge_cols)):
            for i, col in enumerate(cols):
                out.write(f'  <key id="{cls[0]}{i}" for="{cls}" attr.name={quoteattr(xml_text(col.name))} '
                          f'attr.type="{_TYPES[col.kind]}"/>\n')
        out.write(f'  <graph id="G" edgedefault="{"directed" if directed else "undirected"}">\n')
        for row in nodes.itertuples(index=False):
            rec = row._asdict()
            out.write(f'    <node id="n{rec["id"]}">\n')
            _data(out, rec, node_cols, "n")
            out.write("    </node>\n")
        for row in ties.itertuples(index=False):
            rec = row._asdict()
            out.write(f'    <edge id="e{rec["id"]}" source="n{rec["source"]}" target="n{rec["target"]}">\n')
            _data(out, rec, edge_cols, "e")
            out.write("    </edge>\n")
        out.write("  </graph>\n</graphml>\n")
    return Path(path)


def _data(out, rec: dict, cols, prefix: str) -> None:
    for i, col in enumerate(cols):
        text = value_of(rec[col.name])
        if text is not None:
            out.write(f'      <data key="{prefix}{i}">{_escape(text)}</data>\n')


def _escape(text: str) -> str:
    return xml_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

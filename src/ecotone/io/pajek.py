"""Pajek: the network as a .net file (arcs for directed ties, edges for undirected ones), partitions as .clu
files and vectors as .vec files, all numbered alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._graphfile import atomic_text
from .tables import write_frame_csv

__all__ = ["write_pajek", "pajek_labels"]


def pajek_labels(nodes: pd.DataFrame) -> list[str]:
    """Vertex labels: the name, with ``#id`` added where two actors share one (readers key vertices by label).

    >>> pajek_labels(pd.DataFrame({"id": [1, 2, 3], "name": ["Clínic", 'Say "hi"', "Clínic"]}))
    ['Clínic #1', "Say 'hi'", 'Clínic #3']
    """
    names = [str(n).replace('"', "'").replace("\r", " ").replace("\n", " ") for n in nodes["name"]]
    seen = pd.Series(names).duplicated(keep=False).to_numpy()
    return [f"{n} #{i}" if dup else n for n, i, dup in zip(names, nodes["id"], seen)]


def write_pajek(path: Path, nodes: pd.DataFrame, ties: pd.DataFrame, *, partitions: list[str] = (),
                vectors: list[str] = ()) -> list[Path]:
    """Write ``path`` (.net) and, beside it, ``<stem>_<column>.clu`` per partition column (classes numbered from
    1 in order of their names; the legend goes in ``<stem>_partitions.csv``) and ``<stem>_<column>.vec`` per
    numeric column.

    Examples
    --------
    >>> import igraph as ig, tempfile, pathlib
    >>> nodes = pd.DataFrame({"id": [1, 2, 3], "name": ["Clínic", "Kardio", "Ysios"], "hub": ["BCN", "PL", "BCN"],
    ...                       "degree": [1, 2, 1]})
    >>> ties = pd.DataFrame({"id": [1, 2], "source": [1, 3], "target": [2, 2], "weight": [2.0, 1.0],
    ...                      "directed": [False, True]})
    >>> out = write_pajek(pathlib.Path(tempfile.mkdtemp()) / "map.net", nodes, ties, partitions=["hub"],
    ...                   vectors=["degree"])
    >>> [p.name for p in out]
    ['map.net', 'map_hub.clu', 'map_partitions.csv', 'map_degree.vec']
    >>> g = ig.Graph.Read_Pajek(str(out[0]))
    >>> g.vcount(), g.ecount(), g.vs["name"]
    (3, 2, ['Clínic', 'Kardio', 'Ysios'])
    """
    path = Path(path)
    position = {int(i): k + 1 for k, i in enumerate(nodes["id"])}
    labels = pajek_labels(nodes)
    written = [path]
    with atomic_text(path) as out:
        out.write(f"*Vertices {len(nodes)}\n")
        for k, label in enumerate(labels, start=1):
            out.write(f'{k} "{label}"\n')
        for section, mask in (("*Arcs", ties["directed"].to_numpy(bool)), ("*Edges", ~ties["directed"].to_numpy(bool))):
            if not mask.any():
                continue
            out.write(f"{section}\n")
            for s, t, w in zip(ties["source"][mask], ties["target"][mask], ties["weight"][mask]):
                out.write(f"{position[int(s)]} {position[int(t)]} {float(w)!r}\n")
    legend = []
    for col in partitions:
        if col not in nodes:
            raise ValueError(f"no node column {col!r} to write as a partition")
        values = nodes[col].astype(object).where(nodes[col].notna(), "(none)").astype(str)
        classes = {v: i for i, v in enumerate(sorted(values.unique()), start=1)}
        legend += [{"partition": col, "class": c, "label": v} for v, c in classes.items()]
        clu = path.with_name(f"{path.stem}_{col}.clu")
        with atomic_text(clu) as out:
            out.write(f"*Vertices {len(nodes)}\n" + "".join(f"{classes[v]}\n" for v in values))
        written.append(clu)
    if legend:
        csv = path.with_name(f"{path.stem}_partitions.csv")
        write_frame_csv(csv, pd.DataFrame(legend))
        written.append(csv)
    for col in vectors:
        if col not in nodes or not pd.api.types.is_numeric_dtype(nodes[col]):
            raise ValueError(f"no numeric node column {col!r} to write as a vector")
        vec = path.with_name(f"{path.stem}_{col}.vec")
        values = np.nan_to_num(nodes[col].to_numpy(float))
        with atomic_text(vec) as out:
            out.write(f"*Vertices {len(nodes)}\n" + "".join(f"{v!r}\n" for v in values.tolist()))
        written.append(vec)
    return written

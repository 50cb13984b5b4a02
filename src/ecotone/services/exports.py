"""Export an atlas: JSON bundle, Kumu spreadsheet (.xlsx or CSVs), CSV tables."""

from __future__ import annotations

from pathlib import Path

from ..analysis.communities import Communities
from ..analysis.metrics import METRICS, NetworkMetrics
from ..domain import ENTITIES
from ..io.gexf import write_gexf
from ..io.graphml import write_graphml
from ..io.pajek import write_pajek
from ..io.bundle import bundle_of, write_bundle
from ..io.kumu import kumu_sheets, write_kumu_csv, write_kumu_xlsx
from ..io.tables import write_csv
from ..store import Atlas
from ..store.tables import TABLES

__all__ = ["export_bundle", "export_kumu", "export_tables", "atlas_bundle", "export_graph", "GRAPH_FORMATS"]

GRAPH_FORMATS = ("gexf", "pajek", "graphml")


def atlas_bundle(atlas: Atlas) -> dict:
    """The whole atlas as a bundle (a JSON-ready dict).

    Examples
    --------
    >>> from ecotone.domain import Hub
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = atlas.add(Hub(name="Texas Medical Center", kind="innovation_district"))
    ...     bundle = atlas_bundle(atlas)
    >>> bundle["format"], [h["name"] for h in bundle["records"]["hub"]]
    ('ecotone-bundle', ['Texas Medical Center'])
    """
    return bundle_of({entity: list(atlas.rows(entity)) for entity in ENTITIES})


def export_bundle(atlas: Atlas, path: Path) -> list[Path]:
    """Write the whole atlas as a JSON bundle."""
    write_bundle(atlas_bundle(atlas), path)
    return [path]


def export_kumu(atlas: Atlas, path: Path) -> list[Path]:
    """Write hubs, organisations and ties as a Kumu .xlsx (``path`` ends in .xlsx) or as CSVs in a folder."""
    sheets = kumu_sheets(list(atlas.rows("hub")), list(atlas.rows("organization")), list(atlas.rows("tie")))
    if path.suffix.lower() == ".xlsx":
        write_kumu_xlsx(sheets, path)
        return [path]
    return write_kumu_csv(sheets, path)


def export_tables(atlas: Atlas, folder: Path) -> list[Path]:
    """Write one CSV per kind of record (``organizations.csv``, ``ties.csv``…) in ``folder``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from ecotone.domain import Hub
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = atlas.add(Hub(name="Stockholm", country="SE"))
    ...     paths = export_tables(atlas, folder)
    >>> len(paths), (folder / "hubs.csv").read_text().splitlines()[1][:12]
    (16, '1,,,network,')
    """
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for entity, table in TABLES.items():
        columns = [c.name for c in table.c]
        path = folder / f"{table.name}.csv"
        write_csv(path, [columns] + [[row[c] for c in columns] for row in atlas.rows(entity)])
        out.append(path)
    return out


def export_graph(atlas: Atlas, fmt: str, path: Path, filters=None, *, color_by: str = "type",
                 size_by: str = "pagerank", progress=None) -> list[Path]:
    """Write the (filtered) network as GEXF, Pajek or GraphML, with each actor's metrics and community.

    Examples
    --------
    >>> import tempfile, networkx as nx
    >>> from ecotone.services.demo import build_demo
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = build_demo(atlas)
    ...     [path] = export_graph(atlas, "graphml", Path(tempfile.mkdtemp()) / "demo.graphml")
    >>> g = nx.read_graphml(path)
    >>> g.nodes["n2"]["name"], "pagerank" in g.nodes["n2"]
    ('Medical Innovation Institute', True)
    """
    from .analysis import snapshot

    if fmt not in GRAPH_FORMATS:
        raise ValueError(f"unknown network format {fmt!r}; use one of: {', '.join(GRAPH_FORMATS)}")
    snap = snapshot(atlas, filters, progress)
    metrics = NetworkMetrics().run(snap, progress).nodes_
    nodes = snap.nodes[["id", "name", "type", "helix", "hub", "country", "stage"]].copy()
    for col in METRICS:
        nodes[col] = metrics[col].to_numpy()
    nodes["community"] = Communities().run(snap).membership_
    ids = snap.nodes["id"].to_numpy()
    ties = snap.ties.assign(source=ids[snap.ties["source"].to_numpy()], target=ids[snap.ties["target"].to_numpy()])
    if fmt == "gexf":
        if color_by not in nodes:
            raise ValueError(f"cannot colour by {color_by!r}; use type, helix, hub or community")
        return [write_gexf(path, nodes, ties, color_by=color_by, size_by=size_by)]
    if fmt == "graphml":
        return [write_graphml(path, nodes, ties)]
    return write_pajek(path, nodes, ties, partitions=["hub", "type", "community"], vectors=list(METRICS))

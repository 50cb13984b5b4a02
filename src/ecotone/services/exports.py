"""Export an atlas: JSON bundle, Kumu spreadsheet (.xlsx or CSVs), CSV tables, network files, the map's view."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..analysis.communities import Communities
from ..analysis.metrics import METRICS, NetworkMetrics
from ..domain import ENTITIES
from ..domain.problems import InputRejected, Problem
from ..io.gexf import write_gexf
from ..io.graphml import write_graphml
from ..io.pajek import write_pajek
from ..io.bundle import bundle_of, write_bundle
from ..io.kumu import kumu_sheets, write_kumu_csv, write_kumu_xlsx
from ..io.tables import write_csv
from ..store import Atlas
from ..store.tables import TABLES
from .layout import positions

if TYPE_CHECKING:
    from .analysis import Filters

__all__ = ["export_bundle", "export_kumu", "export_tables", "atlas_bundle", "export_graph", "GRAPH_FORMATS",
           "MapView", "export_view"]

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
    (20, '1,,,network,')
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
        return [write_gexf(path, nodes, ties, color_by=color_by, size_by=size_by,
                           viz=positions(atlas, filters, snap=snap))]
    if fmt == "graphml":
        return [write_graphml(path, nodes, ties)]
    return write_pajek(path, nodes, ties, partitions=["hub", "type", "community"], vectors=list(METRICS))


@dataclass(frozen=True)
class MapView:
    """What the map shows: the filters it was loaded with and what the browser made of them.

    ``nodes`` holds the visible nodes as the browser draws them: ``id`` (an actor id; at the hubs level a hub id,
    None for the actors without a hub), ``x`` and ``y`` (graph coordinates), and optionally ``size`` and
    ``color`` (``#rrggbb``). The ties kept are those between these nodes, started by ``year`` when it is given
    (undated ties stay, as on the map). ``ego`` says the nodes are the ego network of ``selected`` (which must be
    among them). ``colour`` and ``size`` name what colours and sizes stand for (said in the file's description).
    """

    nodes: pd.DataFrame
    filters: Filters | None = None
    level: str = "actors"
    year: int | None = None
    ego: bool = False
    selected: int | None = None
    colour: str | None = None
    size: str | None = None
    title: str = "Ecotone map"


def export_view(atlas: Atlas, view: MapView, path: Path) -> Path:
    """Write the map's current view as GEXF 1.3: the actors (or hubs) and ties the browser shows, read through
    the atlas (so only what the caller may see), at the browser's positions, colours and sizes.

    Examples
    --------
    >>> import tempfile, networkx as nx
    >>> from ecotone.services.demo import build_demo
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = build_demo(atlas)
    ...     nodes = pd.DataFrame({"id": [2, 3], "x": [1.0, -1.0], "y": [0.0, 0.5], "color": ["#0072b2", "#e69f00"]})
    ...     path = export_view(atlas, MapView(nodes), Path(tempfile.mkdtemp()) / "view.gexf")
    >>> g = nx.read_gexf(path, version="1.3")
    >>> sorted(g.nodes), g.nodes["2"]["label"], g.nodes["3"]["viz"]["position"]["y"]
    (['2', '3'], 'Medical Innovation Institute', 0.5)

    Raises
    ------
    InputRejected
        When the view names a node that is not on the map (unknown, filtered out, or not visible to the caller),
        or a selected node that is not among its nodes.
    """
    from .analysis import Filters, snapshot

    snap = snapshot(atlas, view.filters or Filters())
    hubs = view.level == "hubs"
    # each node's key: its actor id, or at the hubs level its hub's id ("none" for the actors without a hub)
    keys = snap.nodes["hub_id"].map(_key) if hubs else snap.nodes["id"].map(_key)
    nodes = _hub_nodes(snap.nodes, keys) if hubs else \
        snap.nodes[["id", "name", "type", "helix", "hub", "country", "stage"]].assign(id=keys)
    wanted = _view_keys(view, set(nodes["id"]), "hub" if hubs else "actor")
    key_of = keys.to_numpy()
    ties = snap.ties.assign(source=key_of[snap.ties["source"].to_numpy()],
                            target=key_of[snap.ties["target"].to_numpy()])
    keep = ties["source"].isin(wanted) & ties["target"].isin(wanted)
    if view.year is not None:
        years = pd.to_datetime(ties["start_date"], errors="coerce").dt.year
        keep &= years.isna() | (years <= view.year)
    ties = _between_hubs(ties[keep]) if hubs else ties[keep]
    nodes = nodes[nodes["id"].isin(wanted)]
    degree = pd.concat([ties["source"], ties["target"]]).value_counts()
    nodes = nodes.assign(degree=nodes["id"].map(degree).fillna(0).astype(int))
    viz = view.nodes.assign(id=view.nodes["id"].map(_key))
    said = [f"{view.title}: {len(nodes)} {'hubs' if hubs else 'actors'}, {len(ties)} ties"]
    said += [f"{what} by {value}" for what, value in (("coloured", view.colour), ("sized", view.size)) if value]
    if view.ego and view.selected is not None:
        said.append(f"the ego network of {view.selected}")
    if view.year is not None:
        said.append(f"ties started by {view.year}")
    return write_gexf(path, nodes, ties, color_by=None, viz=viz, name="; ".join(said))


def _key(value) -> str:
    """A node's key in a view's file: the id as text, ``none`` for no id (the hubs level's actors without a hub)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "none"
    return str(int(value))


def _view_keys(view: MapView, known: set[str], what: str) -> set[str]:
    """The keys of the nodes the view shows, each checked to be on the map; refused in words otherwise."""
    sent = [_key(v) for v in view.nodes["id"].tolist()]
    problems = []
    missing = [k for k in sent if k not in known]
    if missing:
        nameless = "(no hub)" if what == "hub" else "null"
        shown = ", ".join(nameless if k == "none" else k for k in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        problems.append(Problem(column="nodes.id", reason=f"{len(missing)} {what} id(s) are not on this map: "
                                f"{shown}{more}", hint="they are unknown, filtered out by the view's filters, or "
                                "not visible to you; reload the map and export again"))
    twice = sorted(k for k, n in Counter(sent).items() if n > 1)
    if twice:
        problems.append(Problem(column="nodes.id", reason=f"{', '.join(twice[:10])} given more than once",
                                hint="give each node once"))
    if view.ego and view.selected is not None and _key(view.selected) not in set(sent):
        problems.append(Problem(column="selected", reason=f"the selected {what} {view.selected} is not among the "
                                "view's nodes", hint="send the ego with the nodes shown around it"))
    if problems:
        raise InputRejected(problems)
    return set(sent)


def _hub_nodes(actors: pd.DataFrame, keys: pd.Series) -> pd.DataFrame:
    """One node per hub of ``actors`` (the map's hubs level): its name and how many actors it has."""
    named = actors.assign(id=keys, hub=actors["hub"].where(actors["hub"].notna(), "(no hub)"))
    grouped = named.groupby("id", sort=True)
    return pd.DataFrame({"id": grouped.size().index, "name": grouped["hub"].first().to_numpy(),
                         "actors": grouped.size().to_numpy()})


def _between_hubs(ties: pd.DataFrame) -> pd.DataFrame:
    """Ties between hubs, one per pair of hubs, weighted by how many actor ties join them (ties within a hub are
    not drawn at the hubs level)."""
    pairs = ties[ties["source"] != ties["target"]]
    ends = [sorted(pair) for pair in zip(pairs["source"], pairs["target"])]
    counts = pd.DataFrame(ends, columns=["source", "target"]).value_counts(sort=False).sort_index()
    return pd.DataFrame({"id": np.arange(len(counts)), "source": [p[0] for p in counts.index],
                         "target": [p[1] for p in counts.index], "weight": counts.to_numpy().astype(float),
                         "directed": False, "ties": counts.to_numpy().astype(int)})

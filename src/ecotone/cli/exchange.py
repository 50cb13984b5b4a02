"""The ``ecotone import`` and ``ecotone export`` commands: the atlas read from Kumu spreadsheets, JSON bundles and
CORDIS extracts, and written as bundles, spreadsheets, CSV tables and network files (GEXF, Pajek, GraphML)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ._output import Format, console, progress_bar, show_problems
from .app import (DryRun, FormatOpt, HubsOpt, KindsOpt, MinWeightOpt, SinceOpt, TypesOpt, UntilOpt, _atlas, _filters,
                  _report, _run, export_app, import_app)

if TYPE_CHECKING:
    from ..services.analysis import Filters

__all__ = ["import_kumu", "import_bundle", "import_cordis", "export_bundle", "export_kumu", "export_csv",
           "export_gexf", "export_pajek", "export_graphml"]


# -- import ------------------------------------------------------------------------------------------------------
def _import(ctx: typer.Context, fmt_name: str, paths: list[Path], dry_run: bool, fmt: Format,
            type_map: list[str] | None = None, kind_map: list[str] | None = None) -> None:
    from ..domain.problems import InputRejected
    from ..services import imports

    types = imports.parse_mapping(type_map or [], "--map-type")
    kinds = imports.parse_mapping(kind_map or [], "--map-kind")
    with _atlas(ctx) as atlas, progress_bar() as progress:
        try:
            report = imports.import_files(atlas, fmt_name, paths, dry_run=dry_run, type_map=types,
                                          kind_map=kinds, progress=progress)
        except InputRejected as exc:
            show_problems(exc.problems, fmt)
            raise typer.Exit(1) from None
    _report(report, fmt)


Files = Annotated[list[Path], typer.Argument(help="The file(s) to read.", show_default=False)]


@import_app.command("kumu")
def import_kumu(
    ctx: typer.Context, paths: Files, dry_run: DryRun = False, fmt: FormatOpt = Format.table,
    map_type: Annotated[Optional[list[str]], typer.Option(
        "--map-type", help="Map your element type to a stakeholder type, e.g. 'University Hospital=hospital'. "
                           "Repeatable.")] = None,
    map_kind: Annotated[Optional[list[str]], typer.Option(
        "--map-kind", help="Map your connection type to a tie kind, e.g. 'Funds=investment'. Repeatable.")] = None,
) -> None:
    """Import a Kumu spreadsheet: an .xlsx with Elements and Connections sheets (and optionally Hubs), or
    elements.csv / connections.csv / hubs.csv. `|` separates several values in a cell; sheets named '(ignore)'
    are skipped.

    Example: `ecotone import kumu map.xlsx --dry-run --map-type 'Spin-off=startup'`
    """
    _import(ctx, "kumu", paths, dry_run, fmt, map_type, map_kind)


@import_app.command("bundle")
def import_bundle(ctx: typer.Context, path: Annotated[Path, typer.Argument(help="The .json bundle.")],
                  dry_run: DryRun = False, fmt: FormatOpt = Format.table) -> None:
    """Import a JSON bundle written by 'ecotone export bundle' (lossless; records matched by external id or name).

    Example: `ecotone import bundle atlas.json`
    """
    _import(ctx, "bundle", [path], dry_run, fmt)


@import_app.command("cordis")
def import_cordis(ctx: typer.Context, paths: Annotated[list[Path], typer.Argument(
                      help="A folder with organization.csv and project.csv, or the two files.")],
                  dry_run: DryRun = False, fmt: FormatOpt = Format.table) -> None:
    """Import a CORDIS extract (EU research projects): organisations by PIC, projects as programmes with their
    participations, and co-participation ties weighted by the projects two organisations share.

    Example: `ecotone import cordis data/cordis/h2020-health`
    """
    _import(ctx, "cordis", paths, dry_run, fmt)


# -- export ------------------------------------------------------------------------------------------------------
Out = Annotated[Path, typer.Argument(help="Where to write.")]


def _export(ctx: typer.Context, writer: str, out: Path) -> None:
    """Write the atlas with ``ecotone.services.exports.<writer>``; say what was written."""
    from ..services import exports

    with _atlas(ctx) as atlas:
        written = getattr(exports, writer)(atlas, out)
    for path in written:
        console.print(f"wrote {path}")


@export_app.command("bundle")
def export_bundle(ctx: typer.Context, out: Out) -> None:
    """Write the whole atlas as a JSON bundle (lossless: import it back with 'ecotone import bundle').

    Example: `ecotone export bundle atlas.json`
    """
    _export(ctx, "export_bundle", out)


@export_app.command("kumu")
def export_kumu(ctx: typer.Context, out: Out) -> None:
    """Write hubs, organisations and ties as a Kumu spreadsheet: OUT.xlsx, or CSV files in the folder OUT.

    Example: `ecotone export kumu atlas.xlsx` then import it at kumu.io.
    """
    _export(ctx, "export_kumu", out)


@export_app.command("csv")
def export_csv(ctx: typer.Context, out: Out) -> None:
    """Write one CSV table per kind of record (organizations.csv, ties.csv, deals.csv...) in the folder OUT.

    Example: `ecotone export csv tables/`
    """
    _export(ctx, "export_tables", out)


def _export_graph(ctx: typer.Context, fmt_name: str, out: Path, filters: Filters, **options) -> None:
    from ..services import exports

    written = _run(ctx, lambda atlas, p: exports.export_graph(atlas, fmt_name, out, filters, progress=p, **options))
    for path in written:
        console.print(f"wrote {path}")


@export_app.command("gexf")
def export_gexf(
    ctx: typer.Context, out: Out, hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None,
    since: SinceOpt = None, until: UntilOpt = None, min_weight: MinWeightOpt = None,
    color_by: Annotated[str, typer.Option(help="Colour actors by type, helix, hub or community.")] = "type",
    size_by: Annotated[str, typer.Option(help="Size actors by a metric (pagerank, betweenness, degree…).")]
    = "pagerank",
) -> None:
    """Write the network as GEXF 1.3 for Gephi: actors with their attributes and metrics, coloured and sized;
    ties with weight and kind, their start and end dates as intervals (Gephi's timeline).

    Example: `ecotone export gexf atlas.gexf --size-by betweenness`
    """
    _export_graph(ctx, "gexf", out, _filters(hub, type, kind, since, until, min_weight), color_by=color_by,
                  size_by=size_by)


@export_app.command("pajek")
def export_pajek(
    ctx: typer.Context, out: Out, hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None,
    since: SinceOpt = None, until: UntilOpt = None, min_weight: MinWeightOpt = None,
) -> None:
    """Write the network for Pajek: OUT.net (arcs and edges with weights), partitions OUT_hub.clu, OUT_type.clu,
    OUT_community.clu (legend in OUT_partitions.csv) and vectors OUT_<metric>.vec.

    Example: `ecotone export pajek atlas.net --hub Barcelona --hub 'Medical Innovation'`
    """
    _export_graph(ctx, "pajek", out, _filters(hub, type, kind, since, until, min_weight))


@export_app.command("graphml")
def export_graphml(
    ctx: typer.Context, out: Out, hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None,
    since: SinceOpt = None, until: UntilOpt = None, min_weight: MinWeightOpt = None,
) -> None:
    """Write the network as GraphML (networkx, igraph, Cytoscape, yEd): actors and ties with typed attributes
    and metrics.

    Example: `ecotone export graphml atlas.graphml --kind clinical_pilot --kind clinical_validation`
    """
    _export_graph(ctx, "graphml", out, _filters(hub, type, kind, since, until, min_weight))

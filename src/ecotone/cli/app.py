"""The ``ecotone`` commands. Each is a thin wrapper over a function of :mod:`ecotone.services`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import __version__
from ..domain.problems import InputRejected
from ..services import analysis, browse, exports, imports
from ..services.analysis import Filters, Result
from ..services.report import write_report
from ..services.demo import build_demo, demo_users
from ..services.generate import Generator
from ..store import Atlas, AtlasError
from ..store.merge import MergeReport
from ._output import Format, console, emit, emit_record, errors, progress_bar, show_problems

__all__ = ["app", "main"]

app = typer.Typer(
    name="ecotone",
    help="Map, analyse and connect health-innovation ecosystems.\n\n"
         "Start with `ecotone demo`, then `ecotone hubs` and `ecotone stats`. "
         "The atlas is the SQLite file ecotone.db in this folder unless --db or ECOTONE_DATABASE_URL says otherwise.",
    rich_markup_mode="markdown", no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
import_app = typer.Typer(help="Import a Kumu spreadsheet, a JSON bundle or a CORDIS extract: all or nothing, "
                              "idempotent, previewable with --dry-run.", no_args_is_help=True)
export_app = typer.Typer(help="Export the atlas as a JSON bundle, a Kumu spreadsheet or CSV tables, or its network "
                                "as GEXF (Gephi), Pajek or GraphML.",
                         no_args_is_help=True)
analyze_app = typer.Typer(
    help="Analyse the network: stakeholder map, centralities, brokers between hubs, communities, emerging "
         "collaborations, gaps, knowledge flow, and an HTML report. Every command takes the same filters "
         "(--hub, --type, --kind, --since, --until, --min-weight).", no_args_is_help=True)
app.add_typer(analyze_app, name="analyze")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output: table, json or csv.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would be created, updated or rejected; write nothing.")]


def _version(value: bool) -> None:
    if value:
        console.print(f"ecotone {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[Optional[str], typer.Option(
        "--db", envvar="ECOTONE_DATABASE_URL", show_envvar=True,
        help="Atlas database: an SQLite file path or a URL (postgresql+psycopg://user@host/db). "
             "Default: ecotone.db in this folder.")] = None,
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and stop.")] = None,
) -> None:
    ctx.obj = {"db": db}


def _atlas(ctx: typer.Context) -> Atlas:
    return Atlas.open(ctx.find_root().obj["db"])


# -- demo and generate -------------------------------------------------------------------------------------------
@app.command()
def demo(ctx: typer.Context, seed: Annotated[int, typer.Option(help="Seed of the illustrative members.")] = 7,
         serve: Annotated[bool, typer.Option("--serve", help="Then open it in the browser at "
                                              "http://127.0.0.1:8000 (see ecotone serve).")] = False,
         users: Annotated[bool, typer.Option("--users", help="Also create the demo's accounts (an admin, "
                                              "Barcelona's manager, the Polish facilitator, a Texas viewer) "
                                              "and print their passwords, once.")] = False,
         fmt: FormatOpt = Format.table) -> None:
    """Build the demo atlas: the hubs, organisations, programmes and deals the seed articles name (each with its
    source), plus illustrative members so every hub is alive. Most of it is public; the bridge partnership is
    shared only between its two hubs, its KPIs and ratings are for their hub, clinicians' contacts for their
    hospital. Running it again changes nothing.

    Example: `ecotone demo && ecotone hubs`; `ecotone demo --users --serve`
    """
    with _atlas(ctx) as atlas, progress_bar() as progress:
        report = build_demo(atlas, seed=seed, progress=progress)
        if report.changed or fmt is not Format.table:
            _report(report, fmt)
        else:  # run again (say with --users): the atlas is as it was, no need to list every record again
            console.print(f"The demo atlas is already in {atlas.url}: nothing changed.")
        if fmt is Format.table and report.changed:
            rows = [{k: h[k] for k in ("name", "country", "organizations", "ties_inside", "ties_across")}
                    for h in browse.hub_table(atlas)]
            emit(rows, fmt, title=f"Hubs in {atlas.url}")
            console.print("Next: [bold]ecotone stats[/bold] (who is where), [bold]ecotone orgs list --hub "
                          "'Barcelona Health Hub'[/bold], [bold]ecotone export kumu atlas.xlsx[/bold], "
                          "[bold]ecotone serve[/bold] (the map in the browser)")
        if users:
            emit(demo_users(atlas), fmt, title="Demo accounts (passwords shown only now; sign in at /login)")
    if serve:
        from .serve import start_server

        start_server(ctx, "127.0.0.1", 8000)


@app.command()
def generate(
    ctx: typer.Context,
    orgs: Annotated[int, typer.Option(help="How many organisations.", min=1)] = 1000,
    hubs: Annotated[int, typer.Option(help="How many hubs.", min=1)] = 10,
    ties: Annotated[Optional[int], typer.Option(help="How many ties (default: ten per organisation).", min=0)] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same atlas.")] = 0,
    cross_hub: Annotated[float, typer.Option(help="Share of ties that bridge two hubs.", min=0, max=1)] = 0.05,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add a synthetic ecosystem for scale tests: power-law hub sizes, heavy-tailed degrees, dense hubs with few
    bridges, dated ties, innovations with stage histories and deals.

    Example: `ecotone --db big.db generate --orgs 100000 --hubs 50 --seed 1`
    """
    with _atlas(ctx) as atlas, progress_bar() as progress:
        gen = Generator(orgs=orgs, hubs=hubs, ties=ties, seed=seed, cross_hub=cross_hub).run(atlas, progress)
    emit([{"hubs": gen.hubs_, "organizations": gen.orgs_, "ties": gen.ties_, "innovations": gen.innovations_,
           "deals": gen.deals_}], fmt, title="Generated")


# -- import and export -------------------------------------------------------------------------------------------
def _report(report: MergeReport, fmt: Format) -> None:
    title = "Dry run: nothing was written" if report.dry_run else "Imported"
    types = ", ".join(f"{kind} {n:,}" for kind, n in sorted(report.types.items(), key=lambda kv: (-kv[1], kv[0])))
    emit(report.rows(), fmt, title=title, footer=f"organisations by type: {types}" if types else None)
    for warning in report.warnings[:20]:
        errors.print(f"[yellow]warning:[/yellow] {warning}")
    if len(report.warnings) > 20:
        errors.print(f"[yellow]… and {len(report.warnings) - 20} more warnings[/yellow]")
    if report.change_set and report.changed:
        (console if fmt is Format.table else errors).print(
            f"Undo this import with: ecotone changes --undo-import {report.change_set}")


def _import(ctx: typer.Context, fmt_name: str, paths: list[Path], dry_run: bool, fmt: Format,
            type_map: list[str] | None = None, kind_map: list[str] | None = None) -> None:
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


Out = Annotated[Path, typer.Argument(help="Where to write.")]


def _export(ctx: typer.Context, write, out: Path) -> None:
    with _atlas(ctx) as atlas:
        written = write(atlas, out)
    for path in written:
        console.print(f"wrote {path}")


@export_app.command("bundle")
def export_bundle(ctx: typer.Context, out: Out) -> None:
    """Write the whole atlas as a JSON bundle (lossless: import it back with 'ecotone import bundle').

    Example: `ecotone export bundle atlas.json`
    """
    _export(ctx, exports.export_bundle, out)


@export_app.command("kumu")
def export_kumu(ctx: typer.Context, out: Out) -> None:
    """Write hubs, organisations and ties as a Kumu spreadsheet: OUT.xlsx, or CSV files in the folder OUT.

    Example: `ecotone export kumu atlas.xlsx` then import it at kumu.io.
    """
    _export(ctx, exports.export_kumu, out)


@export_app.command("csv")
def export_csv(ctx: typer.Context, out: Out) -> None:
    """Write one CSV table per kind of record (organizations.csv, ties.csv, deals.csv...) in the folder OUT.

    Example: `ecotone export csv tables/`
    """
    _export(ctx, exports.export_tables, out)


# -- browse ------------------------------------------------------------------------------------------------------
@app.command()
def hubs(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """List the hubs with their organisations and the ties inside them and across to other hubs."""
    with _atlas(ctx) as atlas:
        emit(browse.hub_table(atlas), fmt, title="Hubs",
             table_columns=("id", "name", "kind", "country", "organizations", "ties_inside", "ties_across"))


@app.command()
def stats(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Count organisations per hub and stakeholder type: who is where, and which core roles a hub lacks.

    The table lists each hub's types and missing roles; `--format csv` or `json` gives the full hub × type matrix.
    """
    with _atlas(ctx) as atlas:
        rows = browse.coverage_table(atlas)
    if fmt is Format.table:
        rows = browse.coverage_summary(rows)
    emit(rows, fmt, title="Organisations per hub and stakeholder type")


# -- analyze (stakeholders, brokerage and emerging are in cli/analysis.py) ------------------------------------------
HubsOpt = Annotated[Optional[list[str]], typer.Option(
    "--hub", help="Keep this hub's members (name, part of it, or id). Repeatable.")]
TypesOpt = Annotated[Optional[list[str]], typer.Option("--type", help="Keep this stakeholder type. Repeatable.")]
KindsOpt = Annotated[Optional[list[str]], typer.Option("--kind", help="Keep ties of this kind. Repeatable.")]
SinceOpt = Annotated[Optional[str], typer.Option(help="Keep ties active on or after this date (2020-01-01).")]
UntilOpt = Annotated[Optional[str], typer.Option(help="Keep ties started on or before this date.")]
MinWeightOpt = Annotated[Optional[float], typer.Option("--min-weight", help="Keep ties at least this strong.")]
ShowOpt = Annotated[Optional[str], typer.Option(
    help="Print only this part of the result (e.g. bridges); CSV prints the first part unless told.")]


def _filters(hub, type, kind, since, until, min_weight) -> Filters:
    return Filters(hubs=tuple(hub or ()), types=tuple(type or ()), kinds=tuple(kind or ()), since=since,
                   until=until, min_weight=min_weight)


def _show(result: Result, fmt: Format, show: str | None, columns: dict[str, tuple[str, ...]],
          titles: dict[str, str]) -> None:
    if show is not None and show not in result.tables:
        raise typer.BadParameter(f"no part {show!r}; parts: {', '.join(result.tables)}", param_hint="--show")
    if fmt is Format.json and show is None:
        emit_record(result.as_dict(), fmt)
        return
    names = [show] if show else ([next(iter(result.tables))] if fmt is Format.csv else list(result.tables))
    for name in names:
        rows = result.tables[name]
        wanted = columns.get(name)
        if wanted and rows:
            wanted = tuple(c for c in wanted if c in rows[0])
        emit(rows, fmt, title=titles.get(name, name), table_columns=wanted if fmt is Format.table else None)
    if fmt is Format.table and result.summary:
        console.print("  ".join(f"[bold]{k.replace('_', ' ')}[/bold] {_figure(v)}"
                                for k, v in result.summary.items() if v is not None))


def _figure(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_figure(v)}" for k, v in value.items())
    return str(value)


def _run(ctx: typer.Context, work, fmt: Format = Format.table):
    with _atlas(ctx) as atlas, progress_bar() as progress:
        try:
            return work(atlas, progress)
        except InputRejected as exc:
            show_problems(exc.problems, fmt)
            raise typer.Exit(1) from None


@analyze_app.command("metrics")
def analyze_metrics(
    ctx: typer.Context, hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, min_weight: MinWeightOpt = None,
    sort: Annotated[str, typer.Option(help="Rank actors by this metric.")] = "pagerank",
    top: Annotated[int, typer.Option(help="How many actors to list (0: all).", min=0)] = 20,
    exact_limit: Annotated[int, typer.Option(help="Exact shortest-path metrics in components up to this size; "
                                                  "estimated from pivots beyond.", min=1)] = analysis.EXACT_LIMIT,
    pivots: Annotated[int, typer.Option(help="Pivots for the estimates.", min=2)] = analysis.PIVOTS,
    seed: Annotated[int, typer.Option(help="Seed of the pivots.")] = 0,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Centralities of every actor (degree, betweenness, closeness, harmonic, eigenvector, PageRank, k-core,
    clustering, Burt's constraint and effective size) and the network's figures (density, components,
    reciprocity, path length, assortativity, cross-sector and cross-hub shares).

    Example: `ecotone analyze metrics --sort betweenness --top 10 --format csv`
    """
    result = _run(ctx, lambda atlas, p: analysis.metrics(
        atlas, _filters(hub, type, kind, since, until, min_weight), sort=sort, top=top or None,
        exact_limit=exact_limit, pivots=pivots, seed=seed, progress=p), fmt)
    _show(result, fmt, show, {"actors": ("name", "hub", "type", "degree", "betweenness", "closeness", "eigenvector",
                                         "pagerank", "core", "constraint")}, {"actors": f"Actors by {sort}"})


@analyze_app.command("communities")
def analyze_communities(
    ctx: typer.Context, hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, min_weight: MinWeightOpt = None,
    resolution: Annotated[float, typer.Option(help="Higher: more, smaller communities.", min=0.0001)] = 1.0,
    seed: Annotated[int, typer.Option(help="Same seed, same communities.")] = 0,
    min_size: Annotated[int, typer.Option(help="List communities of at least this many actors.", min=1)] = 3,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Leiden communities, each with its dominant hubs and types and its leading members.

    Example: `ecotone analyze communities --resolution 2 --show members --format csv`
    """
    result = _run(ctx, lambda atlas, p: analysis.communities(
        atlas, _filters(hub, type, kind, since, until, min_weight), resolution=resolution, seed=seed,
        min_size=min_size, progress=p), fmt)
    if show is None and fmt is Format.table:
        show = "communities"
    _show(result, fmt, show, {}, {"communities": "Communities"})


@analyze_app.command("gaps")
def analyze_gaps(
    ctx: typer.Context, hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, min_weight: MinWeightOpt = None,
    reach: Annotated[int, typer.Option(help="A need is met if a provider is within this many steps.", min=1)] = 2,
    thin: Annotated[int, typer.Option(help="Hub pairs with at most this many ties are gaps.", min=0)] = 2,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """The gap finder: actors whose needs nobody within reach can meet (by their stage and their stated needs),
    every stated need and how it is met, the register's clinical needs no innovation addresses yet, each hub's
    missing roles, and hubs with no or thin ties — each with the evidence and who could bridge it.

    Example: `ecotone analyze gaps --hub 'Medical Innovation Institute' --show unreached`
    """
    result = _run(ctx, lambda atlas, p: analysis.gaps(
        atlas, _filters(hub, type, kind, since, until, min_weight), reach_steps=reach, thin=thin, progress=p), fmt)
    _show(result, fmt, show, {"unreached": ("name", "hub", "need", "match", "nearest", "bridge", "provider"),
                              "needs": ("need", "actors", "match", "providers", "unreached"),
                              "clinical_needs": ("id", "statement", "severity", "status", "hub", "endorsements"),
                              "hub_pairs": ("hub_a", "hub_b", "ties", "bridge", "partner")},
          {"unreached": "Needs nobody within reach can meet", "needs": "Stated needs and how they are met",
           "clinical_needs": "Clinical needs no innovation addresses yet",
           "missing_roles": "Missing roles",
           "hub_pairs": "Hubs with no or thin ties"})


@analyze_app.command("diffusion")
def analyze_diffusion(
    ctx: typer.Context, hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, min_weight: MinWeightOpt = None,
    seed_org: Annotated[Optional[list[str]], typer.Option(
        "--seed-org", help="An actor the idea starts from (name or id). Repeatable.")] = None,
    steps: Annotated[int, typer.Option(help="Count who is reached within this many steps.", min=1)] = 3,
    probability: Annotated[float, typer.Option(help="Chance a tie of weight 1 passes the idea.", min=0.0001,
                                               max=1.0)] = 0.1,
    runs: Annotated[int, typer.Option(help="Monte Carlo runs.", min=1)] = 200,
    seed: Annotated[int, typer.Option(help="Same seed, same runs.")] = 0,
    best: Annotated[int, typer.Option(help="Also find the K actors that together spread furthest.", min=0)] = 0,
    top: Annotated[int, typer.Option(help="Actors to list.", min=1)] = 20,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Knowledge flow: who the seed actors reach within k steps, an independent-cascade simulation of how far and
    how fast an idea spreads (Monte Carlo, seeded), and the seed set of size K that spreads furthest.

    Example: `ecotone analyze diffusion --seed-org 'Medical Innovation Institute' --best 5`
    """
    result = _run(ctx, lambda atlas, p: analysis.diffusion(
        atlas, _filters(hub, type, kind, since, until, min_weight), seeds=seed_org or [], steps=steps,
        probability=probability, runs=runs, seed=seed, best=best, top=top, progress=p), fmt)
    _show(result, fmt, show, {"reached": ("name", "hub", "type", "probability", "mean_step")},
          {"reached": "Who the idea reaches", "curve": "Actors informed by each step (mean, 5–95%)",
           "reach": f"Reach within {steps} steps", "best_seeds": f"The {best} seeds that spread furthest"})


@analyze_app.command("report")
def analyze_report(
    ctx: typer.Context, out: Annotated[Path, typer.Argument(help="The HTML file to write.")] = Path("report.html"),
    hub: HubsOpt = None, type: TypesOpt = None, kind: KindsOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, min_weight: MinWeightOpt = None,
    focus: Annotated[Optional[str], typer.Option(help="Focus the report on this hub.")] = None,
) -> None:
    """Write one HTML page with the analysis: coverage heatmap and missing roles, power–interest grids and
    priority list, central players, top brokers and bridges between hubs, communities and gaps. It needs no
    network and no script: open it in any browser.

    Example: `ecotone analyze report report.html --focus 'Barcelona Health Hub'`
    """
    path = _run(ctx, lambda atlas, p: write_report(
        atlas, out, _filters(hub, type, kind, since, until, min_weight), hub=focus, progress=p))
    console.print(f"wrote {path}")


# -- network exports ---------------------------------------------------------------------------------------------
def _export_graph(ctx: typer.Context, fmt_name: str, out: Path, filters: Filters, **options) -> None:
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


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (errors are explained, never shown as tracebacks)."""
    try:
        # Standalone mode lets Typer report usage errors itself (exit code 2); ours come through to here.
        app(args=argv, prog_name="ecotone", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except InputRejected as exc:
        show_problems(exc.problems, Format.table)
        return 1
    except (AtlasError, ValueError) as exc:
        errors.print(f"[red]error:[/red] {exc}")
        return 1
    except OSError as exc:
        errors.print(f"[red]error:[/red] {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
        return 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a message, never a traceback
        errors.print(f"[red]unexpected error:[/red] {exc.__class__.__name__}: {exc}\n"
                     "Please report it with the command you ran.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

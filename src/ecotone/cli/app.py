"""The ``ecotone`` commands. Each is a thin wrapper over a function of :mod:`ecotone.services`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import __version__
from ..domain.problems import InputRejected
from ..services import browse, exports, imports
from ..services.demo import build_demo
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
export_app = typer.Typer(help="Export the atlas as a JSON bundle, a Kumu spreadsheet or CSV tables.",
                         no_args_is_help=True)
orgs_app = typer.Typer(help="List, show and add organisations (the actors of the ecosystems).", no_args_is_help=True)
ties_app = typer.Typer(help="List and add ties between organisations.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(orgs_app, name="orgs")
app.add_typer(ties_app, name="ties")

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
         fmt: FormatOpt = Format.table) -> None:
    """Build the demo atlas: the hubs, organisations, programmes and deals the seed articles name (each with its
    source), plus illustrative members so every hub is alive. Running it again changes nothing.

    Example: `ecotone demo && ecotone hubs`
    """
    with _atlas(ctx) as atlas, progress_bar() as progress:
        report = build_demo(atlas, seed=seed, progress=progress)
        _report(report, fmt)
        if fmt is Format.table:
            rows = [{k: h[k] for k in ("name", "country", "organizations", "ties_inside", "ties_across")}
                    for h in browse.hub_table(atlas)]
            emit(rows, fmt, title=f"Hubs in {atlas.url}")
            console.print("Next: [bold]ecotone stats[/bold] (who is where), [bold]ecotone orgs list --hub "
                          "'Barcelona Health Hub'[/bold], [bold]ecotone export kumu atlas.xlsx[/bold]")


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
    emit(report.rows(), fmt, title=title)
    for warning in report.warnings[:20]:
        errors.print(f"[yellow]warning:[/yellow] {warning}")
    if len(report.warnings) > 20:
        errors.print(f"[yellow]… and {len(report.warnings) - 20} more warnings[/yellow]")


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
def _paging(total: int, shown: int, limit: int, offset: int) -> str:
    span = f"{offset + 1}–{offset + shown}" if shown else "0"
    more = f"; next page: --offset {offset + limit}" if offset + limit < total else ""
    return f"{span} of {total}{more}"


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


@orgs_app.command("list")
def orgs_list(
    ctx: typer.Context,
    hub: Annotated[Optional[str], typer.Option(help="Hub name or id.")] = None,
    type: Annotated[Optional[list[str]], typer.Option("--type", help="Stakeholder type (repeatable).")] = None,
    helix: Annotated[Optional[str], typer.Option(help="academia, industry, government or civil_society.")] = None,
    country: Annotated[Optional[str], typer.Option(help="Two-letter country code.")] = None,
    tag: Annotated[Optional[str], typer.Option(help="A tag or focus area.")] = None,
    stage: Annotated[Optional[str], typer.Option(help="Startup stage.")] = None,
    search: Annotated[Optional[str], typer.Option("--search", "-s", help="Part of the name, any case.")] = None,
    limit: Annotated[int, typer.Option(help="Rows per page.", min=1)] = 50,
    offset: Annotated[int, typer.Option(help="Rows to skip (paging).", min=0)] = 0,
    fmt: FormatOpt = Format.table,
) -> None:
    """List organisations by name, filtered and paged.

    Example: `ecotone orgs list --hub 'Barcelona Health Hub' --type startup`
    """
    with _atlas(ctx) as atlas:
        page = browse.organization_page(atlas, limit=limit, offset=offset, hub=hub, type=type, helix=helix,
                                        country=country, tag=tag, stage=stage, search=search)
    emit(page.items, fmt, title="Organisations", footer=_paging(page.total, len(page.items), limit, offset),
         table_columns=("id", "name", "type", "hub", "country", "source"))


@orgs_app.command("show")
def orgs_show(ctx: typer.Context, org: Annotated[str, typer.Argument(help="Id or exact name.")],
              fmt: FormatOpt = Format.table) -> None:
    """Show one organisation: its fields, hub, ties, innovations and deals."""
    with _atlas(ctx) as atlas:
        emit_record(browse.organization_card(atlas, org), fmt, title=org)


@orgs_app.command("add")
def orgs_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The organisation's name.")],
    type: Annotated[str, typer.Option("--type", help="Stakeholder type: startup, hospital, university, investor…")],
    hub: Annotated[Optional[str], typer.Option(help="Hub name or id.")] = None,
    city: Optional[str] = None,
    country: Annotated[Optional[str], typer.Option(help="Two-letter country code.")] = None,
    focus: Annotated[Optional[list[str]], typer.Option(help="Focus area (repeatable).")] = None,
    offers: Annotated[Optional[list[str]], typer.Option(help="What it offers (repeatable).")] = None,
    needs: Annotated[Optional[list[str]], typer.Option(help="What it needs (repeatable).")] = None,
    tag: Annotated[Optional[list[str]], typer.Option(help="Tag (repeatable).")] = None,
    stage: Annotated[Optional[str], typer.Option(help="Stage of a startup.")] = None,
    website: Optional[str] = None,
    description: Optional[str] = None,
    visibility: Annotated[str, typer.Option(help="private, hub, network or public.")] = "network",
    fmt: FormatOpt = Format.table,
) -> None:
    """Add an organisation.

    Example: `ecotone orgs add 'Kardio Labs' --type startup --hub 'Barcelona Health Hub' --needs 'clinical validation'`
    """
    with _atlas(ctx) as atlas:
        org = browse.add_organization(
            atlas, hub=hub, name=name, type=type, city=city, country=country, focus_areas=focus or [],
            offers=offers or [], needs=needs or [], tags=tag or [], stage=stage, website=website,
            description=description, visibility=visibility, source="cli")
    emit_record({"id": org.id, "name": org.name, "type": org.type.value, "helix": org.helix.value}, fmt,
                title="Added")


@ties_app.command("list")
def ties_list(
    ctx: typer.Context,
    org: Annotated[Optional[str], typer.Option(help="Ties of this organisation (id or name).")] = None,
    hub: Annotated[Optional[str], typer.Option(help="Ties touching this hub.")] = None,
    kind: Annotated[Optional[list[str]], typer.Option(help="Tie kind (repeatable).")] = None,
    since: Annotated[Optional[str], typer.Option(help="Active on or after this date (2024-01-31).")] = None,
    until: Annotated[Optional[str], typer.Option(help="Started on or before this date.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    fmt: FormatOpt = Format.table,
) -> None:
    """List ties, filtered by organisation, hub, kind and time window.

    Example: `ecotone ties list --org Medlumics`
    """
    with _atlas(ctx) as atlas:
        page = browse.tie_page(atlas, limit=limit, offset=offset, organization=org, hub=hub, kind=kind,
                               since=since, until=until)
    emit(page.items, fmt, title="Ties", footer=_paging(page.total, len(page.items), limit, offset),
         table_columns=("id", "source", "target", "kind", "weight", "start", "end", "status"))


@ties_app.command("add")
def ties_add(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="From: organisation id or name.")],
    target: Annotated[str, typer.Argument(help="To: organisation id or name.")],
    kind: Annotated[str, typer.Option(help="partnership, investment, clinical_pilot, mentorship…")],
    undirected: Annotated[bool, typer.Option(help="The tie has no direction.")] = False,
    weight: Annotated[float, typer.Option(help="Strength (> 0).")] = 1.0,
    start: Annotated[Optional[dt.datetime], typer.Option(formats=["%Y-%m-%d"], help="Start date.")] = None,
    end: Annotated[Optional[dt.datetime], typer.Option(formats=["%Y-%m-%d"], help="End date.")] = None,
    status: Annotated[str, typer.Option(help="proposed, active or ended.")] = "active",
    evidence: Annotated[Optional[str], typer.Option(help="Where the tie is documented.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add a tie from one organisation to another.

    Example: `ecotone ties add 'Medical Innovation Institute' 'Barcelona Health Hub' --kind membership`
    """
    with _atlas(ctx) as atlas:
        tie = browse.add_tie(atlas, source, target, kind=kind, directed=not undirected, weight=weight,
                             start_date=start.date() if start else None, end_date=end.date() if end else None,
                             status=status, evidence=evidence, source="cli")
    emit_record({"id": tie.id, "source_id": tie.source_id, "target_id": tie.target_id, "kind": tie.kind.value},
                fmt, title="Added")


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

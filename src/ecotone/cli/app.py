"""The ``ecotone`` command line's root: the app, its command groups, the options and helpers every command shares,
and ``main``. The commands themselves are in the topic modules (demo, browse, exchange, network, analysis…).

Only light modules are imported here and by the modules that register top-level commands: a command imports the
services it calls when it runs, and each group's commands are made when the group is used (``_groups.py``), so
``ecotone --help`` and ``ecotone --version`` answer without loading pandas, igraph or SQLAlchemy.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .. import __version__
from ._groups import command_group
from ._output import Format, console, emit, emit_record, errors, progress_bar, show_problems

if TYPE_CHECKING:
    from ..services.analysis import Filters, Result
    from ..store import Atlas
    from ..store.merge import MergeReport

__all__ = ["app", "main"]

app = typer.Typer(
    name="ecotone",
    help="Map, analyse and connect health-innovation ecosystems.\n\n"
         "Start with `ecotone demo`, then `ecotone hubs` and `ecotone stats`. "
         "The atlas is the SQLite file ecotone.db in this folder unless --db or ECOTONE_DATABASE_URL says otherwise.",
    rich_markup_mode="markdown", no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)

# -- the command groups, in the order `ecotone --help` lists them, each with the modules that fill it ------------
analyze_app = command_group(
    "network", "analysis",
    help="Analyse the network: stakeholder map, centralities, brokers between hubs, communities, emerging "
         "collaborations, gaps, knowledge flow, and an HTML report. Every command takes the same filters "
         "(--hub, --type, --kind, --since, --until, --min-weight).", no_args_is_help=True)
import_app = command_group("exchange", help="Import a Kumu spreadsheet, a JSON bundle or a CORDIS extract: all or "
                                            "nothing, idempotent, previewable with --dry-run.", no_args_is_help=True)
export_app = command_group("exchange", help="Export the atlas as a JSON bundle, a Kumu spreadsheet or CSV tables, or "
                                            "its network as GEXF (Gephi), Pajek or GraphML.",
                           no_args_is_help=True)
match_app = command_group(
    "match",
    help="Connect ecosystems: recommend partners for what an innovation's stage needs, evaluate partnerships with "
         "a scorecard, match startups to sites, schedule a brokerage event, and follow introductions.",
    no_args_is_help=True)
simulate_app = command_group(
    "simulate",
    help="System dynamics: the built-in ecosystem model calibrated to a hub's history, Monte Carlo scenarios of "
         "interventions, sensitivity, and XMILE models in and out (Stella, Vensim, PySD).",
    no_args_is_help=True)
users_app = command_group("accounts", help="Accounts of the people who use the atlas through the browser or the API: "
                                           "their role (admin, manager, editor, viewer), hubs and organisation.",
                          no_args_is_help=True)
tokens_app = command_group("accounts", help="API tokens (`Authorization: Bearer TOKEN`): create one for an account, "
                                            "list and revoke them.", no_args_is_help=True)
people_app = command_group("accounts", "records",
                           help="People in the organisations (clinicians, mentors, programme managers): list, show, "
                                "add, update and delete them; their own data on request: export it (GDPR art. 15) or "
                                "erase it (art. 17).", no_args_is_help=True)
orgs_app = command_group("records", help="List, show, add, update and delete organisations (the actors of the "
                                         "ecosystems).", no_args_is_help=True)
ties_app = command_group("records", help="List, show, add, update and delete ties between organisations.",
                         no_args_is_help=True)
#: The other kinds of record the registry's commands keep (cli/records.py), each a group of its own.
RECORD_GROUPS: dict[str, typer.Typer] = {group: command_group(
    "records", help=f"{words} List, show, add, update and delete them.", no_args_is_help=True) for group, words in {
    "innovations": "Innovations (the solutions organisations bring towards patients) and their current stage.",
    "stages": "Stage events: an innovation entering a stage on a day (velocity is computed from them).",
    "deals": "Funding deals: who received how much from whom, when.",
    "programs": "Programmes: incubator and accelerator cohorts, challenges, grants, competitions, mentorship.",
    "intros": "Introductions a facilitator made, and how far each went: meeting, pilot, partnership.",
    "kpis": "The KPIs partnerships declare (targets, baselines, due days).",
}.items()}
pathways_app = command_group(
    "pathways",
    help="The regulatory pathways (CE under the MDR, FDA 510(k), De Novo, PMA, DiGA…) and the months each takes "
         "from filing to a decision — the simulation's prior for approval. The figures are published ones, each "
         "with its source; a hub replaces them with its own by importing a CSV, kept beside the atlas file "
         "(hub.db → hub.pathways.csv, with an audit log hub.pathways.csv.log).", no_args_is_help=True)
challenges_app = command_group(
    "challenges",
    help="Open innovation: challenges, grants and competitions answering clinical needs — a sponsor, a prize, a "
         "timeline, eligibility, a weighted rubric; submissions, judges with declared conflicts, their scores, an "
         "open ranking, the winners and their follow-up.",
    no_args_is_help=True)
needs_app = command_group(
    "needs",
    help="The registry of unmet clinical needs, each stated in Biodesign's form (a way to PROBLEM in POPULATION "
         "in order to OUTCOME): list them (the gaps no innovation addresses too), show one with its endorsements "
         "and the innovations addressing it, add one, or import a register from CSV or .xlsx.",
    no_args_is_help=True)
jobs_app = command_group(
    "jobs",
    help="The background jobs of the atlas — simulations, brokerage events, large analyses — queued from the "
         "web application or the API: list them, show one, cancel or retry it. Run by `ecotone worker` on "
         "PostgreSQL, by `ecotone serve` itself on SQLite.", no_args_is_help=True)
for _name, _group in {"analyze": analyze_app, "import": import_app, "export": export_app, "match": match_app,
                      "simulate": simulate_app, "users": users_app, "tokens": tokens_app, "people": people_app,
                      "orgs": orgs_app, "ties": ties_app, **RECORD_GROUPS, "pathways": pathways_app,
                      "challenges": challenges_app, "needs": needs_app, "jobs": jobs_app}.items():
    app.add_typer(_group, name=_name)

# -- options many commands take ----------------------------------------------------------------------------------
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output: table, json or csv.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would be created, updated or rejected; write nothing.")]
HubsOpt = Annotated[Optional[list[str]], typer.Option(
    "--hub", help="Keep this hub's members (name, part of it, or id). Repeatable.")]
TypesOpt = Annotated[Optional[list[str]], typer.Option("--type", help="Keep this stakeholder type. Repeatable.")]
KindsOpt = Annotated[Optional[list[str]], typer.Option("--kind", help="Keep ties of this kind. Repeatable.")]
SinceOpt = Annotated[Optional[str], typer.Option(help="Keep ties active on or after this date (2020-01-01).")]
UntilOpt = Annotated[Optional[str], typer.Option(help="Keep ties started on or before this date.")]
MinWeightOpt = Annotated[Optional[float], typer.Option("--min-weight", help="Keep ties at least this strong.")]
ShowOpt = Annotated[Optional[str], typer.Option(
    help="Print only this part of the result (e.g. bridges); CSV prints the first part unless told.")]


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
    from ..store import Atlas

    return Atlas.open(ctx.find_root().obj["db"])


# -- what commands share: an import's report, the analyses' filters, a result's parts --------------------------
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


def _filters(hub, type, kind, since, until, min_weight) -> Filters:
    from ..services.analysis import Filters

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
    from ..domain.problems import InputRejected

    with _atlas(ctx) as atlas, progress_bar() as progress:
        try:
            return work(atlas, progress)
        except InputRejected as exc:
            show_problems(exc.problems, fmt)
            raise typer.Exit(1) from None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (errors are explained, never shown as tracebacks)."""
    try:
        # Standalone mode lets Typer report usage errors itself (exit code 2); ours come through to here.
        app(args=argv, prog_name="ecotone", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a message, never a traceback
        return _failed(exc)
    return 0


def _failed(exc: Exception) -> int:
    """Say why a command failed, in words; 1 is its exit code.

    The kinds of error are looked up only now: an atlas error can only come from an atlas module already loaded.
    """
    from ..domain.problems import InputRejected

    store = sys.modules.get("ecotone.store.atlas")
    if isinstance(exc, InputRejected):
        show_problems(exc.problems, Format.table)
    elif isinstance(exc, ValueError) or (store is not None and isinstance(exc, store.AtlasError)):
        errors.print(f"[red]error:[/red] {exc}")
    elif isinstance(exc, OSError):
        errors.print(f"[red]error:[/red] {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    else:
        errors.print(f"[red]unexpected error:[/red] {exc.__class__.__name__}: {exc}\n"
                     "Please report it with the command you ran.")
    return 1


if __name__ == "__main__":
    sys.exit(main())

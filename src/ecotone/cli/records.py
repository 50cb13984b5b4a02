"""The registry's commands: ``orgs``, ``ties``, ``people``, ``innovations``, ``stages``, ``deals``, ``programs``,
``intros`` and ``kpis``, each with ``list|show|add|update|delete`` over :mod:`ecotone.services.registry`, their
options made from the records' fields."""

from __future__ import annotations

import datetime as dt
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ..domain import (ENTITIES, Deal, Innovation, Introduction, Kpi, Organization, Person, Program, ProgramKind,
                      Record, StageEvent, Tie)
from ..store._filters import FILTERS
from ._fields import field_options, field_values, flags_of, make_command, parameters, reference_label, with_names
from ._output import Format, console, emit, emit_record
from .app import RECORD_GROUPS, FormatOpt, _atlas, orgs_app, people_app, ties_app

if TYPE_CHECKING:
    from ..store import Atlas

__all__ = ["orgs_app", "ties_app", "KINDS", "record_id"]


@dataclass(frozen=True)
class Kind:
    """A kind of record as the command line keeps it: its group, words, table columns and an example per command."""

    group: str
    cls: type[Record]
    one: str
    many: str
    columns: tuple[str, ...]
    examples: dict[str, str]
    app: typer.Typer | None = None
    order_by: str = "id"
    #: The record as ``show`` prints it, when it is more than its fields (an organisation's card).
    card: Callable[[Atlas, int], dict[str, Any]] | None = None
    #: Fields ``add`` takes as arguments rather than options (an organisation's NAME).
    arguments: tuple[str, ...] = field(default=())

    @property
    def entity(self) -> str:
        return self.cls.entity


def record_id(atlas: Atlas, entity: str, ref: str) -> int:
    """The id of a record given by id or, for kinds with a name, by its exact name (any case); organisations and hubs
    as the atlas finds them (an external id, a part of a hub's name)."""
    from ..store import AtlasError
    from ..store.atlas import NotFound

    ref = str(ref).strip()
    if entity == "organization":
        return atlas.organization_id(ref)
    if entity == "hub":
        return atlas.hub_id(ref)
    if ref.isascii() and ref.isdigit():
        return int(ref)
    cls, label = ENTITIES[entity], entity.replace("_", " ")
    if "name" not in cls.model_fields or "search" not in FILTERS[entity]:
        raise NotFound(f"a {label} is given by its id, a number such as 12 (not {ref!r})")
    hits = [r["id"] for r in atlas.find_rows(cls, search=ref, limit=None).items
            if r["name"].casefold() == ref.casefold()]
    if len(hits) > 1:
        raise AtlasError(f"{len(hits)} records of kind {label} are named {ref!r} (ids {', '.join(map(str, hits))}); "
                         "give the id instead")
    if not hits:
        raise NotFound(f"no {label} is named {ref!r}")
    return hits[0]


# -- printing ----------------------------------------------------------------------------------------------------
def _cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, dict) else value


def _shown(atlas: Atlas, kind: Kind, rid: int) -> dict[str, Any]:
    """A record as ``show`` prints it: its fields (with the names of what it refers to), version and provenance."""
    record = atlas.get(kind.cls, rid)
    data = kind.card(atlas, rid) if kind.card else record.model_dump(mode="json")
    common = [f for f in Record.model_fields if f != "id"]  # what every record carries goes after its own fields
    data = {**{k: v for k, v in data.items() if k not in common}, **{k: data[k] for k in common if k in data}}
    [data] = with_names(atlas, kind.cls, [data])
    return {**data, "version": atlas.version(kind.entity, rid), "provenance": atlas.provenance(kind.entity, rid)}


def _print_record(data: dict[str, Any], fmt: Format, title: str) -> None:
    if fmt is Format.json:
        emit_record(data, fmt)
        return
    provenance = data.get("provenance") or {}
    labels = {reference_label(k): k for k in provenance}
    rows = [{"field": "version", "value": data["version"], "from": ""}]
    rows += [{"field": k, "value": _cell(v), "from": provenance.get(k) or provenance.get(labels.get(k, ""), "") or ""}
             for k, v in data.items() if k not in ("version", "provenance")]
    emit(rows, fmt, title=f"{title} (version {data['version']})")


def _title(kind: Kind, data: dict[str, Any]) -> str:
    name = data.get("name")
    return f"{kind.one} {data['id']}" + (f": {name}" if name else "")


# -- the commands, made for each kind ----------------------------------------------------------------------------
_CTX = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)
_FMT = inspect.Parameter("fmt", inspect.Parameter.KEYWORD_ONLY, default=Format.table, annotation=FormatOpt)
_IF_VERSION = inspect.Parameter("if_version", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
    Optional[int], typer.Option("--if-version", min=1, metavar="N",
                                help="Only if the record is still at version N (as `show` printed it): refused, "
                                     "naming who changed it, when it changed since.")])
_YES = inspect.Parameter("yes", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
    bool, typer.Option("--yes", help="Do not ask for confirmation.")])


def _ref(kind: Kind) -> inspect.Parameter:
    named = "name" in kind.cls.model_fields and ("search" in FILTERS[kind.entity] or kind.entity == "organization")
    words = f"The {kind.one}'s id" + (" or exact name." if named else f" (see `ecotone {kind.group} list`).")
    return inspect.Parameter("ref", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[
        str, typer.Argument(metavar=kind.one.upper().replace(" ", "_"), help=words, show_default=False)])


def _a(words: str) -> str:
    return ("an " if words[0].lower() in "aeiou" else "a ") + words


#: What goes with a deleted record, for the help (the confirmation counts them).
_GOES = {"orgs": "its ties, innovations with their stage events, participations, deals received and introductions: "
                 "said", "innovations": "its stage events: said", "programs": "its participations: said",
         "kpis": "its actuals: said"}


def _doc(kind: Kind, command: str, text: str) -> str:
    return f"{text}\n\nExample: `{kind.examples[command]}`"


#: Filters of ``list`` (store/_filters.py): their options, help and whether they repeat.
_FILTER_OPTIONS: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "search": (("--search", "-s"), "Part of the name, any case.", False),
    "hub": (("--hub",), "Hub (name, a part of it only one hub has, or id).", False),
    "organization": (("--organization", "--org"), "Organisation (id or name).", False),
    "program": (("--program",), "Programme id.", False),
    "type": (("--type",), "Stakeholder type (repeatable).", True),
    "helix": (("--helix",), "academia, industry, government or civil_society.", False),
    "country": (("--country",), "Two-letter country code.", False),
    "tag": (("--tag",), "A tag or focus area.", False),
    "stage": (("--stage",), "Stage (repeatable): idea, prototype, clinical_validation, regulatory_approval, "
                            "market_launch, scale, cross_border, stopped.", True),
    "kind": (("--kind",), "Kind (repeatable).", True),
    "innovation": (("--innovation",), "Innovation (id or exact name).", False),
    "since": (("--since",), "On or after this day (YYYY-MM-DD).", False),
    "until": (("--until",), "On or before this day (YYYY-MM-DD).", False),
}


def _list_filters(kind: Kind) -> list[str]:
    # The store filters stage events by stage and day only; their innovation is what people look for.
    extra = {"innovation"} if kind.entity == "stage_event" else set()
    return [name for name in _FILTER_OPTIONS if name in FILTERS[kind.entity] | extra]


def add_list(kind: Kind) -> None:
    """``KIND list``: a page of records, filtered as the atlas filters that kind."""
    names = _list_filters(kind)
    params = [_CTX]
    for name in names:
        decls, words, many = _FILTER_OPTIONS[name]
        if name == "kind" and kind.entity == "program":
            words = "Programme kind (repeatable): " + ", ".join(ProgramKind.choices()) + "."
        hint = Optional[list[str]] if many else Optional[str]
        params.append(inspect.Parameter("q_" + name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                        annotation=Annotated[hint, typer.Option(*decls, help=words)]))
    params += [inspect.Parameter("limit", inspect.Parameter.KEYWORD_ONLY, default=50, annotation=Annotated[
                   int, typer.Option(min=1, help="Rows per page.")]),
               inspect.Parameter("offset", inspect.Parameter.KEYWORD_ONLY, default=0, annotation=Annotated[
                   int, typer.Option(min=0, help="Rows to skip (paging).")]), _FMT]

    def run(ctx: typer.Context, limit: int, offset: int, fmt: Format, **given: Any) -> None:
        wanted = {k[2:]: v for k, v in given.items() if v is not None}
        innovation = wanted.pop("innovation", None)
        with _atlas(ctx) as atlas:
            if innovation is None:
                page = atlas.find_rows(kind.cls, limit=limit, offset=offset, order_by=kind.order_by, **wanted)
                items, total = page.items, page.total
            else:
                iid = record_id(atlas, "innovation", innovation)
                every = [r for r in atlas.find_rows(kind.cls, limit=None, order_by=kind.order_by, **wanted).items
                         if r["innovation_id"] == iid]
                items, total = every[offset:offset + limit], len(every)
            rows = [{k: _cell(v) for k, v in r.items()} for r in with_names(atlas, kind.cls, items)]
        emit(rows, fmt, title=kind.many[0].upper() + kind.many[1:], footer=_paging(total, len(rows), limit, offset),
             table_columns=[c for c in kind.columns if not rows or c in rows[0]] if fmt is Format.table else None)

    filters = ", ".join(_FILTER_OPTIONS[n][0][0] for n in names)
    kind_app(kind).command("list")(make_command(run, params, _doc(
        kind, "list", f"List {kind.many}, filtered ({filters}) and paged; JSON and CSV carry every field.")))


def add_show(kind: Kind) -> None:
    """``KIND show REF``: the record, its version and where each field's value came from."""
    def run(ctx: typer.Context, ref: str, fmt: Format) -> None:
        with _atlas(ctx) as atlas:
            data = _shown(atlas, kind, record_id(atlas, kind.entity, ref))
        _print_record(data, fmt, _title(kind, data))

    kind_app(kind).command("show")(make_command(run, [_CTX, _ref(kind), _FMT], _doc(
        kind, "show", f"Show {_a(kind.one)}: every field, its version (for --if-version) and, for each field, where "
                      "its value came from (a file and row, an article, or who set it).")))


def add_add(kind: Kind, *, allow_duplicate: bool = False) -> None:
    """``KIND add``: a new record from one option per field."""
    options = field_options(kind.cls, creating=True, skip=kind.arguments)
    args = [inspect.Parameter("a_" + name, inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[
                str, typer.Argument(metavar=name.upper(), help=f"The {kind.one}'s {name}.", show_default=False)])
            for name in kind.arguments]
    extra = [inspect.Parameter("allow_duplicate", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
        bool, typer.Option("--allow-duplicate", help="Add it even though an organisation of the same name (case, "
                                                     "accents and legal suffixes aside) is in its hub.")])
             ] if allow_duplicate else []

    def run(ctx: typer.Context, fmt: Format, allow_duplicate: bool = False, **given: Any) -> None:
        from ..services import registry

        flags = flags_of(options) | {name: name.upper() for name in kind.arguments}
        with _atlas(ctx) as atlas:
            data = field_values(options, given, lambda entity, text: record_id(atlas, entity, text))
            data.update({k[2:]: v for k, v in given.items() if k.startswith("a_")})
            record = registry.create(atlas, kind.cls, data, allow_duplicate=allow_duplicate, flags=flags)
            shown = _shown(atlas, kind, record.id)
        _print_record(shown, fmt, "Added " + _title(kind, shown))

    required = ", ".join([n.upper() for n in kind.arguments] + [o.flag for o in options if o.required])
    kind_app(kind).command("add")(make_command(run, [_CTX, *args, *parameters(options), *extra, _FMT], _doc(
        kind, "add", f"Add {_a(kind.one)}: {required} required, any other field as its option; references by id "
                     "or name, lists comma-separated. A wrong value is reported by its option with what is allowed."
        + (" An organisation whose name matches one in its hub is refused, naming it, unless --allow-duplicate."
           if allow_duplicate else ""))))


def add_update(kind: Kind) -> None:
    """``KIND update REF``: the fields given, and only those, changed."""
    options = field_options(kind.cls, creating=False)

    def run(ctx: typer.Context, ref: str, if_version: int | None, fmt: Format, **given: Any) -> None:
        from ..services import registry
        from ..store import AtlasError

        with _atlas(ctx) as atlas:
            rid = record_id(atlas, kind.entity, ref)
            wanted = field_values(options, given, lambda entity, text: record_id(atlas, entity, text))
            if not wanted:
                raise AtlasError(f"nothing to change: give the fields to set, e.g. `{kind.examples['update']}` "
                                 f"(`ecotone {kind.group} update --help` lists them)")
            registry.update(atlas, kind.cls, rid, wanted, expected_version=if_version, flags=flags_of(options))
            shown = _shown(atlas, kind, rid)
        _print_record(shown, fmt, "Updated " + _title(kind, shown))

    kind_app(kind).command("update")(make_command(run, [_CTX, _ref(kind), *parameters(options), _IF_VERSION, _FMT],
                                                  _doc(kind, "update", f"Change {_a(kind.one)}: only the fields given "
                                                       "are written (a list given replaces the list); '' clears a "
                                                       "field. Each field changed records `cli` as its source.")))


def add_delete(kind: Kind) -> None:
    """``KIND delete REF``: says what goes with it, asks, deletes."""
    def run(ctx: typer.Context, ref: str, yes: bool, if_version: int | None) -> None:
        from ..services import changes, registry

        with _atlas(ctx) as atlas:
            rid = record_id(atlas, kind.entity, ref)
            if if_version is not None and atlas.version(kind.entity, rid) != if_version:
                registry.delete(atlas, kind.cls, rid, expected_version=if_version)  # refused, saying who changed it
            preview = registry.deletion_preview(atlas, kind.cls, rid)
            console.print(preview["summary"])
            named = "" if preview["name"].startswith("this ") else f" ({preview['name']})"
            if not yes and not typer.confirm(f"Delete {kind.one} {rid}{named}?"):
                console.print("Nothing was deleted.")
                raise typer.Exit(1)
            registry.delete(atlas, kind.cls, rid, expected_version=if_version)
            [entry] = changes.list_changes(atlas, record=f"{kind.entity}:{rid}", limit=1)["data"]
        console.print(f"Deleted {kind.one} {rid}. Bring it back with: ecotone changes --revert {entry['id']}")

    kind_app(kind).command("delete")(make_command(run, [_CTX, _ref(kind), _YES, _IF_VERSION], _doc(
        kind, "delete", f"Delete {_a(kind.one)} with what goes with it ({_GOES.get(kind.group, 'said')} before "
                        "asking, unless --yes), clearing references to it from other records. The history keeps it "
                        "all: the `ecotone changes --revert ID` printed brings it back.")))


def kind_app(kind: Kind) -> typer.Typer:
    return kind.app or GROUPS[kind.group]


def _paging(total: int, shown: int, limit: int, offset: int) -> str:
    span = f"{offset + 1}–{offset + shown}" if shown else "0"
    more = f"; next page: --offset {offset + limit}" if offset + limit < total else ""
    return f"{span} of {total}{more}"


# -- the kinds ---------------------------------------------------------------------------------------------------
def _organization_card(atlas: Atlas, rid: int) -> dict[str, Any]:
    from ..services import browse

    return browse.organization_card(atlas, str(rid))


KINDS: dict[str, Kind] = {k.group: k for k in (
    Kind("orgs", Organization, "organisation", "organisations", ("id", "name", "type", "hub", "country", "source"), {
        "show": "ecotone orgs show Medlumics",
        "update": "ecotone orgs update 'Kardio Labs' --stage clinical_validation --tags cardiology,telemonitoring "
                  "--if-version 1",
        "delete": "ecotone orgs delete 'Kardio Labs'",
        "add": "ecotone orgs add 'Kardio Labs' --type startup --hub 'Medical Innovation Institute' "
               "--needs 'clinical validation'"},
         app=orgs_app, order_by="name", card=lambda atlas, rid: _organization_card(atlas, rid),
         arguments=("name",)),
    Kind("ties", Tie, "tie", "ties", ("id", "from", "to", "kind", "weight", "start_date", "end_date", "status"), {
        "show": "ecotone ties show 7", "update": "ecotone ties update 7 --status ended --end 2026-06-30",
        "delete": "ecotone ties delete 7 --yes"}, app=ties_app),
    Kind("people", Person, "person", "people", ("id", "name", "role", "organization", "specialty"), {
        "list": "ecotone people list --organization 'Barcelona University Hospital'",
        "show": "ecotone people show 'Dr. Ana Muller'",
        "add": "ecotone people add --name 'Dr. Ana Ruiz' --organization 'Barcelona University Hospital' "
               "--role cardiologist --expertise 'heart failure,telemonitoring'",
        "update": "ecotone people update 'Dr. Ana Ruiz' --role 'head of cardiology' --if-version 1",
        "delete": "ecotone people delete 'Dr. Ana Ruiz'"}, app=people_app, order_by="name"),
    Kind("innovations", Innovation, "innovation", "innovations",
         ("id", "name", "organization", "stage", "category", "clinical_area"), {
        "list": "ecotone innovations list --hub 'Barcelona Health Hub' --stage clinical_validation",
        "show": "ecotone innovations show Ablaview",
        "add": "ecotone innovations add --name 'Kardio Patch' --organization Medlumics --stage prototype "
               "--clinical-area cardiology",
        "update": "ecotone innovations update 'Kardio Patch' --stage clinical_validation "
                  "--regulatory-pathway 'EU MDR class IIa'",
        "delete": "ecotone innovations delete 'Kardio Patch' --yes"}, order_by="name"),
    Kind("stages", StageEvent, "stage event", "stage events", ("id", "innovation", "stage", "date", "note"), {
        "list": "ecotone stages list --innovation Ablaview",
        "show": "ecotone stages show 12",
        "add": "ecotone stages add --innovation Ablaview --stage regulatory_approval --date 2026-03-01 "
               "--note 'CE mark'",
        "update": "ecotone stages update 12 --date 2026-03-15",
        "delete": "ecotone stages delete 12"}, order_by="date"),
    Kind("deals", Deal, "deal", "deals", ("id", "recipient", "amount", "currency", "date", "round_type", "investors"), {
        "list": "ecotone deals list --organization Medlumics",
        "show": "ecotone deals show 1",
        "add": "ecotone deals add --recipient Medlumics --amount 5000000 --date 2026-02-01 --round-type series_a "
               "--investors 'Ysios Capital,Caixa Capital Risc'",
        "update": "ecotone deals update 1 --amount 34500000",
        "delete": "ecotone deals delete 1"}),
    Kind("programs", Program, "programme", "programmes", ("id", "name", "kind", "hub", "operator", "start_date",
                                                          "end_date"), {
        "list": "ecotone programs list --hub 'Texas Medical Center' --kind accelerator",
        "show": "ecotone programs show TMCx",
        "add": "ecotone programs add --name 'Cardio Challenge 2026' --kind challenge --hub 'Barcelona Health Hub' "
               "--start 2026-03-01 --end 2026-06-30",
        "update": "ecotone programs update 'Cardio Challenge 2026' --budget 250000",
        "delete": "ecotone programs delete 'Cardio Challenge 2026'"}, order_by="name"),
    Kind("intros", Introduction, "introduction", "introductions",
         ("id", "organization", "partner", "facilitator", "introduced_on", "met_on", "pilot_on", "partnered_on"), {
        "list": "ecotone intros list --organization 'Medical Innovation Institute Neurolink'",
        "show": "ecotone intros show 1",
        "add": "ecotone intros add --organization 'Kardio Labs' --partner 'Barcelona University Hospital' "
               "--facilitator 'Medical Innovation Institute' --introduced-on 2026-01-20",
        "update": "ecotone intros update 1 --met-on 2025-01-20",
        "delete": "ecotone intros delete 1"}, order_by="introduced_on"),
    Kind("kpis", Kpi, "KPI", "KPIs", ("id", "partnership", "name", "unit", "baseline", "target", "direction",
                                      "due_date"), {
        "list": "ecotone kpis list --search pilots",
        "show": "ecotone kpis show 'clinical pilots run'",
        "add": "ecotone kpis add --partnership 'Polish–Spanish health innovation bridge' --name 'patients reached' "
               "--unit patients --target 500",
        "update": "ecotone kpis update 'patients reached' --target 800",
        "delete": "ecotone kpis delete 'patients reached'"}),
)}

GROUPS: dict[str, typer.Typer] = RECORD_GROUPS


# -- orgs and ties: list and add as they were, the rest as every kind's ----------------------------------------
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
    from ..services import browse

    with _atlas(ctx) as atlas:
        page = browse.organization_page(atlas, limit=limit, offset=offset, hub=hub, type=type, helix=helix,
                                        country=country, tag=tag, stage=stage, search=search)
    emit(page.items, fmt, title="Organisations", footer=_paging(page.total, len(page.items), limit, offset),
         table_columns=("id", "name", "type", "hub", "country", "source"))


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
    from ..services import browse

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
    from ..services import browse

    with _atlas(ctx) as atlas:
        tie = browse.add_tie(atlas, source, target, kind=kind, directed=not undirected, weight=weight,
                             start_date=start.date() if start else None, end_date=end.date() if end else None,
                             status=status, evidence=evidence, source="cli")
        shown = _shown(atlas, KINDS["ties"], tie.id)
    _print_record(shown, fmt, "Added " + _title(KINDS["ties"], shown))


add_show(KINDS["orgs"])
add_add(KINDS["orgs"], allow_duplicate=True)
add_update(KINDS["orgs"])
add_delete(KINDS["orgs"])
for _command in (add_show, add_update, add_delete):
    _command(KINDS["ties"])
for _kind in KINDS.values():
    if _kind.group not in ("orgs", "ties"):
        for _command in (add_list, add_show, add_add, add_update, add_delete):
            _command(_kind)

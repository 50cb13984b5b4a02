"""Command-line options made from a record's fields: one ``--FIELD`` per field of the domain model, and the
values given turned back into the record's fields (references by id or name, lists comma-separated)."""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ..domain import ENTITIES, REFERENCES, Record
from ..domain.problems import InputRejected, Problem

if TYPE_CHECKING:
    from ..store import Atlas

__all__ = ["FieldOption", "field_options", "field_values", "flags_of", "parameters", "reference_label", "with_names",
           "make_command"]

#: Options whose name is not the field's own: the words people use on the command line. A tie's ends are
#: ``--from``/``--to`` because ``--source`` is where a record's facts come from.
_NAMES: dict[str, tuple[str, ...]] = {
    "start_date": ("--start",), "end_date": ("--end",), "tags": ("--tags", "--tag"),
    "focus_areas": ("--focus-areas", "--focus"), "source_id": ("--from",), "target_id": ("--to",),
}

#: The kinds of record referred to, in the words of the help.
_WORDS = {"organization": "organisation", "program": "programme", "kpi": "KPI", "stage_event": "stage event"}

#: What a field holds, in words, where its name alone does not say it.
_HELP: dict[str, str] = {
    "name": "The name.", "type": "Stakeholder type.", "short_name": "A shorter name (an acronym).",
    "city": "City.", "region": "Region.", "country": "Two-letter country code (ES, PL, UK, US).",
    "latitude": "Latitude (-90 to 90).", "longitude": "Longitude (-180 to 180).",
    "focus_areas": "Focus areas.", "offers": "What it offers (e.g. 'clinical validation').",
    "needs": "What it needs (e.g. 'regulatory advice').", "tags": "Tags.", "stage": "Stage.",
    "size": "Size class.", "founded": "Year founded.", "website": "Website.", "description": "Description.",
    "visibility": "Who may see it.", "source": "Where its facts come from (a file, article or URL; default: cli).",
    "owner_kind": "What owns it: organization or hub (with --owner-id).", "owner_id": "The id of its owner.",
    "external_ids": "Ids elsewhere, as SCHEME=VALUE, comma-separated (cordis_pic=999999999).",
    "role": "Role (e.g. cardiologist, programme manager).", "specialty": "Clinical specialty.",
    "expertise": "Fields of expertise.", "email": "E-mail: personal data, kept only with --consent.",
    "consent": "The person agreed to their contact details being kept.",
    "kind": "Kind.", "directed": "The tie has a direction (from → to).", "weight": "Strength (> 0).",
    "status": "Status.", "label": "Label.", "evidence": "Where it is documented.",
    "category": "Category (e.g. diagnostic device, software as a medical device).",
    "clinical_area": "Clinical area (e.g. cardiology).",
    "regulatory_pathway": "Regulatory pathway (e.g. EU MDR class IIa).",
    "date": "Date.", "note": "Note.", "amount": "Amount (≥ 0).", "currency": "Three-letter currency code (EUR, USD).",
    "round_type": "Round type.", "budget": "Budget (≥ 0).", "event": "The event where it happened.",
    "introduced_on": "Day of the introduction.", "met_on": "Day they met.", "pilot_on": "Day a pilot started.",
    "partnered_on": "Day they became partners.", "unit": "Unit (months, patients...).", "baseline": "Baseline value.",
    "target": "Target value.", "direction": "Whether more or less is better.", "due_date": "Day the target is due.",
    "start_date": "Start day.", "end_date": "End day.", "value": "Value.",
    # open innovation (challenges, grants, competitions)
    "prize": "Prize (≥ 0, in the currency).", "closes_on": "Day submissions close.",
    "judged_by": "Day judging ends.", "awarded_on": "Day the winners are announced.",
    "eligibility": "Who may enter, in words.",
    "rubric": "The judges' criteria as CRITERION=WEIGHT, comma-separated (default: overall=1).",
    "shortlist": "How many are shortlisted.", "winners": "How many win (default 1).",
    "normalisation": "How judges' scores are normalised: z (default), robust or raw.",
}


@dataclass(frozen=True)
class FieldOption:
    """One field of a record as a command-line option."""

    field: str
    decls: tuple[str, ...]
    shape: str  # text, list, bool, ref, refs or pairs
    refers_to: str | None
    required: bool
    help: str
    metavar: str = "TEXT"

    @property
    def param(self) -> str:
        """The name of the command's parameter that receives it."""
        return "f_" + self.field

    @property
    def flag(self) -> str:
        """The option as an error message names it."""
        return self.decls[0].split("/")[0]


def _unwrap(annotation: Any) -> Any:
    """``X | None`` → ``X``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def reference_label(field: str) -> str:
    """What a reference field is called once it holds a name: ``organization_id`` → ``organization``.

    >>> reference_label("investor_ids"), reference_label("source_id"), reference_label("hub_id")
    ('investors', 'from', 'hub')
    """
    if field in _NAMES:
        return _NAMES[field][0].removeprefix("--")
    if field.endswith("_ids"):
        return field.removesuffix("_ids") + "s"
    return field.removesuffix("_id")


def field_options(cls: type[Record], *, creating: bool, skip: Iterable[str] = ()) -> list[FieldOption]:
    """One option per field of ``cls`` (its id and those in ``skip`` aside); required ones are required only when
    ``creating``.

    >>> from ecotone.domain import Person
    >>> [(o.decls[0], o.shape) for o in field_options(Person, creating=True)][:4]
    [('--name', 'text'), ('--role', 'text'), ('--organization', 'ref'), ('--specialty', 'text')]
    >>> [o.decls[0] for o in field_options(Person, creating=True) if o.required]
    ['--name']
    """
    refs = REFERENCES.get(cls.entity, {})
    out = []
    # The record's own fields first, then what every record carries (owner, visibility, source, external ids)
    common = [f for f in cls.model_fields if f in Record.model_fields]
    for name in [f for f in cls.model_fields if f not in common] + common:
        info = cls.model_fields[name]
        if name == "id" or name in skip:
            continue
        kind = _unwrap(info.annotation)
        origin = typing.get_origin(kind)
        refers_to = refs.get(name)
        words = _HELP.get(name, name.replace("_", " ").capitalize() + ".")
        metavar = "TEXT"
        if refers_to:
            thing = _WORDS.get(refers_to, refers_to.replace("_", " "))
            named = "id" if refers_to in ("deal", "tie", "stage_event", "introduction") else "id or name"
            words = f"The {thing}{'s' if origin is list else ''} ({named})."
        if origin is list:
            shape = "refs" if refers_to else "list"
            words += " Comma-separated, or repeat the option."
            metavar = "ID|NAME,…" if refers_to else "TEXT,…"
        elif origin is dict:
            shape, metavar = "pairs", "SCHEME=VALUE,…"
        elif kind is bool:
            shape = "bool"
        else:
            shape = "ref" if refers_to else "text"
            if refers_to:
                metavar = "ID" if named == "id" else "ID|NAME"
            elif isinstance(kind, type) and issubclass(kind, enum.Enum):
                words += " One of: " + ", ".join(str(m.value) for m in kind) + "."
                metavar = "CHOICE"
            elif kind is dt.date:
                metavar = "YYYY-MM-DD"
            elif kind is int:
                metavar = "N"
            elif kind is float:
                metavar = "NUMBER"
        if not creating and shape != "bool" and not info.is_required():
            default = info.get_default(call_default_factory=True)
            if default in (None, [], {}):
                words += " '' clears it."
            else:  # '' leaves the field to the model, which puts its default back
                words += f" '' sets it back to {getattr(default, 'value', default)}."
        option = _NAMES.get(name) or ("--" + (reference_label(name) if refers_to else name).replace("_", "-"),)
        if shape == "bool":
            option = (f"{option[0]}/--no-{option[0][2:]}",) if name != "directed" else ("--directed/--undirected",)
        out.append(FieldOption(name, option, shape, refers_to, creating and info.is_required(), words, metavar))
    return out


def flags_of(options: Iterable[FieldOption]) -> dict[str, str]:
    """Field → the option that sets it, for error messages."""
    return {o.field: o.flag for o in options}


def parameters(options: Iterable[FieldOption]) -> list[inspect.Parameter]:
    """The options as parameters of a Typer command."""
    out = []
    for o in options:
        if o.shape == "bool":
            hint: Any = Optional[bool]
        elif o.shape in ("list", "refs"):
            hint = list[str] if o.required else Optional[list[str]]
        else:
            hint = str if o.required else Optional[str]
        default = inspect.Parameter.empty if o.required else None
        out.append(inspect.Parameter(o.param, inspect.Parameter.KEYWORD_ONLY, default=default,
                                     annotation=Annotated[hint, typer.Option(
                                         *o.decls, help=o.help, show_default=False,
                                         metavar=None if o.shape == "bool" else o.metavar)]))
    return out


def make_command(run: Callable[..., None], params: list[inspect.Parameter], doc: str) -> Callable[..., None]:
    """A Typer command calling ``run(**values)`` with these parameters and this help."""
    def command(**values: Any) -> None:
        run(**values)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = doc
    return command


def _split(values: Iterable[str]) -> list[str]:
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def field_values(options: Iterable[FieldOption], given: dict[str, Any],
                 resolve: Callable[[str, str], int]) -> dict[str, Any]:
    """The fields the options given set, as the record holds them: ``''`` clears a field, lists are split on commas,
    references resolved by ``resolve(entity, text)``; a reference that names nothing is refused by its option."""
    from ..store import AtlasError

    out: dict[str, Any] = {}
    problems = []
    for o in options:
        value = given.get(o.param)
        if value is None:
            continue
        try:
            if o.shape == "bool":
                out[o.field] = value
            elif o.shape == "list":
                out[o.field] = _split(value)
            elif o.shape == "refs":
                out[o.field] = [resolve(o.refers_to, v) for v in _split(value)]
            elif o.shape == "pairs":
                pairs = {}
                for item in _split([value]):
                    key, sep, val = item.partition("=")
                    if not sep or not key.strip() or not val.strip():
                        raise AtlasError(f"{item!r} is not SCHEME=VALUE, e.g. cordis_pic=999999999")
                    pairs[key.strip()] = val.strip()
                out[o.field] = pairs
            elif value.strip() == "":
                out[o.field] = None
            elif o.shape == "ref":
                out[o.field] = resolve(o.refers_to, value)
            else:
                out[o.field] = value
        except AtlasError as exc:
            problems.append(Problem(column=o.flag, reason=str(exc)))
    if problems:
        raise InputRejected(problems)
    return out


def with_names(atlas: Atlas, cls: type[Record], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of records with, after each reference, the name of what it refers to (``organization`` beside
    ``organization_id``; ``investors`` beside ``investor_ids``, joined with ``|``)."""
    from ..services.forms import labels

    refs = {f: e for f, e in REFERENCES.get(cls.entity, {}).items() if f in cls.model_fields}
    names: dict[str, dict[int, str]] = {}
    for field, entity in refs.items():
        ids = [i for r in rows for i in (r.get(field) or [] if field.endswith("_ids") else [r.get(field)])
               if i is not None]
        named = "name" in ENTITIES[entity].model_fields  # else its title (a clinical need's statement)
        names.setdefault(entity, {}).update((atlas.names(entity, ids) if named else labels(atlas, entity, ids))
                                            if ids else {})
    out = []
    for row in rows:
        shown: dict[str, Any] = {}
        for key, value in row.items():
            shown[key] = value
            if key in refs:
                known = names[refs[key]]
                shown[reference_label(key)] = ("|".join(known.get(i, f"#{i}") for i in value or [])
                                               if key.endswith("_ids") else
                                               (known.get(value, f"#{value}") if value is not None else None))
        out.append(shown)
    return out

"""What a form needs to create or edit a record of each kind: its fields (label, widget, choices, bounds, what a
reference points to), the list page's filters and columns, and records' titles in words."""

from __future__ import annotations

import datetime as dt
import enum
import types
from collections.abc import Callable
from typing import Any, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic_core import PydanticUndefined

from ..domain import ENTITIES, REFERENCES, Record
from ..domain.enums import (Helix, NeedSeverity, NeedStatus, ProgramKind, Stage, StakeholderType, SubmissionStatus,
                            TieKind)
from ..domain.partnering import QUESTIONS
from ..store import Atlas
from ..store._filters import FILTERS
from ..store.atlas import NotFound
from .registry import BULK_FIELDS

__all__ = ["WIDGETS", "SHARING", "kind_label", "describe", "describe_all", "labels", "record_title"]

#: The widgets a field is drawn with.
WIDGETS = ("text", "long_text", "number", "whole_number", "date", "yes_no", "choice", "tags", "reference",
           "key_value")
#: The group of the fields that say who owns a record, who sees it and where it came from.
SHARING = "Sharing and source"
DETAILS = "Details"
_SHARING_FIELDS = ("owner_kind", "owner_id", "visibility", "source")
_LONG = {"description", "purpose", "evidence", "note", "comment"}

_KINDS = {"hub": ("hub", "hubs"), "organization": ("organisation", "organisations"), "person": ("person", "people"),
          "program": ("programme", "programmes"), "participation": ("participation", "participations"),
          "innovation": ("innovation", "innovations"), "stage_event": ("stage event", "stage events"),
          "deal": ("deal", "deals"), "tie": ("tie", "ties"), "clinical_need": ("clinical need", "clinical needs"),
          "partnership": ("partnership", "partnerships"), "assessment": ("assessment", "assessments"),
          "rating": ("rating", "ratings"), "kpi": ("KPI", "KPIs"), "kpi_actual": ("KPI actual", "KPI actuals"),
          "introduction": ("introduction", "introductions"), "endorsement": ("endorsement", "endorsements"),
          "submission": ("submission", "submissions"), "judge": ("judge", "judges"), "score": ("score", "scores")}

_LABELS = {"owner_kind": "Owner is a", "owner_id": "Owner", "source": "Source", "visibility": "Who sees it",
           "external_ids": "Identifiers elsewhere", "hub_id": "Hub", "organization_id": "Organisation",
           "organization_ids": "Organisations", "investor_ids": "Investors", "recipient_id": "Recipient",
           "operator_id": "Operator", "program_id": "Programme", "innovation_id": "Innovation",
           "source_id": "From (organisation)", "target_id": "To (organisation)", "raised_by_id": "Raised by",
           "partnership_id": "Partnership", "assessment_id": "Assessment",
           "evaluator_organization_id": "Evaluator's organisation", "kpi_id": "KPI", "partner_id": "Partner",
           "facilitator_id": "Facilitator", "email": "E-mail", "consent": "Agreed to have contact details kept",
           "focus_areas": "Focus areas", "short_name": "Short name", "round_type": "Round",
           "introduced_on": "Introduced on", "met_on": "Met on", "pilot_on": "Pilot on",
           "partnered_on": "Partnered on", "due_date": "Due on", "start_date": "Starts", "end_date": "Ends",
           "clinical_area": "Clinical area", "regulatory_pathway": "Regulatory pathway", "kind": "Kind",
           "size": "Size", "founded": "Founded (year)", "weights": "Criteria weights",
           "country": "Country", "currency": "Currency", "latitude": "Latitude", "longitude": "Longitude",
           "directed": "Directed (from → to)", "weight": "Weight",
           # open innovation
           "raised_by_person_id": "Clinician who raised it", "innovation_ids": "Innovations addressing it",
           "prevalence": "Prevalence (per 100,000)", "need_id": "Clinical need", "person_id": "Person",
           "sponsor_id": "Sponsor", "need_ids": "Clinical needs", "prize": "Prize",
           "closes_on": "Submissions close on", "judged_by": "Judging ends on", "awarded_on": "Awarded on",
           "rubric": "Rubric (criteria weights)", "shortlist": "Shortlist (how many)", "winners": "Winners (how many)",
           "normalisation": "Judges' scores normalised by", "submitted_on": "Submitted on",
           "user_id": "Judge's account", "conflict_ids": "Declared conflicts with", "declared_on": "Declared on",
           "submission_id": "Submission", "judge_id": "Judge", "value": "Score (0–10)"}

_HELP = {"country": "A two-letter code such as ES, PL, UK or US",
         "currency": "A three-letter code such as EUR, USD or GBP",
         "source": "Where the facts come from; left empty, it is you",
         "owner_kind": "Left empty, a new record is owned by your hub or organisation",
         "visibility": "public: anyone; network: the owner's hub and the hubs it shares with; hub: the owner's "
                       "hub; private: the owner's members",
         "external_ids": "One a line, as scheme: identifier (for example cordis_pic: 999999999)",
         "weights": "One a line, as criterion: weight; left empty, the criteria weigh the same",
         "email": "Personal data: kept only with the person's consent",
         "question": "The scorecard's question",
         "rubric": "One a line, as criterion: weight; left empty, one criterion (overall) of weight 1",
         "prevalence": "People affected per 100,000",
         "normalisation": "z: each judge's scores as z-scores; robust: by median and MAD; raw: as given",
         "conflict_ids": "Organisations whose submissions this judge may not score (their employer too)"}

_CHOICE_WORDS = {"sme": "SME", "ipo": "IPO", "series_a": "series A", "series_b": "series B", "series_c": "series C",
                 "pre_seed": "pre-seed", "co_development": "co-development", "co_participation": "co-participation",
                 "organization": "organisation", "patient_organization": "patient organisation",
                 "research_center": "research centre"}

#: How a form picks a record of a kind: from a list (few of them), or by typing part of its name.
_LOOKUP = {"hub": "select", "program": "select", "partnership": "select", "assessment": "select",
           "organization": "search", "innovation": "search", "kpi": "search"}
#: The field that names a record of a kind in a picker.
_NAMED_BY = {"assessment": "evaluator", "clinical_need": "problem", "submission": "title"}

#: The columns a list of each kind shows first.
_COLUMNS = {
    "hub": ["name", "kind", "city", "country"],
    "organization": ["name", "type", "hub_id", "country", "stage", "tags"],
    "person": ["name", "role", "organization_id", "specialty"],
    "program": ["name", "kind", "hub_id", "start_date", "end_date"],
    "participation": ["program_id", "organization_id", "role"],
    "innovation": ["name", "organization_id", "stage", "clinical_area"],
    "stage_event": ["innovation_id", "stage", "date", "note"],
    "deal": ["recipient_id", "amount", "currency", "date", "round_type"],
    "tie": ["source_id", "target_id", "kind", "status", "start_date", "tags"],
    "clinical_need": ["problem", "population", "outcome", "hub_id", "severity", "status", "innovation_ids"],
    "partnership": ["name", "organization_ids", "status", "start_date"],
    "assessment": ["partnership_id", "evaluator", "date"],
    "rating": ["assessment_id", "question", "score"],
    "kpi": ["partnership_id", "name", "target", "unit", "direction"],
    "kpi_actual": ["kpi_id", "date", "value"],
    "introduction": ["organization_id", "partner_id", "introduced_on", "met_on", "pilot_on", "partnered_on"],
    "endorsement": ["need_id", "person_id", "organization_id", "hub_id", "date"],
    "submission": ["title", "program_id", "organization_id", "status", "submitted_on"],
    "judge": ["name", "program_id", "organization_id", "conflict_ids"],
    "score": ["submission_id", "judge_id", "criterion", "value"],
}

_FILTER_LABELS = {"hub": "Hub", "type": "Type", "helix": "Helix", "country": "Country", "tag": "Tag",
                  "stage": "Stage", "kind": "Kind", "search": "Search", "since": "Since", "until": "Until",
                  "organization": "Organisation", "program": "Programme", "innovation": "Innovation",
                  "partnership": "Partnership", "assessment": "Assessment", "kpi": "KPI",
                  "status": "Status", "severity": "Severity", "area": "Clinical area", "need": "Clinical need",
                  "submission": "Submission", "judge": "Judge"}
_FILTER_ORDER = ("search", "hub", "type", "helix", "kind", "stage", "status", "severity", "area", "tag", "country",
                 "organization", "program", "innovation", "partnership", "assessment", "kpi", "need", "submission",
                 "judge", "since", "until")
#: Filters naming the record the listed ones belong to (``/records/stage-events?innovation=3``), by id.
_BELONGS = {"program", "innovation", "partnership", "assessment", "kpi", "submission", "judge"}


def kind_label(entity: str, n: int = 1) -> str:
    """A kind of record in words, singular or plural.

    Examples
    --------
    >>> kind_label("kpi_actual"), kind_label("person", 2), kind_label("organization")
    ('KPI actual', 'people', 'organisation')
    """
    one, many = _KINDS.get(entity, (entity.replace("_", " "), entity.replace("_", " ") + "s"))
    return one if n == 1 else many


def _plural(entity: str) -> str:
    # the collection's name in URLs, as the API spells it (api.schemas.plural; the API layer is above this one)
    word = entity.replace("_", "-")
    if word == "person":
        return "people"
    return word[:-1] + "ies" if word.endswith("y") and not word.endswith("ey") else word + "s"


def _label(name: str) -> str:
    if name in _LABELS:
        return _LABELS[name]
    return name.removesuffix("_ids").removesuffix("_id").replace("_", " ").capitalize()


def _choice(value: str) -> dict[str, str]:
    return {"value": value, "label": _CHOICE_WORDS.get(value, value.replace("_", " "))}


def _unwrapped(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``None`` in it, and whether ``None`` was allowed."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), len(args) < len(get_args(annotation))
    return annotation, False


def _reference(entity: str) -> dict[str, str]:
    return {"entity": entity, "plural": _plural(entity), "label": kind_label(entity),
            "lookup": _LOOKUP.get(entity, "search"), "named_by": _NAMED_BY.get(entity, "name")}


def _bounds(metadata: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, Ge):
            out["minimum"] = item.ge
        elif isinstance(item, Gt):
            out["above"] = item.gt
        elif isinstance(item, Le):
            out["maximum"] = item.le
        elif isinstance(item, Lt):
            out["below"] = item.lt
        elif isinstance(item, MinLen):
            out["min_length"] = item.min_length
        elif isinstance(item, MaxLen):
            out["max_length"] = item.max_length
    return out


def _default(field: Any) -> Any:
    if field.default_factory is not None:
        value = field.default_factory()
    elif field.default is PydanticUndefined:
        return None
    else:
        value = field.default
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):  # a challenge's default rubric: its criteria as plain mappings
        return [v.model_dump(mode="json") if hasattr(v, "model_dump") else v for v in value]
    return value


def _field(entity: str, name: str, field: Any) -> dict[str, Any]:
    annotation, optional = _unwrapped(field.annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    refers = REFERENCES.get(entity, {})
    out: dict[str, Any] = {"name": name, "label": _label(name), "widget": "text",
                           "required": field.is_required(), "default": _default(field),
                           "group": SHARING if name in _SHARING_FIELDS else DETAILS}
    if name in refers:
        out.update(widget="reference", reference=_reference(refers[name]), multiple=origin is list)
    elif name == "owner_id":
        # which kind it refers to is the owner_kind field's value
        out.update(widget="reference", reference={"from_field": "owner_kind",
                                                  "kinds": {k: _reference(k) for k in ("organization", "hub")}},
                   multiple=False)
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        out.update(widget="choice", choices=[_choice(m.value) for m in annotation])
    elif entity == "program" and name == "rubric":  # criterion → weight (descriptions through the API)
        out.update(widget="key_value", values="number")
    elif entity == "rating" and name == "question":
        out.update(widget="choice", choices=[{"value": q.code, "label": f"{q.code} · {q.text}"} for q in QUESTIONS])
    elif annotation is bool:
        out["widget"] = "yes_no"
    elif annotation is int:
        out["widget"] = "whole_number"
    elif annotation is float:
        out["widget"] = "number"
    elif annotation is dt.date:
        out["widget"] = "date"
    elif origin is list:
        out["widget"] = "tags"
    elif origin is dict:
        key, value = args
        out.update(widget="key_value", values="number" if value is float or get_origin(value) is not None
                   and float in get_args(value) else "text")
        if isinstance(key, type) and issubclass(key, enum.Enum):
            out["keys"] = [_choice(m.value) for m in key]
    elif name in _LONG:
        out["widget"] = "long_text"
    bounds = _bounds(field.metadata)
    if out["widget"] == "key_value" and out["values"] == "number" and get_origin(annotation) is dict:
        value_type = get_args(annotation)[1]
        if get_origin(value_type) is not None:  # Annotated[float, Field(ge=0)]
            bounds.update(_bounds([m for a in get_args(value_type)[1:]
                                   for m in (getattr(a, "metadata", None) or [a])]))
    if bounds:
        out["bounds"] = bounds
    if name in _HELP:
        out["help"] = _HELP[name]
    elif out["widget"] == "tags":
        out["help"] = "Separate them with commas"
    if optional and out["widget"] in ("choice", "reference") and not out["required"]:
        out["empty"] = True  # a form offers to leave it unset
    return out


def _filter(entity: str, name: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "label": _FILTER_LABELS.get(name, name.capitalize()), "widget": "text"}
    vocabulary = {"type": StakeholderType, "helix": Helix, "stage": Stage,
                  "kind": TieKind if entity == "tie" else ProgramKind, "severity": NeedSeverity,
                  "status": SubmissionStatus if entity == "submission" else NeedStatus}.get(name)
    if vocabulary is not None:
        out.update(widget="choice", choices=[_choice(v) for v in vocabulary.choices()])
    elif name == "hub" or name in _BELONGS:
        out.update(widget="reference", reference=_reference(name))
    elif name == "need":
        out.update(widget="reference", reference=_reference("clinical_need"))
    elif name in ("since", "until"):
        out["widget"] = "date"
        if entity == "organization":  # an organisation's time is the year it was founded
            out["label"] = f"Founded {name}"
    return out


def _title_field(cls: type[Record]) -> str | None:
    for name in ("name", "problem", "evaluator", "title"):
        if name in cls.model_fields:
            return name
    return None


def describe(entity: str) -> dict[str, Any]:
    """A form for records of kind ``entity``: each field (without ``id``) with its label in words, its widget
    (one of :data:`WIDGETS`), whether it is required, its default and bounds, the choices of a choice, the kind a
    reference points to; the details first, then :data:`SHARING`. Also the list page's filters, columns and the
    fields a bulk edit sets.

    Examples
    --------
    >>> form = describe("organization")
    >>> form["label"], form["plural"], [f["name"] for f in form["fields"]][:3]
    ('organisation', 'organizations', ['name', 'type', 'short_name'])
    >>> hub = next(f for f in form["fields"] if f["name"] == "hub_id")
    >>> hub["label"], hub["widget"], hub["reference"]["lookup"], hub["group"]
    ('Hub', 'reference', 'select', 'Details')
    >>> founded = next(f for f in form["fields"] if f["name"] == "founded")
    >>> founded["widget"], founded["bounds"]
    ('whole_number', {'minimum': 1000, 'maximum': 2100})
    >>> [f["name"] for f in form["fields"] if f["group"] == SHARING]
    ['owner_kind', 'owner_id', 'visibility', 'source']
    """
    cls = ENTITIES[entity]
    fields = [_field(entity, name, f) for name, f in cls.model_fields.items() if name != "id"]
    # the kind's own fields first; identifiers elsewhere after them, then who owns and sees it
    order = {"external_ids": 1, **{name: 2 for name in _SHARING_FIELDS}}
    fields.sort(key=lambda f: order.get(f["name"], 0))
    known = [n for n in _FILTER_ORDER if n in FILTERS[entity]]
    filters = [_filter(entity, n) for n in known + sorted(FILTERS[entity] - set(known))]
    return {"entity": entity, "plural": _plural(entity), "label": kind_label(entity),
            "label_plural": kind_label(entity, 2), "title_field": _title_field(cls),
            "groups": [DETAILS, SHARING], "fields": fields, "filters": filters,
            "columns": _COLUMNS.get(entity, [f["name"] for f in fields[:4]]),
            "bulk": [f for f in BULK_FIELDS if f in cls.model_fields]}


def describe_all() -> dict[str, dict[str, Any]]:
    """:func:`describe` for every kind, by entity.

    >>> len(describe_all()) == len(ENTITIES)
    True
    """
    return {entity: describe(entity) for entity in ENTITIES}


def labels(atlas: Atlas, entity: str, ids: list[int]) -> dict[int, str]:
    """What to call the records of a kind with these ids in a list or a picker (those the principal may see).

    Examples
    --------
    >>> from ecotone.domain import Hub
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = atlas.add_all([Hub(name="London"), Hub(name="Berlin")])
    ...     labels(atlas, "hub", [2, 99])
    {2: 'Berlin'}
    """
    cls = ENTITIES[entity]
    ids = [i for i in dict.fromkeys(ids) if isinstance(i, int) and 0 < i < 2**31][:1000]  # what an id column holds
    if "name" in cls.model_fields:
        return atlas.names(entity, ids)
    out = {}
    for record_id in ids[:100]:
        try:
            out[record_id] = record_title(atlas, atlas.get(cls, record_id))
        except NotFound:
            pass
    return out


def record_title(atlas: Atlas, record: Record) -> str:
    """A record in a few words: its name, or what it joins and when.

    Examples
    --------
    >>> from ecotone.domain import Organization, Tie
    >>> with Atlas.open("sqlite://") as atlas:
    ...     a, b = atlas.add_all([Organization(name="Clínic", type="hospital"), Organization(name="Dycare", type="startup")])
    ...     record_title(atlas, atlas.add(Tie(source_id=a.id, target_id=b.id, kind="clinical_pilot")))
    'Clínic → Dycare (clinical pilot)'
    """
    entity = record.entity

    def name(kind: str, record_id: int | None) -> str:
        if record_id is None:
            return "–"
        found = labels(atlas, kind, [record_id]) if kind != entity else {}
        return found.get(record_id) or f"{kind_label(kind)} {record_id}"

    return title_of(entity, record, name)


def title_of(entity: str, r: Any, name: Callable[[str, Any], str]) -> str:
    """What a record of kind ``entity`` is called (``r`` a record or any object with its fields as attributes):
    its name, else what it joins and when, the records it names said by ``name(kind, id)``.

    >>> from types import SimpleNamespace
    >>> title_of("rating", SimpleNamespace(id=3, question="Q4", score=4), lambda kind, i: f"{kind} {i}")
    'Q4: 4 of 5'
    """
    def words(value: Any) -> str:
        return str(getattr(value, "value", value)).replace("_", " ")

    if getattr(r, "name", None):
        return r.name
    if entity == "tie":
        return f"{name('organization', r.source_id)} → {name('organization', r.target_id)} ({words(r.kind)})"
    if entity == "stage_event":
        return f"{name('innovation', r.innovation_id)}: {words(r.stage)} from {r.date}"
    if entity == "participation":
        return f"{name('organization', r.organization_id)} in {name('program', r.program_id)}"
    if entity == "deal":
        who = name("organization", r.recipient_id) if r.recipient_id else name("hub", r.hub_id)
        return f"{words(r.round_type)} round of {who}" + (f" on {r.date}" if r.date else "")
    if entity == "clinical_need":
        return f"A way to {r.problem} in {r.population} in order to {r.outcome}" \
            if getattr(r, "population", None) else str(r.problem)
    if entity == "assessment":
        return f"{r.evaluator}, {r.date}"
    if entity == "rating":
        return f"{r.question}: {r.score} of 5"
    if entity == "kpi_actual":
        return f"{name('kpi', r.kpi_id)} on {r.date}: {r.value:g}"
    if entity == "introduction":
        return f"{name('organization', r.organization_id)} ↔ {name('organization', r.partner_id)}"
    if entity == "submission":
        return r.title
    if entity == "endorsement":
        who = next((name(kind, i) for kind, i in (("person", r.person_id), ("organization", r.organization_id),
                                                  ("hub", r.hub_id)) if i is not None), "–")
        return f"{who} endorses {name('clinical_need', r.need_id)}"
    if entity == "score":
        return f"{name('judge', r.judge_id)} on {name('submission', r.submission_id)}, {r.criterion}: {r.value:g} of 10"
    return f"{kind_label(entity)} {r.id}"

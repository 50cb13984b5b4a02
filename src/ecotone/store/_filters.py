"""Translate the Atlas's query filters (hub, type, tag, time window, search...) into SQL conditions."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..domain import (Helix, NeedSeverity, NeedStatus, ProgramKind, Record, Stage, StakeholderType,
                      SubmissionStatus, TieKind)
from ..domain.parsing import day, terms
from .tables import TABLES, organizations, participations

if TYPE_CHECKING:
    from .atlas import Atlas

__all__ = ["conditions", "FILTERS"]

# Which filters each kind of record understands.
FILTERS: dict[str, set[str]] = {
    "hub": {"search", "country"},
    "organization": {"hub", "type", "helix", "country", "tag", "stage", "search", "since", "until"},
    "person": {"organization", "search"},
    "program": {"hub", "kind", "search", "since", "until", "organization"},
    "participation": {"organization", "program"},
    "innovation": {"hub", "organization", "stage", "search"},
    "stage_event": {"innovation", "stage", "since", "until"},
    "deal": {"hub", "organization", "since", "until"},
    "tie": {"hub", "organization", "kind", "since", "until"},
    "clinical_need": {"hub", "search", "status", "severity", "area"},
    "partnership": {"search", "since", "until"},
    "assessment": {"partnership", "since", "until"},
    "rating": {"assessment"},
    "kpi": {"partnership", "search"},
    "kpi_actual": {"kpi", "since", "until"},
    "introduction": {"organization", "since", "until", "program"},
    "endorsement": {"need", "hub", "organization", "since", "until"},
    "submission": {"program", "organization", "status", "search"},
    "judge": {"program", "search"},
    "score": {"submission", "judge"},
}


#: Filters naming the record another belongs to, by its id.
_PARENTS = ("innovation", "partnership", "kpi", "assessment", "need", "submission", "judge")


#: The vocabularies of the ``status`` filter, by kind of record.
_STATUSES = {"clinical_need": (NeedStatus, "need status"), "submission": (SubmissionStatus, "submission status")}


def conditions(atlas: Atlas, cls: type[Record], filters: dict[str, Any]) -> list[sa.ColumnElement[bool]]:
    """SQL conditions for ``filters`` on records of kind ``cls``; ``None`` values are ignored."""
    entity = cls.entity
    table = TABLES[entity]
    filters = {k: v for k, v in filters.items() if v is not None and v != [] and v != ""}
    unknown = set(filters) - FILTERS[entity]
    if unknown:
        raise ValueError(f"{entity} records cannot be filtered by {', '.join(sorted(unknown))}; "
                         f"filters: {', '.join(sorted(FILTERS[entity]))}")
    out: list[sa.ColumnElement[bool]] = []
    for name, value in filters.items():
        if name == "hub":
            hub_id = atlas.hub_id(value)
            if entity == "tie":
                members = sa.select(organizations.c.id).where(organizations.c.hub_id == hub_id)
                out.append(sa.or_(table.c.source_id.in_(members), table.c.target_id.in_(members)))
            elif entity == "innovation":
                members = sa.select(organizations.c.id).where(organizations.c.hub_id == hub_id)
                out.append(table.c.organization_id.in_(members))
            elif entity == "deal":  # a hub-wide aggregate names the hub; a round, its recipient in the hub
                members = sa.select(organizations.c.id).where(organizations.c.hub_id == hub_id)
                out.append(sa.or_(table.c.hub_id == hub_id, table.c.recipient_id.in_(members)))
            else:
                out.append(table.c.hub_id == hub_id)
        elif name == "organization":
            org_id = atlas.organization_id(value)
            if entity == "tie":
                out.append(sa.or_(table.c.source_id == org_id, table.c.target_id == org_id))
            elif entity == "introduction":
                out.append(sa.or_(table.c.organization_id == org_id, table.c.partner_id == org_id))
            elif entity == "deal":
                out.append(table.c.recipient_id == org_id)
            elif entity == "program":
                out.append(table.c.id.in_(sa.select(participations.c.program_id)
                                          .where(participations.c.organization_id == org_id)))
            else:
                out.append(table.c.organization_id == org_id)
        elif name == "program":
            out.append(table.c.program_id == int(value))
        elif name in _PARENTS:  # the record a stage event, a KPI, an actual or a rating belongs to, by id
            text = str(value).strip()
            if not text.isdigit() or int(text) > 2**31 - 1:
                raise ValueError(f"{name} must be the id of {'an' if name[0] in 'aeiou' else 'a'} {name} "
                                 f"(a whole number), not {value!r}")
            out.append(table.c[f"{name}_id"] == int(text))
        elif name == "type":
            out.append(table.c.type.in_(terms(StakeholderType, value, "stakeholder type")))
        elif name == "helix":
            out.append(table.c.helix.in_(terms(Helix, value, "helix sector")))
        elif name == "status" and entity in _STATUSES:
            vocabulary, label = _STATUSES[entity]
            out.append(table.c.status.in_(terms(vocabulary, value, label)))
        elif name == "severity":
            out.append(table.c.severity.in_(terms(NeedSeverity, value, "severity")))
        elif name == "area":
            out.append(table.c.clinical_area.ilike(f"%{value}%"))
        elif name == "stage":
            out.append(table.c.stage.in_(terms(Stage, value, "stage")))
        elif name == "kind":
            if entity == "tie":
                out.append(table.c.kind.in_(terms(TieKind, value, "tie kind")))
            else:
                out.append(table.c.kind.in_(terms(ProgramKind, value, "programme kind")))
        elif name == "country":
            values = value if isinstance(value, list | tuple | set) else [value]
            out.append(table.c.country.in_([str(v).upper() for v in values]))
        elif name == "tag":
            # Tags live in a JSON list; matching its text form with the quotes keeps whole tags apart.
            needle = '"' + str(value).replace('"', "") + '"'
            text = sa.cast(table.c.tags, sa.Text)
            cols = [text] + ([sa.cast(table.c.focus_areas, sa.Text)] if "focus_areas" in table.c else [])
            out.append(sa.or_(*[c.contains(needle) for c in cols]))
        elif name == "search":
            if entity == "clinical_need":
                out.append(sa.or_(*[table.c[c].ilike(f"%{value}%") for c in ("problem", "population", "outcome")]))
            else:
                out.append((table.c.title if entity == "submission" else table.c.name).ilike(f"%{value}%"))
        elif name in ("since", "until"):
            out.append(_window(entity, table, name, day(value, name)))
    return out


def _window(entity: str, table: sa.Table, name: str, when: dt.date) -> sa.ColumnElement[bool]:
    # A record with a period lies in the window if the two overlap; one with a date, if the date does.
    if entity == "organization":
        year = table.c.founded
        return (year >= when.year) if name == "since" else (year <= when.year)
    if "start_date" in table.c:
        if name == "since":
            return sa.or_(table.c.end_date.is_(None), table.c.end_date >= when)
        return sa.or_(table.c.start_date.is_(None), table.c.start_date <= when)
    column = table.c.introduced_on if entity == "introduction" else table.c.date
    return (column >= when) if name == "since" else (column <= when)

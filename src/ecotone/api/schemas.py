"""Request and response schemas of the REST API: ``XCreate``, ``XUpdate``, ``XPublic`` and ``XsPublic`` for every
kind of record, derived from the domain's own models so that the API validates exactly as the atlas does."""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from typing import Annotated, Any, Optional, Union, get_args, get_origin

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from ..domain.kinds import ENTITIES
from ..domain.entities import Record

__all__ = ["SCHEMAS", "Schemas", "plural", "ProblemDetail", "ResultPublic", "JobPublic", "MAX_ID", "MIN_INT",
           "MAX_INT", "RecordId", "unwritable"]

#: The largest id a record can have: ids are INTEGER columns, 32 bits wide on PostgreSQL (64 on SQLite), so a
#: larger one could only ever be refused by the database, on one backend as an overflow.
MAX_ID = 2**31 - 1
#: The range of every other whole number the API accepts: what an INTEGER column holds on both backends.
MIN_INT, MAX_INT = -(2**31), 2**31 - 1

#: A record's id in a path: ``/api/v1/organizations/{record_id}``.
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id.")]

_ID = Field(ge=1, le=MAX_ID)
_INT = Field(ge=MIN_INT, le=MAX_INT)
# Characters no record needs and some peer cannot take: C0 controls but tab and line breaks (PostgreSQL refuses
# NUL, XML 1.0 and spreadsheets refuse the others), DEL, lone surrogates (not UTF-8) and the XML non-characters.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def unwritable(value: Any) -> str | None:
    r"""Why ``value`` (a string, or lists and mappings of them) cannot be written, or None when it can.

    Examples
    --------
    >>> unwritable(["fine", {"tab": "a	b"}]) is None, unwritable("bell")
    (True, 'holds the control character U+0007, which cannot be stored or exported; remove it')
    """
    pending = [value]
    while pending:  # a loop, not recursion: the nesting of a request body is the client's to choose
        item = pending.pop()
        if isinstance(item, str):
            found = _UNWRITABLE.search(item)
            if found:
                return (f"holds the control character U+{ord(found.group()):04X}, which cannot be stored or "
                        "exported; remove it")
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set):
            pending.extend(item)
    return None


class _Input(BaseModel):
    """What every request body shares: no unknown field, finite numbers, text that can be stored and exported."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _writable(cls, value: Any) -> Any:
        reason = unwritable(value)
        if reason:
            raise ValueError(reason)
        return value


def plural(entity: str) -> str:
    """The collection's name in URLs.

    Examples
    --------
    >>> plural("organization"), plural("kpi_actual"), plural("person"), plural("clinical_need")
    ('organizations', 'kpi-actuals', 'people', 'clinical-needs')
    """
    word = entity.replace("_", "-")
    if word == "person":
        return "people"
    return word[:-1] + "ies" if word.endswith("y") and not word.endswith("ey") else word + "s"


def _title(entity: str) -> str:
    return "".join(part.capitalize() for part in entity.split("_"))


@dataclass(frozen=True)
class Schemas:
    """The four schemas of one kind of record, and the domain class they come from."""

    entity: str
    record: type[Record]
    create: type[BaseModel]
    update: type[BaseModel]
    public: type[BaseModel]
    collection: type[BaseModel]


def _bounded(annotation: Any, bound: Any) -> Any:
    """``annotation`` with each ``int`` in it (alone, optional, in a list or a dict) constrained by ``bound``;
    ids (``owner_id``, ``hub_id``, the lists ``investor_ids``...) are 1 to :data:`MAX_ID`, other whole numbers fit
    an INTEGER column."""
    if annotation is int:
        return Annotated[int, bound]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return Annotated[(_bounded(args[0], bound), *annotation.__metadata__)]
    if origin in (Union, types.UnionType):
        return Union[tuple(_bounded(a, bound) for a in args)]
    if origin in (list, set, tuple, dict) and args:
        return origin[tuple(_bounded(a, bound) for a in args)]
    return annotation


def _annotation(name: str, field: Any) -> Any:
    """A domain field's type for the API: its ints bounded, its own constraints (lengths, ranges) kept over them."""
    bounded = _bounded(field.annotation, _ID if name.endswith(("_id", "_ids")) else _INT)
    return Annotated[(bounded, *field.metadata)] if field.metadata else bounded


def _schemas(entity: str, cls: type[Record]) -> Schemas:
    name = _title(entity)
    fields = {k: f for k, f in cls.model_fields.items() if k != "id"}
    create = create_model(f"{name}Create", __base__=_Input, __doc__=f"A new {entity.replace('_', ' ')}.",
                          **{k: (_annotation(k, f), f) for k, f in fields.items()})
    update = create_model(f"{name}Update", __base__=_Input,
                          __doc__=f"Fields of a {entity.replace('_', ' ')} to change; the others stay.",
                          **{k: (Optional[_annotation(k, f)], None) for k, f in fields.items()})
    public = create_model(f"{name}Public", __base__=cls, __doc__=cls.__doc__,
                          version=(Optional[int], Field(None, description="Moved by every change; send it back as "
                                                                           "If-Match to refuse overwriting another's")))
    collection = create_model(f"{name}sPublic", __doc__=f"A page of {plural(entity)} and how many match in all.",
                              data=(list[public], ...), count=(int, ...))
    return Schemas(entity, cls, create, update, public, collection)


#: entity → its schemas.
SCHEMAS: dict[str, Schemas] = {entity: _schemas(entity, cls) for entity, cls in ENTITIES.items()}


class ProblemDetail(BaseModel):
    """An error as RFC 9457 problem details; ``errors`` lists each problem with the field or cell it concerns."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, Any]] = []


class ResultPublic(BaseModel):
    """An analysis: its headline figures (``summary``) and its tables by name, each a list of rows."""

    model_config = {"extra": "allow"}
    summary: dict[str, Any] = {}


class JobPublic(BaseModel):
    """A background job: its status (queued, running, done, failed, cancelled), progress (0–1), result or error."""

    id: str
    kind: str
    status: str
    task: str
    done: int
    total: int
    progress: float
    seconds: float
    result: Optional[Any] = None
    error: Optional[dict[str, Any]] = None
    attempts: int = 0  #: how many times a worker started it (more than one: its worker stopped, or it was retried)
    created_at: Optional[str] = None
    finished_at: Optional[str] = None


class JobsPublic(BaseModel):
    """A page of the account's jobs, newest first, and how many there are in all."""

    data: list[JobPublic]
    count: int

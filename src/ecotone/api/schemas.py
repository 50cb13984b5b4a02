"""Request and response schemas of the REST API: ``XCreate``, ``XUpdate``, ``XPublic`` and ``XsPublic`` for every
kind of record, derived from the domain's own models so that the API validates exactly as the atlas does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, create_model

from ..domain.kinds import ENTITIES
from ..domain.entities import Record

__all__ = ["SCHEMAS", "Schemas", "plural", "ProblemDetail", "ResultPublic", "JobPublic"]


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


def _schemas(entity: str, cls: type[Record]) -> Schemas:
    name = _title(entity)
    fields = {k: f for k, f in cls.model_fields.items() if k != "id"}
    config = ConfigDict(extra="forbid")
    create = create_model(f"{name}Create", __config__=config, __doc__=f"A new {entity.replace('_', ' ')}.",
                          **{k: (f.annotation, f) for k, f in fields.items()})
    update = create_model(f"{name}Update", __config__=config,
                          __doc__=f"Fields of a {entity.replace('_', ' ')} to change; the others stay.",
                          **{k: (Optional[f.annotation], None) for k, f in fields.items()})
    public = create_model(f"{name}Public", __base__=cls, __doc__=cls.__doc__)
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
    """A background job: its status (queued, running, done, failed), progress (0–1), result or error."""

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

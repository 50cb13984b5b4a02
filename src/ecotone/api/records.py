"""Create, read, update, replace, delete and list every kind of record: ``/api/v1/{kind}``, filtered and paged.

Every record carries a version: reads answer with it as an ``ETag``, and changes honour ``If-Match`` (412 with the
current version when the record changed since), so that two people editing one record never overwrite each other
unknowingly."""

# No `from __future__ import annotations`: FastAPI reads the generated schemas from the handlers' annotations.
import inspect
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field

from ..services import registry
from ..store import Atlas
from ..store._filters import FILTERS
from ..store.atlas import AtlasError
from .deps import atlas_of, json_response
from .schemas import MAX_ID, MAX_INT, SCHEMAS, ProblemDetail, RecordId, Schemas, plural

__all__ = ["router", "etag", "expected_version"]

router = APIRouter(prefix="/api/v1", responses={404: {"model": ProblemDetail}, 422: {"model": ProblemDetail}})

_FILTER_HELP = {"hub": "hub id or name", "organization": "organisation id or name", "program": "programme id or name",
                "type": "stakeholder type", "helix": "helix", "country": "ISO country code", "tag": "a tag",
                "stage": "innovation stage", "kind": "tie or programme kind", "search": "part of the name, any case",
                "since": "active on or after (YYYY-MM-DD)", "until": "active on or before (YYYY-MM-DD)"}
_CONFLICT = {412: {"model": ProblemDetail, "description": "The record changed since the version If-Match names; "
                                                          "the problem gives the current version and who changed it"}}
IfMatch = Annotated[Optional[str], Header(alias="If-Match", max_length=100,
                                          description='The version you read (its ETag, e.g. "v3"): refused with 412 '
                                                      'if the record changed since. Leave it out to write anyway.')]


def etag(version: int) -> str:
    """The ETag of a record's version."""
    return f'"v{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header names (``"v3"``, ``W/"v3"``, ``3``), None for none or ``*``.

    >>> expected_version('"v3"'), expected_version('W/"v12"'), expected_version("*"), expected_version(None)
    (3, 12, None, None)
    """
    if if_match is None or if_match.strip() == "*":
        return None
    text = if_match.strip().removeprefix("W/").strip('"').strip().lstrip("v")
    if not text.isdigit() or len(text) > 10:
        raise AtlasError(f"If-Match {if_match!r} names no version: send back the ETag you read, such as \"v3\"")
    return int(text)


def _versioned(atlas: Atlas, entity: str, record: Any, status: int = 200) -> Response:
    version = atlas.version(entity, record.id)
    response = json_response({**record.model_dump(mode="json"), "version": version}, status)
    response.headers["ETag"] = etag(version)
    return response


class BulkEdit(BaseModel):
    """Records to change at once, and the fields to set on each."""

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=10_000,
                                                               description="The records selected")
    set: dict[str, Any] = Field(description="Fields to set: hub_id, visibility, stage; tags are added "
                                            "(a tag written -name is removed)")


def _routes(s: Schemas) -> None:
    path, label, tag = f"/{plural(s.entity)}", s.entity.replace("_", " "), plural(s.entity)
    filters = sorted(FILTERS[s.entity])

    def list_records(request: Request, atlas: Atlas = Depends(atlas_of),
                     limit: int = Query(50, ge=1, le=1000, description="Records per page."),
                     offset: int = Query(0, ge=0, le=MAX_INT, description="Records to skip."),
                     order_by: str = Query("id", description="A field; prefix with - for descending order."),
                     **wanted: Optional[str]):
        given = {k: v for k, v in wanted.items() if v is not None}
        page = atlas.find_rows(s.record, limit=limit, offset=offset, order_by=order_by, **given)
        return json_response({"data": page.items, "count": page.total})

    base = [p for p in inspect.signature(list_records).parameters.values() if p.kind is not p.VAR_KEYWORD]
    extra = [inspect.Parameter(f, inspect.Parameter.KEYWORD_ONLY, default=Query(None, description=_FILTER_HELP.get(f)),
                               annotation=Optional[str]) for f in filters]
    list_records.__signature__ = inspect.Signature(base + extra)
    router.add_api_route(path, list_records, methods=["GET"], response_model=s.collection, tags=[tag],
                         summary=f"List {plural(label)}", name=f"list_{s.entity}",
                         description=f"A page of {plural(label)}; filters: {', '.join(filters) or 'none'}.")

    def create_record(payload: Annotated[s.create, Body()], atlas: Atlas = Depends(atlas_of),
                      allow_duplicate: bool = Query(False, description="Add an organisation even though one of "
                                                                        "the same name is in its hub")):
        record = registry.create(atlas, s.record, payload.model_dump(exclude_unset=True),
                                 allow_duplicate=allow_duplicate)
        return _versioned(atlas, s.entity, record, 201)

    router.add_api_route(path, create_record, methods=["POST"], response_model=s.public, status_code=201,
                         tags=[tag], summary=f"Create a {label}", name=f"create_{s.entity}",
                         responses={409: {"model": ProblemDetail, "description": "It refers to a record that does "
                                          "not exist, repeats a unique one, or has the name of an organisation of "
                                          "its hub (the problem's `existing` lists them)"}})

    def read_record(record_id: RecordId, request: Request, atlas: Atlas = Depends(atlas_of)):
        response = _versioned(atlas, s.entity, atlas.get(s.record, record_id))
        if request.headers.get("if-none-match", "").strip().removeprefix("W/") == response.headers["ETag"]:
            return Response(status_code=304, headers={"ETag": response.headers["ETag"]})
        return response

    router.add_api_route(f"{path}/{{record_id}}", read_record, methods=["GET"], response_model=s.public, tags=[tag],
                         summary=f"Read a {label}", name=f"read_{s.entity}",
                         description="Its version comes as the ETag header (and `version`); If-None-Match answers "
                                     "304 while it has not changed.")

    def update_record(record_id: RecordId, payload: Annotated[s.update, Body()], if_match: IfMatch = None,
                      atlas: Atlas = Depends(atlas_of),
                      allow_duplicate: bool = Query(False, description="Rename an organisation even though one of "
                                                                        "its hub has that name")):
        changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
        record = registry.update(atlas, s.record, record_id, changes, expected_version=expected_version(if_match),
                                 allow_duplicate=allow_duplicate)
        return _versioned(atlas, s.entity, record)

    router.add_api_route(f"{path}/{{record_id}}", update_record, methods=["PATCH"], response_model=s.public,
                         tags=[tag], summary=f"Update a {label}", name=f"update_{s.entity}", responses=_CONFLICT,
                         description="Writes only the fields given; the others stay as they are, whoever changed "
                                     "them meanwhile.")

    def replace_record(record_id: RecordId, payload: Annotated[s.create, Body()], if_match: IfMatch = None,
                       atlas: Atlas = Depends(atlas_of)):
        record = registry.replace(atlas, s.record, record_id, payload.model_dump(exclude_unset=True),
                                  expected_version=expected_version(if_match))
        return _versioned(atlas, s.entity, record)

    router.add_api_route(f"{path}/{{record_id}}", replace_record, methods=["PUT"], response_model=s.public,
                         tags=[tag], summary=f"Replace a {label}", name=f"replace_{s.entity}", responses=_CONFLICT,
                         description="The record becomes what is sent: fields left out take their defaults.")

    def delete_record(record_id: RecordId, if_match: IfMatch = None, atlas: Atlas = Depends(atlas_of)):
        registry.delete(atlas, s.record, record_id, expected_version=expected_version(if_match))
        return Response(status_code=204)

    router.add_api_route(f"{path}/{{record_id}}", delete_record, methods=["DELETE"], status_code=204, tags=[tag],
                         summary=f"Delete a {label}", name=f"delete_{s.entity}", responses=_CONFLICT,
                         description="What depends on it goes with it (an organisation's ties, participations and "
                                     "innovations); references from elsewhere are cleared. "
                                     f"`GET {path}/{{id}}/deletion` says what beforehand; the history can restore "
                                     "it all.")

    def preview_deletion(record_id: RecordId, atlas: Atlas = Depends(atlas_of)):
        return registry.deletion_preview(atlas, s.record, record_id)

    router.add_api_route(f"{path}/{{record_id}}/deletion", preview_deletion, methods=["GET"], tags=[tag],
                         summary=f"What deleting a {label} takes with it", name=f"preview_delete_{s.entity}")

    def provenance(record_id: RecordId, atlas: Atlas = Depends(atlas_of)):
        atlas.get(s.record, record_id)
        return atlas.provenance(s.entity, record_id)

    router.add_api_route(f"{path}/{{record_id}}/provenance", provenance, methods=["GET"], tags=[tag],
                         summary=f"Where each field of a {label} came from", name=f"provenance_{s.entity}",
                         description="Field → its source: the file, sheet and row, the article, or the user who "
                                     "last set it.")

    if any(f in s.record.model_fields for f in registry.BULK_FIELDS):
        def bulk(payload: BulkEdit, atlas: Atlas = Depends(atlas_of)):
            return registry.bulk_update(atlas, s.record, payload.ids, payload.set)

        router.add_api_route(f"{path}/bulk", bulk, methods=["POST"], tags=[tag], name=f"bulk_{s.entity}",
                             summary=f"Change many {plural(label)} at once",
                             description="All or nothing; each record changed is in the history.")


for _schemas in SCHEMAS.values():
    _routes(_schemas)

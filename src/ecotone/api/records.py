"""Create, read, update, delete and list every kind of record: ``/api/v1/{kind}``, filtered and paged."""

# No `from __future__ import annotations`: FastAPI reads the generated schemas from the handlers' annotations.
import inspect
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from ..services.browse import validated
from ..store import Atlas
from ..store._filters import FILTERS
from .deps import atlas_of, json_response
from .schemas import MAX_INT, SCHEMAS, ProblemDetail, RecordId, Schemas, plural

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses={404: {"model": ProblemDetail}, 422: {"model": ProblemDetail}})

_FILTER_HELP = {"hub": "hub id or name", "organization": "organisation id or name", "program": "programme id or name",
                "type": "stakeholder type", "helix": "helix", "country": "ISO country code", "tag": "a tag",
                "stage": "innovation stage", "kind": "tie or programme kind", "search": "part of the name, any case",
                "since": "active on or after (YYYY-MM-DD)", "until": "active on or before (YYYY-MM-DD)"}


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

    def create_record(payload: Annotated[s.create, Body()], atlas: Atlas = Depends(atlas_of)):
        return atlas.add(validated(s.record, payload.model_dump(exclude_unset=True))).model_dump()

    router.add_api_route(path, create_record, methods=["POST"], response_model=s.public, status_code=201,
                         tags=[tag], summary=f"Create a {label}", name=f"create_{s.entity}",
                         responses={409: {"model": ProblemDetail, "description": "It refers to a record that does "
                                          "not exist, or repeats a unique one"}})

    def read_record(record_id: RecordId, atlas: Atlas = Depends(atlas_of)):
        return atlas.get(s.record, record_id).model_dump()

    router.add_api_route(f"{path}/{{record_id}}", read_record, methods=["GET"], response_model=s.public, tags=[tag],
                         summary=f"Read a {label}", name=f"read_{s.entity}")

    def update_record(record_id: RecordId, payload: Annotated[s.update, Body()], atlas: Atlas = Depends(atlas_of)):
        current = atlas.get(s.record, record_id).model_dump()
        changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
        if changes.get("consent") is False and "email" not in changes:
            current["email"] = None  # consent withdrawn: the contact details go
        return atlas.update(validated(s.record, {**current, **changes, "id": record_id})).model_dump()

    router.add_api_route(f"{path}/{{record_id}}", update_record, methods=["PATCH"], response_model=s.public,
                         tags=[tag], summary=f"Update a {label}", name=f"update_{s.entity}")

    def delete_record(record_id: RecordId, atlas: Atlas = Depends(atlas_of)):
        atlas.delete(s.record, record_id)
        return Response(status_code=204)

    router.add_api_route(f"{path}/{{record_id}}", delete_record, methods=["DELETE"], status_code=204, tags=[tag],
                         summary=f"Delete a {label}", name=f"delete_{s.entity}",
                         description="What depends on it goes with it (an organisation's ties, participations and "
                                     "innovations); references from elsewhere are cleared.")


for _schemas in SCHEMAS.values():
    _routes(_schemas)

"""Saved map views: a named view of the map (its URL query), shared by its visibility.

``/api/v1/map/views`` lists, saves, reads, changes and deletes them; ``/views/{id}`` opens one on the map (303 to
``/?<query>``). A view the caller may not see is not there (404), whatever its visibility. Answers are per user:
they say ``Cache-Control: no-store``.
"""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
from typing import Annotated, Any, Literal, Optional

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from ..services import views
from ..store import Atlas
from ..store.atlas import NotFound
from .deps import atlas_of, json_response
from .records import IfMatch, etag, expected_version
from .schemas import MAX_ID, ProblemDetail

__all__ = ["router", "ViewCreate", "ViewUpdate", "ViewPublic", "ViewsPublic"]

# No prefix: the API's routes and the page that opens a view live side by side.
router = APIRouter(responses={404: {"model": ProblemDetail}, 422: {"model": ProblemDetail}})
ViewId = Annotated[int, Path(ge=1, le=MAX_ID, description="The view's id")]
Visibility = Literal["private", "hub", "network", "public"]
_BASE = "/api/v1/map/views"
_TAGS = ["map"]


class ViewCreate(BaseModel):
    """A view to save: its name, the map's query string, and who may see it."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=views.MAX_NAME, description="What the view is called")
    query: str = Field(description="The map's query string, e.g. hub=3&colour=type (at most 2,000 characters)")
    visibility: Visibility = Field("private", description="private: you alone; hub: the members of hub_id; "
                                                          "network: those and the hubs it shares with; public: "
                                                          "anyone. Sharing takes an editor or above")
    hub_id: Optional[int] = Field(None, ge=1, le=MAX_ID, description="The hub of a hub or network view "
                                                                      "(one of yours)")
    description: Optional[str] = Field(None, max_length=2000)


class ViewUpdate(BaseModel):
    """The fields of a view to change; the others stay."""

    model_config = ConfigDict(extra="forbid")
    name: Optional[str] = Field(None, min_length=1, max_length=views.MAX_NAME)
    query: Optional[str] = None
    visibility: Optional[Visibility] = None
    hub_id: Optional[int] = Field(None, ge=1, le=MAX_ID)
    description: Optional[str] = Field(None, max_length=2000)


class ViewPublic(BaseModel):
    """A saved view as the API answers it."""

    id: int
    name: str
    description: Optional[str]
    query: str = Field(description="The map's query string")
    link: str = Field(description="The map's address of the view: /?<query>")
    page: str = Field(description="The view's own address, /views/{id}, which opens it on the map")
    visibility: Visibility
    hub_id: Optional[int]
    hub: Optional[str] = Field(description="The hub's name")
    author_id: int
    author: str = Field(description="The author's name")
    mine: bool = Field(description="Whether the caller is its author")
    created_at: str
    updated_at: str
    version: int


class ViewsPublic(BaseModel):
    """The views the caller may see."""

    data: list[ViewPublic]
    count: int


def _private(response: Response) -> Response:
    # Each caller has their own views: never kept by a browser or a shared cache
    response.headers["Cache-Control"] = "no-store"
    return response


def _view(view: dict[str, Any], status: int = 200) -> Response:
    response = json_response(view, status)
    response.headers["ETag"] = etag(view["version"])
    return _private(response)


@router.get(_BASE, tags=_TAGS, response_model=ViewsPublic, summary="The saved views you may see",
            description="Your own first, then those shared with you (by your hubs, the hubs sharing with them, "
                        "or with everyone), newest first.")
def map_views(atlas: Atlas = Depends(atlas_of)) -> Response:
    found = views.visible_views(atlas)
    return _private(json_response({"data": found, "count": len(found)}))


@router.post(_BASE, tags=_TAGS, response_model=ViewPublic, status_code=201, summary="Save a view of the map",
             description="Any signed-in user saves private views; hub, network and public ones take an editor, a "
                         "manager or an admin (and a hub of their own).",
             responses={401: {"model": ProblemDetail}, 403: {"model": ProblemDetail}})
def save_view(body: ViewCreate, atlas: Atlas = Depends(atlas_of)) -> Response:
    view = views.create_view(atlas, **body.model_dump())
    response = _view(view, 201)
    response.headers["Location"] = f"{_BASE}/{view['id']}"
    return response


@router.get(f"{_BASE}/{{view_id}}", tags=_TAGS, response_model=ViewPublic, summary="Read a saved view",
            description="Its version comes as the ETag header; If-None-Match answers 304 while it has not changed.")
def read_view(view_id: ViewId, request: Request, atlas: Atlas = Depends(atlas_of)) -> Response:
    response = _view(views.read_view(atlas, view_id))
    if request.headers.get("if-none-match", "").strip().removeprefix("W/") == response.headers["ETag"]:
        return _private(Response(status_code=304, headers={"ETag": response.headers["ETag"]}))
    return response


@router.patch(f"{_BASE}/{{view_id}}", tags=_TAGS, response_model=ViewPublic, summary="Change a saved view",
              description="Its author or an admin; only the fields given change. If-Match (the ETag read) refuses "
                          "with 412 when the view changed since.",
              responses={403: {"model": ProblemDetail}, 412: {"model": ProblemDetail}})
def change_view(view_id: ViewId, body: ViewUpdate, if_match: IfMatch = None,
                atlas: Atlas = Depends(atlas_of)) -> Response:
    return _view(views.update_view(atlas, view_id, body.model_dump(exclude_unset=True),
                                   expected_version=expected_version(if_match)))


@router.delete(f"{_BASE}/{{view_id}}", tags=_TAGS, status_code=204, summary="Delete a saved view",
               description="Its author or an admin.",
               responses={403: {"model": ProblemDetail}, 412: {"model": ProblemDetail}})
def delete_view(view_id: ViewId, if_match: IfMatch = None, atlas: Atlas = Depends(atlas_of)) -> Response:
    views.delete_view(atlas, view_id, expected_version=expected_version(if_match))
    return _private(Response(status_code=204))


@router.get("/views/{view_id}", include_in_schema=False, response_class=HTMLResponse)
def open_view(view_id: str, request: Request, atlas: Atlas = Depends(atlas_of)) -> Response:
    from .pages import _page  # the site's page frame (and its 404 in words)

    try:
        view = views.read_view(atlas, int(view_id)) if view_id.isascii() and view_id.isdigit() else None
    except NotFound:
        view = None
    if view is None:  # not there, or not for this caller: the same answer, so nothing leaks
        return _private(_page(request, "missing.html", 404, title="No such view",
                              what=f"saved view {view_id[:20]} that you may open"))
    return _private(RedirectResponse(view["link"], status_code=303))

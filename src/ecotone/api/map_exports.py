"""Exports of the map's current view (what the browser shows: its actors, ties, positions, colours and sizes)."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal, Optional

import pandas as pd
from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from starlette.background import BackgroundTask

from ..services.analysis import Filters
from ..services.exports import MapView, export_view
from ..store import Atlas
from .deps import atlas_of
from .schemas import MAX_ID, ProblemDetail

__all__ = ["router", "ViewNodes", "ViewExport"]

router = APIRouter(prefix="/api/v1", responses={422: {"model": ProblemDetail}})

_Id = Annotated[int, Field(ge=1, le=MAX_ID)]
_Coordinate = Annotated[float, Field(allow_inf_nan=False)]
_Size = Annotated[float, Field(ge=0, allow_inf_nan=False)]
_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def _hex_colour(value: str) -> str:
    if not _HEX.fullmatch(value):
        raise ValueError(f"{value[:40]!r} is not a colour as #rrggbb")
    return value


_Colour = Annotated[str, AfterValidator(_hex_colour)]
_Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ViewNodes(BaseModel):
    """The visible nodes as columns (one entry per node in each), as the browser draws them."""

    model_config = ConfigDict(extra="forbid")

    id: list[Optional[_Id]] = Field(description="Actor ids; at the hubs level hub ids, null for the actors "
                                                "without a hub.")
    x: list[_Coordinate] = Field(description="Graph coordinates (sigma's node x).")
    y: list[_Coordinate] = Field(description="Graph coordinates (sigma's node y).")
    size: Optional[list[_Size]] = Field(None, description="Node sizes as drawn.")
    color: Optional[list[_Colour]] = Field(None, description="Node colours as drawn, #rrggbb.")

    @model_validator(mode="after")
    def _same_length(self) -> "ViewNodes":
        n = len(self.id)
        for name in ("x", "y", "size", "color"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"{len(value)} values of {name} for {n} ids: give one per node")
        if not n:
            raise ValueError("the view has no nodes: there is nothing to export")
        return self


class ViewExport(BaseModel):
    """The map's current view: the filters it was loaded with (as in its URL) and the nodes it shows."""

    model_config = ConfigDict(extra="forbid")

    level: Literal["actors", "hubs"] = Field("actors", description="Actors, or the hub summary (hubs as nodes).")
    hub: list[_Name] = Field([], description="Hub ids or names the map was filtered to.")
    type: list[_Name] = Field([], description="Stakeholder types the map was filtered to.")
    kind: list[_Name] = Field([], description="Tie kinds the map was filtered to.")
    year: Optional[Annotated[int, Field(ge=1000, le=9999)]] = Field(
        None, description="Only the ties started by this year (undated ties stay); null: any year.")
    ego: bool = Field(False, description="The nodes are the ego network of the selected node (the ego view).")
    selected: Optional[_Id] = Field(None, description="The selected actor (or hub), the ego of the ego view.")
    colour: Optional[_Name] = Field(None, description="What colours stand for (type, hub…), said in the file.")
    size: Optional[_Name] = Field(None, description="What sizes stand for (degree, pagerank…), said in the file.")
    nodes: ViewNodes


@router.post("/exports/gexf", tags=["map"], summary="Download the map's current view as GEXF",
             responses={200: {"description": "A GEXF 1.3 file: the view's actors and ties with the browser's "
                                             "positions, colours and sizes",
                              "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}}}})
def export_map_view(view: ViewExport, atlas: Atlas = Depends(atlas_of)) -> FileResponse:
    """The actors and ties of the map's current view as GEXF 1.3, for Gephi or graphology.

    The server reads the actors and ties itself, through the caller's visibility, under the view's filters; it
    keeps the nodes the browser sent (each must be on that map) and the ties between them started by ``year``,
    and writes ``viz:position``, ``viz:color`` and ``viz:size`` from what the browser sent.
    """
    nodes = pd.DataFrame({"id": view.nodes.id, "x": view.nodes.x, "y": view.nodes.y,
                          **({"size": view.nodes.size} if view.nodes.size is not None else {}),
                          **({"color": view.nodes.color} if view.nodes.color is not None else {})})
    plain = MapView(nodes, Filters(hubs=tuple(view.hub), types=tuple(view.type), kinds=tuple(view.kind)),
                    level=view.level, year=view.year, ego=view.ego, selected=view.selected, colour=view.colour,
                    size=view.size)
    folder = Path(tempfile.mkdtemp(prefix="ecotone-export-"))
    try:
        path = export_view(atlas, plain, folder / "ecotone-map.gexf")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(path, media_type="application/xml", filename=path.name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


"""What the registry's forms are built from: ``/api/v1/forms/{kind}`` describes each field of a kind (label,
widget, choices, bounds, references), and ``/api/v1/forms/{kind}/labels`` names records by their ids."""

# No `from __future__ import annotations`: FastAPI reads the parameters from the handlers' annotations.
from fastapi import APIRouter, Depends, Query

from ..domain import ENTITIES
from ..services import forms
from ..store import Atlas
from ..store.atlas import AtlasError
from .deps import atlas_of, json_response
from .schemas import MAX_ID, plural

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/forms", tags=["forms"])


def _ids(text: str) -> list[int]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not all(p.isdigit() and len(p) <= 10 and 1 <= int(p) <= MAX_ID for p in parts):
        raise AtlasError("ids must be record ids (whole numbers from 1) separated by commas, such as 3,12,40")
    return [int(p) for p in parts]


def _routes(entity: str) -> None:
    path, label = f"/{plural(entity)}", forms.kind_label(entity)

    def describe():
        return json_response(forms.describe(entity))

    router.add_api_route(path, describe, methods=["GET"], name=f"form_{entity}",
                         summary=f"The form of a {label}",
                         description="Each field (without the id) with its label in words, widget, whether it is "
                                     "required, default, bounds, choices and the kind a reference points to; the "
                                     "list's filters and columns; the fields a bulk edit sets.")

    def labels(ids: str = Query("", max_length=12_000, description="Record ids separated by commas (up to 1000)"),
               atlas: Atlas = Depends(atlas_of)):
        return json_response({str(k): v for k, v in forms.labels(atlas, entity, _ids(ids)).items()})

    router.add_api_route(f"{path}/labels", labels, methods=["GET"], name=f"form_labels_{entity}",
                         summary=f"What to call {forms.kind_label(entity, 2)} by their ids",
                         description="id → name (or a few words) of each record the caller may see; the others "
                                     "are left out.")


for _entity in ENTITIES:
    _routes(_entity)

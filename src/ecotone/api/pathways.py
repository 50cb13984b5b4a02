"""Regulatory pathways: the months each takes to a decision, with the hub's overrides and the sources."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
from typing import Any

from fastapi import APIRouter, Depends

from ..services import pathways
from ..store import Atlas
from .deps import atlas_of
from .schemas import ProblemDetail

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses={422: {"model": ProblemDetail}})


@router.get("/pathways", tags=["velocity"], summary="List the regulatory pathways and their months to a decision")
def regulatory_pathways(atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    """Every pathway (CE under the MDR, FDA 510(k), De Novo, PMA, DiGA…) with its low, typical and high months
    from filing to a decision, whether the hub overrode it (``ecotone pathways import``), its source and link."""
    result = pathways.list_pathways(atlas)
    return {"data": result.tables["pathways"], "count": result.summary["pathways"],
            "overridden": result.summary["overridden"]}

"""Partnering: explained recommendations, scorecards and ratings, brokerage events (scheduled as jobs)."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile

from ..services import partnering
from ..services.recommend import recommend
from ..domain.access import Principal
from ..domain.problems import InputRejected
from ..store import Atlas
from .auth import writer
from .deps import atlas_of
from .files import named_as_uploaded, saved, uploads
from .schemas import JobPublic, ProblemDetail, RecordId, ResultPublic

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses={422: {"model": ProblemDetail}})


@router.get("/recommendations", tags=["partnering"], response_model=ResultPublic,
            summary="Explained partner recommendations")
def recommendations(atlas: Atlas = Depends(atlas_of),
                    organization: Annotated[Optional[list[str]], Query(description="Seekers: names or ids.")] = None,
                    innovation: Annotated[Optional[list[str]], Query()] = None, hub: Optional[str] = None,
                    stage: Optional[str] = None, top: int = Query(10, ge=1, le=100),
                    cross_border: float = Query(0.5, ge=0, le=1)):
    try:
        return recommend(atlas, organizations=organization or [], innovations=innovation or [], hub=hub, stage=stage,
                         top=top, cross_border=cross_border).as_dict()
    except InputRejected as exc:  # the service names the command line's options: here they are parameters
        raise InputRejected([replace(p, column=_PARAMETERS.get(p.column, p.column), hint=_parameters(p.hint))
                             for p in exc.problems], exc.report) from None


#: The recommender's command-line options, as this endpoint's query parameters.
_PARAMETERS = {"--org": "organization", "--innovation": "innovation", "--hub": "hub", "--stage": "stage",
               "--cross-border": "cross_border", "--top": "top"}


def _parameters(text: str | None) -> str | None:
    """A hint with the command line's options said as this endpoint's parameters.

    >>> _parameters("give --stage (e.g. --stage clinical_validation)")
    'give stage (e.g. stage clinical_validation)'
    """
    if text is None:
        return None
    for flag, name in _PARAMETERS.items():
        text = text.replace(flag, name)
    return text


@router.get("/partnerships/{record_id}/scorecard", tags=["partnering"], response_model=ResultPublic,
            summary="A partnership's scorecard")
def scorecard(record_id: RecordId, atlas: Atlas = Depends(atlas_of)):
    return partnering.evaluate(atlas, str(record_id)).as_dict()


@router.post("/partnerships/{record_id}/ratings", tags=["partnering"], summary="Record an evaluator's ratings")
def ratings(record_id: RecordId, file: UploadFile = File(...), dry_run: bool = Form(False),
            atlas: Atlas = Depends(atlas_of), _: Principal = Depends(writer)) -> dict[str, Any]:
    with uploads([file]) as (_, [path]):
        report = partnering.record_ratings(atlas, str(record_id), path, dry_run=dry_run)
    return {"dry_run": dry_run, "rows": report.rows(), "warnings": report.warnings}


@router.post("/events", tags=["partnering"], status_code=202, response_model=JobPublic,
             summary="Schedule a brokerage event from its workbook (a background job)")
def events(request: Request, file: UploadFile = File(..., description="The organiser's .xlsx workbook."),
           tables: int = Form(20, ge=1, le=1000), method: str = Form("auto"),
           time_limit: float = Form(20.0, gt=0, le=300), who: Principal = Depends(writer)) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="ecotone-event-"))
    [path] = saved([file], folder)
    out = folder / "agendas"

    def work(progress):
        progress("scheduling", 0, 1)
        with named_as_uploaded([file], [path], folder):  # the job's problems name the workbook as the user did
            result = partnering.schedule(path, out, tables=tables, method=method, time_limit=time_limit).as_dict()
        progress("scheduling", 1, 1)
        result["files"] = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
        return result

    return request.app.state.jobs.submit("event", work, folder=folder, owner=who).public()

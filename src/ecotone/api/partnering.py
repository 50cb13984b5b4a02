"""Partnering: explained recommendations, scorecards and ratings, brokerage events (scheduled as jobs)."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile

from ..services import partnering
from ..services.jobs import kind
from ..services.recommend import recommend
from ..domain.access import Principal
from ..domain.problems import InputRejected, Problem
from ..store import Atlas
from ..store.atlas import AtlasError, NotFound
from .auth import principal, writer
from .deps import atlas_of
from .files import relabelled, saved, shown, uploads
from .problems import TOO_MUCH_WORK, said_as
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
    with said_as(_PARAMETERS):  # the service names the command line's options: here they are parameters
        return recommend(atlas, organizations=organization or [], innovations=innovation or [], hub=hub, stage=stage,
                         top=top, cross_border=cross_border).as_dict()


#: The recommender's command-line options, as this endpoint's query parameters.
_PARAMETERS = {"--org": "organization", "--innovation": "innovation", "--hub": "hub", "--stage": "stage",
               "--cross-border": "cross_border", "--top": "top"}


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


#: The scheduler's command-line options, as the event form's fields.
_EVENT_FIELDS = {"--tables": "tables", "--method": "method", "--time-limit": "time_limit"}
_WORKBOOK = "the organiser's workbook is an .xlsx with sheets Participants, Slots and Requests (and optionally Event)"


@router.post("/events", tags=["partnering"], status_code=202, response_model=JobPublic, responses=TOO_MUCH_WORK,
             summary="Schedule a brokerage event from its workbook (a background job)",
             description="The job's result holds the agenda, the meetings left out and the files written; "
                         "`/api/v1/jobs/{id}/files/{name}` serves one file, `/api/v1/jobs/{id}/agendas.zip` all "
                         "of them in one zip.")
def events(request: Request, file: UploadFile = File(..., description="The organiser's .xlsx workbook."),
           tables: int = Form(20, ge=1, le=1000),
           method: Literal["auto", "cp-sat", "greedy"] = Form("auto"),
           time_limit: float = Form(20.0, gt=0, le=300), who: Principal = Depends(writer)) -> dict[str, Any]:
    if Path(file.filename or "").suffix.lower() not in (".xlsx", ".xlsm"):
        raise InputRejected([Problem(file.filename or "the upload", reason="is not an .xlsx workbook",
                                     hint=_WORKBOOK)])
    with tempfile.TemporaryDirectory(prefix="ecotone-event-") as name:
        [path] = saved([file], Path(name))
        workbook = {path.name: path.read_bytes()}
    params = {"workbook": path.name, "shown": shown(file.filename, path), "tables": tables, "method": method,
              "time_limit": time_limit}
    return request.app.state.jobs.submit("event", params, owner=who, inputs=workbook)


@kind("event")
def _event(atlas: Atlas, params: dict[str, Any], progress, folder: Path) -> dict[str, Any]:
    path, out = folder / "in" / params["workbook"], folder / "out"
    progress("scheduling", 0, 1)
    # the job's problems name the workbook as the user did, and the command line's options as the form's fields
    with said_as(_EVENT_FIELDS), relabelled({str(path): params["shown"], str(folder): "the uploaded files"}):
        result = partnering.schedule(path, out, tables=params["tables"], method=params["method"],
                                     time_limit=params["time_limit"]).as_dict()
    progress("scheduling", 1, 1)
    result["summary"].pop("output", None)  # where the worker kept the files is none of the reader's business
    result["files"] = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    return result


@router.get("/jobs/{job_id}/agendas.zip", tags=["partnering"], response_class=Response,
            summary="Every agenda of a scheduled event, in one zip",
            description="Each participant's and each organisation's calendar (.ics) and agenda (.csv), the whole "
                        "event's calendar (event.ics), the agenda of every meeting (agenda.csv, agenda.xlsx) and "
                        "the requests left out (unscheduled.csv). Only who scheduled the event gets it.",
            responses={200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "The zip"}})
def event_agendas(request: Request, job_id: str) -> Response:
    jobs = request.app.state.jobs
    job = jobs.get(job_id, principal(request))
    if job is None or job["kind"] != "event":
        raise NotFound(f"no event {job_id!r} was scheduled by you (finished schedules are kept "
                       f"{jobs.settings.job_keep_hours} hours)")
    if job["status"] != "done":
        state = {"queued": "waiting for a job worker", "running": "still being scheduled",
                 "cancelled": "not scheduled: it was cancelled"}.get(job["status"], "not scheduled: it failed")
        raise AtlasError(f"the event is {state}; its agendas come when it is scheduled")
    # an HTTP header is Latin-1: the file's name keeps the event's name in ASCII letters and digits
    name = re.sub(r"[^A-Za-z0-9.-]+", "-", str(job["result"]["summary"].get("event") or "event")).strip("-") or "event"
    with tempfile.TemporaryDirectory(prefix="ecotone-agendas-") as folder:
        for file, content in jobs.book.files(job_id).items():
            target = Path(folder) / file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        body = partnering.agenda_zip(Path(folder))
    return Response(body, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}-agendas.zip"'})

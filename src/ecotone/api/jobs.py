"""Background jobs as their owners see them: listed, followed, cancelled, retried, and the files they wrote. The
jobs themselves live in the atlas (services/jobs.py), so every web worker answers for every job."""

from __future__ import annotations

import mimetypes
from typing import Any, Literal, Optional

from fastapi import APIRouter, Query, Request, Response

from ..services.jobs import JobRefused, JobState, QueueAway, public
from ..store.atlas import NotFound
from .auth import principal
from .problems import TOO_MUCH_WORK, problem
from .schemas import JobPublic, JobsPublic

__all__ = ["router", "install"]

router = APIRouter(prefix="/api/v1", tags=["jobs"])


@router.get("/jobs", response_model=JobsPublic, summary="Your background jobs, newest first")
def jobs(request: Request, status: Optional[list[Literal["queued", "running", "done", "failed", "cancelled"]]]
         = Query(None, description="Only jobs in these states."),
         limit: int = Query(50, ge=1, le=500, description="Jobs per page."),
         offset: int = Query(0, ge=0, le=2**31 - 1, description="Jobs to skip.")) -> dict[str, Any]:
    mine, count = request.app.state.jobs.mine(principal(request), statuses=tuple(status) if status else None,
                                              limit=limit, offset=offset)
    return {"data": [public(job) for job in mine], "count": count}


@router.get("/jobs/{job_id}", response_model=JobPublic, summary="A background job's progress")
def job(request: Request, job_id: str) -> dict[str, Any]:
    return public(request.app.state.jobs.own(job_id, principal(request)))


@router.post("/jobs/{job_id}/cancel", response_model=JobPublic, summary="Cancel a queued or running job",
             description="A queued job is cancelled at once; a running one stops at its next step of progress.")
def cancel(request: Request, job_id: str) -> dict[str, Any]:
    return request.app.state.jobs.cancel(job_id, principal(request))


@router.post("/jobs/{job_id}/retry", status_code=202, response_model=JobPublic, responses=TOO_MUCH_WORK,
             summary="Run a finished, failed or cancelled job again, as it was asked")
def retry(request: Request, job_id: str) -> dict[str, Any]:
    return request.app.state.jobs.retry(job_id, principal(request))


@router.get("/jobs/{job_id}/files/{name:path}", summary="A file a job wrote (an event's agendas)")
def job_file(request: Request, job_id: str, name: str) -> Response:
    jobs_ = request.app.state.jobs
    jobs_.own(job_id, principal(request))
    content = jobs_.book.file(job_id, name)
    if content is None:
        raise NotFound(f"job {job_id!r} wrote no file {name!r}")
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    filename = name.rsplit("/", 1)[-1].encode("ascii", "replace").decode().replace('"', "")
    return Response(content, media_type=kind, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def install(app) -> None:
    """A full quota is a 429 (the same request succeeds once one of the owner's jobs has finished); cancelling a
    finished job, or retrying a running one, a 409; a queue that cannot take the job, a 503."""

    @app.exception_handler(JobRefused)
    async def _refused(request: Request, exc: JobRefused):
        response = problem(429, "Too much background work at once", str(exc))
        response.headers["Retry-After"] = "60"
        return response

    @app.exception_handler(QueueAway)
    async def _away(request: Request, exc: QueueAway):
        response = problem(503, "The job queue cannot take work at the moment", str(exc))
        response.headers["Retry-After"] = "30"
        return response

    @app.exception_handler(JobState)
    async def _state(request: Request, exc: JobState):
        return problem(409, "The job is not in a state for that", str(exc))

"""``GET /health``: what a monitor (or a load balancer) asks of a web worker — whether it reaches the atlas, whether
its schema is the one this release needs, how deep the job queue is and how many job workers are alive."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .. import __version__
from ..services import queue

__all__ = ["router"]

router = APIRouter(tags=["monitoring"])


@router.get("/health", summary="Whether this web worker can serve: database, schema, job queue and workers",
            description="200 when the atlas answers and its schema is this release's; 503 otherwise (the body "
                        "says why). `jobs` counts the atlas's jobs by state (`queued` is the queue's depth); "
                        "`workers` the job workers heard from lately (PostgreSQL queue only).")
def health(request: Request) -> JSONResponse:
    atlas, jobs = request.app.state.atlas, request.app.state.jobs
    body: dict[str, Any] = {"status": "ok", "version": __version__, "database": atlas.dialect, "jobs_run": jobs.mode}
    try:
        current, newest = atlas.revision()
        body["schema"] = {"revision": current, "expected": newest}
        body["jobs"] = jobs.book.depth()
        if jobs.mode == "queue":
            body["workers"] = queue.live_workers(atlas.engine, within=jobs.settings.job_stalled_after)
            body["queue"] = queue.depth(atlas.engine)
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return JSONResponse({**body, "status": "unavailable", "problem": f"the atlas does not answer: {reason}"},
                            status_code=503)
    if current != newest:
        body["status"] = "unavailable"
        body["problem"] = (f"the atlas's schema is at revision {current}, this release expects {newest}: run the "
                           "same release of Ecotone everywhere and restart it (docs/deploy.md, Upgrades)")
        return JSONResponse(body, status_code=503)
    if jobs.mode == "queue" and body["jobs"]["queued"] and not body["workers"]:
        body["status"] = "degraded"
        body["problem"] = f"{body['jobs']['queued']} jobs wait and no job worker is running: start `ecotone worker`"
    return JSONResponse(body)

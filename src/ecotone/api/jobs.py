"""Long work (large analyses, Monte Carlo) run in the background, its progress asked for by id."""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from ..domain.problems import InputRejected
from ..domain.access import Principal
from ..simulate.spec import ModelError
from ..store.atlas import AtlasError, Forbidden, NotFound, NotSignedIn
from .auth import principal
from .schemas import JobPublic

__all__ = ["Job", "Jobs", "router"]

router = APIRouter(prefix="/api/v1")
_log = logging.getLogger(__name__)


@dataclass
class Job:
    """One piece of background work: what it is, how far it got, and its result or its problems."""

    id: str
    kind: str
    status: str = "queued"  # queued, running, done, failed
    task: str = ""
    done: int = 0
    total: int = 0
    started: float = field(default_factory=time.time)
    finished: float | None = None
    result: Any = None
    error: dict[str, Any] | None = None
    folder: Path | None = None  # files the job wrote, for download; removed with the job
    owner: str = ""  # who submitted it: only they see it

    def public(self) -> dict[str, Any]:
        share = self.done / self.total if self.total else (1.0 if self.status == "done" else 0.0)
        return {"id": self.id, "kind": self.kind, "status": self.status, "task": self.task, "done": self.done,
                "total": self.total, "progress": round(share, 3),
                "seconds": round((self.finished or time.time()) - self.started, 2),
                "result": self.result if self.status == "done" else None, "error": self.error}


class Jobs:
    """A small pool running jobs one or two at a time (the machine's cores are the limit); finished jobs are kept
    for ``keep`` seconds."""

    def __init__(self, workers: int = 2, keep: float = 3600) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ecotone-job")
        self.jobs: dict[str, Job] = {}
        self.keep = keep
        self.lock = threading.Lock()

    def submit(self, kind: str, work: Callable[[Callable[[str, int, int], None]], Any], *, owner: Principal,
               folder: Path | None = None) -> Job:
        """Run ``work(progress)`` in the background for ``owner`` (who alone sees the job); ``progress(task,
        done, total)`` updates the job; ``folder`` holds files it writes, deleted when the job is forgotten."""
        if not owner.signed_in:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            raise NotSignedIn("sign in to run background work (simulations, large analyses, event schedules)")
        job = Job(uuid.uuid4().hex[:12], kind, folder=folder, owner=_owner_key(owner))
        with self.lock:
            now = time.time()
            for key in [k for k, j in self.jobs.items() if j.finished and now - j.finished > self.keep]:
                old = self.jobs.pop(key)
                if old.folder is not None:
                    shutil.rmtree(old.folder, ignore_errors=True)
            self.jobs[job.id] = job

        def progress(task: str, done: int, total: int) -> None:
            job.task, job.done, job.total = task, done, total

        def run() -> None:
            job.status = "running"
            try:
                job.result = work(progress)
                job.status = "done"
            except Exception as exc:  # noqa: BLE001 - reported through the job, never lost
                job.status, job.error = "failed", _failure(job, exc)
            finally:
                job.finished = time.time()

        self.pool.submit(run)
        return job

    def get(self, job_id: str, who: Principal) -> Job | None:
        """The job, if ``who`` submitted it (to anyone else it does not exist)."""
        job = self.jobs.get(job_id)
        return job if job is not None and job.owner == _owner_key(who) else None


#: The titles of a job's failures that users can act on, as the API's problems title them (api/problems.py).
_TITLES = ((NotFound, "Not found"), (Forbidden, "Not allowed"), (ModelError, "The model cannot run"))


def _failure(job: Job, exc: Exception) -> dict[str, Any]:
    """Why a job failed, in words, as the API says it of a request: the input's problems, each by its field; what
    the atlas or the model refused; and of anything else that no user can act on only that it happened (what it
    was goes to the server's log, under the job's id)."""
    if isinstance(exc, InputRejected):  # the same errors as a 422 answer: a field's problems name the field
        return {"title": "The input was rejected",
                "errors": [{**p.as_dict(), **({"field": p.column} if p.column and not p.file else {})}
                           for p in exc.problems]}
    if isinstance(exc, (AtlasError, ValueError)):  # the atlas's refusals and the model's are said for users
        title = next((t for kind, t in _TITLES if isinstance(exc, kind)), "The work cannot be done")
        return {"title": title, "detail": str(exc)}
    _log.error("job %s (%s) stopped on an unexpected error", job.id, job.kind, exc_info=exc)
    return {"title": "The job stopped on an unexpected error",
            "detail": f"Try again; if it stops again, tell the administrator: the server's log says what "
                      f"happened (job {job.id})."}


def _owner_key(who: Principal) -> str:
    return "owner" if who.kind == "owner" else f"user:{who.user_id}"


@router.get("/jobs/{job_id}", tags=["jobs"], response_model=JobPublic, summary="A background job's progress")
def job(request: Request, job_id: str) -> dict[str, Any]:
    found = request.app.state.jobs.get(job_id, principal(request))
    if found is None:
        raise NotFound(f"no job {job_id!r} (finished jobs are kept an hour)")
    return found.public()


@router.get("/jobs/{job_id}/files/{name:path}", tags=["jobs"], summary="A file a job wrote (an event's agendas)")
def job_file(request: Request, job_id: str, name: str) -> FileResponse:
    found = request.app.state.jobs.get(job_id, principal(request))
    folder = found.folder / "agendas" if found is not None and found.folder is not None else None
    path = (folder / name).resolve() if folder else None
    if path is None or folder.resolve() not in path.parents or not path.is_file():
        raise NotFound(f"job {job_id!r} wrote no file {name!r}")
    return FileResponse(path, filename=path.name)

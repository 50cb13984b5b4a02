"""Long work (large analyses, Monte Carlo) run in the background, its progress asked for by id."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..domain.problems import InputRejected

__all__ = ["Job", "Jobs"]


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

    def submit(self, kind: str, work: Callable[[Callable[[str, int, int], None]], Any], *,
               folder: Path | None = None) -> Job:
        """Run ``work(progress)`` in the background; ``progress(task, done, total)`` updates the job; ``folder``
        holds files it writes, deleted when the job is forgotten."""
        job = Job(uuid.uuid4().hex[:12], kind, folder=folder)
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
            except InputRejected as exc:
                job.status, job.error = "failed", {"title": "The input was rejected",
                                                   "errors": [p.as_dict() for p in exc.problems]}
            except Exception as exc:  # noqa: BLE001 - reported through the job, never lost
                job.status = "failed"
                job.error = {"title": f"{type(exc).__name__}: {exc}"}
            finally:
                job.finished = time.time()

        self.pool.submit(run)
        return job

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

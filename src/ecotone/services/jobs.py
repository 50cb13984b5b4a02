"""Background work: jobs taken from users, kept in the atlas (store/jobs.py), carried by a queue to whoever runs
them, and run on their owner's behalf.

Two queues carry a job's id:

- on PostgreSQL, **Procrastinate** (services/queue.py): a maintained task queue that uses the database already
  there (no broker to run, back up or secure), so `ecotone worker` on any machine that reaches the database runs
  jobs, a job survives a restart of the web process, and a job whose worker died is run again by another;
- on SQLite (one machine), a thread pool of the web process, as before, but the job is kept in the atlas, so it
  can be listed, cancelled and retried, and a job left behind by a stopped server is taken again at the next start.

A job's *kind* names the work (a simulation, an event's schedule, an analysis…): the API registers each kind with
:func:`kind`, and the job runs it with the parameters the request gave, as the request's principal.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..domain.access import Principal
from ..domain.problems import InputRejected
from ..settings import Settings
from ..store import Atlas, AtlasError, NotFound
from ..store.accounts import Accounts
from ..store.atlas import Forbidden, NotSignedIn
from ..store.jobs import FINISHED, IN_FLIGHT, JobBook, worker_name

__all__ = ["Jobs", "JobRefused", "JobState", "QueueAway", "Progress", "kind", "run_job", "owner_key", "public"]

_log = logging.getLogger(__name__)

#: progress(task, done, total): how far a job got; raises :class:`Cancelled` once the job's owner cancelled it
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Kind:
    """A kind of job: ``run(atlas, params, progress, folder)`` returns the result (JSON); ``folder`` holds the
    job's input files under ``in/`` and takes the files it writes under ``out/``."""

    name: str
    run: Callable[[Atlas, dict[str, Any], Progress, Path], Any]


KINDS: dict[str, Kind] = {}


def kind(name: str):
    """Register the work of the jobs of kind ``name``."""
    def register(run):
        KINDS[name] = Kind(name, run)
        return run
    return register


class Cancelled(Exception):
    """The job's owner cancelled it while it ran."""


class JobRefused(AtlasError):
    """A job not taken: its owner's quota is full."""


class QueueAway(AtlasError):
    """The job queue (PostgreSQL) could not take the job: nothing was queued."""


class JobState(AtlasError):
    """A job not in a state for what was asked (cancelling a finished job, retrying a running one)."""


def owner_key(who: Principal) -> str:
    return "owner" if who.kind == "owner" else f"user:{who.user_id}"


def _principal(engine: sa.Engine, owner: str) -> Principal:
    """Who a job runs as: its owner as they are now (a role changed since applies; a removed account stops it)."""
    if owner == "owner":
        return Atlas(engine).principal
    user = Accounts(Atlas(engine)).user_by_id(int(owner.removeprefix("user:")))
    if user is None:
        raise Forbidden("the account that asked for this job no longer exists")
    return Accounts.principal(user, "api")


# -- running ---------------------------------------------------------------------------------------------------
#: How often a running job tells the atlas it is alive, and writes its progress at most (seconds)
BEAT = 2.0


def run_job(engine: sa.Engine, job_id: str, *, stalled_after: float | None = None) -> str | None:
    """Run the job ``job_id`` in this process (a new attempt) and record how it ended; its final status, or None
    when it was not to run (finished, cancelled before it started, or still running in a live worker: a job's
    worker is taken for dead once not heard of for ``stalled_after`` seconds, ECOTONE_JOB_STALLED_AFTER)."""
    book = JobBook(engine)
    after = Settings().job_stalled_after if stalled_after is None else stalled_after
    job = book.start(job_id, dt.timedelta(seconds=after))
    if job is None:
        return None
    stop = threading.Event()
    beating = threading.Thread(target=_beat, args=(book, job_id, stop), daemon=True, name=f"ecotone-beat-{job_id}")
    beating.start()
    last = [0.0]

    def progress(task: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < BEAT and done < total:
            return
        last[0] = now
        if not book.progress(job_id, task, done, total):
            raise Cancelled()

    try:
        with tempfile.TemporaryDirectory(prefix=f"ecotone-job-{job_id}-") as name:
            folder = Path(name)
            (folder / "in").mkdir()
            (folder / "out").mkdir()
            for file, content in book.files(job_id, "input").items():
                (folder / "in" / file).write_bytes(content)
            try:
                work = KINDS[job["kind"]]
            except KeyError:
                raise AtlasError(f"this server runs no jobs of kind {job['kind']!r}: it is older than the one that "
                                 "took the job; upgrade it") from None
            result = work.run(Atlas(engine, _principal(engine, job["owner"])), job["params"], progress, folder)
            outputs = {p.relative_to(folder / "out").as_posix(): p.read_bytes()
                       for p in sorted((folder / "out").rglob("*")) if p.is_file()}
        status = "done"
        book.finish(job_id, status, result=_jsonable(result), outputs=outputs)
    except Cancelled:
        status = "cancelled"
        book.finish(job_id, status, error={"title": "Cancelled", "detail": "cancelled by its owner"})
    except Exception as exc:  # noqa: BLE001 - reported through the job, never lost
        status = "failed"
        book.finish(job_id, status, error=failure(job_id, job["kind"], exc))
    finally:
        stop.set()
    return status


def _jsonable(result: Any) -> Any:
    """The result as the atlas keeps it (JSON): dates as ISO text, NumPy numbers as numbers, as the API says them."""
    import numpy as np
    from pydantic_core import to_jsonable_python

    def fallback(value: Any) -> Any:
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
        raise TypeError(f"a job's result cannot hold {type(value).__name__}")

    return to_jsonable_python(result, fallback=fallback)


def _beat(book: JobBook, job_id: str, stop: threading.Event) -> None:
    while not stop.wait(BEAT):
        try:
            book.beat(job_id)
        except sa.exc.SQLAlchemyError:  # the database busy or away for a moment: the next beat tries again
            pass


#: The titles of a job's failures that users can act on, as the API's problems title them (api/problems.py).
def _titles():
    from ..simulate.spec import ModelError
    return ((NotFound, "Not found"), (Forbidden, "Not allowed"), (ModelError, "The model cannot run"))


def failure(job_id: str, kind_name: str, exc: BaseException) -> dict[str, Any]:
    """Why a job failed, in words, as the API says it of a request: the input's problems, each by its field; what
    the atlas or the model refused; memory; and of anything else that no user can act on only that it happened
    (what it was goes to the server's log, under the job's id)."""
    if isinstance(exc, InputRejected):  # the same errors as a 422 answer: a field's problems name the field
        return {"title": "The input was rejected",
                "errors": [{**p.as_dict(), **({"field": p.column} if p.column and not p.file else {})}
                           for p in exc.problems]}
    if isinstance(exc, MemoryError):
        return {"title": "The job needed more memory than its worker may use",
                "detail": "Ask for less at once (fewer runs, fewer years or fewer scenarios), or ask the "
                          "administrator to give the job workers more memory (ecotone worker --memory-limit)."}
    if isinstance(exc, (AtlasError, ValueError)):  # the atlas's refusals and the model's are said for users
        title = next((t for k, t in _titles() if isinstance(exc, k)), "The work cannot be done")
        return {"title": title, "detail": str(exc)}
    _log.error("job %s (%s) stopped on an unexpected error", job_id, kind_name, exc_info=exc)
    return {"title": "The job stopped on an unexpected error",
            "detail": f"Try again; if it stops again, tell the administrator: the server's log says what "
                      f"happened (job {job_id})."}


def public(job: dict[str, Any]) -> dict[str, Any]:
    """A job as its owner reads it."""
    total, done, status = job["total"], job["done"], job["status"]
    share = done / total if total else (1.0 if status == "done" else 0.0)
    start = job["started_at"] or job["created_at"]
    end = job["finished_at"] or dt.datetime.now(dt.timezone.utc)
    task = job["task"]
    if status == "queued":
        task = "waiting for a job worker"
    return {"id": job["id"], "kind": job["kind"], "status": status, "task": task, "done": done, "total": total,
            "progress": round(min(share, 1.0), 3), "seconds": round(max((end - start).total_seconds(), 0.0), 2),
            "result": job["result"] if status == "done" else None, "error": job["error"],
            "attempts": job["attempts"], "created_at": job["created_at"].isoformat(),
            "finished_at": job["finished_at"].isoformat() if job["finished_at"] else None}


# -- taking, listing, cancelling, retrying ---------------------------------------------------------------------
class Jobs:
    """The jobs of one atlas, as a server (web or command line) takes and shows them: on PostgreSQL queued for the
    job workers (unless ``ECOTONE_JOBS=in-process``), on SQLite run by ``threads`` threads of this process.

    Quotas (settings): at most ``job_limit`` jobs of one user queued or running at once, and at most
    ``job_run_years`` simulated run-years among them (a 20,000-run, 25-year simulation against its baseline is
    1,000,000).
    """

    def __init__(self, engine: sa.Engine, *, settings: Settings | None = None) -> None:
        self.engine = engine
        self.book = JobBook(engine)
        self.settings = settings or Settings()
        mode = self.settings.jobs
        if mode == "auto":
            mode = "queue" if engine.dialect.name == "postgresql" else "in-process"
        if mode == "queue" and engine.dialect.name != "postgresql":
            raise AtlasError("ECOTONE_JOBS=queue needs the atlas on PostgreSQL (the queue lives in it); on SQLite "
                             "jobs run in the web process (ECOTONE_JOBS=in-process or auto)")
        self.mode = mode
        self._pool: ThreadPoolExecutor | None = None
        self._queue = None
        self._lock = threading.Lock()
        self._recovered = False

    # the carriers
    def _carry(self, job_id: str) -> None:
        if self.mode == "queue":
            with self._lock:
                if self._queue is None:
                    from .queue import Queue
                    self._queue = Queue(self.engine)
            self.book.queued_as(job_id, self._queue.defer(job_id))
            return
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.settings.job_threads,
                                                thread_name_prefix="ecotone-job")
        self._pool.submit(self._run_here, job_id)

    def _carry_or_fail(self, job_id: str) -> None:
        """Carry the job, or record that it could not be (failed, so that it neither waits forever nor counts
        against its owner's quota) and raise :class:`QueueAway`."""
        try:
            self._carry(job_id)
        except Exception as exc:  # noqa: BLE001 - the queue's database unreachable, full, or refusing
            _log.exception("job %s could not be queued", job_id)
            self.book.finish(job_id, "failed", error={
                "title": "The job queue could not take the job",
                "detail": "Nothing ran. Try again in a moment; if it fails again, tell the administrator (the "
                          "server's log says why)."})
            raise QueueAway("the job queue cannot take work at the moment (the server's log says why); nothing "
                            "was queued: try again in a moment") from exc

    def _run_here(self, job_id: str) -> None:
        try:
            run_job(self.engine, job_id, stalled_after=self.settings.job_stalled_after)
        except Exception:  # noqa: BLE001 - the atlas unreachable while recording: logged, the job taken again later
            _log.exception("job %s could not be run or recorded", job_id)

    def recover(self) -> int:
        """In-process queues: take again the jobs a stopped server left queued or running (their heartbeat is
        older than ``job_stalled_after`` seconds); how many. Job workers do this for the PostgreSQL queue."""
        if self.mode != "in-process":
            return 0
        after = dt.timedelta(seconds=self.settings.job_stalled_after)
        taken = [job_id for job_id in self.book.stalled(after, besides=worker_name())
                 if self.book.adopt(job_id, after)]
        for job_id in taken:
            self._carry(job_id)
        return len(taken)

    def close(self, *, wait: bool = False) -> None:
        """Stop taking jobs here: the ones not started stay queued in the atlas (taken again later); ``wait`` for
        the running ones to end."""
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
        if self._queue is not None:
            self._queue.close()

    # the users' doors
    def submit(self, kind_name: str, params: dict[str, Any], *, owner: Principal, cost: float = 0.0,
               inputs: dict[str, bytes] | None = None) -> dict[str, Any]:
        """Take a job of ``kind_name`` for ``owner`` (who alone sees it), queue it, and return it as its owner
        reads it.

        Raises
        ------
        NotSignedIn
            When ``owner`` is a visitor: background work is for accounts.
        JobRefused
            When the owner's quota of jobs in flight, or of run-years, is full.
        """
        if not owner.signed_in:
            raise NotSignedIn("sign in to run background work (simulations, large analyses, event schedules)")
        if kind_name not in KINDS:
            raise AtlasError(f"no kind of job {kind_name!r}")
        key = owner_key(owner)
        if not self._recovered:
            self._recovered = True
            self.recover()
        self.book.forget(dt.timedelta(hours=self.settings.job_keep_hours))
        count, weight = self.book.in_flight(key)
        limit, budget = self.settings.job_limit, self.settings.job_run_years
        if count >= limit:
            raise JobRefused(f"you have {count} jobs queued or running, the most one account may have at once "
                             f"({limit}); wait for one to finish, or cancel one (GET /api/v1/jobs lists them)")
        if cost and weight + cost > budget:
            raise JobRefused(f"this job would bring your simulations queued or running to {weight + cost:,.0f} "
                             f"run-years, more than one account may have at once ({budget:,.0f}); wait for them "
                             "to finish, or ask for fewer runs or years")
        job_id = self.book.create(kind_name, key, params, cost=cost, inputs=inputs)
        self._carry_or_fail(job_id)
        return public(self.book.get(job_id))

    def get(self, job_id: str, who: Principal) -> dict[str, Any] | None:
        """The job, if ``who`` submitted it (to anyone else it does not exist; the command line's owner, who runs
        the machine, sees every job)."""
        job = self.book.get(job_id)
        return job if job is not None and (who.kind == "owner" or job["owner"] == owner_key(who)) else None

    def mine(self, who: Principal, *, statuses: tuple[str, ...] | None = None, limit: int = 100,
             offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """A page of ``who``'s jobs, newest first (every job for the command line's owner), and how many there are."""
        owner = None if who.kind == "owner" else owner_key(who)
        return (self.book.list(owner=owner, statuses=statuses, limit=limit, offset=offset),
                self.book.count(owner=owner, statuses=statuses))

    def cancel(self, job_id: str, who: Principal) -> dict[str, Any]:
        job = self.own(job_id, who)
        if job["status"] in FINISHED:
            raise JobState(f"job {job_id} is already {job['status']}: there is nothing to cancel")
        self.book.cancel(job_id)
        return public(self.book.get(job_id))

    def retry(self, job_id: str, who: Principal, *, carry: bool = True) -> dict[str, Any]:
        """Queue a finished job again, as it was asked (``carry=False``: put it back in the queue only, for the
        caller to run it)."""
        job = self.own(job_id, who)
        if job["status"] in IN_FLIGHT:
            raise JobState(f"job {job_id} is {job['status']}: it can be retried once it has finished")
        count, weight = self.book.in_flight(owner_key(who))
        if count >= self.settings.job_limit or (job["cost"] and weight + job["cost"] > self.settings.job_run_years):
            raise JobRefused("your quota of jobs queued or running is full: wait for one to finish, or cancel one")
        self.book.requeue(job_id)
        if carry:
            self._carry_or_fail(job_id)
        return public(self.book.get(job_id))

    def own(self, job_id: str, who: Principal) -> dict[str, Any]:
        """The job if ``who`` submitted it; NotFound otherwise (to anyone else it does not exist)."""
        job = self.get(job_id, who)
        if job is None:
            raise NotFound(f"no job {job_id!r} of yours (finished jobs are kept {self.settings.job_keep_hours} "
                           "hours)")
        return job

"""The jobs table: background work as the atlas keeps it (what was asked, by whom, how far it got, its result and
files), read and written by the web workers that take jobs and the job workers that run them."""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from .tables import job_files, jobs

__all__ = ["JobBook", "IN_FLIGHT", "FINISHED", "worker_name"]

IN_FLIGHT = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def worker_name() -> str:
    """This process as a job's ``worker`` column names it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite gives naive datetimes back: they were written in UTC
    return value.replace(tzinfo=dt.timezone.utc) if value is not None and value.tzinfo is None else value


class JobBook:
    """The jobs of one atlas's database. Every method is one short transaction of its own, so that progress written
    by a worker shows at once to every web worker."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- taking and reading ----------------------------------------------------------------------------------
    def create(self, kind: str, owner: str, params: dict[str, Any], *, cost: float = 0.0,
               inputs: dict[str, bytes] | None = None) -> str:
        """A new queued job (and the files it reads); its id."""
        job_id = uuid.uuid4().hex[:16]
        with self.engine.begin() as conn:
            conn.execute(jobs.insert().values(id=job_id, kind=kind, owner=owner, status="queued", params=params,
                                              cost=cost, created_at=_now()))
            for name, content in (inputs or {}).items():
                conn.execute(job_files.insert().values(job_id=job_id, role="input", name=name, content=content))
        return job_id

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(jobs.select().where(jobs.c.id == job_id)).mappings().first()
        return _row(row)

    def list(self, *, owner: str | None = None, statuses: Iterable[str] | None = None, limit: int = 100,
             offset: int = 0) -> list[dict[str, Any]]:
        """Jobs, newest first: ``owner``'s only if given, of ``statuses`` only if given."""
        query = self._chosen(jobs.select(), owner, statuses).order_by(jobs.c.created_at.desc(), jobs.c.id)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query.limit(limit).offset(offset)).mappings()]

    def count(self, *, owner: str | None = None, statuses: Iterable[str] | None = None) -> int:
        """How many jobs :meth:`list` would give without its limit."""
        with self.engine.connect() as conn:
            return conn.execute(self._chosen(sa.select(sa.func.count()).select_from(jobs), owner, statuses)).scalar()

    @staticmethod
    def _chosen(query, owner: str | None, statuses: Iterable[str] | None):
        if owner is not None:
            query = query.where(jobs.c.owner == owner)
        if statuses is not None:
            query = query.where(jobs.c.status.in_(list(statuses)))
        return query

    def in_flight(self, owner: str) -> tuple[int, float]:
        """How many of ``owner``'s jobs are queued or running, and what they cost together."""
        with self.engine.connect() as conn:
            count, cost = conn.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(jobs.c.cost), 0.0))
                                       .where(jobs.c.owner == owner, jobs.c.status.in_(IN_FLIGHT))).one()
        return int(count), float(cost)

    def depth(self) -> dict[str, int]:
        """How many jobs are in each state (the queue's depth is ``queued``)."""
        with self.engine.connect() as conn:
            counts = dict(conn.execute(sa.select(jobs.c.status, sa.func.count()).group_by(jobs.c.status)).all())
        return {status: int(counts.get(status, 0)) for status in (*IN_FLIGHT, *FINISHED)}

    def files(self, job_id: str, role: str = "output") -> dict[str, bytes]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(job_files.c.name, job_files.c.content)
                                .where(job_files.c.job_id == job_id, job_files.c.role == role)
                                .order_by(job_files.c.name)).all()
        return {name: bytes(content) for name, content in rows}

    def file(self, job_id: str, name: str, role: str = "output") -> bytes | None:
        with self.engine.connect() as conn:
            content = conn.execute(sa.select(job_files.c.content).where(
                job_files.c.job_id == job_id, job_files.c.role == role, job_files.c.name == name)).scalar()
        return None if content is None else bytes(content)

    def file_names(self, job_id: str, role: str = "output") -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(job_files.c.name).where(
                job_files.c.job_id == job_id, job_files.c.role == role).order_by(job_files.c.name)).scalars())

    # -- running ---------------------------------------------------------------------------------------------
    def queued_as(self, job_id: str, queue_id: int | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job_id).values(queue_id=queue_id))

    def start(self, job_id: str, stalled_after: dt.timedelta) -> dict[str, Any] | None:
        """Claim the job for this process (a new attempt): the job, or None when it is not to run here — finished,
        cancelled while it waited, or running in a worker heard of within ``stalled_after`` (a worker finishing it
        as it stops, which a queue may take for a dead one)."""
        now = _now()
        free = sa.or_(jobs.c.status == "queued",
                      sa.func.coalesce(jobs.c.heartbeat_at, jobs.c.created_at) < now - stalled_after)
        with self.engine.begin() as conn:
            claimed = conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.status.in_(IN_FLIGHT), free,
                                                       jobs.c.cancel_requested == sa.false())
                                   .values(status="running", attempts=jobs.c.attempts + 1, worker=worker_name(),
                                           started_at=now, heartbeat_at=now, task="", done=0, total=0,
                                           result=None, error=None)).rowcount
            if not claimed:
                conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.status.in_(IN_FLIGHT), free,
                                                 jobs.c.cancel_requested == sa.true())
                             .values(status="cancelled", finished_at=now))
                return None
            conn.execute(job_files.delete().where(job_files.c.job_id == job_id, job_files.c.role == "output"))
        return self.get(job_id)

    def heard_of(self, job_id: str, within: dt.timedelta) -> bool:
        """Whether the job is running and its worker was heard of within ``within``."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).where(
                jobs.c.id == job_id, jobs.c.status == "running", jobs.c.heartbeat_at >= _now() - within)).scalar() > 0

    def progress(self, job_id: str, task: str, done: int, total: int) -> bool:
        """Record how far the job got; whether it is still wanted (False once cancelled). Progress is news, not
        a record: on SQLite, while the job's own write transaction holds the atlas (an import, all or nothing),
        it is not written, and the job goes on."""
        self._note(job_id, task=task[:200], done=int(done), total=int(total), heartbeat_at=_now())
        with self.engine.connect() as conn:
            wanted = conn.execute(sa.select(jobs.c.cancel_requested).where(jobs.c.id == job_id)).scalar()
        return not wanted

    def beat(self, job_id: str) -> None:
        self._note(job_id, heartbeat_at=_now())

    def _note(self, job_id: str, **values: Any) -> None:
        with self.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:  # a moment's wait at most, then the news is dropped (the next will do)
                waited = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
                conn.exec_driver_sql("PRAGMA busy_timeout = 50")
                conn.commit()
            try:
                with conn.begin():
                    conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.status == "running").values(**values))
            except sa.exc.OperationalError:
                if not sqlite:
                    raise
            finally:
                if sqlite:
                    conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(waited)}")
                    conn.commit()

    def finish(self, job_id: str, status: str, *, result: Any = None, error: dict[str, Any] | None = None,
               outputs: dict[str, bytes] | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job_id)
                         .values(status=status, result=result, error=error, finished_at=_now()))
            for name, content in (outputs or {}).items():
                conn.execute(job_files.insert().values(job_id=job_id, role="output", name=name, content=content))

    def cancel(self, job_id: str) -> str:
        """Ask the job to stop: a queued job is cancelled at once, a running one stops at its next progress. Its
        status afterwards."""
        with self.engine.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.status == "queued")
                         .values(status="cancelled", cancel_requested=True, finished_at=_now()))
            conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.status == "running")
                         .values(cancel_requested=True))
            return conn.execute(sa.select(jobs.c.status).where(jobs.c.id == job_id)).scalar()

    def requeue(self, job_id: str) -> bool:
        """Put a finished job (failed, cancelled, done) back in the queue, as it was asked; whether it was."""
        with self.engine.begin() as conn:
            return bool(conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.status.in_(FINISHED))
                                     .values(status="queued", cancel_requested=False, task="", done=0, total=0,
                                             result=None, error=None, finished_at=None, started_at=None,
                                             created_at=_now())).rowcount)

    def stalled(self, older_than: dt.timedelta, *, besides: str | None = None) -> list[str]:
        """Jobs queued or running whose worker has not been heard of for ``older_than`` (its process died), but
        those of the worker named ``besides`` (this process: alive, its job only busy): the in-process queue takes
        them again."""
        cutoff = _now() - older_than
        query = sa.select(jobs.c.id).where(jobs.c.status.in_(IN_FLIGHT),
                                           sa.func.coalesce(jobs.c.heartbeat_at, jobs.c.created_at) < cutoff)
        if besides is not None:
            query = query.where(sa.or_(jobs.c.worker.is_(None), jobs.c.worker != besides))
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def adopt(self, job_id: str, older_than: dt.timedelta) -> bool:
        """Take a stalled job for this process (only one process wins it)."""
        cutoff = _now() - older_than
        with self.engine.begin() as conn:
            return bool(conn.execute(jobs.update().where(
                jobs.c.id == job_id, jobs.c.status.in_(IN_FLIGHT),
                sa.func.coalesce(jobs.c.heartbeat_at, jobs.c.created_at) < cutoff)
                .values(status="queued", heartbeat_at=_now(), worker=worker_name())).rowcount)

    def forget(self, older_than: dt.timedelta) -> int:
        """Delete finished jobs (and their files) older than ``older_than``; how many."""
        cutoff = _now() - older_than
        with self.engine.begin() as conn:
            return conn.execute(jobs.delete().where(jobs.c.status.in_(FINISHED),
                                                    jobs.c.finished_at < cutoff)).rowcount


def _row(row) -> dict[str, Any] | None:
    if row is None:
        return None
    found = dict(row)
    for key in ("created_at", "started_at", "heartbeat_at", "finished_at"):
        found[key] = _aware(found[key])
    return found

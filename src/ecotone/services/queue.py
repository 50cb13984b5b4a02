"""The PostgreSQL job queue: Procrastinate, in the atlas's own database.

Why Procrastinate: it is a maintained task queue whose only server is PostgreSQL — the database a hub network
already runs, backs up and secures. Jobs are rows deferred in the same database the web workers write to, workers
wake on LISTEN/NOTIFY, record heartbeats, and a job whose worker died is found (its worker's heartbeat stops) and
retried. A broker (Redis, RabbitMQ) would be one more server to run and one more place for jobs to be lost.

The queue carries only a job's id: what the job is, its progress, result and files live in the atlas
(:mod:`ecotone.store.jobs`), so any web worker can show them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import sqlalchemy as sa

__all__ = ["Queue", "QUEUE", "TASK", "conninfo", "run_workers"]

_log = logging.getLogger(__name__)

#: The Procrastinate queue and task that carry Ecotone's jobs.
QUEUE = "ecotone"
TASK = "ecotone.run_job"


def conninfo(engine: sa.Engine) -> str:
    """The libpq connection string of the atlas's database, its search path included (the URL's options), from
    the URL's parts: a password with spaces or symbols reaches the server as it is.

    >>> conninfo(sa.create_engine("postgresql+psycopg://eco:a%20long%20one@db/atlas?options=-csearch_path%3Dx"))
    "dbname=atlas user=eco password='a long one' host=db options=-csearch_path=x"
    """
    from psycopg.conninfo import make_conninfo

    url = engine.url
    parts = {"dbname": url.database, "user": url.username, "password": url.password, "host": url.host,
             "port": url.port, **{k: v for k, v in url.query.items() if isinstance(v, str)}}
    return make_conninfo(**{k: v for k, v in parts.items() if v is not None})


class Queue:
    """Defers jobs from a web worker (a synchronous connection of its own, opened at first use)."""

    def __init__(self, engine: sa.Engine) -> None:
        import procrastinate

        self.app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=conninfo(engine)))
        self.app.open()
        self._deferrer = self.app.configure_task(TASK, queue=QUEUE)

    def defer(self, job_id: str) -> int:
        """Queue the job for a job worker; Procrastinate's id of it."""
        return self._deferrer.defer(job_id=job_id)

    def close(self) -> None:
        self.app.close()


def depth(engine: sa.Engine) -> dict[str, int]:
    """Procrastinate's jobs of Ecotone's queue by status (todo, doing…), for monitoring; empty on SQLite."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status::text, count(*) FROM procrastinate_jobs WHERE queue_name = :q "
                                    "AND status IN ('todo', 'doing') GROUP BY status"), {"q": QUEUE}).all()
    return {status: count for status, count in rows}


def live_workers(engine: sa.Engine, within: float) -> int:
    """Job workers whose last heartbeat is at most ``within`` seconds old."""
    if engine.dialect.name != "postgresql":
        return 0
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > "
                                    "now() - make_interval(secs => :s)"), {"s": within}).scalar_one()


def run_workers(engine: sa.Engine, *, concurrency: int, stalled_after: float, on_start: Any = None) -> None:
    """Run job workers in this process until it is stopped (SIGINT or SIGTERM: running jobs finish first).

    ``concurrency`` jobs run at once, each in a thread of its own (simulations are NumPy work that releases the
    GIL). Every ``stalled_after / 3`` seconds the worker also looks for jobs whose worker stopped sending
    heartbeats for ``stalled_after`` seconds (killed, or its machine gone) and whose own beat (the job's row in
    the atlas) stopped as long, and queues them again, so another worker — this one — runs them: Procrastinate's
    own stalled-job recipe.
    """
    import procrastinate

    import datetime as dt

    from ..store.jobs import JobBook
    from .jobs import run_job

    book, lost = JobBook(engine), dt.timedelta(seconds=stalled_after)
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(engine)))

    @app.task(name=TASK, queue=QUEUE)
    async def _run(job_id: str) -> None:
        await asyncio.to_thread(run_job, engine, job_id, stalled_after=stalled_after)

    heartbeat = max(stalled_after / 3, 0.5)

    async def requeue_stalled() -> None:
        while True:
            await asyncio.sleep(heartbeat)
            with contextlib.suppress(Exception):  # the database away for a moment: the next round tries again
                for job in await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=stalled_after):
                    # a worker finishing its jobs as it stops sends Procrastinate no heartbeat, but the job's own
                    # beat goes on: only a job no one has heard of is run again
                    if await asyncio.to_thread(book.heard_of, job.task_kwargs.get("job_id", ""), lost):
                        continue
                    _log.warning("job %s lost its worker: it runs again", job.task_kwargs.get("job_id"))
                    await app.job_manager.retry_job(job)

    async def main() -> None:
        async with app.open_async():
            sweeper = asyncio.create_task(requeue_stalled())
            if on_start is not None:
                on_start()
            try:
                await app.run_worker_async(queues=[QUEUE], concurrency=concurrency, update_heartbeat_interval=heartbeat,
                                           stalled_worker_timeout=stalled_after, install_signal_handlers=True)
            finally:
                sweeper.cancel()

    asyncio.run(main())

"""The ``ecotone worker`` command: runs the background jobs web workers queue (PostgreSQL)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ._output import console, errors
from .app import _atlas, app

__all__ = ["worker"]


#: Megabytes a job needs at the least besides what the idle worker holds (a small simulation, an analysis).
JOB_ROOM = 256


def _data_megabytes() -> int | None:
    """What this process holds in private memory (Linux's VmData, what RLIMIT_DATA caps), or None elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmData:"))
    except (OSError, StopIteration, ValueError):
        return None


def _limit_memory(megabytes: int) -> None:
    """Cap this process's private memory (heap and NumPy's arrays; not the shared libraries it maps): a job asking
    for more fails with MemoryError (reported on the job, in words) instead of taking the machine's memory from the
    web workers and the database. A cap the idle worker would already fill is refused: it would stop every job."""
    import resource

    held = _data_megabytes()
    if held is not None and megabytes < held + JOB_ROOM:
        errors.print(f"error: --memory-limit {megabytes:,} leaves no room for a job: the idle worker already holds "
                     f"{held:,} MB and a job needs {JOB_ROOM} MB at the least. Give at least "
                     f"{held + JOB_ROOM:,}, and about 1,500 more for each 20,000-run simulation it runs at once.")
        raise typer.Exit(2)
    cap = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))


@app.command()
def worker(
    ctx: typer.Context,
    concurrency: Annotated[int, typer.Option(help="Jobs run at once by this worker (about one per core: a "
                                                  "simulation keeps a core busy).", min=1, max=64)] = 2,
    memory_limit: Annotated[Optional[int], typer.Option(
        "--memory-limit", help="Megabytes this worker may use in all (the idle worker holds about 400); a job that "
                               "needs more fails, saying so, and the worker goes on (a 20,000-run simulation takes "
                               "about 1,500 more).", min=256)] = None,
) -> None:
    """Run background jobs — simulations, brokerage-event schedules, large analyses — that the web workers
    (`ecotone serve`) queue in the atlas's PostgreSQL database, until stopped with Ctrl+C or SIGTERM (running
    jobs finish first).

    Run as many as you like, on this machine or any other that reaches the database: each takes the next job
    waiting. A worker that dies (killed, its machine gone) stops sending heartbeats; after
    ECOTONE_JOB_STALLED_AFTER seconds (30) another worker runs its jobs again from the start. Jobs, their
    progress, results and files are kept in the atlas: `ecotone jobs list` shows them.

    On the SQLite default there is nothing to run: `ecotone serve` runs jobs itself.

    Example: `ecotone --db postgresql+psycopg://ecotone@db/atlas worker --concurrency 2 --memory-limit 3000`
    (docs/deploy.md has it as a systemd unit).
    """
    from ..api import app as _api  # noqa: F401  (registers the kinds of job the web workers queue)
    from ..services.queue import run_workers
    from ..settings import Settings

    atlas = _atlas(ctx)
    if atlas.dialect != "postgresql":
        errors.print(f"error: {atlas.url} is an SQLite atlas: its jobs run inside `ecotone serve`, there is no "
                     "queue for a worker to take them from. Job workers need the atlas on PostgreSQL "
                     "(--db postgresql+psycopg://…).")
        raise typer.Exit(1)
    if memory_limit is not None:
        _limit_memory(memory_limit)
    settings = Settings()
    cap = f", at most {memory_limit:,} MB" if memory_limit else ""
    jobs = "1 job" if concurrency == 1 else f"{concurrency} jobs"
    console.print(f"Ecotone job worker on {atlas.url}: {jobs} at once{cap}. Stop it with Ctrl+C.")
    run_workers(atlas.engine, concurrency=concurrency, stalled_after=settings.job_stalled_after)
    console.print("The job worker stopped.")

"""The ``ecotone jobs`` commands: the background jobs kept in the atlas (list, show, cancel, retry)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from ._output import Format, console, emit, emit_record, errors
from .app import FormatOpt, _atlas, jobs_app

__all__ = ["jobs_app"]


_STATES = ("queued", "running", "done", "failed", "cancelled")


def _jobs(ctx: typer.Context):
    from ..services.jobs import Jobs

    return Jobs(_atlas(ctx).engine)


def _row(job: dict[str, Any], fmt: Format) -> dict[str, Any]:
    """A job as a row: for people (a table) its progress in percent and when it was asked to the minute; for
    programs (JSON, CSV) the share done (0–1) and the ISO time, as the API says them."""
    from ..services.jobs import public

    shown, table = public(job), fmt is Format.table
    error = job["error"] or {}
    return {"id": job["id"], "kind": job["kind"], "owner": job["owner"], "status": job["status"],
            "progress": f"{shown['progress']:.0%}" if table else shown["progress"], "task": shown["task"],
            "attempts": job["attempts"], "worker": job["worker"] or "",
            "created": job["created_at"].strftime("%Y-%m-%d %H:%M") if table else shown["created_at"],
            "seconds": shown["seconds"], "error": error.get("detail") or error.get("title") or ""}


def _found(jobs, job_id: str) -> dict[str, Any]:
    from ..domain.access import OWNER

    job = jobs.get(job_id, OWNER)
    if job is None:
        errors.print(f"error: no job {job_id!r}; `ecotone jobs list` shows the jobs kept (finished ones for "
                     f"{jobs.settings.job_keep_hours} hours)")
        raise typer.Exit(1)
    return job


@jobs_app.command("list")
def jobs_list(
    ctx: typer.Context,
    status: Annotated[Optional[str], typer.Option(help="Only jobs in these states: queued, running, done, failed "
                                                  "or cancelled (comma-separated for several).")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.", min=1, max=10_000)] = 50,
    fmt: FormatOpt = Format.table,
) -> None:
    """Every job kept in the atlas, newest first: its kind, who asked for it (user:ID), its state and progress,
    how many times a worker started it, and why it failed.

    Example: `ecotone jobs list --status queued,running` (the queue's depth and what runs now).
    """
    from ..domain.access import OWNER

    statuses = tuple(s.strip() for s in status.split(",") if s.strip()) if status else None
    wrong = [s for s in statuses or () if s not in _STATES]
    if wrong:
        errors.print(f"error: --status {', '.join(wrong)} is no state of a job; choose among {', '.join(_STATES)}")
        raise typer.Exit(2)
    jobs = _jobs(ctx)
    rows = [_row(job, fmt) for job in jobs.mine(OWNER, statuses=statuses, limit=limit)[0]]
    depth = jobs.book.depth()
    emit(rows, fmt, title="Jobs", footer=f"{depth['queued']} queued, {depth['running']} running; jobs run "
         + ("in `ecotone worker`" if jobs.mode == "queue" else "inside `ecotone serve`"),
         table_columns=("id", "kind", "owner", "status", "progress", "attempts", "created", "error"))


@jobs_app.command("show")
def jobs_show(ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="The job's id.")],
              fmt: FormatOpt = Format.table) -> None:
    """One job: what was asked (its parameters), its progress, and its result or why it failed.

    Example: `ecotone jobs show 3f2a9c0d1e4b5a67 --format json`.
    """
    jobs = _jobs(ctx)
    job = _found(jobs, job_id)
    record = {**_row(job, fmt), "parameters": job["params"], "files": jobs.book.file_names(job_id)}
    if fmt is Format.json:
        record["result"] = job["result"]
    emit_record(record, fmt, title=f"Job {job_id}")


@jobs_app.command("cancel")
def jobs_cancel(ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="The job's id.")]) -> None:
    """Cancel a job: a queued one at once, a running one at its next step of progress.

    Example: `ecotone jobs cancel 3f2a9c0d1e4b5a67`.
    """
    from ..domain.access import OWNER
    from ..store import AtlasError

    jobs = _jobs(ctx)
    _found(jobs, job_id)
    try:
        job = jobs.cancel(job_id, OWNER)
    except AtlasError as exc:
        errors.print(f"error: {exc}")
        raise typer.Exit(1) from None
    console.print(f"Job {job_id} is {'cancelled' if job['status'] == 'cancelled' else 'asked to stop'}.")


@jobs_app.command("retry")
def jobs_retry(ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="The job's id.")]) -> None:
    """Run a finished, failed or cancelled job again, as it was asked: queued for `ecotone worker` on
    PostgreSQL; on SQLite run here and now.

    Example: `ecotone jobs retry 3f2a9c0d1e4b5a67`.
    """
    from ..domain.access import OWNER
    from ..services.jobs import run_job
    from ..store import AtlasError

    jobs = _jobs(ctx)
    _found(jobs, job_id)
    here = jobs.mode != "queue"
    try:
        if here:
            from ..api import app as _api  # noqa: F401  (registers the kinds of job)
        jobs.retry(job_id, OWNER, carry=not here)
    except AtlasError as exc:
        errors.print(f"error: {exc}")
        raise typer.Exit(1) from None
    if not here:
        console.print(f"Job {job_id} is queued again; `ecotone jobs show {job_id}` follows it.")
        return
    with console.status(f"Running job {job_id}…"):
        status = run_job(jobs.engine, job_id)
    console.print(f"Job {job_id} is {status}.")
    if status != "done":
        raise typer.Exit(1)

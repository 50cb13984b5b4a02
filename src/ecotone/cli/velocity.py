"""The ``ecotone velocity`` command: how fast innovations move from idea to patients, from their stage histories."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._output import Format
from .app import FormatOpt, ShowOpt, _run, _show, app

__all__ = ["velocity_command", "AsOfOpt", "ChartOpt", "GROUPS"]

#: What ``--by`` breaks velocity down by: the keys of ``ecotone.services.velocity.GROUPS``, named here so that the
#: command line starts without pandas (tests/test_cli.py checks the two agree).
GROUPS = ("hub", "programme", "program", "category", "pathway", "area")

AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="Measure the history up to this day (YYYY-MM-DD; "
                                                "default today).")]
ChartOpt = Annotated[Optional[Path], typer.Option(help="Write a chart here (.png or .svg).")]


@app.command("velocity")
def velocity_command(
    ctx: typer.Context,
    hub: Annotated[Optional[str], typer.Option(help="Only this hub's innovations.")] = None,
    by: Annotated[Optional[str], typer.Option(help=f"Break down by {', '.join(GROUPS)}.")] = None,
    as_of: AsOfOpt = None,
    cohort: Annotated[Optional[str], typer.Option(
        help="Compare innovations of a programme's participants (its name, part of it, or a kind such as "
             "accelerator) with all others.")] = None,
    measure: Annotated[str, typer.Option(help="With --cohort: time_to_market, or a stage (months in it).")]
    = "time_to_market",
    chart: ChartOpt = None,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """How fast innovations move from idea to patients, from their stage histories: months in each stage
    (Kaplan–Meier median and quartiles, with innovations still in a stage counted as censored, and the median's
    95% band), conversion and stop rates, time to market, fail-fast (time to a stop or pivot), bottleneck stages
    and throughput per quarter. Tables show the main columns; JSON and CSV carry all (quartiles, the median's
    band). Parts: time_in_stage, conversion, time_to_market, fail_fast, stops, bottlenecks, throughput (and
    cohort).

    Example: `ecotone velocity --by hub --chart velocity.png`;
    `ecotone velocity --cohort TMCx` (accelerator participants against the others, with the log-rank p-value)
    """
    from ..services.velocity import velocity

    result = _run(ctx, lambda atlas, p: velocity(atlas, hub=hub, by=by, as_of=as_of, cohort=cohort, measure=measure,
                                                 chart=chart), fmt)
    group = (by,) if by else ()
    _show(result, fmt, show, {"time_in_stage": ("stage", *group, "n", "censored", "median", "q1", "q3"),
                              "conversion": ("stage", *group, "entered", "progressed", "stopped", "in_stage",
                                             "conversion", "stop_rate"),
                              "time_to_market": (by or "scope", "n", "left", "censored", "median", "q1",
                                                 "median_low"),
                              "fail_fast": ("measure", "n", "left", "censored", "median", "q1", "median_low")},
          {"cohort": f"Cohort against the others ({measure})",
                                  "time_in_stage": "Months in stage (Kaplan–Meier)", "conversion": "Conversion",
                                  "time_to_market": "Months to market",
                                  "fail_fast": "Fail fast: months to a stop or pivot", "stops": "Where stops happen",
                                  "bottlenecks": "Bottlenecks", "throughput": "Stage entries per quarter"})

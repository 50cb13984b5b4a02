"""The ``ecotone benchmark`` command: hubs (or cities, countries, regions) ranked on the ecosystem index."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ._output import Format, console, emit
from .app import FormatOpt, ShowOpt, _run, _show, app

__all__ = ["benchmark_command"]

#: What ``--group-by`` compares: ``ecotone.services.benchmark.GROUPINGS``, named here so that the command line starts
#: without pandas (tests/test_cli.py checks the two agree).
GROUPINGS = ("hub", "city", "country", "region")

_COLUMNS = {"ranking": ("rank", "group", "interval", "score", "coverage", "strengths", "weaknesses", "levers"),
            "decomposition": ("pillar", "score", "weight", "contribution", "indicators"),
            "published": ("hub", "published_rank", "our_rank_among_them", "rank", "interval", "why"),
            "indicators": ("pillar", "indicator", "coverage", "definition")}
_TITLES = {"ranking": "Ecosystem index (rank interval: 5th–95th percentile over the Monte Carlo draws)",
           "decomposition": "Where the score comes from", "published": "Biocat's top five (seed 002) against ours",
           "indicators": "Indicators and their coverage", "over_time": "The index year by year",
           "levers": "Levers: the changes that would move each group most"}


def _in_words(result, fmt: Format):
    """For a terminal table: the interval as 'low–high', lists joined, shares as percentages."""
    if fmt is not Format.table:
        return result
    for name in ("ranking", "published"):
        for row in result.tables.get(name, []):
            row["interval"] = f"{row['rank_low']}–{row['rank_high']}"
            for key in ("strengths", "weaknesses", "levers"):
                if isinstance(row.get(key), list):
                    row[key] = ", ".join(row[key]) or "—"
            if "coverage" in row and row["coverage"] is not None:
                row["coverage"] = f"{row['coverage']:.0%}"
    for row in result.tables.get("indicators", []):
        row["coverage"] = f"{row['coverage']:.0%}"
    return result


@app.command("benchmark")
def benchmark_command(
    ctx: typer.Context,
    hub: Annotated[Optional[str], typer.Option(help="Show this hub's (or city's…) decomposition: its pillars, "
                                               "their points, its indicators and levers.")] = None,
    weights: Annotated[Optional[str], typer.Option(help="Relative pillar weights, e.g. 'performance=2,"
                                                   "connectedness=0.5' (a pillar not named keeps 1).")] = None,
    group_by: Annotated[str, typer.Option("--group-by", help=f"Compare {', '.join(GROUPINGS)} (city: the "
                                          "organisations' cities, as CORDIS data has them).")] = "hub",
    normalisation: Annotated[str, typer.Option(help="minmax, zscore or rank.")] = "minmax",
    aggregation: Annotated[str, typer.Option(help="arithmetic (compensatory) or geometric (a weak pillar costs "
                                             "more).")] = "arithmetic",
    draws: Annotated[int, typer.Option(help="Monte Carlo draws of weights, normalisation and aggregation for the "
                                       "rank intervals (0: none).", min=0)] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the draws: the same seed gives the same intervals.")] = 0,
    year: Annotated[Optional[int], typer.Option(help="The state at the end of this year (later records left "
                                                "out).", min=1900, max=2100)] = None,
    min_actors: Annotated[Optional[int], typer.Option(
        "--min-actors", help="Leave out groups with fewer actors (default: 1 by hub, 5 by city, country or "
        "region, so one-organisation towns do not lead).", min=1)] = None,
    over_time_: Annotated[bool, typer.Option("--over-time", help="The index and its pillars year by year "
                                             "instead (from dated ties, deals, stage events, programmes).")]
    = False,
    years: Annotated[int, typer.Option(help="With --over-time: how many recent years.", min=1)] = 8,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Rank hubs on an explained ecosystem index: seed 001's five characteristics of a thriving ecosystem
    (collaborative infrastructure, cross-sector integration, open innovation, supportive regulation, talent
    pipeline) plus performance and connectedness, each from indicators the atlas records. Each hub gets a rank
    interval over Monte Carlo draws of the weights, normalisation and aggregation (OECD/JRC), its strengths,
    weaknesses and the levers that would move it most; seed 002's published top five is set against ours.

    Example: `ecotone benchmark --weights performance=2 --draws 2000`; `ecotone benchmark --hub Berlin`;
    `ecotone --db cordis.db benchmark --group-by city --min-actors 10 --format csv`
    """
    from ..services.benchmark import benchmark, over_time

    if over_time_:
        result = _run(ctx, lambda atlas, p: over_time(
            atlas, group_by=group_by, weights=weights, normalisation=normalisation, aggregation=aggregation,
            years=years, hub=hub, min_actors=min_actors, progress=p), fmt)
        _show(result, fmt, show, {}, _TITLES)
        return
    result = _run(ctx, lambda atlas, p: benchmark(
        atlas, group_by=group_by, hub=hub, weights=weights, normalisation=normalisation, aggregation=aggregation,
        draws=draws, seed=seed, year=year, min_actors=min_actors, progress=p), fmt)
    result = _in_words(result, fmt)
    if show is None and fmt is Format.table:
        for part in ("decomposition", "ranking", "published"):
            rows = result.tables.get(part)
            if rows:
                emit(rows, fmt, title=_TITLES[part], table_columns=[c for c in _COLUMNS[part] if c in rows[0]])
        summary = result.summary
        weights = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in summary["weights"].items())
        console.print(f"[bold]{summary['groups']}[/bold] {summary['group_by']} groups, {summary['normalisation']} "
                      f"normalisation, {summary['aggregation']} aggregation, {summary['draws']} draws; "
                      f"weights: {weights}")
        for note in result.notes.get("notes", []):
            console.print(f"[dim]{note}[/dim]")
        return
    _show(result, fmt, show, _COLUMNS, _TITLES)

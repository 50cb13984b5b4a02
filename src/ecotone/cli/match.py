"""The ``ecotone match`` commands: recommend partners, evaluate partnerships, assign, schedule events, introductions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._output import Format, console, progress_bar, show_problems
from .app import DryRun, FormatOpt, ShowOpt, _report, _run, _show, match_app

__all__ = ["match_app"]


def _weights(pairs: list[str] | None, flag: str) -> dict[str, float] | None:
    out = {}
    for pair in pairs or []:
        name, _, value = pair.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise typer.BadParameter(f"{pair!r} is not NAME=NUMBER", param_hint=flag) from None
    return out or None


@match_app.command("recommend")
def match_recommend(
    ctx: typer.Context,
    org: Annotated[Optional[list[str]], typer.Option("--org", help="An organisation (name or id) seeking partners; "
                                                     "repeatable.")] = None,
    innovation: Annotated[Optional[list[str]], typer.Option(help="An innovation (name or id); repeatable.")] = None,
    hub: Annotated[Optional[str], typer.Option(help="Every startup of this hub.")] = None,
    stage: Annotated[Optional[str], typer.Option(help="The stage to find partners for (default: the seeker's "
                                                 "own, or its most advanced innovation's).")] = None,
    top: Annotated[int, typer.Option(help="Partners per seeker.")] = 10,
    cross_border: Annotated[float, typer.Option(help="0 stay in the home hub, 0.5 neutral, 1 prefer other hubs.")] = 0.5,
    weight: Annotated[Optional[list[str]], typer.Option(help="PART=W for alignment, complementarity, cultural_fit, "
                                                        "impact, proximity; repeatable.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Ranked partners of the types a stage needs (clinical validation → clinicians and hospitals; regulatory
    approval → regulators and notified bodies; market and scale → investors, corporates, hub operators), across
    hubs, leaving out existing ties; each with its score broken into alignment, complementarity, cultural fit,
    impact and network proximity, and a sentence explaining it.

    Example: `ecotone match recommend --org 'Medical Innovation Institute Pulmolabs' --cross-border 0.7`
    """
    from ..services.recommend import recommend

    result = _run(ctx, lambda atlas, p: recommend(
        atlas, organizations=org or [], innovations=innovation or [], hub=hub, stage=stage, top=top,
        cross_border=cross_border, weights=_weights(weight, "--weight"), progress=p), fmt)
    _show(result, fmt, None, {"recommendations": ("seeker", "rank", "partner", "type", "hub", "score",
                                                  "explanation"),
                              "needs": ("seeker", "need", "match", "recommended")},
          {"recommendations": "Recommended partners", "needs": "Stated needs and how they are met"})


@match_app.command("evaluate")
def match_evaluate(
    ctx: typer.Context,
    partnership: Annotated[str, typer.Argument(help="The partnership (name, part of it, or id).")],
    partner: Annotated[Optional[list[str]], typer.Option(
        help="Create the partnership first, between these organisations (repeat, at least two).")] = None,
    purpose: Annotated[Optional[str], typer.Option(help="With --partner: what the partnership is for.")] = None,
    ratings: Annotated[Optional[Path], typer.Option(
        help="Record ratings first: CSV or .xlsx with Evaluator, Date, Question, Score, [Evidence], [Comment], "
             "[Organisation].")] = None,
    kpis: Annotated[Optional[Path], typer.Option(
        help="Record KPIs first: CSV or .xlsx with KPI, Target, [Unit], [Direction], [Baseline], [Due], [Date], "
             "[Actual], [Note].")] = None,
    weight: Annotated[Optional[list[str]], typer.Option(
        help="CRITERION=W for strategic_alignment, complementary_capabilities, cultural_fit, impact_measurement; "
             "repeatable.")] = None,
    dry_run: DryRun = False,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """The scorecard of a partnership: data indicators with their evidence, each evaluator's ratings (1–5) on
    the four criteria, where evaluators agree and conflict, KPIs against targets, the weighted total with its
    verdict (pursue / pursue with conditions / decline) and reasons, and the score's history.

    Example: `ecotone match evaluate 'Polish–Spanish' --ratings ratings.csv`
    """
    from ..services import partnering

    def work(atlas, progress):
        if partner:
            partnering.open_partnership(atlas, partnership, partner, purpose)
        for path, record in ((ratings, partnering.record_ratings), (kpis, partnering.record_kpis)):
            if path:
                _report(record(atlas, partnership, path, dry_run=dry_run), fmt)
        return partnering.evaluate(atlas, partnership, weights=_weights(weight, "--weight"), progress=progress)

    result = _run(ctx, work, fmt)
    _show(result, fmt, show, {"criteria": ("criterion", "weight", "rated", "suggested", "score", "source"),
                              "indicators": ("criterion", "indicator", "suggested", "evidence"),
                              "agreement": ("question", "text", "spread", "status")},
          {"criteria": "Criteria", "indicators": "Indicators from data", "agreement": "Evaluators' ratings",
           "kpis": "KPIs", "history": "Score history", "reasons": "Verdict: reasons"})


@match_app.command("assign")
def match_assign(
    preferences: Annotated[Path, typer.Argument(help="CSV: applicant, site and applicant_rank + site_rank, "
                                                "or score.")],
    capacities: Annotated[Optional[Path], typer.Option(help="CSV with site, capacity (default 1 each).")] = None,
    method: Annotated[str, typer.Option(help="stable (both sides rank), optimal (one score), or auto.")] = "auto",
    min_score: Annotated[float, typer.Option(help="Optimal: never make a pair scoring this or less.")] = 0.0,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Assign many startups to clinical sites or mentors with capacities: stable matching (hospital–residents,
    startups proposing) when both sides rank, the best total score (linear assignment) when there is one score.
    Lists who is unmatched, and why.

    Example: `ecotone match assign prefs.csv --capacities sites.csv`
    """
    from ..domain.problems import InputRejected
    from ..services import partnering

    try:
        result = partnering.assign(preferences, capacities, method=method, min_score=min_score)
    except InputRejected as exc:
        show_problems(exc.problems, fmt)
        raise typer.Exit(1) from None
    _show(result, fmt, show, {}, {"matches": "Matches", "unmatched": "Unmatched"})


@match_app.command("schedule")
def match_schedule(
    event: Annotated[Path, typer.Argument(help=".xlsx with sheets Participants (Name, Organisation, [Available] "
                                          "slots joined by |, [Email]), Slots (Slot, Start, End), Requests (From, "
                                          "To, [Priority]); or a folder of those three CSVs.")],
    out: Annotated[Path, typer.Option("--out", help="Folder the agendas go to: agenda.xlsx (sheets Agenda, "
                                      "Unscheduled), agenda.csv, unscheduled.csv, every participant's "
                                      "agendas/NAME.ics and agendas/NAME.csv, the whole event's event.ics and "
                                      "every organisation's organisations/ORGANISATION.ics.")] = Path("agendas"),
    tables: Annotated[int, typer.Option(help="Meeting tables (add 10–20% spare).")] = 20,
    method: Annotated[str, typer.Option(help="cp-sat (optimal or proven bound), greedy (large events), auto.")] = "auto",
    time_limit: Annotated[float, typer.Option(help="Seconds CP-SAT may search.")] = 60.0,
    seed: Annotated[int, typer.Option(help="Solver seed.")] = 0,
    show: ShowOpt = None, fmt: FormatOpt = Format.table,
) -> None:
    """Schedule a brokerage event (b2match-style): one-to-one meetings into slots and tables, nobody
    double-booked, everyone available, mutual and must-meet requests weighted most; CP-SAT with a greedy start,
    greedy alone for very large events. Writes each participant's and each organisation's agenda as iCalendar,
    the whole event's calendar, and the agenda as CSV and Excel (--out says the files).

    Example: `ecotone match schedule event.xlsx --tables 40 --out agendas`
    """
    from ..domain.problems import InputRejected
    from ..services import partnering

    try:
        with progress_bar() as progress:
            progress("scheduling", 0, 1)
            result = partnering.schedule(event, out, tables=tables, method=method, time_limit=time_limit, seed=seed)
            progress("scheduling", 1, 1)
    except InputRejected as exc:
        show_problems(exc.problems, fmt)
        raise typer.Exit(1) from None
    _show(result, fmt, show, {"agenda": ("slot", "time", "table", "a", "b", "priority", "mutual")},
          {"agenda": "Agenda", "unscheduled": "Not scheduled"})
    if fmt is Format.table:
        console.print(f"Agendas written to {out}/")


@match_app.command("intros")
def match_intros(
    ctx: typer.Context,
    by: Annotated[Optional[str], typer.Option(help="Group by facilitator, hub_pair or event.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The introductions funnel: introduction → meeting → pilot → partnership, with conversion rates and the
    median days to a meeting and to a partnership, overall or per facilitator, hub pair or event. Introductions
    are recorded in the JSON bundle (records.introduction) or by the API.

    Example: `ecotone match intros --by hub_pair`
    """
    from ..services import partnering

    result = _run(ctx, lambda atlas, p: partnering.introductions(atlas, by=by), fmt)
    _show(result, fmt, None, {}, {"funnel": "Introductions funnel"})

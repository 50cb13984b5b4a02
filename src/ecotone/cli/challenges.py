"""The ``ecotone challenges`` commands: challenges, grants and competitions — add, submit, judge, score, rank, award."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._output import Format, console, emit, emit_record
from .app import FormatOpt, _run, _show, challenges_app

__all__ = ["challenges_app"]


Challenge = Annotated[str, typer.Argument(help="The challenge (id, name, or part of its name).")]


@challenges_app.command("list")
def challenges_list(ctx: typer.Context, fmt: FormatOpt = Format.table) -> None:
    """Every challenge, grant and competition, newest first, with its sponsor, prize and where it stands.

    Example: `ecotone challenges list`
    """
    from ..services import challenges

    rows = _run(ctx, lambda atlas, p: challenges.catalogue(atlas), fmt)
    if fmt is Format.table:
        rows = [{**r, "prize": _money(r.get("prize"), r.get("currency"))} for r in rows]
    emit(rows, fmt, title="Challenges, grants and competitions",
         table_columns=("id", "name", "kind", "sponsor", "prize", "closes_on", "submissions", "phase"))


@challenges_app.command("show")
def challenges_show(ctx: typer.Context, challenge: Challenge, fmt: FormatOpt = Format.table) -> None:
    """A challenge: the needs it answers, prize, timeline, eligibility, rubric, submissions and judges.

    Example: `ecotone challenges show 'Heart failure at home'`
    """
    from ..services import challenges

    card = _run(ctx, lambda atlas, p: challenges.describe(atlas, challenge), fmt)
    _card(card, fmt)


_PARTS = {"needs": ("Needs answered", ("id", "statement", "clinical_area")),
          "rubric": ("Rubric", ("criterion", "weight", "share", "description")),
          "submissions": ("Submissions", ("id", "title", "organization", "innovation", "submitted_on", "status")),
          "judges": ("Judges", ("id", "name", "organization", "conflicts", "has_account", "declared_on"))}


def _money(amount: float | None, currency: str | None) -> str | None:
    return f"{currency or ''} {amount:,.0f}".strip() if amount is not None else None


def _card(card: dict, fmt: Format) -> None:
    """A challenge in words: its head (prize with its currency, the timeline, how judging is scaled), then its
    needs, rubric, submissions and judges; JSON and CSV keep every field."""
    from ..services import challenges

    if fmt is Format.json:
        emit_record(card, fmt)
        return
    prize = _money(card["prize"], card["currency"])
    head = {"id": card["id"], "name": card["name"], "kind": card["kind"], "hub": card["hub"],
            "sponsor": card["sponsor"], "prize": prize, "eligibility": card["eligibility"], "phase": card["phase"],
            **{step["step"]: step["date"] for step in card["timeline"]},
            "shortlisted": card["shortlist"] or "no shortlist", "winners": card["winners"],
            "scores": challenges.SCALES.get(card["normalisation"], card["normalisation"])}
    emit_record(head if fmt is Format.table else card, fmt, title=card["name"])
    for part, (title, columns) in _PARTS.items():
        if card[part]:
            emit(card[part], fmt, title=title, table_columns=columns)
        elif fmt is Format.table:
            console.print(f"[dim]{title}: none yet[/dim]")


def _criteria(pairs: list[str] | None) -> list[dict] | None:
    out = []
    for pair in pairs or []:
        name, _, weight = pair.rpartition("=")
        try:
            out.append({"criterion": name.strip() if name else pair.strip(), "weight": float(weight) if name else 1.0})
        except ValueError:
            raise typer.BadParameter(f"{pair!r} is not CRITERION=WEIGHT", param_hint="--criterion") from None
    return out or None


@challenges_app.command("add")
def challenges_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Its name.")],
    kind: Annotated[str, typer.Option(help="challenge, grant or competition.")] = "challenge",
    hub: Annotated[Optional[str], typer.Option(help="The hub running it (default: the sponsor's).")] = None,
    sponsor: Annotated[Optional[str], typer.Option(help="The sponsoring organisation (name or id).")] = None,
    need: Annotated[Optional[list[int]], typer.Option(help="A clinical need it answers (id); repeatable.")] = None,
    prize: Annotated[Optional[float], typer.Option(help="The prize or grant, in --currency.", min=0)] = None,
    currency: Annotated[str, typer.Option(help="ISO 4217 code.")] = "EUR",
    opens: Annotated[Optional[str], typer.Option(help="Opens for submissions (YYYY-MM-DD).")] = None,
    closes: Annotated[Optional[str], typer.Option(help="Submissions close (YYYY-MM-DD).")] = None,
    judged_by: Annotated[Optional[str], typer.Option(help="Judging ends (YYYY-MM-DD).")] = None,
    awarded_on: Annotated[Optional[str], typer.Option(help="Winners announced (YYYY-MM-DD).")] = None,
    eligibility: Annotated[Optional[str], typer.Option(help="Who may enter, in words; stakeholder types it names "
                                                      "(\"startups and SMEs\") are enforced.")] = None,
    criterion: Annotated[Optional[list[str]], typer.Option(help="CRITERION=WEIGHT of the rubric; repeatable "
                                                         "(default: one criterion, overall).")] = None,
    shortlist: Annotated[Optional[int], typer.Option(help="How many are shortlisted.", min=1)] = None,
    winners: Annotated[int, typer.Option(help="How many win.", min=1)] = 1,
    normalisation: Annotated[str, typer.Option(help="Per-judge normalisation: z, robust or raw.")] = "z",
    visibility: Annotated[str, typer.Option(help="public, network, hub or private.")] = "public",
    description: Annotated[Optional[str], typer.Option(help="The problem statement.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add a challenge, grant or competition.

    Example: `ecotone challenges add 'Heart failure at home' --sponsor 'Hospital Clínic de Barcelona' --prize 50000
    --closes 2027-03-01 --judged-by 2027-04-01 --criterion 'clinical impact=2' --criterion feasibility=1
    --eligibility 'startups and SMEs'`
    """
    from ..services import challenges

    data = {"name": name, "kind": kind, "hub": hub, "sponsor": sponsor, "need_ids": need or [], "prize": prize,
            "currency": currency, "start_date": opens, "closes_on": closes, "judged_by": judged_by,
            "awarded_on": awarded_on, "eligibility": eligibility, "rubric": _criteria(criterion),
            "shortlist": shortlist, "winners": winners, "normalisation": normalisation, "visibility": visibility,
            "description": description}
    card = _run(ctx, lambda atlas, p: challenges.describe(
        atlas, challenges.add(atlas, {k: v for k, v in data.items() if v is not None}).id), fmt)
    if fmt is Format.table:
        console.print(f"Added {card['kind']} {card['id']}: {card['name']}")
    _card(card, fmt)


@challenges_app.command("submit")
def challenges_submit(
    ctx: typer.Context, challenge: Challenge,
    org: Annotated[str, typer.Option("--org", help="The submitting organisation (name or id).")],
    title: Annotated[str, typer.Option(help="The submission's title.")],
    innovation: Annotated[Optional[str], typer.Option(help="The organisation's innovation it puts forward.")] = None,
    summary: Annotated[Optional[str], typer.Option(help="What it proposes.")] = None,
    on: Annotated[Optional[str], typer.Option("--on", help="Submitted on (YYYY-MM-DD; default today).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Submit an organisation's entry; refused after the challenge closes, or when the organisation is not
    eligible, with the reason.

    Example: `ecotone challenges submit 'Heart failure' --org Dycare --title 'Remote rehab' --innovation ReHub`
    """
    from ..services import challenges

    def work(atlas, progress):
        record = challenges.submit(atlas, challenge, organization=org, title=title, innovation=innovation,
                                   summary=summary, submitted_on=on)
        card = challenges.describe(atlas, record.program_id)
        return card, next(s for s in card["submissions"] if s["id"] == record.id)

    card, entry = _run(ctx, work, fmt)
    emit_record(entry if fmt is not Format.table else {"challenge": card["name"], **{
        k: entry[k] for k in _PARTS["submissions"][1]}, "summary": entry["summary"]}, fmt,
        title=f"Submission {entry['id']} to {card['name']}")


@challenges_app.command("judge")
def challenges_judge(
    ctx: typer.Context, challenge: Challenge,
    name: Annotated[str, typer.Argument(help="The judge's name.")],
    user: Annotated[Optional[str], typer.Option(help="The account (e-mail) the judge signs in with to score.")] = None,
    organization: Annotated[Optional[str], typer.Option(help="The judge's employer: always a conflict.")] = None,
    conflict: Annotated[Optional[list[str]], typer.Option(help="An organisation the judge declares a conflict "
                                                        "with (advises, invests in…); repeatable.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Add a judge with their declared conflicts (their scores of those organisations' submissions are refused).

    Example: `ecotone challenges judge 'Heart failure' 'Dr. Marta Puig' --organization 'Hospital Clínic de
    Barcelona' --conflict Dycare`
    """
    from ..services import challenges

    def work(atlas, progress):
        record = challenges.add_judge(atlas, challenge, name=name, user=user, organization=organization,
                                      conflicts=conflict or [])
        card = challenges.describe(atlas, record.program_id)
        return card, next(j for j in card["judges"] if j["id"] == record.id)

    card, judge = _run(ctx, work, fmt)
    emit_record(judge if fmt is not Format.table else {"challenge": card["name"], **{
        k: judge[k] for k in _PARTS["judges"][1]}}, fmt, title=f"Judge {judge['id']} of {card['name']}")


@challenges_app.command("score")
def challenges_score(
    ctx: typer.Context, challenge: Challenge,
    judge: Annotated[Optional[str], typer.Option(help="The judge (name or id).")] = None,
    submission: Annotated[Optional[str], typer.Option(help="The submission (title or id).")] = None,
    criterion: Annotated[Optional[str], typer.Option(help="The rubric's criterion (default: its only one).")] = None,
    value: Annotated[Optional[float], typer.Option(help="The score, 0–10.")] = None,
    note: Annotated[Optional[str], typer.Option(help="Why.")] = None,
    csv: Annotated[Optional[Path], typer.Option("--csv", help="Many scores: a CSV with judge, submission, "
                                                "criterion, value, [note].")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a judge's score, or a CSV of scores (all or nothing). A judge conflicted with the submission's
    organisation, a criterion outside the rubric, or a score after judging ended is refused with the reason.

    Example: `ecotone challenges score 'Heart failure' --judge 'Dr. Marta Puig' --submission 'Remote rehab'
    --criterion 'clinical impact' --value 8`
    """
    from ..services import challenges

    if csv is None and (judge is None or submission is None or value is None):
        raise typer.BadParameter("give --judge, --submission and --value (and --criterion), or --csv FILE",
                                 param_hint="--judge")

    def work(atlas, progress):
        rows = challenges.read_scores(csv) if csv else [{"judge": judge, "submission": submission,
                                                         "criterion": criterion, "value": value, "note": note}]
        return challenges.score(atlas, challenge, rows)

    emit(_run(ctx, work, fmt), fmt, title="Scores recorded")


_COLUMNS = {"ranking": ("rank", "title", "organization", "score", "raw", "judges", "conflicted", "tie_break",
                        "shortlisted", "winner")}
_TITLES = {"ranking": "Ranking", "judges": "Judges", "excluded": "Scores not used (conflicts)",
           "follow_up": "Winners' follow-up: introductions", "stages": "Winners' innovations since the award",
           "notes": "Notes"}


@challenges_app.command("results")
def challenges_results(
    ctx: typer.Context, challenge: Challenge,
    show: Annotated[Optional[str], typer.Option(help="One part: ranking, judges, excluded, follow_up, stages, "
                                                "notes.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The open ranking: each submission's normalised and raw score, how many judges' scores were used and
    which were excluded (conflicts), the rule that broke each tie, the shortlist and the winners, and the
    winners' follow-up (pilots, later stages).

    Example: `ecotone challenges results 'Heart failure' --format csv --show ranking`
    """
    from ..services import challenges

    result = _run(ctx, lambda atlas, p: challenges.results(atlas, challenge), fmt)
    _show(result, fmt, show, _COLUMNS, _TITLES)


@challenges_app.command("award")
def challenges_award(
    ctx: typer.Context, challenge: Challenge,
    on: Annotated[Optional[str], typer.Option("--on", help="Awarded on (YYYY-MM-DD; default the challenge's "
                                              "awarded_on, else today).")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Award the challenge: the ranking sets each submission's status (winner, shortlisted) and the winners
    become the programme's participants (so `ecotone velocity --cohort NAME` follows them).

    Example: `ecotone challenges award 'Heart failure'`
    """
    from ..services import challenges

    result = _run(ctx, lambda atlas, p: challenges.award(atlas, challenge, on=on), fmt)
    _show(result, fmt, "ranking" if fmt is not Format.json else None, _COLUMNS, _TITLES)
    if fmt is Format.table:
        console.print(f"Awarded: {result.summary.get('winners') or 'no winner'}")


@challenges_app.command("follow-up")
def challenges_follow_up(
    ctx: typer.Context, challenge: Challenge,
    partner: Annotated[str, typer.Option(help="Who the winner was introduced to (a hospital for the pilot, an "
                                         "investor…; name or id).")],
    org: Annotated[Optional[str], typer.Option("--org", help="The winner (default: the only one).")] = None,
    introduced_on: Annotated[Optional[str], typer.Option(help="Introduced on (YYYY-MM-DD; default the award "
                                                         "date).")] = None,
    met_on: Annotated[Optional[str], typer.Option(help="They met on (YYYY-MM-DD).")] = None,
    pilot_on: Annotated[Optional[str], typer.Option(help="The pilot started on (YYYY-MM-DD).")] = None,
    partnered_on: Annotated[Optional[str], typer.Option(help="They signed a partnership on (YYYY-MM-DD).")] = None,
    note: Annotated[Optional[str], typer.Option(help="What was agreed.")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Follow a winner up: the introduction to a partner the prize promised, and when it reached a meeting, a
    pilot and a partnership. Run it again with a later date to record the next step; the results' follow-up and
    `ecotone match intros` count it.

    Example: `ecotone challenges follow-up 'Heart failure' --partner 'Hospital Clínic de Barcelona'
    --pilot-on 2027-06-01`
    """
    from ..services import challenges

    def work(atlas, progress):
        challenges.follow_up(atlas, challenge, partner=partner, organization=org, note=note,
                             introduced_on=introduced_on, met_on=met_on, pilot_on=pilot_on,
                             partnered_on=partnered_on)
        return challenges.results(atlas, challenge)

    result = _run(ctx, work, fmt)
    _show(result, fmt, "follow_up" if fmt is not Format.json else None, _COLUMNS, _TITLES)

"""Partnering use cases: evaluate a partnership (indicators, ratings, KPIs, verdict), record ratings and KPIs,
match startups to sites, schedule a brokerage event, and follow introductions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ..domain import Partnership
from ..domain.problems import InputRejected, Problem
from ..io._tabular import cell_text, read_csv
from ..io.event import agenda_zip, meeting_minutes, meeting_time, read_event, write_agendas
from ..io.partnering import read_kpis, read_ratings
from ..match.assign import optimal_assignment, stable_matching
from ..match.indicators import indicators
from ..match.introductions import funnel
from ..match.schedule import EventScheduler, meetings_from_requests
from ..match.scorecard import Scorecard
from ..store import Atlas
from ..store.atlas import NotFound
from ..store.merge import MergeReport, merge
from .analysis import Result, records
from .recommend import profiles

__all__ = ["evaluate", "record_ratings", "record_kpis", "open_partnership", "assign", "schedule", "agenda_zip",
           "introductions"]


def _partnership(atlas: Atlas, ref: str) -> Partnership:
    page = atlas.find(Partnership, limit=None)
    hits = [p for p in page.items if str(p.id) == ref or p.name.casefold() == ref.casefold()]
    hits = hits or [p for p in page.items if ref.casefold() in p.name.casefold()]
    if not hits and ref.isdigit():
        raise NotFound(f"no partnership has id {ref}")
    if len(hits) != 1:
        names = ", ".join(p.name for p in page.items) or "none yet"
        raise InputRejected([Problem(column="PARTNERSHIP", reason=f"{'no' if not hits else 'more than one'} "
                                     f"partnership is named {ref!r}", hint=f"partnerships: {names}")])
    return hits[0]


def open_partnership(atlas: Atlas, name: str, partners: list[str], purpose: str | None = None) -> Partnership:
    """Record a new partnership between organisations (names or ids)."""
    try:
        ids = [atlas.organization_id(p) for p in partners]
        return atlas.add(Partnership(name=name, organization_ids=ids, purpose=purpose))
    except ValueError as exc:
        raise InputRejected([Problem(column="--partner", reason=str(exc).splitlines()[-1].strip())]) from None


def _kpi_table(atlas: Atlas, partnership_id: int) -> pd.DataFrame:
    kpis = atlas.frame("kpi", ["partnership_id", "name", "unit", "baseline", "target", "direction", "due_date"])
    kpis = kpis[kpis["partnership_id"] == partnership_id]
    actuals = atlas.frame("kpi_actual", ["kpi_id", "date", "value"]).sort_values(["kpi_id", "date"])
    latest = actuals[actuals["kpi_id"].isin(kpis["id"])].groupby("kpi_id").last()
    return kpis.assign(actual=kpis["id"].map(latest["value"]), actual_date=kpis["id"].map(latest["date"]))


def evaluate(atlas: Atlas, ref: str, *, weights: dict[str, float] | None = None, progress=None) -> Result:
    """The scorecard of a partnership: data indicators with evidence, each evaluator's ratings, where they agree and
    conflict, KPIs against targets, the weighted total with its verdict and reasons, and the score's history."""
    partnership = _partnership(atlas, ref)
    prof = profiles(atlas, progress)
    positions = [prof.snapshot.position(i) for i in partnership.organization_ids]
    kpis = _kpi_table(atlas, partnership.id)
    found = indicators(prof, positions, kpis)
    assessments = atlas.frame("assessment", ["partnership_id", "evaluator", "date"])
    assessments = assessments[assessments["partnership_id"] == partnership.id]
    ratings = atlas.frame("rating", ["assessment_id", "question", "score", "evidence", "comment"])
    ratings = ratings.merge(assessments.rename(columns={"id": "assessment_id"}), on="assessment_id")
    try:
        card = Scorecard(weights=weights or {k.value: v for k, v in partnership.weights.items()}).run(ratings, found)
    except ValueError as exc:
        raise InputRejected([Problem(column="--weight", reason=str(exc))]) from None
    partners = atlas.names("organization", partnership.organization_ids)
    kpi_rows = kpis.drop(columns=["partnership_id", "id"])
    return Result(
        tables={"criteria": records(card.criteria_), "indicators": records(found),
                "agreement": records(card.agreement_), "kpis": records(kpi_rows), "history": records(card.history_),
                "reasons": [{"reason": r} for r in card.reasons_]},
        summary={"partnership": partnership.name, "partners": ", ".join(partners[i] for i in partnership.organization_ids),
                 "evaluators": int(ratings["evaluator"].nunique()),
                 "total": round(card.total_, 2) if card.total_ is not None else None,
                 "verdict": card.verdict_.value if card.verdict_ else None})


def record_ratings(atlas: Atlas, ref: str, path: Path, *, dry_run: bool = False) -> MergeReport:
    """Merge an evaluator's ratings file into a partnership's assessments (atomic; re-reading changes nothing)."""
    return merge(atlas, read_ratings(path, _partnership(atlas, ref).name), dry_run=dry_run)


def record_kpis(atlas: Atlas, ref: str, path: Path, *, dry_run: bool = False) -> MergeReport:
    """Merge a KPI file (declarations and actuals) into a partnership."""
    return merge(atlas, read_kpis(path, _partnership(atlas, ref).name), dry_run=dry_run)


def assign(path: Path, capacities: Path | None, *, method: str = "auto", min_score: float = 0.0) -> Result:
    """Match applicants to sites from a preferences file: ``applicant, site`` with ``applicant_rank`` and
    ``site_rank`` (stable matching), or ``score`` (optimal assignment); capacities from ``site, capacity``."""
    table = read_csv(Path(path))
    cols = {c: table.column(c) for c in ("applicant", "site", "applicant_rank", "site_rank", "score")}
    problems = [Problem(table.file, row=1, column=c, reason=f"the column {c} is missing",
                        hint="applicant,site,applicant_rank,site_rank  or  applicant,site,score")
                for c in ("applicant", "site") if cols[c] is None]
    ranked = cols["applicant_rank"] is not None and cols["site_rank"] is not None
    if method == "auto":
        method = "stable" if ranked else "optimal"
    if method == "stable" and not ranked or method == "optimal" and cols["score"] is None:
        problems.append(Problem(table.file, row=1, reason=f"the {method} method needs "
                                + ("applicant_rank and site_rank columns" if method == "stable" else "a score column")))
    if method not in ("stable", "optimal"):
        problems.append(Problem(column="--method", reason=f"{method!r} is not auto, stable or optimal"))
    if problems:
        raise InputRejected(problems)
    rows = []
    for number, values in table.rows:
        row = {k: cell_text(values[c]) for k, c in cols.items() if c}
        numeric = ("applicant_rank", "site_rank") if method == "stable" else ("score",)
        for k in numeric:
            try:
                row[k] = float(row[k])
            except ValueError:
                problems.append(Problem(table.file, row=number, column=k, reason=f"{row[k]!r} is not a number"))
        rows.append(row)
    capacity = _capacities(capacities, problems) if capacities else {}
    if problems:
        raise InputRejected(problems)
    frame = pd.DataFrame(rows)
    if method == "stable":
        a_ranks = {a: g.sort_values("applicant_rank")["site"].tolist() for a, g in frame.groupby("applicant", sort=False)}
        s_ranks = {s: g.sort_values("site_rank")["applicant"].tolist() for s, g in frame.groupby("site", sort=False)}
        matches, unmatched = stable_matching(a_ranks, s_ranks, capacity)
    else:
        matches, unmatched = optimal_assignment(frame[["applicant", "site", "score"]], capacity, min_score=min_score)
    return Result(tables={"matches": records(matches), "unmatched": records(unmatched)},
                  summary={"method": method, "applicants": int(frame["applicant"].nunique()),
                           "matched": len(matches), "unmatched": len(unmatched)})


def _capacities(path: Path, problems: list[Problem]) -> dict[str, int]:
    table = read_csv(Path(path))
    site, cap = table.column("site"), table.column("capacity")
    if site is None or cap is None:
        problems.append(Problem(table.file, row=1, reason="the header needs site and capacity columns"))
        return {}
    out = {}
    for number, values in table.rows:
        text = cell_text(values[cap])
        if not text.isdigit():
            problems.append(Problem(table.file, row=number, column="capacity", reason=f"{text!r} is not a whole "
                                    "number ≥ 0"))
            continue
        out[cell_text(values[site])] = int(text)
    return out


def schedule(path: Path, output: Path, *, tables: int, method: str = "auto", time_limit: float = 60.0,
             seed: int = 0) -> Result:
    """Schedule a brokerage event from its workbook and write the agendas (spreadsheet, CSV, iCalendar per
    participant, per organisation and for the whole event; :func:`agenda_zip` packs them in one file)."""
    if tables < 1:
        raise InputRejected([Problem(column="--tables", reason="an event needs at least one table")])
    event = read_event(Path(path))
    meetings = meetings_from_requests(event.requests)
    zone = event.zone
    # Clashes are judged in real time (UTC), so slots on the night the clocks change overlap as they really do.
    real = {k: tuple(t.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None) for t in v)
            for k, v in event.times.items()}
    try:
        s = EventScheduler(method=method, time_limit=time_limit, seed=seed).run(
            meetings, event.slots, event.available, tables=tables, times=real)
    except ValueError as exc:
        raise InputRejected([Problem(column="--method", reason=str(exc))]) from None
    files = write_agendas(event, s.agenda_, s.unscheduled_, Path(output))
    agenda = s.agenda_.assign(time=s.agenda_["slot"].map(lambda k: meeting_time(*event.times[k], event.timezone)),
                              start=s.agenda_["slot"].map(lambda k: event.times[k][0]),
                              end=s.agenda_["slot"].map(lambda k: event.times[k][1]),
                              minutes=s.agenda_["slot"].map(lambda k: meeting_minutes(*event.times[k], event.timezone)))
    agenda = agenda[["slot", "time", "start", "end", "minutes", "table", "a", "b", "priority", "mutual"]]
    return Result(tables={"agenda": records(agenda), "unscheduled": records(s.unscheduled_)},
                  summary={"event": event.name, "participants": len(event.participants), "slots": len(event.slots), "tables": tables,
                           "requested": len(meetings), "scheduled": len(s.agenda_),
                           "mutual_scheduled": int(s.agenda_["mutual"].sum()) if len(s.agenda_) else 0,
                           "weighted": s.objective_, "upper_bound": s.bound_, "solver": s.status_,
                           "seconds": round(s.seconds_, 2), "files": len(files), "output": str(output),
                           "time_zone": event.timezone if event.timezone_given else
                           "UTC (the workbook names none: add an Event sheet with a Time zone)"})


def introductions(atlas: Atlas, *, by: str | None = None, as_of=None) -> Result:
    """The introductions funnel, overall or per facilitator, hub pair or event; days to a meeting and to a
    partnership are Kaplan–Meier medians with the introductions still open censored at their age on ``as_of``
    (today when None)."""
    intros = atlas.frame("introduction", ["organization_id", "partner_id", "facilitator_id", "event",
                                          "introduced_on", "met_on", "pilot_on", "partnered_on"])
    orgs = atlas.frame("organization", ["name", "hub_id"]).set_index("id")
    hubs = atlas.frame("hub", ["name"]).set_index("id")["name"]
    hub_of = orgs["hub_id"].map(hubs)
    pair = [" – ".join(sorted(str(hub_of.get(a)) if pd.notna(hub_of.get(a)) else "(no hub)" for a in (x, y)))
            for x, y in zip(intros["organization_id"], intros["partner_id"])]
    intros = intros.assign(facilitator=intros["facilitator_id"].map(orgs["name"]), hub_pair=pair)
    try:
        table = funnel(intros, by, as_of=as_of)
    except ValueError as exc:
        raise InputRejected([Problem(column="--by", reason=str(exc))]) from None
    return Result(tables={"funnel": records(table)},
                  summary={"introductions": len(intros), "by": by or "all"})

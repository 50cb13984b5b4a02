"""Challenges, grants and competitions: add one, take submissions, name judges, record their scores, rank the
submissions openly, award the winners and follow them into pilots and later stages.

A challenge is a :class:`~ecotone.domain.Program` of kind challenge, grant or competition. Every write goes through
:mod:`ecotone.services.registry` with the caller's principal (so it is checked and audited). Two people write
records of a challenge they do not own: a judge scoring from their own account, and an editor of an organisation
submitting to it. Their writes are made on the challenge's behalf (owned by it, so its hub keeps them) and the
audit trail names them; a judge's right to score comes from being the judge, not from their role.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.judging import Judging
from ..domain import Innovation, Organization, Program, StageEvent
from ..domain.access import Principal, Role
from ..domain.enums import StakeholderType
from ..domain.innovation import Judge, Score, Submission
from ..domain.partnering import Introduction
from ..domain.problems import InputRejected, Problem
from ..store import Atlas
from ..store.accounts import Accounts
from ..store.atlas import Forbidden, NotFound, NotSignedIn
from . import registry
from .analysis import Result, records

__all__ = ["KINDS", "SCALES", "find_challenge", "catalogue", "describe", "add", "submit", "add_judge", "score",
           "read_scores", "results", "award", "follow_up", "scoring_sheet"]

#: The kinds of programme that are challenges (a sponsor, submissions, judges, a rubric, winners).
KINDS = ("challenge", "grant", "competition")
#: Submissions that take part in the ranking (withdrawn and ineligible ones do not).
_IN_RUNNING = ("submitted", "shortlisted", "winner")


# -- finding ---------------------------------------------------------------------------------------------------
def _kind(program: Program) -> str:
    return program.kind.value if hasattr(program.kind, "value") else str(program.kind)


def find_challenge(atlas: Atlas, ref: str | int) -> Program:
    """The challenge with that id, name, or part of a name (one the principal may see).

    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = add(atlas, {"name": "Heart-failure challenge", "kind": "challenge"})
    ...     find_challenge(atlas, "heart").name
    'Heart-failure challenge'
    """
    text = str(ref).strip()
    found = atlas.find(Program, kind=list(KINDS), limit=None).items
    if text.isdigit():
        hit = next((p for p in found if p.id == int(text)), None)
        if hit is None:
            raise NotFound(f"no challenge, grant or competition has id {text} (or you may not see it)")
        return hit
    hits = [p for p in found if p.name.casefold() == text.casefold()] or \
        [p for p in found if text.casefold() in p.name.casefold()]
    if len(hits) != 1:
        names = ", ".join(p.name for p in found) or "none yet"
        raise InputRejected([Problem(column="CHALLENGE", reason=f"{'no' if not hits else 'more than one'} "
                                     f"challenge is named like {text!r}", hint=f"challenges: {names}")])
    return hits[0]


def _rubric(program: Program) -> dict[str, float]:
    """criterion → weight, as the challenge publishes it (one criterion "overall" when it names none)."""
    rubric = getattr(program, "rubric", None) or []
    out = {}
    for c in rubric:
        name = c["criterion"] if isinstance(c, dict) else c.criterion
        weight = c["weight"] if isinstance(c, dict) else c.weight
        out[name] = float(weight)
    return out or {"overall": 1.0}


def _rubric_rows(program: Program) -> list[dict[str, Any]]:
    rubric = getattr(program, "rubric", None) or []
    rows = [c if isinstance(c, dict) else c.model_dump(mode="json") for c in rubric]
    rows = rows or [{"criterion": "overall", "weight": 1.0, "description": None}]
    total = sum(float(r["weight"]) for r in rows)
    return [{"criterion": r["criterion"], "weight": float(r["weight"]), "share": round(float(r["weight"]) / total, 4),
             "description": r.get("description")} for r in rows]


def _phase(program: Program, today: dt.date) -> str:
    """Where the challenge stands on ``today``, in words."""
    if program.awarded_on and today >= program.awarded_on:
        return "awarded"
    if program.judged_by and today > program.judged_by:
        return "judged, to be awarded"
    if program.closes_on and today > program.closes_on:
        return "judging"
    if program.start_date and today < program.start_date:
        return "not open yet"
    return "open for submissions"


def catalogue(atlas: Atlas, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The challenges, grants and competitions the principal may see, newest first, with where each stands.

    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = add(atlas, {"name": "AF detection", "kind": "grant", "prize": 50000, "closes_on": "2026-03-01"})
    ...     [(c["name"], c["kind"], c["phase"]) for c in catalogue(atlas, today=dt.date(2026, 1, 1))]
    [('AF detection', 'grant', 'open for submissions')]
    """
    today = today or dt.date.today()
    programs = atlas.find(Program, kind=list(KINDS), limit=None).items
    sponsors = atlas.names("organization", [p.sponsor_id for p in programs if p.sponsor_id])
    hubs = atlas.names("hub", [p.hub_id for p in programs if p.hub_id])
    subs = atlas.frame("submission", ["program_id"])
    counts = subs["program_id"].value_counts().to_dict() if len(subs) else {}
    out = [{"id": p.id, "name": p.name, "kind": _kind(p), "hub": hubs.get(p.hub_id),
            "sponsor": sponsors.get(p.sponsor_id), "prize": p.prize, "currency": p.currency,
            "opens": p.start_date, "closes_on": p.closes_on, "judged_by": p.judged_by, "awarded_on": p.awarded_on,
            "submissions": int(counts.get(p.id, 0)), "phase": _phase(p, today)} for p in programs]
    return sorted(out, key=lambda c: (str(c["closes_on"] or ""), c["id"]), reverse=True)


def describe(atlas: Atlas, ref: str | int, *, today: dt.date | None = None) -> dict[str, Any]:
    """A challenge as its page shows it: the needs it answers, prize, timeline, eligibility, rubric, its
    submissions and its judges (with their conflicts in words)."""
    today = today or dt.date.today()
    p = find_challenge(atlas, ref)
    needs = atlas.find(_need_class(), limit=None).items if p.need_ids else []
    needs = [{"id": n.id, "statement": n.statement, "clinical_area": n.clinical_area}
             for n in needs if n.id in set(p.need_ids)]
    subs = _submissions(atlas, p)
    judges = _judges(atlas, p)
    org_names = atlas.names("organization", [s.organization_id for s in subs]
                            + [i for j in judges for i in [j.organization_id, *j.conflict_ids] if i]
                            + ([p.sponsor_id] if p.sponsor_id else []))
    innovations = atlas.names("innovation", [s.innovation_id for s in subs if s.innovation_id])
    me = atlas.principal
    return {
        "id": p.id, "name": p.name, "kind": _kind(p), "description": p.description,
        "hub_id": p.hub_id, "hub": atlas.names("hub", [p.hub_id]).get(p.hub_id) if p.hub_id else None,
        "sponsor_id": p.sponsor_id, "sponsor": org_names.get(p.sponsor_id), "prize": p.prize,
        "currency": p.currency, "eligibility": p.eligibility, "phase": _phase(p, today),
        "timeline": [{"step": step, "date": day} for step, day in (
            ("opens", p.start_date), ("submissions close", p.closes_on), ("judging ends", p.judged_by),
            ("winners announced", p.awarded_on)) if day],
        "opens": p.start_date, "closes_on": p.closes_on, "judged_by": p.judged_by, "awarded_on": p.awarded_on,
        "needs": needs, "rubric": _rubric_rows(p), "shortlist": p.shortlist, "winners": p.winners,
        "normalisation": p.normalisation,
        "submissions": [{"id": s.id, "title": s.title, "organization_id": s.organization_id,
                         "organization": org_names.get(s.organization_id, f"organisation {s.organization_id}"),
                         "innovation_id": s.innovation_id, "innovation": innovations.get(s.innovation_id),
                         "submitted_on": s.submitted_on, "status": _value(s.status), "summary": s.summary}
                        for s in subs],
        "judges": [{"id": j.id, "name": j.name, "has_account": j.user_id is not None,
                    "organization": org_names.get(j.organization_id),
                    "conflicts": ", ".join(org_names.get(i, f"organisation {i}") for i in j.conflict_ids),
                    "declared_on": j.declared_on, "mine": me.user_id is not None and j.user_id == me.user_id}
                   for j in judges],
        "may_manage": atlas.may_change("program", p.id),
    }


def _need_class():
    from ..domain import ClinicalNeed

    return ClinicalNeed


def _value(v: Any) -> Any:
    return v.value if hasattr(v, "value") else v


def _submissions(atlas: Atlas, p: Program) -> list[Submission]:
    return atlas.find(Submission, limit=None, program=p.id).items


def _judges(atlas: Atlas, p: Program) -> list[Judge]:
    return atlas.find(Judge, limit=None, program=p.id).items


# -- writing ---------------------------------------------------------------------------------------------------
def add(atlas: Atlas, data: dict[str, Any]) -> Program:
    """A new challenge, grant or competition (``kind`` defaults to challenge); ``sponsor`` and ``hub`` may be
    given by name, ``rubric`` as ``{criterion: weight}`` or a list of criteria.

    >>> with Atlas.open("sqlite://") as atlas:
    ...     c = add(atlas, {"name": "Sepsis", "rubric": {"clinical impact": 2, "feasibility": 1}, "winners": 1})
    ...     [(r["criterion"], r["share"]) for r in describe(atlas, c.id)["rubric"]]
    [('clinical impact', 0.6667), ('feasibility', 0.3333)]
    """
    data = dict(data)
    data.setdefault("kind", "challenge")
    if str(data["kind"]).strip().lower() not in KINDS:
        raise InputRejected([Problem(column="kind", reason=f"{data['kind']!r} is not a challenge, grant or "
                                     "competition", hint="for other programmes: ecotone programs add")])
    problems: list[Problem] = []
    for field, entity in (("sponsor", "organization"), ("hub", "hub")):
        if data.get(field) is not None:
            try:
                ref = data.pop(field)
                data[f"{field}_id"] = (atlas.organization_id if entity == "organization" else atlas.hub_id)(ref)
            except (ValueError, NotFound) as exc:
                problems.append(Problem(column=field, reason=str(exc).splitlines()[-1].strip()))
    if isinstance(data.get("rubric"), dict):
        data["rubric"] = [{"criterion": k, "weight": v} for k, v in data["rubric"].items()]
    if data.get("sponsor_id") and not data.get("hub_id"):
        sponsor = atlas.get(Organization, data["sponsor_id"])
        data["hub_id"] = sponsor.hub_id
    if problems:
        raise InputRejected(problems)
    if data.get("hub_id") and data.get("owner_kind") is None:
        # a challenge belongs to the hub running it: its managers keep it, its visibility is that hub's
        data.update(owner_kind="hub", owner_id=data["hub_id"])
    return registry.create(atlas, Program, data)


def _on_behalf(atlas: Atlas, program: Program) -> Atlas:
    """The atlas written on the challenge's behalf by the principal (its judge's account, or an editor of a
    submitting organisation): as an editor of the challenge's hub for this one write, audited under their name."""
    p = atlas.principal
    hubs = set(p.hubs)
    organization_id = p.organization_id
    if program.owner_kind is not None and _value(program.owner_kind) == "hub":
        hubs.add(program.owner_id)
    elif program.owner_kind is not None:
        organization_id = program.owner_id
    elif program.hub_id is not None:
        hubs.add(program.hub_id)
    return atlas.acting_as(Principal("user", email=p.email, user_id=p.user_id, role=Role.editor,
                                     hubs=frozenset(hubs), organization_id=organization_id, via=p.via))


def _owned_like(program: Program) -> dict[str, Any]:
    """The owner and visibility a challenge's submissions, judges and scores take: the challenge's own."""
    if program.owner_kind is not None:
        owner = {"owner_kind": _value(program.owner_kind), "owner_id": program.owner_id}
    elif program.hub_id is not None:
        owner = {"owner_kind": "hub", "owner_id": program.hub_id}
    else:
        owner = {}
    return {**owner, "visibility": _value(program.visibility)}


def _eligibility(program: Program, org: Organization) -> str | None:
    """Why ``org`` may not enter, in words, or None. The eligibility text is read for the stakeholder types it
    names ("open to startups and SMEs"): an organisation of another type is refused."""
    if program.sponsor_id is not None and org.id == program.sponsor_id:
        return f"{org.name} sponsors {program.name} and may not enter it"
    text = (program.eligibility or "").casefold()
    named = []
    for t in StakeholderType:
        words = {t.value.replace("_", " "), t.value.replace("_", " ") + "s", t.value + "s"}
        if t.value == "sme":
            words |= {"smes", "sme's"}
        if any(re.search(rf"\b{re.escape(w)}\b", text) for w in words):
            named.append(t)
    if named and org.type not in named:
        return (f"{program.name} is open to {program.eligibility.strip().rstrip('.')!r} only; {org.name} is a "
                f"{org.type.value.replace('_', ' ')}")
    return None


def submit(atlas: Atlas, ref: str | int, *, organization: str | int, title: str, innovation: str | int | None = None,
           summary: str | None = None, submitted_on: dt.date | str | None = None,
           today: dt.date | None = None) -> Submission:
    """An organisation's submission (with the innovation it puts forward), refused in words after the
    challenge closes, before it opens, for an ineligible organisation, or twice."""
    today = today or dt.date.today()
    program = find_challenge(atlas, ref)
    day = dt.date.fromisoformat(str(submitted_on)) if submitted_on else today
    problems: list[Problem] = []
    try:
        org = atlas.get(Organization, atlas.organization_id(organization))
    except (ValueError, NotFound) as exc:
        raise InputRejected([Problem(column="organization", reason=str(exc).splitlines()[-1].strip())]) from None
    if program.closes_on and day > program.closes_on:
        problems.append(Problem(column="submitted_on", reason=f"{program.name} closed to submissions on "
                                f"{program.closes_on}; this one is dated {day}"))
    if program.start_date and day < program.start_date:
        problems.append(Problem(column="submitted_on", reason=f"{program.name} opens on {program.start_date}; "
                                f"this one is dated {day}"))
    why = _eligibility(program, org)
    if why:
        problems.append(Problem(column="organization", reason=f"not eligible: {why}"))
    entered = [s for s in _submissions(atlas, program) if s.organization_id == org.id
               and _value(s.status) != "withdrawn"]
    if entered:
        problems.append(Problem(column="organization", reason=f"{org.name} has already entered {program.name} "
                                f"({entered[0].title!r}, submission {entered[0].id})",
                                hint="one entry an organisation: set that submission's status to withdrawn (on its "
                                     f"Registry page, /records/submissions/{entered[0].id}) to enter another"))
    innovation_id = None
    if innovation is not None:
        innovation_id = _innovation(atlas, innovation, org, problems)
    if problems:
        raise InputRejected(problems)
    data = {"program_id": program.id, "organization_id": org.id, "innovation_id": innovation_id, "title": title,
            "summary": summary, "submitted_on": day, **_owned_like(program)}
    return registry.create(_writer(atlas, program, organization_id=org.id), Submission, data)


def _innovation(atlas: Atlas, ref: str | int, org: Organization, problems: list[Problem]) -> int | None:
    mine = atlas.find(Innovation, organization=org.id, limit=None).items
    text = str(ref).strip()
    hit = next((i for i in mine if str(i.id) == text or i.name.casefold() == text.casefold()), None)
    if hit is None:
        names = ", ".join(i.name for i in mine) or "none recorded"
        problems.append(Problem(column="innovation", reason=f"{org.name} has no innovation {text!r}",
                                hint=f"its innovations: {names}"))
        return None
    return hit.id


def _writer(atlas: Atlas, program: Program, *, organization_id: int | None = None,
            judge: Judge | None = None) -> Atlas:
    """The atlas a write for a challenge goes through: the principal's own when it may change the challenge;
    on the challenge's behalf for its judge's account or an editor of the submitting organisation."""
    p = atlas.principal
    if not p.signed_in:
        raise NotSignedIn(f"sign in to take part in {program.name}: visitors may only read")
    if atlas.may_change("program", program.id):
        return atlas
    if judge is not None and p.user_id is not None and judge.user_id == p.user_id:
        return _on_behalf(atlas, program)
    if organization_id is not None and p.may_write and p.organization_id == organization_id:
        return _on_behalf(atlas, program)
    if judge is not None:
        raise Forbidden(f"{p.actor} may not score as {judge.name}: only the judge's own account, or a manager "
                        f"of the challenge's hub, may")
    raise Forbidden(f"{p.actor} may not submit for this organisation: an editor of the organisation, or a "
                    f"manager of the challenge's hub, may")


def add_judge(atlas: Atlas, ref: str | int, *, name: str, user: str | int | None = None,
              person: int | None = None, organization: str | int | None = None,
              conflicts: Iterable[str | int] = (), declared_on: dt.date | str | None = None) -> Judge:
    """A judge of the challenge: ``user`` is the account (e-mail or id) they sign in with to score,
    ``organization`` their employer (always a conflict), ``conflicts`` the organisations they declare.

    A judge of that name already on the panel is updated instead: conflicts declared later are added to the
    earlier ones (a declaration is never withdrawn by omission), and the account and employer change only when
    given."""
    program = find_challenge(atlas, ref)
    same = [j for j in _judges(atlas, program) if j.name.casefold() == " ".join(name.split()).casefold()]
    problems: list[Problem] = []
    user_id = None
    if user is not None and str(user).strip():
        accounts = Accounts(atlas)
        found = accounts.user_by_id(int(user)) if str(user).isdigit() else accounts.user(str(user).strip())
        if found is None:
            problems.append(Problem(column="user", reason=f"no account {user!r}",
                                    hint="create it first: ecotone users add EMAIL"))
        else:
            user_id = found["id"]
    org_id = None
    if organization is not None and str(organization).strip():
        try:
            org_id = atlas.organization_id(organization)
        except (ValueError, NotFound) as exc:
            problems.append(Problem(column="organization", reason=str(exc).splitlines()[-1].strip()))
    conflict_ids = []
    for c in conflicts:
        try:
            conflict_ids.append(atlas.organization_id(c))
        except (ValueError, NotFound) as exc:
            problems.append(Problem(column="conflicts", reason=str(exc).splitlines()[-1].strip()))
    taken = [j for j in _judges(atlas, program) if user_id is not None and j.user_id == user_id
             and not (same and j.id == same[0].id)]
    if taken:
        problems.append(Problem(column="user", reason=f"the account {user!r} is already judge {taken[0].name} of "
                                f"{program.name}", hint="one account judges once: give another account"))
    if problems:
        raise InputRejected(problems)
    if same:
        judge = same[0]
        change: dict[str, Any] = {"conflict_ids": list(dict.fromkeys([*judge.conflict_ids, *conflict_ids]))}
        for key, value in (("user_id", user_id), ("organization_id", org_id), ("person_id", person)):
            if value is not None:
                change[key] = value
        if declared_on is not None or conflict_ids:
            change["declared_on"] = declared_on or dt.date.today()
        return registry.update(atlas, Judge, judge.id, change)
    data = {"program_id": program.id, "name": name, "user_id": user_id, "person_id": person,
            "organization_id": org_id, "conflict_ids": conflict_ids,
            "declared_on": declared_on or dt.date.today(), **_owned_like(program)}
    return registry.create(atlas, Judge, data)


def read_scores(path: Path) -> list[dict[str, Any]]:
    """Scores from a CSV with columns judge, submission, criterion, value and optionally note (judges and
    submissions by id or name/title); each row keeps its number for the problems it may have."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            missing = [c for c in ("judge", "submission", "value") if c not in header]
            if missing:
                raise InputRejected([Problem(str(path), row=1, column=c, reason=f"the column {c} is missing",
                                             hint="judge,submission,criterion,value,note") for c in missing])
            rows = []
            for number, raw in enumerate(reader, start=2):
                row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
                rows.append({**row, "row": number, "file": str(path)})
            return rows
    except (OSError, UnicodeDecodeError) as exc:
        raise InputRejected([Problem(str(path), reason=f"cannot be read: {exc}")]) from None


def score(atlas: Atlas, ref: str | int, rows: Iterable[dict[str, Any]], *,
          today: dt.date | None = None) -> list[dict[str, Any]]:
    """Record judges' scores (``judge``, ``submission``, ``criterion``, ``value`` 0–10, ``note``), all or
    nothing: a score by a judge conflicted with the submission's organisation, on a criterion the rubric does not
    name, or once judging has ended is refused with the reason; a score given again replaces the earlier one."""
    today = today or dt.date.today()
    program = find_challenge(atlas, ref)
    rubric = _rubric(program)
    judges = _judges(atlas, program)
    subs = _submissions(atlas, program)
    orgs = atlas.names("organization", [s.organization_id for s in subs])
    problems: list[Problem] = []
    wanted: list[tuple[Judge, Submission, str, float, str | None]] = []
    rows = list(rows)
    if program.judged_by and today > program.judged_by:
        raise InputRejected([Problem(column="judge", reason=f"judging of {program.name} ended on "
                                     f"{program.judged_by}: no more scores are taken")])
    if not rows:
        raise InputRejected([Problem(column="value", reason="no scores given")])
    for n, row in enumerate(rows, start=1):
        at = {"file": row.get("file"), "row": row.get("row", n if len(rows) > 1 else None)}
        judge = _pick(judges, row.get("judge"), lambda j: j.name, "judge", program, at, problems)
        sub = _pick(subs, row.get("submission"), lambda s: s.title, "submission", program, at, problems)
        criterion = " ".join(str(row.get("criterion") or "").split()) or (next(iter(rubric)) if len(rubric) == 1
                                                                          else "")
        known = program.criterion(criterion) if criterion else None
        criterion = known.criterion if known is not None else criterion
        if not criterion:
            problems.append(Problem(**at, column="criterion", reason=f"the rubric of {program.name} has "
                                    f"{len(rubric)} criteria: say which one this score is for",
                                    hint=f"its criteria: {', '.join(rubric)}"))
        elif criterion not in rubric:
            problems.append(Problem(**at, column="criterion", reason=f"{criterion!r} is not in the "
                                    f"rubric of {program.name}", hint=f"its criteria: {', '.join(rubric)}"))
        try:
            value = float(str(row.get("value")).replace(",", "."))
            if not 0 <= value <= 10:
                raise ValueError
        except ValueError:
            problems.append(Problem(**at, column="value", reason=f"{row.get('value')!r} is not a score from 0 to 10"))
            continue
        if judge is None or sub is None or criterion not in rubric:
            continue
        how = judge.conflicted_with(sub.organization_id)
        if how:
            problems.append(Problem(**at, column="judge", reason=f"{judge.name} {how} "
                                    f"{orgs.get(sub.organization_id, 'the organisation')}, which made the submission "
                                    f"{sub.title!r}: the score is refused (a conflicted judge's scores are never used)"))
            continue
        if _value(sub.status) not in _IN_RUNNING:
            problems.append(Problem(**at, column="submission", reason=f"{sub.title!r} is {_value(sub.status)}: it is "
                                    "not judged"))
            continue
        wanted.append((judge, sub, criterion, value, row.get("note") or None))
    if problems:
        raise InputRejected(problems)
    writers = {judge.id: _writer(atlas, program, judge=judge) for judge, *_ in wanted}  # refused before any read
    existing = {(s.submission_id, s.judge_id, s.criterion): s for w in {id(w): w for w in writers.values()}.values()
                for s in w.find(Score, limit=None).items if s.submission_id in {x.id for x in subs}}
    out = []
    with atlas.transaction():
        for judge, sub, criterion, value, note in wanted:
            writer = writers[judge.id]
            before = existing.get((sub.id, judge.id, criterion))
            if before is not None:
                saved = registry.update(writer, Score, before.id, {"value": value, "note": note})
            else:
                saved = registry.create(writer, Score, {"submission_id": sub.id, "judge_id": judge.id,
                                                        "criterion": criterion, "value": value, "note": note,
                                                        **_owned_like(program)})
            out.append({"id": saved.id, "judge": judge.name, "submission": sub.title, "criterion": criterion,
                        "value": value, "replaced": before is not None})
    return out


def _pick(items: list, ref: Any, name_of, what: str, program: Program, at: dict, problems: list[Problem]):
    text = str(ref or "").strip()
    if not text:
        problems.append(Problem(**at, column=what, reason=f"no {what} given"))
        return None
    hits = [i for i in items if str(i.id) == text] or [i for i in items if name_of(i).casefold() == text.casefold()]
    if len(hits) != 1:
        known = ", ".join(f"{name_of(i)} ({i.id})" for i in items) or "none yet"
        problems.append(Problem(**at, column=what, reason=f"{program.name} has {'no' if not hits else 'more than one'} "
                                f"{what} {text!r}", hint=f"its {what}s: {known}"))
        return None
    return hits[0]


# -- judging ---------------------------------------------------------------------------------------------------
def _frames(atlas: Atlas, program: Program) -> tuple[list[Submission], list[Judge], pd.DataFrame]:
    subs = [s for s in _submissions(atlas, program) if _value(s.status) in _IN_RUNNING]
    judges = _judges(atlas, program)
    ids = {s.id for s in subs}
    scores = atlas.frame("score", ["submission_id", "judge_id", "criterion", "value"])
    scores = scores[scores["submission_id"].isin(ids)].drop(columns=["id"]).reset_index(drop=True)
    return subs, judges, scores


def results(atlas: Atlas, ref: str | int) -> Result:
    """The ranking of a challenge's submissions: normalised and raw scores, the tie-breaks and exclusions in
    words, the shortlist and the winners, each judge's figures, and the winners' follow-up (introductions made
    through the challenge, and their innovations' stages since the award)."""
    program = find_challenge(atlas, ref)
    subs, judges, scores = _frames(atlas, program)
    names = atlas.names("organization", [s.organization_id for s in subs]
                        + [i for j in judges for i in [j.organization_id, *j.conflict_ids] if i])
    sub_frame = pd.DataFrame({"id": [s.id for s in subs], "organization_id": [s.organization_id for s in subs],
                              "submitted_on": [s.submitted_on for s in subs], "title": [s.title for s in subs],
                              "organization": [names.get(s.organization_id) for s in subs]},
                             columns=["id", "organization_id", "submitted_on", "title", "organization"])
    judge_frame = pd.DataFrame({"id": [j.id for j in judges], "name": [j.name for j in judges],
                                "organization_id": [j.organization_id for j in judges],
                                "conflict_ids": [list(j.conflict_ids) for j in judges]},
                               columns=["id", "name", "organization_id", "conflict_ids"])
    judging = Judging(_rubric(program), normalisation=program.normalisation, shortlist=program.shortlist,
                      winners=program.winners).run(sub_frame, judge_frame, scores)
    by_id = {s.id: s for s in subs}
    innovations = atlas.names("innovation", [s.innovation_id for s in subs if s.innovation_id])
    ranking = judging.results_.copy()
    ranking[["score", "raw"]] = ranking[["score", "raw"]].astype(float).round(4)
    ranking.insert(1, "title", ranking["submission_id"].map(lambda i: by_id[i].title))
    ranking.insert(2, "organization", ranking["submission_id"].map(
        lambda i: names.get(by_id[i].organization_id, f"organisation {by_id[i].organization_id}")))
    ranking.insert(3, "innovation", ranking["submission_id"].map(lambda i: innovations.get(by_id[i].innovation_id)))
    if len(scores):  # each criterion's raw mean over the judges whose scores are used
        judge_of = {j.id: j for j in judges}
        used = scores[[judge_of[j].conflicted_with(by_id[s].organization_id) is None if j in judge_of else False
                       for s, j in zip(scores["submission_id"], scores["judge_id"])]]
        means = used.pivot_table(index="submission_id", columns="criterion", values="value", aggfunc="mean")
        for criterion in _rubric(program):
            if criterion in means:
                ranking[f"raw {criterion}"] = ranking["submission_id"].map(means[criterion]).round(2)
    excluded = judging.excluded_.copy()
    if len(excluded):
        excluded.insert(1, "title", excluded["submission_id"].map(lambda i: by_id[i].title if i in by_id else None))
        judge_names = {j.id: j.name for j in judges}
        excluded.insert(3, "judge", excluded["judge_id"].map(judge_names))
    # Awarded: the award set the winners' statuses. Before it, whoever leads the ranking leads, and nothing since
    # an award can be followed up yet.
    awarded = any(_value(s.status) == "winner" for s in subs)
    notes = list(judging.notes_) + _reordered(ranking, program.normalisation)
    if subs and not len(scores):
        # the caller sees no score (a challenge's scores are kept for its hub): no ranking to show, not a ranking
        # of "not scored" entries; an awarded challenge's winners are public through their statuses
        ranking, excluded, notes = ranking.iloc[0:0], excluded.iloc[0:0], [
            "No score is visible to you: a challenge's scores are seen by its hub's members and its judges."]
        winners = [s for s in subs if _value(s.status) == "winner"]
    elif awarded:
        winners = [s for s in subs if _value(s.status) == "winner"]
    else:
        winners = [by_id[i] for i in ranking.loc[ranking["winner"].astype(bool), "submission_id"]]
        if len(ranking):
            notes.insert(0, "Not awarded yet: the ranking is provisional, and 'winner' marks who leads it.")
    follow = _follow_up(atlas, program, winners if awarded else [])
    stand = [s for s in _submissions(atlas, program) if _value(s.status) not in _IN_RUNNING]
    named = ", ".join(f"{s.title} ({names.get(s.organization_id, s.organization_id)})" for s in winners) or None
    return Result(
        tables={"ranking": records(ranking), "judges": records(judging.judges_), "excluded": records(excluded),
                "follow_up": follow["introductions"], "stages": follow["stages"],
                "notes": [{"note": n} for n in notes]
                + [{"note": f"{s.title!r} is {_value(s.status)} and is not ranked"} for s in stand]},
        summary={"challenge": program.name, "kind": _kind(program), "submissions": len(subs),
                 "judges": len(judges), "scores": len(scores), "normalisation": program.normalisation,
                 "shortlist": program.shortlist, "awarded": awarded, "winners": named if awarded else None,
                 "leading": None if awarded else named, "awarded_on": program.awarded_on})


#: Each normalisation in words.
SCALES = {"z": "z-scores per judge", "robust": "each judge's median and spread", "raw": "raw scores"}


def _reordered(ranking: pd.DataFrame, normalisation: str) -> list[str]:
    """Why a submission ranks above one with a higher raw average: the judges' scales were evened out first."""
    if normalisation == "raw" or len(ranking) < 2:
        return []
    rows = ranking.sort_values("rank").to_dict("records")
    return [f"{a['title']!r} ranks above {b['title']!r} although its raw average is lower ({a['raw']:.2f} against "
            f"{b['raw']:.2f}): each judge's scores are first put on one scale ({SCALES[normalisation]}), so a "
            "judge who scores everyone high weighs no more than one who scores low, and a submission is not "
            "helped by which judges happened to score it"
            for a, b in zip(rows, rows[1:]) if pd.notna(a["raw"]) and pd.notna(b["raw"]) and a["raw"] < b["raw"]]


def _follow_up(atlas: Atlas, program: Program, winners: list[Submission]) -> dict[str, list[dict[str, Any]]]:
    """Introductions made through the challenge, and the stages the winners' innovations reached after the award."""
    intros = [i for i in atlas.find(Introduction, limit=None).items if getattr(i, "program_id", None) == program.id]
    winner_orgs = {s.organization_id for s in winners}
    names = atlas.names("organization", [x for i in intros for x in (i.organization_id, i.partner_id)])
    introductions = [{"organization": names.get(i.organization_id), "partner": names.get(i.partner_id),
                      "winner": i.organization_id in winner_orgs or i.partner_id in winner_orgs,
                      "introduced_on": i.introduced_on, "met_on": i.met_on, "pilot_on": i.pilot_on,
                      "partnered_on": i.partnered_on, "reached": i.reached, "note": i.note} for i in intros]
    stages = []
    since = program.awarded_on
    innovation_ids = [s.innovation_id for s in winners if s.innovation_id]
    inn_names = atlas.names("innovation", innovation_ids)
    for iid in innovation_ids:
        for e in sorted(atlas.find(StageEvent, limit=None, innovation=iid).items, key=lambda e: e.date):
            if since is None or e.date > since:
                stages.append({"innovation": inn_names.get(iid), "stage": _value(e.stage), "date": e.date,
                               "days_after_award": (e.date - since).days if since else None, "note": e.note})
    return {"introductions": introductions, "stages": stages}


def award(atlas: Atlas, ref: str | int, *, on: dt.date | str | None = None) -> Result:
    """Set the submissions' statuses from the ranking (winner, shortlisted, submitted), record the award date,
    and enter the winners as the programme's participants (so ``ecotone velocity --cohort NAME`` compares them
    with the others); returns the results."""
    program = find_challenge(atlas, ref)
    found = results(atlas, program.id)
    ranking = {r["submission_id"]: r for r in found.tables["ranking"]}
    if not ranking or not any(r["judges"] for r in ranking.values()):
        raise InputRejected([Problem(column="CHALLENGE", reason=f"{program.name} has no scores to award on")])
    today = dt.date.today()
    planned = program.awarded_on if program.awarded_on and program.awarded_on <= today else today
    day = dt.date.fromisoformat(str(on)) if on else planned
    if day > today:
        raise InputRejected([Problem(column="--on", reason=f"{program.name} cannot be awarded on {day}, a day still "
                                     "to come", hint="award it on that day, or give the day it was awarded")])
    if program.judged_by and day < program.judged_by:
        raise InputRejected([Problem(column="--on", reason=f"judging of {program.name} ends on {program.judged_by}: "
                                     f"it cannot be awarded on {day}", hint="award it then or later")])
    from ..domain import Participation

    with atlas.transaction():
        for s in _submissions(atlas, program):
            row = ranking.get(s.id)
            if row is None:
                continue
            status = "winner" if row["winner"] else "shortlisted" if row["shortlisted"] else "submitted"
            if _value(s.status) != status:
                registry.update(atlas, Submission, s.id, {"status": status})
            if status == "winner":
                taken = [x for x in atlas.find(Participation, program=program.id, limit=None).items
                         if x.organization_id == s.organization_id]
                if not taken:
                    registry.create(atlas, Participation, {"program_id": program.id,
                                                           "organization_id": s.organization_id, "role": "winner",
                                                           **_owned_like(program)})
        if program.awarded_on != day:
            registry.update(atlas, Program, program.id, {"awarded_on": day})
    return results(atlas, program.id)


_STEPS = ("introduced_on", "met_on", "pilot_on", "partnered_on")


def follow_up(atlas: Atlas, ref: str | int, *, partner: str | int, organization: str | int | None = None,
              note: str | None = None, **steps: dt.date | str | None) -> Introduction:
    """Record how a winner was followed up: an introduction to a partner (a hospital for the pilot the prize
    promised, an investor…) and the dates it reached a meeting, a pilot and a partnership (``introduced_on``,
    ``met_on``, ``pilot_on``, ``partnered_on``). ``organization`` is the winner (by default the only one); the
    same winner and partner again update that introduction, a date given later filling or moving its step.
    The introduction counts in the introductions funnel and the challenge's results."""
    program = find_challenge(atlas, ref)
    unknown = set(steps) - set(_STEPS)
    if unknown:
        raise TypeError(f"unknown steps: {', '.join(sorted(unknown))}")
    winners = [s for s in _submissions(atlas, program) if _value(s.status) == "winner"]
    problems: list[Problem] = []
    if not winners:
        raise InputRejected([Problem(column="CHALLENGE", reason=f"{program.name} has no winner yet: award it first",
                                     hint=f"ecotone challenges award {program.id}")])
    names = atlas.names("organization", [s.organization_id for s in winners])
    org_id = None
    if organization is None or not str(organization).strip():
        if len(winners) == 1:
            org_id = winners[0].organization_id
        else:
            problems.append(Problem(column="organization", reason=f"{program.name} has {len(winners)} winners: say "
                                    "which one was followed up", hint=", ".join(names.values())))
    else:
        try:
            org_id = atlas.organization_id(organization)
        except (ValueError, NotFound) as exc:
            problems.append(Problem(column="organization", reason=str(exc).splitlines()[-1].strip()))
        if org_id is not None and org_id not in {s.organization_id for s in winners}:
            problems.append(Problem(column="organization", reason=f"{organization!r} did not win {program.name}",
                                    hint="its winners: " + ", ".join(names.values())))
            org_id = None
    partner_id = None
    try:
        partner_id = atlas.organization_id(partner)
    except (ValueError, NotFound) as exc:
        problems.append(Problem(column="partner", reason=str(exc).splitlines()[-1].strip()))
    if problems:
        raise InputRejected(problems)
    given = {k: v for k, v in steps.items() if v not in (None, "")}
    before = next((i for i in atlas.find(Introduction, limit=None).items if i.program_id == program.id
                   and i.organization_id == org_id and i.partner_id == partner_id), None)
    if before is not None:
        return registry.update(atlas, Introduction, before.id,
                               {**given, **({"note": note} if note is not None else {})})
    data = {"organization_id": org_id, "partner_id": partner_id, "program_id": program.id, "event": program.name,
            "introduced_on": given.pop("introduced_on", None) or program.awarded_on or dt.date.today(), **given,
            "note": note, **_owned_like(program)}
    return registry.create(atlas, Introduction, data)


def scoring_sheet(atlas: Atlas, ref: str | int, judge_ref: str | int | None = None) -> dict[str, Any]:
    """What a judge's scoring form shows: one row per submission, the judge's current scores per criterion, and
    the rows the judge may not score (conflicted) with the reason. Without ``judge_ref``, the judge whose account
    is the principal's."""
    program = find_challenge(atlas, ref)
    judges = _judges(atlas, program)
    me = atlas.principal
    if judge_ref is None:
        mine = [j for j in judges if me.user_id is not None and j.user_id == me.user_id]
        if not mine:
            raise InputRejected([Problem(column="judge", reason=f"you are not a judge of {program.name}",
                                         hint="judges: " + (", ".join(j.name for j in judges) or "none yet"))])
        judge = mine[0]
    else:
        judge = _pick(judges, judge_ref, lambda j: j.name, "judge", program, {}, problems := [])
        if judge is None:
            raise InputRejected(problems)
    subs = [s for s in _submissions(atlas, program) if _value(s.status) in _IN_RUNNING]
    names = atlas.names("organization", [s.organization_id for s in subs])
    # the judge reads their own scores as they write them: on the challenge's behalf
    mine_to_write = me.user_id is not None and judge.user_id == me.user_id and not atlas.may_change("program", program.id)
    reader = _on_behalf(atlas, program) if mine_to_write else atlas
    mine = {(s.submission_id, s.criterion): s.value for s in reader.find(Score, limit=None).items
            if s.judge_id == judge.id}
    rubric = _rubric_rows(program)
    rows = []
    for s in subs:
        how = judge.conflicted_with(s.organization_id)
        org = names.get(s.organization_id, f"organisation {s.organization_id}")
        rows.append({"submission_id": s.id, "title": s.title, "organization": org,
                     "conflict": f"{judge.name} {how} {org}" if how else None,
                     "scores": {r["criterion"]: mine.get((s.id, r["criterion"])) for r in rubric}})
    closed = bool(program.judged_by and dt.date.today() > program.judged_by)
    return {"challenge": program.name, "challenge_id": program.id, "judge_id": judge.id, "judge": judge.name,
            "rubric": rubric, "rows": rows, "judged_by": program.judged_by,
            "closed": f"judging ended on {program.judged_by}" if closed else None}

"""Challenges, grants and competitions: list and add them, take submissions, name judges, record scores, rank
and award (``/api/v1/challenges``)."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
import datetime as dt
from typing import Any, Literal, Optional, Union

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from ..domain.access import Principal
from ..services import challenges
from ..store import Atlas
from .auth import writer
from .deps import atlas_of, json_response
from .schemas import MAX_ID, ProblemDetail, RecordId, ResultPublic

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["challenges"],
                   responses={403: {"model": ProblemDetail}, 404: {"model": ProblemDetail},
                              422: {"model": ProblemDetail}})
Ref = Union[int, str]


class CriterionIn(BaseModel):
    """One criterion of the rubric and its weight."""

    model_config = ConfigDict(extra="forbid")
    criterion: str = Field(min_length=1, max_length=300)
    weight: float = Field(1.0, gt=0, le=1000)
    description: Optional[str] = Field(None, max_length=2000)


class ChallengeCreate(BaseModel):
    """A challenge, grant or competition: the sponsor, the needs it answers, prize, timeline, rubric, winners."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=300)
    kind: Literal["challenge", "grant", "competition"] = "challenge"
    hub: Optional[Ref] = Field(None, description="The hub running it (id or name; default: the sponsor's)")
    sponsor: Optional[Ref] = Field(None, description="The sponsoring organisation (id or name)")
    need_ids: list[int] = Field(default_factory=list, max_length=100, description="The clinical needs it answers")
    prize: Optional[float] = Field(None, ge=0)
    currency: str = "EUR"
    start_date: Optional[dt.date] = Field(None, description="Opens for submissions")
    closes_on: Optional[dt.date] = Field(None, description="Submissions close")
    judged_by: Optional[dt.date] = Field(None, description="Judging ends")
    awarded_on: Optional[dt.date] = Field(None, description="Winners announced")
    eligibility: Optional[str] = Field(None, max_length=2000, description="Who may enter; the stakeholder types "
                                                                          "it names are enforced")
    rubric: Optional[list[CriterionIn]] = Field(None, max_length=50)
    shortlist: Optional[int] = Field(None, ge=1, le=10_000)
    winners: int = Field(1, ge=1, le=10_000)
    normalisation: Literal["z", "robust", "raw"] = "z"
    visibility: Literal["private", "hub", "network", "public"] = "public"
    description: Optional[str] = Field(None, max_length=10_000)


class SubmissionIn(BaseModel):
    """An organisation's entry, with the innovation it puts forward."""

    model_config = ConfigDict(extra="forbid")
    organization: Ref = Field(description="The submitting organisation (id or name)")
    title: str = Field(min_length=1, max_length=300)
    innovation: Optional[Ref] = Field(None, description="One of the organisation's innovations (id or name)")
    summary: Optional[str] = Field(None, max_length=10_000)
    submitted_on: Optional[dt.date] = Field(None, description="Default: today")


class JudgeIn(BaseModel):
    """A judge, the account they score from, their employer and declared conflicts."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=300)
    user: Optional[Ref] = Field(None, description="The account (e-mail or id) the judge signs in with")
    person_id: Optional[int] = Field(None, ge=1, le=MAX_ID)
    organization: Optional[Ref] = Field(None, description="The judge's employer: always a conflict")
    conflicts: list[Ref] = Field(default_factory=list, max_length=200,
                                 description="Organisations the judge declares a conflict with")
    declared_on: Optional[dt.date] = None


class ScoreIn(BaseModel):
    """One judge's score of one submission on one criterion."""

    model_config = ConfigDict(extra="forbid")
    judge: Ref = Field(description="The judge (id or name)")
    submission: Ref = Field(description="The submission (id or title)")
    criterion: Optional[str] = Field(None, max_length=300, description="Default: the rubric's only criterion")
    value: float = Field(ge=0, le=10)
    note: Optional[str] = Field(None, max_length=2000)


class ScoresIn(BaseModel):
    """Scores to record, all or nothing."""

    model_config = ConfigDict(extra="forbid")
    scores: list[ScoreIn] = Field(min_length=1, max_length=10_000)


class AwardIn(BaseModel):
    """When the challenge is awarded (default: its awarded_on, else today)."""

    model_config = ConfigDict(extra="forbid")
    on: Optional[dt.date] = None


@router.get("/challenges", summary="Challenges, grants and competitions, with where each stands")
def challenge_catalogue(atlas: Atlas = Depends(atlas_of)) -> Any:
    rows = challenges.catalogue(atlas)
    return json_response({"data": rows, "count": len(rows)})


@router.post("/challenges", status_code=201, summary="Add a challenge, grant or competition")
def add_challenge(payload: ChallengeCreate, atlas: Atlas = Depends(atlas_of), _: Principal = Depends(writer)) -> Any:
    data = payload.model_dump(exclude_none=True, mode="json")
    record = challenges.add(atlas, data)
    return json_response(challenges.describe(atlas, record.id), 201)


@router.get("/challenges/{record_id}", summary="A challenge: needs answered, prize, timeline, eligibility, rubric, "
                                               "submissions and judges")
def challenge_card(record_id: RecordId, atlas: Atlas = Depends(atlas_of)) -> Any:
    return json_response(challenges.describe(atlas, record_id))


@router.post("/challenges/{record_id}/submissions", status_code=201, summary="Submit an entry",
             description="Refused after the challenge closes, before it opens, for an organisation its eligibility "
                         "leaves out or that has entered already, with the reason.")
def submit(record_id: RecordId, payload: SubmissionIn, atlas: Atlas = Depends(atlas_of)) -> Any:
    record = challenges.submit(atlas, record_id, organization=payload.organization, title=payload.title,
                               innovation=payload.innovation, summary=payload.summary,
                               submitted_on=payload.submitted_on)
    return json_response(record.model_dump(mode="json"), 201)


@router.post("/challenges/{record_id}/judges", status_code=201, summary="Add a judge with their conflicts")
def add_judge(record_id: RecordId, payload: JudgeIn, atlas: Atlas = Depends(atlas_of),
              _: Principal = Depends(writer)) -> Any:
    record = challenges.add_judge(atlas, record_id, name=payload.name, user=payload.user, person=payload.person_id,
                                  organization=payload.organization, conflicts=payload.conflicts,
                                  declared_on=payload.declared_on)
    return json_response(record.model_dump(mode="json"), 201)


@router.get("/challenges/{record_id}/scoring", summary="A judge's scoring sheet",
            description="One row per submission with the judge's scores per criterion; rows the judge is "
                        "conflicted with carry the reason. Without `judge`, the judge whose account is yours.")
def scoring_sheet(record_id: RecordId, judge: Optional[str] = Query(None, max_length=300),
                  atlas: Atlas = Depends(atlas_of)) -> Any:
    return json_response(challenges.scoring_sheet(atlas, record_id, judge))


@router.post("/challenges/{record_id}/scores", summary="Record judges' scores (all or nothing)",
             description="Judges score from their own account (or a manager of the challenge's hub for them). A "
                         "judge conflicted with the submission's organisation, a criterion outside the rubric, or "
                         "a score after judging ended is refused with the reason; a score given again replaces "
                         "the earlier one.")
def record_scores(record_id: RecordId, payload: ScoresIn, atlas: Atlas = Depends(atlas_of)) -> Any:
    rows = challenges.score(atlas, record_id, [s.model_dump() for s in payload.scores])
    return json_response({"data": rows, "count": len(rows)})


@router.get("/challenges/{record_id}/results", response_model=ResultPublic, summary="The ranking and the winners",
            description="Normalised and raw scores, the judges used and excluded (conflicts), the rule that broke "
                        "each tie, the shortlist and winners, each judge's figures, notes, and the winners' "
                        "follow-up (introductions with the challenge, stages reached since the award). Only the "
                        "scores the caller may see count.")
def challenge_results(record_id: RecordId, atlas: Atlas = Depends(atlas_of)) -> Any:
    return json_response(challenges.results(atlas, record_id).as_dict())


@router.post("/challenges/{record_id}/award", response_model=ResultPublic, summary="Award the challenge",
             description="The ranking sets the submissions' statuses (winner, shortlisted); the winners become the "
                         "programme's participants, so `/api/v1/velocity?cohort=NAME` follows them.")
def award(record_id: RecordId, payload: Optional[AwardIn] = None, atlas: Atlas = Depends(atlas_of),
          _: Principal = Depends(writer)) -> Any:
    return json_response(challenges.award(atlas, record_id, on=payload.on if payload else None).as_dict())

"""The records of open innovation: endorsements of clinical needs, and the submissions, judges and scores of
challenges, grants and competitions (a challenge is a :class:`~ecotone.domain.entities.Program`)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import Field, field_validator, model_validator

from .entities import NORMALISATIONS, Name, Record, RubricCriterion
from .enums import SubmissionStatus

__all__ = ["Endorsement", "Submission", "Judge", "Score", "RubricCriterion", "NORMALISATIONS", "SCORE_RANGE"]

#: The scale a judge scores each criterion on.
SCORE_RANGE: tuple[float, float] = (0.0, 10.0)


class Endorsement(Record):
    """A clinician, an organisation or a hub standing behind a clinical need (it sees the need too).

    Exactly one endorser: ``person_id``, ``organization_id`` or ``hub_id``.

    Examples
    --------
    >>> Endorsement(need_id=1, hub_id=2, date="2026-03-01").hub_id
    2
    >>> Endorsement(need_id=1, person_id=3, hub_id=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Endorsement
      Value error, an endorsement names exactly one endorser: a person_id, an organization_id or a hub_id (this one names 2) ...
    """

    entity: ClassVar[str] = "endorsement"

    need_id: int
    person_id: int | None = None
    organization_id: int | None = None
    hub_id: int | None = None
    note: str | None = None
    date: dt.date | None = None

    @model_validator(mode="after")
    def _one_endorser(self) -> Endorsement:
        named = sum(v is not None for v in (self.person_id, self.organization_id, self.hub_id))
        if named != 1:
            raise ValueError("an endorsement names exactly one endorser: a person_id, an organization_id or a "
                             f"hub_id (this one names {named})")
        return self

    @property
    def endorser(self) -> tuple[str, int]:
        """(entity, id) of the endorser."""
        for entity, value in (("person", self.person_id), ("organization", self.organization_id),
                              ("hub", self.hub_id)):
            if value is not None:
                return entity, value
        raise AssertionError("validated: one endorser")


class Submission(Record):
    """An organisation's entry to a challenge, grant or competition, possibly with the innovation it puts forward.

    Examples
    --------
    >>> Submission(program_id=1, organization_id=4, title="Remote heart-failure monitoring",
    ...            submitted_on="2026-02-20").status.value
    'submitted'
    """

    entity: ClassVar[str] = "submission"

    program_id: int
    organization_id: int
    innovation_id: int | None = None
    title: Name
    summary: str | None = None
    submitted_on: dt.date | None = None
    status: SubmissionStatus = SubmissionStatus.submitted


class Judge(Record):
    """A judge of a challenge: who they are (a person, an account that signs in to score), who employs them (a
    conflict with that organisation's submissions, always) and the organisations they declare a conflict with.

    Examples
    --------
    >>> j = Judge(program_id=1, name="Dr. Marta Puig", organization_id=7, conflict_ids=[9, 9, 12])
    >>> j.conflict_ids, j.conflicted_with(7), j.conflicted_with(12), j.conflicted_with(4)
    ([9, 12], 'works for', 'declared a conflict with', None)
    """

    entity: ClassVar[str] = "judge"

    program_id: int
    name: Name
    user_id: int | None = None
    person_id: int | None = None
    organization_id: int | None = None
    conflict_ids: list[int] = Field(default_factory=list)
    declared_on: dt.date | None = None

    @field_validator("conflict_ids")
    @classmethod
    def _conflicts(cls, v: list[int]) -> list[int]:
        return list(dict.fromkeys(v))

    def conflicted_with(self, organization_id: int | None) -> str | None:
        """How this judge is conflicted with an organisation ("works for", "declared a conflict with"), or None."""
        if organization_id is None:
            return None
        if organization_id == self.organization_id:
            return "works for"
        if organization_id in self.conflict_ids:
            return "declared a conflict with"
        return None


class Score(Record):
    """A judge's score of one submission on one criterion of the rubric, 0 (poor) to 10 (excellent).

    One score per submission, judge and criterion; the store refuses a score by a judge conflicted with the
    submission's organisation, and a criterion the challenge's rubric does not name.

    Examples
    --------
    >>> Score(submission_id=1, judge_id=2, criterion="clinical impact", value=7.5).value
    7.5
    >>> Score(submission_id=1, judge_id=2, criterion="overall", value=11)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Score
    value
      Input should be less than or equal to 10 ...
    """

    entity: ClassVar[str] = "score"

    submission_id: int
    judge_id: int
    criterion: Name = "overall"
    value: float = Field(ge=SCORE_RANGE[0], le=SCORE_RANGE[1])
    note: str | None = None

    @field_validator("criterion")
    @classmethod
    def _criterion(cls, v: str) -> str:
        return " ".join(v.split())

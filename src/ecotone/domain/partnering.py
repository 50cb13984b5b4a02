"""The records of partnering: partnerships, evaluators' assessments and ratings, KPIs and their actuals,
introductions; and the scorecard's questions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, NamedTuple

from pydantic import Field, field_validator, model_validator

from .entities import Name, Record, check_window
from .enums import Criterion, KpiDirection, TieStatus

__all__ = [
    "Question",
    "QUESTIONS",
    "Partnership",
    "Assessment",
    "Rating",
    "Kpi",
    "KpiActual",
    "Introduction",
    "FUNNEL",
]


class Question(NamedTuple):
    """One sub-question of a scorecard criterion, rated 1 (not at all) to 5 (fully)."""

    code: str
    criterion: Criterion
    text: str


A, C, F, I = (Criterion.strategic_alignment, Criterion.complementary_capabilities, Criterion.cultural_fit,
              Criterion.impact_measurement)

#: The scorecard: the seeds' four criteria, each asked through sub-questions drawn from the Nuffield Partnership
#: Assessment Tool (purpose, commitment, trust, monitoring), the Wilder Collaboration Factors and the Partnership
#: Brokers Association's principles (equity, transparency, mutual benefit).
QUESTIONS: tuple[Question, ...] = (
    Question("A1", A, "The partners share goals for patients and for the ecosystem"),
    Question("A2", A, "Their focus and clinical areas overlap where the partnership works"),
    Question("A3", A, "The partnership fits each partner's strategy and is backed by its leadership"),
    Question("A4", A, "The purpose is clear and realistic, with a timeline"),
    Question("C1", C, "What one partner offers covers what the other needs, both ways"),
    Question("C2", C, "The partners bring different capabilities (stakeholder types, skills, assets)"),
    Question("C3", C, "Each partner commits the people, money or sites the work needs"),
    Question("F1", F, "Both partners have a record of open collaboration and data sharing"),
    Question("F2", F, "They trust each other and communicate openly"),
    Question("F3", F, "Their ways of working, language and pace are compatible"),
    Question("F4", F, "Benefits and risks are shared fairly and decisions are transparent"),
    Question("I1", I, "KPIs with targets and dates are declared"),
    Question("I2", I, "The KPIs are on track against their targets"),
    Question("I3", I, "The partnership reaches patients, clinicians or markets it could not reach alone"),
    Question("I4", I, "Results are monitored, reviewed and acted on"),
)
_CODES = {q.code for q in QUESTIONS}

#: The steps of an introduction, in order, and the date field of each.
FUNNEL: tuple[tuple[str, str], ...] = (("introduction", "introduced_on"), ("meeting", "met_on"),
                                       ("pilot", "pilot_on"), ("partnership", "partnered_on"))


class Partnership(Record):
    """Two or more organisations working together towards a stated purpose, with the weights its scorecard uses.

    Examples
    --------
    >>> Partnership(name="Warsaw–Barcelona cardiology pilot", organization_ids=[3, 7]).status.value
    'active'
    >>> Partnership(name="Alone", organization_ids=[3, 3])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Partnership
    organization_ids
      Value error, a partnership joins at least two different organisations ...
    """

    entity: ClassVar[str] = "partnership"

    name: Name
    organization_ids: list[int]
    purpose: str | None = None
    status: TieStatus = TieStatus.active
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    #: criterion → weight in the total; empty means equal weights.
    weights: dict[Criterion, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)

    @field_validator("organization_ids")
    @classmethod
    def _partners(cls, v: list[int]) -> list[int]:
        v = list(dict.fromkeys(v))
        if len(v) < 2:
            raise ValueError("a partnership joins at least two different organisations")
        return v

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[Criterion, float]) -> dict[Criterion, float]:
        if v and not sum(v.values()) > 0:
            raise ValueError("at least one criterion needs a weight above 0")
        return v

    @model_validator(mode="after")
    def _window(self) -> Partnership:
        check_window(self.start_date, self.end_date)
        return self


class Assessment(Record):
    """One evaluator's assessment of a partnership on a date; its ratings are :class:`Rating` records."""

    entity: ClassVar[str] = "assessment"

    partnership_id: int
    evaluator: Name
    evaluator_organization_id: int | None = None
    date: dt.date
    comment: str | None = None


class Rating(Record):
    """An evaluator's answer to one question of the scorecard: 1 (not at all) to 5 (fully), with the evidence.

    Examples
    --------
    >>> Rating(assessment_id=1, question="c1", score=4).question
    'C1'
    >>> Rating(assessment_id=1, question="Z9", score=4)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Rating
    question
      Value error, 'Z9' is not a scorecard question; use one of: A1, A2, A3, A4, C1, ...
    """

    entity: ClassVar[str] = "rating"

    assessment_id: int
    question: str
    score: int = Field(ge=1, le=5)
    evidence: str | None = None
    comment: str | None = None

    @field_validator("question")
    @classmethod
    def _question(cls, v: str) -> str:
        v = v.strip().upper()
        if v not in _CODES:
            raise ValueError(f"{v!r} is not a scorecard question; use one of: {', '.join(q.code for q in QUESTIONS)}")
        return v


class Kpi(Record):
    """A key performance indicator a partnership declares: pilots run, patients reached, time to market...

    Examples
    --------
    >>> Kpi(partnership_id=1, name="time to market", unit="months", target=18, direction="decrease").direction.value
    'decrease'
    """

    entity: ClassVar[str] = "kpi"

    partnership_id: int
    name: Name
    unit: str | None = None
    baseline: float | None = None
    target: float
    direction: KpiDirection = KpiDirection.increase
    due_date: dt.date | None = None


class KpiActual(Record):
    """The value a KPI reached on a date."""

    entity: ClassVar[str] = "kpi_actual"

    kpi_id: int
    date: dt.date
    value: float
    note: str | None = None


class Introduction(Record):
    """A facilitated introduction and how far it went: meeting, pilot, partnership (each with its date).

    A later step implies the earlier ones happened (a partnership may skip the pilot); dates never go backwards.

    Examples
    --------
    >>> Introduction(organization_id=1, partner_id=2, introduced_on="2025-01-10", met_on="2025-02-01").reached
    'meeting'
    >>> Introduction(organization_id=1, partner_id=2, introduced_on="2025-01-10", met_on="2024-12-01")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Introduction
      Value error, met_on 2024-12-01 is before introduced_on 2025-01-10 ...
    """

    entity: ClassVar[str] = "introduction"

    organization_id: int
    partner_id: int
    facilitator_id: int | None = None
    event: str | None = None
    introduced_on: dt.date
    met_on: dt.date | None = None
    pilot_on: dt.date | None = None
    partnered_on: dt.date | None = None
    partnership_id: int | None = None
    note: str | None = None
    #: the challenge, grant or competition whose winner this introduction follows up (with its sponsor, a hospital).
    program_id: int | None = None

    @model_validator(mode="after")
    def _order(self) -> Introduction:
        if self.organization_id == self.partner_id:
            raise ValueError("an introduction joins two different organisations")
        last_name, last = FUNNEL[0][1], self.introduced_on
        for _, name in FUNNEL[1:]:
            when = getattr(self, name)
            if when is not None:
                if when < last:
                    raise ValueError(f"{name} {when} is before {last_name} {last}")
                last_name, last = name, when
        return self

    @property
    def reached(self) -> str:
        """The furthest step this introduction reached."""
        return next(step for step, name in reversed(FUNNEL) if getattr(self, name) is not None)

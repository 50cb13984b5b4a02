"""The records of an ecosystem atlas: hubs, organisations, people, ties, innovations, deals, programmes, needs."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .enums import (
    Helix,
    HubKind,
    NeedSeverity,
    NeedStatus,
    OwnerKind,
    ProgramKind,
    RoundType,
    SizeClass,
    Stage,
    StakeholderType,
    TieKind,
    TieStatus,
    Visibility,
    helix_of,
)

__all__ = [
    "Record",
    "Hub",
    "Organization",
    "Person",
    "Tie",
    "Innovation",
    "StageEvent",
    "Deal",
    "Program",
    "Participation",
    "ClinicalNeed",
    "RubricCriterion",
    "NORMALISATIONS",
    "Name",
    "check_window",
    "check_order",
]

Name = Annotated[str, Field(min_length=1, max_length=300)]
"""A record's name: what a spreadsheet cell holds, up to 300 characters."""
Tags = Annotated[list[str], Field(default_factory=list)]
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _clean_tags(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        v = v.strip()
        if v:
            seen.setdefault(v, None)
    return list(seen)


class Record(BaseModel):
    """What every record carries: an id, an owner, a visibility, its provenance and its external ids.

    ``owner_kind``/``owner_id`` name the organisation or hub that owns the record; ``visibility`` says who may see
    it; ``source`` says where the facts come from (a file, a seed article, "illustrative"...); ``external_ids`` maps
    an identifier scheme (``cordis_pic``, ``kumu``, ``crunchbase``...) to the record's identifier there.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, str_strip_whitespace=True,
                              allow_inf_nan=False)

    entity: ClassVar[str] = "record"

    id: int | None = None
    owner_kind: OwnerKind | None = None
    owner_id: int | None = None
    visibility: Visibility = Visibility.network
    source: str | None = None
    external_ids: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _owner_pair(self) -> Record:
        if (self.owner_kind is None) != (self.owner_id is None):
            raise ValueError("owner_kind and owner_id go together: give both or neither")
        return self


class Hub(Record):
    """A place-based health-innovation ecosystem (Barcelona Health Hub, Texas Medical Center...).

    Examples
    --------
    >>> Hub(name="BioCity Nottingham", city="Nottingham", country="UK").country
    'UK'
    """

    entity: ClassVar[str] = "hub"

    name: Name
    city: str | None = None
    region: str | None = None
    country: str | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    kind: HubKind = HubKind.hub
    description: str | None = None
    website: str | None = None

    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        return _check_country(v)


def _check_country(v: str | None) -> str | None:
    if v is None:
        return None
    v = v.strip().upper()
    if not v:
        return None
    if not _COUNTRY.match(v):
        raise ValueError("country must be a two-letter code such as ES, PL, UK or US")
    return v


class Organization(Record):
    """An actor of an ecosystem: startup, hospital, university, investor, regulator...

    ``helix`` follows from ``type`` and cannot be set apart from it.

    Examples
    --------
    >>> org = Organization(name="Medlumics", type="startup", country="es")
    >>> org.country, org.helix.value
    ('ES', 'industry')
    """

    entity: ClassVar[str] = "organization"

    name: Name
    type: StakeholderType
    short_name: str | None = None
    hub_id: int | None = None
    city: str | None = None
    country: str | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    focus_areas: Tags
    offers: Tags
    needs: Tags
    tags: Tags
    stage: Stage | None = None
    size: SizeClass | None = None
    founded: int | None = Field(default=None, ge=1000, le=2100)
    website: str | None = None
    description: str | None = None

    @property
    def helix(self) -> Helix:
        """The helix sector, derived from the stakeholder type."""
        return helix_of(self.type)

    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        return _check_country(v)

    @field_validator("focus_areas", "offers", "needs", "tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return _clean_tags(v)


class Person(Record):
    """A person in an organisation: a clinician, a mentor, a programme manager.

    Contact details are personal data: an e-mail is kept only with the person's consent.

    Examples
    --------
    >>> Person(name="Dr. Ana Ruiz", role="cardiologist", email="ana@example.org")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Person
      Value error, an e-mail is personal data: keep it only once the person has agreed (consent) ...
    """

    entity: ClassVar[str] = "person"

    name: Name
    role: str | None = None
    organization_id: int | None = None
    specialty: str | None = None
    expertise: Tags
    email: str | None = None
    consent: bool = False

    @model_validator(mode="after")
    def _consent(self) -> Person:
        if self.email and not self.consent:
            raise ValueError("an e-mail is personal data: keep it only once the person has agreed (consent)")
        return self


class Tie(Record):
    """A relationship from one organisation to another.

    Examples
    --------
    >>> Tie(source_id=1, target_id=2, kind="clinical pilot").kind.value
    'clinical_pilot'
    >>> Tie(source_id=1, target_id=1, kind="partnership")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Tie
      Value error, a tie joins two different organisations ...
    """

    entity: ClassVar[str] = "tie"

    source_id: int
    target_id: int
    kind: TieKind
    directed: bool = True
    weight: float = Field(default=1.0, gt=0)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    status: TieStatus = TieStatus.active
    label: str | None = None
    evidence: str | None = None
    tags: Tags

    @model_validator(mode="after")
    def _check(self) -> Tie:
        if self.source_id == self.target_id:
            raise ValueError("a tie joins two different organisations")
        check_window(self.start_date, self.end_date)
        return self


def check_window(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and end < start:
        raise ValueError(f"end_date {end} is before start_date {start}")


class Innovation(Record):
    """A solution an organisation brings towards patients, with its current stage.

    Examples
    --------
    >>> Innovation(name="Ablaview", organization_id=1, stage="clinical validation").stage.value
    'clinical_validation'
    """

    entity: ClassVar[str] = "innovation"

    name: Name
    organization_id: int
    category: str | None = None
    clinical_area: str | None = None
    regulatory_pathway: str | None = None
    stage: Stage = Stage.idea
    description: str | None = None


class StageEvent(Record):
    """An innovation entering a stage on a date; velocity is computed from these, never stored."""

    entity: ClassVar[str] = "stage_event"

    innovation_id: int
    stage: Stage
    date: dt.date
    note: str | None = None


class Deal(Record):
    """A funding round: who received how much from whom, when.

    Examples
    --------
    >>> Deal(recipient_id=1, amount=34_000_000, currency="eur", date="2017-06-01", round_type="growth").currency
    'EUR'
    """

    entity: ClassVar[str] = "deal"

    recipient_id: int | None = None
    hub_id: int | None = None
    investor_ids: list[int] = Field(default_factory=list)
    amount: float | None = Field(default=None, ge=0)
    currency: str = "EUR"
    date: dt.date | None = None
    round_type: RoundType = RoundType.other
    description: str | None = None

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        v = v.strip().upper()
        if not _CURRENCY.match(v):
            raise ValueError("currency must be a three-letter ISO 4217 code such as EUR, USD or GBP")
        return v

    @model_validator(mode="after")
    def _who(self) -> Deal:
        if self.recipient_id is None and self.hub_id is None:
            raise ValueError("a deal needs a recipient_id, or a hub_id for a hub-wide aggregate")
        return self


#: How a challenge puts its judges' scores on one scale before averaging them (see analysis/judging.py).
NORMALISATIONS = ("z", "robust", "raw")


class RubricCriterion(BaseModel):
    """One criterion of a challenge's rubric: what the judges score (0–10) and its weight in the total.

    Examples
    --------
    >>> RubricCriterion(criterion="clinical impact", weight=2).weight
    2.0
    >>> RubricCriterion(criterion="feasibility", weight=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for RubricCriterion
    weight
      Input should be greater than 0 ...
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    criterion: Name
    weight: float = Field(default=1.0, gt=0)
    description: str | None = None


def _criterion_text(text: str) -> dict[str, object]:
    name, sep, weight = text.rpartition("=") if "=" in text else (text, "", "")
    return {"criterion": name.strip(), "weight": weight.strip()} if sep else {"criterion": text.strip()}


def _default_rubric() -> list[RubricCriterion]:
    return [RubricCriterion(criterion="overall", weight=1.0)]


class Program(Record):
    """An incubator or accelerator cohort, challenge, grant, competition, mentorship scheme or research project.

    A challenge, grant or competition is open innovation: a sponsor states the clinical needs it answers
    (``need_ids``), a prize, who may enter (``eligibility``), when submissions close (``closes_on``), judging ends
    (``judged_by``) and winners are announced (``awarded_on``), and a rubric its judges score against.

    Examples
    --------
    >>> p = Program(name="Heart failure at home", kind="challenge", start_date="2026-01-10",
    ...             closes_on="2026-03-01", judged_by="2026-04-01", awarded_on="2026-04-15")
    >>> [c.criterion for c in p.rubric], p.winners, p.normalisation
    (['overall'], 1, 'z')
    >>> Program(name="Late", kind="challenge", closes_on="2026-03-01", judged_by="2026-02-01")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Program
      Value error, judged_by 2026-02-01 is before closes_on 2026-03-01 ...
    """

    entity: ClassVar[str] = "program"

    name: Name
    kind: ProgramKind
    hub_id: int | None = None
    operator_id: int | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    budget: float | None = Field(default=None, ge=0)
    currency: str = "EUR"
    description: str | None = None
    website: str | None = None
    # -- open innovation: challenges, grants and competitions --
    sponsor_id: int | None = None
    need_ids: list[int] = Field(default_factory=list)
    prize: float | None = Field(default=None, ge=0)
    closes_on: dt.date | None = None
    judged_by: dt.date | None = None
    awarded_on: dt.date | None = None
    eligibility: str | None = None
    #: what the judges score; none given means one criterion, "overall", of weight 1.
    rubric: list[RubricCriterion] = Field(default_factory=_default_rubric)
    shortlist: int | None = Field(default=None, ge=1)
    winners: int = Field(default=1, ge=1)
    normalisation: Literal["z", "robust", "raw"] = "z"

    @field_validator("need_ids")
    @classmethod
    def _needs(cls, v: list[int]) -> list[int]:
        return list(dict.fromkeys(v))

    @field_validator("rubric", mode="before")
    @classmethod
    def _rubric_pairs(cls, v: object) -> object:
        # a form's criterion → weight pairs, {"clinical impact": 2, "feasibility": 1}; left empty, the default
        if v is None or v == "":
            return []
        if isinstance(v, dict):
            return [{"criterion": k, "weight": w} for k, w in v.items()]
        if isinstance(v, list):  # "clinical impact=2" from a command line; a criterion alone weighs 1
            return [_criterion_text(c) if isinstance(c, str) else c for c in v]
        return v

    @field_validator("rubric")
    @classmethod
    def _rubric(cls, v: list[RubricCriterion]) -> list[RubricCriterion]:
        if not v:
            return _default_rubric()
        seen: set[str] = set()
        for c in v:
            key = c.criterion.casefold()
            if key in seen:
                raise ValueError(f"the rubric names the criterion {c.criterion!r} twice: each criterion once")
            seen.add(key)
        return v

    @model_validator(mode="after")
    def _window(self) -> Program:
        check_window(self.start_date, self.end_date)
        check_order(self, ("start_date", "closes_on", "judged_by", "awarded_on"))
        if self.shortlist is not None and self.winners > self.shortlist:
            raise ValueError(f"winners ({self.winners}) are chosen from the shortlist: "
                             f"at most {self.shortlist}, or a longer shortlist")
        return self

    def criterion(self, name: str) -> RubricCriterion | None:
        """The rubric's criterion of this name (case and spacing aside), or None."""
        key = " ".join(name.split()).casefold()
        return next((c for c in self.rubric if " ".join(c.criterion.split()).casefold() == key), None)


def check_order(record: BaseModel, fields: tuple[str, ...]) -> None:
    """Refuse dates that go backwards along ``fields`` (those not given are skipped)."""
    last_name, last = None, None
    for name in fields:
        when = getattr(record, name)
        if when is None:
            continue
        if last is not None and when < last:
            raise ValueError(f"{name} {when} is before {last_name} {last}")
        last_name, last = name, when


class Participation(Record):
    """An organisation taking part in a programme, with its role and contribution."""

    entity: ClassVar[str] = "participation"

    program_id: int
    organization_id: int
    role: str = "participant"
    contribution: float | None = Field(default=None, ge=0)


#: The Biodesign statement's own words before each part, as registers sometimes repeat them.
_BIODESIGN_LEADS = {"problem": re.compile(r"^(a\s+)?way\s+to\s+", re.I), "population": re.compile(r"^in\s+", re.I),
                    "outcome": re.compile(r"^(in\s+order\s+)?to\s+", re.I)}


class ClinicalNeed(Record):
    """An unmet clinical need: a way to [problem] in [population] in order to [outcome].

    A need states how grave it is (``severity``), how many it affects (``prevalence``, people per 100,000), the
    evidence for it, where it stands (``status``), who raised it (an organisation, ``raised_by_id``, and its
    clinician, ``raised_by_person_id``) and the innovations that address it; a need no innovation addresses is a gap.

    Examples
    --------
    >>> need = ClinicalNeed(problem="detect atrial fibrillation early", population="adults over 65",
    ...                     outcome="prevent strokes", severity="high")
    >>> need.statement
    'A way to detect atrial fibrillation early in adults over 65 in order to prevent strokes'
    >>> need.status.value, need.is_gap
    ('raised', True)
    >>> ClinicalNeed(problem="p", population="q", outcome="r", innovation_ids=[4]).status.value
    'being_addressed'

    The form's own words, when a register repeats them, are not kept twice:

    >>> ClinicalNeed(problem="A way to reduce falls", population="in older inpatients",
    ...              outcome="in order to have fewer fractures").statement
    'A way to reduce falls in older inpatients in order to have fewer fractures'
    """

    entity: ClassVar[str] = "clinical_need"

    problem: Name
    population: Name
    outcome: Name
    clinical_area: str | None = None
    hub_id: int | None = None
    raised_by_id: int | None = None
    severity: NeedSeverity | None = None
    prevalence: float | None = Field(default=None, ge=0)
    evidence: str | None = None
    status: NeedStatus = NeedStatus.raised
    raised_by_person_id: int | None = None
    innovation_ids: list[int] = Field(default_factory=list)
    description: str | None = None

    @field_validator("innovation_ids")
    @classmethod
    def _innovations(cls, v: list[int]) -> list[int]:
        return list(dict.fromkeys(v))

    @field_validator("problem", "population", "outcome", mode="before")
    @classmethod
    def _without_the_forms_words(cls, v, info):
        # "A way to …", "in …", "in order to …" are the statement's; a register that writes them keeps one copy
        if isinstance(v, str):
            lead = _BIODESIGN_LEADS[info.field_name]
            stripped = lead.sub("", v.strip(), count=1).strip()
            return stripped or v
        return v

    @model_validator(mode="after")
    def _addressed_when_an_innovation_is_named(self):
        # a need with an innovation and no status given is being addressed, not merely raised
        if self.innovation_ids and "status" not in self.model_fields_set:
            self.status = NeedStatus.being_addressed
            self.model_fields_set.add("status")
        return self

    @property
    def statement(self) -> str:
        """The need in Biodesign's form."""
        return f"A way to {self.problem} in {self.population} in order to {self.outcome}"

    @property
    def is_gap(self) -> bool:
        """True when no innovation addresses the need."""
        return not self.innovation_ids

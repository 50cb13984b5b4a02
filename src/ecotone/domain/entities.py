"""The records of an ecosystem atlas: hubs, organisations, people, ties, innovations, deals, programmes, needs."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .enums import (
    Helix,
    HubKind,
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
    "Name",
    "check_window",
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


class Program(Record):
    """An incubator or accelerator cohort, challenge, grant, competition, mentorship scheme or research project."""

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

    @model_validator(mode="after")
    def _window(self) -> Program:
        check_window(self.start_date, self.end_date)
        return self


class Participation(Record):
    """An organisation taking part in a programme, with its role and contribution."""

    entity: ClassVar[str] = "participation"

    program_id: int
    organization_id: int
    role: str = "participant"
    contribution: float | None = Field(default=None, ge=0)


class ClinicalNeed(Record):
    """An unmet clinical need: a way to [problem] in [population] in order to [outcome].

    Examples
    --------
    >>> ClinicalNeed(problem="detect atrial fibrillation early", population="adults over 65",
    ...              outcome="prevent strokes").statement
    'A way to detect atrial fibrillation early in adults over 65 in order to prevent strokes'
    """

    entity: ClassVar[str] = "clinical_need"

    problem: Name
    population: Name
    outcome: Name
    clinical_area: str | None = None
    hub_id: int | None = None
    raised_by_id: int | None = None

    @property
    def statement(self) -> str:
        """The need in Biodesign's form."""
        return f"A way to {self.problem} in {self.population} in order to {self.outcome}"

"""The controlled vocabularies of the domain: stakeholder types, helix sectors, tie kinds, stages."""

from __future__ import annotations

import enum

__all__ = [
    "Vocabulary",
    "StakeholderType",
    "Helix",
    "TieKind",
    "TieStatus",
    "Stage",
    "Visibility",
    "HubKind",
    "ProgramKind",
    "RoundType",
    "OwnerKind",
    "SizeClass",
    "HELIX_OF",
    "helix_of",
    "CORE_ROLES",
    "STAGE_NEEDS",
    "Criterion",
    "Verdict",
    "KpiDirection",
    "NeedSeverity",
    "NeedStatus",
    "SubmissionStatus",
]


class Vocabulary(str, enum.Enum):
    """A string enum that accepts its values case-insensitively, with spaces or hyphens for underscores.

    Examples
    --------
    >>> StakeholderType("Research Center")
    <StakeholderType.research_center: 'research_center'>
    >>> StakeholderType.choices()[:3]
    ['startup', 'sme', 'corporate']
    """

    @classmethod
    def _missing_(cls, value: object) -> Vocabulary | None:
        if isinstance(value, str):
            norm = value.strip().lower().replace("-", "_").replace(" ", "_")
            for member in cls:
                if member.value == norm:
                    return member
        return None

    @classmethod
    def choices(cls) -> list[str]:
        """The allowed values, in their canonical spelling."""
        return [m.value for m in cls]

    def __str__(self) -> str:
        return self.value


class StakeholderType(Vocabulary):
    """What kind of actor an organisation is in a health-innovation ecosystem."""

    startup = "startup"
    sme = "sme"
    corporate = "corporate"
    hospital = "hospital"
    clinic = "clinic"
    university = "university"
    research_center = "research_center"
    investor = "investor"
    government = "government"
    regulator = "regulator"
    notified_body = "notified_body"
    incubator = "incubator"
    accelerator = "accelerator"
    industry_association = "industry_association"
    patient_organization = "patient_organization"
    hub_operator = "hub_operator"
    other = "other"


class Helix(Vocabulary):
    """The sector of the quadruple helix an actor belongs to."""

    academia = "academia"
    industry = "industry"
    government = "government"
    civil_society = "civil_society"


# Healthcare providers sit with government: most European hospitals are public.
# Intermediaries (incubators, accelerators, hub operators) and associations sit with industry, as in
# Leydesdorff's triple-helix counts; patients' voices are civil society.
HELIX_OF: dict[StakeholderType, Helix] = {
    StakeholderType.startup: Helix.industry,
    StakeholderType.sme: Helix.industry,
    StakeholderType.corporate: Helix.industry,
    StakeholderType.hospital: Helix.government,
    StakeholderType.clinic: Helix.government,
    StakeholderType.university: Helix.academia,
    StakeholderType.research_center: Helix.academia,
    StakeholderType.investor: Helix.industry,
    StakeholderType.government: Helix.government,
    StakeholderType.regulator: Helix.government,
    StakeholderType.notified_body: Helix.industry,
    StakeholderType.incubator: Helix.industry,
    StakeholderType.accelerator: Helix.industry,
    StakeholderType.industry_association: Helix.industry,
    StakeholderType.patient_organization: Helix.civil_society,
    StakeholderType.hub_operator: Helix.industry,
    StakeholderType.other: Helix.civil_society,
}


def helix_of(kind: StakeholderType | str) -> Helix:
    """The helix sector of a stakeholder type.

    Examples
    --------
    >>> helix_of("university").value
    'academia'
    >>> helix_of(StakeholderType.regulator).value
    'government'
    """
    return HELIX_OF[StakeholderType(kind)]


class TieKind(Vocabulary):
    """What flows along a tie between two organisations."""

    partnership = "partnership"
    investment = "investment"
    clinical_pilot = "clinical_pilot"
    clinical_validation = "clinical_validation"
    mentorship = "mentorship"
    membership = "membership"
    co_development = "co_development"
    co_participation = "co_participation"
    data_sharing = "data_sharing"
    supply = "supply"
    referral = "referral"
    regulatory_advice = "regulatory_advice"


class TieStatus(Vocabulary):
    """Where a tie stands."""

    proposed = "proposed"
    active = "active"
    ended = "ended"


class Stage(Vocabulary):
    """The stages an innovation passes on its way from idea to patients in other countries."""

    idea = "idea"
    prototype = "prototype"
    clinical_validation = "clinical_validation"
    regulatory_approval = "regulatory_approval"
    market_launch = "market_launch"
    scale = "scale"
    cross_border = "cross_border"
    stopped = "stopped"

    @classmethod
    def pipeline(cls) -> list[Stage]:
        """The ordered stages of progress (without ``stopped``)."""
        return [m for m in cls if m is not cls.stopped]


#: The roles a living hub has, after the seeds: incubators, governments, investors, industry associations,
#: corporates and startups make a hub; clinicians (hospitals), regulators and investors carry an idea to patients.
CORE_ROLES = (StakeholderType.startup, StakeholderType.hospital, StakeholderType.university,
              StakeholderType.investor, StakeholderType.regulator, StakeholderType.incubator,
              StakeholderType.government, StakeholderType.industry_association, StakeholderType.corporate)

#: Who an innovation at each stage needs next (the seeds: clinicians refine and hospitals test, regulators approve,
#: investors and other hubs scale).
STAGE_NEEDS: dict[Stage, tuple[StakeholderType, ...]] = {
    Stage.idea: (StakeholderType.incubator, StakeholderType.accelerator, StakeholderType.university),
    Stage.prototype: (StakeholderType.hospital, StakeholderType.clinic, StakeholderType.investor),
    Stage.clinical_validation: (StakeholderType.hospital, StakeholderType.clinic),
    Stage.regulatory_approval: (StakeholderType.regulator, StakeholderType.notified_body),
    Stage.market_launch: (StakeholderType.investor, StakeholderType.corporate),
    Stage.scale: (StakeholderType.investor, StakeholderType.corporate, StakeholderType.hub_operator),
    Stage.cross_border: (StakeholderType.hub_operator, StakeholderType.hospital),
}


class Visibility(Vocabulary):
    """Who may see a record: its owner only, its hub, the connected network, or anyone."""

    private = "private"
    hub = "hub"
    network = "network"
    public = "public"


class OwnerKind(Vocabulary):
    """What owns a record: an organisation or a hub."""

    organization = "organization"
    hub = "hub"


class HubKind(Vocabulary):
    """The shape of a place-based ecosystem."""

    hub = "hub"
    innovation_district = "innovation_district"
    cluster = "cluster"
    institute = "institute"
    science_park = "science_park"
    region = "region"
    national = "national"


class ProgramKind(Vocabulary):
    """The kinds of programmes hubs run or fund."""

    incubator = "incubator"
    accelerator = "accelerator"
    challenge = "challenge"
    grant = "grant"
    competition = "competition"
    mentorship = "mentorship"
    research_project = "research_project"
    fellowship = "fellowship"
    network = "network"


class RoundType(Vocabulary):
    """The kind of funding round a deal is."""

    pre_seed = "pre_seed"
    seed = "seed"
    series_a = "series_a"
    series_b = "series_b"
    series_c = "series_c"
    growth = "growth"
    grant = "grant"
    debt = "debt"
    equity = "equity"
    ipo = "ipo"
    acquisition = "acquisition"
    aggregate = "aggregate"
    other = "other"


class SizeClass(Vocabulary):
    """EU size classes of enterprises (staff headcount: <10, <50, <250, more)."""

    micro = "micro"
    small = "small"
    medium = "medium"
    large = "large"


class Criterion(Vocabulary):
    """The four questions the seeds ask of every partnership."""

    strategic_alignment = "strategic_alignment"
    complementary_capabilities = "complementary_capabilities"
    cultural_fit = "cultural_fit"
    impact_measurement = "impact_measurement"


class Verdict(Vocabulary):
    """What a scorecard advises."""

    pursue = "pursue"
    pursue_with_conditions = "pursue_with_conditions"
    decline = "decline"


class KpiDirection(Vocabulary):
    """Whether a key performance indicator improves by going up (patients reached) or down (time to market)."""

    increase = "increase"
    decrease = "decrease"


class NeedSeverity(Vocabulary):
    """How grave the consequences of an unmet clinical need are for the patients who have it."""

    low = "low"
    moderate = "moderate"
    high = "high"
    critical = "critical"


class NeedStatus(Vocabulary):
    """Where a clinical need stands: raised by a clinician, validated (observed, scoped), being addressed, solved."""

    raised = "raised"
    validated = "validated"
    being_addressed = "being_addressed"
    solved = "solved"


class SubmissionStatus(Vocabulary):
    """Where a submission to a challenge, grant or competition stands."""

    submitted = "submitted"
    shortlisted = "shortlisted"
    winner = "winner"
    withdrawn = "withdrawn"
    ineligible = "ineligible"

"""The domain: entities, vocabularies and validation of an ecosystem atlas, free of any I/O.

Names are imported from their modules on first use (PEP 562), so that ``from ecotone.domain.problems import
Problem`` or the vocabularies do not build every pydantic model first: the command line starts without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy

#: Where each public name lives.
_HOMES = {
    **dict.fromkeys(("ClinicalNeed", "Deal", "Hub", "Innovation", "Organization", "Participation", "Person",
                     "Program", "Record", "StageEvent", "Tie"), "entities"),
    **dict.fromkeys(("CORE_ROLES", "STAGE_NEEDS", "Criterion", "Helix", "HubKind", "KpiDirection", "NeedSeverity",
                     "NeedStatus", "OwnerKind", "ProgramKind", "RoundType", "SizeClass", "Stage", "StakeholderType",
                     "SubmissionStatus", "TieKind", "TieStatus", "Verdict", "Visibility", "helix_of"), "enums"),
    **dict.fromkeys(("NORMALISATIONS", "Endorsement", "Judge", "RubricCriterion", "Score", "Submission"),
                    "innovation"),
    **dict.fromkeys(("ENTITIES", "REFERENCES"), "kinds"),
    **dict.fromkeys(("FUNNEL", "QUESTIONS", "Assessment", "Introduction", "Kpi", "KpiActual", "Partnership",
                     "Question", "Rating"), "partnering"),
    **dict.fromkeys(("Problem", "describe_validation_error"), "problems"),
}

__all__ = [
    "ENTITIES",
    "REFERENCES",
    "ClinicalNeed",
    "Deal",
    "Hub",
    "Innovation",
    "Organization",
    "Participation",
    "Person",
    "Program",
    "Record",
    "StageEvent",
    "Tie",
    "Partnership",
    "Assessment",
    "Rating",
    "Kpi",
    "KpiActual",
    "Introduction",
    "Endorsement",
    "Submission",
    "Judge",
    "Score",
    "RubricCriterion",
    "NORMALISATIONS",
    "NeedSeverity",
    "NeedStatus",
    "SubmissionStatus",
    "Question",
    "QUESTIONS",
    "FUNNEL",
    "Criterion",
    "Verdict",
    "KpiDirection",
    "Helix",
    "HubKind",
    "OwnerKind",
    "ProgramKind",
    "RoundType",
    "SizeClass",
    "Stage",
    "StakeholderType",
    "TieKind",
    "TieStatus",
    "Visibility",
    "helix_of",
    "CORE_ROLES",
    "STAGE_NEEDS",
    "Problem",
    "describe_validation_error",
]


__getattr__, __dir__ = lazy(__name__, _HOMES, __all__)


if TYPE_CHECKING:  # what type checkers and editors see
    from .entities import (ClinicalNeed, Deal, Hub, Innovation, Organization, Participation, Person, Program,
                           Record, StageEvent, Tie)
    from .enums import (CORE_ROLES, STAGE_NEEDS, Criterion, Helix, HubKind, KpiDirection, NeedSeverity, NeedStatus,
                        OwnerKind, ProgramKind, RoundType, SizeClass, Stage, StakeholderType, SubmissionStatus,
                        TieKind, TieStatus, Verdict, Visibility, helix_of)
    from .innovation import NORMALISATIONS, Endorsement, Judge, RubricCriterion, Score, Submission
    from .kinds import ENTITIES, REFERENCES
    from .partnering import (FUNNEL, QUESTIONS, Assessment, Introduction, Kpi, KpiActual, Partnership, Question,
                             Rating)
    from .problems import Problem, describe_validation_error

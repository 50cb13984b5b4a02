"""Every kind of record the atlas keeps, and the references between them."""

from __future__ import annotations

from .entities import (
    ClinicalNeed,
    Deal,
    Hub,
    Innovation,
    Organization,
    Participation,
    Person,
    Program,
    Record,
    StageEvent,
    Tie,
)
from .innovation import Endorsement, Judge, Score, Submission
from .partnering import Assessment, Introduction, Kpi, KpiActual, Partnership, Rating

__all__ = ["ENTITIES", "REFERENCES"]

#: entity name → record class, in an order where every kind follows those it refers to.
ENTITIES: dict[str, type[Record]] = {
    cls.entity: cls
    for cls in (Hub, Organization, Person, Innovation, ClinicalNeed, Program, Participation, StageEvent, Deal, Tie,
                Partnership, Assessment, Rating, Kpi, KpiActual, Introduction, Endorsement, Submission, Judge, Score)
}

#: entity → {field: entity it refers to}; ``investor_ids``, ``organization_ids``, ``need_ids``, ``innovation_ids``
#: and ``conflict_ids`` hold lists of references. (A judge's ``user_id`` names an account, not a record.)
#: ``owner_id`` refers to the entity its ``owner_kind`` names.
REFERENCES: dict[str, dict[str, str]] = {
    "hub": {},
    "organization": {"hub_id": "hub"},
    "person": {"organization_id": "organization"},
    "program": {"hub_id": "hub", "operator_id": "organization", "sponsor_id": "organization",
                "need_ids": "clinical_need"},
    "participation": {"program_id": "program", "organization_id": "organization"},
    "innovation": {"organization_id": "organization"},
    "stage_event": {"innovation_id": "innovation"},
    "deal": {"recipient_id": "organization", "hub_id": "hub", "investor_ids": "organization"},
    "tie": {"source_id": "organization", "target_id": "organization"},
    "clinical_need": {"hub_id": "hub", "raised_by_id": "organization", "raised_by_person_id": "person",
                      "innovation_ids": "innovation"},
    "partnership": {"organization_ids": "organization"},
    "assessment": {"partnership_id": "partnership", "evaluator_organization_id": "organization"},
    "rating": {"assessment_id": "assessment"},
    "kpi": {"partnership_id": "partnership"},
    "kpi_actual": {"kpi_id": "kpi"},
    "introduction": {"organization_id": "organization", "partner_id": "organization",
                     "facilitator_id": "organization", "partnership_id": "partnership", "program_id": "program"},
    "endorsement": {"need_id": "clinical_need", "person_id": "person", "organization_id": "organization",
                    "hub_id": "hub"},
    "submission": {"program_id": "program", "organization_id": "organization", "innovation_id": "innovation"},
    "judge": {"program_id": "program", "person_id": "person", "organization_id": "organization",
              "conflict_ids": "organization"},
    "score": {"submission_id": "submission", "judge_id": "judge"},
}

"""The domain model: vocabularies, helix sectors, validation messages that name the field and the choices."""

import pytest
from pydantic import ValidationError

from ecotone.domain import (
    ClinicalNeed, Deal, Helix, Organization, Person, Program, Stage, StakeholderType, Tie, TieKind, helix_of,
)
from ecotone.domain.problems import describe_validation_error


def test_every_stakeholder_type_has_a_helix_sector():
    assert {helix_of(t) for t in StakeholderType} == set(Helix)
    assert helix_of("university") is Helix.academia
    assert helix_of("startup") is Helix.industry
    assert helix_of("regulator") is Helix.government
    assert helix_of("patient_organization") is Helix.civil_society


@pytest.mark.parametrize("spelling", ["Research Center", "research-center", " RESEARCH_CENTER "])
def test_vocabularies_accept_human_spellings(spelling):
    assert StakeholderType(spelling) is StakeholderType.research_center


def test_helix_follows_the_type_when_the_type_changes():
    org = Organization(name="Kardio", type="startup")
    org.type = "hospital"
    assert org.helix is Helix.government


def test_unknown_type_names_the_field_and_lists_the_allowed_values():
    with pytest.raises(ValidationError) as info:
        Organization(name="Banco", type="bank")
    [(field, reason)] = describe_validation_error(info.value)
    assert field == "type"
    assert "'bank'" in reason
    for choice in StakeholderType.choices():
        assert choice in reason


def test_missing_fields_are_named():
    with pytest.raises(ValidationError) as info:
        Organization(type="startup")
    assert ("name", "is required") in describe_validation_error(info.value)


def test_country_codes_are_checked():
    assert Organization(name="A", type="sme", country="pl").country == "PL"
    with pytest.raises(ValidationError, match="two-letter"):
        Organization(name="A", type="sme", country="Poland")


def test_ties_join_two_organisations_and_end_after_they_start():
    with pytest.raises(ValidationError, match="two different"):
        Tie(source_id=3, target_id=3, kind="partnership")
    with pytest.raises(ValidationError, match="before start_date"):
        Tie(source_id=1, target_id=2, kind="partnership", start_date="2024-05-01", end_date="2024-01-01")
    with pytest.raises(ValidationError):
        Tie(source_id=1, target_id=2, kind="partnership", weight=0)
    assert Tie(source_id=1, target_id=2, kind="Clinical Pilot").kind is TieKind.clinical_pilot


def test_personal_data_needs_consent():
    with pytest.raises(ValidationError, match="consent"):
        Person(name="Dr. Ana Ruiz", email="ana@example.org")
    assert Person(name="Dr. Ana Ruiz", email="ana@example.org", consent=True).email == "ana@example.org"


def test_owner_kind_and_id_go_together():
    with pytest.raises(ValidationError, match="owner"):
        Organization(name="A", type="sme", owner_kind="hub")
    assert Organization(name="A", type="sme", owner_kind="hub", owner_id=2).owner_id == 2


def test_records_reject_unknown_fields():
    with pytest.raises(ValidationError, match="extra"):
        Organization(name="A", type="sme", colour="red")


def test_deals_need_a_recipient_or_a_hub_and_a_currency_code():
    with pytest.raises(ValidationError, match="recipient"):
        Deal(amount=1)
    with pytest.raises(ValidationError, match="ISO 4217"):
        Deal(recipient_id=1, currency="euros")


def test_programs_and_needs():
    with pytest.raises(ValidationError, match="kind"):
        Program(name="TMCx", kind="party")
    need = ClinicalNeed(problem="detect sepsis early", population="ICU patients", outcome="reduce deaths")
    assert need.statement == "A way to detect sepsis early in ICU patients in order to reduce deaths"


def test_the_pipeline_is_ordered_and_excludes_stopped():
    assert Stage.pipeline()[0] is Stage.idea
    assert Stage.pipeline()[-1] is Stage.cross_border
    assert Stage.stopped not in Stage.pipeline()

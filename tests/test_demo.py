"""The demo atlas: every hub, organisation, programme and deal the seed articles name, with its source."""

import pytest

from ecotone.data.demo import DEALS, HUBS, ILLUSTRATIVE, MOEBIO_NEEDS, NAMED, PROGRAMS, SEEDS
from ecotone.domain import ClinicalNeed, Deal, Hub, Innovation, Organization, Person, Program, Stage, StageEvent, Tie
from ecotone.services.demo import build_demo

SEED_FILES = set(SEEDS.values())


@pytest.fixture
def demo(demo_atlas):
    return demo_atlas


@pytest.mark.parametrize("name", ["Barcelona Health Hub", "Madrid Health Hub", "Medical Innovation Institute",
                                  "Texas Medical Center", "BioCity Nottingham", "Singapore Health Innovation Ecosystem",
                                  "London", "Munich", "Berlin", "Stockholm", "Cambridge–London–Oxford", "Finland"])
def test_the_hubs_the_seeds_name_are_there_with_their_source(demo, name):
    hub = next(h for h in demo.records(Hub) if h.name == name)
    assert hub.source in SEED_FILES
    assert hub.latitude is not None and hub.country


def test_every_named_organisation_programme_and_deal_is_there_with_its_seed(demo):
    orgs = {o.name: o for o in demo.records(Organization)}
    for name, kind, *_rest in NAMED:
        assert orgs[name].type.value == kind
        assert orgs[name].source in SEED_FILES
    programs = {p.name: p for p in demo.records(Program)}
    for name, *_rest in PROGRAMS:
        assert programs[name].source in SEED_FILES
    for must in ("TMCx", "Kenko Health Accelerator", "Moebio", "Healthbox Foundry"):
        assert must in programs
    named_deals = [d for d in demo.records(Deal) if d.source in SEED_FILES]
    assert len(named_deals) == len(DEALS)
    amounts = {round(d.amount) for d in named_deals}
    assert {34_000_000, 18_200_000, 2_400_000, 620_000_000, 887_000_000} <= amounts
    oryzon = next(d for d in named_deals if d.amount == 18_200_000)
    assert {orgs["Nexthera"].id, orgs["Heights Capital"].id} == set(oryzon.investor_ids)
    barcelona = next(d for d in named_deals if d.hub_id is not None and d.amount == 620_000_000)
    assert "140 deals" in barcelona.description


def test_the_polish_institute_bridges_to_barcelona(demo):
    mii = demo.organization_id("Medical Innovation Institute")
    ties = demo.find(Tie, organization=mii, limit=None).items
    assert any(t.kind.value == "membership" and t.target_id == demo.organization_id("Barcelona Health Hub")
               for t in ties)
    # Polish solutions refined with Spanish clinicians.
    polish = {o.id for o in demo.find(Organization, country="PL", type="startup", limit=None).items}
    spanish_hospitals = {o.id for o in demo.find(Organization, country="ES", type="hospital", limit=None).items}
    assert any(t.source_id in spanish_hospitals and t.target_id in polish and t.kind.value == "clinical_validation"
               for t in demo.records(Tie))


def test_illustrative_members_are_labelled(demo):
    illustrative = [o for o in demo.records(Organization) if o.source == ILLUSTRATIVE]
    assert len(illustrative) > 100
    assert all("illustrative" in o.tags for o in illustrative)
    assert {o.source for o in demo.records(Organization)} <= SEED_FILES | {ILLUSTRATIVE}
    assert all(p.source == ILLUSTRATIVE for p in demo.records(Person))


def test_each_hub_is_a_living_ecosystem(demo):
    for hub in HUBS:
        members = demo.find(Organization, hub=hub.name, limit=None).items
        types = {o.type.value for o in members}
        assert {"startup", "hospital", "investor", "university", "incubator"} <= types, hub.name
        stages = {i.stage for i in demo.find(Innovation, hub=hub.name, limit=None).items}
        assert set(Stage) - {Stage.idea} <= stages | {Stage.idea}, hub.name
    assert demo.count(Person) > 0 and demo.count(ClinicalNeed) == len(HUBS) + len(MOEBIO_NEEDS)


def test_stage_histories_are_ordered_and_end_at_the_current_stage(demo):
    events: dict[int, list] = {}
    for e in demo.records(StageEvent):
        events.setdefault(e.innovation_id, []).append(e)
    for innovation in demo.records(Innovation):
        history = events.get(innovation.id)
        if innovation.source != ILLUSTRATIVE:
            continue
        assert [e.date for e in history] == sorted(e.date for e in history)
        assert history[-1].stage == innovation.stage


def test_building_the_demo_twice_changes_nothing(demo):
    before = demo.counts()
    assert not build_demo(demo).changed
    assert demo.counts() == before

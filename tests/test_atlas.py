"""The Atlas repository on SQLite and PostgreSQL: migrations, CRUD, filters, paging, transactions."""

import datetime as dt

import pytest
import sqlalchemy as sa

from ecotone.domain import Deal, Hub, Innovation, Organization, Participation, Program, StageEvent, Tie
from ecotone.store import Atlas, AtlasError, NotFound


@pytest.fixture
def small(atlas):
    """Two hubs, five organisations, three ties."""
    bcn = atlas.add(Hub(name="Barcelona Health Hub", city="Barcelona", country="ES"))
    waw = atlas.add(Hub(name="Medical Innovation Institute", country="PL"))
    orgs = atlas.add_all([
        Organization(name="Kardio Labs", type="startup", hub_id=waw.id, country="PL", tags=["cardiology", "ai"],
                     stage="prototype", founded=2021),
        Organization(name="Hospital Clínic", type="hospital", hub_id=bcn.id, country="ES", tags=["cardiology"]),
        Organization(name="Ysios Capital", type="investor", hub_id=bcn.id, country="ES", founded=2008),
        Organization(name="AEMPS", type="regulator", country="ES"),
        Organization(name="Universitat de Barcelona", type="university", hub_id=bcn.id, country="ES",
                     tags=["cardiology-research"]),
    ])
    k, h, y, r, u = orgs
    atlas.add_all([
        Tie(source_id=h.id, target_id=k.id, kind="clinical_validation", start_date=dt.date(2024, 3, 1)),
        Tie(source_id=y.id, target_id=k.id, kind="investment", start_date=dt.date(2020, 1, 1),
            end_date=dt.date(2021, 1, 1), status="ended"),
        Tie(source_id=u.id, target_id=h.id, kind="partnership", directed=False),
    ])
    return atlas, {"bcn": bcn, "waw": waw, "kardio": k, "clinic": h, "ysios": y, "aemps": r, "ub": u}


def test_migrations_are_applied_on_open(atlas):
    with atlas.engine.connect() as conn:
        current = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        tables = set(sa.inspect(conn).get_table_names())
    assert {"hubs", "organizations", "people", "ties", "innovations", "stage_events", "deals", "programs",
            "participations", "clinical_needs", "partnerships", "assessments", "ratings", "kpis", "kpi_actuals",
            "introductions", "jobs", "job_files"} <= tables
    assert atlas.revision() == (current, current)  # the newest revision: the one this release knows


def test_the_schema_matches_the_models(atlas):
    assert atlas.schema_differences() == []


def test_reopening_keeps_the_data(tmp_path):
    path = str(tmp_path / "a.db")
    with Atlas.open(path) as a:
        a.add(Hub(name="BioCity Nottingham"))
    with Atlas.open(path) as a:
        assert [h.name for h in a.records(Hub)] == ["BioCity Nottingham"]


def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_atlas):
    with sqlite_atlas.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1


def test_create_read_update_delete(small):
    atlas, o = small
    kardio = atlas.get(Organization, o["kardio"].id)
    assert kardio.name == "Kardio Labs" and kardio.tags == ["cardiology", "ai"]
    kardio.type = "sme"
    atlas.update(kardio)
    assert atlas.get(Organization, kardio.id).helix.value == "industry"
    assert atlas.find(Organization, helix="industry").total == 2
    atlas.delete(Organization, kardio.id)
    with pytest.raises(NotFound):
        atlas.get(Organization, kardio.id)
    # Its ties went with it; the others stay.
    assert atlas.count(Tie) == 1


@pytest.mark.parametrize("filters, names", [
    ({"hub": "Barcelona Health Hub"}, {"Hospital Clínic", "Ysios Capital", "Universitat de Barcelona"}),
    ({"hub": "barcelona"}, {"Hospital Clínic", "Ysios Capital", "Universitat de Barcelona"}),
    ({"type": "hospital"}, {"Hospital Clínic"}),
    ({"type": ["hospital", "regulator"]}, {"Hospital Clínic", "AEMPS"}),
    ({"helix": "government"}, {"Hospital Clínic", "AEMPS"}),
    ({"country": "pl"}, {"Kardio Labs"}),
    ({"tag": "cardiology"}, {"Kardio Labs", "Hospital Clínic"}),
    ({"stage": "prototype"}, {"Kardio Labs"}),
    ({"search": "capital"}, {"Ysios Capital"}),
    ({"since": "2015-01-01"}, {"Kardio Labs"}),
    ({"until": "2010-12-31"}, {"Ysios Capital"}),
    ({"hub": "Barcelona Health Hub", "type": "investor"}, {"Ysios Capital"}),
])
def test_organisation_filters(small, filters, names):
    atlas, _ = small
    page = atlas.find(Organization, **filters)
    assert {o.name for o in page.items} == names
    assert page.total == len(names) == atlas.count(Organization, **filters)


def test_tie_filters(small):
    atlas, o = small
    assert atlas.count(Tie, organization=o["kardio"].id) == 2
    assert atlas.count(Tie, organization="Kardio Labs") == 2
    assert atlas.count(Tie, kind="investment") == 1
    assert atlas.count(Tie, hub="Medical Innovation Institute") == 2
    assert atlas.count(Tie, since="2022-01-01") == 2  # the investment ended in 2021
    assert atlas.count(Tie, until="2019-12-31") == 1  # only the undated partnership may have started by then


def test_paging(small):
    atlas, _ = small
    first = atlas.find(Organization, limit=2, order_by="name")
    second = atlas.find(Organization, limit=2, offset=2, order_by="name")
    assert first.total == second.total == 5
    assert [o.name for o in first.items] == ["AEMPS", "Hospital Clínic"]
    assert [o.name for o in second.items] == ["Kardio Labs", "Universitat de Barcelona"]
    assert [o.name for o in atlas.find(Organization, limit=1, order_by="-name").items] == ["Ysios Capital"]


def test_bad_filters_say_what_is_allowed(small):
    atlas, _ = small
    with pytest.raises(ValueError, match="filters:"):
        atlas.find(Hub, type="hospital")
    with pytest.raises(ValueError, match="use one of"):
        atlas.find(Organization, type="bank")
    with pytest.raises(NotFound, match="hubs: Barcelona"):
        atlas.find(Organization, hub="Atlantis")
    with pytest.raises(ValueError, match="2024-01-31"):
        atlas.find(Tie, since="last year")
    with pytest.raises(AtlasError, match="order"):
        atlas.find(Organization, order_by="colour")


def test_a_failed_transaction_writes_nothing(small):
    atlas, _ = small
    before = atlas.count(Organization)
    with pytest.raises(RuntimeError):
        with atlas.transaction():
            atlas.add(Organization(name="Half-written", type="startup"))
            raise RuntimeError("interrupted")
    with atlas.transaction(dry_run=True):
        atlas.add(Organization(name="Only previewed", type="startup"))
    assert atlas.count(Organization) == before


def test_every_entity_round_trips_through_the_database(small):
    atlas, o = small
    prog = atlas.add(Program(name="TMCx", kind="accelerator", start_date="2024-01-01", budget=1e6))
    atlas.add(Participation(program_id=prog.id, organization_id=o["kardio"].id, role="cohort"))
    inn = atlas.add(Innovation(name="KardioScan", organization_id=o["kardio"].id, stage="prototype"))
    atlas.add(StageEvent(innovation_id=inn.id, stage="idea", date="2023-01-01"))
    deal = atlas.add(Deal(recipient_id=o["kardio"].id, investor_ids=[o["ysios"].id], amount=2.4e6,
                          date="2024-02-01", round_type="seed", external_ids={"crunchbase": "x1"}))
    assert atlas.get(Deal, deal.id) == deal
    assert atlas.get(Program, prog.id).start_date == dt.date(2024, 1, 1)
    assert atlas.counts()["stage_event"] == 1


def test_a_hubs_deals_are_its_members_rounds_and_its_own_aggregates(small):
    atlas, o = small
    bcn, waw = atlas.hub_id("Barcelona Health Hub"), atlas.hub_id("Medical Innovation Institute")
    round_ = atlas.add(Deal(recipient_id=o["kardio"].id, amount=2.4e6, round_type="seed"))  # Kardio is in Warsaw
    region = atlas.add(Deal(hub_id=bcn, amount=6.2e8, round_type="aggregate"))
    assert [d.id for d in atlas.find(Deal, hub=waw).items] == [round_.id]
    assert [d.id for d in atlas.find(Deal, hub=bcn).items] == [region.id]
    assert atlas.count(Deal, hub=waw) == 1


def test_names_resolve_to_ids(small):
    atlas, o = small
    assert atlas.organization_id("kardio labs") == o["kardio"].id
    with pytest.raises(NotFound, match="orgs list"):
        atlas.organization_id("Nobody")
    atlas.add(Organization(name="Kardio Labs", type="sme"))
    with pytest.raises(AtlasError, match="give the id"):
        atlas.organization_id("Kardio Labs")


def test_a_database_that_cannot_be_reached_gives_a_clear_error():
    with pytest.raises(AtlasError, match="cannot open the atlas.*--db"):
        Atlas.open("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(AtlasError, match="cannot use database URL"):
        Atlas.open("nosuchdb://x")


def test_coverage_and_hub_summaries(small):
    atlas, _ = small
    coverage = {(h, t): n for h, t, n in atlas.coverage()}
    assert coverage[("Barcelona Health Hub", "hospital")] == 1
    assert coverage[(None, "regulator")] == 1
    summary = {h["name"]: h for h in atlas.hub_summaries()}
    assert summary["Barcelona Health Hub"]["organizations"] == 3
    assert summary["Barcelona Health Hub"]["ties_inside"] == 1
    assert summary["Barcelona Health Hub"]["ties_across"] == 2
    assert summary["Medical Innovation Institute"]["ties_across"] == 2


def test_refused_writes_say_why(small):
    atlas, o = small
    from ecotone.store import Refused

    with pytest.raises(Refused, match="exists already"):
        atlas.add(Tie(source_id=o["clinic"].id, target_id=o["kardio"].id, kind="clinical_validation"))
    with pytest.raises(Refused, match="does not exist"):
        atlas.add(Organization(name="Ghost", type="startup", hub_id=999))
    assert atlas.count(Organization, search="Ghost") == 0


def test_merge_keeps_namesakes_with_different_identities_apart(atlas):
    from ecotone.domain.batch import Batch
    from ecotone.store.merge import merge

    batch = Batch()
    for pic in ("111", "222"):
        batch.add(Organization(name="Fundació Clínic", type="research_center", external_ids={"cordis_pic": pic}))
    batch.add(Organization(name="Fundació Clínic", type="research_center", description="no id: joins the first"))
    report = merge(atlas, batch)
    assert report.created == {"organization": 2}
    assert merge(atlas, batch).changed is False
    later = Batch()
    later.add(Organization(name="Fundació Clínic", type="research_center", external_ids={"cordis_pic": "333"}))
    assert merge(atlas, later).created == {"organization": 1}
    assert atlas.count(Organization) == 3


def test_ids_too_large_for_the_database_are_refused_or_not_found(atlas):
    from ecotone.store import AtlasError

    with pytest.raises(AtlasError):
        atlas.get(Organization, 10**12)

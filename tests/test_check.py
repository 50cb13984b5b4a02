"""The registry's own checks: each problem made for real and reported with its fix, clean records left alone, only
what the principal may see, and the command line and API round trips."""

import csv
import datetime as dt
import io
import json
import sqlite3

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from conftest import bearer
from ecotone.api import create_app
from ecotone.domain import (Deal, Hub, Innovation, Organization, Partnership, Person, Program, StageEvent, Tie)
from ecotone.domain.access import ANONYMOUS, Principal, Role
from ecotone.services.check import DEDUPE_HINT, KINDS, check_atlas
from ecotone.store.atlas import NotSignedIn, record_to_row
from ecotone.store.tables import TABLES


def _bulk(atlas, record):
    """``record`` written as a bulk load writes it (unchecked), with the next id; returns the id."""
    row = record_to_row(record)
    row["id"] = atlas.last_ids()[record.entity] + 1
    atlas.insert_rows(record.entity, [row])
    atlas.resync_ids()
    return row["id"]


def _delete_unchecked(atlas, entity, id):
    """Delete a row as another tool could (the sqlite3 shell, a SQL console): no Ecotone code runs, and foreign
    keys are not enforced, so whatever names the row is left naming it."""
    table = TABLES[entity].name
    if atlas.dialect == "sqlite":
        with sqlite3.connect(atlas.engine.url.database) as conn:  # the shell's default: foreign keys off
            conn.execute(f"DELETE FROM {table} WHERE id = ?", (id,))
    else:
        with atlas.transaction():
            atlas.execute(sa.text("SET LOCAL session_replication_role = replica"))  # no FK triggers
            atlas.execute(sa.text(f"DELETE FROM {table} WHERE id = :id"), {"id": id})


def _by_record(findings):
    out = {}
    for f in findings:
        out.setdefault(f.record, []).append(f)
    return out


@pytest.fixture
def problems(atlas):
    """An atlas holding one record of each problem, and a clean record beside each."""
    bcn = atlas.add(Hub(name="Barcelona Health Hub", city="Barcelona", country="ES", source="seed"))
    gone_hub = atlas.add(Hub(name="Closed hub", source="seed"))
    orgs = atlas.add_all([
        Organization(name="Ysios Capital", type="investor", hub_id=bcn.id, source="seed"),      # clean
        Organization(name="Gone Ventures", type="investor", hub_id=bcn.id, source="seed"),      # deleted below
        Organization(name="Dycare", type="startup", city="Barcelona", country="ES", source="seed"),  # no hub
        Organization(name="Barcinno", type="other", hub_id=bcn.id, source="seed"),              # type other
        Organization(name="Grifols", type="sme", size="large", hub_id=bcn.id, source="seed"),   # SME sized large
        Organization(name="Vanished Medtech", type="startup", hub_id=bcn.id, source="seed"),    # deleted below
    ])
    ysios, gone, dycare, barcinno, grifols, vanished = orgs
    unsourced = _bulk(atlas, Organization(name="Nobody Knows", type="hospital", hub_id=bcn.id))
    deal = atlas.add(Deal(recipient_id=dycare.id, investor_ids=[ysios.id, gone.id], round_type="seed", source="seed"))
    clean_deal = atlas.add(Deal(recipient_id=dycare.id, investor_ids=[ysios.id], round_type="series_a",
                                source="seed"))
    bridge = atlas.add(Partnership(name="Half a bridge", organization_ids=[ysios.id, gone.id], source="seed"))
    owned = atlas.add(Program(name="Orphaned programme", kind="accelerator", owner_kind="hub",
                              owner_id=gone_hub.id, source="seed"))
    tie = atlas.add(Tie(source_id=vanished.id, target_id=ysios.id, kind="investment", source="seed"))
    consented = atlas.add(Person(name="Dr. Ana Ruiz", organization_id=ysios.id, email="ana@example.org",
                                 consent=True, source="seed"))
    unconsented = _bulk(atlas, Person(name="Dr. Marc Puig", organization_id=ysios.id, source="bulk"))
    atlas.execute(sa.update(TABLES["person"]).where(TABLES["person"].c.id == unconsented)
                  .values(email="marc@example.org"))  # as a bulk load can leave it: e-mail, no consent
    tracked, bare, drifted, rewound = atlas.add_all([
        Innovation(name="Kardio", organization_id=dycare.id, stage="prototype", source="seed"),
        Innovation(name="Ablaview", organization_id=ysios.id, stage="clinical_validation", source="seed"),
        Innovation(name="Drifted", organization_id=dycare.id, stage="scale", source="seed"),
        Innovation(name="Rewound", organization_id=dycare.id, stage="prototype", source="seed"),
    ])
    orphan = atlas.add(Innovation(name="Left behind", organization_id=vanished.id, stage="idea", source="seed"))
    atlas.add_all([StageEvent(innovation_id=tracked.id, stage="idea", date=dt.date(2023, 1, 1)),
                   StageEvent(innovation_id=tracked.id, stage="prototype", date=dt.date(2024, 1, 1)),
                   StageEvent(innovation_id=drifted.id, stage="idea", date=dt.date(2022, 1, 1)),
                   StageEvent(innovation_id=drifted.id, stage="market_launch", date=dt.date(2024, 5, 1)),
                   StageEvent(innovation_id=drifted.id, stage="scale", date=dt.date(2099, 1, 1)),  # not yet
                   StageEvent(innovation_id=rewound.id, stage="idea", date=dt.date(2024, 2, 1)),
                   StageEvent(innovation_id=orphan.id, stage="idea", date=dt.date(2024, 1, 1))])
    for entity, id in (("organization", gone.id), ("organization", vanished.id), ("hub", gone_hub.id)):
        _delete_unchecked(atlas, entity, id)
    return atlas, locals()


def test_each_problem_is_reported_with_its_fix(problems):
    atlas, r = problems
    found = _by_record(check_atlas(atlas))

    [f] = found[f"organization:{r['dycare'].id}"]
    assert f.kind == "no_hub" and f.name == "Dycare"
    assert f"/actors/{r['dycare'].id}" in f.hint and f'{{"hub_id": {r["bcn"].id}}}' in f.hint  # the hub of its city

    [f] = found[f"organization:{r['barcinno'].id}"]
    assert f.kind == "no_type_evidence" and "'other'" in f.problem and '{"type": "TYPE"}' in f.hint
    [f] = found[f"organization:{r['grifols'].id}"]
    assert f.kind == "no_type_evidence" and "250" in f.problem and '{"type": "corporate"}' in f.hint
    [f] = found[f"organization:{r['unsourced']}"]
    assert f.kind == "no_type_evidence" and "neither a source nor an external id" in f.problem
    assert '{"source": "…"}' in f.hint

    [f] = found[f"deal:{r['deal'].id}"]
    assert f.kind == "dangling_reference" and f.name == "seed round of Dycare"  # as the registry names it
    assert f"organization {r['gone'].id} in investor_ids" in f.problem
    assert f.hint == f'drop it: PATCH /api/v1/deals/{r["deal"].id} {{"investor_ids": [{r["ysios"].id}]}}'
    [f] = found[f"partnership:{r['bridge'].id}"]
    assert f.kind == "dangling_reference" and "organization_ids" in f.problem
    assert f"DELETE /api/v1/partnerships/{r['bridge'].id}" in f.hint  # one organisation left is no partnership
    [f] = found[f"program:{r['owned'].id}"]
    assert f.kind == "dangling_reference" and f"hub {r['gone_hub'].id}" in f.problem
    assert '{"owner_kind": null, "owner_id": null}' in f.hint
    [f] = found[f"tie:{r['tie'].id}"]
    assert f.kind == "dangling_reference" and "source_id" in f.problem
    assert f.name == f"organization {r['vanished'].id} → Ysios Capital (investment)"
    assert f"DELETE /api/v1/ties/{r['tie'].id}" in f.hint  # a tie cannot lose an end

    [f] = found[f"person:{r['unconsented']}"]
    assert f.kind == "contact_without_consent" and f.name == "Dr. Marc Puig" and "marc@" not in f.problem + f.hint
    assert '{"consent": true}' in f.hint and '{"email": null}' in f.hint

    [f] = found[f"innovation:{r['orphan'].id}"]
    assert f.kind == "orphaned_innovation" and f"DELETE /api/v1/innovations/{r['orphan'].id}" in f.hint
    [f] = found[f"innovation:{r['bare'].id}"]
    assert f.kind == "no_stage_history" and "clinical_validation" in f.problem
    assert f'"innovation_id": {r["bare"].id}' in f.hint and "POST /api/v1/stage-events" in f.hint
    [f] = found[f"innovation:{r['rewound'].id}"]
    assert f.kind == "stage_mismatch" and f.problem == "its stage is prototype but its latest stage event " \
        "(2024-02-01) says idea"
    assert '{"stage": "idea"}' in f.hint and '"stage": "prototype"' in f.hint  # either fix: the stage or the event
    [f] = found[f"innovation:{r['drifted'].id}"]  # the event dated 2099 does not count yet: a mistyped date?
    assert f.kind == "stage_mismatch" and "2099-01-01, a day still to come" in f.problem
    assert "(2024-05-01) says market_launch" in f.problem
    assert "PATCH /api/v1/stage-events/" in f.hint and '{"stage": "market_launch"}' in f.hint

    clean = {f"organization:{r['ysios'].id}", f"deal:{r['clean_deal'].id}", f"person:{r['consented'].id}",
             f"innovation:{r['tracked'].id}", f"hub:{r['bcn'].id}"}
    assert not clean & set(found)
    assert all(f.kind in KINDS and f.problem and f.hint for fs in found.values() for f in fs)


def test_checks_can_be_chosen_and_come_in_order(problems):
    atlas, r = problems
    everything = check_atlas(atlas)
    assert [f.kind for f in everything] == sorted((f.kind for f in everything), key=list(KINDS).index)
    only = check_atlas(atlas, kinds=["contact_without_consent", "orphaned_innovation"])
    assert {f.kind for f in only} == {"contact_without_consent", "orphaned_innovation"}
    assert only == [f for f in everything if f.kind in ("contact_without_consent", "orphaned_innovation")]
    with pytest.raises(Exception, match="no check is called 'duplicates'"):
        check_atlas(atlas, kinds=["duplicates"])


def test_what_the_atlas_fixes_itself_is_not_reported(atlas):
    hub = atlas.add(Hub(name="BioCity Nottingham", source="seed"))
    a, b = atlas.add_all([Organization(name="A", type="startup", hub_id=hub.id, source="seed"),
                          Organization(name="B", type="investor", hub_id=hub.id, source="seed")])
    atlas.add(Tie(source_id=a.id, target_id=b.id, kind="investment", source="seed"))
    atlas.add(Innovation(name="Gone with A", organization_id=a.id, source="seed"))
    atlas.delete(Organization, a.id)  # ties and innovations go with it (foreign keys cascade)
    assert check_atlas(atlas) == []


def _viewer(atlas, hub, **extra):
    return atlas.acting_as(Principal("user", email="v@example.org", role=Role.viewer,
                                     hubs=frozenset({atlas.hub_id(hub)}), via="api", **extra))


def test_a_viewer_sees_findings_only_about_what_it_may_see(demo_atlas):
    atlas = demo_atlas
    tmc = atlas.hub_id("Texas Medical Center")
    secret = atlas.add(Organization(name="zqsecret", type="other", hub_id=tmc, owner_kind="hub", owner_id=tmc,
                                    visibility="hub", source="seed"))
    hidden_investor = atlas.add(Organization(name="zqhiddeninvestor", type="investor", hub_id=tmc,
                                             owner_kind="hub", owner_id=tmc, visibility="hub", source="seed"))
    gone = atlas.add(Organization(name="zqgone", type="investor", hub_id=tmc, source="seed"))
    startup = atlas.organization_id("Medlumics")
    deal = atlas.add(Deal(recipient_id=startup, investor_ids=[hidden_investor.id, gone.id], visibility="public",
                          source="seed"))
    _delete_unchecked(atlas, "organization", gone.id)

    def seen(who):
        return _by_record(check_atlas(who))

    texas, barcelona, admin = seen(_viewer(atlas, "Texas Medical Center")), \
        seen(_viewer(atlas, "Barcelona Health Hub")), seen(atlas)
    assert f"organization:{secret.id}" in texas and f"organization:{secret.id}" in admin
    assert f"organization:{secret.id}" not in barcelona  # another hub's hub-only record
    assert "zqsecret" not in json.dumps([f.as_dict() for fs in barcelona.values() for f in fs])
    # The deal is public: everyone sees that it names a deleted investor, and nobody is told that the investor
    # Barcelona may not see is missing (it is hidden, not gone), nor its name.
    for findings in (texas, barcelona, admin):
        [f] = findings[f"deal:{deal.id}"]
        assert f"organization {gone.id} in" in f.problem and str(hidden_investor.id) not in f.problem
        assert "zqhiddeninvestor" not in f.problem + f.hint + f.name
    # Contact details are checked only where they may be seen: the admin, not a viewer of the hub.
    person = _bulk(atlas, Person(name="Dr. Zq Contact", organization_id=startup, visibility="public", source="b"))
    atlas.execute(sa.update(TABLES["person"]).where(TABLES["person"].c.id == person).values(email="zq@example.org"))
    assert f"person:{person}" in seen(atlas)
    assert f"person:{person}" not in seen(_viewer(atlas, "Barcelona Health Hub"))
    assert f"person:{person}" in seen(_viewer(atlas, "Barcelona Health Hub", organization_id=startup))


def test_visitors_are_refused(demo_atlas):
    with pytest.raises(NotSignedIn):
        check_atlas(demo_atlas.acting_as(ANONYMOUS))


def test_the_demo_atlas(demo_atlas):
    found = check_atlas(demo_atlas)
    by_name = {(f.kind, f.name) for f in found}
    assert {("no_type_evidence", "Barcinno"), ("no_hub", "Bayer"), ("no_stage_history", "Ablaview")} <= by_name
    named = {f.name for f in found}
    assert not {"Medlumics", "Ysios Capital", "Hospital Clínic de Barcelona"} & named
    assert not [f for f in found if f.kind in ("dangling_reference", "contact_without_consent",
                                                 "orphaned_innovation", "stage_mismatch")]


def test_the_cordis_extract(cordis_atlas):
    found = check_atlas(cordis_atlas)
    orgs = cordis_atlas.count(Organization)
    homeless = [f for f in found if f.kind == "no_hub"]
    assert len(homeless) == orgs and "no hub exists yet" in homeless[0].hint  # CORDIS knows no hubs
    others = [f for f in found if f.kind == "no_type_evidence" and "'other'" in f.problem]
    assert len(others) == cordis_atlas.count(Organization, type="other") > 0
    assert {f.kind for f in found} == {"no_hub", "no_type_evidence"}


# -- the command line -------------------------------------------------------------------------------------------


def test_cli_on_a_clean_atlas_exits_0(cli):
    code, out, _ = cli("check")
    assert code == 0 and "nothing to look at" in out and "ecotone dedupe" in out
    code, out, err = cli("check", "--format", "csv")
    assert code == 0 and out == "kind,record,name,problem,hint\n" and DEDUPE_HINT in err
    code, out, _ = cli("check", "--format", "json")
    assert code == 0 and json.loads(out) == []


def test_cli_round_trip_on_the_demo(cli):
    assert cli("demo")[0] == 0
    code, out, _ = cli("check")
    assert code == 1 and "Barcinno" in out and "no_stage_history" in out and "/actors/" in out
    assert "ecotone dedupe" in out
    code, out, err = cli("check", "--format", "json")
    findings = json.loads(out)
    assert code == 1 and {f["kind"] for f in findings} >= {"no_hub", "no_type_evidence", "no_stage_history"}
    assert set(findings[0]) == {"kind", "record", "name", "problem", "hint"} and DEDUPE_HINT in err
    code, out, _ = cli("check", "--kind", "no_stage_history", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 1 and [r["name"] for r in rows] == ["Ablaview"] and "POST /api/v1/stage-events" in rows[0]["hint"]
    code, out, _ = cli("check", "--limit", "2")
    assert code == 1 and "more: --limit 0 shows all" in out
    assert cli("check", "--exit-zero")[0] == 0
    code, _, err = cli("check", "--kind", "duplicates")
    assert code == 2 and "no check is called 'duplicates'" in err


def test_cli_help_teaches_with_an_example(cli):
    code, out, _ = cli("check", "--help")
    assert code == 0 and "Example" in out and "Exit code" in out and "--exit-zero" in out


# -- the API ----------------------------------------------------------------------------------------------------
def test_api_findings_for_members_only(demo_atlas):
    texas = bearer(demo_atlas, "viewer@example.org", "viewer", ["Texas Medical Center"])
    admin = bearer(demo_atlas)
    with TestClient(create_app(atlas=demo_atlas)) as client:
        assert client.get("/api/v1/check").status_code == 401
        body = client.get("/api/v1/check", headers=admin).json()
        assert body["count"] == len(body["data"]) == len(check_atlas(demo_atlas))
        assert {"kind", "record", "name", "problem", "hint"} == set(body["data"][0])
        viewer = client.get("/api/v1/check", headers=texas).json()
        assert 0 < viewer["count"] <= body["count"]
        only = client.get("/api/v1/check?kind=no_stage_history", headers=admin).json()
        assert [f["name"] for f in only["data"]] == ["Ablaview"]
        assert client.get("/api/v1/check?kind=duplicates", headers=admin).status_code == 422


def test_hubs_and_organisations_with_no_city_or_country_are_checked(atlas):
    """A hub with no city beside one with a city (pandas then holds the missing one as NaN) must not crash."""
    from ecotone.domain import Hub, Organization
    from ecotone.services.check import check_atlas

    atlas.add_all([Hub(name="Finland", kind="national", country="FI"), Hub(name="BioCity", city="Nottingham"),
                   Hub(name="Nowhere")])
    atlas.add_all([Organization(name="Homeless", type="startup", city="Nottingham"),
                   Organization(name="Placeless", type="startup")])
    found = {f.name: f for f in check_atlas(atlas) if f.kind == "no_hub"}
    assert set(found) == {"Homeless", "Placeless"} and "BioCity" in found["Homeless"].hint

"""Duplicates caught: names normalised, a same-name organisation of the hub refused on creation (a hidden one
without its name), likely duplicates found across the atlas, and a pair merged in one audited transaction — through
the services, the API, the CLI and the browser."""

import json

import pytest
from fastapi.testclient import TestClient

from conftest import bearer, live_server, snapshot
from test_web import MANAGER, browser, demo_app, page, sign_in  # noqa: F401  (chromium, no network, no CSP refusal)
from ecotone.api import create_app
from ecotone.cli import main
from ecotone.domain import (REFERENCES, ClinicalNeed, Deal, Hub, Innovation, Organization, Participation, Person,
                            Program, StageEvent, Tie)
from ecotone.domain.access import Principal, Role
from ecotone.domain.names import name_tokens, normalize_name, same_name, website_domain
from ecotone.domain.partnering import Introduction, Partnership
from ecotone.services.changes import list_changes
from ecotone.services.dedupe import (LikelyDuplicate, check_new_organization, find_duplicates, merge_organizations,
                                     merged_into, name_similarity)
from ecotone.store.atlas import Forbidden, NotFound
from ecotone.store.tables import TABLES

# -- names ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("a, b", [
    ("Medlumics S.L.", "MEDLUMICS"), ("Medlumics, SL", "medlumics"), ("Kardio Sp. z o.o.", "kardio"),
    ("Kardio sp. z o.o.", "KARDIO SP Z O O"), ("Hospital Clínic", "HOSPITAL CLINIC, S.A."),
    ("Weiß GmbH", "Weiss"), ("Łódź Medical Ltd", "Lodz Medical Limited"), ("Oryzon Genomics S.A.", "Oryzon Genomics"),
    ("Siemens Healthcare GmbH & Co. KG", "Siemens Healthcare"), ("Novo Nordisk A/S", "Novo Nordisk"),
    ("Fraunhofer-Gesellschaft e.V.", "Fraunhofer Gesellschaft"), ("Ørsted  AS", "orsted"),
    ("Apple Inc.", "Apple"), ("Philips N.V.", "Philips"), ("Aalto-yliopisto Oy", "AALTO YLIOPISTO"),
    ("Spotify AB (publ)", "Spotify"), ("Tecnocampus S.R.L.", "Tecnocampus SpA"), ("Dycare SAS", "dycare"),
    ("Kardio ApS", "Kardio plc"), ("Vall d'Hebron", "VALL D HEBRON"),
])
def test_names_that_are_the_same_once_normalised(a, b):
    assert same_name(a, b), (normalize_name(a), normalize_name(b))


@pytest.mark.parametrize("a, b", [
    ("Medlumics", "Medlumix"), ("Universitat de Barcelona", "Universitat de Valencia"),
    ("Barcelona University Hospital", "Barcelona University"), ("PIC 915056194", "PIC 915056195"),
])
def test_names_that_stay_apart(a, b):
    assert not same_name(a, b)


def test_a_legal_suffix_alone_is_a_name():
    assert name_tokens("AB") == ("ab",) and normalize_name("S.A.") == "s a" and name_tokens("...") == ()


def test_websites_compare_by_their_site():
    assert website_domain("https://www.Kardio.pl/en/") == website_domain("kardio.pl") == "kardio.pl"
    assert website_domain("http://linkedin.com/company/kardio") != website_domain("linkedin.com/company/medlumics")
    assert website_domain("not a site") is None and website_domain("") is None


def test_name_similarity_forgives_typos_not_other_words():
    assert name_similarity(("medlumics",), ("medlumcis",)) >= 90
    assert name_similarity(("hospital", "clinic"), ("clinic", "hospital")) == 100
    assert name_similarity(("universita", "di", "padova"), ("universita", "di", "pavia")) < 90
    assert name_similarity(("tel", "aviv", "cardialabs"), ("tel", "aviv", "cardiacare")) < 90


# -- refused on creation -----------------------------------------------------------------------------------------
def test_a_same_name_organisation_of_the_hub_is_refused_then_allowed(atlas):
    bcn, mad = atlas.add_all([Hub(name="Barcelona Health Hub"), Hub(name="Madrid Health Hub")])
    first = atlas.add(Organization(name="Medlumics S.L.", type="startup", hub_id=bcn.id))
    atlas.add(Organization(name="Hospital Clínic", type="hospital", hub_id=bcn.id))
    with pytest.raises(LikelyDuplicate) as caught:
        check_new_organization(atlas, Organization(name="MEDLUMICS", type="startup", hub_id=bcn.id))
    assert str(caught.value) == (f"Medlumics S.L. (organization {first.id}) exists already in Barcelona Health Hub; "
                                 "add it anyway with --allow-duplicate, or update that one")
    assert caught.value.existing == [{"id": first.id, "name": "Medlumics S.L.", "hub_id": bcn.id}]
    for name in ("Medlumics, SL", "medlumics sl", "Medlumics S.L.U."):
        with pytest.raises(LikelyDuplicate):
            check_new_organization(atlas, Organization(name=name, type="sme", hub_id=bcn.id))
    with pytest.raises(LikelyDuplicate, match="Hospital Clínic"):  # accents and legal forms aside
        check_new_organization(atlas, Organization(name="HOSPITAL CLINIC, S.A.", type="hospital", hub_id=bcn.id))
    check_new_organization(atlas, Organization(name="MEDLUMICS", type="startup", hub_id=bcn.id), allow_duplicate=True)
    check_new_organization(atlas, Organization(name="Medlumics", type="startup", hub_id=mad.id))  # another hub
    check_new_organization(atlas, Organization(name="Medlumics", type="startup"))  # no hub is a hub of its own
    check_new_organization(atlas, first)  # a record is not its own duplicate (renamed, it is checked the same way)
    check_new_organization(atlas, Organization(name="Medlumix", type="startup", hub_id=bcn.id))


def test_no_hub_counts_as_a_hub_and_two_existing_ones_are_both_named(atlas):
    a, b = atlas.add_all([Organization(name="Weiß GmbH", type="sme"), Organization(name="WEISS AG", type="sme")])
    with pytest.raises(LikelyDuplicate) as caught:
        check_new_organization(atlas, Organization(name="Weiss", type="sme"))
    assert str(caught.value).startswith(f"Weiß GmbH (organization {a.id}), WEISS AG (organization {b.id}) exist "
                                        "already with no hub")
    assert [e["id"] for e in caught.value.existing] == [a.id, b.id]


def test_a_duplicate_hidden_from_the_principal_is_refused_without_its_name(atlas):
    hub = atlas.add(Hub(name="Medical Innovation Institute", country="PL"))
    owner = atlas.add(Organization(name="Kardio Holding", type="corporate", hub_id=hub.id))
    hidden = atlas.add(Organization(name="Kardio Sp. z o.o.", type="startup", hub_id=hub.id, visibility="private",
                                    owner_kind="organization", owner_id=owner.id))
    editor = atlas.acting_as(Principal("user", email="ed@mii.example", role=Role.editor, hubs=frozenset({hub.id}),
                                       via="api"))
    with pytest.raises(NotFound):
        editor.get(Organization, hidden.id)
    with pytest.raises(LikelyDuplicate) as caught:
        check_new_organization(editor, Organization(name="KARDIO", type="startup", hub_id=hub.id))
    message = str(caught.value)
    assert "exists already in this hub that you cannot see; ask the hub's manager" in message
    assert "Kardio" not in message and str(hidden.id) not in message
    assert caught.value.existing == [{"id": None, "name": None, "hub_id": hub.id}]
    check_new_organization(editor, Organization(name="KARDIO", type="startup", hub_id=hub.id), allow_duplicate=True)


def test_the_api_refuses_a_hidden_duplicate_with_a_409_that_names_nothing(atlas):
    hub = atlas.add(Hub(name="Medical Innovation Institute", country="PL"))
    owner = atlas.add(Organization(name="Kardio Holding", type="corporate", hub_id=hub.id))
    atlas.add(Organization(name="Kardio Sp. z o.o.", type="startup", hub_id=hub.id, visibility="private",
                           owner_kind="organization", owner_id=owner.id))
    headers = bearer(atlas, "ed@mii.example", "editor", hubs=[hub.name])
    with TestClient(create_app(atlas=atlas), headers=headers) as client:
        refused = client.post("/api/v1/organizations", json={"name": "kardio", "type": "startup", "hub_id": hub.id})
        assert refused.status_code == 409, refused.text
        assert "cannot see" in refused.json()["detail"] and "Kardio" not in refused.text
        made = client.post("/api/v1/organizations", params={"allow_duplicate": "true"},
                           json={"name": "kardio", "type": "startup", "hub_id": hub.id})
        assert made.status_code == 201, made.text


# -- found across the atlas --------------------------------------------------------------------------------------
def test_dedupe_finds_the_second_medlumics_on_the_demo(demo_atlas):
    assert find_duplicates(demo_atlas) == []  # the demo as shipped has none
    extra = demo_atlas.add(Organization(name="Medlumics SL", type="startup"))
    medlumics = demo_atlas.organization_id("Medlumics")
    pairs = find_duplicates(demo_atlas)
    assert [(p["a_id"], p["b_id"], p["score"]) for p in pairs] == [(medlumics, extra.id, 100.0)]
    assert pairs[0]["a_hub"] == "Madrid Health Hub" and pairs[0]["b_hub"] is None
    assert pairs[0]["reason"] == "same name once normalised (medlumics)"
    typo = demo_atlas.add(Organization(name="Oryzon Gneomics", type="sme", country="ES"))
    found = {(p["a_name"], p["b_name"]): p for p in find_duplicates(demo_atlas)}
    assert found[("Oryzon Genomics", typo.name)]["reason"].startswith("similar names")


def test_dedupe_finds_the_same_website_and_the_same_external_id(atlas):
    a, b, c, d, e = atlas.add_all([
        Organization(name="Kardio", type="startup", website="https://www.kardio.pl/", country="PL"),
        Organization(name="Kardiotech Warszawa", type="startup", website="kardio.pl/en", country="PL"),
        Organization(name="Uniwersytet Medyczny", type="university", external_ids={"cordis_pic": "999883345"}),
        Organization(name="Medical University of Lodz", type="university", external_ids={"cordis_pic": "999883345"}),
        Organization(name="Medical University of Gdansk", type="university", external_ids={"cordis_pic": "1"}),
    ])
    pairs = {(p["a_id"], p["b_id"]): p for p in find_duplicates(atlas)}
    assert set(pairs) == {(a.id, b.id), (c.id, d.id)}
    assert pairs[(a.id, b.id)]["score"] == 95.0 and pairs[(a.id, b.id)]["reason"] == "same website (kardio.pl)"
    assert pairs[(c.id, d.id)]["score"] == 100.0 and "cordis_pic 999883345" in pairs[(c.id, d.id)]["reason"]


def test_dedupe_lists_only_what_the_principal_sees(atlas):
    hub, other = atlas.add_all([Hub(name="Barcelona Health Hub"), Hub(name="BioCity Nottingham")])
    atlas.add_all([Organization(name="Dycare", type="startup", hub_id=hub.id, visibility="hub",
                                owner_kind="hub", owner_id=hub.id),
                   Organization(name="Dycare S.L.", type="startup", hub_id=hub.id, visibility="hub",
                                owner_kind="hub", owner_id=hub.id)])
    member = atlas.acting_as(Principal("user", email="v@bcn.example", role=Role.viewer, hubs=frozenset({hub.id})))
    outsider = atlas.acting_as(Principal("user", email="v@bio.example", role=Role.viewer, hubs=frozenset({other.id})))
    assert len(find_duplicates(member)) == 1 and find_duplicates(outsider) == []


# -- merged -----------------------------------------------------------------------------------------------------
def _pair_with_everything(atlas):
    """Medlumics and a second Medlumics that something of every kind names; returns (survivor, loser, others)."""
    survivor = atlas.get(Organization, atlas.organization_id("Medlumics"))
    hospital = atlas.organization_id("Barcelona University Hospital")
    investor = atlas.organization_id("Ysios Capital")
    loser = atlas.add(Organization(name="Medlumics S.L.", type="startup", website="https://medlumics.com",
                                   tags=["imaging", "cardiology"], external_ids={"crunchbase": "medlumics"},
                                   description="Optical coherence tomography for cardiac ablation"))
    program = atlas.add(Program(name="Medlumics bootcamp", kind="accelerator", operator_id=loser.id))
    atlas.add_all([Tie(source_id=investor, target_id=survivor.id, kind="investment", weight=3),
                   Tie(source_id=loser.id, target_id=hospital, kind="clinical_pilot", weight=2),
                   Tie(source_id=loser.id, target_id=survivor.id, kind="partnership"),  # becomes a self-loop
                   Tie(source_id=investor, target_id=loser.id, kind="investment")])  # one the survivor has
    atlas.add(Person(name="Dr. Eduardo Margallo", role="CTO", organization_id=loser.id))
    innovation = atlas.add(Innovation(name="Ablaview II", organization_id=loser.id, stage="prototype"))
    atlas.add(StageEvent(innovation_id=innovation.id, stage="prototype", date="2024-03-01"))
    atlas.add_all([Deal(recipient_id=loser.id, amount=2e6, currency="EUR", round_type="seed", date="2024-05-01"),
                   Deal(recipient_id=hospital, investor_ids=[loser.id, investor], amount=1e5, currency="EUR",
                        round_type="grant", date="2024-06-01")])
    atlas.add(Participation(program_id=program.id, organization_id=loser.id))
    atlas.add(ClinicalNeed(problem="map scar tissue during ablation", population="AF patients",
                           outcome="fewer redo procedures", raised_by_id=loser.id))
    atlas.add(Partnership(name="Ablation imaging pilot", organization_ids=[loser.id, hospital]))
    atlas.add(Introduction(organization_id=loser.id, partner_id=hospital, introduced_on="2024-01-15"))
    atlas.add(Hub(name="Medlumics' own corner", owner_kind="organization", owner_id=loser.id))
    return survivor, loser, {"hospital": hospital, "investor": investor, "program": program.id}


def _references_to(atlas, org_id):
    """Every (kind, id, field) in the atlas that names the organisation."""
    out = []
    for entity in TABLES:
        for row in atlas.rows(entity, everyone=True):
            if row.get("owner_kind") == "organization" and row.get("owner_id") == org_id:
                out.append((entity, row["id"], "owner_id"))
            for field, target in REFERENCES[entity].items():
                value = row.get(field)
                if target == "organization" and (value == org_id or isinstance(value, list) and org_id in value):
                    out.append((entity, row["id"], field))
    return out


def test_a_merge_moves_everything_to_the_survivor_and_leaves_no_dangling_reference(demo_atlas):
    atlas = demo_atlas
    survivor, loser, other = _pair_with_everything(atlas)
    ties_before = atlas.count(Tie)
    preview = merge_organizations(atlas, survivor.id, loser.id, dry_run=True)
    assert atlas.get(Organization, loser.id) and preview["dry_run"] and preview["change_set"] is None
    assert preview["summary"].startswith(f"Merging Medlumics S.L. (organization {loser.id}) into Medlumics")

    report = merge_organizations(atlas, "Medlumics", loser.id)
    assert {k: v for k, v in report.items() if k not in ("summary", "change_set", "dry_run")} == \
        {k: v for k, v in preview.items() if k not in ("summary", "change_set", "dry_run")}
    assert report["moved"] == {"hub": 1, "person": 1, "program": 1, "participation": 1, "innovation": 1, "deal": 2,
                               "tie": 1, "clinical_need": 1, "partnership": 1, "introduction": 1}
    assert report["dropped"] == {"tie": 2}  # the self-loop and the repeat
    assert report["filled"] == ["external_ids", "tags", "website"]  # its own description is kept
    with pytest.raises(NotFound):
        atlas.get(Organization, loser.id)
    assert _references_to(atlas, loser.id) == []
    assert atlas.count(Tie) == ties_before - 2  # the moved one stays, two dropped
    kept = atlas.get(Organization, survivor.id)
    assert kept.website == "https://medlumics.com" and kept.description == survivor.description
    assert {"imaging", "cardiology"} <= set(kept.tags) and kept.external_ids["crunchbase"] == "medlumics"
    moved = atlas.find(Tie, organization=survivor.id, limit=None).items
    assert any(t.target_id == other["hospital"] and t.weight == 2 and t.kind.value == "clinical_pilot" for t in moved)
    assert all(t.source_id != t.target_id for t in moved)
    assert [t.weight for t in moved if t.source_id == other["investor"]] == [3]  # the survivor's, not summed
    assert [i.name for i in atlas.find(Innovation, organization=survivor.id, limit=None).items].count("Ablaview II") == 1
    assert "Dr. Eduardo Margallo" in [p.name for p in atlas.find(Person, organization=survivor.id, limit=None).items]
    deals = atlas.find(Deal, limit=None).items
    assert any(d.recipient_id == survivor.id and d.amount == 2e6 for d in deals)
    assert any(d.investor_ids == [survivor.id, other["investor"]] for d in deals)
    assert atlas.get(Program, other["program"]).operator_id == survivor.id

    # The merge is in the audit trail, and the survivor's history holds the loser's
    history = list_changes(atlas, record=f"organization:{survivor.id}", limit=1000)["data"]
    notes = [c["note"] for c in history]
    assert notes[0] == f"merged organization:{loser.id} into organization:{survivor.id}"
    assert any(c["record"] == f"organization:{loser.id}" and c["action"] == "create" for c in history)
    assert any(c["record"] == f"organization:{loser.id}" and c["action"] == "delete" for c in history)
    tie_notes = {c["note"] for c in atlas.trail.entries(kinds=["tie"], limit=20)[0]}
    assert f"merging organization:{loser.id} into organization:{survivor.id}" in tie_notes
    assert merged_into(atlas, survivor.id) == [loser.id]


def test_a_merge_is_one_transaction(demo_atlas, monkeypatch):
    atlas = demo_atlas
    survivor, loser, _ = _pair_with_everything(atlas)
    before, entries = snapshot(atlas), atlas.trail.entries(limit=None)[1]
    real_delete = atlas.delete

    def cut_off(cls, id, **kw):  # the power goes as the loser is about to go, after everything else moved
        if cls is Organization:
            raise RuntimeError("power cut")
        return real_delete(cls, id, **kw)

    monkeypatch.setattr(atlas, "delete", cut_off)
    with pytest.raises(RuntimeError, match="power cut"):
        merge_organizations(atlas, survivor.id, loser.id)
    assert snapshot(atlas) == before and atlas.trail.entries(limit=None)[1] == entries


def test_a_merge_chain_keeps_every_history_and_undoing_puts_the_pair_back(atlas):
    a, b, c = atlas.add_all([Organization(name=n, type="startup") for n in ("Kardio", "Kardio SA", "KARDIO sp. z o.o.")])
    x = atlas.add(Organization(name="Warsaw Heart Clinic", type="clinic"))
    atlas.add(Tie(source_id=c.id, target_id=x.id, kind="clinical_pilot"))
    merge_organizations(atlas, b.id, c.id)
    last = merge_organizations(atlas, a.id, b.id)
    assert merged_into(atlas, a.id) == [b.id, c.id]
    records = {e["record"] for e in list_changes(atlas, record=f"organization:{a.id}")["data"]}
    assert records == {f"organization:{i}" for i in (a.id, b.id, c.id)}
    entry = next(e for e in list_changes(atlas, record=f"organization:{a.id}")["data"] if e["action"] == "merge")
    assert entry["after"] == {"merged_from": f"organization:{b.id}"} and entry["change_set"] == last["change_set"]
    atlas.revert(entry["id"])  # reverting the merge's own entry takes the whole merge back
    assert atlas.get(Organization, b.id).name == "Kardio SA"
    assert [t.source_id for t in atlas.find(Tie, organization=x.id).items] == [b.id]
    assert merged_into(atlas, a.id) == []  # b is back with its own history


def test_an_editor_of_another_hub_may_not_merge(demo_atlas):
    atlas = demo_atlas
    extra = atlas.add(Organization(name="Dycare S.L.", type="startup", hub_id=atlas.hub_id("Barcelona Health Hub")))
    dycare = atlas.organization_id("Dycare")
    polish = atlas.acting_as(Principal("user", email="facilitator@mii.example", role=Role.editor,
                                       hubs=frozenset({atlas.hub_id("Medical Innovation Institute")}), via="api"))
    before = snapshot(atlas)
    with pytest.raises(Forbidden, match="may not change Dycare \\(organization"):
        merge_organizations(polish, dycare, extra.id)
    assert snapshot(atlas) == before
    viewer = atlas.acting_as(Principal("user", email="v@bcn.example", role=Role.viewer,
                                       hubs=frozenset({atlas.hub_id("Barcelona Health Hub")}), via="api"))
    with pytest.raises(Forbidden, match="may only read"):
        merge_organizations(viewer, dycare, extra.id)
    manager = atlas.acting_as(Principal("user", email="m@bcn.example", role=Role.manager,
                                        hubs=frozenset({atlas.hub_id("Barcelona Health Hub")}), via="api"))
    assert merge_organizations(manager, dycare, extra.id)["loser"]["id"] == extra.id


def test_the_api_lists_pairs_and_merges_for_writers_only(demo_atlas):
    atlas = demo_atlas
    bcn = atlas.hub_id("Barcelona Health Hub")
    extra = atlas.add(Organization(name="DYCARE, S.L.", type="startup", hub_id=bcn))
    dycare = atlas.organization_id("Dycare")
    viewer = bearer(atlas, "viewer@bcn.example", "viewer", hubs=["Barcelona Health Hub"])
    editor = bearer(atlas, "editor@mii.example", "editor", hubs=["Medical Innovation Institute"])
    manager = bearer(atlas, "manager@bcn.example", "manager", hubs=["Barcelona Health Hub"])
    body = {"survivor_id": dycare, "loser_id": extra.id}
    with TestClient(create_app(atlas=atlas)) as client:
        pairs = client.get("/api/v1/duplicates", headers=viewer).json()
        assert pairs["count"] == 1 and (pairs["data"][0]["a_id"], pairs["data"][0]["b_id"]) == (dycare, extra.id)
        assert client.post("/api/v1/duplicates/merge", json=body).status_code == 401
        assert client.post("/api/v1/duplicates/merge", json=body, headers=viewer).status_code == 403
        refused = client.post("/api/v1/duplicates/merge", json=body, headers=editor)
        assert refused.status_code == 403 and "may not change" in refused.json()["detail"]
        dry = client.post("/api/v1/duplicates/merge", json={**body, "dry_run": True}, headers=manager)
        assert dry.status_code == 200 and dry.json()["dry_run"] and atlas.get(Organization, extra.id)
        done = client.post("/api/v1/duplicates/merge", json=body, headers=manager)
        assert done.status_code == 200, done.text
        assert done.json()["summary"].startswith(f"Merged DYCARE, S.L. (organization {extra.id}) into Dycare")
        assert client.get("/api/v1/duplicates", headers=viewer).json()["count"] == 0
        gone = client.post("/api/v1/duplicates/merge", json=body, headers=manager)
        assert gone.status_code == 404
        same = client.post("/api/v1/duplicates/merge", json={"survivor_id": dycare, "loser_id": dycare},
                           headers=manager)
        assert same.status_code == 400 and "into itself" in same.json()["detail"]


# -- the command line ----------------------------------------------------------------------------------------------
def test_cli_lists_and_merges_a_pair(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ECOTONE_DATABASE_URL", raising=False)

    def cli(*args):
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    assert cli("demo")[0] == 0
    assert cli("orgs", "add", "Medlumics SL", "--type", "startup", "--website", "medlumics.com")[0] == 0
    code, out, _ = cli("dedupe", "--format", "json")
    [pair] = json.loads(out)
    assert code == 0 and (pair["a_name"], pair["b_name"], pair["score"]) == ("Medlumics", "Medlumics SL", 100.0)
    code, out, _ = cli("dedupe", "-f", "csv", "--min-score", "80")
    assert out.splitlines()[0] == "score,a_id,a_name,a_hub,b_id,b_name,b_hub,reason" and len(out.splitlines()) > 2
    code, _, err = cli("dedupe", "--merge", "Medlumics", "Medlumics SL")  # no terminal to confirm in: nothing done
    assert code == 1 and "Merging Medlumics SL" in err
    code, out, _ = cli("dedupe", "--merge", str(pair["a_id"]), str(pair["b_id"]), "--yes", "-f", "json")
    report = json.loads(out)
    assert code == 0 and report["filled"] == ["website"] and report["loser"]["id"] == pair["b_id"]
    code, out, _ = cli("dedupe", "-f", "json")
    assert json.loads(out) == []
    code, out, _ = cli("changes", "--record", f"organization:{pair['a_id']}", "-f", "json")
    notes = [c["note"] for c in json.loads(out)]
    assert f"merged organization:{pair['b_id']} into organization:{pair['a_id']}" in notes
    code, _, err = cli("dedupe", "--merge", "Medlumics", "Medlumics SL", "--yes")
    assert code == 1 and "no organisation is named 'Medlumics SL'" in err


# -- the page -----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo with its accounts and a second Dycare in Barcelona, served on a free loopback port."""
    app = demo_app(tmp_path_factory.mktemp("dedupe"))
    atlas = app.state.atlas
    loser = atlas.add(Organization(name="Dycare S.L.", type="startup", hub_id=atlas.hub_id("Barcelona Health Hub"),
                                   website="https://dycare.com"))
    atlas.add(Tie(source_id=loser.id, target_id=atlas.organization_id("Barcelona University Hospital"),
                  kind="clinical_pilot"))
    with live_server(app) as url:
        yield url, atlas, loser.id


@pytest.mark.browser
def test_a_hub_manager_merges_a_pair_from_the_page_after_confirming(site, page):  # noqa: F811
    url, atlas, loser = site
    page.goto(f"{url}/duplicates")  # a visitor sees the public pairs (none here), and may merge nothing
    page.wait_for_selector("#pairs-status:has-text('0 pairs')")
    assert "takes an editor's" in page.locator(".account-note").inner_text()
    assert page.locator("header nav a:has-text('Duplicates')").count() == 0
    sign_in(page, url, MANAGER, "/duplicates")
    assert page.locator("header nav a:has-text('Duplicates')").count() == 1
    page.wait_for_selector("#pairs table")
    row = page.locator("#pairs tbody tr", has_text="Dycare S.L.")
    row.locator("button:has-text('Merge into Dycare')").first.click()
    page.wait_for_selector("#confirm-merge:not([hidden])")
    text = page.locator("#confirm-text").inner_text()
    assert "moves 1 tie" in text and "fills website" in text and "then Dycare S.L. is deleted" in text
    assert atlas.get(Organization, loser)  # nothing is written before the second click
    page.click("#confirm-yes")
    page.wait_for_selector("#merged:has-text('Merged Dycare S.L.')")
    page.wait_for_function("() => !document.querySelector('#pairs').textContent.includes('Dycare S.L.')")
    with pytest.raises(NotFound):
        atlas.get(Organization, loser)
    assert atlas.get(Organization, atlas.organization_id("Dycare")).website == "https://dycare.com"

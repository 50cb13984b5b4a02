"""Accounts, sign-in, tokens, CSRF, the audit trail, consent and a person's data — through the API and the CLI, on
both backends."""

import json
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from ecotone.api import create_app
from ecotone.api.auth import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from ecotone.cli import main
from ecotone.domain import Organization, Person
from ecotone.domain.access import ANONYMOUS, Principal, Role
from ecotone.services.accounts import add_user, create_token, sign_in
from ecotone.services.imports import import_files
from ecotone.store.atlas import Forbidden, NotSignedIn
from ecotone.store.tables import changes, users
from conftest import PASSWORD, bearer, snapshot


@pytest.fixture
def app_client(demo_atlas):
    with TestClient(create_app(atlas=demo_atlas)) as client:
        yield client


def _sign_in(client, email, password=PASSWORD):
    client.get("/")  # the page hands out the CSRF cookie, as a browser's first visit would
    response = client.post("/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {CSRF_HEADER: client.cookies[CSRF_COOKIE]}


def test_passwords_are_kept_as_argon2_hashes_and_tokens_as_digests(demo_atlas):
    add_user(demo_atlas, "ana@example.org", name="Ana", role="viewer", password=PASSWORD)
    secret = create_token(demo_atlas, "ana@example.org", "laptop")
    stored = demo_atlas.execute(sa.select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    dump = json.dumps(snapshot(demo_atlas), default=str) + str(demo_atlas.execute(sa.text(
        "SELECT secret_hash FROM api_tokens")).all())
    assert secret not in dump and PASSWORD not in dump


def test_real_accounts_get_argon2ids_standard_cost_and_only_a_test_suite_the_minimal_one(monkeypatch):
    from ecotone.services.accounts import _password_hasher

    monkeypatch.delenv("ECOTONE_PASSWORD_HASH_COST")  # as on a real installation
    standard = _password_hasher().hash(PASSWORD)
    assert standard.startswith("$argon2id$") and "m=65536,t=3" in standard
    monkeypatch.setenv("ECOTONE_PASSWORD_HASH_COST", "minimal")
    minimal = _password_hasher()
    assert "m=8,t=1" in minimal.hash(PASSWORD) and minimal.verify(PASSWORD, standard)  # old hashes still verify


def test_a_session_cookie_signs_the_browser_in_and_out(demo_atlas, app_client):
    add_user(demo_atlas, "m@example.org", name="M", role="manager", password=PASSWORD, hubs=["Barcelona Health Hub"])
    csrf = _sign_in(app_client, "M@Example.org")
    cookie = next(c for c in app_client.cookies.jar if c.name == SESSION_COOKIE)
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.path == "/"
    assert app_client.get("/api/v1/me").json()["role"] == "manager"
    assert app_client.post("/logout", headers=csrf).status_code == 204
    assert app_client.get("/api/v1/me").json()["signed_in"] is False


def test_login_cookie_attributes(demo_atlas, app_client):
    add_user(demo_atlas, "m@example.org", name="M", role="viewer", password=PASSWORD)
    response = app_client.post("/login", json={"email": "m@example.org", "password": PASSWORD})
    header = response.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=lax" in header and "Secure" not in header
    with TestClient(create_app(atlas=demo_atlas), base_url="https://testserver") as secure:
        header = secure.post("/login", json={"email": "m@example.org", "password": PASSWORD}).headers["set-cookie"]
    assert "Secure" in header


def test_failed_sign_ins_are_counted_then_lock_the_account(demo_atlas, app_client):
    add_user(demo_atlas, "m@example.org", name="M", role="viewer", password=PASSWORD)
    for n in range(5):
        response = app_client.post("/login", json={"email": "m@example.org", "password": "wrong password!"})
        assert response.status_code == 401 and "wrong" in response.json()["detail"]
    assert demo_atlas.execute(sa.select(users.c.failed_logins)).scalar_one() == 5
    locked = app_client.post("/login", json={"email": "m@example.org", "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert app_client.post("/login", json={"email": "nobody@example.org", "password": "x"}).status_code == 401


def test_a_revoked_token_stops_working_at_once(demo_atlas, app_client, tmp_path):
    header = bearer(demo_atlas, "v@example.org", "viewer", ["Texas Medical Center"])
    assert app_client.get("/api/v1/me", headers=header).json()["email"] == "v@example.org"
    assert app_client.get("/api/v1/organizations", headers=header).status_code == 200
    # Revoked by another process (the CLI on the same atlas file, or here the store) between two requests.
    token_id = demo_atlas.execute(sa.text("SELECT id FROM api_tokens")).scalar_one()
    from ecotone.services.accounts import revoke_token
    revoke_token(demo_atlas, token_id)
    refused = app_client.get("/api/v1/organizations", headers=header)
    assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
    assert app_client.get("/api/v1/organizations", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_a_change_with_the_session_cookie_needs_the_csrf_token(demo_atlas, app_client):
    add_user(demo_atlas, "e@example.org", name="E", role="admin", password=PASSWORD)
    csrf = _sign_in(app_client, "e@example.org")
    hub = demo_atlas.hub_id("Barcelona Health Hub")
    body = {"name": "Kardio Labs", "type": "startup", "hub_id": hub}
    refused = app_client.post("/api/v1/organizations", json=body)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    upload = app_client.post("/api/v1/imports/kumu", files={"files": ("elements.csv", b"Label,Type\nX,startup\n")})
    assert upload.status_code == 403
    assert demo_atlas.count(Organization, search="Kardio Labs") == 0
    assert app_client.post("/api/v1/organizations", json=body, headers=csrf).status_code == 201


def test_anonymous_writes_are_401_and_a_viewers_403_as_problems(demo_atlas, app_client):
    body = {"name": "Kardio Labs", "type": "startup"}
    anonymous = app_client.post("/api/v1/organizations", json=body)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    viewer = bearer(demo_atlas, "v@example.org", "viewer", ["Barcelona Health Hub"])
    forbidden = app_client.post("/api/v1/organizations", json=body, headers=viewer)
    assert forbidden.status_code == 403 and forbidden.headers["content-type"] == "application/problem+json"
    assert "read" in forbidden.json()["detail"]


def test_an_editor_changes_only_their_hubs_records(demo_atlas, app_client):
    editor = bearer(demo_atlas, "e@example.org", "editor", ["Barcelona Health Hub"])
    mine = demo_atlas.organization_id("Barcelona University Hospital")
    theirs = demo_atlas.organization_id("Texas Medical Center")
    assert app_client.patch(f"/api/v1/organizations/{mine}", json={"description": "Edited"},
                            headers=editor).status_code == 200
    assert app_client.patch(f"/api/v1/organizations/{theirs}", json={"description": "Edited"},
                            headers=editor).status_code == 403
    made = app_client.post("/api/v1/organizations", json={"name": "Kardio Labs", "type": "startup"}, headers=editor)
    assert made.status_code == 201
    assert (made.json()["owner_kind"], made.json()["owner_id"]) == ("hub", demo_atlas.hub_id("Barcelona Health Hub"))


def test_every_write_is_in_the_audit_trail_with_who_how_and_what(demo_atlas, app_client, tmp_path):
    header = bearer(demo_atlas, "admin@example.org")
    org = demo_atlas.organization_id("Medlumics")
    app_client.patch(f"/api/v1/organizations/{org}", json={"description": "Ablation"}, headers=header)
    history = app_client.get(f"/api/v1/changes?record=organization:{org}", headers=header).json()["data"]
    assert history[0]["actor"] == "admin@example.org" and history[0]["via"] == "api"
    assert history[0]["after"] == {"description": "Ablation"} and "description" in history[0]["before"]
    elements = tmp_path / "elements.csv"
    elements.write_text("Label,Type\nKardio Labs,startup\n", encoding="utf-8")
    import_files(demo_atlas, "kumu", [elements])
    entry = demo_atlas.execute(sa.select(changes).order_by(changes.c.id.desc())).mappings().first()
    assert (entry["actor"], entry["via"], entry["action"], entry["note"]) == ("cli", "cli", "create",
                                                                            "import kumu: elements.csv")
    with pytest.raises(sa.exc.DatabaseError):  # append-only, enforced by the database itself
        with demo_atlas.engine.begin() as conn:
            conn.execute(sa.text("UPDATE changes SET actor = 'someone else'"))
    with pytest.raises(sa.exc.DatabaseError):
        with demo_atlas.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM changes"))
    viewer = bearer(demo_atlas, "v@example.org", "viewer", ["Barcelona Health Hub"])
    assert app_client.get("/api/v1/changes", headers=viewer).status_code == 403


def test_deleting_an_organisation_records_what_goes_with_it(demo_atlas):
    from ecotone.domain import Tie

    org = demo_atlas.organization_id("Barcelona University Hospital")
    ties = demo_atlas.count(Tie, organization=org)
    demo_atlas.delete(Organization, org)
    entries = demo_atlas.execute(sa.select(changes.c.entity, changes.c.note).where(changes.c.action == "delete")).all()
    assert ("organization", None) in entries
    assert sum(1 for e, note in entries if e == "tie" and note == f"with organization {org}") == ties > 0


def test_an_import_cannot_set_an_email_without_consent_and_withdrawn_consent_erases_it(demo_atlas, app_client,
                                                                                       tmp_path):
    from ecotone.domain.problems import InputRejected

    person = demo_atlas.find(Person, search="Dr.", limit=1).items[0]
    assert person.email and person.consent
    bundle = {"format": "ecotone-bundle", "version": 1, "records": {"person": [
        {"id": 1, "name": "Dr. New Person", "email": "new@example.org", "consent": False}]}}
    path = tmp_path / "people.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    with pytest.raises(InputRejected) as refused:
        import_files(demo_atlas, "bundle", [path])
    assert any("consent" in p.reason for p in refused.value.problems)
    # Re-importing the person with consent withdrawn (and no e-mail given) erases the e-mail the atlas held.
    bundle["records"] = {"organization": [{"id": 1, "name": demo_atlas.names("organization", [person.organization_id])[
        person.organization_id], "type": "hospital"}], "person": [{"id": 1, "name": person.name, "organization_id": 1,
                                                                    "consent": False}]}
    path.write_text(json.dumps(bundle), encoding="utf-8")
    import_files(demo_atlas, "bundle", [path])
    assert demo_atlas.get(Person, person.id).email is None
    person = demo_atlas.find(Person, search="Dr.", limit=None).items[-1]
    assert person.email
    header = bearer(demo_atlas, "admin@example.org")
    response = app_client.patch(f"/api/v1/people/{person.id}", json={"consent": False}, headers=header)
    assert response.status_code == 200, response.text
    assert demo_atlas.get(Person, person.id).email is None


def test_contact_details_are_for_the_persons_organisation_and_admins(demo_atlas, app_client):
    person = demo_atlas.find(Person, search="Dr.", limit=1).items[0]
    colleague = bearer(demo_atlas, "c@example.org", "viewer", (), str(person.organization_id))
    outsider = bearer(demo_atlas, "o@example.org", "viewer", ["Barcelona Health Hub"])
    url = f"/api/v1/people/{person.id}"
    assert app_client.get(url, headers=colleague).json()["email"] == person.email
    assert app_client.get(url, headers=outsider).json()["email"] is None
    assert app_client.get(url).json()["email"] is None
    assert person.email not in app_client.get("/api/v1/exports/bundle", headers=outsider).text


def test_a_persons_data_is_exported_and_erased_on_request(demo_atlas, app_client):
    person = demo_atlas.find(Person, search="Dr.", limit=1).items[0]
    header = bearer(demo_atlas, "admin@example.org")
    data = app_client.get(f"/api/v1/people/{person.id}/data", headers=header).json()
    assert data["record"]["email"] == person.email and data["changes"][0]["action"] == "create"
    assert person.email not in json.dumps(data["changes"])  # the history never holds contact details
    outsider = bearer(demo_atlas, "o@example.org", "editor", ["Barcelona Health Hub"])
    assert app_client.delete(f"/api/v1/people/{person.id}/data", headers=outsider).status_code in (403, 404)
    erased = app_client.delete(f"/api/v1/people/{person.id}/data", headers=header)
    assert erased.status_code == 200 and erased.json()["entries_blanked"] >= 2
    assert app_client.get(f"/api/v1/people/{person.id}", headers=header).status_code == 404
    trail = demo_atlas.execute(sa.select(changes).where(changes.c.entity == "person",
                                                         changes.c.record_id == person.id)).mappings().all()
    assert trail and all(e["erased"] and e["before"] is None and e["after"] is None for e in trail)
    assert person.name not in json.dumps([dict(e) for e in trail], default=str)


def test_the_store_refuses_writes_without_a_role():
    from ecotone.store import Atlas

    with Atlas.open("sqlite://") as atlas:
        with pytest.raises(NotSignedIn):
            atlas.acting_as(ANONYMOUS).add(Organization(name="X", type="startup"))
        viewer = Principal("user", email="v@example.org", user_id=1, role=Role.viewer, via="api")
        with pytest.raises(Forbidden):
            atlas.acting_as(viewer).add(Organization(name="X", type="startup"))
        assert atlas.count(Organization) == 0


def test_cli_users_tokens_share_and_changes(tmp_path, monkeypatch, capsys):
    db = str(tmp_path / "atlas.db")
    assert main(["--db", db, "demo"]) == 0
    monkeypatch.setenv("ECOTONE_PASSWORD", PASSWORD)
    assert main(["--db", db, "users", "add", "ana@example.org", "--name", "Ana", "--role", "manager", "--hub",
                 "Barcelona Health Hub"]) == 0
    assert main(["--db", db, "users", "add", "ana@example.org", "--name", "Ana", "--role", "viewer"]) == 1
    assert "exists already" in capsys.readouterr().err
    assert main(["--db", db, "users", "add", "bad@example.org", "--name", "B", "--role", "owner"]) == 1
    assert "no role 'owner'" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["--db", db, "tokens", "create", "ana@example.org", "--label", "dashboard"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"eco_[\w-]{40,}", token)
    assert main(["--db", db, "users", "list", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["hubs"] == "Barcelona Health Hub"
    assert main(["--db", db, "share", "Medical Innovation Institute", "--with", "Texas Medical Center"]) == 0
    assert "now shares" in capsys.readouterr().out
    assert main(["--db", db, "share", "--list", "--format", "csv"]) == 0
    assert "Texas Medical Center" in capsys.readouterr().out
    assert main(["--db", db, "share", "Medical Innovation Institute", "--with", "Texas", "--revoke"]) == 0
    assert main(["--db", db, "users", "update", "ana@example.org", "--role", "editor"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "changes", "--user", "cli", "--format", "json", "--limit", "5"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert entries[0]["record"].startswith("user:") and entries[0]["after"] == {"role": "editor"}
    assert main(["--db", db, "tokens", "list", "--format", "csv"]) == 0
    token_id = capsys.readouterr().out.splitlines()[1].split(",")[0]
    assert main(["--db", db, "tokens", "revoke", token_id]) == 0
    assert main(["--db", db, "tokens", "revoke", token_id]) == 1
    assert main(["--db", db, "users", "remove", "ana@example.org", "--yes"]) == 0


def test_cli_people_export_and_erase(tmp_path, capsys):
    db = str(tmp_path / "atlas.db")
    assert main(["--db", db, "demo"]) == 0
    from ecotone.store import Atlas
    with Atlas.open(db) as atlas:
        person = atlas.find(Person, search="Dr.", limit=1).items[0]
    capsys.readouterr()
    assert main(["--db", db, "people", "export", str(person.id)]) == 0
    assert json.loads(capsys.readouterr().out)["record"]["email"] == person.email
    assert main(["--db", db, "people", "erase", str(person.id), "--yes"]) == 0
    assert "blanked" in capsys.readouterr().out
    assert main(["--db", db, "people", "export", str(person.id)]) == 1


def test_demo_users_sign_in_and_see_what_their_hub_may(demo_atlas):
    from ecotone.domain import Kpi, Partnership
    from ecotone.services.demo import demo_users

    made = {u["email"]: u["password"] for u in demo_users(demo_atlas)}
    assert len(made) == 4
    seen = {}
    for email, password in made.items():
        _, who = sign_in(demo_atlas, email, password)
        view = demo_atlas.acting_as(who)
        seen[who.role.value] = (view.count(Partnership), view.count(Kpi))
    total = (demo_atlas.count(Partnership), demo_atlas.count(Kpi))
    assert seen["admin"] == total
    assert seen["manager"][0] == total[0] and seen["manager"][1] == 0  # shared partnership, the institute's KPIs
    assert seen["editor"] == total  # the Polish facilitator: the institute's own
    assert seen["viewer"] == (0, 0)  # Texas: not part of the bridge
    anonymous = demo_atlas.acting_as(ANONYMOUS)
    assert anonymous.count(Partnership) == 0 and anonymous.count(Organization) == demo_atlas.count(Organization)


def test_an_owner_or_a_partner_that_does_not_exist_is_refused_on_write(demo_atlas, app_client):
    header = bearer(demo_atlas, "admin@example.org")
    owner = app_client.post("/api/v1/organizations", headers=header,
                            json={"name": "Ghost-owned", "type": "startup", "owner_kind": "hub", "owner_id": 999999})
    assert owner.status_code == 409 and "owner_id 999999" in owner.json()["detail"]
    partners = app_client.post("/api/v1/partnerships", headers=header,
                               json={"name": "Ghost partnership", "organization_ids": [1, 999999]})
    assert partners.status_code == 409 and "organization_ids 999999" in partners.json()["detail"]
    org = demo_atlas.organization_id("Medlumics")
    patched = app_client.patch(f"/api/v1/organizations/{org}", headers=header, json={"owner_kind": "organization",
                                                                                     "owner_id": 999999})
    assert patched.status_code == 409
    assert app_client.get("/api/v1/exports/bundle", headers=header).status_code == 200


def test_a_new_password_signs_every_browser_out(demo_atlas, app_client):
    from ecotone.services.accounts import update_user

    add_user(demo_atlas, "v@example.org", name="V", role="viewer", password=PASSWORD)
    _sign_in(app_client, "v@example.org")
    assert app_client.get("/api/v1/me").json()["signed_in"]
    update_user(demo_atlas, "v@example.org", password="another long passphrase")
    assert app_client.get("/api/v1/me").json()["signed_in"] is False


def test_ids_beyond_the_database_are_not_found_everywhere(demo_atlas, app_client, tmp_path, capsys):
    huge = "99999999999999999999"
    header = bearer(demo_atlas, "admin@example.org")
    for url in (f"/api/v1/organizations?hub={huge}", f"/api/v1/ties?organization={huge}", f"/actors/{huge}",
                f"/api/v1/velocity?hub={huge}", f"/api/v1/map?hub={huge}"):
        response = app_client.get(url, headers=header)
        assert response.status_code in (404, 422), (url, response.status_code, response.text[:200])
        assert "SQLite" not in response.text and "Python int" not in response.text
    db = str(tmp_path / "atlas.db")
    assert main(["--db", db, "demo"]) == 0
    capsys.readouterr()
    for argv in (["orgs", "show", huge], ["orgs", "list", "--hub", huge], ["share", huge, "--with", "Texas"],
                 ["people", "export", huge], ["ties", "list", "--org", huge]):
        assert main(["--db", db, *argv]) == 1, argv
        err = capsys.readouterr().err
        assert "unexpected" not in err and "no " in err, (argv, err)


def test_the_sharing_list_names_who_granted_only_to_the_hubs_managers(demo_atlas, app_client):
    hub = demo_atlas.hub_id("Barcelona Health Hub")
    anonymous = app_client.get(f"/api/v1/hubs/{hub}/shares").json()["data"]
    assert anonymous and all(g["granted_by"] is None for g in anonymous)
    manager = bearer(demo_atlas, "m@example.org", "manager", ["Barcelona Health Hub"])
    mine = app_client.get(f"/api/v1/hubs/{hub}/shares", headers=manager).json()["data"]
    assert any(g["granted_by"] == "cli" for g in mine if g["hub_id"] == hub)


def test_a_viewers_ties_are_filtered_by_each_end_not_by_every_pair_of_ends(sqlite_atlas):
    # With "source IN (visible) AND target IN (visible)" SQLite probed the (source, target) index once per pair
    # of visible organisations: 168 s for a viewer's map page at 20,000 actors. Each end is looked up on its own.
    from ecotone.store.tables import ties

    viewer = Principal("user", email="v@example.org", user_id=1, role=Role.viewer, hubs=frozenset({1}), via="api")
    condition = sqlite_atlas.acting_as(viewer).scope.condition("tie")
    sql, params = sqlite_atlas._driver_sql(sa.select(ties.c.id).where(condition))
    with sqlite_atlas.engine.connect() as conn:
        plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params()))
    assert "source_id=? AND target_id=?" not in plan, plan


def test_signing_in_keeps_the_caches_and_revoking_or_writing_empties_them(atlas):
    from ecotone.domain import Hub
    from ecotone.services.accounts import revoke_token

    add_user(atlas, "v@example.org", name="V", role="viewer", password=PASSWORD)
    token = atlas.change_token()
    sign_in(atlas, "v@example.org", PASSWORD)  # a session starts
    with pytest.raises(Exception):
        sign_in(atlas, "v@example.org", "wrong password")  # a failed sign-in is counted
    assert atlas.change_token() == token
    create_token(atlas, "v@example.org")
    assert atlas.change_token() != token  # who a principal is changed
    token = atlas.change_token()
    revoke_token(atlas, 1)
    assert atlas.change_token() != token
    token = atlas.change_token()
    atlas.add(Hub(name="BioCity Nottingham"))
    assert atlas.change_token() != token


def test_who_may_not_see_an_email_neither_erases_it_by_saving_nor_keeps_it_by_withdrawing_consent(demo_atlas,
                                                                                                  app_client):
    person = demo_atlas.find(Person, search="Dr.", limit=1).items[0]
    editor = bearer(demo_atlas, "e@example.org", "editor", [demo_atlas.names("hub", [demo_atlas.get(
        Organization, person.organization_id).hub_id])[demo_atlas.get(Organization, person.organization_id).hub_id]])
    saved = app_client.patch(f"/api/v1/people/{person.id}", json={"specialty": "cardiology"}, headers=editor)
    assert saved.status_code == 200 and saved.json()["email"] is None  # not shown to this editor…
    assert demo_atlas.get(Person, person.id).email == person.email  # …and not erased by saving the record
    withdrawn = app_client.patch(f"/api/v1/people/{person.id}", json={"consent": False}, headers=editor)
    assert withdrawn.status_code == 200
    assert demo_atlas.get(Person, person.id).email is None


def test_an_over_long_sign_in_is_a_failed_sign_in_said_in_words(demo_atlas, app_client):
    add_user(demo_atlas, "v@example.org", name="V", role="viewer", password=PASSWORD)
    for body in ({"email": "v@example.org", "password": "x" * 5000}, {"email": "x" * 5000, "password": PASSWORD}):
        response = app_client.post("/login", json=body)
        assert response.status_code == 401 and response.json()["detail"] == "the e-mail or the password is wrong"

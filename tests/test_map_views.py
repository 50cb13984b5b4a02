"""Saved map views: who sees which (private, hub, network, public), who may save, change and delete them, the
audit trail of every write, the checks on a view's query, /views/{id} opening it on the map, the migration that
adds them to an atlas made before it — on both backends — and, in a browser, a view saved and opened again."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient

from conftest import PASSWORD, bearer, live_server, migrate, postgres_schema
from test_web import MANAGER, browser, demo_app, page, sign_in  # noqa: F401  (chromium, no network, no CSP refusal)
from ecotone.api import create_app
from ecotone.domain import Hub
from ecotone.services.accounts import share
from ecotone.store import Atlas
from ecotone.store.atlas import _migrations_config

BASE = "/api/v1/map/views"
LEVELS = ("private", "hub", "network", "public")
# Who sees the author's views of each level: the author is an editor of the owner hub, which shares its network
# with the shared hub.
SEES = {
    "anonymous": {"public"},
    "author": set(LEVELS),
    "viewer of the owner hub": {"public", "hub", "network"},
    "editor of the owner hub": {"public", "hub", "network"},  # the author's scope exactly: no answer crosses users
    "viewer of the shared hub": {"public", "network"},
    "viewer of another hub": {"public"},
    "admin": set(LEVELS),
}


@pytest.fixture
def world(atlas):
    """Three hubs (the owner hub sharing with the second), an account of each kind, and the app over them."""
    owner, shared, other = atlas.add_all([Hub(name="Texas Medical Center", visibility="public"),
                                          Hub(name="BioCity Nottingham", visibility="public"),
                                          Hub(name="Barcelona Health Hub", visibility="public")])
    share(atlas, str(owner.id), str(shared.id))
    headers = {
        "anonymous": {},
        "author": bearer(atlas, "author@example.org", "editor", [str(owner.id)]),
        "viewer of the owner hub": bearer(atlas, "v1@example.org", "viewer", [str(owner.id)]),
        "editor of the owner hub": bearer(atlas, "e1@example.org", "editor", [str(owner.id)]),
        "viewer of the shared hub": bearer(atlas, "v2@example.org", "viewer", [str(shared.id)]),
        "viewer of another hub": bearer(atlas, "v3@example.org", "viewer", [str(other.id)]),
        "admin": bearer(atlas, "admin@example.org", "admin"),
    }
    with TestClient(create_app(atlas=atlas)) as client:
        yield client, headers, {"owner": owner.id, "shared": shared.id, "other": other.id}


def _save(client, header, name, visibility="private", hub_id=None, query="hub=1&colour=type"):
    body = {"name": name, "query": query, "visibility": visibility, **({"hub_id": hub_id} if hub_id else {})}
    return client.post(BASE, json=body, headers=header)


@pytest.fixture
def probes(world):
    """The author's four views, one of each visibility, the hub ones for the owner hub."""
    client, headers, hubs = world
    ids = {}
    for level in LEVELS:
        saved = _save(client, headers["author"], f"zqview{level}", level,
                      hubs["owner"] if level in ("hub", "network") else None, f"hub={hubs['owner']}&colour=type")
        assert saved.status_code == 201, saved.text
        ids[level] = saved.json()["id"]
    return client, headers, hubs, ids


def test_each_sees_the_views_their_visibility_allows_and_no_other(probes):
    client, headers, _, ids = probes
    for _ in range(2):  # twice: a second answer (from any cache) must not cross users either
        for who, header in headers.items():
            listed = client.get(BASE, headers=header)
            assert listed.status_code == 200 and listed.headers["cache-control"] == "no-store"
            names = {v["name"] for v in listed.json()["data"]}
            assert names == {f"zqview{lvl}" for lvl in SEES[who]}, who
            assert listed.json()["count"] == len(SEES[who])
            for level, view_id in ids.items():
                read = client.get(f"{BASE}/{view_id}", headers=header)
                opened = client.get(f"/views/{view_id}", headers=header, follow_redirects=False)
                if level in SEES[who]:
                    assert read.status_code == 200 and read.json()["name"] == f"zqview{level}", (who, level)
                    assert opened.status_code == 303 and opened.headers["location"] == read.json()["link"]
                else:  # not there, as a hidden record is not: 404, never 403
                    assert read.status_code == 404, (who, level, read.status_code)
                    assert read.headers["content-type"] == "application/problem+json"
                    assert "zqview" not in read.text
                    assert opened.status_code == 404 and "zqview" not in opened.text, (who, level)


def test_own_views_come_first_newest_first(probes):
    client, headers, hubs, ids = probes
    other = _save(client, headers["editor of the owner hub"], "zqcolleague", "hub", hubs["owner"])
    assert other.status_code == 201, other.text
    mine = _save(client, headers["viewer of the owner hub"], "zqmine")
    assert mine.status_code == 201
    listed = client.get(BASE, headers=headers["viewer of the owner hub"]).json()["data"]
    assert [v["name"] for v in listed] == ["zqmine", "zqcolleague", "zqviewpublic", "zqviewnetwork", "zqviewhub"]
    assert [v["mine"] for v in listed] == [True, False, False, False, False]
    assert {v["author"] for v in listed[1:]} == {"E1", "Author"}
    # the list names people, never their e-mail addresses
    assert "@example.org" not in client.get(BASE, headers=headers["viewer of another hub"]).text


def test_sharing_takes_an_editor_and_a_hub_of_ones_own(world):
    client, headers, hubs = world
    viewer, editor = headers["viewer of the owner hub"], headers["author"]
    assert _save(client, {}, "visitor's").status_code == 401
    assert _save(client, viewer, "mine").status_code == 201
    for level in ("hub", "network", "public"):
        refused = _save(client, viewer, "shared", level, hubs["owner"] if level != "public" else None)
        assert refused.status_code == 403 and "editor" in refused.json()["detail"], refused.text
    assert _save(client, editor, "elsewhere", "hub", hubs["other"]).status_code == 403
    missing = _save(client, editor, "no hub", "network")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "hub_id"
    unknown = _save(client, editor, "gone hub", "hub", 999_999)
    assert unknown.status_code == 422 and "no hub" in unknown.json()["detail"]
    assert _save(client, headers["admin"], "anywhere", "hub", hubs["other"]).status_code == 201
    # the hub's members now see the admin's view of their hub; the author does not
    names = lambda h: {v["name"] for v in client.get(BASE, headers=h).json()["data"]}  # noqa: E731
    assert "anywhere" in names(headers["viewer of another hub"]) and "anywhere" not in names(editor)


def test_only_the_author_or_an_admin_changes_or_deletes_a_view(probes):
    client, headers, hubs, ids = probes
    public = f"{BASE}/{ids['public']}"
    for who in ("viewer of another hub", "editor of the owner hub"):
        assert client.patch(public, json={"name": "taken"}, headers=headers[who]).status_code == 403
        assert client.delete(public, headers=headers[who]).status_code == 403
    assert client.patch(public, json={"name": "taken"}).status_code in (401, 403)
    # a view one may not see cannot be changed either, and its refusal says nothing of it
    hidden = client.delete(f"{BASE}/{ids['private']}", headers=headers["viewer of the owner hub"])
    assert hidden.status_code == 404 and "zqview" not in hidden.text
    changed = client.patch(public, json={"name": "Texas, by type", "description": "for the board",
                                         "query": "?type=startup&colour=hub"}, headers=headers["author"])
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["description"], body["query"], body["link"], body["version"]) == \
        ("Texas, by type", "for the board", "type=startup&colour=hub", "/?type=startup&colour=hub", 2)
    assert changed.headers["etag"] == '"v2"'
    narrowed = client.patch(public, json={"visibility": "private"}, headers=headers["author"])
    assert narrowed.json()["visibility"] == "private"
    assert client.get(public).status_code == 404
    assert client.patch(public, json={"visibility": "hub", "hub_id": hubs["owner"]},
                        headers=headers["author"]).status_code == 200
    assert client.get(public, headers=headers["viewer of the owner hub"]).status_code == 200
    assert client.delete(public, headers=headers["admin"]).status_code == 204
    assert client.get(public, headers=headers["author"]).status_code == 404
    assert client.delete(f"{BASE}/{ids['hub']}", headers=headers["author"]).status_code == 204


def test_if_match_refuses_a_stale_change(probes):
    client, headers, _, ids = probes
    url, author = f"{BASE}/{ids['private']}", headers["author"]
    tag = client.get(url, headers=author).headers["etag"]
    assert client.get(url, headers={**author, "If-None-Match": tag}).status_code == 304
    assert client.patch(url, json={"name": "first"}, headers={**author, "If-Match": tag}).status_code == 200
    stale = client.patch(url, json={"name": "second"}, headers={**author, "If-Match": tag})
    assert stale.status_code == 412 and stale.json()["version"] == 2
    assert "author@example.org" in stale.json()["detail"] and stale.headers["etag"] == '"v2"'
    assert client.delete(url, headers={**author, "If-Match": tag}).status_code == 412
    assert client.patch(url, json={"name": "second"}, headers=author).status_code == 200  # no If-Match: written


def test_every_write_is_in_the_history_with_who_made_it(probes):
    client, headers, _, ids = probes
    author, admin = headers["author"], headers["admin"]
    url = f"{BASE}/{ids['public']}"
    client.patch(url, json={"name": "renamed"}, headers=author)
    client.delete(url, headers=admin)
    entries = [e for e in client.get("/api/v1/changes?limit=1000", headers=admin).json()["data"]
               if e["entity"] == "map_view" and e["record_id"] == ids["public"]]
    assert [(e["action"], e["actor"], e["via"]) for e in entries] == [
        ("delete", "admin@example.org", "api"), ("update", "author@example.org", "api"),
        ("create", "author@example.org", "api")]
    deleted, updated, created = entries
    assert created["after"]["name"] == "zqviewpublic" and created["after"]["visibility"] == "public"
    assert (updated["before"], updated["after"]) == ({"name": "zqviewpublic"}, {"name": "renamed"})
    assert deleted["before"]["name"] == "renamed" and not deleted["after"]
    # a revert of a view's change is refused in words (it is not a record), not a 500
    refused = client.post(f"/api/v1/changes/{deleted['id']}/revert", headers=admin)
    assert refused.status_code == 400 and "not a record" in refused.json()["detail"]


@pytest.mark.parametrize("query, reason", [
    ("password=hunter2", "password is not a parameter of the map"),
    ("hub=1&<script>=1", "<script> is not a parameter of the map"),
    ("year=soon", "year must be a year"),
    ("year=1066", "year must be a year"),
    ("x=nan", "x must be a number from"),
    ("ratio=0", "ratio must be a number from"),
    ("ratio=1e400", "ratio must be a number from"),
    ("type=bank", "type must be one of: startup"),
    ("kind=friendship", "kind must be one of: partnership"),
    ("level=planets", "level must be one of: auto, actors, hubs"),
    ("colour=type;drop", "colour must be the name of an attribute"),
    ("ego=maybe", "ego must be 1 or 0"),
    ("ego=1&ego=0", "ego is given more than once"),
    ("selected=%0a1", "selected holds a control character"),
    ("hub", "is not a query string"),
    ("https://elsewhere.example/?hub=1", "not a whole address"),
    ("hub=1#fragment", "not a whole address"),
    ("hub=" + "1" * 2000, "a view's query may have at most 2,000"),
])
def test_a_query_the_map_would_not_read_is_refused_in_words(world, query, reason):
    client, headers, _ = world
    refused = _save(client, headers["author"], "bad", query=query)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert reason in problem["detail"] and problem["errors"][0]["field"] == "query", problem
    assert client.get(BASE, headers=headers["author"]).json()["count"] == 0


@pytest.mark.parametrize("body, field", [({"name": "   "}, "name"), ({"name": "one\u0000two"}, "name"),
                                         ({"name": "x" * 201}, "name"), ({"name": "fine", "description": "\u0007"},
                                                                         "description"),
                                         ({"name": "fine", "visibility": "everyone"}, "visibility")])
def test_a_name_a_description_and_a_visibility_are_checked(world, body, field):
    client, headers, _ = world
    refused = client.post(BASE, json={"query": "", **body}, headers=headers["author"])
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field, refused.text
    assert "Traceback" not in refused.text


def test_a_view_keeps_the_maps_whole_address(world):
    client, headers, _ = world
    query = ("hub=3&hub=4&type=startup&kind=&year=2020&colour=type&size=degree&ego=1&neighbours=0&selected=123"
             "&x=0.5&y=-0.25&ratio=0.4&angle=0&level=actors")
    saved = _save(client, headers["author"], "everything", query="/?" + query)
    assert saved.status_code == 201, saved.text
    assert saved.json()["query"] == query and saved.json()["link"] == "/?" + query
    assert _save(client, headers["author"], "the whole map", query="").json()["link"] == "/"


def test_a_view_opens_on_the_map_and_an_unseen_one_is_a_page_in_words(probes):
    client, headers, hubs, ids = probes
    opened = client.get(f"/views/{ids['public']}", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == f"/?hub={hubs['owner']}&colour=type"
    landed = client.get(f"/views/{ids['public']}")
    assert landed.status_code == 200 and landed.url.path == "/" and landed.url.query.decode() == \
        f"hub={hubs['owner']}&colour=type"
    for path in (f"/views/{ids['private']}", "/views/999999", "/views/abc", "/views/99999999999999999999"):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html"), path
        assert "There is no saved view" in missing.text and "Traceback" not in missing.text


def test_a_hub_deleted_leaves_its_views_to_their_authors_and_an_account_removed_takes_its_own(probes):
    client, headers, hubs, ids = probes
    assert client.delete(f"/api/v1/hubs/{hubs['owner']}", headers=headers["admin"]).status_code == 204
    listed = client.get(BASE, headers=headers["viewer of the shared hub"]).json()["data"]
    assert [v["name"] for v in listed] == ["zqviewpublic"]
    mine = {v["name"]: v["hub_id"] for v in client.get(BASE, headers=headers["author"]).json()["data"]}
    assert mine == {f"zqview{lvl}": None for lvl in LEVELS}
    assert client.delete("/api/v1/users/author@example.org", headers=headers["admin"]).status_code == 204
    assert client.get(BASE, headers=headers["admin"]).json()["count"] == 0


# -- the migration ------------------------------------------------------------------------------------------------

def _atlas_before_views(url: str) -> None:
    """An atlas at revision 0005 (before saved views) at ``url``, holding a hub and an account."""
    migrate(url, "0005")
    with Atlas.open(url, migrate=False) as old:
        assert "map_views" not in sa.inspect(old.engine).get_table_names()
        old.add(Hub(name="Texas Medical Center", visibility="public"))
        bearer(old, "author@example.org", "editor", ["Texas Medical Center"])


def _migrated_keeps_everything(url: str) -> None:
    with Atlas.open(url) as atlas:
        current, newest = atlas.revision()
        assert current == newest
        from ecotone.services.accounts import sign_in
        from ecotone.services.views import create_view, visible_views

        _, who = sign_in(atlas, "author@example.org", PASSWORD)
        as_author = atlas.acting_as(who)
        view = create_view(as_author, name="Texas", query="hub=1", visibility="hub", hub_id=1)
        assert [v["name"] for v in visible_views(as_author)] == ["Texas"] and view["hub"] == "Texas Medical Center"
        cfg = _migrations_config()
        with atlas.engine.begin() as conn:  # and back down, and up again
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0005")
            assert "map_views" not in sa.inspect(conn).get_table_names()
            command.upgrade(cfg, "head")
            assert "map_views" in sa.inspect(conn).get_table_names()


def test_the_migration_adds_views_to_an_sqlite_atlas_made_before_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _atlas_before_views(url)
    _migrated_keeps_everything(url)


@pytest.mark.postgresql
def test_the_migration_adds_views_to_a_postgresql_atlas_made_before_them():
    with postgres_schema() as url:
        _atlas_before_views(url)
        _migrated_keeps_everything(url)


def test_the_schema_matches_the_tables(atlas):
    assert atlas.schema_differences() == []
    with atlas.engine.connect() as conn:
        assert "map_views" in sa.inspect(conn).get_table_names()


# -- in the browser ------------------------------------------------------------------------------------------------

STATE = "() => JSON.parse(JSON.stringify(window.ecotoneMap.state))"
SETTLED = "() => window.ecotoneMap.ready && !window.ecotoneMap.sigma.getCamera().isAnimated()"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo with its accounts, served on a free loopback port."""
    app = demo_app(tmp_path_factory.mktemp("views"))
    with live_server(app) as url:
        yield url, app


@pytest.mark.browser
def test_a_view_saved_on_the_map_opens_in_a_new_page_with_the_same_state(site, page, browser):  # noqa: F811
    url, app = site
    barcelona = app.state.atlas.hub_id("Barcelona Health Hub")
    sign_in(page, url, MANAGER)
    page.goto(f"{url}/?hub={barcelona}&colour=hub&size=pagerank")
    page.wait_for_function(SETTLED, timeout=30_000)
    key = page.evaluate("() => window.ecotoneMap.graph.nodes()[0]")
    page.evaluate("(key) => window.ecotoneMap.select(key)", key)
    page.wait_for_function("(key) => new URLSearchParams(location.search).get('selected') === key", arg=key)
    page.wait_for_function(SETTLED)
    state = page.evaluate(STATE)
    assert (str(state["hub"]), state["colour"], state["size"], state["selected"]) == \
        (str(barcelona), "hub", "pagerank", key)
    page.wait_for_selector("#map-views form")
    page.fill("#map-views input[name=name]", "Barcelona by hub")
    page.select_option("#map-views select[name=visibility]", "hub")
    page.select_option("#map-views select[name=hub_id]", str(barcelona))
    page.click("#map-views button[type=submit]")
    item = page.locator("#map-views li", has_text="Barcelona by hub")
    item.wait_for()
    assert "by you · Members of Barcelona Health Hub" in item.inner_text()
    saved = page.evaluate("() => window.ecotoneMap.viewQuery()")
    with page.context.expect_page() as opened:
        item.locator("a", has_text="Open").click(modifiers=["Control"])
    fresh = opened.value
    errors: list[str] = []
    fresh.on("pageerror", lambda e: errors.append(str(e)))
    fresh.wait_for_load_state()
    fresh.wait_for_function(SETTLED, timeout=30_000)
    assert fresh.url.split("?", 1)[1] == saved
    again = fresh.evaluate(STATE)
    camera, camera_again = state.pop("camera"), again.pop("camera")
    assert again == state
    assert all(abs(camera[k] - camera_again[k]) < 1e-3 for k in ("x", "y", "ratio", "angle")), (camera, camera_again)
    assert fresh.locator("#map-views li", has_text="Barcelona by hub").count() == 1
    assert not errors, errors
    # a visitor is told to sign in, and does not see a view shared with a hub
    visitor = browser.new_context().new_page()
    visitor.goto(url + "/")
    visitor.wait_for_selector("#map-views p.sign-in")
    visitor.wait_for_selector("#map-views-list p, #map-views-list ul")
    words = visitor.locator("#map-views").inner_text()
    assert "Sign in to save this view" in words and "Barcelona by hub" not in words
    visitor.context.close()

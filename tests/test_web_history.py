"""The registry from an actor's page and the map's card, in Chromium: a tie added from the card, a recommendation
acted on, a stale quick edit refused in words, and a change reverted from the history."""

import re

import httpx
import pytest

from conftest import bearer, live_server
from ecotone.domain import Introduction, Organization, Tie
from test_web import MANAGER, _map_ready, browser, demo_app, page, sign_in  # noqa: F401  (chromium, offline, CSP)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app = demo_app(tmp_path_factory.mktemp("history"))
    with live_server(app) as url:
        yield url, app.state.atlas


@pytest.mark.browser
def test_a_tie_added_from_the_maps_card_then_a_change_reverted_from_the_history(site, page, tmp_path):
    url, atlas = site
    org = atlas.find(Organization, search="Dycare").items[0]
    ties_before = atlas.count(Tie, organization=org.id)
    hospital = atlas.organization_id("Barcelona General Hospital")
    ties = atlas.find(Tie, organization=org.id, limit=None).items
    assert not any(hospital in (t.source_id, t.target_id) for t in ties)  # so the new tie is a new pair on the map
    # Signed in on a page whose address stays put; the map rewrites its own address with the view once it is drawn
    sign_in(page, url, MANAGER, f"/actors/{org.id}")
    page.click("header a.brand")
    _map_ready(page)
    page.wait_for_url(re.compile(r".*/\?(.*&)?colour=type(&.*)?$"))  # the map keeps its view in the address
    page.fill("#search", "Dycare")
    page.press("#search", "Enter")
    page.wait_for_selector("#card a:has-text('Add a tie')")
    page.wait_for_function("(id) => window.ecotoneMap.state.selected === id", arg=str(org.id))
    page.wait_for_url(re.compile(rf".*/\?(.*&)?selected={org.id}(&.*)?$"))  # and the selection with it
    page.screenshot(path=str(tmp_path / "01-card.png"), full_page=True)
    page.click("#card a:has-text('Add a tie')")
    page.wait_for_url(re.compile(r".*/records/ties/new\?source_id=\d+$"))
    page.wait_for_selector("#f-target_id")
    page.fill("#f-target_id", "Barcelona General Hospital")
    page.wait_for_selector("#f-target_id-picked:has-text('Chosen')")
    page.select_option("#f-kind", "clinical_pilot")
    page.click("#save")
    page.wait_for_url(re.compile(r".*/records/ties/\d+$"))
    page.screenshot(path=str(tmp_path / "02-tie.png"), full_page=True)
    assert atlas.count(Tie, organization=org.id) == ties_before + 1
    tie = atlas.get(Tie, int(page.url.rsplit("/", 1)[1]))
    assert tie.source_id == org.id and tie.source == f"{MANAGER} (web)"

    # Back twice (the tie's page, its form): the map reopens the view it left, the actor selected, the new tie on it
    page.go_back()
    page.wait_for_url(re.compile(r".*/records/ties/new\?source_id=\d+$"))
    page.go_back()
    page.wait_for_url(re.compile(rf".*/\?(.*&)?selected={org.id}(&.*)?$"))
    _map_ready(page)
    page.wait_for_selector(f"#card h2 a[href='/actors/{org.id}']")
    assert page.evaluate("window.ecotoneMap.state.selected") == str(org.id)
    page.wait_for_selector(f"#card p:has-text('{ties_before + 1} ties')")
    # the map asked the server again (Back must not redraw the map from the browser's cache of the old answer);
    # asserted at the end, so that the history's checks below run whatever this says
    drawn = page.evaluate("([a, b]) => window.ecotoneMap.graph.areNeighbors(a, b)", [str(org.id), str(hospital)])

    # A quick edit on the actor page, then reverted from its history
    page.goto(f"{url}/actors/{org.id}")
    before = atlas.get(Organization, org.id).description
    page.fill("#edit-form input[name=needs]", "regulatory advice, hospital pilots")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#saved:has-text('Saved.')")
    assert atlas.get(Organization, org.id).needs == ["regulatory advice", "hospital pilots"]
    page.reload()  # the profile says where the changed field's value came from, and only that one
    assert page.locator("dl.profile small.from").all_inner_texts() == [f"from {MANAGER} (web)"]
    page.wait_for_selector("#history td:has-text('needs:')")
    page.screenshot(path=str(tmp_path / "03-history.png"), full_page=True)
    page.once("dialog", lambda d: d.accept())
    page.locator("#history tbody tr").first.locator("button:has-text('Revert')").click()
    page.wait_for_selector("#history td:has-text('revert of change')")
    back = atlas.get(Organization, org.id)
    assert back.needs != ["regulatory advice", "hospital pilots"] and back.description == before
    assert "regulatory advice" not in page.locator("dl.profile").inner_text()  # the page shows the record as it is
    assert drawn, "back on the map, the tie just added was not drawn: the map's data came from the browser's cache"


@pytest.mark.browser
def test_a_stale_quick_edit_is_refused_in_words_and_a_recommendation_is_acted_on(site, page, tmp_path):
    url, atlas = site
    org = atlas.find(Organization, search="GlyCardial").items[0]
    sign_in(page, url, MANAGER, f"/actors/{org.id}")
    # Someone else changes the actor through the API after this page was opened
    with httpx.Client(base_url=url, headers=bearer(atlas, "curator@example.org", "admin")) as api:
        assert api.patch(f"/api/v1/organizations/{org.id}", json={"country": "PT"}).status_code == 200
    page.fill("#edit-form input[name=country]", "FR")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#problems:has-text('since you opened it')")
    assert "curator@example.org" in page.locator("#problems").inner_text()
    page.screenshot(path=str(tmp_path / "01-conflict.png"), full_page=True)
    assert atlas.get(Organization, org.id).country == "PT"  # nothing overwritten

    assert page.get_attribute("#rec-stage", "required") is not None  # no stage, no innovation: choose one
    page.select_option("#rec-stage", "prototype")
    page.click("#rec-form button[type=submit]")
    page.wait_for_selector("#recommendations button:has-text('Introduce')")
    intros = atlas.count(Introduction)
    n = page.evaluate("() => [...document.querySelectorAll('#recommendations tbody tr')]"
                      ".findIndex((tr) => tr.querySelector('button[data-act=introduce]'))")
    row = page.locator("#recommendations tbody tr").nth(n)
    partner = row.locator("td").nth(1).inner_text()
    row.locator("button:has-text('Introduce')").click()
    page.wait_for_selector("#recommendations a:has-text('Introduced')")
    assert atlas.count(Introduction) == intros + 1
    row.locator("button:has-text('Add tie')").click()
    page.wait_for_selector("#recommendations a:has-text('Tie proposed')")
    page.screenshot(path=str(tmp_path / "02-acted.png"), full_page=True)
    names = atlas.names("organization", [t.target_id for t in atlas.find(Tie, organization=org.id, limit=None).items])
    assert partner in names.values()


@pytest.mark.browser
def test_a_deleted_record_is_restored_from_its_kinds_list(site, page, tmp_path):
    url, atlas = site
    org = atlas.find(Organization, search="Acqustic").items[0]
    ties = atlas.count(Tie, organization=org.id)
    with httpx.Client(base_url=url, headers=bearer(atlas, "remover@example.org", "admin")) as api:
        assert api.delete(f"/api/v1/organizations/{org.id}").status_code == 204
    sign_in(page, url, MANAGER, "/records/organizations")
    page.wait_for_selector("#deleted td:has-text('Acqustic')")
    page.screenshot(path=str(tmp_path / "01-deleted.png"), full_page=True)
    page.once("dialog", lambda d: d.accept())
    page.locator("#deleted tbody tr", has_text="Acqustic").locator("button:has-text('Restore')").click()
    page.wait_for_function("() => !document.querySelector('#deleted') || "
                           "!document.querySelector('#deleted').textContent.includes('Acqustic')")
    assert atlas.get(Organization, org.id).name == "Acqustic"
    assert atlas.count(Tie, organization=org.id) == ties  # with what its deletion took


@pytest.mark.browser
def test_undoing_a_creation_from_the_history_says_it_deletes(site, page, tmp_path):
    url, atlas = site
    sign_in(page, url, MANAGER, "/records/organizations/new")
    page.fill("#f-name", "Short-lived startup")
    page.select_option("#f-type", "startup")
    page.wait_for_selector("#f-hub_id option:has-text('Barcelona Health Hub')", state="attached")
    page.select_option("#f-hub_id", label="Barcelona Health Hub")
    page.click("#save")
    page.wait_for_url(re.compile(r".*/records/organizations/\d+$"))
    record_id = int(page.url.rsplit("/", 1)[1])
    page.wait_for_selector("#history button:has-text('Undo creation')")
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.click("#history button:has-text('Undo creation')")
    page.wait_for_url(f"{url}/records/organizations")
    assert "DELETES the record" in asked[0]
    assert not atlas.find(Organization, search="Short-lived").items and record_id


@pytest.mark.browser
def test_an_edit_of_other_fields_meanwhile_is_kept_and_mine_saved(site, page, tmp_path):
    url, atlas = site
    org = atlas.find(Organization, search="500 Markets").items[0]
    sign_in(page, url, MANAGER, f"/records/organizations/{org.id}")
    page.wait_for_selector("#f-city")
    with httpx.Client(base_url=url, headers=bearer(atlas, "other@example.org", "admin")) as api:
        assert api.patch(f"/api/v1/organizations/{org.id}", json={"founded": 2019}).status_code == 200
    page.fill("#f-city", "Sabadell")
    page.click("#save")
    page.wait_for_selector("#status:has-text('meanwhile')")
    page.screenshot(path=str(tmp_path / "01-merged.png"), full_page=True)
    now = atlas.get(Organization, org.id)
    assert (now.city, now.founded) == ("Sabadell", 2019)  # theirs kept, mine saved
    assert page.locator("#conflict").is_hidden()


@pytest.mark.browser
def test_an_import_is_confirmed_then_undone_from_the_import_page(site, page, tmp_path):
    url, atlas = site
    good = tmp_path / "elements.csv"
    good.write_text("Label,Type\nUndoable Cardio Startup,startup\n", encoding="utf-8")
    sign_in(page, url, MANAGER, "/import")
    assert page.locator("a[href='/api/v1/exports/kumu']").count() == 1  # exports are offered here too
    page.set_input_files("#files", str(good))
    page.click("#preview")
    page.wait_for_selector("#outcome-title:has-text('Preview')")
    page.click("#confirm")
    page.wait_for_selector("#undo-box:not([hidden])")
    assert atlas.find(Organization, search="Undoable Cardio").total == 1
    page.once("dialog", lambda d: d.accept())
    page.click("#undo")
    page.wait_for_selector("#undone:has-text('Undone')")
    page.screenshot(path=str(tmp_path / "01-undone.png"), full_page=True)
    assert atlas.find(Organization, search="Undoable Cardio").total == 0

"""Keeping the registry from the browser: the forms API for every kind of record, and in a real browser (Debian's
chromium through Playwright) creating, editing, deleting and bulk-editing records, with duplicates, conflicts and
a viewer's refusal said in words. Each browser test keeps a screenshot of every page it passes in its tmp folder."""

import datetime as dt
import enum
import re
from typing import get_args, get_origin

import httpx
import pytest
from fastapi.testclient import TestClient

from conftest import bearer, live_server
from ecotone.api.schemas import plural
from ecotone.domain import ENTITIES, REFERENCES, Organization, Tie
from ecotone.services.forms import SHARING, WIDGETS
from ecotone.store.atlas import NotFound
from test_web import MANAGER, browser, demo_app, page, sign_in  # noqa: F401  (chromium, no network, no CSP refusal)

VIEWER = "viewer@tmc.example"


# -- the forms API ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = demo_app(tmp_path_factory.mktemp("forms"))
    with TestClient(app) as c:
        yield c, app.state.atlas


def _enum_of(annotation):
    """The vocabulary a field takes one value of (alone or optional; not a mapping's keys)."""
    if get_origin(annotation) in (dict, list):
        return None
    for arg in (annotation, *get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, enum.Enum):
            return arg
    return None


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_the_form_of_every_kind_describes_each_field(client, entity):
    c, _ = client
    cls = ENTITIES[entity]
    response = c.get(f"/api/v1/forms/{plural(entity)}")
    assert response.status_code == 200, response.text
    form = response.json()
    assert form["entity"] == entity and form["plural"] == plural(entity)
    fields = {f["name"]: f for f in form["fields"]}
    assert "id" not in fields
    assert sorted(fields) == sorted(n for n in cls.model_fields if n != "id")
    assert len(fields) == len(form["fields"])  # each field once
    assert [f["name"] for f in form["fields"] if f["group"] == SHARING] == ["owner_kind", "owner_id", "visibility",
                                                                           "source"]
    assert form["fields"][-4]["name"] == "owner_kind"  # the details first, then sharing and source
    for name, field in fields.items():
        model = cls.model_fields[name]
        assert field["widget"] in WIDGETS, (name, field["widget"])
        assert field["label"] and field["label"][0].isupper() and "_" not in field["label"], field["label"]
        assert field["required"] == model.is_required(), name
        vocabulary = _enum_of(model.annotation)
        if vocabulary is not None:
            assert field["widget"] == "choice"
            assert [c["value"] for c in field["choices"]] == [m.value for m in vocabulary], name
            assert all(c["label"] for c in field["choices"])
        if name in REFERENCES[entity]:
            assert field["widget"] == "reference" and field["reference"]["entity"] == REFERENCES[entity][name]
            assert field["reference"]["plural"] == plural(REFERENCES[entity][name])
            assert field["multiple"] == name.endswith("_ids")
        if field["default"] is not None and field["widget"] == "choice":
            assert field["default"] in [c["value"] for c in field["choices"]]
    assert fields["external_ids"]["widget"] == "key_value"
    assert fields["visibility"]["default"] == "network"
    assert set(fields["owner_id"]["reference"]["kinds"]) == {"organization", "hub"}
    for column in form["columns"]:
        assert column in fields
    for f in form["filters"]:  # every filter the list takes, each one the list API accepts
        value = {"choice": (f.get("choices") or [{}])[0].get("value"), "date": "2020-01-01",
                 "reference": "1"}.get(f["widget"], {"country": "ES", "organization": "1"}.get(f["name"], "a"))
        listed = c.get(f"/api/v1/{plural(entity)}", params={f["name"]: value})
        assert listed.status_code == 200, (f, listed.text)


def test_widgets_bounds_and_choices_follow_the_models(client):
    c, _ = client
    org = {f["name"]: f for f in c.get("/api/v1/forms/organizations").json()["fields"]}
    assert org["name"]["widget"] == "text" and org["name"]["bounds"] == {"min_length": 1, "max_length": 300}
    assert org["description"]["widget"] == "long_text"
    assert org["founded"]["widget"] == "whole_number" and org["founded"]["bounds"] == {"minimum": 1000, "maximum": 2100}
    assert org["latitude"]["widget"] == "number" and org["latitude"]["bounds"] == {"minimum": -90, "maximum": 90}
    assert org["tags"]["widget"] == "tags" and org["offers"]["widget"] == "tags"
    assert org["hub_id"]["reference"]["lookup"] == "select"
    assert {"value": "sme", "label": "SME"} in org["type"]["choices"]
    tie = {f["name"]: f for f in c.get("/api/v1/forms/ties").json()["fields"]}
    assert tie["source_id"]["reference"]["lookup"] == "search" and tie["directed"]["widget"] == "yes_no"
    assert tie["directed"]["default"] is True and tie["weight"]["bounds"] == {"above": 0}
    assert tie["start_date"]["widget"] == "date" and tie["kind"]["required"]
    deal = {f["name"]: f for f in c.get("/api/v1/forms/deals").json()["fields"]}
    assert deal["investor_ids"]["multiple"] and deal["investor_ids"]["reference"]["entity"] == "organization"
    partnership = {f["name"]: f for f in c.get("/api/v1/forms/partnerships").json()["fields"]}
    assert partnership["weights"]["widget"] == "key_value" and partnership["weights"]["values"] == "number"
    assert [k["value"] for k in partnership["weights"]["keys"]][0] == "strategic_alignment"
    rating = {f["name"]: f for f in c.get("/api/v1/forms/ratings").json()["fields"]}
    assert rating["question"]["widget"] == "choice" and rating["question"]["choices"][0]["value"] == "A1"
    assert rating["score"]["bounds"] == {"minimum": 1, "maximum": 5}
    form = c.get("/api/v1/forms/organizations").json()
    assert form["bulk"] == ["hub_id", "tags", "visibility", "stage"]
    assert [f["name"] for f in form["filters"]][:2] == ["search", "hub"]
    assert c.get("/api/v1/forms/kpi-actuals").json()["bulk"] == ["visibility"]
    assert c.get("/api/v1/forms/nothing").status_code == 404


def test_labels_name_only_what_the_caller_sees(client):
    c, atlas = client
    hidden = atlas.add(Organization(name="Quiet Diagnostics", type="startup", visibility="private"))
    shown = atlas.organization_id("Barcelona University Hospital")
    url = f"/api/v1/forms/organizations/labels?ids={shown},{hidden.id}"
    assert c.get(url).json() == {str(shown): "Barcelona University Hospital"}  # a visitor: public records only
    assert c.get(url, headers=bearer(atlas, "labels-admin@example.org")).json()[str(hidden.id)] == "Quiet Diagnostics"
    tie = atlas.find(Tie, limit=1).items[0]
    words = c.get(f"/api/v1/forms/ties/labels?ids={tie.id}").json()[str(tie.id)]
    assert "→" in words
    assert c.get("/api/v1/forms/hubs/labels?ids=1,x").status_code == 400


def test_the_pages_say_who_may_change_what(client):
    c, atlas = client
    page = c.get("/records")
    assert page.status_code == 200 and "Stage events" in page.text and "KPI actuals" in page.text
    assert "/records/organizations/new" not in page.text and "Sign in to change the registry" in page.text
    org = atlas.organization_id("Dycare")
    record = c.get(f"/records/organizations/{org}")
    assert record.status_code == 200 and 'id="record-form"' not in record.text and "<h1>Dycare</h1>" in record.text
    assert c.get("/records/organizations/999999").status_code == 404
    assert c.get("/records/nothing").status_code == 404
    hidden = atlas.add(Organization(name="Hidden Labs", type="startup", visibility="hub"))
    assert c.get(f"/records/organizations/{hidden.id}").status_code == 404  # as the API: hidden is absent
    assert c.get("/records/ties/new?source_id=12").status_code == 200
    innovation = c.get("/api/v1/innovations?limit=1").json()["data"][0]
    events = c.get(f"/records/stage-events?innovation={innovation['id']}")  # what a record's events link to
    assert events.status_code == 200 and f'>{innovation["name"]}</small>' in events.text


# -- in the browser --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo with its accounts, served on a free loopback port; yields its URL and the application's atlas."""
    app = demo_app(tmp_path_factory.mktemp("registry"))
    with live_server(app) as url:
        yield url, app.state.atlas


class Shots:
    """Screenshots of each page a test passes, numbered, in its tmp folder."""

    def __init__(self, page, folder):
        self.page, self.folder, self.n = page, folder, 0

    def __call__(self, name):
        self.n += 1
        path = self.folder / f"{self.n:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shot(page, tmp_path):
    return Shots(page, tmp_path)


def _created(page, url, kind):
    page.wait_for_url(re.compile(rf"{re.escape(url)}/records/{kind}/\d+$"))
    page.wait_for_selector("#note:has-text('Created')")
    return int(page.url.rsplit("/", 1)[1])


def _pick(page, field, name):
    """Type part of a record's name into a search-as-you-type field and wait for it to be chosen."""
    page.fill(f"#f-{field}", name)
    page.wait_for_selector(f"#f-{field}-picked:has-text('Chosen')")


@pytest.mark.browser
def test_a_manager_creates_an_organisation_and_a_duplicate_only_on_the_second_press(site, page, shot):
    url, atlas = site
    sign_in(page, url, MANAGER, "/records")
    assert page.locator("a[href='/records/organizations/new']").count() == 1
    shot("registry")
    page.click("a[href='/records/organizations/new']")
    page.wait_for_selector("#f-name")
    shot("new-organisation")
    page.fill("#f-name", "Kardiolytics")
    page.select_option("#f-type", "startup")
    page.wait_for_selector("#f-hub_id option:has-text('Barcelona Health Hub')", state="attached")
    page.select_option("#f-hub_id", label="Barcelona Health Hub")
    page.fill("#f-tags", "cardiology, ai")
    page.fill("#f-founded", "20")  # out of bounds: said next to the field, in words
    page.click("#save")
    page.wait_for_selector("#f-founded-error:has-text('at least 1000')")
    assert "f-founded-error" in page.get_attribute("#f-founded", "aria-describedby")
    shot("field-error")
    page.fill("#f-founded", "2021")
    page.click("#save")
    first = _created(page, url, "organizations")
    shot("created")
    made = atlas.get(Organization, first)
    assert (made.name, made.type.value, made.tags, made.founded) == ("Kardiolytics", "startup", ["cardiology", "ai"], 2021)
    assert made.hub_id == atlas.hub_id("Barcelona Health Hub")
    page.goto(f"{url}/records/organizations/new")
    page.fill("#f-name", "KARDIOLYTICS S.L.")
    page.select_option("#f-type", "startup")
    page.wait_for_selector("#f-hub_id option:has-text('Barcelona Health Hub')", state="attached")
    page.select_option("#f-hub_id", label="Barcelona Health Hub")
    page.click("#save")
    page.wait_for_selector("#f-name-error:has-text('press Create again')")
    error = page.locator("#f-name-error")
    assert "Kardiolytics is already in this hub" in error.inner_text()
    assert error.locator("a").get_attribute("href") == f"/records/organizations/{first}"
    shot("duplicate")
    assert atlas.count(Organization, search="kardiolytics") == 1  # refused: nothing added yet
    page.click("#save")
    second = _created(page, url, "organizations")
    assert second != first and atlas.count(Organization, search="kardiolytics") == 2
    page.fill("#f-name", "Dycare")  # renamed onto another actor of the hub: asked the same way
    page.click("#save")
    page.wait_for_selector("#f-name-error:has-text('press Save again to keep it anyway')")
    assert atlas.get(Organization, second).name == "KARDIOLYTICS S.L."
    page.click("#save")
    page.wait_for_selector("#status:has-text('Saved')")
    assert atlas.get(Organization, second).name == "Dycare"


@pytest.mark.browser
def test_a_stale_edit_is_refused_in_words_and_overwrites_nothing(site, page, shot):
    url, atlas = site
    org = atlas.organization_id("Barcelona Dermacare")
    sign_in(page, url, MANAGER, f"/records/organizations/{org}")
    page.wait_for_selector("#f-description")
    page.wait_for_selector("#f-name-from:has-text('from')")  # where each value came from, in small print
    page.wait_for_selector("#history table")
    shot("record")
    other = bearer(atlas, "curator@example.org", "admin")
    response = httpx.patch(f"{url}/api/v1/organizations/{org}", headers=other,
                           json={"description": "Skin imaging, as the curator wrote it"})
    assert response.status_code == 200, response.text
    page.fill("#f-description", "Dermatology AI, as the manager wrote it")
    page.click("#save")
    page.wait_for_selector("#conflict:has-text('since you opened it')")
    text = page.locator("#conflict").inner_text()
    assert "Changed by curator@example.org" in text and "Nothing was saved" in text
    assert "Skin imaging, as the curator wrote it" in text  # theirs beside mine
    shot("conflict")
    assert atlas.get(Organization, org).description == "Skin imaging, as the curator wrote it"
    page.click("#save-mine")
    page.wait_for_selector("#status:has-text('Saved')")
    assert atlas.get(Organization, org).description == "Dermatology AI, as the manager wrote it"
    page.wait_for_selector("#history tbody tr:has-text('Dermatology AI')")
    # Load their version: another change of the same field meanwhile, and this time the manager takes theirs
    httpx.patch(f"{url}/api/v1/organizations/{org}", headers=other,
                json={"website": "https://dermacare.example", "short_name": "BDC"})
    page.fill("#f-short_name", "Dermacare")
    page.click("#save")
    page.wait_for_selector("#conflict:has-text('since you opened it')")
    page.click("#load-theirs")
    page.wait_for_selector("#status:has-text('Loaded their version')")
    assert page.input_value("#f-website") == "https://dermacare.example" and page.input_value("#f-short_name") == "BDC"
    assert atlas.get(Organization, org).short_name == "BDC"
    shot("loaded-theirs")


@pytest.mark.browser
def test_deleting_asks_first_and_says_what_goes_with_the_record(site, page, shot):
    url, atlas = site
    hub = atlas.hub_id("Barcelona Health Hub")
    doomed = atlas.add(Organization(name="Short-lived Medtech", type="startup", hub_id=hub))
    partner = atlas.organization_id("Barcelona University Hospital")
    atlas.add(Tie(source_id=doomed.id, target_id=partner, kind="clinical_pilot"))
    sign_in(page, url, MANAGER, f"/records/organizations/{doomed.id}")
    page.wait_for_selector("#f-name")
    page.click("#delete")
    page.wait_for_selector("#confirm-summary:has-text('also deletes 1 tie')")
    assert page.locator("dialog#confirm-delete").is_visible()
    shot("confirm-delete")
    page.click("#confirm-no")  # kept
    assert not page.locator("dialog#confirm-delete").is_visible()
    assert atlas.get(Organization, doomed.id).name == "Short-lived Medtech"
    page.click("#delete")
    page.wait_for_selector("#confirm-summary:has-text('also deletes 1 tie')")
    page.click("#confirm-yes")
    page.wait_for_url(f"{url}/records/organizations")
    page.wait_for_selector("#note:has-text('Deleted Short-lived Medtech — its history can restore it')")
    shot("deleted")
    with pytest.raises(NotFound):
        atlas.get(Organization, doomed.id)


@pytest.mark.browser
def test_every_kind_is_created_through_its_form(site, page, shot):
    url, atlas = site
    hospital = atlas.organization_id("Barcelona University Hospital")
    startup = atlas.organization_id("Barcelona Cardiarobotics")
    sign_in(page, url, MANAGER, "/records")
    made = {}

    def new(kind, query=""):
        page.goto(f"{url}/records/{kind}/new{query}")
        page.wait_for_selector("#fields fieldset")

    def select(field, label):
        page.wait_for_selector(f"#f-{field} option:has-text('{label}')", state="attached")
        page.select_option(f"#f-{field}", label=label)

    def create(kind):
        shot(f"new-{kind}")
        page.click("#save")
        made[kind] = _created(page, url, kind)
        shot(f"made-{kind}")

    new("hubs")
    page.fill("#f-name", "Girona Health Cluster")
    page.fill("#f-city", "Girona")
    page.fill("#f-country", "es")
    page.select_option("#f-kind", "cluster")
    create("hubs")
    new("people", f"?organization_id={hospital}")
    page.wait_for_selector("#f-organization_id-picked:has-text('Chosen')")
    assert page.input_value("#f-organization_id") == "Barcelona University Hospital"
    page.fill("#f-name", "Dr. Laia Puig")
    page.fill("#f-role", "cardiologist")
    create("people")
    new("ties", f"?source_id={hospital}")
    page.wait_for_selector("#f-source_id-picked:has-text('Chosen')")
    _pick(page, "target_id", "Barcelona Cardiarobotics")
    page.select_option("#f-kind", "clinical_pilot")
    page.fill("#f-start_date", "2025-03-01")
    create("ties")
    new("innovations", f"?organization_id={startup}")
    page.wait_for_selector("#f-organization_id-picked:has-text('Chosen')")
    page.fill("#f-name", "CardioArm")
    page.select_option("#f-stage", "prototype")
    create("innovations")
    new("stage-events", f"?innovation_id={made['innovations']}")
    page.wait_for_selector("#f-innovation_id-picked:has-text('Chosen')")
    page.select_option("#f-stage", "clinical_validation")
    page.fill("#f-date", "2025-06-01")
    create("stage-events")
    new("deals")
    _pick(page, "recipient_id", "Barcelona Cardiarobotics")
    page.fill("#f-investor_ids", "Barcelona Health Ventures")
    page.wait_for_selector("#f-investor_ids-list option", state="attached")
    page.click("button[aria-label='Add to Investors']")
    page.wait_for_selector("#f-investor_ids-picked:has-text('1 chosen')")
    page.fill("#f-amount", "1500000")
    page.fill("#f-date", "2025-05-10")
    page.select_option("#f-round_type", "seed")
    create("deals")
    new("programs")
    page.fill("#f-name", "Barcelona Cardio Accelerator 2026")
    page.select_option("#f-kind", "accelerator")
    select("hub_id", "Barcelona Health Hub")
    create("programs")
    new("participations", f"?program_id={made['programs']}")
    _pick(page, "organization_id", "Barcelona Cardiarobotics")
    page.fill("#f-role", "participant")
    create("participations")
    new("clinical-needs")
    page.fill("#f-problem", "detect heart failure decompensation early")
    page.fill("#f-population", "patients discharged after heart failure")
    page.fill("#f-outcome", "avoid readmissions")
    select("hub_id", "Barcelona Health Hub")
    create("clinical-needs")
    new("partnerships")
    page.fill("#f-name", "CardioArm hospital pilot")
    for name in ("Barcelona University Hospital", "Barcelona Cardiarobotics"):
        page.fill("#f-organization_ids", name)
        page.wait_for_selector(f"#f-organization_ids-list option[value='{name}']", state="attached")
        page.press("#f-organization_ids", "Enter")
    page.wait_for_selector("#f-organization_ids-picked:has-text('2 chosen')")
    page.fill("#f-weights", "strategic_alignment: 2\ncultural_fit: 1")
    create("partnerships")
    new("assessments", f"?partnership_id={made['partnerships']}")
    page.fill("#f-evaluator", "Barcelona hub manager")
    page.fill("#f-date", "2026-01-15")
    create("assessments")
    new("ratings", f"?assessment_id={made['assessments']}")
    page.select_option("#f-question", "C1")
    page.fill("#f-score", "4")
    create("ratings")
    new("kpis", f"?partnership_id={made['partnerships']}")
    page.fill("#f-name", "patients enrolled")
    page.fill("#f-target", "120")
    page.fill("#f-due_date", "2026-12-31")
    create("kpis")
    new("kpi-actuals", f"?kpi_id={made['kpis']}")
    page.wait_for_selector("#f-kpi_id-picked:has-text('Chosen')")
    page.fill("#f-date", "2026-03-31")
    page.fill("#f-value", "35")
    create("kpi-actuals")
    new("introductions", f"?organization_id={startup}")
    _pick(page, "partner_id", "Barcelona University Hospital")
    page.fill("#f-introduced_on", "2025-01-20")
    page.fill("#f-met_on", "2025-02-03")
    create("introductions")
    from ecotone.domain import (Assessment, ClinicalNeed, Deal, Hub, Innovation, Introduction, Kpi, KpiActual,
                                Participation, Partnership, Person, Program, Rating, StageEvent)
    assert atlas.get(Hub, made["hubs"]).country == "ES"
    assert atlas.get(Person, made["people"]).organization_id == hospital
    assert atlas.get(Tie, made["ties"]).target_id == startup
    assert atlas.get(StageEvent, made["stage-events"]).innovation_id == made["innovations"]
    assert atlas.get(Innovation, made["innovations"]).organization_id == startup
    deal = atlas.get(Deal, made["deals"])
    assert deal.investor_ids == [atlas.organization_id("Barcelona Health Ventures")] and deal.amount == 1_500_000
    assert atlas.get(Participation, made["participations"]).program_id == made["programs"]
    assert atlas.get(Program, made["programs"]).hub_id == atlas.hub_id("Barcelona Health Hub")
    assert atlas.get(ClinicalNeed, made["clinical-needs"]).outcome == "avoid readmissions"
    partnership = atlas.get(Partnership, made["partnerships"])
    assert partnership.organization_ids == [hospital, startup]
    assert {k.value: v for k, v in partnership.weights.items()} == {"strategic_alignment": 2, "cultural_fit": 1}
    assert atlas.get(Assessment, made["assessments"]).date == dt.date(2026, 1, 15)
    assert atlas.get(Rating, made["ratings"]).score == 4
    assert atlas.get(Kpi, made["kpis"]).target == 120
    assert atlas.get(KpiActual, made["kpi-actuals"]).value == 35
    assert atlas.get(Introduction, made["introductions"]).reached == "meeting"


@pytest.mark.browser
def test_bulk_edit_adds_a_tag_to_three_rows_of_a_filtered_list(site, page, shot):
    url, atlas = site
    hub = atlas.hub_id("Barcelona Health Hub")
    sign_in(page, url, MANAGER, "/records")
    page.goto(f"{url}/records/organizations?hub={hub}&type=startup")
    page.wait_for_selector("#records tbody tr")
    assert page.locator("#filters select[name=type]").input_value() == "startup"
    shot("filtered-list")
    boxes = page.locator("#records .pick-row")
    ids = [int(boxes.nth(i).get_attribute("value")) for i in range(3)]
    for i in range(3):
        boxes.nth(i).check()
    page.wait_for_selector("#bulk-count:has-text('3 organisations selected')")
    page.select_option("#bulk-action", "add_tag")
    page.fill("#bulk input[name=tag]", "cardio-cohort-2026")
    shot("bulk-ready")
    page.click("#bulk-apply")
    page.wait_for_selector("#note:has-text('Changed 3 organisations')")
    shot("bulk-done")
    for record_id in ids:
        record = atlas.get(Organization, record_id)
        assert "cardio-cohort-2026" in record.tags and record.type.value == "startup"
    page.fill("#filters input[name=tag]", "cardio-cohort-2026")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#range:has-text('of 3 organisations')")
    assert "tag=cardio-cohort-2026" in page.url  # the filters are in the address, to come back to
    page.locator("#pick-all").check()
    page.select_option("#bulk-action", "remove_tag")
    page.fill("#bulk input[name=tag]", "cardio-cohort-2026")
    page.click("#bulk-apply")
    page.wait_for_selector("#note:has-text('Changed 3 organisations')")
    assert all("cardio-cohort-2026" not in atlas.get(Organization, i).tags for i in ids)


@pytest.mark.browser
def test_a_viewer_sees_no_edit_controls_and_is_told_why(site, page, shot):
    url, atlas = site
    sign_in(page, url, VIEWER, "/records")
    why = "may read the atlas but not change it"
    assert why in page.locator("#cannot").inner_text()
    assert page.locator("a:has-text('New')").count() == 0
    shot("viewer-registry")
    page.goto(f"{url}/records/organizations")
    page.wait_for_selector("#records tbody tr")
    assert page.locator("#records input[type=checkbox]").count() == 0 and page.locator("#bulk").count() == 0
    assert why in page.locator("#cannot").inner_text()
    shot("viewer-list")
    org = atlas.organization_id("Texas Medical Center")
    page.goto(f"{url}/records/organizations/{org}")
    page.wait_for_selector("dl.record-view dd")
    assert page.locator("main input, main select, main textarea, #save, #delete").count() == 0
    assert why in page.locator("#cannot").inner_text()
    assert "hub operator" in page.locator("dl.record-view").first.inner_text()
    shot("viewer-record")
    page.goto(f"{url}/records/ties/new?source_id={org}")
    assert page.locator("#record-form").count() == 0 and why in page.locator("#cannot").inner_text()

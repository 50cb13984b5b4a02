"""A judge in a real browser (Debian's chromium through Playwright): signs in, scores on the challenge's form (the
submission they are conflicted with greyed, with the reason), and the results page shows the winner."""

import datetime as dt

import pytest

from conftest import PASSWORD, live_server
from ecotone.domain import Innovation, Organization
from ecotone.services import challenges as ch
from ecotone.services.accounts import add_user
from test_web import browser, demo_app, page, sign_in  # noqa: F401  (chromium, no network, no CSP refusal)

pytestmark = pytest.mark.browser
JUDGE = "judge@barcelonahealthhub.example"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo with its accounts, an open challenge with two submissions, a judge account and a second judge's
    scores; served on a free loopback port."""
    app = demo_app(tmp_path_factory.mktemp("challenges"))
    atlas = app.state.atlas
    bcn = atlas.hub_id("Barcelona Health Hub")
    startups = [o for o in atlas.find(Organization, hub=bcn, type="startup", limit=None).items
                if atlas.find(Innovation, organization=o.id).total][:2]
    today = dt.date.today()
    program = ch.add(atlas, {"name": "Falls at home challenge", "hub": bcn, "sponsor": "La Caixa",
                             "start_date": today - dt.timedelta(days=20), "closes_on": today - dt.timedelta(days=1),
                             "judged_by": today + dt.timedelta(days=20), "rubric": {"impact": 2, "feasibility": 1},
                             "eligibility": "startups", "visibility": "public"})
    first, second = (ch.submit(atlas, program.id, organization=o.id, title=f"{o.name} proposal",
                               submitted_on=today - dt.timedelta(days=5)) for o in startups)
    add_user(atlas, JUDGE, name="Judge", role="viewer", password=PASSWORD, hubs=["Barcelona Health Hub"])
    ch.add_judge(atlas, program.id, name="Dr. Ana Ferrer", user=JUDGE, conflicts=[startups[1].id])
    ch.add_judge(atlas, program.id, name="Mr. Pau Serra")
    ch.score(atlas, program.id, [{"judge": "Mr. Pau Serra", "submission": s.id, "criterion": c, "value": v}
                                 for s, c, v in [(first, "impact", 9), (first, "feasibility", 8),
                                                 (second, "impact", 4), (second, "feasibility", 5)]])
    with live_server(app) as url:
        yield url, atlas, program, first, second, startups


def test_a_judge_scores_on_the_form_and_the_results_show_the_winner(site, page):
    url, atlas, program, first, second, startups = site
    sign_in(page, url, JUDGE, f"/challenges/{program.id}")
    page.wait_for_selector("#submissions table")
    assert "Falls at home challenge" in page.locator("h1").inner_text()
    page.click("text=Score the submissions")
    page.wait_for_selector("table.scoring")
    conflicted = page.locator(f"tr[data-submission='{second.id}']")
    assert "conflicted" in conflicted.get_attribute("class")
    assert f"Dr. Ana Ferrer declared a conflict with {startups[1].name}" in conflicted.inner_text()
    assert conflicted.locator("input").first.is_disabled()
    page.fill(f"input[data-submission='{first.id}'][data-criterion='impact']", "7")
    page.fill(f"input[data-submission='{first.id}'][data-criterion='feasibility']", "6.5")
    page.click("button:has-text('Save the scores')")
    page.wait_for_selector("#saved:has-text('Saved 2 scores')")
    ferrer = next(j for j in atlas.find(ch.Judge, limit=None).items if j.name == "Dr. Ana Ferrer")
    saved = {(s.criterion, s.value) for s in atlas.find(ch.Score, limit=None).items
             if s.submission_id == first.id and s.judge_id == ferrer.id}
    assert saved == {("impact", 7.0), ("feasibility", 6.5)}
    page.goto(f"{url}/challenges/{program.id}/results")
    page.wait_for_selector("#ranking table")
    figures = page.locator("#figures").inner_text()
    assert f"{first.title} ({startups[0].name})" in figures
    first_row = page.locator("#ranking tbody tr").first.inner_text()
    assert first.title in first_row and "yes" in first_row
    assert "declared a conflict with" in page.locator("#excluded").inner_text()


def test_a_visitor_on_the_scoring_page_is_told_to_sign_in_not_shown_an_error(site, page):
    url, atlas, program, *_ = site
    page.goto(f"{url}/challenges/{program.id}/score")
    note = page.locator("#not-a-judge")
    note.wait_for()
    assert "sign in to open your scoring form" in note.inner_text()
    page.wait_for_load_state("networkidle")
    assert page.locator("table.scoring").count() == 0 and page.locator("#score-form").count() == 0
    assert page.locator("#problems").inner_text().strip() == ""  # no refused request shown as a problem

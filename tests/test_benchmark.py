"""Hub benchmarking: indicators from the atlas, the index with rank intervals and reasons, over time, the
published top five against ours, on the demo and on CORDIS cities, through the service, the CLI, the API and the
page (both backends)."""

import json
import math

import pytest
from fastapi.testclient import TestClient

from conftest import bearer
from test_web import browser, page, server  # noqa: F401  (chromium, live demo)
from ecotone.api import create_app
from ecotone.domain import Deal, Hub, Organization, Tie
from ecotone.domain.problems import InputRejected
from ecotone.services.benchmark import EUR_RATES, PUBLISHED_RANKING, benchmark, indicator_table, over_time

PROBLEM = "application/problem+json"


def _ranked_with_reasons(rows):
    for row in rows:
        assert row["rank_low"] <= row["rank"] <= row["rank_high"], row
        assert row["reasons"].startswith("strongest in "), row
        assert 0 <= row["score"] <= 100 and 0 < row["coverage"] <= 1


def test_every_demo_hub_is_ranked_with_an_interval_holding_its_rank_and_reasons(demo_atlas):
    result = benchmark(demo_atlas, draws=300)
    rows = result.tables["ranking"]
    hubs = {h["name"] for h in demo_atlas.frame("hub", ["name"]).to_dict("records")}
    assert {r["group"] for r in rows} == hubs
    assert sorted(r["rank"] for r in rows) == list(range(1, len(hubs) + 1))
    _ranked_with_reasons(rows)
    assert any(r["rank_high"] > r["rank_low"] for r in rows), "the draws move no rank at all"
    assert any(r["strengths"] for r in rows) and any(r["weaknesses"] for r in rows)
    # the contributions add up to the score (arithmetic aggregation)
    score = {r["group"]: r["score"] for r in rows}
    for c in result.tables["contributions"]:
        assert sum(v for k, v in c.items() if k != "group") == pytest.approx(score[c["group"]], abs=1e-6)
    coverage = {r["indicator"]: r["coverage"] for r in result.tables["indicators"]}
    assert coverage["support_actors_per_100_actors"] == 1.0 and coverage["grant_funding_per_actor"] == 0.0
    # Biocat's five, in the published order, each against ours with the pillars that explain the difference
    published = result.tables["published"]
    assert [p["hub"] for p in published] == list(PUBLISHED_RANKING["hubs"])
    assert sorted(p["our_rank_among_them"] for p in published) == [1, 2, 3, 4, 5]
    assert all(p["why"].startswith("against ") and ("ahead in" in p["why"]) for p in published)


def test_one_hub_is_decomposed_pillar_by_pillar(demo_atlas):
    result = benchmark(demo_atlas, hub="berlin", draws=100, weights="performance=2")
    [row] = result.tables["ranking"]
    assert row["group"] == "Berlin" and result.summary["hub"] == "Berlin"
    parts = result.tables["decomposition"]
    assert {p["pillar"] for p in parts} >= {"performance", "talent_pipeline", "connectedness"}
    assert sum(p["contribution"] for p in parts) == pytest.approx(row["score"], abs=1e-6)
    assert result.summary["weights"]["performance"] == 2.0
    with pytest.raises(InputRejected, match="no hub 'Atlantis'"):
        benchmark(demo_atlas, hub="Atlantis", draws=0)


def test_hub_wide_aggregates_never_count_as_funding(demo_atlas):
    barcelona = demo_atlas.hub_id("Barcelona Health Hub")
    before, _, _ = indicator_table(demo_atlas)
    deals = demo_atlas.frame("deal", ["recipient_id", "amount", "currency", "round_type"])
    orgs = demo_atlas.frame("organization", ["hub_id"]).set_index("id")["hub_id"]
    members = int((orgs == barcelona).sum())
    rounds = deals[(deals["round_type"] != "aggregate") & (deals["recipient_id"].map(orgs) == barcelona)]
    expected = float((rounds["amount"] * rounds["currency"].map(EUR_RATES)).sum()) / members
    assert before.loc["Barcelona Health Hub", "round_funding_per_actor"] == pytest.approx(expected)
    assert before.loc["Barcelona Health Hub", "deals_per_100_actors"] == pytest.approx(100 * len(rounds) / members)
    demo_atlas.add(Deal(hub_id=barcelona, amount=5e12, round_type="aggregate", date="2020-01-01"))
    after, _, _ = indicator_table(demo_atlas)
    assert after.loc["Barcelona Health Hub", "round_funding_per_actor"] == pytest.approx(expected)
    assert after.loc["Barcelona Health Hub", "deals_per_100_actors"] == before.loc["Barcelona Health Hub",
                                                                                   "deals_per_100_actors"]


def test_missing_is_nan_and_counts_over_actors_are_zero(atlas):
    atlas.add_all([Hub(name="BCN", city="Barcelona", country="ES"), Hub(name="WAW", city="Warsaw", country="PL")])
    atlas.add_all([Organization(name="Clínic", type="hospital", hub_id=1), Organization(name="UB", type="university",
                                                                                         hub_id=1),
                   Organization(name="AEMPS", type="regulator", hub_id=1),
                   Organization(name="Kardio", type="startup", hub_id=2)])
    atlas.add_all([Tie(source_id=4, target_id=1, kind="clinical_pilot", start_date="2020-03-01"),
                   Tie(source_id=3, target_id=4, kind="regulatory_advice", start_date="2022-01-01")])
    atlas.add(Deal(recipient_id=4, amount=1_000_000, currency="EUR", round_type="seed", date="2021-05-01"))
    values, indicators, coverage = indicator_table(atlas)
    assert list(values.columns) == [i.name for i in indicators]
    assert values.loc["BCN", "regulatory_actors"] == 1 and values.loc["WAW", "regulatory_actors"] == 0
    assert values.loc["WAW", "round_funding_per_actor"] == 1_000_000
    assert math.isnan(values.loc["BCN", "deals_per_100_actors"])  # no round recorded there: missing, not 0
    assert values.loc["WAW", "cross_group_ties_per_actor"] == 2.0
    assert values.loc["BCN", "regulatory_ties_per_100_actors"] == pytest.approx(100 / 3)
    by_year, _, _ = indicator_table(atlas, year=2020)  # the tie of 2022 and the round of 2021 come later
    assert by_year.loc["WAW", "cross_group_ties_per_actor"] == 1.0
    assert math.isnan(by_year.loc["WAW", "deals_per_100_actors"])
    by_country, _, _ = indicator_table(atlas, group_by="country", min_actors=1)  # a handful of actors each
    assert list(by_country.index) == ["ES", "PL"]
    by_region, _, _ = indicator_table(atlas, group_by="region", min_actors=1)
    assert list(by_region.index) == ["Eastern Europe", "Southern Europe"]
    result = over_time(atlas)
    assert {r["year"] for r in result.tables["over_time"]} == {2020, 2021, 2022}


def test_cordis_cities_are_ranked_with_intervals(cordis_atlas):
    result = benchmark(cordis_atlas, group_by="city", draws=200)
    rows = result.tables["ranking"]
    cities = {r["group"]: r["actors"] for r in rows}
    written = cordis_atlas.frame("organization", ["city"])["city"].dropna().str.upper().str.strip()
    # CORDIS writes one city many ways: its postal districts, CEDEX and languages fold into one group
    assert cities["Copenhagen"] == written.str.match(r"^(KOBENHAVN|KOEBENHAVN|COPENHAGEN)\b").sum() > 12
    assert cities["Paris"] == written.str.match(r"^PARIS( CEDEX.*)?$").sum() > 47
    assert cities["Brussels"] == written.isin(["BRUSSEL", "BRUXELLES", "BRUSSELS"]).sum()
    assert cities["Munich"] == written.isin(["MUENCHEN", "MUNCHEN", "MUNICH"]).sum()
    assert not [c for c in cities if "Cedex" in c or c[-1].isdigit() or c.isupper()]
    # a town of one organisation does not lead: by city, groups under five actors are left out, and said so
    assert min(cities.values()) >= 5 and len(rows) > 50 and {"Madrid", "Barcelona", "Helsinki"} <= set(cities)
    assert any("fewer than 5 actors left out" in n for n in result.notes["notes"])
    _ranked_with_reasons(rows)
    coverage = {r["indicator"]: r["coverage"] for r in result.tables["indicators"]}
    assert coverage["grant_funding_per_actor"] > 0.9 and coverage["brokerage_per_actor"] > 0.9
    assert coverage["deals_per_100_actors"] == 0  # CORDIS has no rounds: missing everywhere, never 0
    assert result.tables["published"] == []


def test_a_city_name_two_countries_share_is_told_apart_by_country(atlas):
    atlas.add_all([Organization(name=f"{name} {i}", type="university", city=city, country=country)
                   for name, city, country in (("Trinity", "CAMBRIDGE", "UK"), ("MIT", "Cambridge", "US"),
                                               ("Ensam", "PARIS CEDEX 13", "FR"), ("Inserm", "Paris", "FR"))
                   for i in range(2)])
    values, _, _ = indicator_table(atlas, group_by="city", min_actors=1)
    assert sorted(values.index) == ["Cambridge (UK)", "Cambridge (US)", "Paris"]
    with pytest.raises(InputRejected, match="no city here has 5 actors or more: the largest, Paris, has 4"):  # the default minimum by city
        indicator_table(atlas, group_by="city")


def test_weights_naming_no_pillar_are_refused_in_words(demo_atlas):
    with pytest.raises(InputRejected) as caught:
        benchmark(demo_atlas, weights="speed=2,performance=x", draws=0)
    text = " ".join(str(p) for p in caught.value.problems)
    assert "'speed' is not a pillar" in text and "collaborative_infrastructure" in text
    assert "must be a number" in text
    with pytest.raises(InputRejected) as typo:
        benchmark(demo_atlas, hub="Barcelna", draws=0)
    assert "did you mean 'Barcelona Health Hub'?" in typo.value.problems[0].hint
    assert typo.value.problems[0].hint.endswith("… and 1 more")  # 13 hubs, 12 listed


def test_the_command_line_ranks_in_json_and_names_a_bad_pillar(cli):
    assert cli("demo")[0] == 0
    code, out, err = cli("benchmark", "--draws", "100", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert {"summary", "ranking", "pillars", "contributions", "indicators", "levers", "published"} <= set(data)
    assert len(data["ranking"]) == data["summary"]["groups"] == 13
    code, out, err = cli("benchmark", "--hub", "Berlin", "--draws", "50")
    assert code == 0 and "Where the score comes from" in out and "Berlin" in out
    code, out, err = cli("benchmark", "--weights", "talent=3", "--draws", "0")
    assert code == 1 and "'talent' is not a pillar" in out + err and "talent_pipeline" in out + err
    code, out, err = cli("benchmark", "--over-time", "--format", "json")
    assert code == 0 and json.loads(out)["over_time"]


def test_the_api_ranks_what_the_caller_sees_and_refuses_a_bad_weight(demo_atlas):
    app = create_app(atlas=demo_atlas)
    with TestClient(app, headers=bearer(demo_atlas)) as admin, TestClient(app) as anonymous:
        response = admin.get("/api/v1/benchmark", params={"draws": 100, "weights": "performance=2"})
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["summary"]["groups"] == len(data["ranking"]) == 13
        assert set(data["ranking"][0]) >= {"group", "rank", "rank_low", "rank_high", "score", "coverage",
                                           "strengths", "weaknesses", "levers", "reasons"}
        seen = anonymous.get("/api/v1/benchmark", params={"draws": 0})
        assert seen.status_code == 200
        people = {r["group"]: r["people_per_actor"] for r in data["values"]}
        for row in seen.json()["values"]:  # an anonymous caller sees no more people than the admin
            assert (row["people_per_actor"] or 0) <= (people[row["group"]] or 0) + 1e-9
        bad = admin.get("/api/v1/benchmark", params={"weights": "speed=2"})
        assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
        assert "'speed' is not a pillar" in bad.json()["detail"]
        assert admin.get("/api/v1/benchmark", params={"group_by": "planet"}).status_code == 422
        over = admin.get("/api/v1/benchmark", params={"over_time": "true"})
        assert over.status_code == 200 and over.json()["over_time"]


@pytest.mark.browser
def test_the_page_shows_the_ranking_with_intervals_and_no_console_error(server, page):
    url, atlas = server
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/benchmark")
    page.wait_for_function("() => window.ecotoneBenchmark && window.ecotoneBenchmark.ready", timeout=60_000)
    groups = page.evaluate("() => window.ecotoneBenchmark.groups")
    assert len(groups) == 13 and "Barcelona Health Hub" in groups
    assert page.locator("#ranks-chart svg.marks").count() == 1 and page.locator("#contributions-chart svg.marks").count() == 1
    assert page.locator("#over-time-chart svg.marks").count() == 1
    rows = page.locator("#ranking tbody tr")
    assert rows.count() == 13
    first = rows.nth(0).inner_text()
    assert groups[0] in first and "–" in first  # the rank interval, low–high
    assert "Collaborative infrastructure" in page.locator("#indicators").inner_text()
    assert page.locator("#published tbody tr").count() == 5
    # the controls re-rank on the server: a geometric index by countries
    page.select_option("select[name=group_by]", "country")
    page.select_option("select[name=aggregation]", "geometric")
    page.click("button:has-text('Rank')")
    page.wait_for_function("() => window.ecotoneBenchmark.ready && window.ecotoneBenchmark.groups.includes('ES')",
                           timeout=60_000)
    assert "ES" in page.locator("#ranking").inner_text()
    page.fill("input[name='w-performance']", "-1")
    page.click("button:has-text('Rank')")
    page.wait_for_selector("#problems .problem")
    assert "weight" in page.locator("#problems").inner_text()
    assert not console_errors or all("422" in e for e in console_errors), console_errors
    assert not {w for w in page.evaluate("() => document.body.innerText").split() if "_" in w and w.islower()}


def test_the_report_has_a_benchmark_section_with_ranks_intervals_and_reasons(demo_atlas, tmp_path):
    from ecotone.services.report import write_report

    text = write_report(demo_atlas, tmp_path / "report.html").read_text(encoding="utf-8")
    section = text[text.index("<h2>Benchmark</h2>"):]
    section = section[:section.index("<h2>", 5)]
    for hub in PUBLISHED_RANKING["hubs"]:
        assert f"<td>{hub}</td>" in section
    assert "strongest in " in section and "Rank interval (90%)" in section and "–" in section

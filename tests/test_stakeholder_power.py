"""A stakeholder analysis a manager believes: power from authority, resources and position (each shown, the
weights documented), the priority list in the order to act, risers by relative growth, a grouping with data on an
atlas without hubs, and a hub's brokers asked of the server by group."""

import csv
import datetime as dt
import itertools
import re
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from scipy.stats import rankdata

from conftest import CORDIS_H2020, bearer
from ecotone.analysis import Snapshot
from ecotone.analysis.brokerage import GROUPINGS, group_by, hub_bridges
from ecotone.analysis.communities import Communities
from ecotone.analysis.stakeholders import AUTHORITY, TIERS, WEIGHTS, StakeholderMap
from ecotone.api import create_app
from ecotone.domain import Hub, Organization, StakeholderType, Tie
from ecotone.services import analysis
from ecotone.services.imports import import_files
from ecotone.store import Atlas

DOCS = Path(__file__).resolve().parent.parent / "docs" / "analysis.md"


def _org(name, type, hub=None, **fields):
    return Organization(name=name, type=type, hub_id=hub, **fields)


def _tie(a, b, start=None, kind="partnership"):
    return Tie(source_id=a.id, target_id=b.id, kind=kind, directed=False, start_date=start)


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    """A real SQLite atlas: in hub North, 30 startups all tied to each other, a hospital tied to six of them and a
    regulator tied to one; in hub South, three hospitals tied only to each other (an isolated triangle)."""
    with Atlas.open(str(tmp_path_factory.mktemp("power") / "atlas.db")) as atlas:
        north, south = atlas.add_all([Hub(name="North"), Hub(name="South")])
        startups = atlas.add_all([_org(f"Startup {i:02d}", "startup", north.id) for i in range(30)])
        hospital, regulator = atlas.add_all([_org("Hospital Six", "hospital", north.id),
                                             _org("Agency One", "regulator", north.id)])
        triangle = atlas.add_all([_org(f"Triangle Hospital {i}", "hospital", south.id) for i in range(3)])
        atlas.add_all([_tie(a, b) for a, b in itertools.combinations(startups, 2)]
                      + [_tie(hospital, s) for s in startups[:6]] + [_tie(regulator, startups[0])]
                      + [_tie(a, b) for a, b in itertools.combinations(triangle, 2)])
        yield atlas


def _row(grid, name):
    return next(r for r in grid if r["name"] == name)


def test_an_isolated_triangle_never_outranks_a_hospital_with_six_partners(crafted):
    snap = Snapshot.from_atlas(crafted)
    # PageRank alone puts each member of the triangle above the hospital: that is the trap.
    pagerank = nx.pagerank(snap.to_networkx())
    ids = dict(zip(snap.nodes["name"], snap.nodes["id"]))
    assert pagerank[ids["Triangle Hospital 0"]] > 2 * pagerank[ids["Hospital Six"]]
    grid = analysis.stakeholders(crafted).tables["grid"]
    six = _row(grid, "Hospital Six")
    for i in range(3):
        corner = _row(grid, f"Triangle Hospital {i}")
        assert (corner["ties"], corner["reach"], corner["holes"]) == (2, 2, 0)
        assert six["power_position"] > corner["power_position"] and six["power"] > corner["power"]
        assert grid.index(six) < grid.index(corner)  # the priority list acts on the hospital first
    assert six["power_authority"] == corner["power_authority"] == AUTHORITY["hospital"]
    assert (six["ties"], six["reach"]) == (6, 31)  # 30 startups and the regulator within two steps


def test_position_reads_partners_reach_and_structural_holes_as_networkx_counts_them():
    g = nx.gnm_random_graph(80, 200, seed=5)
    nodes = pd.DataFrame({"name": [f"a{v}" for v in g], "type": "hospital"})
    grid = StakeholderMap().run(Snapshot.from_frames(nodes, pd.DataFrame(list(g.edges), columns=["source", "target"]))
                                ).grid_.set_index("name")
    for v in g:
        row = grid.loc[f"a{v}"]
        partners = set(g[v])
        holes = sum(1 for a, b in itertools.combinations(partners, 2) if not g.has_edge(a, b))
        reach = len(nx.single_source_shortest_path_length(g, v, cutoff=2)) - 1
        assert (row["ties"], row["reach"], row["holes"]) == (len(partners), reach, holes)
    # each part is the actor's rank among those with some, over their number; 0 for none
    for part in ("ties", "reach", "holes"):
        values = grid[part].to_numpy(float)
        share = np.zeros(len(values))
        share[values > 0] = rankdata(values[values > 0]) / (values > 0).sum()
        grid[f"share_{part}"] = share
    assert np.allclose(grid["power_position"], grid[["share_ties", "share_reach", "share_holes"]].mean(axis=1))


def test_a_regulator_with_few_ties_has_more_power_than_a_startup_with_more(crafted, demo_atlas):
    grid = analysis.stakeholders(crafted).tables["grid"]
    agency = _row(grid, "Agency One")
    startups = [r for r in grid if r["type"] == "startup"]
    assert agency["ties"] == 1 and min(s["ties"] for s in startups) >= 29
    assert all(agency["power"] > s["power"] for s in startups)
    assert agency["power"] >= 0.5 and agency["quadrant"] in ("manage closely", "keep satisfied")
    # On the demo atlas too: every regulator above every startup with more ties than it has.
    demo = analysis.stakeholders(demo_atlas).tables["grid"]
    pairs = [(r, s) for r in demo if r["type"] == "regulator" for s in demo
             if s["type"] == "startup" and s["ties"] > r["ties"]]
    assert pairs and all(r["power"] > s["power"] for r, s in pairs)
    # Gatekeepers (approve, certify, fund or pay) are high power whatever their ties.
    assert all(r["power"] >= 0.5 for r in demo if r["type"] in ("regulator", "notified_body", "government"))


def test_the_weights_sum_to_one_are_returned_shown_per_actor_and_documented(crafted):
    result = analysis.stakeholders(crafted).as_dict()
    weights = result["weights"]
    assert weights == WEIGHTS and sum(weights.values()) == pytest.approx(1)
    assert set(result["authority"]) == {t.value for t in StakeholderType}
    for r in result["grid"]:
        parts = [r["power_authority"], r["power_resources"], r["power_position"]]
        assert all(0 <= p <= 1 for p in parts) and 0 <= r["interest"] <= 1
        assert r["power"] == pytest.approx(sum(weights[k] * r[f"power_{k}"] for k in weights))
        assert r["priority"] == pytest.approx((TIERS[r["quadrant"]] + r["power"] * r["interest"]) / 4)
    other = StakeholderMap(weights={"authority": 0.2, "resources": 0.4, "position": 0.4}).run(Snapshot.from_atlas(crafted))
    assert other.weights_["authority"] == 0.2
    with pytest.raises(ValueError, match="sum to 1"):
        StakeholderMap(weights={"authority": 0.5, "resources": 0.5, "position": 0.5})
    # docs/analysis.md states the weights and every type's authority score, as the code has them.
    text = DOCS.read_text(encoding="utf-8")
    for part, w in WEIGHTS.items():
        assert re.search(rf"\| {part} \| {w:g} \|", text), part
    for kind, score in AUTHORITY.items():
        assert re.search(rf"\| `{kind}` \| {score:g} \|", text), kind


def test_ec_contributions_raise_power_on_the_real_cordis_data(cordis_atlas):
    ec = Counter()
    with open(CORDIS_H2020 / "organization.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter=";"):
            ec[r["organisationID"]] += float(r["ecContribution"].replace(",", ".") or 0)
    pic = {r["id"]: r["external_ids"]["cordis_pic"]
           for r in cordis_atlas.rows("organization", columns=["id", "external_ids"])}
    snap = Snapshot.from_atlas(cordis_atlas)
    funded = StakeholderMap().run(snap).grid_.set_index("id")
    unfunded = StakeholderMap().run(Snapshot.from_frames(snap.nodes.assign(funding_raised=0.0), snap.ties)
                                    ).grid_.set_index("id").reindex(funded.index)
    money = np.array([ec[pic[i]] for i in funded.index])
    has = money > 0
    # Resources: each EC-funded actor's rank among the funded, over their number (sizes are unknown in CORDIS),
    # computed here from the CSV alone; 0 without funding.
    expected = np.zeros(len(money))
    expected[has] = rankdata(money[has]) / has.sum()
    assert np.allclose(funded["power_resources"], expected) and (unfunded["power_resources"] == 0).all()
    gain = funded["power"] - unfunded["power"]
    assert np.allclose(gain, WEIGHTS["resources"] * expected)
    assert (gain[has] > 0).all() and (gain[~has] == 0).all() and has.sum() > 3000
    top = max(ec, key=ec.get)
    row = funded.loc[next(i for i, p in pic.items() if p == top)]
    assert row["power_resources"] == 1 and row["power"] > funded["power"].quantile(0.9)


def test_an_atlas_without_hubs_groups_by_country_and_says_so(cordis_atlas):
    assert cordis_atlas.frame("organization", ["hub_id"])["hub_id"].isna().all()
    result = analysis.stakeholders(cordis_atlas).as_dict()
    assert result["grouping"] == "country" and result["note"] == GROUPINGS["country"]
    assert "no hub" in result["note"] and "country" in result["note"]
    countries = {r["country"] for r in cordis_atlas.rows("organization", columns=["country"])}
    assert {r["group"] for r in result["grid"]} == countries == {r["country"] for r in result["coverage"]}
    broker = analysis.brokerage(cordis_atlas, top=10, group="es").as_dict()
    assert broker["grouping"] == "country" and broker["note"] == GROUPINGS["country"]
    assert {b["group"] for b in broker["brokers"]} == {"ES"} and len(broker["brokers"]) == 10
    assert broker["bridges"] and all("ES" in (b["country_a"], b["country_b"]) for b in broker["bridges"])
    # one country's bridges are those of the whole network's list that involve it
    every = hub_bridges(Snapshot.from_atlas(cordis_atlas), by="country")
    spain = every[(every["country_a"] == "ES") | (every["country_b"] == "ES")]
    assert analysis.records(spain) == broker["bridges"]


def test_without_hubs_or_countries_the_groups_are_leiden_communities(sqlite_atlas, tmp_path):
    # Two Kumu clusters of five, one bridge between them: no Hub, no Country column.
    rows = [["Label", "Type"]] + [[f"{side} {i}", "startup" if i else "hospital"] for side in ("East", "West")
                                  for i in range(5)]
    links = [["From", "To", "Direction"]] + [[f"{side} {a}", f"{side} {b}", "undirected"] for side in ("East", "West")
                                             for a, b in itertools.combinations(range(5), 2)]
    links.append(["East 0", "West 0", "undirected"])
    for name, table in (("elements.csv", rows), ("connections.csv", links)):
        with open(tmp_path / name, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(table)
    import_files(sqlite_atlas, "kumu", [tmp_path / "elements.csv", tmp_path / "connections.csv"])
    snap = Snapshot.from_atlas(sqlite_atlas)
    assert group_by(snap.nodes) == ("community", GROUPINGS["community"])
    result = analysis.stakeholders(sqlite_atlas).as_dict()
    assert result["grouping"] == "community" and "Leiden" in result["note"]
    membership = Communities(seed=0).run(snap).membership_
    by_name = dict(zip(snap.nodes["name"], (f"community {k}" for k in membership)))
    assert {r["name"]: r["group"] for r in result["grid"]} == by_name
    assert len(set(by_name.values())) == 2 and by_name["East 1"] != by_name["West 1"]
    broker = analysis.brokerage(sqlite_atlas).as_dict()
    assert broker["grouping"] == "community" and broker["note"] == result["note"]
    # The bridge is the only broker between the two communities.
    across = {b["name"] for b in broker["brokers"] if b["representative"] + b["gatekeeper"] > 0}
    assert across == {"East 0", "West 0"}
    assert [b["name"] for b in broker["bridges"] if b["rank"] == 1] == ["East 0"]


@pytest.fixture
def growth_atlas(sqlite_atlas):
    """An incumbent with 40 ties before 2019 and 6 new ones since; a newcomer with 1 before and 5 new."""
    atlas = sqlite_atlas
    incumbent, newcomer = atlas.add_all([_org("Incumbent Hospital", "hospital"), _org("Newcomer Startup", "startup")])
    old = atlas.add_all([_org(f"Old partner {i}", "university") for i in range(40)])
    new = atlas.add_all([_org(f"New partner {i}", "startup") for i in range(11)])
    ties = [_tie(incumbent, p, dt.date(2015 + i % 4, 3, 1)) for i, p in enumerate(old)]
    ties.append(_tie(newcomer, old[0], dt.date(2018, 6, 1)))
    ties += [_tie(incumbent, p, dt.date(2020, 5, 1)) for p in new[:6]]
    ties += [_tie(newcomer, p, dt.date(2021, 2, 1)) for p in new[6:]]
    atlas.add_all(ties)
    return atlas


def test_rising_actors_by_relative_growth_so_the_newcomer_shows(growth_atlas):
    result = analysis.emerging(growth_atlas, window=3, top=100).as_dict()
    risers = {r["name"]: r for r in result["risers"]}
    newcomer, incumbent = risers["Newcomer Startup"], risers["Incumbent Hospital"]
    assert (newcomer["ties_before"], newcomer["new_ties"], newcomer["degree_now"]) == (1, 5, 6)
    assert (incumbent["ties_before"], incumbent["new_ties"], incumbent["degree_now"]) == (40, 6, 46)
    assert newcomer["growth"] == pytest.approx(5 / (1 + 2)) and incumbent["growth"] == pytest.approx(6 / (40 + 2))
    assert result["risers"][0]["name"] == "Newcomer Startup"  # more new ties would have put the incumbent first
    assert incumbent["new_ties"] > newcomer["new_ties"]
    assert [r["name"] for r in result["risers"]].index("Incumbent Hospital") == len(result["risers"]) - 1
    assert "ties started in the last 3 year(s)" in result["note"]
    top = analysis.emerging(growth_atlas, window=3, top=1).as_dict()["risers"]
    assert [r["name"] for r in top] == ["Newcomer Startup"]


def test_a_hub_dashboard_asks_the_api_for_its_ten_brokers(demo_atlas):
    with TestClient(create_app(atlas=demo_atlas), headers=bearer(demo_atlas)) as client:
        whole = client.get("/api/v1/analysis/brokerage", params={"top": 10_000}).json()
        hub = demo_atlas.hub_id("Barcelona Health Hub")
        mine = client.get("/api/v1/analysis/brokerage", params={"group": "Barcelona Health Hub", "top": 10})
        assert mine.status_code == 200, mine.text
        data = mine.json()
        expected = [b["id"] for b in whole["brokers"] if b["group"] == "Barcelona Health Hub"][:10]
        assert [b["id"] for b in data["brokers"]] == expected and len(expected) == 10
        totals = [b["total"] for b in data["brokers"]]
        assert totals == sorted(totals, reverse=True)
        assert data["grouping"] == "hub" and data["summary"]["group"] == "Barcelona Health Hub"
        assert data["bridges"] and all("Barcelona Health Hub" in (b["hub_a"], b["hub_b"]) for b in data["bridges"])
        assert len(whole["brokers"]) > 5 * len(data["brokers"])
        # The hub's id works as well as its name; so does another role.
        by_id = client.get("/api/v1/analysis/brokerage", params={"group": hub, "top": 10}).json()
        assert [b["id"] for b in by_id["brokers"]] == expected
        liaisons = client.get("/api/v1/analysis/brokerage", params={"group": hub, "top": 3, "role": "liaison"}).json()
        assert [b["liaison"] for b in liaisons["brokers"]] == sorted((b["liaison"] for b in liaisons["brokers"]),
                                                                     reverse=True)
        # A group nobody is in is refused in words, as a problem detail.
        missing = client.get("/api/v1/analysis/brokerage", params={"group": "Atlantis"})
        assert missing.status_code in (404, 422) and missing.headers["content-type"] == "application/problem+json"
        assert "Atlantis" in missing.json()["detail"]
        country = client.get("/api/v1/analysis/brokerage", params={"groups": "country", "group": "Narnia"})
        assert country.status_code == 422 and "no country 'Narnia'" in country.text
        # The stakeholders grid of one group, in priority order.
        grid = client.get("/api/v1/analysis/stakeholders", params={"group": "Barcelona Health Hub"}).json()
        assert {r["hub"] for r in grid["grid"]} == {"Barcelona Health Hub"}
        assert [r["priority"] for r in grid["grid"]] == sorted((r["priority"] for r in grid["grid"]), reverse=True)

"""The ecosystem model over several hubs (simulate/network.py, services/network_simulation.py, simulate hubs)."""

from __future__ import annotations

import numpy as np
import pytest

from ecotone.domain.problems import InputRejected
from ecotone.simulate import ModelError, Simulator
from ecotone.simulate.ecosystem import HubState, ecosystem_model
from ecotone.simulate.network import MATERIAL, Link, element_name, network_model

NORTH = HubState("North Hub", {"idea": 4, "prototype": 6, "clinical_validation": 8, "scale": 3}, stopped=2,
                 clinicians=6, investors=2, mentors=1, cross_hub_ties=3, approval_months=10)
SOUTH = HubState("South Hub", {"idea": 2, "prototype": 3, "clinical_validation": 2, "market_launch": 2, "scale": 5},
                 clinicians=25, investors=5, mentors=3, cross_hub_ties=1, approval_months=14)
EAST = HubState("East Hub", {"prototype": 4, "clinical_validation": 5}, clinicians=10, approval_months=12)


def run(model, params=None):
    return Simulator().run(model, params)


@pytest.mark.parametrize("arrayed", [True, False])
def test_without_links_every_hub_follows_its_own_single_hub_trajectory(arrayed):
    network = run(network_model([NORTH, SOUTH, EAST], years=4, arrayed=arrayed))
    for state in (NORTH, SOUTH, EAST):
        alone = run(ecosystem_model(state, years=4))
        e = element_name(state.name).lower()
        for v in alone.variables:
            assert np.allclose(network.series(f"{v}[{e}]"), alone.series(v), rtol=1e-9, atol=1e-9), (state.name, v)


def test_the_arrayed_model_and_the_hub_by_hub_one_agree():
    links = [Link("North Hub", "South Hub", ties=4), Link("South Hub", "East Hub", ties=1, new_ties=5, share=0.1)]
    arrayed = run(network_model([NORTH, SOUTH, EAST], links, years=2))
    scalar = run(network_model([NORTH, SOUTH, EAST], links, years=2, arrayed=False))
    assert sorted(map(str.lower, arrayed.variables)) == sorted(map(str.lower, scalar.variables))
    for v in scalar.variables:
        assert np.allclose(arrayed.series(v), scalar.series(v), rtol=1e-12, atol=1e-12), v


def _material(results, element):
    return sum(results.series(f"{s}[{element}]") for s in MATERIAL)


def test_links_move_innovations_but_conserve_them():
    # ideas formed equal with and without links: investment not following reputation keeps capital (and so idea
    # formation) at its start; mentors unchanged keep talent at 1
    hubs = [NORTH, SOUTH]
    still = {f"investor_elasticity[{e}]": 0.0 for e in ("north_hub", "south_hub")}
    alone = run(network_model(hubs, years=6, arrayed=False), still)
    linked = run(network_model(hubs, [Link("North Hub", "South Hub", ties=2)], years=6, arrayed=False), still)
    total_alone = _material(alone, "north_hub") + _material(alone, "south_hub")
    total_linked = _material(linked, "north_hub") + _material(linked, "south_hub")
    np.testing.assert_allclose(total_linked, total_alone, rtol=1e-10)
    # ... while the links did move innovations: to partner sites, and into the partner's market
    assert linked.final("validating_at_partners[north_hub]")[0] > 0.1
    assert linked.final("cross_border[north_hub]")[0] > alone.final("cross_border[north_hub]")[0] + 0.05
    assert linked.final("partner_products[south_hub]")[0] > 0.05
    # each hub's own total moves only by its ideas formed (the material is a hub's, wherever it is validated)
    for e in ("north_hub", "south_hub"):
        np.testing.assert_allclose(_material(linked, e), _material(alone, e), rtol=1e-10)


def test_the_accounting_holds_with_every_loop_at_work():
    linked = network_model([NORTH, SOUTH, EAST], [Link("North Hub", "East Hub", ties=3, share=0.5)], years=3,
                           arrayed=False)
    r = Simulator().run(linked)
    dt = linked.dt
    for e in ("north_hub", "south_hub", "east_hub"):
        stock = _material(r, e)[:, 0]
        formed = r.series(f"idea_formation[{e}]")[:, 0] + r.series(f"cohort_intake[{e}]")[:, 0]
        np.testing.assert_allclose(np.diff(stock), dt * formed[:-1], rtol=1e-9, atol=1e-12)


def test_the_host_counts_its_partners_innovations_and_their_products():
    m = network_model([NORTH, SOUTH], [Link("North Hub", "South Hub", ties=2, share=0.4)], years=4, arrayed=False)
    r = Simulator().run(m)
    # with one partner, all of North's innovations at partner sites are at South's, and the other way round
    np.testing.assert_allclose(r.series("hosted_validation[south_hub]"), r.series("validating_at_partners[north_hub]"))
    np.testing.assert_allclose(r.series("hosted_validation[north_hub]"), r.series("validating_at_partners[south_hub]"))
    # South's market receives what North's scaling innovations send across (Euler sums of the flow)
    sent = np.concatenate([[0], np.cumsum(r.series("entering_partner_markets[north_hub]")[:-1, 0]) * m.dt])
    np.testing.assert_allclose(r.series("partner_products[south_hub]")[:, 0], sent, atol=1e-12)
    # hosting costs something: South's own innovations meet more congestion than alone
    alone = Simulator().run(network_model([NORTH, SOUTH], years=4, arrayed=False))
    assert (r.series("congestion[south_hub]") >= alone.series("congestion[south_hub]") - 1e-12).all()


def test_a_hub_splits_its_open_sites_among_partners_by_ties():
    links = [Link("South Hub", "North Hub", ties=30, new_ties=0, share=0.2),
             Link("South Hub", "East Hub", ties=0, new_ties=10, share=0.2)]
    m = network_model([NORTH, SOUTH, EAST], links, years=1, arrayed=False)
    r = Simulator().run(m)
    south = r.series("clinicians[south_hub]")[0, 0]
    assert r.series("partner_sites[north_hub]")[0, 0] == pytest.approx(0.2 * south * 30 / 40)
    assert r.series("partner_sites[east_hub]")[0, 0] == pytest.approx(0.2 * south * 10 / 40)


def test_bad_links_are_refused_by_name():
    with pytest.raises(ModelError, match="'West Hub', which is not one of the hubs"):
        network_model([NORTH, SOUTH], [Link("North Hub", "West Hub")])
    with pytest.raises(ModelError, match="linked twice"):
        network_model([NORTH, SOUTH], [Link("North Hub", "South Hub"), Link("South Hub", "North Hub")])
    with pytest.raises(ModelError, match="share of clinicians is at most 1"):
        network_model([NORTH, SOUTH], [Link("North Hub", "South Hub", share=2)])
    with pytest.raises(ModelError, match="would both be the element 'North_Hub'"):
        network_model([NORTH, HubState("North-Hub")])


def test_link_text_errors_name_the_option():
    from ecotone.services.network_simulation import parse_link

    assert parse_link("A = B, share=0.5") == ("A", "B", {"share": 0.5})
    for text, reason in (("Barcelona", "two hubs joined by ="), ("A=B,size=3", "not ties=N or share=S"),
                         ("A=B,ties=many", "'many' is not a number"), ("A=B,share=1.5", "between 0 and 1")):
        with pytest.raises(InputRejected) as exc:
            parse_link(text)
        assert reason in exc.value.problems[0].reason and exc.value.problems[0].column == "--link"


@pytest.mark.slow
def test_two_demo_hubs_calibrated_and_linked(sqlite_atlas, tmp_path):
    from ecotone.services.demo import build_demo
    from ecotone.services.network_simulation import hub_network, simulate_hubs

    demo_atlas = sqlite_atlas  # calibrating two hubs takes most of the time: one backend is enough
    build_demo(demo_atlas)
    network = hub_network(demo_atlas, ["Barcelona"], links=["Barcelona=Medical Innovation Institute,ties=6"])
    assert network.names == ["Barcelona Health Hub", "Medical Innovation Institute"]
    # the ties the atlas has between the two hubs, counted from their organisations
    link = network.links[0]
    assert link.ties == network.ties[("Barcelona Health Hub", "Medical Innovation Institute")] > 0
    assert link.new_ties == 6
    result = simulate_hubs(demo_atlas, ["Barcelona"], links=["Barcelona=Medical Innovation Institute,ties=6"],
                           runs=12, years=5, xmile=tmp_path / "hubs.xmile", out=tmp_path / "bands.csv")
    rows = {(r["hub"], r["scenario"], r["outcome"]): r for r in result.tables["outcomes"]}
    for hub in network.names:
        assert rows[(hub, "no links", "partner_products")]["median"] == 0
        assert rows[(hub, "linked", "partner_products")]["median"] > 0
        assert rows[(hub, "linked", "market_years")]["p5"] <= rows[(hub, "linked", "market_years")]["median"]
    assert (tmp_path / "hubs.xmile").read_text(encoding="utf-8").count("Barcelona_Health_Hub") > 0
    assert "p95" in (tmp_path / "bands.csv").read_text(encoding="utf-8").splitlines()[0]
    # connect:HUB in simulate compare runs the two calibrated hubs linked: both hubs' outcomes, innovations moved
    from ecotone.services.simulate import compare

    result = compare(demo_atlas, "Medical Innovation Institute", ["connect:Barcelona,ties=6"], years=5, runs=60)
    rows = {(r["scenario"], r["outcome"]): r for r in result.tables["outcomes"]}
    assert rows[("baseline", "partner_products")]["median"] == 0
    assert rows[("connect:Barcelona,ties=6", "partner_products")]["median"] > 0
    # whole innovations move by chance (process noise): both hubs cross borders more often than less
    for outcome in ("barcelona_health_hub_cross_border", "cross_border"):
        row = rows[("connect:Barcelona,ties=6", outcome)]
        assert row["better_in"] > row["worse_in"], (outcome, row)


def test_the_xmile_export_writes_the_hub_dimension_and_reads_back(tmp_path):
    from ecotone.io.xmile import read_xmile, write_xmile

    model = network_model([NORTH, SOUTH], [Link("North Hub", "South Hub", ties=2)], years=2)
    path = write_xmile(model, tmp_path / "hubs.xmile")
    text = path.read_text(encoding="utf-8")
    assert '<dim name="hub">' in text and 'name="North Hub"' in text and 'name="South Hub"' in text
    back = Simulator().run(read_xmile(path))
    ours = Simulator().run(network_model([NORTH, SOUTH], [Link("North Hub", "South Hub", ties=2)], years=2,
                                         arrayed=False))
    for v in ("validating_at_partners[north_hub]", "partner_products[south_hub]", "market_years[north_hub]"):
        np.testing.assert_allclose(back.series(v), ours.series(v), rtol=1e-9)


@pytest.mark.slow
def test_pysd_runs_the_written_arrayed_hubs_file_with_the_same_trajectories(tmp_path):
    """The arrayed file of three hubs, one named in several words and each starting from its own stocks, read by
    PySD: elements spelled as PySD looks them up, a PULSE with one start for every hub, per-hub initial values."""
    import re
    import warnings

    import pysd

    from ecotone.io.xmile import write_xmile

    hubs = [HubState("Barcelona", {"clinical_validation": 6}),
            HubState("Medical Innovation Institute", {"scale": 4}, clinicians=20), HubState("Madrid", {"idea": 3})]
    model = network_model(hubs, [Link("Barcelona", "Medical Innovation Institute", ties=2)], years=2)
    path = write_xmile(model, tmp_path / "hubs.xmile")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pysd.read_xmile(str(path)).run()
    ours = Simulator().run(model)
    rows = [int(np.argmin(np.abs(ours.times - t))) for t in theirs.index]
    compared = 0
    for v in ours.variables:
        column = re.sub(r"\[(.*)\]", lambda m: "[" + m.group(1).replace("_", " ") + "]", v)
        if column in theirs.columns:
            np.testing.assert_allclose(ours.series(v)[:, 0][rows], theirs[column].to_numpy(), rtol=1e-6,
                                       atol=1e-9, err_msg=v)
            compared += 1
    assert compared >= 150 and "idea[Medical Innovation Institute]" in theirs.columns

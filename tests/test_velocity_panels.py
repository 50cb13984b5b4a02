"""The velocity chart broken down by a group: one panel per group (small multiples), each panel the curves of
that group's innovations alone, with its own bands and censoring ticks; a single group gives a single chart."""

import datetime as dt
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd

from ecotone.analysis.velocity import Velocity
from ecotone.io.charts import survival_panels

SVG = "{http://www.w3.org/2000/svg}"


def _events(seed=5, n=30):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        day = pd.Timestamp("2022-01-01") + pd.Timedelta(days=int(rng.integers(0, 400)))
        for stage in ("idea", "prototype", "clinical_validation"):
            rows.append({"innovation_id": i, "stage": stage, "date": day})
            day += pd.Timedelta(days=int(rng.exponential(150 if i % 3 else 400)) + 1)
            if day > pd.Timestamp("2024-06-30"):
                break
    hubs = pd.DataFrame({"id": range(n), "hub": [["Barcelona", "Madrid", "Nottingham"][i % 3] for i in range(n)]})
    return pd.DataFrame(rows), hubs


def test_each_panel_is_the_groups_own_curves():
    events, hubs = _events()
    when = dt.date(2024, 6, 30)
    panels = Velocity(as_of=when, by="hub").fit(events, hubs).group_curves(detail=True)
    assert list(panels) == ["Barcelona", "Madrid", "Nottingham"]
    for hub, curves in panels.items():
        own = events[events["innovation_id"].isin(hubs.loc[hubs["hub"] == hub, "id"])]
        alone = Velocity(as_of=when).fit(own).curves(detail=True)
        assert list(curves) == list(alone)
        for stage in curves:
            for mine, theirs in zip(curves[stage], alone[stage]):
                assert np.allclose(mine, theirs, equal_nan=True), (hub, stage)
    pooled = Velocity(as_of=when).fit(events).curves(detail=True)
    for stage, curve in pooled.items():  # each innovation in one hub: the panels' censored spells add up
        assert sum(len(p[stage][4]) for p in panels.values() if stage in p) == len(curve[4])


def test_the_svg_has_a_panel_per_group_with_its_ticks(tmp_path):
    events, hubs = _events()
    panels = Velocity(as_of=dt.date(2024, 6, 30), by="hub").fit(events, hubs).group_curves(detail=True)
    root = ET.fromstring(survival_panels(panels, tmp_path / "v.svg", title="per hub").read_text(encoding="utf-8"))
    ids = {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}
    assert {i for i in ids if i.startswith("panel-")} == {f"panel-{h}" for h in panels}
    for hub, curves in panels.items():
        for stage, curve in curves.items():
            assert ids[f"band-{hub}/{stage}"].find(f".//{SVG}path") is not None
            ticks = ids.get(f"censored-{hub}/{stage}")
            assert (len(ticks.findall(f".//{SVG}use")) if ticks is not None else 0) == len(curve[4])
    assert survival_panels(panels, tmp_path / "v.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_velocity_by_hub_draws_one_panel_per_hub(demo_atlas, tmp_path):
    from ecotone.services.velocity import velocity

    result = velocity(demo_atlas, by="hub", as_of="2026-11-24", chart=tmp_path / "v.svg")
    hubs = demo_atlas.frame("hub", ["name"])["name"].tolist()
    assert result.summary["chart_panels"] == len(hubs) > 1
    svg = (tmp_path / "v.svg").read_text(encoding="utf-8")
    assert "all hubs" not in svg and "per hub" in svg
    assert all(f'id="panel-{h}"' in svg for h in hubs if "&" not in h)
    one = velocity(demo_atlas, hub="Barcelona", by="hub", as_of="2026-11-24", chart=tmp_path / "b.svg")
    assert one.summary["chart_panels"] == 1 and 'id="panel-' not in (tmp_path / "b.svg").read_text(encoding="utf-8")

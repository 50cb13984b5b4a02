"""The velocity chart: each stage's Kaplan–Meier curve with its Greenwood band and censoring ticks, the band equal
to lifelines' and the ticks at the censored spells; the SVG drawn shows one band and one tick per censored spell."""

import datetime as dt
import xml.etree.ElementTree as ET
import warnings

import numpy as np
import pandas as pd

from ecotone.analysis.velocity import Velocity
from ecotone.io.charts import survival_chart

warnings.filterwarnings("ignore", module="lifelines")
from lifelines import KaplanMeierFitter  # noqa: E402


def _events(seed=3, n=40):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        day = pd.Timestamp("2022-01-01") + pd.Timedelta(days=int(rng.integers(0, 400)))
        for stage in ("idea", "prototype", "clinical_validation"):
            rows.append({"innovation_id": i, "stage": stage, "date": day})
            day += pd.Timedelta(days=int(rng.exponential(200)) + 1)
            if day > pd.Timestamp("2024-06-30"):
                break
    return pd.DataFrame(rows)


def test_bands_and_censoring_equal_lifelines():
    v = Velocity(as_of=dt.date(2024, 6, 30)).fit(_events())
    curves = v.curves(detail=True)
    assert set(curves) == {"idea", "prototype", "clinical_validation"}
    for stage, (times, share, lower, upper, censored) in curves.items():
        g = v.spells_[v.spells_["stage"] == stage]
        ended = (g["outcome"] != "in_stage").to_numpy()
        kmf = KaplanMeierFitter().fit(g["months"].to_numpy(), ended)
        assert np.allclose(kmf.survival_function_.iloc[:, 0].to_numpy(), share)
        ci = kmf.confidence_interval_.to_numpy()
        inside = (share > 0) & (share < 1) & np.isfinite(ci).all(axis=1)
        assert np.allclose(ci[inside, 0], lower[inside]) and np.allclose(ci[inside, 1], upper[inside])
        assert np.allclose(np.sort(g.loc[~ended, "months"].to_numpy()), censored)


def test_the_svg_draws_a_band_per_stage_and_a_tick_per_censored_spell(tmp_path):
    v = Velocity(as_of=dt.date(2024, 6, 30)).fit(_events())
    curves = v.curves(detail=True)
    svg = survival_chart(curves, tmp_path / "velocity.svg").read_text(encoding="utf-8")
    root = ET.fromstring(svg)
    groups = {g.get("id"): g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("id")}
    for stage, curve in curves.items():
        band = groups[f"band-{stage}"]
        assert band.find(".//{http://www.w3.org/2000/svg}path") is not None, stage
        # matplotlib draws a marker once in <defs> and places it with <use>, once per censored spell
        assert len(groups[f"censored-{stage}"].findall(".//{http://www.w3.org/2000/svg}use")) == len(curve[4])
    plain = survival_chart(v.curves(), tmp_path / "plain.svg").read_text(encoding="utf-8")
    assert 'id="band-' not in plain and 'id="censored-' not in plain and "Greenwood" not in plain
    png = survival_chart(curves, tmp_path / "velocity.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

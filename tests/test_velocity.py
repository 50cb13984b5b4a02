"""Velocity: Kaplan–Meier and log-rank against lifelines, spells, the demo's hubs on both backends, the CLI."""

import datetime as dt
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecotone.analysis.survival import kaplan_meier, logrank
from ecotone.analysis.velocity import Velocity, spells
from ecotone.data.pathways import PATHWAYS, pathway
from ecotone.domain.problems import InputRejected
from ecotone.services.velocity import pipeline_frames, velocity

warnings.filterwarnings("ignore", module="lifelines")
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.statistics import logrank_test  # noqa: E402
from lifelines.utils import median_survival_times  # noqa: E402

AS_OF = dt.date(2026, 11, 24)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.booleans()), min_size=1, max_size=60))
def test_kaplan_meier_equals_lifelines(data):
    durations = np.array([d for d, _ in data], float)
    observed = np.array([e for _, e in data])
    ours = kaplan_meier(durations, observed)
    theirs = KaplanMeierFitter().fit(durations, observed)
    sf = theirs.survival_function_.iloc[:, 0]
    assert np.allclose(sf.index.to_numpy(), ours.times)
    assert np.allclose(sf.to_numpy(), ours.survival, atol=1e-12)
    ci = theirs.confidence_interval_.to_numpy()
    finite = np.isfinite(ci).all(axis=1) & (ours.survival > 0) & (ours.survival < 1)
    assert np.allclose(ci[finite, 0], ours.lower[finite], atol=1e-9)
    assert np.allclose(ci[finite, 1], ours.upper[finite], atol=1e-9)
    median = theirs.median_survival_time_
    # lifelines squeezes a one-row curve into a number, and a curve landing exactly on one half is a tie its
    # floating point (a product of logs) breaks either way
    if len(ours.times) > 1 and not np.isclose(ours.survival, 0.5, atol=1e-9).any():
        assert (np.isinf(median) and np.isnan(ours.median)) or median == ours.median


def test_median_band_and_log_rank_equal_lifelines():
    rng = np.random.default_rng(4)
    d1, e1 = np.round(rng.exponential(10, 80), 1), rng.random(80) < 0.7
    d2, e2 = np.round(rng.exponential(14, 60), 1), rng.random(60) < 0.6
    km = kaplan_meier(d1, e1)
    band = median_survival_times(KaplanMeierFitter().fit(d1, e1).confidence_interval_).to_numpy()[0]
    assert km.median_interval() == pytest.approx(tuple(band))
    theirs = logrank_test(d1, d2, e1, e2)
    stat, p = logrank(d1, e1, d2, e2)
    assert stat == pytest.approx(theirs.test_statistic) and p == pytest.approx(theirs.p_value)


def test_spells_censor_the_running_stage_and_see_pivots_and_stops():
    ev = pd.DataFrame({"innovation_id": [1, 1, 1, 1, 2, 2, 3],
                       "stage": ["idea", "prototype", "idea", "prototype", "idea", "stopped", "idea"],
                       "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-05-01", "2024-09-01",
                                               "2024-01-01", "2024-07-01", "2025-06-01"])})
    sp = spells(ev, dt.date(2024, 12, 31))
    assert sp["outcome"].tolist() == ["progressed", "pivoted", "progressed", "in_stage", "stopped"]
    assert sp.loc[3, "end"] == pd.Timestamp("2024-12-31")  # censored at the day of measurement
    assert 3 not in sp["innovation_id"].tolist()  # its history starts after that day
    v = Velocity(as_of=dt.date(2024, 12, 31)).fit(ev)
    assert v.fail_fast_.loc["stop or pivot", "left"] == 2  # the pivot of 1 and the stop of 2
    assert v.conversion_.loc["idea", "stopped"] == 1 and v.conversion_.loc["idea", "progressed"] == 2


def test_demo_velocity_per_hub_has_censored_medians_equal_to_lifelines(demo_atlas):
    events, inn = pipeline_frames(demo_atlas)
    v = Velocity(as_of=AS_OF, by="hub").fit(events, inn)
    tis = v.time_in_stage_
    hubs = tis.index.get_level_values("group").unique()
    assert {"Barcelona Health Hub", "Medical Innovation Institute", "Texas Medical Center"} <= set(hubs)
    assert (tis.groupby(level="group")["censored"].sum() > 0).all()  # every hub has innovations still in a stage
    sp = v.spells_
    for hub in ("Barcelona Health Hub", "Medical Innovation Institute"):
        for stage in ("idea", "clinical_validation"):
            g = sp[(sp["group"] == hub) & (sp["stage"] == stage)]
            kmf = KaplanMeierFitter().fit(g["months"], g["outcome"] != "in_stage")
            km = kaplan_meier(g["months"], g["outcome"] != "in_stage")
            assert np.allclose(kmf.survival_function_.iloc[:, 0].to_numpy(), km.survival)
            got = tis.loc[(stage, hub), "median"]
            # the median is the first time the curve is at or below one half (lifelines breaks exact halves by
            # floating point, so compare with the curve itself)
            at = np.searchsorted(km.times, got)
            assert km.survival[at] <= 0.5 + 1e-12 and (at == 0 or km.survival[at - 1] > 0.5)
    assert v.throughput_.to_numpy().sum() == len(events)  # every stage entry up to the day falls in a quarter
    assert v.bottlenecks_.index[0] in tis.index.get_level_values("stage")


def test_velocity_service_tables_cohort_and_errors(demo_atlas, tmp_path):
    result = velocity(demo_atlas, cohort="accelerator", as_of=AS_OF, chart=tmp_path / "km.png")
    cohort = pd.DataFrame(result.tables["cohort"]).set_index("group")
    assert cohort.loc["accelerator", "n"] == 12  # every other startup of the four accelerators' hubs
    assert cohort.loc["accelerator", "n"] + cohort.loc["others", "n"] == result.summary["innovations"]
    assert 0 <= result.summary["logrank_p"] <= 1
    assert (tmp_path / "km.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    conv = pd.DataFrame(result.tables["conversion"])
    assert (conv["entered"] == conv["progressed"] + conv["stopped"] + conv["pivoted"] + conv["in_stage"]).all()
    with pytest.raises(InputRejected, match="colour"):
        velocity(demo_atlas, by="colour")
    with pytest.raises(InputRejected, match="programme"):
        velocity(demo_atlas, cohort="no such programme")


def test_regulatory_pathways_have_sources_and_cover_the_demo(demo_atlas):
    for p in PATHWAYS:
        assert p.low <= p.typical <= p.high and p.source
    assert pathway("De Novo").typical == pytest.approx(229 / 30.5, abs=0.1)
    for name in demo_atlas.frame("innovation", ["regulatory_pathway"])["regulatory_pathway"].dropna().unique():
        assert pathway(name)
    with pytest.raises(KeyError, match="Breakthrough"):
        pathway("Breakthrough")


def test_velocity_command(demo_atlas, tmp_path, capsys):
    from ecotone.cli import main

    db = demo_atlas.url
    code = main(["--db", db, "velocity", "--by", "programme", "--as-of", "2026-11-24", "--format", "json",
                 "--chart", str(tmp_path / "km.svg")])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert {"TMCx", "Kenko Health Accelerator"} <= {r["programme"] for r in data["time_to_market"]}
    assert "<svg" in (tmp_path / "km.svg").read_text()
    code = main(["--db", db, "velocity", "--as-of", "yesterday"])
    assert code == 1 and "2024-01-31" in capsys.readouterr().err

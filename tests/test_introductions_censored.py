"""Introductions' days to a meeting and to a partnership: open introductions are censored (Kaplan–Meier), and
the medians and their bands equal lifelines' on the same data."""

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest

from ecotone.match.introductions import funnel
from ecotone.services import partnering

warnings.filterwarnings("ignore", module="lifelines")
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.utils import median_survival_times  # noqa: E402

AS_OF = dt.date(2025, 12, 31)


def _introductions(seed: int, n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    introduced = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    wait = pd.to_timedelta(rng.exponential(40, n).round(), unit="D")
    met = (introduced + wait).where(rng.random(n) < 0.6)
    met = met.where(met <= pd.Timestamp(AS_OF))
    partnered = (met + pd.to_timedelta(rng.exponential(90, n).round(), unit="D")).where(rng.random(n) < 0.5)
    partnered = partnered.where(partnered <= pd.Timestamp(AS_OF))
    return pd.DataFrame({"facilitator": rng.choice(["MII", "Biocat", "TMC"], n), "introduced_on": introduced,
                         "met_on": met, "pilot_on": pd.NaT, "partnered_on": partnered})


def _lifelines(frame: pd.DataFrame, column: str) -> tuple[float, float, float]:
    done = frame[column].notna()
    end = frame[column].where(done, pd.Timestamp(AS_OF))
    days = (end - frame["introduced_on"]).dt.days.to_numpy(float)
    kmf = KaplanMeierFitter().fit(days, done.to_numpy())
    low, high = median_survival_times(kmf.confidence_interval_).to_numpy()[0]
    median = kmf.median_survival_time_
    return (np.nan if np.isinf(median) else median), (np.nan if np.isinf(low) else low), \
        (np.nan if np.isinf(high) else high)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_days_to_meeting_and_partnership_equal_lifelines(seed):
    intros = _introductions(seed)
    table = funnel(intros, "facilitator", as_of=AS_OF).set_index("facilitator")
    for name, group in intros.groupby("facilitator"):
        for step, column in (("meeting", "met_on"), ("partnership", "partnered_on")):
            ours = tuple(table.loc[name, [f"days_to_{step}", f"days_to_{step}_low", f"days_to_{step}_high"]])
            assert ours == pytest.approx(_lifelines(group, column), nan_ok=True), (name, step)
        assert table.loc[name, "open_meetings"] == group["met_on"].isna().sum()


def test_open_introductions_are_neither_dropped_nor_counted_as_done():
    # Three met after 10 days; seven introduced 60 days ago are still waiting.
    start = pd.Timestamp("2025-01-01")
    intros = pd.DataFrame({"introduced_on": [start] * 10,
                           "met_on": [start + pd.Timedelta(days=10)] * 3 + [pd.NaT] * 7,
                           "pilot_on": pd.NaT, "partnered_on": pd.NaT})
    row = funnel(intros, as_of=dt.date(2025, 3, 2)).iloc[0]
    # dropping the open ones would say 10 days; counting them as met on the day of measurement, 59
    assert np.isnan(row["days_to_meeting"]) and row["open_meetings"] == 7
    later = intros.assign(met_on=intros["met_on"].fillna(start + pd.Timedelta(days=30)))
    assert funnel(later, as_of=dt.date(2025, 3, 2)).iloc[0]["days_to_meeting"] == 30


def test_the_demo_funnel_reports_open_introductions(sqlite_atlas):
    from ecotone.services.demo import build_demo

    build_demo(sqlite_atlas)
    overall = partnering.introductions(sqlite_atlas, as_of=dt.date(2030, 1, 1)).tables["funnel"][0]
    assert overall["open_meetings"] == overall["introductions"] - overall["meetings"]
    assert "days_to_meeting_low" in overall

"""The introductions funnel: introduction → meeting → pilot → partnership, with conversion rates and times."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..analysis.survival import kaplan_meier
from ..domain import FUNNEL

__all__ = ["funnel", "GROUPINGS"]

#: What a funnel can be grouped by.
GROUPINGS = ("facilitator", "hub_pair", "event")


def _median_days(days: pd.Series, done: pd.Series, alpha: float) -> pd.Series:
    """Kaplan–Meier median days with its band; open introductions count as censored at their age."""
    known = days.notna()
    if not known.any():
        return pd.Series({"median": np.nan, "low": np.nan, "high": np.nan, "open": 0})
    km = kaplan_meier(days[known].to_numpy(float), done[known].to_numpy(bool), alpha=alpha)
    low, high = km.median_interval()
    return pd.Series({"median": km.median, "low": low, "high": high, "open": int((~done[known]).sum())})


def funnel(introductions: pd.DataFrame, by: str | None = None, *, as_of: dt.date | None = None,
           alpha: float = 0.05) -> pd.DataFrame:
    """Counts at each step, conversion from each step to the next and from introduction to partnership, and the
    days from introduction to meeting and to partnership, overall or per ``by`` (facilitator, hub_pair, event).
    A later step counts as having passed the earlier ones, dated or not.

    Days are Kaplan–Meier medians, as the velocity module measures stages: an introduction with no meeting yet is
    *censored* at its age on ``as_of`` (today when None) — it took at least that long — rather than dropped or
    counted as done, so a facilitator whose introductions are still waiting does not look fast. A step reached but
    not dated (a partnership recorded without the meeting's date) leaves that introduction out of the days.
    ``days_to_meeting_low``/``_high`` bound the median (1 − ``alpha``, Greenwood, log–log as lifelines);
    ``open_meetings`` counts the censored ones. NaN: fewer than half have met so far.

    Examples
    --------
    >>> intros = pd.DataFrame({"facilitator": ["MII", "MII", "MII", "Biocat"],
    ...     "introduced_on": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-02-10", "2025-03-01"]),
    ...     "met_on": pd.to_datetime(["2025-01-15", None, None, "2025-03-11"]),
    ...     "pilot_on": pd.to_datetime([None, None, None, None]),
    ...     "partnered_on": pd.to_datetime(["2025-06-01", None, None, None])})
    >>> table = funnel(intros, "facilitator", as_of=dt.date(2025, 7, 1))
    >>> table[["facilitator", "introductions", "meetings", "partnerships", "days_to_meeting",
    ...        "open_meetings"]].values.tolist()
    [['Biocat', 1, 1, 0, 10.0, 0], ['MII', 3, 1, 1, nan, 2]]

    MII's two open introductions have waited over 140 days: dropping them would report 14 days; censored, they keep
    two of three waiting, so MII's median is not known yet. Over all four, half had met by day 14:

    >>> funnel(intros, as_of=dt.date(2025, 7, 1))[["days_to_meeting", "open_meetings"]].values.tolist()
    [[14.0, 2.0]]
    """
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"cannot group introductions by {by!r}; use one of: {', '.join(GROUPINGS)}")
    frame = introductions.copy()
    steps = [name for name, _ in FUNNEL]
    columns = [column for _, column in FUNNEL]
    reached = pd.DataFrame({s: False for s in steps}, index=frame.index)
    for i, column in enumerate(columns):
        later = frame[columns[i:]].notna().any(axis=1)
        reached[steps[i]] = later
    counts = reached.rename(columns={"introduction": "introductions", "meeting": "meetings", "pilot": "pilots",
                                     "partnership": "partnerships"})
    frame = pd.concat([frame, counts], axis=1)
    today = pd.Timestamp(as_of or dt.date.today())
    introduced = pd.to_datetime(frame["introduced_on"])
    age = (today - introduced).dt.days.clip(lower=0)
    for step, column in (("meeting", "met_on"), ("partnership", "partnered_on")):
        dated = (pd.to_datetime(frame[column]) - introduced).dt.days
        frame[f"_{step}_done"] = frame[column].notna()
        # reached but undated: the duration is unknown, not censored
        frame[f"_{step}_days"] = dated.where(frame[column].notna(), age.where(~frame[f"{step}s"]))
    key = frame[by].fillna("(none)") if by else pd.Series("all", index=frame.index)
    grouped = frame.groupby(key, sort=True)
    out = grouped[["introductions", "meetings", "pilots", "partnerships"]].sum().astype(int)
    out["meeting_rate"] = out["meetings"] / out["introductions"]
    out["pilot_rate"] = (out["pilots"] / out["meetings"]).where(out["meetings"] > 0)
    out["partnership_rate"] = (out["partnerships"] / out["introductions"])
    for step in ("meeting", "partnership"):
        km = pd.DataFrame({k: _median_days(g[f"_{step}_days"], g[f"_{step}_done"], alpha) for k, g in grouped}).T
        out[f"days_to_{step}"] = km["median"].astype(float)
        out[f"days_to_{step}_low"] = km["low"].astype(float)
        out[f"days_to_{step}_high"] = km["high"].astype(float)
        out[f"open_{step}s"] = km["open"].astype(int)
    return out.reset_index(names=by or "group")

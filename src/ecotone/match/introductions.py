"""The introductions funnel: introduction → meeting → pilot → partnership, with conversion rates and times."""

from __future__ import annotations

import pandas as pd

from ..domain import FUNNEL

__all__ = ["funnel", "GROUPINGS"]

#: What a funnel can be grouped by.
GROUPINGS = ("facilitator", "hub_pair", "event")


def funnel(introductions: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Counts at each step, conversion from each step to the next and from introduction to partnership, and the
    median days from introduction to meeting and to partnership, overall or per ``by`` (facilitator, hub_pair,
    event). A later step counts as having passed the earlier ones, dated or not.

    Examples
    --------
    >>> intros = pd.DataFrame({"facilitator": ["MII", "MII", "Biocat"],
    ...     "introduced_on": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
    ...     "met_on": pd.to_datetime(["2025-01-15", None, "2025-03-11"]),
    ...     "pilot_on": pd.to_datetime([None, None, None]),
    ...     "partnered_on": pd.to_datetime(["2025-06-01", None, None])})
    >>> funnel(intros, "facilitator")[["facilitator", "introductions", "meetings", "partnerships",
    ...                                 "meeting_rate", "days_to_meeting"]].values.tolist()
    [['Biocat', 1, 1, 0, 1.0, 10.0], ['MII', 2, 1, 1, 0.5, 14.0]]
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
    frame["days_to_meeting"] = (frame["met_on"] - frame["introduced_on"]).dt.days
    frame["days_to_partnership"] = (frame["partnered_on"] - frame["introduced_on"]).dt.days
    key = frame[by].fillna("(none)") if by else pd.Series("all", index=frame.index)
    grouped = frame.groupby(key, sort=True)
    out = grouped[["introductions", "meetings", "pilots", "partnerships"]].sum().astype(int)
    out["meeting_rate"] = out["meetings"] / out["introductions"]
    out["pilot_rate"] = (out["pilots"] / out["meetings"]).where(out["meetings"] > 0)
    out["partnership_rate"] = (out["partnerships"] / out["introductions"])
    out["days_to_meeting"] = grouped["days_to_meeting"].median()
    out["days_to_partnership"] = grouped["days_to_partnership"].median()
    return out.reset_index(names=by or "group")

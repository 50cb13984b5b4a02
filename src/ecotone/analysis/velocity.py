"""Innovation velocity from stage histories: time in stage, conversion, time to market, throughput, bottlenecks.

Each stretch an innovation spends in one stage is a *spell*. A spell has ended when a later event moved the
innovation on (progressed), stopped it, or sent it back to an earlier stage (a pivot); a spell still running at
``as_of`` is censored, so durations are Kaplan–Meier estimates, never plain means of the finished ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..domain import Stage
from .survival import kaplan_meier, logrank

__all__ = ["MONTH_DAYS", "Velocity", "current_stages", "spells"]

MONTH_DAYS = 30.4375
_PIPELINE = [s.value for s in Stage.pipeline()]
_RANK = {s: i for i, s in enumerate(_PIPELINE)}
_MARKET = _RANK[Stage.market_launch.value]
_SUMMARY = ["n", "left", "censored", "median", "q1", "q3", "median_low", "median_high"]


def _ordered(events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Events up to ``as_of`` in the order they happened (on one day, earlier stages first)."""
    ev = events.assign(date=pd.to_datetime(events["date"]))
    ev = ev[ev["date"] <= as_of].sort_values(["innovation_id", "date", "stage"],
                                            key=lambda c: c.map(_RANK).fillna(99) if c.name == "stage" else c)
    return ev.reset_index(drop=True)


def current_stages(events: pd.DataFrame, as_of: dt.date | None = None) -> pd.Series:
    """Each innovation's stage on ``as_of`` (its last event up to then), by innovation id.

    Examples
    --------
    >>> ev = pd.DataFrame({"innovation_id": [1, 1, 2], "stage": ["idea", "prototype", "idea"],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-06-01", "2024-02-01"])})
    >>> current_stages(ev, dt.date(2024, 3, 1)).to_dict()
    {1: 'idea', 2: 'idea'}
    """
    return _ordered(events, pd.Timestamp(as_of or dt.date.today())).groupby("innovation_id")["stage"].last()


def spells(events: pd.DataFrame, as_of: dt.date | None = None) -> pd.DataFrame:
    """Cut stage histories into spells: one row per stage an innovation entered, with how it ended.

    ``events`` has ``innovation_id``, ``stage`` and ``date``; events after ``as_of`` are ignored. The last stage
    of the pipeline and ``stopped`` end nothing (there is nowhere further to go).

    Examples
    --------
    >>> ev = pd.DataFrame({"innovation_id": [1, 1, 1, 2, 2], "date": pd.to_datetime(
    ...     ["2024-01-01", "2024-04-01", "2024-06-01", "2024-01-01", "2024-03-01"]),
    ...     "stage": ["idea", "prototype", "stopped", "idea", "prototype"]})
    >>> spells(ev, dt.date(2024, 12, 31))[["innovation_id", "stage", "outcome", "months"]].round(1)
       innovation_id      stage     outcome  months
    0              1       idea  progressed     3.0
    1              1  prototype     stopped     2.0
    2              2       idea  progressed     2.0
    3              2  prototype    in_stage    10.0
    """
    as_of = pd.Timestamp(as_of or dt.date.today())
    ev = _ordered(events, as_of)
    nxt = ev.groupby("innovation_id")[["stage", "date"]].shift(-1)
    rank, next_rank = ev["stage"].map(_RANK), nxt["stage"].map(_RANK)
    outcome = np.select([nxt["stage"].isna(), nxt["stage"] == Stage.stopped.value, next_rank > rank,
                         next_rank <= rank], ["in_stage", "stopped", "progressed", "pivoted"], "in_stage")
    end = nxt["date"].fillna(as_of)
    out = pd.DataFrame({"innovation_id": ev["innovation_id"], "stage": ev["stage"], "start": ev["date"],
                        "end": end, "months": (end - ev["date"]).dt.days / MONTH_DAYS, "outcome": outcome,
                        "next_stage": nxt["stage"]})
    terminal = (out["stage"] == Stage.stopped.value) | (out["stage"] == _PIPELINE[-1])
    return out[~terminal].reset_index(drop=True)


def _summary(months: pd.Series, left: pd.Series, alpha: float) -> dict[str, float]:
    if len(months) == 0:
        return dict.fromkeys(_SUMMARY, np.nan) | {"n": 0, "left": 0, "censored": 0}
    km = kaplan_meier(months.to_numpy(), left.to_numpy(), alpha=alpha)
    low, high = km.median_interval()
    return {"n": km.n, "left": km.observed, "censored": km.n - km.observed, "median": km.median,
            "q1": km.quantile(0.25), "q3": km.quantile(0.75), "median_low": low, "median_high": high}


class Velocity:
    """How fast innovations move from idea to patients, measured on their stage histories.

    Parameters
    ----------
    as_of : the day of measurement; spells still running then are censored (today when None).
    by : a column of the innovations table to break every figure down by (hub, category, pathway, programme…).
    alpha : 1 − confidence of the bands.

    Attributes (after :meth:`fit`)
    ------------------------------
    spells_ : one row per spell (innovation, stage, start, end, months, outcome).
    time_in_stage_ : per stage (and group): spells, how many left, censored, Kaplan–Meier median and quartiles in
        months, and the median's band.
    conversion_ : per stage: entered, progressed, stopped, pivoted, still in it; conversion and stop rates among
        the spells that ended.
    time_to_market_ : months from entering the pipeline to market launch (stopped ones censored at their stop).
    fail_fast_ : months from entering the pipeline to a stop or a pivot, and where stops happened.
    throughput_ : stage entries per quarter.
    bottlenecks_ : stages ranked by median months in them, with their conversion.

    Examples
    --------
    >>> ev = pd.DataFrame({"innovation_id": [1, 1, 2, 2, 2], "date": pd.to_datetime(
    ...     ["2023-01-01", "2023-07-01", "2023-01-01", "2023-03-01", "2024-03-01"]),
    ...     "stage": ["idea", "prototype", "idea", "prototype", "clinical_validation"]})
    >>> v = Velocity(as_of=dt.date(2024, 12, 31)).fit(ev)
    >>> v.time_in_stage_.loc["idea", ["n", "left", "median"]].round(1).tolist()
    [2.0, 2.0, 1.9]
    >>> v.bottlenecks_.index[0]
    'clinical_validation'
    """

    def __init__(self, *, as_of: dt.date | None = None, by: str | None = None, alpha: float = 0.05) -> None:
        self.as_of = as_of or dt.date.today()
        self.by = by
        self.alpha = alpha

    def fit(self, events: pd.DataFrame, innovations: pd.DataFrame | None = None) -> Velocity:
        """Measure ``events`` (innovation_id, stage, date); ``innovations`` (``id`` and the ``by`` column, which
        may hold lists, e.g. several programmes) gives the groups."""
        sp = spells(events, self.as_of)
        groups = None
        if self.by is not None:
            if innovations is None or self.by not in innovations.columns:
                raise ValueError(f"cannot break velocity down by {self.by!r}: the innovations have no such column")
            column = innovations.set_index("id")[self.by]
            sp = sp.assign(group=sp["innovation_id"].map(column)).explode("group").reset_index(drop=True)
            sp["group"] = sp["group"].fillna("(none)")
            groups = "group"
        self.spells_ = sp
        left = sp["outcome"] != "in_stage"
        keys = ["stage"] + ([groups] if groups else [])
        rows = [{**dict(zip(keys, k if isinstance(k, tuple) else (k,))), **_summary(g["months"], left[g.index],
                                                                                     self.alpha)}
                for k, g in sp.groupby(keys, sort=False)]
        table = pd.DataFrame(rows, columns=keys + _SUMMARY)
        table["order"] = table["stage"].map(_RANK)
        self.time_in_stage_ = table.sort_values(["order", *keys[1:]]).drop(columns="order").set_index(keys)
        self.conversion_ = self._conversion(sp, keys)
        self.time_to_market_ = self._to_market(events, groups and innovations.set_index("id")[self.by])
        self.fail_fast_ = self._fail_fast(events, sp)
        self.throughput_ = self._throughput(events)
        conv = self.conversion_.groupby(level="stage")[["progressed", "ended"]].sum()
        overall = self.time_in_stage_.groupby(level="stage")["median"].max() if groups else \
            self.time_in_stage_["median"]
        bottlenecks = pd.DataFrame({"median": overall,
                                    "conversion": (conv["progressed"] / conv["ended"].replace(0, np.nan))})
        bottlenecks["median"] = bottlenecks["median"].fillna(np.inf)  # nobody left yet: longer than anything seen
        self.bottlenecks_ = bottlenecks.sort_values(["median", "conversion"], ascending=[False, True])
        return self

    @staticmethod
    def _conversion(sp: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        counts = pd.crosstab([sp[k] for k in keys], sp["outcome"])
        for c in ("progressed", "stopped", "pivoted", "in_stage"):
            if c not in counts.columns:
                counts[c] = 0
        counts = counts[["progressed", "stopped", "pivoted", "in_stage"]]
        counts.insert(0, "entered", counts.sum(axis=1))
        counts["ended"] = counts["progressed"] + counts["stopped"] + counts["pivoted"]
        ended = counts["ended"].replace(0, np.nan)
        counts["conversion"] = counts["progressed"] / ended
        counts["stop_rate"] = counts["stopped"] / ended
        order = counts.index.get_level_values("stage").map(_RANK)
        return counts.iloc[np.argsort(order, kind="stable")]

    def _entries(self, events: pd.DataFrame) -> pd.DataFrame:
        ev = events.assign(date=pd.to_datetime(events["date"]))
        return ev[ev["date"] <= pd.Timestamp(self.as_of)]

    def _market_frame(self, events: pd.DataFrame) -> pd.DataFrame:
        """Months from entering the pipeline to market launch; not launched yet: censored at the stop or today."""
        ev = self._entries(events)
        first = ev.groupby("innovation_id")["date"].min()
        launched = ev[ev["stage"].map(_RANK) >= _MARKET].groupby("innovation_id")["date"].min()
        stopped = ev[ev["stage"] == Stage.stopped.value].groupby("innovation_id")["date"].min()
        end = launched.reindex(first.index).fillna(stopped.reindex(first.index)).fillna(pd.Timestamp(self.as_of))
        return pd.DataFrame({"months": (end - first).dt.days / MONTH_DAYS,
                             "ended": first.index.isin(launched.index)}, index=first.index)

    def _to_market(self, events: pd.DataFrame, group: pd.Series | None) -> pd.DataFrame:
        frame = self._market_frame(events)
        if group is None:
            return pd.DataFrame([_summary(frame["months"], frame["ended"], self.alpha)], index=["all"])
        frame = frame.assign(group=frame.index.map(group)).explode("group")
        frame["group"] = frame["group"].fillna("(none)")
        return pd.DataFrame.from_dict({k: _summary(g["months"], g["ended"], self.alpha)
                                       for k, g in frame.groupby("group")}, orient="index")

    def _fail_fast(self, events: pd.DataFrame, sp: pd.DataFrame) -> pd.DataFrame:
        ev = self._entries(events)
        first = ev.groupby("innovation_id")["date"].min()
        ends = sp[sp["outcome"].isin(["stopped", "pivoted"])].groupby("innovation_id")["end"].min()
        end = ends.reindex(first.index).fillna(pd.Timestamp(self.as_of))
        failed = first.index.isin(ends.index)
        out = pd.DataFrame([_summary((end - first).dt.days / MONTH_DAYS, pd.Series(failed, index=first.index),
                                     self.alpha)], index=["stop or pivot"])
        stops = sp[sp["outcome"] == "stopped"].drop_duplicates("innovation_id")["stage"].value_counts()
        for stage in _PIPELINE[:-1]:
            out[f"stopped_in_{stage}"] = int(stops.get(stage, 0))
        return out

    def _throughput(self, events: pd.DataFrame) -> pd.DataFrame:
        ev = self._entries(events)
        if ev.empty:
            return pd.DataFrame()
        quarter = ev["date"].dt.to_period("Q").astype(str)
        table = pd.crosstab(quarter, ev["stage"])
        return table[[s for s in [*_PIPELINE, Stage.stopped.value] if s in table.columns]]

    def curves(self, *, detail: bool = False) -> dict[str, tuple[np.ndarray, ...]]:
        """The Kaplan–Meier curve of the time in each stage (groups pooled): stage → (months, share still in it).

        With ``detail``, each curve also carries its band and where spells were censored: stage → (months, share,
        lower, upper, censored months) — the band is Greenwood's on the log(−log) scale at 1 − ``alpha``, as the
        tables' median bands are.

        Examples
        --------
        >>> ev = pd.DataFrame({"innovation_id": [1, 1, 2, 3], "stage": ["idea", "prototype", "idea", "idea"],
        ...     "date": pd.to_datetime(["2024-01-01", "2024-04-01", "2024-01-01", "2024-01-01"])})
        >>> times, share, low, high, censored = Velocity(as_of=dt.date(2024, 12, 31)).fit(ev).curves(detail=True)["idea"]
        >>> share.round(2).tolist(), censored.round(1).tolist()
        ([1.0, 0.67, 0.67], [12.0, 12.0])
        """
        out = {}
        for stage, g in self.spells_.drop_duplicates(["innovation_id", "stage", "start"]).groupby("stage", sort=False):
            ended = (g["outcome"] != "in_stage").to_numpy()
            months = g["months"].to_numpy()
            km = kaplan_meier(months, ended, alpha=self.alpha)
            out[stage] = (km.times, km.survival, km.lower, km.upper, np.sort(months[~ended])) if detail else \
                (km.times, km.survival)
        return dict(sorted(out.items(), key=lambda kv: _RANK[kv[0]]))

    def group_curves(self, *, detail: bool = False) -> dict[str, dict[str, tuple[np.ndarray, ...]]]:
        """The curves of :meth:`curves` for each group of ``by`` (hub, programme…): group → stage → curve, groups
        in order of name (an innovation in several programmes counts in each, as in the tables).

        Examples
        --------
        >>> ev = pd.DataFrame({"innovation_id": [1, 1, 2], "stage": ["idea", "prototype", "idea"],
        ...     "date": pd.to_datetime(["2024-01-01", "2024-04-01", "2024-01-01"])})
        >>> inn = pd.DataFrame({"id": [1, 2], "hub": ["Barcelona", "Madrid"]})
        >>> panels = Velocity(as_of=dt.date(2024, 12, 31), by="hub").fit(ev, inn).group_curves()
        >>> {g: {s: c[1].round(2).tolist() for s, c in stages.items()} for g, stages in panels.items()}
        {'Barcelona': {'idea': [1.0, 0.0], 'prototype': [1.0, 1.0]}, 'Madrid': {'idea': [1.0, 1.0]}}
        """
        if "group" not in self.spells_.columns:
            return {"all": self.curves(detail=detail)}
        out = {}
        for group, g in sorted(self.spells_.groupby("group", sort=False), key=lambda kv: str(kv[0]).lower()):
            pooled = Velocity(as_of=self.as_of, alpha=self.alpha)
            pooled.spells_ = g.drop(columns="group")
            out[str(group)] = pooled.curves(detail=detail)
        return out

    def compare(self, events: pd.DataFrame, cohort: Iterable[int], *, measure: str = "time_to_market",
                label: str = "cohort") -> pd.DataFrame:
        """Compare a cohort of innovations (ids) with all the others on time to market (or time in a stage, when
        ``measure`` names a stage): each side's Kaplan–Meier median with its band, and the log-rank p-value."""
        ids = set(cohort)
        if measure == "time_to_market":
            frame = self._market_frame(events)
        else:
            sp = spells(events, self.as_of)
            sp = sp[sp["stage"] == measure].drop_duplicates("innovation_id").set_index("innovation_id")
            frame = pd.DataFrame({"months": sp["months"], "ended": sp["outcome"] != "in_stage"})
        inside = frame.index.isin(ids)
        a, b = frame[inside], frame[~inside]
        table = pd.DataFrame([_summary(a["months"], a["ended"], self.alpha),
                              _summary(b["months"], b["ended"], self.alpha)], index=[label, "others"])
        stat, p = logrank(a["months"], a["ended"], b["months"], b["ended"]) if len(a) and len(b) else (0.0, 1.0)
        table["logrank_p"] = p
        return table

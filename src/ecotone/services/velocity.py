"""Innovation velocity of an atlas: stage histories read once, measured per hub, programme, category or pathway."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd

from ..analysis.velocity import Velocity
from ..domain.parsing import day
from ..domain.problems import InputRejected, Problem
from ..io.charts import survival_chart, survival_panels
from ..store import Atlas
from .analysis import Result, records

__all__ = ["GROUPS", "pipeline_frames", "velocity"]

#: What velocity can be broken down by, and the innovations' column that holds it.
GROUPS = {"hub": "hub", "programme": "programmes", "program": "programmes", "category": "category",
          "pathway": "regulatory_pathway", "area": "clinical_area"}


def pipeline_frames(atlas: Atlas, hub: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stage events and the innovations (with hub, programmes, category, pathway) of an atlas or one hub."""
    inn = atlas.frame("innovation", ["name", "organization_id", "category", "clinical_area", "regulatory_pathway",
                                     "stage"])
    orgs = atlas.frame("organization", ["hub_id"]).set_index("id")["hub_id"]
    hubs = atlas.frame("hub", ["name"]).set_index("id")["name"]
    inn["hub_id"] = inn["organization_id"].map(orgs)
    inn["hub"] = inn["hub_id"].map(hubs)
    part = atlas.frame("participation", ["program_id", "organization_id"])
    programs = atlas.frame("program", ["name", "kind"]).set_index("id")
    part = part.assign(name=part["program_id"].map(programs["name"]), kind=part["program_id"].map(programs["kind"]))
    for column, field in (("programmes", "name"), ("programme_kinds", "kind")):
        lists = part.groupby("organization_id")[field].agg(lambda v: sorted(set(v)))
        inn[column] = inn["organization_id"].map(lists).apply(lambda v: v if isinstance(v, list) else [])
    if hub is not None:
        inn = inn[inn["hub_id"] == atlas.hub_id(hub)]
    events = atlas.frame("stage_event", ["innovation_id", "stage", "date"])
    events = events[events["innovation_id"].isin(inn["id"])]
    return events, inn


def velocity(atlas: Atlas, *, hub: str | None = None, by: str | None = None, as_of: dt.date | str | None = None,
             cohort: str | None = None, measure: str = "time_to_market", chart: Path | None = None) -> Result:
    """Velocity tables: time in each stage (Kaplan–Meier, censored), conversion and stops, time to market,
    fail-fast, bottlenecks and throughput; optionally broken down ``by`` a grouping, or comparing a programme's
    ``cohort`` (participants' innovations) with the others. ``chart`` (.png or .svg) draws the time-in-stage
    curves: one chart, or with ``by`` one panel per group (small multiples on shared axes)."""
    if by is not None and by not in GROUPS:
        raise InputRejected([Problem(column="--by", reason=f"cannot break down by {by!r}",
                                     hint=f"use one of: {', '.join(GROUPS)}")])
    when = day(as_of, "as of") if as_of is not None else dt.date.today()
    events, inn = pipeline_frames(atlas, hub)
    if events.empty:
        raise InputRejected([Problem(reason="no innovation has a stage history here",
                                     hint="import stage events with the JSON bundle (records.stage_event) or try "
                                          "ecotone demo")])
    v = Velocity(as_of=when, by=GROUPS.get(by) if by else None).fit(events, inn)
    panels = None
    if chart is not None and by:
        groups = v.group_curves(detail=True)
        panels = len(groups)
        where = f", {hub}" if hub else ""
        if panels == 1:
            (group, curves), = groups.items()
            survival_chart(curves, chart, title=f"Time in stage, {by} {group}{where} (Kaplan–Meier, as of {when})")
        else:
            survival_panels(groups, chart, title=f"Time in stage per {by}{where} (Kaplan–Meier, as of {when})")
    elif chart is not None:
        survival_chart(v.curves(detail=True), chart,
                       title=f"Time in stage, {hub or 'all hubs'} (Kaplan–Meier, as of {when})")
    tis = v.time_in_stage_.reset_index()
    if by:
        tis = tis.rename(columns={"group": by})
    conv = v.conversion_.reset_index().rename(columns={"group": by} if by else {})
    tables = {"time_in_stage": records(tis.round(2)), "conversion": records(conv.round(3)),
              "time_to_market": records(v.time_to_market_.rename_axis(by or "scope").reset_index().round(2)),
              "fail_fast": records(v.fail_fast_[[c for c in v.fail_fast_.columns if not c.startswith("stopped_in_")]]
                                   .rename_axis("measure").reset_index().round(2)),
              "stops": [{"stage": c.removeprefix("stopped_in_"), "stopped": int(v.fail_fast_[c].iloc[0])}
                        for c in v.fail_fast_.columns if c.startswith("stopped_in_")],
              "bottlenecks": records(v.bottlenecks_.rename_axis("stage").reset_index().round(3)),
              "throughput": records(v.throughput_.rename_axis("quarter").reset_index())}
    ttm = v.time_to_market_.iloc[0] if not by else None
    summary = {"innovations": int(events["innovation_id"].nunique()), "as_of": when.isoformat(),
               "bottleneck": str(v.bottlenecks_.index[0]) if len(v.bottlenecks_) else None}
    if ttm is not None:
        summary["launched"] = int(ttm["left"])
        summary["median_months_to_market"] = None if math.isnan(ttm["median"]) else round(float(ttm["median"]), 1)
    if cohort is not None:
        wanted = cohort.lower()
        member = inn["programmes"].apply(lambda ps: any(wanted in p.lower() for p in ps)) | \
            inn["programme_kinds"].apply(lambda ks: wanted in ks)
        ids = inn.loc[member, "id"]
        if ids.empty:
            raise InputRejected([Problem(column="--cohort", reason=f"no innovation's organisation took part in a "
                                         f"programme named like {cohort!r} or of that kind",
                                         hint="name a programme (ecotone programs list) or a kind (accelerator…)")])
        compared = v.compare(events, ids, measure=measure, label=cohort)
        tables = {"cohort": records(compared.rename_axis("group").reset_index().round(3)), **tables}
        summary["logrank_p"] = round(float(compared["logrank_p"].iloc[0]), 4)
    if chart is not None:
        summary["chart"] = str(chart)
        if panels is not None:
            summary["chart_panels"] = panels
    return Result(tables, summary)

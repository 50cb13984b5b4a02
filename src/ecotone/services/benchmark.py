"""Hub benchmarking: indicators of a thriving ecosystem computed from the atlas, the explained index with rank
intervals over them, its course over the years, and the published ranking set against ours."""

from __future__ import annotations

import dataclasses
import difflib
import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.brokerage import ROLES, role_counts
from ..analysis.ecosystem_index import PILLARS, EcosystemIndex, Indicator
from ..analysis.snapshot import Snapshot
from ..analysis.velocity import Velocity
from ..domain.places import city_name
from ..domain.problems import InputRejected, Problem
from ..store import Atlas
from ..store.tables import TABLES
from .analysis import Filters, Result, records

__all__ = ["GROUPINGS", "INDICATORS", "PUBLISHED_RANKING", "EUR_RATES", "indicator_table", "benchmark",
           "over_time", "published_comparison", "parse_weights"]

#: What hubs can be compared as: the atlas's hubs, or the organisations' cities, countries or world regions.
GROUPINGS = ("hub", "city", "country", "region")
_GROUP_WORDS = {"hub": "hubs", "city": "cities", "country": "countries", "region": "regions"}
#: Groups smaller than this are left out unless the caller says otherwise: a hub is a hub whatever its size, but a
#: city of one organisation is noise (on CORDIS, one-organisation towns would top the ranking with an interval
#: spanning the whole table).
MIN_GROUP_SIZE = {"hub": 1, "city": 5, "country": 5, "region": 5}


def min_group_size(group_by: str, min_actors: int | None = None) -> int:
    """The smallest group kept: ``min_actors`` when given, else the grouping's default (:data:`MIN_GROUP_SIZE`)."""
    return max(int(min_actors), 1) if min_actors is not None else MIN_GROUP_SIZE.get(group_by, 1)

_REGULATORY = ("regulator", "notified_body")
_ACADEMIA = ("university", "research_center")
_SUPPORT_ACTORS = ("hub_operator", "incubator", "accelerator")
_SUPPORT_PROGRAMMES = ("incubator", "accelerator", "mentorship", "fellowship", "network")
_OPEN_CALLS = ("challenge", "grant", "competition")
_FUNDING_PROGRAMMES = ("grant", "research_project")
_EXITS = ("ipo", "acquisition")
_ON_MARKET = ("market_launch", "scale", "cross_border")
_ADDRESSED = ("being_addressed", "solved")
_HELICES = 4

#: Euros per unit of each currency, to add up rounds raised in different currencies: the ECB's euro reference
#: rates, 2024 annual averages (units of the currency per euro), rounded. A round in a currency not listed is
#: left out of the funding figure and said so in the notes.
_PER_EURO = {"EUR": 1.0, "USD": 1.082, "GBP": 0.847, "CHF": 0.953, "SEK": 11.43, "DKK": 7.459, "NOK": 11.63,
             "PLN": 4.306, "CZK": 25.12, "HUF": 395.3, "RON": 4.975, "BGN": 1.956, "ISK": 149.0, "SGD": 1.446,
             "ILS": 4.001, "JPY": 163.9, "CNY": 7.787, "CAD": 1.482, "AUD": 1.640, "INR": 90.56, "KRW": 1475.0,
             "BRL": 5.828, "TRY": 35.57}
EUR_RATES = {code: 1.0 / rate for code, rate in _PER_EURO.items()}

#: The top five European digital-health hubs as Biocat ranked them, in order (reported by Apiumhub, "Digital
#: Health Hub: building the innovation ecosystem", dev.to, 2018; the project's seed 002). Each is the demo's hub
#: of that name (Barcelona's is "Barcelona Health Hub").
PUBLISHED_RANKING = {
    "source": "Biocat, as reported by Apiumhub: Digital Health Hub: building the innovation ecosystem (dev.to)",
    "hubs": ("London", "Munich", "Barcelona Health Hub", "Berlin", "Stockholm"),
}

#: The world regions countries fall in (after the UN geoscheme), for ``group_by="region"`` when hubs name none.
_REGIONS = {
    "Northern Europe": "DK EE FI IS IE LV LT NO SE UK GB FO",
    "Western Europe": "AT BE FR DE LI LU MC NL CH",
    "Southern Europe": "AL AD BA HR CY EL GR IT MT ME MK PT SM RS SI ES VA XK",
    "Eastern Europe": "BY BG CZ HU MD PL RO RU SK UA",
    "Northern America": "US CA",
    "Latin America and the Caribbean": "AR BO BR CL CO CR CU DO EC SV GT HN MX NI PA PY PE UY VE",
    "Western Asia": "AM AZ BH GE IQ IL JO KW LB OM PS QA SA SY TR AE YE",
    "Central and Southern Asia": "AF BD BT IN IR KZ KG MV NP PK LK TJ TM UZ",
    "Eastern Asia": "CN HK JP KP KR MN MO TW",
    "South-eastern Asia": "BN KH ID LA MY MM PH SG TH TL VN",
    "Africa": "DZ AO BJ BW BF BI CM CV CF TD KM CD CG CI DJ EG GQ ER ET GA GM GH GN GW KE LS LR LY MG MW ML MR "
              "MU MA MZ NA NE NG RW ST SN SC SL SO ZA SS SD SZ TZ TG TN UG ZM ZW",
    "Oceania": "AU NZ FJ PG NC PF",
}
_REGION_OF = {code: region for region, codes in _REGIONS.items() for code in codes.split()}

_I = Indicator
#: The indicators, by pillar: seed 001's five characteristics of a thriving ecosystem, then performance and
#: connectedness. Counts over actors are 0 when a group has none of them; a figure read from another kind of
#: record (programmes, deals, people, needs, innovations, ties) is missing where the group has none of that kind.
INDICATORS = (
    _I("support_programmes_per_100_actors", "collaborative_infrastructure",
       "Incubator, accelerator, mentorship, fellowship and network programmes run in the group (by its operator, "
       "its hub or its coordinator), per 100 actors"),
    _I("support_actors_per_100_actors", "collaborative_infrastructure",
       "Hub operators, incubators and accelerators among the group's actors, per 100 actors"),
    _I("cross_helix_tie_share", "cross_sector_integration",
       "Share of the group's ties that join two different helix sectors (academia, industry, government, civil "
       "society)"),
    _I("helix_sectors_present", "cross_sector_integration",
       "How many of the four helix sectors the group's actors cover"),
    _I("open_calls_per_100_actors", "open_innovation",
       "Challenges, grants and competitions run in the group, per 100 actors"),
    _I("needs_raised_per_100_actors", "open_innovation",
       "Unmet clinical needs raised in the group (its hub's, else its clinicians'), per 100 actors"),
    _I("needs_addressed_share", "open_innovation",
       "Share of the group's clinical needs that an innovation addresses (or that are being addressed or solved)"),
    _I("co_creation_ties_per_actor", "open_innovation",
       "Co-development and co-participation ties (joint projects) of the group's actors, per actor"),
    _I("regulatory_actors", "supportive_regulation",
       "Regulators and notified bodies among the group's actors"),
    _I("regulatory_ties_per_100_actors", "supportive_regulation",
       "Ties of the group's actors with regulators or notified bodies, or of regulatory advice, per 100 actors"),
    _I("academia_per_100_actors", "talent_pipeline",
       "Universities and research centres among the group's actors, per 100 actors"),
    _I("mentorship_ties_per_100_actors", "talent_pipeline",
       "Mentorship ties of the group's actors, per 100 actors"),
    _I("people_per_actor", "talent_pipeline", "People recorded in the group's organisations, per actor"),
    _I("deals_per_100_actors", "performance",
       "Funding rounds the group's actors received, per 100 actors (rounds only: hub-wide aggregates never count)"),
    _I("round_funding_per_actor", "performance",
       "Money raised in rounds by the group's actors, in EUR at 2024 ECB reference rates, per actor (rounds "
       "only: hub-wide aggregates never count)"),
    _I("grant_funding_per_actor", "performance",
       "Contributions the group's actors received from grants and research projects (as CORDIS's EC "
       "contributions), per actor"),
    _I("exits", "performance", "Acquisitions and IPOs among the group's rounds"),
    _I("innovations_on_market_per_100_actors", "performance",
       "Innovations of the group's actors on the market (launched, scaling or across borders), per 100 actors"),
    _I("months_to_market_first_quarter", "performance",
       "Months from entering the pipeline until a quarter of the group's innovations are on the market "
       "(Kaplan–Meier, stopped and running ones censored; the median is rarely reached yet)", False),
    _I("cross_group_ties_per_actor", "connectedness",
       "Ties of the group's actors with actors of another group, per actor"),
    _I("brokerage_per_actor", "connectedness",
       "Gould–Fernandez liaison and itinerant brokerage (open two-paths between other groups' actors) of the "
       "group's actors, per actor"),
)


# -- grouping ------------------------------------------------------------------------------------------------------

def _city_labeller(atlas: Atlas) -> Callable[[object, object], str | None]:
    """A city's group label: its one name (:func:`~ecotone.domain.places.city_name`: CORDIS's PARIS CEDEX 15 and a
    hub's Paris are one city), with the country added where two countries have a city of that name (Cambridge (UK),
    Cambridge (US))."""
    orgs = atlas.frame("organization", ["city", "country"])
    hubs = atlas.frame("hub", ["city", "country"])
    pairs = pd.concat([orgs[["city", "country"]], hubs[["city", "country"]]])
    pairs = pairs.assign(name=pairs["city"].map(city_name)).dropna(subset=["name"])
    countries = pairs.dropna(subset=["country"]).groupby("name")["country"].nunique()
    shared = set(countries[countries > 1].index)

    def label(city: object, country: object) -> str | None:
        name = city_name(city)
        if name in shared and isinstance(country, str) and country:
            return f"{name} ({country})"
        return name
    return label


def _labels(atlas: Atlas, snap: Snapshot, group_by: str, label: Callable | None = None) -> np.ndarray:
    """Each actor's group (``None`` when it has none): its hub, city, country or world region."""
    nodes = snap.nodes
    if group_by == "hub":
        return nodes["hub"].astype(object).where(nodes["hub"].notna(), None).to_numpy()
    hubs = atlas.frame("hub", ["city", "region", "country"]).set_index("id")
    hub_ids = nodes["hub_id"]
    country = nodes["country"].astype(object).where(nodes["country"].notna(), hub_ids.map(hubs["country"]))
    country = country.map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
    if group_by == "city":
        label = label or _city_labeller(atlas)
        own = atlas.frame("organization", ["city"]).set_index("id")["city"]
        city = nodes["id"].map(own).astype(object)
        city = city.where(city.map(city_name).notna(), hub_ids.map(hubs["city"]))
        return np.array([label(c, k) for c, k in zip(city, country)], dtype=object)
    if group_by == "country":
        return country.to_numpy()
    region = hub_ids.map(hubs["region"]).astype(object)
    by_country = country.map(lambda c: _REGION_OF.get(c, "Other") if c else None)
    return region.where(region.notna(), by_country).to_numpy()


def _record_labels(atlas: Atlas, group_by: str, label_of_org: pd.Series,
                   label: Callable | None = None) -> pd.Series:
    """Each hub's group (its own name, or its city, country or region), for records placed by a hub."""
    hubs = atlas.frame("hub", ["name", "city", "region", "country"]).set_index("id")
    if group_by == "hub":
        return hubs["name"]
    if group_by == "city":
        label = label or _city_labeller(atlas)
        return pd.Series([label(c, k) for c, k in zip(hubs["city"], hubs["country"])], index=hubs.index)
    if group_by == "country":
        return hubs["country"]
    return hubs["region"].where(hubs["region"].notna(),
                                hubs["country"].map(lambda c: _REGION_OF.get(c, "Other") if c else None))


# -- indicators ----------------------------------------------------------------------------------------------------

def _year_end(year: int | None) -> pd.Timestamp | None:
    return None if year is None else pd.Timestamp(dt.date(int(year), 12, 31))


def _dated(frame: pd.DataFrame, column: str, end: pd.Timestamp | None) -> pd.DataFrame:
    """The records known by ``end``: undated ones always (as the Snapshot keeps undated ties)."""
    if end is None or frame.empty:
        return frame
    return frame[frame[column].isna() | (frame[column] <= end)]


def _count(labels: pd.Series, groups: pd.Index, weights: pd.Series | None = None) -> pd.Series:
    """How many records (or the sum of ``weights``) each group has; groups with none get NaN."""
    labels = labels.dropna()
    if weights is None:
        out = labels.value_counts()
    else:
        out = weights.loc[labels.index].astype(float).groupby(labels).sum()
    return out.reindex(groups)


def _snapshot(atlas: Atlas, filters: Filters, end: pd.Timestamp | None, progress) -> Snapshot:
    kwargs = filters.kwargs()
    if end is not None:
        until = kwargs.get("until")
        kwargs["until"] = min(pd.Timestamp(until), end).date() if until is not None else end.date()
    try:
        snap = Snapshot.from_atlas(atlas, **kwargs, progress=progress)
    except (ValueError, KeyError) as exc:
        raise InputRejected([Problem(reason=str(exc.args[0] if exc.args else exc))]) from None
    if len(snap) == 0:
        raise InputRejected([Problem(reason="no organisation matches these filters",
                                     hint="check --hub and --type, or import data first (ecotone demo)")])
    return snap


def _indicators(atlas: Atlas, filters: Filters, group_by: str, year: int | None, min_actors: int | None,
                progress=None) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """The values (group × indicator), each group's number of actors, and notes on what was left out."""
    if group_by not in GROUPINGS:
        raise InputRejected([Problem(column="group_by", reason=f"cannot group by {group_by!r}",
                                     hint="one of: " + ", ".join(GROUPINGS))])
    end = _year_end(year)
    notes: list[str] = []
    snap = _snapshot(atlas, filters, end, progress)
    city_label = _city_labeller(atlas) if group_by == "city" else None  # read once, for actors and hubs alike
    labels = _labels(atlas, snap, group_by, city_label)
    nodes = snap.nodes.assign(group=labels)
    actors = nodes["group"].dropna().value_counts()
    ungrouped = int(nodes["group"].isna().sum())
    if ungrouped:
        notes.append(f"{ungrouped:,} actors have no {group_by} (nor has their hub) and are left out")
    min_actors = min_group_size(group_by, min_actors)
    small = int((actors < min_actors).sum())
    if len(actors) and actors.max() < min_actors:
        raise InputRejected([Problem(column="min_actors", reason=f"no {group_by} here has {min_actors} actors or "
                                     f"more: the largest, {actors.idxmax()}, has {int(actors.max())}",
                                     hint="lower the smallest group size")])
    actors = actors[actors >= min_actors]
    if small:
        notes.append(f"{small} {_GROUP_WORDS[group_by]} with fewer than {min_actors} actors left out "
                     "(set the minimum group size to keep them)")
    if actors.empty:
        raise InputRejected([Problem(column="group_by", reason=f"no actor here has a {group_by}"
                                     + (f" with {min_actors} actors or more" if min_actors > 1 else ""),
                                     hint="group by another attribute (hub, city, country, region)")])
    groups = actors.sort_index().index
    actors = actors.reindex(groups).astype(float)
    nodes["group"] = nodes["group"].where(nodes["group"].isin(groups), None)
    label_of_org = nodes.set_index("id")["group"]
    hub_label = _record_labels(atlas, group_by, label_of_org, city_label)
    values = pd.DataFrame(index=groups)
    per = 100.0 / actors

    types = nodes["type"]
    in_group = nodes["group"].notna()
    for name, kinds, scale in (("support_actors_per_100_actors", _SUPPORT_ACTORS, per),
                               ("academia_per_100_actors", _ACADEMIA, per),
                               ("regulatory_actors", _REGULATORY, 1.0)):
        counted = nodes.loc[in_group & types.isin(kinds), "group"].value_counts()
        values[name] = counted.reindex(groups).fillna(0.0) * scale
    values["helix_sectors_present"] = nodes[in_group].groupby("group")["helix"].nunique().reindex(groups) \
        .fillna(0.0).clip(upper=_HELICES)

    # Ties: each tie counts once for each group it touches (twice-touching ties of one group count once).
    ties = snap.ties
    if end is not None:
        ties = ties[ties["start_date"].notna() & (ties["start_date"] <= end)]
    src, tgt = ties["source"].to_numpy(), ties["target"].to_numpy()
    codes = pd.Categorical(nodes["group"], categories=groups).codes  # -1: no group
    gs, gt = codes[src], codes[tgt]
    k = len(groups)

    def touching(mask: np.ndarray) -> np.ndarray:
        a = np.bincount(gs[mask & (gs >= 0)], minlength=k)
        b = np.bincount(gt[mask & (gt >= 0) & (gt != gs)], minlength=k)
        return (a + b).astype(float)

    every = np.ones(len(ties), dtype=bool)
    tie_count = touching(every)
    has_ties = tie_count > 0

    def per_ties(counts: np.ndarray, scale: pd.Series | float) -> pd.Series:
        return pd.Series(np.where(has_ties, counts, np.nan), index=groups) * scale

    helix = nodes["helix"].to_numpy()
    kind = ties["kind"].to_numpy()
    regulatory = types.isin(_REGULATORY).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        values["cross_helix_tie_share"] = pd.Series(
            np.where(has_ties, touching(helix[src] != helix[tgt]) / np.where(has_ties, tie_count, 1), np.nan),
            index=groups)
    values["co_creation_ties_per_actor"] = per_ties(touching(np.isin(kind, ("co_development", "co_participation"))),
                                                    1.0 / actors)
    values["regulatory_ties_per_100_actors"] = per_ties(
        touching((kind == "regulatory_advice") | regulatory[src] | regulatory[tgt]), per)
    values["mentorship_ties_per_100_actors"] = per_ties(touching(kind == "mentorship"), per)
    values["cross_group_ties_per_actor"] = per_ties(touching((gs >= 0) & (gt >= 0) & (gs != gt)), 1.0 / actors)

    if progress:
        progress("brokerage", 0, 1)
    broker_snap = snap if end is None else Snapshot.from_frames(snap.nodes, ties)
    broker_snap = dataclasses.replace(broker_snap, nodes=broker_snap.nodes.assign(bench_group=nodes["group"]))
    # The raw role counts only: Brokerage.run also computes the expected counts, whose moments cost O(groups³)
    # (48 s for CORDIS's 1,100 cities) and which the index does not read.
    raw = role_counts(broker_snap.adjacency(directed=True), broker_snap.groups("bench_group"))
    brokered = pd.Series(raw[:, ROLES.index("liaison")] + raw[:, ROLES.index("itinerant")]).groupby(
        nodes["group"].to_numpy()).sum()
    values["brokerage_per_actor"] = per_ties(brokered.reindex(groups).fillna(0.0).to_numpy(), 1.0 / actors)
    if progress:
        progress("brokerage", 1, 1)

    # Programmes: placed by their operator's group, else their hub's, else their coordinator's.
    programs = _dated(atlas.frame("program", ["kind", "hub_id", "operator_id", "start_date"]), "start_date", end)
    part = atlas.frame("participation", ["program_id", "organization_id", "role", "contribution"])
    coordinator = part[part["role"] == "coordinator"].drop_duplicates("program_id").set_index("program_id")
    place = programs["operator_id"].map(label_of_org)
    place = place.where(place.notna(), programs["hub_id"].map(hub_label))
    place = place.where(place.notna(), programs["id"].map(coordinator["organization_id"]).map(label_of_org))
    place = place.where(place.isin(groups), None)
    has_programmes = place.dropna().value_counts().reindex(groups).notna()
    for name, kinds in (("support_programmes_per_100_actors", _SUPPORT_PROGRAMMES),
                        ("open_calls_per_100_actors", _OPEN_CALLS)):
        counted = place[programs["kind"].isin(kinds)].dropna().value_counts().reindex(groups).fillna(0.0)
        values[name] = counted.where(has_programmes) * per

    # Clinical needs: placed by their hub, else by the clinician who raised them.
    need_columns = [c for c in ("hub_id", "raised_by_id", "raised_by_person_id", "innovation_ids", "status")
                    if c in TABLES["clinical_need"].c]
    needs = atlas.frame("clinical_need", need_columns)
    people = atlas.frame("person", ["organization_id"])
    person_org = people.set_index("id")["organization_id"]
    raiser = pd.Series(None, index=needs.index, dtype=object)
    for column in ("raised_by_person_id", "raised_by_id"):
        if column in needs:
            raiser = raiser.where(raiser.notna(), needs[column].map(person_org).map(label_of_org))
    need_place = needs["hub_id"].map(hub_label).astype(object)
    need_place = need_place.where(need_place.notna(), raiser)
    need_place = need_place.where(need_place.isin(groups), None)
    raised = _count(need_place, groups)
    values["needs_raised_per_100_actors"] = raised * per
    addressed = pd.Series(False, index=needs.index)
    if "innovation_ids" in needs:
        addressed |= needs["innovation_ids"].map(lambda v: bool(v))
    if "status" in needs:
        addressed |= needs["status"].isin(_ADDRESSED)
    values["needs_addressed_share"] = _count(need_place[addressed], groups).fillna(0.0).where(raised.notna()) / raised

    values["people_per_actor"] = _count(people["organization_id"].map(label_of_org), groups) / actors

    # Deals: rounds only; a hub-wide aggregate is a press figure for a whole region, never a round.
    deals = _dated(atlas.frame("deal", ["recipient_id", "amount", "currency", "date", "round_type"]), "date", end)
    deals = deals[(deals["round_type"] != "aggregate") & deals["recipient_id"].notna()]
    deal_place = deals["recipient_id"].map(label_of_org)
    rounds = _count(deal_place, groups)
    values["deals_per_100_actors"] = rounds * per
    rate = deals["currency"].map(EUR_RATES)
    unknown = sorted(set(deals.loc[rate.isna() & deals["amount"].notna(), "currency"]))
    if unknown:
        notes.append(f"Rounds in {', '.join(unknown)} are left out of the funding figures (no reference rate).")
    euros = (deals["amount"] * rate).fillna(0.0)
    values["round_funding_per_actor"] = _count(deal_place, groups, euros).where(rounds.notna()) / actors
    values["exits"] = _count(deal_place[deals["round_type"].isin(_EXITS)], groups).fillna(0.0).where(rounds.notna())

    kinds = atlas.frame("program", ["kind"]).set_index("id")["kind"]
    funded = part[part["program_id"].map(kinds).isin(_FUNDING_PROGRAMMES) & part["contribution"].notna()]
    if end is not None:
        starts = programs.set_index("id")["start_date"]
        funded = funded[funded["program_id"].isin(starts.index)]
    values["grant_funding_per_actor"] = _count(funded["organization_id"].map(label_of_org), groups,
                                               funded["contribution"]) / actors

    # Innovations: their stage on the year's last day (or now), and months to market from their histories.
    inn = atlas.frame("innovation", ["organization_id", "stage"])
    inn["group"] = inn["organization_id"].map(label_of_org)
    events = atlas.frame("stage_event", ["innovation_id", "stage", "date"])
    events = events[events["innovation_id"].isin(inn["id"])]
    if end is not None:
        events = events[events["date"] <= end]
        reached = events[events["stage"].isin(_ON_MARKET)]["innovation_id"].unique()
        on_market = inn["id"].isin(reached)
        inn = inn[inn["id"].isin(events["innovation_id"]) | ~inn["id"].isin(
            atlas.frame("stage_event", ["innovation_id"])["innovation_id"])]
        on_market = on_market.loc[inn.index]
    else:
        on_market = inn["stage"].isin(_ON_MARKET)
    known = _count(inn["group"], groups)
    values["innovations_on_market_per_100_actors"] = \
        _count(inn.loc[on_market, "group"], groups).fillna(0.0).where(known.notna()) * per
    months = pd.Series(np.nan, index=groups)
    if not events.empty:
        as_of = (end or pd.Timestamp(dt.date.today())).date()
        v = Velocity(as_of=as_of, by="group").fit(events, inn[["id", "group"]])
        months = v.time_to_market_["q1"].reindex(groups).astype(float)
    values["months_to_market_first_quarter"] = months

    values = values[[i.name for i in INDICATORS]].astype(float)
    values.index.name = group_by
    return values, actors, notes


def _coverage(values: pd.DataFrame) -> pd.DataFrame:
    rows = [{"indicator": i.name, "pillar": i.pillar, "definition": i.definition,
             "higher_is_better": i.higher_is_better, "coverage": float(values[i.name].notna().mean())}
            for i in INDICATORS]
    return pd.DataFrame(rows)


def indicator_table(atlas: Atlas, filters: Filters | None = None, group_by: str = "hub", year: int | None = None,
                    *, min_actors: int | None = None, progress=None) -> tuple[pd.DataFrame, list[Indicator], pd.DataFrame]:
    """The benchmark's indicators for every group of an atlas, as the caller may see it.

    Parameters
    ----------
    atlas : the atlas (its principal decides what is read).
    filters : the part of the atlas to read (hubs, types, kinds, dates).
    group_by : ``hub`` (default), ``city`` (the organisations' city, else their hub's: on CORDIS data the cities
        become the hubs), ``country`` or ``region`` (the hub's region, else the country's world region).
    year : the state at the end of this year (records dated later left out; undated ones kept).
    min_actors : leave out groups with fewer actors (default :data:`MIN_GROUP_SIZE`: 1 a hub, 5 a city, country
        or region).

    Returns
    -------
    values : groups × indicators (NaN where the atlas records nothing of the kind for a group).
    indicators : the :data:`INDICATORS`.
    coverage : per indicator, its pillar, definition, direction and the share of groups with data.

    Examples
    --------
    >>> from ecotone.domain import Hub, Organization, Tie
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = atlas.add_all([Hub(name="BCN"), Hub(name="WAW")])
    ...     _ = atlas.add_all([Organization(name="Clínic", type="hospital", hub_id=1),
    ...                        Organization(name="UB", type="university", hub_id=1),
    ...                        Organization(name="Kardio", type="startup", hub_id=2)])
    ...     _ = atlas.add(Tie(source_id=1, target_id=3, kind="clinical_pilot"))
    ...     values, indicators, coverage = indicator_table(atlas)
    >>> values.loc["BCN", ["academia_per_100_actors", "helix_sectors_present", "cross_group_ties_per_actor"]].tolist()
    [50.0, 2.0, 0.5]
    >>> math.isnan(values.loc["WAW", "deals_per_100_actors"])  # no deal recorded: missing, not 0
    True
    """
    values, _, _ = _indicators(atlas, filters or Filters(), group_by, year, min_actors, progress)
    return values, list(INDICATORS), _coverage(values)


# -- the index -----------------------------------------------------------------------------------------------------

def parse_weights(text: str | dict[str, float] | None) -> dict[str, float] | None:
    """Pillar weights from ``pillar=w,pillar=w`` (or a dict); an unknown pillar or a bad number is named.

    >>> parse_weights("performance=2, connectedness=0.5")
    {'performance': 2.0, 'connectedness': 0.5}
    >>> parse_weights("speed=2")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ecotone.domain.problems.InputRejected: ...
    """
    if text is None or text == "" or text == {}:
        return None
    pairs = text.items() if isinstance(text, dict) else []
    problems: list[Problem] = []
    if isinstance(text, str):
        parsed = []
        for part in (p.strip() for p in text.split(",") if p.strip()):
            name, sep, number = part.partition("=")
            if not sep:
                problems.append(Problem(column="weights", reason=f"{part!r} is not pillar=weight",
                                        hint="e.g. performance=2,connectedness=1"))
                continue
            parsed.append((name.strip(), number.strip()))
        pairs = parsed
    out: dict[str, float] = {}
    for name, number in pairs:
        key = str(name).strip().lower().replace(" ", "_").replace("-", "_")
        if key not in PILLARS:
            problems.append(Problem(column="weights", reason=f"{name!r} is not a pillar",
                                    hint="the pillars: " + ", ".join(PILLARS)))
            continue
        try:
            weight = float(number)
        except (TypeError, ValueError):
            weight = float("nan")
        if not (math.isfinite(weight) and weight >= 0):
            problems.append(Problem(column="weights",
                                    reason=f"the weight of {key} must be a number ≥ 0, not {number!r}"))
            continue
        out[key] = weight
    if not problems and out and sum(out.values()) <= 0:
        problems.append(Problem(column="weights", reason="the weights add up to 0", hint="give one pillar a weight"))
    if problems:
        raise InputRejected(problems)
    return out or None


def _index(values: pd.DataFrame, *, normalisation: str, aggregation: str, weights: dict[str, float] | None,
           draws: int, seed: int, progress: Callable | None = None) -> EcosystemIndex:
    if normalisation not in EcosystemIndex.normalisations:
        raise InputRejected([Problem(column="normalisation",
                                     reason=f"{normalisation!r} is not a normalisation",
                                     hint="one of: " + ", ".join(EcosystemIndex.normalisations))])
    if aggregation not in EcosystemIndex.aggregations:
        raise InputRejected([Problem(column="aggregation",
                                     reason=f"{aggregation!r} is not an aggregation",
                                     hint="one of: " + ", ".join(EcosystemIndex.aggregations))])
    if not isinstance(draws, int) or draws < 0:
        raise InputRejected([Problem(column="draws", reason="draws must be a whole number ≥ 0")])
    used = [i for i in INDICATORS if values[i.name].notna().any()]
    if not used:
        raise InputRejected([Problem(reason="the atlas records nothing the indicators read for these groups",
                                     hint="import ties, deals or programmes (ecotone demo shows them)")])
    if weights:
        present = {i.pillar for i in used}
        weights = {p: w for p, w in weights.items() if p in present} or None
    try:
        return EcosystemIndex(used, normalisation=normalisation, aggregation=aggregation, weights=weights,
                              draws=draws, seed=seed).run(
            values[[i.name for i in used]],
            progress=(lambda done, total: progress("Monte Carlo draws", done, total)) if progress else None)
    except ValueError as exc:
        raise InputRejected([Problem(reason=str(exc))]) from None


def _words(name: str) -> str:
    return name.replace("_", " ")


def _reasons(index: EcosystemIndex, group: str) -> str:
    """Why a group stands where it does, in words."""
    strong = ", ".join(_words(p) for p in index.strengths_.get(group, [])) or "none"
    weak = ", ".join(_words(p) for p in index.weaknesses_.get(group, [])) or "none"
    return f"strongest in {strong}; weakest in {weak}"


def benchmark(atlas: Atlas, filters: Filters | None = None, *, group_by: str = "hub", hub: str | None = None,
              weights: str | dict[str, float] | None = None, normalisation: str = "minmax",
              aggregation: str = "arithmetic", draws: int = 1000, seed: int = 0, year: int | None = None,
              min_actors: int | None = None, progress: Callable | None = None) -> Result:
    """Rank the groups of an atlas on the ecosystem index, with rank intervals over the modeller's choices.

    ``ranking`` holds each group's rank, 90% rank interval, score, coverage, strengths, weaknesses and levers;
    ``pillars`` the sub-scores, ``contributions`` the points each pillar adds, ``indicators`` the definitions with
    their coverage, ``levers`` the changes that move each group most, ``sensitivity`` which choice moves ranks
    most, ``values`` the raw indicator values and ``published`` seed 002's ranking set against ours. With ``hub``
    the tables keep that group's rows (its decomposition) but the ranks are the whole comparison's.
    """
    pillar_weights = parse_weights(weights)
    values, actors, notes = _indicators(atlas, filters or Filters(), group_by, year, min_actors, progress)
    index = _index(values, normalisation=normalisation, aggregation=aggregation, weights=pillar_weights,
                   draws=draws, seed=seed, progress=progress)
    scores = index.scores_.copy()
    scores["actors"] = scores["group"].map(actors).astype(int)
    scores["strengths"] = scores["group"].map(lambda g: [_words(p) for p in index.strengths_.get(g, [])])
    scores["weaknesses"] = scores["group"].map(lambda g: [_words(p) for p in index.weaknesses_.get(g, [])])
    levers = index.levers_.copy()
    lever_words = levers.groupby("group").apply(
        lambda g: [f"{_words(r.indicator)} from {_amount(r.indicator, r.now)} to {_amount(r.indicator, r.to)}"
                   for r in g.itertuples()],
        include_groups=False) if len(levers) else pd.Series(dtype=object)
    scores["levers"] = scores["group"].map(lambda g: lever_words.get(g, []))
    scores["reasons"] = scores["group"].map(lambda g: _reasons(index, g))
    scores = scores.sort_values(["rank", "group"]).reset_index(drop=True)
    pillars = index.pillars_.rename_axis("group").reset_index()
    contributions = index.contributions_.rename_axis("group").reset_index()
    raw = values.rename_axis("group").reset_index()
    label = None
    if hub is not None:
        label = _pick(hub, scores["group"], group_by)
        keep = scores["group"] == label
        scores, pillars = scores[keep], pillars[pillars["group"] == label]
        contributions, raw = contributions[contributions["group"] == label], raw[raw["group"] == label]
        levers = levers[levers["group"] == label]
        decomposition = _decomposition(index, values, label)
    published = published_comparison(index, actors) if group_by == "hub" else pd.DataFrame()
    imputed = index.imputed_ if label is None else index.imputed_[index.imputed_["group"] == label]
    summary = {"groups": int(len(index.scores_)), "group_by": group_by, "normalisation": normalisation,
               "aggregation": aggregation, "draws": draws, "year": year,
               "weights": {**dict.fromkeys(PILLARS, 1.0), **(pillar_weights or {})},
               "leader": str(index.scores_.sort_values("rank")["group"].iloc[0]), **({"hub": label} if label else {})}
    tables = {"decomposition": records(decomposition)} if label else {}
    return Result(tables={**tables, "ranking": records(scores), "pillars": records(pillars),
                          "contributions": records(contributions), "indicators": records(_coverage(values)),
                          "levers": records(levers), "sensitivity": records(index.sensitivity_),
                          "imputed": records(imputed), "values": records(raw),
                          "published": records(published)},
                  summary=summary,
                  notes={"notes": notes + [
                      f"{len(index.imputed_):,} of {values.size:,} indicator values are missing and filled with "
                      "the median of the other groups (never counted as zero); coverage is the share of indicators "
                      "a group has data for.",
                      ("Rank intervals are the 5th to 95th percentiles of the ranks over Monte Carlo draws of the "
                       "weights, the normalisation and the aggregation (OECD/JRC Handbook on composite indicators)."
                       if draws else "No Monte Carlo draws: each rank interval is the rank itself.")]
                      + ([f"With a year, the state at the end of {year}: records dated later are left out, "
                          "undated ones kept."] if year else [])})


def _decomposition(index: EcosystemIndex, values: pd.DataFrame, group: str) -> pd.DataFrame:
    """One group's score pillar by pillar: the sub-score, its weight, the points it adds, and its indicators'
    values (imputed ones marked)."""
    imputed = index.imputed_[index.imputed_["group"] == group].set_index("indicator")["value"]
    rows = []
    for pillar in index.pillars_.columns:
        shown = []
        for ind in (i for i in INDICATORS if i.pillar == pillar and i.name in values.columns):
            if ind.name in imputed.index:
                shown.append(f"{_words(ind.name)} {_num(float(imputed[ind.name]))} (imputed)")
            elif not math.isnan(values.loc[group, ind.name]):
                shown.append(f"{_words(ind.name)} {_num(float(values.loc[group, ind.name]))}")
        rows.append({"pillar": pillar, "score": float(index.pillars_.loc[group, pillar]),
                     "weight": float(index.weights_.get(pillar, float("nan"))),
                     "contribution": float(index.contributions_.loc[group, pillar]),
                     "indicators": "; ".join(shown)})
    return pd.DataFrame(rows)


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _amount(indicator: str, value: Any) -> str:
    """An indicator's value with its unit: shares as percentages, funding in euros, durations in months.

    >>> _amount("cross_helix_tie_share", 0.384), _amount("grant_funding_per_actor", 412345.6), _amount("exits", 2.0)
    ('38%', 'EUR 412,346', '2')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    if indicator.endswith("_share"):
        return f"{value:.0%}"
    if "funding" in indicator:
        return f"EUR {value:,.0f}"
    if indicator.startswith("months"):
        return f"{_num(value)} months"
    return _num(value)


def _pick(name: str, groups: pd.Series, group_by: str) -> str:
    known = [str(g) for g in groups]
    for candidate in (name, name.lower()):
        hits = [g for g in known if g == candidate or g.lower() == candidate.lower()]
        if hits:
            return hits[0]
    hits = [g for g in known if name.lower() in g.lower()]
    if len(hits) == 1:
        return hits[0]
    # a misspelt name or the misspelt start of one (Barcelna: Barcelona Health Hub)
    likeness = {g: max(difflib.SequenceMatcher(None, name.lower(), g.lower()[:n]).ratio()
                       for n in (len(name), len(g))) for g in known}
    close = [max(likeness, key=likeness.get).lower()] if likeness and max(likeness.values()) >= 0.75 else []
    listed = sorted(hits or known)
    more = f" … and {len(listed) - 12} more" if len(listed) > 12 else ""
    raise InputRejected([Problem(column="hub", reason=f"no {group_by} {name!r} is ranked here"
                                 + (f" ({len(hits)} names contain it)" if hits else ""),
                                 hint=(f"did you mean {next(g for g in known if g.lower() == close[0])!r}? "
                                       if close and not hits else "")
                                 + "groups: " + ", ".join(listed[:12]) + more)])


def published_comparison(index: EcosystemIndex, actors: pd.Series | None = None) -> pd.DataFrame:
    """Seed 002's published ranking (Biocat's top five) against our ranks of the same hubs, with the pillars that
    put each hub above or below the one the publication places next to it.

    One row per published hub present: published rank, our rank among the five, our overall rank and interval,
    and ``why``: the pillars where it is ahead of and behind the hub published one place below (or above, for
    the last)."""
    scores = index.scores_.set_index("group")
    present = [h for h in PUBLISHED_RANKING["hubs"] if h in scores.index]
    if not present:
        return pd.DataFrame(columns=["hub", "published_rank", "our_rank_among_them", "rank", "rank_low",
                                     "rank_high", "agrees", "why"])
    ours = scores.loc[present, "score"].rank(ascending=False, method="first").astype(int)
    pillars = index.pillars_
    rows = []
    for i, hub in enumerate(present):
        other = present[i + 1] if i + 1 < len(present) else (present[i - 1] if i else None)
        why = ""
        if other is not None:
            diff = (pillars.loc[hub] - pillars.loc[other]).dropna().sort_values()
            ahead = [f"{_words(p)} (+{d:.0f})" for p, d in diff[::-1].items() if d > 0.5][:2]
            behind = [f"{_words(p)} ({d:.0f})" for p, d in diff.items() if d < -0.5][:2]
            why = (f"against {other}: ahead in {', '.join(ahead) or 'no pillar'}; "
                   f"behind in {', '.join(behind) or 'no pillar'}")
        rows.append({"hub": hub, "published_rank": PUBLISHED_RANKING["hubs"].index(hub) + 1,
                     "our_rank_among_them": int(ours[hub]), "rank": int(scores.loc[hub, "rank"]),
                     "rank_low": int(scores.loc[hub, "rank_low"]), "rank_high": int(scores.loc[hub, "rank_high"]),
                     "agrees": int(ours[hub]) == PUBLISHED_RANKING["hubs"].index(hub) + 1 if len(present) == 5
                     else None, "why": why})
    return pd.DataFrame(rows)


def over_time(atlas: Atlas, filters: Filters | None = None, *, group_by: str = "hub",
              weights: str | dict[str, float] | None = None, normalisation: str = "minmax",
              aggregation: str = "arithmetic", years: int = 8, hub: str | None = None, min_actors: int | None = None,
              progress: Callable | None = None) -> Result:
    """The index and its pillars at the end of each of the last ``years`` years that have dated records (ties,
    deals, stage events, programmes), so a hub sees whether it improves. Each year is scored on its own (groups
    compared within the year), without Monte Carlo."""
    pillar_weights = parse_weights(weights)
    dates = pd.concat([atlas.frame("tie", ["start_date"])["start_date"], atlas.frame("deal", ["date"])["date"],
                       atlas.frame("stage_event", ["date"])["date"],
                       atlas.frame("program", ["start_date"])["start_date"]]).dropna()
    if dates.empty:
        raise InputRejected([Problem(reason="no tie, deal, stage event or programme here is dated",
                                     hint="date the records (start_date, date) to follow the index over time")])
    last = min(int(dates.dt.year.max()), dt.date.today().year)
    first = max(int(dates.dt.year.min()), last - max(int(years), 1) + 1)
    rows, pillar_rows = [], []
    for n, year in enumerate(range(first, last + 1)):
        if progress:
            progress("years", n, last - first + 1)
        try:
            values, actors, _ = _indicators(atlas, filters or Filters(), group_by, year, min_actors)
            index = _index(values, normalisation=normalisation, aggregation=aggregation, weights=pillar_weights,
                           draws=0, seed=0)
        except InputRejected:
            continue
        for r in index.scores_.itertuples():
            rows.append({"year": year, "group": r.group, "score": r.score, "rank": r.rank, "coverage": r.coverage})
        for group, row in index.pillars_.iterrows():
            pillar_rows.extend({"year": year, "group": group, "pillar": p, "score": row[p]} for p in row.index)
    if progress:
        progress("years", last - first + 1, last - first + 1)
    scores, pillars = pd.DataFrame(rows), pd.DataFrame(pillar_rows)
    if hub is not None and len(scores):
        label = _pick(hub, pd.Series(scores["group"].unique()), group_by)
        scores, pillars = scores[scores["group"] == label], pillars[pillars["group"] == label]
    return Result(tables={"over_time": records(scores), "pillars_over_time": records(pillars)},
                  summary={"from": first, "to": last, "group_by": group_by, "years": int(scores["year"].nunique())
                           if len(scores) else 0},
                  notes={"notes": ["Each year is the state at its end: records dated later are left out, undated "
                                   "ones kept; groups are compared within the year."]})

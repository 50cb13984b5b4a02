"""Indicators from data for a partnership's four criteria, each with its evidence, proposed before anyone rates."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from ..domain import Criterion, KpiDirection, helix_of
from .profiles import REGION, Profiles
from .text import tokens

__all__ = ["indicators", "attainment", "INDICATOR_COLUMNS"]

INDICATOR_COLUMNS = ["criterion", "indicator", "value", "suggested", "evidence"]


def attainment(target: float, actual: float, direction: KpiDirection | str = "increase",
               baseline: float | None = None) -> float:
    """How far a KPI has come towards its target, in [0, 1] (from the baseline when there is one).

    >>> attainment(10, 4), attainment(10, 4, baseline=2), attainment(12, 18, "decrease", baseline=24)
    (0.4, 0.25, 0.5)
    """
    direction = KpiDirection(direction)
    if baseline is not None and baseline != target:
        done = (actual - baseline) / (target - baseline)
    elif direction is KpiDirection.increase:
        done = actual / target if target else 1.0
    else:
        done = target / actual if actual else 1.0
    return float(min(max(done, 0.0), 1.0))


def _pairs(positions: list[int]) -> list[tuple[int, int]]:
    return list(itertools.combinations(positions, 2))


def _row(criterion: Criterion, name: str, value: float, evidence: str) -> dict:
    return {"criterion": criterion.value, "indicator": name, "value": round(float(value), 3),
            "suggested": round(1 + 4 * float(value), 1), "evidence": evidence}


def indicators(profiles: Profiles, positions: list[int], kpis: pd.DataFrame | None = None) -> pd.DataFrame:
    """The data indicators of a partnership between the organisations at ``positions`` (a value in [0, 1], the
    rating 1–5 it suggests, and the evidence). With more than two partners, each value is the mean over pairs.

    ``kpis`` has one row per KPI: ``name``, ``unit``, ``target``, ``direction``, ``baseline``, and its latest
    ``actual`` and ``actual_date`` (missing when none was recorded yet).
    """
    p = profiles
    name = p.names
    pairs = _pairs(positions)
    rows = []

    shared, evidence = [], []
    for a, b in pairs:
        sa, sb = set(p.areas[a]), set(p.areas[b])
        shared.append(len(sa & sb) / len(sa | sb) if sa | sb else 0.0)
        evidence.append(f"{name[a]} and {name[b]} share {', '.join(sorted(sa & sb)) or 'no area'}"
                        + (f" (of {len(sa | sb)})" if sa | sb else ""))
    rows.append(_row(Criterion.strategic_alignment, "shared focus and clinical areas", np.mean(shared),
                     "; ".join(evidence)))
    similar = [float((p.about_x[a] @ p.about_x[b].T).toarray()[0, 0]) for a, b in pairs]
    rows.append(_row(Criterion.strategic_alignment, "similar descriptions (TF-IDF cosine)", np.mean(similar),
                     "; ".join(f"{name[a]} – {name[b]}: {s:.2f}" for (a, b), s in zip(pairs, similar))))

    covered, evidence = [], []
    for a, b in pairs:
        for x, y in ((a, b), (b, a)):
            needs = p.needs[x]
            offers = set(tokens(" ".join(p.offers[y])))
            met = [n for n in needs if set(tokens(n)) & offers]
            if needs:
                covered.append(len(met) / len(needs))
                evidence.append(f"{name[y]} meets {len(met)} of {name[x]}'s {len(needs)} needs"
                                + (f" ({', '.join(met)})" if met else ""))
    rows.append(_row(Criterion.complementary_capabilities, "offers meet the other's needs",
                     np.mean(covered) if covered else 0.0, "; ".join(evidence) or "no needs listed"))
    differ = []
    for a, b in pairs:
        ta, tb = p.types[a], p.types[b]
        same_helix = ta != "clinician" and tb != "clinician" and helix_of(ta) == helix_of(tb)
        differ.append(0.2 if ta == tb else 0.6 if same_helix else 1.0)
    rows.append(_row(Criterion.complementary_capabilities, "different stakeholder types", np.mean(differ),
                     "; ".join(f"{name[a]} is a {p.types[a].replace('_', ' ')}, {name[b]} a "
                               f"{p.types[b].replace('_', ' ')}" for a, b in pairs)))

    past, evidence = [], []
    kinds = p.snapshot.ties
    for a, b in pairs:
        between = kinds[((kinds["source"] == a) & (kinds["target"] == b)) | ((kinds["source"] == b) & (kinds["target"] == a))]
        past.append(1 - math.exp(-len(between)))
        evidence.append(f"{len(between)} ties between {name[a]} and {name[b]}"
                        + (f" ({', '.join(sorted(set(between['kind'])))})" if len(between) else ""))
    rows.append(_row(Criterion.cultural_fit, "past collaborations", np.mean(past), "; ".join(evidence)))
    rows.append(_row(Criterion.cultural_fit, "openness (cross-hub ties, data sharing, programmes)",
                     np.mean([p.openness[x] for x in positions]),
                     "; ".join(f"{name[x]}: {p.openness[x]:.2f}" for x in positions)))
    near, evidence = [], []
    for a, b in pairs:
        s = len(set(p.adjacency[a].indices) & set(p.adjacency[b].indices))
        tied = p.adjacency[a, b] > 0
        link = p.hub_link[p.hub[a], p.hub[b]]
        near.append(1.0 if tied else 0.6 * (1 - 0.5 ** s) + 0.4 * link)
        evidence.append(f"{name[a]} – {name[b]}: " + ("tied directly" if tied else
                                                       f"{s} shared partners, hub link {link:.2f}"))
    rows.append(_row(Criterion.cultural_fit, "network proximity", np.mean(near), "; ".join(evidence)))
    close, evidence = [], []
    for a, b in pairs:
        same_lang = p.language[a] >= 0 and p.language[a] == p.language[b]
        same_region = p.region[a] >= 0 and p.region[a] == p.region[b]
        close.append(1.0 if same_lang else 0.5 if same_region else 0.0)
        evidence.append(f"{name[a]} ({p.country[a] or '?'}) – {name[b]} ({p.country[b] or '?'}): "
                        + ("same language" if same_lang else f"same region ({REGION[p.country[a]]})" if same_region
                           else "different language and region"))
    rows.append(_row(Criterion.cultural_fit, "same language or region", np.mean(close), "; ".join(evidence)))

    kpis = kpis if kpis is not None else pd.DataFrame(columns=["name", "target", "direction", "baseline", "actual"])
    rows.append(_row(Criterion.impact_measurement, "KPIs declared", min(len(kpis) / 3, 1.0),
                     f"{len(kpis)} KPIs with targets: {', '.join(kpis['name'])}" if len(kpis) else "no KPI declared"))
    measured = kpis[kpis["actual"].notna()] if len(kpis) else kpis
    done = [attainment(k["target"], k["actual"], k["direction"], None if pd.isna(k["baseline"]) else k["baseline"])
            for _, k in measured.iterrows()]
    evidence = [f"{k['name']}: {k['actual']:g} against {k['target']:g}"
                + (f" {k['unit']}" if isinstance(k.get("unit"), str) else "") + f" ({d:.0%})"
                for (_, k), d in zip(measured.iterrows(), done)]
    rows.append(_row(Criterion.impact_measurement, "KPIs on track (latest actual vs target)",
                     np.mean(done) if done else 0.0, "; ".join(evidence) or "no actual recorded yet"))
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


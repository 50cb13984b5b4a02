"""Regulatory pathways: typical months from filing to a decision, with where each figure comes from.

The figures are published ones (GAO reports, an EC notified-body survey, FDA cohort data, Germany's DiGA rules,
Makower et al. 2010) and serve as priors for the simulation's approval time. Where no figure has been collected,
the pathway says so and borrows another's figure, marked as an assumption; replace it with your own data.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import pandas as pd

__all__ = ["PATHWAYS", "Pathway", "pathway", "pathways_table"]


@dataclass(frozen=True)
class Pathway:
    """A route to market authorisation: who decides, the typical months it takes (low, typical, high) and why."""

    name: str
    region: str
    authority: str
    low: float
    typical: float
    high: float
    source: str
    assumption: bool = False
    aliases: tuple[str, ...] = ()


_CE_SURVEY = ("EC survey of notified bodies (2023): most MDR certificates take 6–12 months, the next most 13–18 "
              "months; the survey does not split by class")
PATHWAYS: tuple[Pathway, ...] = (
    Pathway("CE (MDR) class I", "EU", "manufacturer (self-declaration)", 1, 2, 3,
            "no notified body for non-sterile, non-measuring class I devices; months are an assumption for "
            "preparing the technical file", assumption=True),
    Pathway("CE (MDR) class IIa", "EU", "notified body", 6, 12, 18, _CE_SURVEY),
    Pathway("CE (MDR) class IIb", "EU", "notified body", 6, 12, 18, _CE_SURVEY),
    Pathway("CE (MDR) class III", "EU", "notified body", 6, 12, 18, _CE_SURVEY),
    Pathway("CE (MDR)", "EU", "notified body", 6, 12, 18, _CE_SURVEY, aliases=("CE", "MDR", "CE marking")),
    Pathway("FDA 510(k)", "US", "FDA", 3.3, 10, 31,
            "GAO: average FDA decision 100 days (FY2005) to 161 days (FY2010); Makower 2010 (204 companies): about "
            "10 months from first filing to clearance, 31 months when clinical questions arise",
            aliases=("510(k)",)),
    Pathway("FDA De Novo", "US", "FDA", 7.5, 7.5, 12,
            "FDA: 229 days average to decision (FY2024 cohort); high end an assumption", aliases=("De Novo",)),
    Pathway("FDA PMA", "US", "FDA", 15.2, 18, 20.6, "GAO: 462 days (FY2003) to 627 days (FY2008)",
            aliases=("PMA",)),
    Pathway("DiGA fast track", "DE", "BfArM", 3, 3, 15,
            "DiGA rules: BfArM decides within 3 months; a provisional listing runs a 12-month trial phase "
            "(high end: decision plus the trial)", aliases=("DiGA",)),
    Pathway("UKCA", "UK", "UK approved body", 6, 12, 18,
            "no figure collected; assumed like CE (MDR), UK approved bodies follow the same conformity assessment",
            assumption=True),
    Pathway("HSA Class B", "SG", "Health Sciences Authority", 6, 12, 18,
            "no figure collected; assumed like CE (MDR)", assumption=True),
    Pathway("AMAR", "IL", "Ministry of Health (AMAR)", 6, 12, 18,
            "no figure collected; assumed like CE (MDR), as AMAR registration leans on a CE or FDA approval",
            assumption=True),
)


def pathway(name: str) -> Pathway:
    """The pathway called ``name`` (case and spacing ignored; aliases such as "510k" or "DiGA" accepted).

    Examples
    --------
    >>> pathway("diga").typical, pathway("510k").name
    (3, 'FDA 510(k)')
    >>> pathway("Breakthrough")
    Traceback (most recent call last):
    ...
    KeyError: "unknown regulatory pathway 'Breakthrough'; known: CE (MDR) class I, CE (MDR) class IIa, CE (MDR) class IIb, CE (MDR) class III, CE (MDR), FDA 510(k), FDA De Novo, FDA PMA, DiGA fast track, UKCA, HSA Class B, AMAR"
    """
    key = _key(name)
    for p in PATHWAYS:
        if key in {_key(p.name), *map(_key, p.aliases)}:
            return p
    raise KeyError(f"unknown regulatory pathway {name!r}; known: {', '.join(p.name for p in PATHWAYS)}")


def _key(name: str) -> str:
    return re.sub(r"[\s_()]+", "", name).lower()


def pathways_table() -> pd.DataFrame:
    """Every pathway as a table (one row each), for display and export."""
    return pd.DataFrame([asdict(p) for p in PATHWAYS]).drop(columns="aliases")

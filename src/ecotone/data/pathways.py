"""Regulatory pathways: typical months from filing to a decision, with where each figure comes from.

The figures are published ones (FDA's MDUFA performance reports, the European Commission's notified-body surveys
on MDR certification, GAO reports, Germany's DiGA rules, Makower et al. 2010) and serve as priors for the
simulation's approval time. Where no figure has been collected, the pathway says so and borrows another's
figure, marked as an assumption. A hub replaces any figure with its own by importing an overrides file (CSV:
pathway, low, typical, high, source), kept beside the atlas; :func:`pathway` reads it when given the atlas.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pandas as pd

from ..domain.problems import InputRejected, Problem

__all__ = ["PATHWAYS", "Pathway", "pathway", "pathways_table", "OVERRIDE_COLUMNS", "overrides_path",
           "read_overrides", "load_overrides", "write_overrides", "remove_overrides", "published"]


@dataclass(frozen=True)
class Pathway:
    """A route to market authorisation: who decides, the typical months it takes (low, typical, high) and why,
    with a link to the published source; ``overridden`` when the figures come from the hub's overrides file."""

    name: str
    region: str
    authority: str
    low: float
    typical: float
    high: float
    source: str
    url: str = ""
    assumption: bool = False
    aliases: tuple[str, ...] = ()
    overridden: bool = False


_NB_SURVEY = "https://www.gmp-compliance.org/gmp-news/survey-of-notified-bodies-on-the-certification-procedure-for-medical-devices"
_CE_SURVEY = ("European Commission, 14th notified-body survey on MDR/IVDR certification (data to February 2025, 51 "
              "notified bodies): a new certificate for the quality system and the product takes 13–18 months at "
              "most notified bodies, 19–24 months at 29%; the quality system alone mostly 13–18 months, 6–12 "
              "months at 36%. The survey does not split by class")
_MDUFA = "https://www.mystrategist.com/blog/article/fda_performance_holds_steady.html"
PATHWAYS: tuple[Pathway, ...] = (
    Pathway("CE (MDR) class I", "EU", "manufacturer (self-declaration)", 1, 2, 3,
            "no notified body for non-sterile, non-measuring class I devices; months are an assumption for "
            "preparing the technical file", assumption=True),
    Pathway("CE (MDR) class IIa", "EU", "notified body", 6, 15.5, 24, _CE_SURVEY, _NB_SURVEY),
    Pathway("CE (MDR) class IIb", "EU", "notified body", 6, 15.5, 24, _CE_SURVEY, _NB_SURVEY),
    Pathway("CE (MDR) class III", "EU", "notified body", 6, 15.5, 24, _CE_SURVEY, _NB_SURVEY),
    Pathway("CE (MDR)", "EU", "notified body", 6, 15.5, 24, _CE_SURVEY, _NB_SURVEY,
            aliases=("CE", "MDR", "CE marking")),
    Pathway("FDA 510(k)", "US", "FDA", 3.3, 10, 31,
            "GAO (GAO-12-418): average FDA decision 100 days (FY2005) to 161 days (FY2010); Makower 2010 (204 "
            "companies): about 10 months from first filing to clearance, 31 months when clinical questions arise. "
            "No newer MDUFA average was collected; openFDA decisions FY2014–2023 average just over 160 days "
            "(Epstein Becker Green, 2024)",
            "https://www.healthindustrywashingtonwatch.com/2012/04/articles/other-health-policy-developments/"
            "other-gao-developments/gao-examines-fda-device-review-process/", aliases=("510(k)",)),
    Pathway("FDA De Novo", "US", "FDA", 7.5, 7.5, 12,
            "FDA MDUFA V performance report (through Q2 FY2025): 229 days average to decision for the FY2024 "
            "cohort, 255 days for FY2023 at the same point; high end an assumption", _MDUFA,
            aliases=("De Novo",)),
    Pathway("FDA PMA", "US", "FDA", 7.6, 7.9, 20.6,
            "FDA MDUFA V performance report (through Q2 FY2025): original PMAs and panel-track supplements of "
            "the FY2024 cohort averaged 240 days to decision with 55% decided (FY2023: 230 days, 68% decided), so "
            "the figure will rise as the cohort closes; high end GAO (GAO-12-418): 627 days for FY2008", _MDUFA,
            aliases=("PMA",)),
    Pathway("DiGA fast track", "DE", "BfArM", 3, 3, 15,
            "DiGA rules (§ 139e SGB V, DiGAV): BfArM decides within 3 months; a provisional listing runs a "
            "12-month trial phase (high end: decision plus the trial)",
            "https://www.bfarm.de/EN/Medical-devices/Tasks/DiGA-and-DiPA/Digital-Health-Applications/_node.html",
            aliases=("DiGA",)),
    Pathway("UKCA", "UK", "UK approved body", 6, 15.5, 24,
            "no figure collected; assumed like CE (MDR), UK approved bodies follow the same conformity assessment",
            assumption=True),
    Pathway("HSA Class B", "SG", "Health Sciences Authority", 6, 15.5, 24,
            "no figure collected; assumed like CE (MDR)", assumption=True),
    Pathway("AMAR", "IL", "Ministry of Health (AMAR)", 6, 15.5, 24,
            "no figure collected; assumed like CE (MDR), as AMAR registration leans on a CE or FDA approval",
            assumption=True),
)

#: The columns of an overrides file (one row per pathway; a new name adds a pathway).
OVERRIDE_COLUMNS = ("pathway", "low", "typical", "high", "source")
#: Read when present: the link to the source (else the first link in ``source``). Any other column (``region``,
#: ``authority``, ``overridden``, ``assumption`` of ``ecotone pathways list --format csv``) is ignored.
OPTIONAL_COLUMNS = ("url",)
#: Other names a header may give a column: ``name`` is how lists exported before 2026-11 called the pathway.
_SYNONYMS = {"name": "pathway"}


def pathway(name: str, *, atlas=None) -> Pathway:
    """The pathway called ``name`` (case and spacing ignored; aliases such as "510k" or "DiGA" accepted); given
    the ``atlas``, its hub's overrides (``ecotone pathways import``) replace the published figures.

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
    table = _effective(load_overrides(overrides_path(atlas.url)) if atlas is not None else {})
    for p in table:
        if key in {_key(p.name), *map(_key, p.aliases)}:
            return p
    raise KeyError(f"unknown regulatory pathway {name!r}; known: {', '.join(p.name for p in table)}")


def _effective(overrides: dict[str, Pathway]) -> list[Pathway]:
    """The published table with the overrides in place (matched by name or alias); new names at the end."""
    out, used = [], set()
    for p in PATHWAYS:
        keys = {_key(p.name), *map(_key, p.aliases)}
        hit = _key(p.name) if _key(p.name) in overrides else None
        if hit is None:
            out.append(p)
        else:
            o = overrides[hit]
            out.append(replace(p, low=o.low, typical=o.typical, high=o.high, source=o.source, url=o.url,
                               assumption=False, overridden=True))
            used.add(hit)
    return out + [o for k, o in overrides.items() if k not in used]


def overrides_path(url: str) -> Path:
    """Where the overrides of the atlas at ``url`` are kept: beside an SQLite file (``hub.db`` →
    ``hub.pathways.csv``), so whoever shares the atlas file shares them; for a database server, in the working
    folder, named after the database.

    Examples
    --------
    >>> overrides_path("sqlite:///data/hub.db").as_posix()
    'data/hub.pathways.csv'
    >>> overrides_path("postgresql+psycopg://ana@db.example/atlas").as_posix()
    'atlas.pathways.csv'
    """
    if url.startswith("sqlite:///") and url not in ("sqlite:///", "sqlite:///:memory:"):
        db = Path(url.removeprefix("sqlite:///").split("?")[0])
        return db.with_name(db.stem + ".pathways.csv")
    database = re.sub(r"[^\w.-]+", "_", url.rsplit("/", 1)[-1].split("?")[0]) or "ecotone"
    return Path(f"{database}.pathways.csv")


def _months(text: str) -> float:
    value = float(text.replace(",", "."))
    if not value >= 0 or value == float("inf"):
        raise ValueError
    return value


def read_overrides(path: Path, text: str | None = None) -> dict[str, Pathway]:
    """Read an overrides CSV (``pathway, low, typical, high, source``; months, low ≤ typical ≤ high); every
    problem is reported with its row and column and nothing is returned until all are fixed.

    Examples
    --------
    >>> text = "pathway,low,typical,high,source\\nDiGA,2,3,14,BfArM letter 2025\\nPMA,12,9,20,our data\\n"
    >>> read_overrides(Path("ours.csv"), text)
    Traceback (most recent call last):
    ...
    ecotone.domain.problems.InputRejected: ours.csv, row 3, column typical: typical 9 is below low 12 (months go low ≤ typical ≤ high)
    >>> read_overrides(Path("ours.csv"), text.replace("12,9", "6,9"))["digafasttrack"].typical
    3.0
    """
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputRejected([Problem(str(path), reason=f"cannot be read: {exc}")]) from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InputRejected([Problem(str(path), row=1, reason="is empty",
                                     hint=f"the header needs: {', '.join(OVERRIDE_COLUMNS)}")])
    header = [h.strip().lower() for h in rows[0]]
    header = [_SYNONYMS.get(h, h) if _SYNONYMS.get(h, h) not in header else h for h in header]
    missing = [c for c in OVERRIDE_COLUMNS if c not in header]
    if missing:
        raise InputRejected([Problem(str(path), row=1, column=c, reason=f"the column {c} is missing",
                                     hint=f"the header needs: {', '.join(OVERRIDE_COLUMNS)}") for c in missing])
    at = {c: header.index(c) for c in (*OVERRIDE_COLUMNS, *OPTIONAL_COLUMNS) if c in header}
    problems: list[Problem] = []
    found: dict[str, Pathway] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {"url": "", **{c: (row[i].strip() if i < len(row) else "") for c, i in at.items()}}
        bad = len(problems)
        known = next((p for p in PATHWAYS if _key(cell["pathway"]) in {_key(p.name), *map(_key, p.aliases)}), None)
        key = _key(known.name if known else cell["pathway"])
        if not cell["pathway"]:
            problems.append(Problem(str(path), row=number, column="pathway", reason="empty"))
        elif key in found:
            problems.append(Problem(str(path), row=number, column="pathway",
                                    reason=f"{cell['pathway']!r} appears twice", hint="one row per pathway"))
        months = {}
        for c in ("low", "typical", "high"):
            try:
                months[c] = _months(cell[c])
            except ValueError:
                problems.append(Problem(str(path), row=number, column=c,
                                        reason=f"{cell[c]!r} is not a number of months ≥ 0"))
        if len(months) == 3:
            if months["typical"] < months["low"]:
                problems.append(Problem(str(path), row=number, column="typical",
                                        reason=f"typical {months['typical']:g} is below low {months['low']:g}",
                                        hint="months go low ≤ typical ≤ high"))
            elif months["high"] < months["typical"]:
                problems.append(Problem(str(path), row=number, column="high",
                                        reason=f"high {months['high']:g} is below typical {months['typical']:g}",
                                        hint="months go low ≤ typical ≤ high"))
        if not cell["source"]:
            problems.append(Problem(str(path), row=number, column="source", reason="empty",
                                    hint="say where the figures come from (a report, a link, your own data)"))
        if len(problems) == bad:
            link = re.search(r"https?://\S+", cell["source"])
            found[key] = Pathway(
                known.name if known else cell["pathway"], known.region if known else "",
                known.authority if known else "", months["low"], months["typical"], months["high"],
                cell["source"], cell["url"] or (link.group(0) if link else ""), overridden=True)
    if problems:
        raise InputRejected(problems)
    return found


def load_overrides(path: Path) -> dict[str, Pathway]:
    """The overrides kept at ``path`` (none when there is no file)."""
    path = Path(path)
    return read_overrides(path) if path.exists() else {}


def published(p: Pathway) -> bool:
    """Whether ``p`` carries exactly the published figures (months, source and link) of a pathway of the table —
    such a row of an imported file (an unedited line of ``ecotone pathways list --format csv``) is no override.

    Examples
    --------
    >>> published(PATHWAYS[5]), published(replace(PATHWAYS[5], typical=9))
    (True, False)
    """
    return any(_key(p.name) == _key(q.name) and (p.low, p.typical, p.high, p.source, p.url)
               == (q.low, q.typical, q.high, q.source, q.url) for q in PATHWAYS)


def write_overrides(path: Path, overrides: dict[str, Pathway], *, action: str, origin: str, who: str) -> Path:
    """Keep ``overrides`` at ``path`` atomically (written aside, then moved in place), and append an audit line
    (when, ``who``, what, from which file) to ``<path>.log``."""
    path = Path(path)
    part = path.with_name(path.name + ".part")
    with part.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow((*OVERRIDE_COLUMNS, *OPTIONAL_COLUMNS))
        for p in overrides.values():
            writer.writerow([p.name, f"{p.low:g}", f"{p.typical:g}", f"{p.high:g}", p.source, p.url])
    part.replace(path)
    _audit(path, action, origin, len(overrides), who)
    return path


def remove_overrides(path: Path, *, who: str) -> bool:
    """Go back to the published figures: delete the overrides file (audited as done by ``who``); False when
    there was none."""
    path = Path(path)
    if not path.exists():
        return False
    count = len(load_overrides(path)) if path.exists() else 0
    path.unlink()
    _audit(path, "reset", "", count, who)
    return True


def _audit(path: Path, action: str, origin: str, count: int, who: str) -> None:
    log = path.with_name(path.name + ".log")
    new = not log.exists()
    with log.open("a", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        if new:
            writer.writerow(["when", "who", "action", "file", "pathways"])
        writer.writerow([dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), who, action, origin, count])


def _key(name: str) -> str:
    return re.sub(r"[\s_()]+", "", name).lower()


def pathways_table(overrides: dict[str, Pathway] | None = None) -> pd.DataFrame:
    """Every pathway as a table (one row each), with ``overrides`` in place, for display and export.

    Examples
    --------
    >>> pathways_table().loc[lambda t: t["name"] == "FDA De Novo", ["typical", "overridden"]].values.tolist()
    [[7.5, False]]
    """
    return pd.DataFrame([asdict(p) for p in _effective(overrides or {})]).drop(columns="aliases")

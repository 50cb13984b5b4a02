"""Interventions as people write them: options of a scenario's text (effects, start, ramp, duration, costs), and
files of interventions (YAML, JSON or CSV), read with errors that name the option, row and column."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from ..analysis.velocity import MONTH_DAYS
from ..domain.problems import InputRejected, Problem
from ..simulate import ModelError
from ..simulate.scenarios import Intervention

__all__ = ["EFFECTS", "TIMING", "OptionError", "effects", "read_interventions", "timing", "with_timing"]

#: Each intervention's own options (its effects), by the name a scenario uses.
EFFECTS = {"connect": ("hub", "ties", "share"), "fast-track": ("months", "share"),
           "clinicians": ("per_month", "months"), "seed-fund": ("amount",), "cohort": ("size", "mentors")}
#: The options every intervention takes: when it starts, how fast and how long it acts, what it costs.
TIMING = ("start", "ramp", "duration", "cost", "per_year")
_SHARES = {"share"}
#: Steps of the ecosystem model (months): a start falls on one.
_STEP = 0.25


class OptionError(ValueError):
    """An option of an intervention that cannot be used: which option, and why."""

    def __init__(self, option: str | None, reason: str) -> None:
        self.option = option
        super().__init__(f"{option}: {reason}" if option else reason)


def _number(option: str, text: Any) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise OptionError(option, f"{text!r} is not a number") from None
    if math.isnan(value) or math.isinf(value):
        raise OptionError(option, f"{text!r} is not a number")
    if value < 0:
        raise OptionError(option, f"cannot be negative ({value:g})")
    if option in _SHARES and value > 1:
        raise OptionError(option, f"a share is between 0 and 1 ({value:g})")
    return value


def _value(option: str, text: Any) -> float | tuple[float, float]:
    """A number, or an uncertain effect LOW:HIGH (a list of two in YAML or JSON).

    >>> _value("months", "2:4"), _value("share", 0.5)
    ((2.0, 4.0), 0.5)
    """
    if isinstance(text, (list, tuple)) or (isinstance(text, str) and ":" in text):
        parts = list(text) if isinstance(text, (list, tuple)) else text.split(":")
        if len(parts) != 2:
            raise OptionError(option, f"{text!r}: an uncertain effect is LOW:HIGH, e.g. 2:4")
        low, high = _number(option, parts[0]), _number(option, parts[1])
        if low > high:
            raise OptionError(option, f"{text!r}: the low end is above the high end")
        return (low, high) if low < high else low
    return _number(option, text)


def effects(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """The intervention's own options as numbers or (low, high) ranges; an option it does not take is refused.

    >>> effects("fast-track", {"months": "2:4", "share": "0.5", "start": "2027-03-01"})
    {'months': (2.0, 4.0), 'share': 0.5}
    >>> effects("seed-fund", {"colour": "red"})
    Traceback (most recent call last):
    ...
    ecotone.services.interventions.OptionError: colour: seed-fund takes no option 'colour' (it takes amount, start, ramp, duration, cost, per_year)
    """
    out: dict[str, Any] = {}
    for option, text in options.items():
        if option in TIMING:
            continue
        if option not in EFFECTS[kind]:
            raise OptionError(option, f"{kind} takes no option {option!r} (it takes "
                                      f"{', '.join(EFFECTS[kind] + TIMING)})")
        out[option] = str(text).strip() if option == "hub" else _value(option, text)
    return out


def _start(text: Any, as_of: dt.date) -> float:
    """Months from ``as_of`` (the day the simulation starts) to a start: a date, or a number of months."""
    if isinstance(text, dt.date) or (isinstance(text, str) and "-" in text.strip()[1:]):
        try:
            when = text if isinstance(text, dt.date) else dt.date.fromisoformat(text.strip())
        except ValueError:
            raise OptionError("start", f"{text!r} is neither a date (YYYY-MM-DD) nor months from now") from None
        if when < as_of:
            raise OptionError("start", f"{when} is before the simulation starts ({as_of}, the day the history is "
                                       "measured to): start on that day or later")
        months = (when - as_of).days / MONTH_DAYS
    else:
        months = _number("start", text)
    return round(months / _STEP) * _STEP


def timing(options: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    """When an intervention starts (months from ``as_of``), its ramp and duration (None: open-ended) in months,
    and its costs in EUR (once, and per year while it runs).

    >>> timing({"start": "2027-03-01", "ramp": "6", "duration": "open", "cost": "250000"}, dt.date(2026, 3, 1))
    {'start': 12.0, 'ramp': 6.0, 'duration': None, 'cost': 250000.0}
    """
    out: dict[str, Any] = {}
    for option in TIMING:
        text = options.get(option)
        if text is None or (isinstance(text, str) and not text.strip()):
            continue
        if option == "start":
            out[option] = _start(text, as_of)
        elif option == "duration" and str(text).strip().lower() in ("open", "open-ended", "none"):
            out[option] = None
        else:
            out[option] = _number(option, text)
            if option == "duration" and not out[option] > 0:
                raise OptionError(option, "lasts more than 0 months (or 'open')")
    return out


def with_timing(intervention: Intervention, when: dict[str, Any]) -> Intervention:
    """The intervention with its start, ramp, duration and costs set."""
    try:
        return intervention.timed(**{k: v for k, v in when.items() if k != "duration"},
                                  **({"duration": when["duration"]} if "duration" in when else {}))
    except ModelError as exc:
        raise OptionError(None, str(exc)) from None


def read_interventions(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The rows of a file of interventions: YAML (.yaml, .yml), JSON (.json; a list of objects, or an object whose
    ``interventions`` is one) or CSV (.csv; a header row). Each row names its ``intervention`` (fast-track,
    seed-fund...), optionally a ``scenario`` it belongs to, and its options; blank cells are left out.

    Returns (row number as the user counts it, options) pairs: CSV rows count from 2 (the header is row 1), YAML
    and JSON items from 1.
    """
    path = Path(path)
    problem = lambda reason, row=None: InputRejected([Problem(file=path.name, row=row, reason=reason,  # noqa: E731
                                                              hint="see docs/simulation.md, Scenarios")])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise problem(f"cannot be read: {exc}") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(text.splitlines())
        rows = [(i + 2, {k.strip().lower().replace("-", "_"): (v or "").strip() for k, v in r.items() if k})
                for i, r in enumerate(reader)]
        rows = [(i, {k: v for k, v in r.items() if v}) for i, r in rows]
    elif suffix in (".yaml", ".yml", ".json"):
        try:
            if suffix == ".json":
                data = json.loads(text)
            else:
                import yaml  # PyYAML: only this reader needs it

                data = yaml.safe_load(text)
        except Exception as exc:  # the parsers' own errors say line and column
            raise problem(f"is not valid {suffix[1:].upper()}: {exc}") from None
        if isinstance(data, dict) and "interventions" in data:
            data = data["interventions"]
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise problem("holds no list of interventions (each an object with 'intervention' and its options)")
        rows = [(i + 1, {str(k).strip().lower().replace("-", "_"): v for k, v in r.items() if v is not None})
                for i, r in enumerate(data)]
    else:
        raise problem(f"{suffix or 'no extension'}: give a .yaml, .yml, .json or .csv file")
    if not rows:
        raise problem("holds no intervention")
    for i, row in rows:
        if "intervention" not in row:
            raise InputRejected([Problem(file=path.name, row=i, column="intervention",
                                         reason="no intervention named", hint="e.g. fast-track or seed-fund")])
    return rows

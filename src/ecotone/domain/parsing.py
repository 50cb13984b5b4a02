"""Read what users type as filters: terms of a vocabulary and dates, with errors that list what is allowed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .enums import Vocabulary

__all__ = ["terms", "day"]


def terms(vocab: type[Vocabulary], value: Any, name: str) -> list[str]:
    """The vocabulary values of one term or a list of terms (human spellings accepted).

    >>> from ecotone.domain import TieKind
    >>> terms(TieKind, ["Clinical Pilot", "investment"], "tie kind")
    ['clinical_pilot', 'investment']
    >>> terms(TieKind, "friendship", "tie kind")
    Traceback (most recent call last):
    ValueError: 'friendship' is not a tie kind; use one of: partnership, investment, clinical_pilot, clinical_validation, mentorship, membership, co_development, co_participation, data_sharing, supply, referral, regulatory_advice
    """
    values = value if isinstance(value, list | tuple | set) else [value]
    out = []
    for v in values:
        try:
            out.append(vocab(v).value)
        except ValueError:
            raise ValueError(f"{v!r} is not a {name}; use one of: {', '.join(vocab.choices())}") from None
    return out


def day(value: Any, name: str) -> dt.date:
    """A date from a ``date`` or an ISO string.

    >>> day("2024-01-31", "since")
    datetime.date(2024, 1, 31)
    """
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{name} must be a date like 2024-01-31, not {value!r}") from None

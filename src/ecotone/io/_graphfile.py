"""What the graph-file writers share: typed attribute columns, colours for categories, atomic writes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from ..domain.display import colour

__all__ = ["Column", "columns_of", "value_of", "category_colours", "rgb", "atomic_text", "xml_text"]

# What XML 1.0 cannot hold at all, even escaped: C0 controls but tab and line breaks, lone surrogates, U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


class Column:
    """An attribute column and its type in the graph formats' vocabulary (string, integer, double, boolean)."""

    def __init__(self, name: str, kind: str) -> None:
        self.name, self.kind = name, kind

    def __repr__(self) -> str:
        return f"Column({self.name!r}, {self.kind!r})"


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "double"
    return "string"


def columns_of(frame: pd.DataFrame, skip: tuple[str, ...]) -> list[Column]:
    """The attribute columns of a frame with their types (lists and dates are written as strings)."""
    return [Column(c, _kind(frame[c])) for c in frame.columns if c not in skip]


def value_of(value: Any) -> str | None:
    """A cell as the text a graph file holds; ``None`` for a missing value (the attribute is then left out)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else repr(float(value))
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, list | tuple | np.ndarray):
        return "|".join(str(v) for v in value) if len(value) else None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def xml_text(text: str) -> str:
    r"""``text`` without the characters XML 1.0 cannot hold (a record may carry a stray control character, and one
    would make the whole file unreadable to its peers).

    >>> xml_text("Bell\x07 and form\x0cfeed\tkept")
    'Bell and formfeed\tkept'
    """
    return _NOT_XML.sub("", text)


def rgb(colour: str) -> tuple[int, int, int]:
    """A hex colour (``#1f77b4``, ``#abc``) as red, green and blue from 0 to 255.

    >>> rgb("#1f77b4"), rgb("#fff")
    ((31, 119, 180), (255, 255, 255))

    Raises
    ------
    ValueError
        When ``colour`` is not a hex colour.
    """
    found = _HEX.fullmatch(colour.strip()) if isinstance(colour, str) else None
    if not found:
        raise ValueError(f"{str(colour)[:40]!r} is not a colour: give it as #rrggbb")
    digits = found.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def category_colours(attribute: str, values: pd.Series) -> dict[str, tuple[int, int, int]]:
    """The colour of each category of ``values`` (an actor attribute such as ``type``, ``hub`` or ``community``):
    the one every page of the application shows (``ecotone.domain.display.colour``; a missing value's under the
    key None), so a file opened in Gephi looks like the map.

    >>> category_colours("type", pd.Series(["startup", "hospital", None]))["hospital"]
    (0, 158, 115)
    """
    cats = sorted({str(v) for v in values if v is not None and v == v})
    return {**{cat: rgb(colour(attribute, cat)) for cat in cats}, None: rgb(colour(attribute, None))}


@contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """Write a text file through a temporary sibling, renamed into place only when complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8", newline="\n") as fh:
            yield fh
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)

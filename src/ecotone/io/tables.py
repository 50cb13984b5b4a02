"""CSV tables of an atlas: one file per kind of record, the columns of the database, lists joined with ``|``."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

__all__ = ["write_csv", "csv_cell"]


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: lists joined with ``|``, mappings as JSON, dates in ISO form.

    Examples
    --------
    >>> csv_cell(["oncology", "cardiology"]), csv_cell({"cordis_pic": "999984059"}), csv_cell(None)
    ('oncology|cardiology', '{"cordis_pic": "999984059"}', '')
    """
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def write_csv(path: Path, rows: list[list[Any]]) -> None:
    """Write rows (header first) as a UTF-8 CSV file, atomically."""
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        for row in rows:
            out.writerow([csv_cell(v) for v in row])
    tmp.replace(path)

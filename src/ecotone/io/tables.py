"""CSV tables of an atlas: one file per kind of record, the columns of the database, lists joined with ``|``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ._cells import CsvWriter

__all__ = ["write_csv", "write_frame_csv", "csv_cell"]


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
    r"""Write rows (header first) as a UTF-8 CSV file, atomically; text a spreadsheet would run as a formula gets a
    leading ``'`` (:func:`~ecotone.io._cells.safe_cell`), which the readers take off again.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "organizations.csv"
    >>> write_csv(path, [["name", "latitude"], ['=HYPERLINK("http://evil","x")', -3.5]])
    >>> print(path.read_text(encoding="utf-8"), end="")
    name,latitude
    "'=HYPERLINK(""http://evil"",""x"")",-3.5
    """
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        out = CsvWriter(fh)
        for row in rows:
            out.writerow([csv_cell(v) for v in row])
    tmp.replace(path)


def write_frame_csv(path: Path, frame: Any) -> None:
    """Write a pandas DataFrame as :func:`write_csv` does (formula-like text marked, atomically).

    >>> import pathlib, tempfile, pandas as pd
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "bands.csv"
    >>> write_frame_csv(path, pd.DataFrame({"scenario": ["=cmd()"], "p5": [-0.5]}))
    >>> print(path.read_text(encoding="utf-8"), end="")
    scenario,p5
    "'=cmd()",-0.5
    """
    write_csv(Path(path), [list(frame.columns)] + frame.astype(object).where(frame.notna(), None).values.tolist())

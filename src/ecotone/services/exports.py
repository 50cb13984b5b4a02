"""Export an atlas: JSON bundle, Kumu spreadsheet (.xlsx or CSVs), CSV tables."""

from __future__ import annotations

from pathlib import Path

from ..domain import ENTITIES
from ..io.bundle import bundle_of, write_bundle
from ..io.kumu import kumu_sheets, write_kumu_csv, write_kumu_xlsx
from ..io.tables import write_csv
from ..store import Atlas
from ..store.tables import TABLES

__all__ = ["export_bundle", "export_kumu", "export_tables", "atlas_bundle"]


def atlas_bundle(atlas: Atlas) -> dict:
    """The whole atlas as a bundle (a JSON-ready dict).

    Examples
    --------
    >>> from ecotone.domain import Hub
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = atlas.add(Hub(name="Texas Medical Center", kind="innovation_district"))
    ...     bundle = atlas_bundle(atlas)
    >>> bundle["format"], [h["name"] for h in bundle["records"]["hub"]]
    ('ecotone-bundle', ['Texas Medical Center'])
    """
    return bundle_of({entity: list(atlas.rows(entity)) for entity in ENTITIES})


def export_bundle(atlas: Atlas, path: Path) -> list[Path]:
    """Write the whole atlas as a JSON bundle."""
    write_bundle(atlas_bundle(atlas), path)
    return [path]


def export_kumu(atlas: Atlas, path: Path) -> list[Path]:
    """Write hubs, organisations and ties as a Kumu .xlsx (``path`` ends in .xlsx) or as CSVs in a folder."""
    sheets = kumu_sheets(list(atlas.rows("hub")), list(atlas.rows("organization")), list(atlas.rows("tie")))
    if path.suffix.lower() == ".xlsx":
        write_kumu_xlsx(sheets, path)
        return [path]
    return write_kumu_csv(sheets, path)


def export_tables(atlas: Atlas, folder: Path) -> list[Path]:
    """Write one CSV per kind of record (``organizations.csv``, ``ties.csv``…) in ``folder``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from ecotone.domain import Hub
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = atlas.add(Hub(name="Stockholm", country="SE"))
    ...     paths = export_tables(atlas, folder)
    >>> len(paths), (folder / "hubs.csv").read_text().splitlines()[1][:12]
    (10, '1,,,network,')
    """
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for entity, table in TABLES.items():
        columns = [c.name for c in table.c]
        path = folder / f"{table.name}.csv"
        write_csv(path, [columns] + [[row[c] for c in columns] for row in atlas.rows(entity)])
        out.append(path)
    return out

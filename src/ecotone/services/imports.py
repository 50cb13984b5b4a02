"""Import files into an atlas: Kumu spreadsheets, JSON bundles and CORDIS extracts, atomically."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..domain.batch import Batch
from ..domain.problems import InputRejected, Problem
from ..io.bundle import read_bundle
from ..io.cordis import cordis_files, read_cordis
from ..io.kumu import read_kumu
from ..store import Atlas
from ..store.merge import MergeReport, merge

__all__ = ["FORMATS", "read_input", "import_files", "parse_mapping"]

FORMATS = ("kumu", "bundle", "cordis")


def parse_mapping(pairs: list[str], flag: str) -> dict[str, str]:
    """``["University Hospital=hospital"]`` → ``{"University Hospital": "hospital"}``.

    Examples
    --------
    >>> parse_mapping(["Uni Hospital=hospital", "VC = investor"], "--map-type")
    {'Uni Hospital': 'hospital', 'VC': 'investor'}
    """
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InputRejected([Problem(reason=f"{flag} {pair!r} is not NAME=VALUE",
                                         hint=f"for example {flag} 'University Hospital=hospital'")])
        out[name.strip()] = value.strip()
    return out


def read_input(fmt: str, paths: list[Path], *, type_map: dict[str, str] | None = None,
               kind_map: dict[str, str] | None = None) -> Batch:
    """Read files of a format into a batch (nothing is written)."""
    if fmt == "kumu":
        return read_kumu(paths, type_map=type_map, kind_map=kind_map)
    if fmt == "bundle":
        if len(paths) != 1:
            raise InputRejected([Problem(reason="a bundle is one .json file", hint="give exactly one file")])
        return read_bundle(paths[0])
    if fmt == "cordis":
        return read_cordis(*cordis_files(paths))
    raise InputRejected([Problem(reason=f"unknown format {fmt!r}", hint=f"formats: {', '.join(FORMATS)}")])


def import_files(atlas: Atlas, fmt: str, paths: list[Path], *, dry_run: bool = False,
                 type_map: dict[str, str] | None = None, kind_map: dict[str, str] | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> MergeReport:
    r"""Read and merge files into the atlas: all or nothing, idempotent, previewable with ``dry_run``.

    Parameters
    ----------
    atlas : Atlas
        Where to import.
    fmt : {"kumu", "bundle", "cordis"}
        The format of the files.
    paths : list of Path
        The files (or, for CORDIS, their folder).
    dry_run : bool
        Report what would change and write nothing.
    type_map, kind_map : dict, optional
        For Kumu: the user's own types mapped to stakeholder types and tie kinds.
    progress : callable, optional
        Called as ``progress(task, done, total)``.

    Returns
    -------
    MergeReport
        Records created, updated and unchanged per kind, and warnings.

    Raises
    ------
    InputRejected
        With every problem found (file, sheet, row, column, reason, hint); the atlas is then unchanged.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from ecotone.store import Atlas
    >>> elements = pathlib.Path(tempfile.mkdtemp()) / "elements.csv"
    >>> _ = elements.write_text("Label,Type\nKardio,startup\nSant Pau,University Hospital\n")
    >>> with Atlas.open("sqlite://") as atlas:
    ...     try:
    ...         import_files(atlas, "kumu", [elements])
    ...     except InputRejected as exc:
    ...         print(exc.problems[0].row, exc.problems[0].column, atlas.counts()["organization"])
    ...     report = import_files(atlas, "kumu", [elements], type_map={"University Hospital": "hospital"})
    3 Type 0
    >>> dict(report.created)
    {'organization': 2}
    """
    if fmt == "kumu":  # a folder of Kumu CSVs (what `ecotone export kumu FOLDER` writes) is its CSV files
        paths = [f for p in paths for f in (sorted(p.glob("*.csv")) if p.is_dir() else [p])]
    batch = read_input(fmt, paths, type_map=type_map, kind_map=kind_map)
    note = f"import {fmt}: {', '.join(p.name for p in paths)}"
    return merge(atlas, batch, dry_run=dry_run, progress=progress, note=note)

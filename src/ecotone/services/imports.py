"""Import files into an atlas: Kumu spreadsheets, JSON bundles and CORDIS extracts, atomically."""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from ..domain.batch import Batch
from ..domain.problems import InputRejected, Problem
from ..io.bundle import read_bundle
from ..io.cordis import cordis_files, read_cordis
from ..domain.display import label
from ..io.kumu import VOCABULARIES, UnknownWord, read_kumu
from ..store import Atlas
from ..store.merge import MergeReport, merge

__all__ = ["FORMATS", "read_input", "import_files", "parse_mapping", "mapping_from_json",
           "unknown_words"]

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


def mapping_from_json(text: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """A Kumu file's own words mapped to the vocabularies, as a form sends it: ``{"types": {"Hospital Group":
    "hospital"}, "kinds": {"Funds": "investment"}}`` → ``(type_map, kind_map)``, each target checked.

    A target may be the vocabulary's value or its words (``"Research center"``); nothing or ``""`` maps nothing.

    Raises
    ------
    InputRejected
        Naming the field ``mapping`` (or ``mapping.types.NAME``) and what is wrong with it, in words.

    Examples
    --------
    >>> mapping_from_json('{"types": {"Hospital Group": "Hospital", "Lab": "research_center"}}')
    ({'Hospital Group': 'hospital', 'Lab': 'research_center'}, {})
    >>> try:
    ...     mapping_from_json('{"kinds": {"Funds": "money"}}')
    ... except InputRejected as exc:
    ...     print(exc.problems[0].column, "·", exc.problems[0].reason)
    mapping.kinds.Funds · 'money' is not a tie kind
    """
    if not text or not text.strip():
        return {}, {}
    example = 'for example {"types": {"Hospital Group": "hospital"}, "kinds": {"Funds": "investment"}}'
    try:
        given = json.loads(text)
    except ValueError:
        raise InputRejected([Problem(column="mapping", reason="is not JSON", hint=example)]) from None
    if not isinstance(given, dict) or set(given) - set(VOCABULARIES):
        raise InputRejected([Problem(column="mapping", reason='holds "types" and "kinds" and nothing else',
                                     hint=example)])
    problems, out = [], {}
    for vocabulary, (what, words, _) in VOCABULARIES.items():
        pairs = given.get(vocabulary) or {}
        if not isinstance(pairs, dict):
            problems.append(Problem(column=f"mapping.{vocabulary}", reason=f"maps your names to {what}s: an object",
                                    hint=example))
            continue
        out[vocabulary] = {}
        for name, target in pairs.items():
            norm = str(target).strip().lower().replace("-", "_").replace(" ", "_") if isinstance(target, str) else ""
            if not name.strip() or norm not in words.choices():
                problems.append(Problem(column=f"mapping.{vocabulary}.{name}",
                                        reason=f"{target!r} is not a {what}" if name.strip() else "an empty name",
                                        hint=f"use one of: {', '.join(words.choices())}"))
                continue
            out[vocabulary][name.strip()] = norm
    if problems:
        raise InputRejected(problems)
    return out.get("types", {}), out.get("kinds", {})


def _suggestion(value: str, choices: list[str]) -> str | None:
    """The vocabulary's word a user's own word most likely stands for, or None: a word whose parts all appear in
    it (the longest), else the closest spelling.

    >>> _suggestion("Hospital Group", ["hospital", "research_center"]), _suggestion("Reserch centre", ["research_center"])
    ('hospital', 'research_center')
    >>> _suggestion("Bank", ["hospital", "investor"]) is None
    True
    """
    parts = set(re.findall(r"\w+", value.casefold()))
    inside = [c for c in choices if set(c.split("_")) <= parts]
    if inside:
        return max(inside, key=len)
    close = difflib.get_close_matches(value.casefold().replace(" ", "_").replace("-", "_"), choices, n=1, cutoff=0.7)
    return close[0] if close else None


def unknown_words(problems: Sequence[Problem]) -> dict[str, dict]:
    """The element and connection types a Kumu file has that the vocabularies do not know, for a form to map them:
    per vocabulary (``types``, ``kinds``) each value as written with how many rows have it and a likely word, and the
    vocabulary's words with their labels. Empty when no problem is about an unknown word.

    Examples
    --------
    >>> from ecotone.io.kumu import UnknownWord
    >>> found = unknown_words([UnknownWord(row=2, vocabulary="types", value="Hospital Group"),
    ...                        UnknownWord(row=3, vocabulary="types", value="hospital group")])
    >>> found["types"]["values"], found["types"]["choices"][0]
    ([{'value': 'Hospital Group', 'rows': 2, 'suggestion': 'hospital'}], {'value': 'startup', 'label': 'Startup'})
    """
    counts: dict[str, Counter] = {v: Counter() for v in VOCABULARIES}
    spelt: dict[tuple[str, str], str] = {}
    for p in problems:
        if isinstance(p, UnknownWord) and p.vocabulary in counts:
            key = p.value.casefold()
            counts[p.vocabulary][key] += 1
            spelt.setdefault((p.vocabulary, key), p.value)
    out = {}
    for vocabulary, found in counts.items():
        if not found:
            continue
        choices = VOCABULARIES[vocabulary][1].choices()
        out[vocabulary] = {
            "values": [{"value": spelt[vocabulary, key], "rows": n, "suggestion": _suggestion(spelt[vocabulary, key],
                                                                                              choices)}
                       for key, n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))],
            "choices": [{"value": c, "label": label(c)} for c in choices]}
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

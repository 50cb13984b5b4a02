"""Files in and out: imports (Kumu, bundle, CORDIS; previewable) and exports of the atlas and its network."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, Optional

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from ..domain.problems import InputRejected, Problem
from ..io._tabular import check_workbook
from ..io.kumu import VOCABULARIES, UnknownWord
from ..services import analysis
from ..services.exports import export_bundle, export_graph, export_kumu
from ..services.imports import import_files, mapping_from_json, unknown_words
from ..domain.access import Principal
from ..store import Atlas
from .auth import writer
from .deps import atlas_of, scope
from .problems import problem
from .schemas import ProblemDetail

__all__ = ["relabelled", "shown", "router", "uploads", "saved", "safe_name", "named_as_uploaded"]

router = APIRouter(prefix="/api/v1", responses={422: {"model": ProblemDetail}})
EXPORTS = {"bundle": ("atlas.json", "application/json"),
           "kumu": ("atlas.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           "gexf": ("atlas.gexf", "application/xml"), "graphml": ("atlas.graphml", "application/xml"),
           "pajek": ("atlas.net", "text/plain")}


#: The longest name a saved upload gets, in bytes (file systems allow 255).
_LONGEST_NAME = 120
# What a saved name may not hold: separators, control characters, and what other systems refuse in names.
_UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_WORKBOOKS = (".xlsx", ".xlsm")


def safe_name(name: str | None, taken: set[str] = frozenset()) -> str:
    r"""A name to save an upload under: the last part of ``name`` with what a file system could misread replaced,
    never empty, ``.`` or ``..``, at most ``_LONGEST_NAME`` bytes with its suffix kept, and not among ``taken``.

    Examples
    --------
    >>> safe_name("../../elements.csv"), safe_name(".."), safe_name("a\x00b.xlsx"), safe_name("C:\\Users\\x.csv")
    ('elements.csv', 'upload', 'a_b.xlsx', 'x.csv')
    >>> safe_name("x.csv", {"x.csv"}), len(safe_name("n" * 400 + ".csv"))
    ('x (2).csv', 120)
    """
    last = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    last = _UNSAFE_IN_NAMES.sub("_", last).strip(" .")
    if not last or not last.strip("_"):
        last = "upload"
    stem, suffix = (last[: -len(Path(last).suffix)], Path(last).suffix) if Path(last).suffix else (last, "")
    if len(suffix.encode()) > 16:
        stem, suffix = last, ""
    room = _LONGEST_NAME - len(suffix.encode())
    stem = stem.encode()[:room].decode("utf-8", "ignore") or "upload"
    out, n = stem + suffix, 1
    while out in taken:
        n += 1
        tag = f" ({n})"
        out = stem.encode()[: room - len(tag)].decode("utf-8", "ignore") + tag + suffix
    return out


def shown(name: str | None, path: Path) -> str:
    """How problems name an upload: as the user named it, unless that name cannot be shown as it is."""
    if name and name.isprintable() and len(name) <= 255:
        return name
    return path.name


def _labels(files: list[UploadFile], paths: list[Path], folder: Path) -> dict[str, str]:
    """Where the server kept each upload → how the user knows it (longest first, for replacing in text)."""
    labels = {str(path): shown(f.filename, path) for f, path in zip(files, paths)}
    labels[str(folder)] = "the uploaded files"
    return dict(sorted(labels.items(), key=lambda kv: -len(kv[0])))


def _relabelled(text: str | None, labels: dict[str, str]) -> str | None:
    if not text:
        return text
    for where, shown in labels.items():
        text = text.replace(where, shown)
    return text


@contextmanager
def named_as_uploaded(files: list[UploadFile], paths: list[Path], folder: Path) -> Iterator[dict[str, str]]:
    """Inside, problems raised about the saved ``paths`` (or their ``folder``) name the files as the user knows
    them, never where the server kept them; yields the labels (saved path → shown name) for other messages."""
    with relabelled(_labels(files, paths, folder)) as labels:
        yield labels


@contextmanager
def relabelled(labels: dict[str, str]) -> Iterator[dict[str, str]]:
    """Inside, problems naming a place of ``labels`` (where the server keeps a file → how the user knows it) name
    it as the user knows it: for work that outlives the request (a brokerage event's job, run by a job worker
    from its own copy of the upload)."""
    labels = dict(sorted(labels.items(), key=lambda kv: -len(kv[0])))
    try:
        yield labels
    except InputRejected as exc:
        raise InputRejected([replace(p, file=_relabelled(p.file, labels), reason=_relabelled(p.reason, labels),
                                     hint=_relabelled(p.hint, labels)) for p in exc.problems], exc.report) from None


@contextmanager
def uploads(files: list[UploadFile]) -> Iterator[tuple[Path, list[Path]]]:
    """The uploaded files saved under safe names of their own in a temporary folder; problems found in them name
    the files as the user knows them, never where the server kept them."""
    with tempfile.TemporaryDirectory(prefix="ecotone-upload-") as name:
        folder = Path(name)
        paths = saved(files, folder)
        with named_as_uploaded(files, paths, folder):
            yield folder, paths


def saved(files: list[UploadFile], folder: Path) -> list[Path]:
    """Save the uploads in ``folder`` under distinct safe names (see :func:`safe_name`), nowhere else; a file
    named as a workbook that is none is refused at once, naming it as the user did.

    Raises
    ------
    InputRejected
        When an upload named ``.xlsx`` is not a readable workbook (not a zip, truncated, not a workbook inside).
    """
    out: list[Path] = []
    taken: set[str] = set()
    for f in files:
        path = folder / safe_name(f.filename, taken)
        taken.add(path.name)
        with path.open("wb") as sink:
            shutil.copyfileobj(f.file, sink)
        if path.suffix.lower() in _WORKBOOKS:
            check_workbook(path, shown(f.filename, path))
        out.append(path)
    return out


def _in_words(p: UnknownWord, likely: str | None) -> dict[str, Any]:
    """An unknown Kumu word as an API problem: said without the command line's option, with the mapping to send."""
    what, words, _ = VOCABULARIES[p.vocabulary]
    example = json.dumps({p.vocabulary: {p.value: likely or words.choices()[0]}}, ensure_ascii=False)
    return {**replace(p, reason=f"{p.value!r} is not a {what} Ecotone knows",
                      hint=f"map it to one of: {', '.join(words.choices())}; send the mapping with the files, "
                           f"e.g. mapping={example}").as_dict(), "vocabulary": p.vocabulary, "value": p.value}


def _unknown_words_refused(exc: InputRejected):
    """A rejected Kumu import whose types the vocabularies do not know: the usual problem, plus ``unknown`` (each
    unknown value with its rows and a likely word, and the vocabulary's words) for a form to map them."""
    unknown = unknown_words(exc.problems)
    likely = {(v, found["value"].casefold()): found["suggestion"] for v, words in unknown.items()
              for found in words["values"]}
    errors = [_in_words(p, likely.get((p.vocabulary, p.value.casefold()))) if isinstance(p, UnknownWord)
              else p.as_dict() for p in exc.problems]
    detail = "; ".join(f"{e['file'] or ''}{', row ' + str(e['row']) if e['row'] else ''}: {e['reason']}"
                       for e in errors[:5])
    return problem(422, "The input was rejected; nothing was written", detail, errors, unknown=unknown)


@router.post("/imports/{fmt}", tags=["atlas"], summary="Import files (Kumu, bundle, CORDIS), or preview them",
             description="All or nothing: every problem is answered at once, by file, sheet, row and column, and "
                         "nothing is written. A Kumu file whose element or connection types are not Ecotone's "
                         "is answered with `unknown` besides: each such value, how many rows have it, a likely "
                         "word, and the vocabulary's words; send the files again with `mapping` to read them as "
                         "those words.",
             responses={422: {"model": ProblemDetail, "description": "Every problem, by file, row and column"}})
def import_(fmt: Literal["kumu", "bundle", "cordis"], files: list[UploadFile] = File(...),
            dry_run: bool = Form(False),
            mapping: Optional[str] = Form(None, max_length=100_000, description=(
                'Kumu only: your element types and connection types mapped to Ecotone\'s, as JSON: {"types": '
                '{"Hospital Group": "hospital"}, "kinds": {"Funds": "investment"}}. Applied in the same all-or-'
                'nothing import; the answer says what was mapped.')),
            atlas: Atlas = Depends(atlas_of), _: Principal = Depends(writer)) -> Any:
    type_map, kind_map = mapping_from_json(mapping)
    if (type_map or kind_map) and fmt != "kumu":
        raise InputRejected([Problem(column="mapping", reason=f"a mapping applies to Kumu files, not to {fmt}",
                                     hint="send it with a Kumu spreadsheet, or leave it out")])
    try:
        with uploads(files) as (folder, paths):
            report = import_files(atlas, fmt, [folder] if fmt == "cordis" else paths, dry_run=dry_run,
                                  type_map=type_map, kind_map=kind_map)
            labels = _labels(files, paths, folder)
    except InputRejected as exc:
        if any(isinstance(p, UnknownWord) for p in exc.problems):
            return _unknown_words_refused(exc)
        raise
    return {"dry_run": dry_run, "rows": report.rows(), "warnings": [_relabelled(w, labels) for w in report.warnings],
            "mapping": {"types": type_map, "kinds": kind_map},
            "change_set": report.change_set if report.changed else None}


@router.get("/exports/{fmt}", tags=["atlas"], summary="Download the atlas (bundle, Kumu) or the network",
            responses={200: {"description": "The file: a bundle's JSON, a Kumu workbook, a graph file", "content": {
                media: {"schema": {"type": "object"} if media == "application/json" else
                        {"type": "string", "format": "binary"}} for _, media in EXPORTS.values()}}})
def export(fmt: Literal[tuple(EXPORTS)], f: analysis.Filters = Depends(scope), atlas: Atlas = Depends(atlas_of)) -> FileResponse:
    name, media = EXPORTS[fmt]
    folder = Path(tempfile.mkdtemp(prefix="ecotone-export-"))
    path = folder / name
    if fmt == "bundle":
        export_bundle(atlas, path)
    elif fmt == "kumu":
        export_kumu(atlas, path)
    else:
        export_graph(atlas, fmt, path, f)
    return FileResponse(path, media_type=media, filename=name, background=BackgroundTask(shutil.rmtree, folder))

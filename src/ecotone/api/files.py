"""Files in and out: imports (Kumu, bundle, CORDIS; previewable) and exports of the atlas and its network."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from ..domain.problems import InputRejected
from ..services import analysis
from ..services.exports import export_bundle, export_graph, export_kumu
from ..services.imports import import_files
from ..store import Atlas
from .deps import atlas_of, scope
from .schemas import ProblemDetail

__all__ = ["router", "uploads", "saved"]

router = APIRouter(prefix="/api/v1", responses={422: {"model": ProblemDetail}})
EXPORTS = {"bundle": ("atlas.json", "application/json"),
           "kumu": ("atlas.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           "gexf": ("atlas.gexf", "application/xml"), "graphml": ("atlas.graphml", "application/xml"),
           "pajek": ("atlas.net", "text/plain")}


@contextmanager
def uploads(files: list[UploadFile]) -> Iterator[tuple[Path, list[Path]]]:
    """The uploaded files saved under their own names in a temporary folder; problems found in them name the
    files as the user knows them, not where the server kept them."""
    with tempfile.TemporaryDirectory(prefix="ecotone-upload-") as name:
        folder = Path(name)
        try:
            yield folder, saved(files, folder)
        except InputRejected as exc:
            raise InputRejected([replace(p, file=p.file.replace(f"{folder}/", "") if p.file else p.file)
                                 for p in exc.problems], exc.report) from None


def saved(files: list[UploadFile], folder: Path) -> list[Path]:
    out = []
    for f in files:
        name = Path(f.filename or "upload").name
        path = folder / name
        path.write_bytes(f.file.read())
        out.append(path)
    return out


@router.post("/imports/{fmt}", tags=["atlas"], summary="Import files (Kumu, bundle, CORDIS), or preview them",
             responses={422: {"model": ProblemDetail, "description": "Every problem, by file, row and column"}})
def import_(fmt: Literal["kumu", "bundle", "cordis"], files: list[UploadFile] = File(...),
            dry_run: bool = Form(False), atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    with uploads(files) as (folder, paths):
        report = import_files(atlas, fmt, [folder] if fmt == "cordis" else paths, dry_run=dry_run)
    return {"dry_run": dry_run, "rows": report.rows(), "warnings": report.warnings}


@router.get("/exports/{fmt}", tags=["atlas"], summary="Download the atlas (bundle, Kumu) or the network")
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

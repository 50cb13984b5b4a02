"""Imports and exports of a large atlas as background jobs: the same files and answers as ``/imports/{fmt}`` and
``/exports/{fmt}``, run by a job worker, the upload and the export kept with the job."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
import tempfile
from pathlib import Path
from typing import Any, Literal, Optional

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from ..domain.access import Principal
from ..domain.problems import InputRejected, Problem
from ..services import analysis
from ..services.exports import export_bundle, export_graph, export_kumu
from ..services.imports import import_files, mapping_from_json
from ..services.jobs import kind
from ..store import Atlas
from .auth import principal, writer
from .deps import filters_as_params, filters_of, scope
from .files import EXPORTS, relabelled, saved, shown
from .problems import TOO_MUCH_WORK
from .schemas import JobPublic, ProblemDetail

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["atlas"], responses={422: {"model": ProblemDetail}})


@router.post("/imports/{fmt}/jobs", status_code=202, response_model=JobPublic, responses=TOO_MUCH_WORK,
             summary="Import large files (Kumu, bundle, CORDIS) as a background job",
             description="The form of `POST /api/v1/imports/{fmt}`; the job's result is that answer (what was "
                         "created, updated and left alone, and the change set to undo it), or, when the files "
                         "are refused, its error lists every problem by file, row and column — nothing written.")
def import_later(request: Request, fmt: Literal["kumu", "bundle", "cordis"], files: list[UploadFile] = File(...),
                 dry_run: bool = Form(False), mapping: Optional[str] = Form(None, max_length=100_000),
                 who: Principal = Depends(writer)) -> dict[str, Any]:
    type_map, kind_map = mapping_from_json(mapping)
    if (type_map or kind_map) and fmt != "kumu":
        raise InputRejected([Problem(column="mapping", reason=f"a mapping applies to Kumu files, not to {fmt}",
                                     hint="send it with a Kumu spreadsheet, or leave it out")])
    with tempfile.TemporaryDirectory(prefix="ecotone-upload-") as folder:
        paths = saved(files, Path(folder))
        inputs = {path.name: path.read_bytes() for path in paths}
    params = {"fmt": fmt, "dry_run": dry_run, "types": type_map, "kinds": kind_map,
              "files": {path.name: shown(f.filename, path) for f, path in zip(files, paths)}}
    return request.app.state.jobs.submit("import", params, owner=who, inputs=inputs)


@kind("import")
def _import(atlas: Atlas, params: dict[str, Any], progress, folder: Path) -> dict[str, Any]:
    given = folder / "in"
    paths = [given / name for name in params["files"]]
    labels = {str(given / name): label for name, label in params["files"].items()} | {str(given): "the uploaded files"}
    with relabelled(labels):
        report = import_files(atlas, params["fmt"], [given] if params["fmt"] == "cordis" else paths,
                              dry_run=params["dry_run"], type_map=params["types"], kind_map=params["kinds"],
                              progress=progress)
    warnings = list(report.warnings)
    for where, label in sorted(labels.items(), key=lambda kv: -len(kv[0])):
        warnings = [w.replace(where, label) for w in warnings]
    return {"dry_run": params["dry_run"], "rows": report.rows(), "warnings": warnings,
            "mapping": {"types": params["types"], "kinds": params["kinds"]},
            "change_set": report.change_set if report.changed else None}


@router.post("/exports/{fmt}/jobs", status_code=202, response_model=JobPublic, responses=TOO_MUCH_WORK,
             summary="Export a large atlas (bundle, Kumu) or its network as a background job",
             description="The job writes the file `GET /api/v1/exports/{fmt}` would answer; its result names it, "
                         "and `GET /api/v1/jobs/{id}/files/{name}` downloads it. What the export holds is what "
                         "you may see.")
def export_later(request: Request, fmt: Literal[tuple(EXPORTS)], f: analysis.Filters = Depends(scope)) -> dict[str, Any]:
    return request.app.state.jobs.submit("export", {"fmt": fmt, "filters": filters_as_params(f)},
                                         owner=principal(request))


@kind("export")
def _export(atlas: Atlas, params: dict[str, Any], progress, folder: Path) -> dict[str, Any]:
    fmt = params["fmt"]
    name, media = EXPORTS[fmt]
    path = folder / "out" / name
    progress("exporting", 0, 1)
    if fmt == "bundle":
        export_bundle(atlas, path)
    elif fmt == "kumu":
        export_kumu(atlas, path)
    else:
        export_graph(atlas, fmt, path, filters_of(params["filters"]))
    progress("exporting", 1, 1)
    return {"file": name, "media_type": media, "bytes": path.stat().st_size}

"""What the atlas tells: the map's data, analyses, velocity, recommendations, scorecards, imports and exports,
brokerage events and simulations (the last two as background jobs)."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import pandas as pd
from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from ..domain.problems import InputRejected
from ..services import analysis, browse, partnering, simulate
from ..services.exports import export_bundle, export_graph, export_kumu
from ..services.imports import import_files
from ..services.mapdata import map_json
from ..services.recommend import recommend
from ..services.velocity import velocity
from ..store import Atlas
from ..store.atlas import NotFound
from .deps import atlas_of
from .schemas import ProblemDetail

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses={422: {"model": ProblemDetail}})
ANALYSES = ("stakeholders", "metrics", "brokerage", "communities", "emerging", "gaps")
EXPORTS = {"bundle": ("atlas.json", "application/json"),
           "kumu": ("atlas.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           "gexf": ("atlas.gexf", "application/xml"), "graphml": ("atlas.graphml", "application/xml"),
           "pajek": ("atlas.net", "text/plain")}


class ResultPublic(BaseModel):
    """An analysis: its headline figures (``summary``) and its tables by name, each a list of rows."""

    model_config = {"extra": "allow"}
    summary: dict[str, Any] = {}


class JobPublic(BaseModel):
    """A background job: its status (queued, running, done, failed), progress (0–1), result or error."""

    id: str
    kind: str
    status: str
    task: str
    done: int
    total: int
    progress: float
    seconds: float
    result: Optional[Any] = None
    error: Optional[dict[str, Any]] = None


class SimulationRequest(BaseModel):
    """A simulation: the hub, the scenarios (interventions joined by +), the horizon and the Monte Carlo runs."""

    hub: str = Field(description="The hub to simulate (name, part of it, or id).")
    scenarios: list[str] = Field(default=[], description="e.g. ['connect:Barcelona Health Hub', 'fast-track'].")
    years: float = Field(10, gt=0, le=100)
    runs: int = Field(500, ge=1, le=100_000)
    seed: int = 0
    as_of: Optional[str] = Field(None, description="Measure the history up to this day (YYYY-MM-DD).")


async def scope(hub: Annotated[Optional[list[str]], Query(description="Hub ids or names.")] = None,
                type: Annotated[Optional[list[str]], Query(description="Stakeholder types.")] = None,
                kind: Annotated[Optional[list[str]], Query(description="Tie kinds.")] = None,
                since: Annotated[Optional[str], Query(description="Ties active on or after.")] = None,
                until: Annotated[Optional[str], Query(description="Ties active on or before.")] = None,
                ) -> analysis.Filters:
    """The part of the network to look at (the Snapshot's filters)."""
    return analysis.Filters(hubs=tuple(hub or ()), types=tuple(type or ()), kinds=tuple(kind or ()), since=since,
                            until=until)


@router.get("/stats", tags=["atlas"], summary="Counts of every kind of record, and every hub")
def stats(atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    return {"counts": atlas.counts(), "hubs": browse.hub_table(atlas)}


@router.get("/map", tags=["map"], summary="The map's actors and ties, as columns",
            response_description="nodes and edges as columns (id, label, type, helix, hub, country, stage, "
                                 "community, degree, pagerank; source, target, kind, weight, start)")
def map_(f: analysis.Filters = Depends(scope), atlas: Atlas = Depends(atlas_of)) -> Response:
    body = map_json(atlas, f)
    return Response(body, media_type="application/json")


@router.get("/organizations/{record_id}/card", tags=["organizations"], summary="Everything about an organisation")
def card(record_id: int, atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    return browse.organization_card(atlas, str(record_id))


def _analysis(name: str, atlas: Atlas, f: analysis.Filters, top: int, focus: Optional[str], progress=None):
    return {"stakeholders": lambda: analysis.stakeholders(atlas, f, hub=focus, progress=progress),
            "metrics": lambda: analysis.metrics(atlas, f, top=top, progress=progress),
            "brokerage": lambda: analysis.brokerage(atlas, f, top=top, progress=progress),
            "communities": lambda: analysis.communities(atlas, f, progress=progress),
            "emerging": lambda: analysis.emerging(atlas, f, top=top, progress=progress),
            "gaps": lambda: analysis.gaps(atlas, f, progress=progress)}[name]().as_dict()


@router.get("/analysis/{name}", tags=["analysis"], response_model=ResultPublic, summary="A network analysis")
def analyse(name: Literal[ANALYSES], f: analysis.Filters = Depends(scope), atlas: Atlas = Depends(atlas_of),
            top: int = Query(20, ge=1, le=10_000),
            focus: Optional[str] = Query(None, description="stakeholders: one hub's grid")):
    return _analysis(name, atlas, f, top, focus)


@router.post("/analysis/{name}/jobs", tags=["analysis"], status_code=202, response_model=JobPublic,
             summary="A network analysis of a large atlas, as a background job")
def analyse_later(request: Request, name: Literal[ANALYSES], f: analysis.Filters = Depends(scope),
                  top: int = Query(20, ge=1, le=10_000), focus: Optional[str] = Query(None)) -> dict[str, Any]:
    engine = request.app.state.atlas.engine
    return request.app.state.jobs.submit(name, lambda progress: _analysis(name, Atlas(engine), f, top, focus,
                                                                          progress)).public()


@router.get("/velocity", tags=["velocity"], response_model=ResultPublic, summary="Innovation velocity")
def velocity_(atlas: Atlas = Depends(atlas_of), hub: Optional[str] = None,
              by: Optional[str] = Query(None, description="hub, programme, category, pathway or area"),
              as_of: Optional[str] = None, cohort: Optional[str] = None, measure: str = "time_to_market"):
    return velocity(atlas, hub=hub, by=by, as_of=as_of, cohort=cohort, measure=measure).as_dict()


@router.get("/recommendations", tags=["partnering"], response_model=ResultPublic,
            summary="Explained partner recommendations")
def recommendations(atlas: Atlas = Depends(atlas_of),
                    organization: Annotated[Optional[list[str]], Query(description="Seekers: names or ids.")] = None,
                    innovation: Annotated[Optional[list[str]], Query()] = None, hub: Optional[str] = None,
                    stage: Optional[str] = None, top: int = Query(10, ge=1, le=100),
                    cross_border: float = Query(0.5, ge=0, le=1)):
    return recommend(atlas, organizations=organization or [], innovations=innovation or [], hub=hub, stage=stage,
                     top=top, cross_border=cross_border).as_dict()


@router.get("/partnerships/{record_id}/scorecard", tags=["partnering"], response_model=ResultPublic,
            summary="A partnership's scorecard")
def scorecard(record_id: int, atlas: Atlas = Depends(atlas_of)):
    return partnering.evaluate(atlas, str(record_id)).as_dict()


@contextmanager
def _uploads(files: list[UploadFile]) -> Iterator[tuple[Path, list[Path]]]:
    """The uploaded files saved under their own names in a temporary folder; problems found in them name the
    files as the user knows them, not where the server kept them."""
    with tempfile.TemporaryDirectory(prefix="ecotone-upload-") as name:
        folder = Path(name)
        try:
            yield folder, _saved(files, folder)
        except InputRejected as exc:
            raise InputRejected([replace(p, file=p.file.replace(f"{folder}/", "") if p.file else p.file)
                                 for p in exc.problems], exc.report) from None


def _saved(files: list[UploadFile], folder: Path) -> list[Path]:
    out = []
    for f in files:
        name = Path(f.filename or "upload").name
        path = folder / name
        path.write_bytes(f.file.read())
        out.append(path)
    return out


@router.post("/partnerships/{record_id}/ratings", tags=["partnering"], summary="Record an evaluator's ratings")
def ratings(record_id: int, file: UploadFile = File(...), dry_run: bool = Form(False),
            atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    with _uploads([file]) as (_, [path]):
        report = partnering.record_ratings(atlas, str(record_id), path, dry_run=dry_run)
    return {"dry_run": dry_run, "rows": report.rows(), "warnings": report.warnings}


@router.post("/imports/{fmt}", tags=["atlas"], summary="Import files (Kumu, bundle, CORDIS), or preview them",
             responses={422: {"model": ProblemDetail, "description": "Every problem, by file, row and column"}})
def import_(fmt: Literal["kumu", "bundle", "cordis"], files: list[UploadFile] = File(...),
            dry_run: bool = Form(False), atlas: Atlas = Depends(atlas_of)) -> dict[str, Any]:
    with _uploads(files) as (folder, paths):
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


@router.post("/simulations", tags=["simulation"], status_code=202, response_model=JobPublic,
             summary="Run scenarios of a hub (a background job)")
def simulations(request: Request, spec: SimulationRequest) -> dict[str, Any]:
    engine = request.app.state.atlas.engine

    def work(progress):
        with tempfile.TemporaryDirectory(prefix="ecotone-sim-") as folder:
            bands = Path(folder) / "bands.csv"
            result = simulate.compare(Atlas(engine), spec.hub, spec.scenarios, years=spec.years, runs=spec.runs,
                                      seed=spec.seed, as_of=spec.as_of, out=bands, progress=progress).as_dict()
            result["bands"] = pd.read_csv(bands).to_dict("records")
        return result

    return request.app.state.jobs.submit("simulation", work).public()


@router.post("/events", tags=["partnering"], status_code=202, response_model=JobPublic,
             summary="Schedule a brokerage event from its workbook (a background job)")
def events(request: Request, file: UploadFile = File(..., description="The organiser's .xlsx workbook."),
           tables: int = Form(20, ge=1), method: str = Form("auto"),
           time_limit: float = Form(20.0, gt=0, le=300)) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="ecotone-event-"))
    [path] = _saved([file], folder)
    out = folder / "agendas"

    def work(progress):
        progress("scheduling", 0, 1)
        result = partnering.schedule(path, out, tables=tables, method=method, time_limit=time_limit).as_dict()
        progress("scheduling", 1, 1)
        result["files"] = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
        return result

    return request.app.state.jobs.submit("event", work, folder=folder).public()


@router.get("/jobs/{job_id}", tags=["jobs"], response_model=JobPublic, summary="A background job's progress")
def job(request: Request, job_id: str) -> dict[str, Any]:
    found = request.app.state.jobs.get(job_id)
    if found is None:
        raise NotFound(f"no job {job_id!r} (finished jobs are kept an hour)")
    return found.public()


@router.get("/jobs/{job_id}/files/{name:path}", tags=["jobs"], summary="A file a job wrote (an event's agendas)")
def job_file(request: Request, job_id: str, name: str) -> FileResponse:
    found = request.app.state.jobs.get(job_id)
    folder = found.folder / "agendas" if found is not None and found.folder is not None else None
    path = (folder / name).resolve() if folder else None
    if path is None or folder.resolve() not in path.parents or not path.is_file():
        raise NotFound(f"job {job_id!r} wrote no file {name!r}")
    return FileResponse(path, filename=path.name)

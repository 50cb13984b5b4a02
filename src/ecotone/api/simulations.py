"""Simulations of a hub's scenarios, run as background jobs."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
import tempfile
from pathlib import Path
from typing import Any, Optional

import pandas as pd
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ..services import simulate
from ..store import Atlas
from .auth import principal
from .schemas import JobPublic, ProblemDetail

__all__ = ["router", "SimulationRequest"]

router = APIRouter(prefix="/api/v1", responses={422: {"model": ProblemDetail}})


class SimulationRequest(BaseModel):
    """A simulation: the hub, the scenarios (interventions joined by +), the horizon and the Monte Carlo runs."""

    hub: str = Field(description="The hub to simulate (name, part of it, or id).")
    scenarios: list[str] = Field(default=[], description="e.g. ['connect:Barcelona Health Hub', 'fast-track'].")
    years: float = Field(10, gt=0, le=100)
    runs: int = Field(500, ge=1, le=100_000)
    seed: int = 0
    as_of: Optional[str] = Field(None, description="Measure the history up to this day (YYYY-MM-DD).")


@router.post("/simulations", tags=["simulation"], status_code=202, response_model=JobPublic,
             summary="Run scenarios of a hub (a background job)")
def simulations(request: Request, spec: SimulationRequest) -> dict[str, Any]:
    who = principal(request)
    engine = request.app.state.atlas.engine

    def work(progress):
        with tempfile.TemporaryDirectory(prefix="ecotone-sim-") as folder:
            bands = Path(folder) / "bands.csv"
            result = simulate.compare(Atlas(engine, who), spec.hub, spec.scenarios, years=spec.years, runs=spec.runs,
                                      seed=spec.seed, as_of=spec.as_of, out=bands, progress=progress).as_dict()
            result["bands"] = pd.read_csv(bands).to_dict("records")
        return result

    return request.app.state.jobs.submit("simulation", work, owner=who).public()

"""Simulations of a hub's scenarios, run as background jobs."""

# No `from __future__ import annotations`: FastAPI reads the handlers' annotations.
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import pandas as pd
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, field_validator, model_validator

from ..domain.parsing import day
from ..services import simulate
from ..services.jobs import kind
from ..store import Atlas
from .auth import principal
from .problems import TOO_MUCH_WORK, said_as
from .schemas import JobPublic, ProblemDetail

__all__ = ["router", "BudgetRequest", "SimulationRequest", "MAX_RUN_YEARS"]

router = APIRouter(prefix="/api/v1", responses={422: {"model": ProblemDetail}})


#: The most work one simulation may ask for, in simulated run-years over every scenario and the baseline: about
#: ten seconds and 1.5 GB on a two-core server (20,000 runs over 25 years of one scenario against the baseline).
MAX_RUN_YEARS = 1_000_000

#: The simulator's command-line options, as the fields of these requests (the scenarios page's form sends them).
_FIELDS = {"--hub": "hub", "--scenario": "scenarios", "--option": "options", "--budget": "budget", "--years": "years",
           "--runs": "runs", "--seed": "seed", "--as-of": "as_of", "--discount-rate": "discount_rate",
           "--outcome": "outcome"}
#: What the simulator tells the command line's user to do, as the API's user (and a page) does it.
_WORDS = {simulate.NO_HISTORY_HINT: "record the stage histories of its innovations on the Import page (an Ecotone "
                                    "bundle with stage events), or choose another hub",
          ", or simulate them together with ecotone simulate hubs": ""}


def _history_day(value: Optional[str]) -> Optional[str]:
    """The day the history is read to, refused in words before any work starts when it is not a date."""
    if value is not None:
        day(value, "as_of")
    return value


class SimulationRequest(BaseModel):
    """A simulation: the hub, the scenarios (interventions joined by +), the horizon and the Monte Carlo runs; at
    most ``MAX_RUN_YEARS`` runs × years × (scenarios + baseline)."""

    hub: str = Field(description="The hub to simulate (name, part of it, or id).", max_length=300)
    scenarios: list[Annotated[str, Field(max_length=1000)]] = Field(
        default=[], max_length=10, description="e.g. ['connect:Barcelona Health Hub', 'fast-track'].")
    years: float = Field(10, gt=0, le=100)
    runs: int = Field(500, ge=1, le=20_000)
    seed: int = Field(0, ge=0, le=2**63 - 1)
    as_of: Optional[str] = Field(None, description="Measure the history up to this day (YYYY-MM-DD).",
                                 max_length=40)
    discount_rate: float = Field(0.03, ge=0, lt=1, description="Yearly discount rate of costs (0.03: 3% a year).")

    _as_of = field_validator("as_of")(_history_day)

    @model_validator(mode="after")
    def _affordable(self) -> "SimulationRequest":
        work = self.runs * self.years * (len(self.scenarios) + 1)
        if work > MAX_RUN_YEARS:
            raise ValueError(f"{self.runs} runs over {self.years:g} years for {len(self.scenarios) + 1} scenarios "
                             f"(the baseline included) is {work:,.0f} run-years; at most {MAX_RUN_YEARS:,} are run "
                             "at once: fewer runs, fewer years or fewer scenarios")
        return self


@kind("simulation")
def _simulation(atlas: Atlas, params: dict[str, Any], progress, folder: Path) -> dict[str, Any]:
    spec = SimulationRequest.model_validate(params)
    bands = folder / "bands.csv"
    with said_as(_FIELDS, _WORDS):
        result = simulate.compare(atlas, spec.hub, spec.scenarios, years=spec.years, runs=spec.runs, seed=spec.seed,
                                  as_of=spec.as_of, out=bands, progress=progress,
                                  discount_rate=spec.discount_rate).as_dict()
    result["bands"] = pd.read_csv(bands).to_dict("records")
    return result


@router.post("/simulations", tags=["simulation"], status_code=202, response_model=JobPublic, responses=TOO_MUCH_WORK,
             summary="Run scenarios of a hub (a background job)",
             description="Queued for a job worker; `GET /api/v1/jobs/{id}` follows it. Each account may have a few "
                         "jobs and a bounded number of simulated run-years queued or running at once (429 beyond).")
def simulations(request: Request, spec: SimulationRequest) -> dict[str, Any]:
    return request.app.state.jobs.submit("simulation", spec.model_dump(), owner=principal(request),
                                         cost=spec.runs * spec.years * (len(spec.scenarios) + 1))


class BudgetRequest(BaseModel):
    """A budget to spend: the hub, the options (interventions joined by +, with their cost= and per_year=), the
    budget in EUR; every affordable combination is run, at most ``MAX_RUN_YEARS`` × 2 run-years in all."""

    hub: str = Field(description="The hub to simulate (name, part of it, or id).", max_length=300)
    budget: float = Field(gt=0, le=1e12, description="EUR to spend over the horizon (costs discounted).")
    options: list[Annotated[str, Field(max_length=1000)]] = Field(
        min_length=1, max_length=simulate.MAX_OPTIONS,
        description="e.g. ['fast-track:cost=250000,per_year=80000', 'seed-fund:amount=1,cost=1000000'].")
    outcome: Literal["on_market", "market_years"] = "on_market"
    years: float = Field(10, gt=0, le=100)
    runs: int = Field(300, ge=1, le=20_000)
    seed: int = Field(0, ge=0, le=2**63 - 1)
    as_of: Optional[str] = Field(None, description="Measure the history up to this day (YYYY-MM-DD).",
                                 max_length=40)
    discount_rate: float = Field(0.03, ge=0, lt=1, description="Yearly discount rate of costs (0.03: 3% a year).")

    _as_of = field_validator("as_of")(_history_day)


@kind("simulation budget")
def _budget(atlas: Atlas, params: dict[str, Any], progress, folder: Path) -> dict[str, Any]:
    spec = BudgetRequest.model_validate(params)
    with said_as(_FIELDS, _WORDS):
        return simulate.budget(atlas, spec.hub, spec.options, budget=spec.budget, years=spec.years, runs=spec.runs,
                               seed=spec.seed, as_of=spec.as_of, discount_rate=spec.discount_rate,
                               outcome=spec.outcome, progress=progress).as_dict()


@router.post("/simulations/budget", tags=["simulation"], status_code=202, response_model=JobPublic,
             responses=TOO_MUCH_WORK,
             summary="Rank the affordable combinations of options for a budget (a background job)")
def simulation_budget(request: Request, spec: BudgetRequest) -> dict[str, Any]:
    # every affordable combination (at most 2^options - 1) runs with the baseline, within 2,000,000 run-years
    return request.app.state.jobs.submit("simulation budget", spec.model_dump(), owner=principal(request),
                                         cost=min(spec.runs * spec.years * 2 ** len(spec.options), 2 * MAX_RUN_YEARS))

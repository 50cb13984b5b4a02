"""The built-in ecosystem model: innovations flowing from idea to patients across borders, with the loops of a hub.

Time is in months. Seven stocks hold the innovations at each stage, an eighth those stopped. Each stage is left
at a rate (stock / time in stage); a share moves on, the rest stops. Five loops act on the pipeline
(docs/simulation.md draws them):

- R1 reputation–capital: launches raise the hub's reputation, which draws investment, which fills the capital
  that forms startups, which become launches.
- R2 reputation–clinicians: reputation draws clinicians into innovation work; more clinicians validate more
  innovations at once, so validation is quicker and launches come sooner.
- B1 validation congestion: more innovations in validation than the clinicians can take slows validation.
- Regulatory support: a fast track (a pre-approved pathway, as Germany's DiGA) shortens approval for the share
  of innovations eligible.
- Cross-hub ties open clinical sites (partner clinicians) and markets (the rate of crossing borders).
- Mentorship feeds talent, which forms startups and makes prototypes succeed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..domain import Stage
from .spec import Aux, Constant, Flow, Graph, Model, Stock

__all__ = ["HubState", "CALIBRATED", "STAGES", "ecosystem_model"]

#: The pipeline's stocks, in order (the domain's stages).
STAGES = [s.value for s in Stage.pipeline()]
#: The flow that leaves each stage forward, and the one that stops there.
_FORWARD = {"idea": "prototyping", "prototype": "entering_validation", "clinical_validation": "validated",
            "regulatory_approval": "approved", "market_launch": "scaling", "scale": "crossing_borders"}
_STOP = {s: f"{s}_stops" for s in _FORWARD}
#: Parameters calibration fits: the rate ideas form, the time in each stage and the share that moves on.
CALIBRATED = ["idea_rate", *(f"time_{s}" for s in _FORWARD), *(f"success_{s}" for s in _FORWARD)]


@dataclass(frozen=True)
class HubState:
    """What the model starts from, read off an atlas: innovations per stage and the hub's actors and ties."""

    name: str = "a hub"
    stages: dict[str, float] = field(default_factory=dict)
    stopped: float = 0.0
    clinicians: float = 10.0
    investors: float = 3.0
    mentors: float = 2.0
    cross_hub_ties: float = 5.0
    approval_months: float = 12.0
    fast_track_months: float = 3.0


def _stage_flows() -> list[Flow]:
    flows = []
    for stage, forward in _FORWARD.items():
        time = {"clinical_validation": "validation_time", "regulatory_approval": "approval_time",
                "scale": "scale_time"}.get(stage, f"time_{stage}")
        success = "prototype_success" if stage == "prototype" else f"success_{stage}"
        flows.append(Flow(forward, f"{stage} * {success} / {time}", "innovations/month",
                          f"innovations leaving {stage.replace('_', ' ')} for the next stage"))
        flows.append(Flow(_STOP[stage], f"{stage} * (1 - {success}) / {time}", "innovations/month",
                          f"innovations stopped in {stage.replace('_', ' ')}"))
    return flows


def ecosystem_model(state: HubState | None = None, *, years: float = 10, dt: float = 0.25) -> Model:
    """The ecosystem model, started from ``state`` (a generic hub when None), run for ``years`` years.

    Examples
    --------
    >>> from ecotone.simulate import Simulator
    >>> m = ecosystem_model(HubState(stages={"idea": 10, "prototype": 5}), years=5)
    >>> len(m.stocks), len(m.flows), m.stop
    (12, 21, 60.0)
    >>> r = Simulator(save_every=12).run(m)
    >>> bool(r.final("on_market")[0] > 0), bool(r.final("stopped")[0] > 0)
    True True
    """
    s = state or HubState()
    stocks = []
    for i, stage in enumerate(STAGES):
        inflows = (("idea_formation",) if i == 0 else (_FORWARD[STAGES[i - 1]],))
        if stage == "prototype":
            inflows += ("cohort_intake",)
        outflows = (_FORWARD[stage], _STOP[stage]) if stage in _FORWARD else ()
        stocks.append(Stock(stage, s.stages.get(stage, 0.0), inflows, outflows, "innovations",
                            f"innovations in {stage.replace('_', ' ')}"))
    stocks += [
        Stock("stopped", s.stopped, tuple(_STOP.values()), (), "innovations", "innovations stopped, all stages"),
        Stock("reputation", 1, ("recognition",), ("forgetting",), "index",
              "the hub's standing with investors and clinicians (1 at the start)"),
        Stock("capital", "investors * investment_per_investor * capital_turnover", ("investment",), ("spending",),
              "EUR million", "capital available to form and grow startups"),
        Stock("clinicians", "engaged_clinicians", ("recruitment",), ("clinician_attrition",), "people",
              "clinicians working with innovators"),
        Stock("talent", 1, ("talent_growth",), (), "index", "founders and skilled staff (1 at the start)"),
    ]
    flows = _stage_flows() + [
        Flow("idea_formation", "idea_rate * capital_effect * talent ^ talent_elasticity", "innovations/month",
             "new innovations formed by the hub's startups and researchers"),
        Flow("cohort_intake", "PULSE(cohort_size, intervention_start)", "innovations/month",
             "an accelerator cohort entering at prototype"),
        Flow("recognition", "approved * reputation_per_launch", "index/month", "reputation earned by launches"),
        Flow("forgetting", "(reputation - 1) / reputation_memory", "index/month", "reputation fading back to 1"),
        Flow("investment", "investors * investment_per_investor * reputation ^ investor_elasticity"
             " + PULSE(seed_fund, intervention_start)", "EUR million/month", "investors' money flowing in"),
        Flow("spending", "capital / capital_turnover", "EUR million/month", "capital spent by startups"),
        Flow("recruitment", "engaged_clinicians / clinician_tenure * reputation + engagement_programme * "
             "(STEP(1, intervention_start) - STEP(1, intervention_start + programme_months))", "people/month",
             "clinicians joining innovation work, drawn by reputation and by an engagement programme"),
        Flow("clinician_attrition", "clinicians / clinician_tenure", "people/month", "clinicians leaving"),
        Flow("talent_growth", "(1 + mentorship_effect * (mentors + cohort_mentors - INIT(mentors)) / "
             "MAX(INIT(mentors), 1) - talent) / talent_time", "index/month", "talent following mentorship"),
    ]
    auxes = [
        Aux("capital_effect", "capital / INIT(capital)",
            graph=Graph((0, 0.5, 1, 1.5, 2, 3), (0, 0.6, 1, 1.25, 1.4, 1.55)), units="dimensionless",
            doc="more capital than at the start forms more startups, with diminishing returns"),
        Aux("prototype_success", "MIN(0.98, success_prototype * talent ^ talent_elasticity)", "share",
            "share of prototypes reaching validation, helped by talent"),
        Aux("validation_capacity", "(clinicians + partner_clinicians) * trials_per_clinician", "innovations",
            "innovations the hub's and partners' clinicians can validate at once"),
        Aux("congestion", "clinical_validation / MAX(validation_capacity, 0.001)",
            graph=Graph((0, 1, 1.5, 2, 3, 4), (1, 1, 1.4, 2, 3.2, 4.5)), units="dimensionless",
            doc="validation slows once more innovations wait than clinicians can take"),
        Aux("validation_time", "time_clinical_validation * congestion", "months",
            "months an innovation spends in clinical validation"),
        Aux("approval_time", "time_regulatory_approval * (1 - fast_track_share) + fast_track_share * "
            "MIN(time_regulatory_approval, fast_track_months)", "months", "months in regulatory approval"),
        Aux("market_access", "((cross_hub_ties + new_cross_hub_ties + 1) / (cross_hub_ties + 1)) ^ access_elasticity",
            "dimensionless", "how much more open foreign markets are than at the start"),
        Aux("scale_time", "time_scale / market_access", "months", "months before scaling crosses a border"),
        Aux("on_market", "market_launch + scale + cross_border", "innovations", "innovations reaching patients"),
        Aux("in_pipeline", "idea + prototype + clinical_validation + regulatory_approval", "innovations",
            "innovations not yet on the market"),
        Aux("launches_per_year", "approved * 12", "innovations/year", "market launches per year"),
    ]
    c = Constant
    constants = [
        c("idea_rate", 0.3, "innovations/month", "ideas formed per month at the start"),
        c("time_idea", 9, "months", "mean months as an idea"),
        c("time_prototype", 10, "months", "mean months as a prototype"),
        c("time_clinical_validation", 12, "months", "mean months in clinical validation, uncongested"),
        c("time_regulatory_approval", s.approval_months, "months", "mean months in approval (the pathway's prior)"),
        c("time_market_launch", 12, "months", "mean months from launch to scaling"),
        c("time_scale", 18, "months", "mean months scaling before crossing a border"),
        c("success_idea", 0.7, "share", "share of ideas becoming prototypes"),
        c("success_prototype", 0.75, "share", "share of prototypes reaching validation"),
        c("success_clinical_validation", 0.75, "share", "share passing validation"),
        c("success_regulatory_approval", 0.85, "share", "share approved"),
        c("success_market_launch", 0.8, "share", "share of launches that scale"),
        c("success_scale", 0.6, "share", "share of scaling innovations crossing a border"),
        c("engaged_clinicians", s.clinicians, "people", "clinicians working with innovators at the start"),
        c("clinician_tenure", 36, "months", "mean months a clinician stays engaged"),
        c("trials_per_clinician", 0.5, "innovations/person", "innovations one clinician can validate at once"),
        c("partner_clinicians", 0, "people", "clinicians of connected hubs open to this hub's innovations"),
        c("investors", s.investors, "organisations", "investors in the hub"),
        c("investment_per_investor", 0.25, "EUR million/month", "money one investor puts in per month"),
        c("capital_turnover", 24, "months", "months capital lasts"),
        c("investor_elasticity", 1, "dimensionless", "how strongly investment follows reputation"),
        c("reputation_per_launch", 0.05, "index/innovation", "reputation one launch earns"),
        c("reputation_memory", 36, "months", "months reputation lasts"),
        c("mentors", s.mentors, "organisations", "incubators, accelerators and mentors in the hub"),
        c("mentorship_effect", 0.3, "dimensionless", "talent gained per mentor added, relative to the start"),
        c("talent_time", 24, "months", "months talent takes to follow mentorship"),
        c("talent_elasticity", 0.5, "dimensionless", "how strongly talent forms startups and lifts prototypes"),
        c("cross_hub_ties", s.cross_hub_ties, "ties", "ties between this hub and others at the start"),
        c("access_elasticity", 0.5, "dimensionless", "how strongly new cross-hub ties open markets"),
        c("fast_track_months", s.fast_track_months, "months", "months a fast-track decision takes"),
        # the levers interventions pull; all off in the baseline
        c("intervention_start", 0, "months", "when interventions begin"),
        c("fast_track_share", 0, "share", "share of innovations eligible for a regulatory fast track"),
        c("new_cross_hub_ties", 0, "ties", "ties added by connecting with other hubs"),
        c("engagement_programme", 0, "people/month", "clinicians a programme recruits per month"),
        c("programme_months", 12, "months", "how long the engagement programme runs"),
        c("seed_fund", 0, "EUR million", "a seed fund's capital, injected once"),
        c("cohort_size", 0, "innovations", "prototypes an accelerator cohort brings in"),
        c("cohort_mentors", 0, "organisations", "mentors an accelerator adds"),
    ]
    return Model(f"Ecotone ecosystem model ({s.name})", stocks=stocks, flows=flows, auxes=auxes,
                 constants=constants, start=0, stop=float(years * 12), dt=dt, time_units="months",
                 doc=__doc__.split("\n\n")[0])

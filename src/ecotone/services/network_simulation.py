"""Simulate several hubs at once: each read off the atlas and calibrated to its own history, arrayed in one model
with cross-hub flows of clinical validation and market entry along the links asked for (ecotone.simulate.network)."""

from __future__ import annotations

import datetime as dt
import math
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..domain.problems import InputRejected, Problem
from ..io.tables import write_frame_csv
from ..io.xmile import write_xmile
from ..simulate import Model, ModelError, Simulator
from ..simulate.spec import Aux
from ..simulate.ecosystem import HubState, distributions
from ..simulate.equations import canonical
from ..simulate.network import NETWORK_OUTCOMES, Link, hub_elements, network_model
from ..simulate.scenarios import counted_stocks
from ..simulate.stochastic import StochasticSimulator
from ..simulate.uncertainty import sample
from ..store import Atlas
from .analysis import Result, records

__all__ = ["HubNetwork", "PartnerConnection", "benchmark_all_hubs", "connected_view", "hub_network", "parse_link",
           "partner_connection", "simulate_hubs", "ties_between"]

#: What a link's text may say after the two hubs (see :func:`parse_link`).
LINK_SYNTAX = "HUB_A=HUB_B[,ties=10][,share=0.25]"


@dataclass
class HubNetwork:
    """Hubs ready to simulate together: each calibrated to its history, the links between them, and the ties the
    atlas has between every pair."""

    hubs: list  # services.simulate.HubModel, one per hub
    links: list[Link]
    ties: dict[tuple[str, str], int]

    @property
    def names(self) -> list[str]:
        return [h.name for h in self.hubs]

    @property
    def elements(self) -> list[str]:
        return hub_elements(self.names)

    def model(self, years: float, *, arrayed: bool = False, links: bool = True, dt: float = 0.25) -> Model:
        """The network model (hub by hub unless ``arrayed``), with or without the links' cross flows."""
        return network_model([h.state for h in self.hubs], self.links if links else [],
                             calibrations=[h.calibration for h in self.hubs], years=years, dt=dt, arrayed=arrayed)

    def draws(self, runs: int, seed: int) -> pd.DataFrame:
        """Monte Carlo parameter sets over the hub-by-hub model: each hub's calibrated rates drawn around its own
        estimates (``name[element]``), the loop strengths (how ecosystems work, not one hub's data) drawn once and
        shared by every hub."""
        tables = []
        shared = None
        for i, (h, e) in enumerate(zip(self.hubs, self.elements)):
            table = sample(distributions(h.calibration), runs, seed=seed + 7919 * i)
            if shared is None:
                shared = table
            # a loop strength is the same draw at every hub (the first hub's columns for it)
            for c in table.columns:
                if c in _loop_strengths():
                    table[c] = shared[c].to_numpy()
            tables.append(table.rename(columns=lambda c, e=e: f"{c}[{canonical(e)}]"))
        return pd.concat(tables, axis=1)


def _loop_strengths() -> set[str]:
    from ..simulate.ecosystem import UNCERTAIN

    return set(UNCERTAIN)


def ties_between(atlas: Atlas, hub_ids: Sequence[int]) -> dict[tuple[int, int], int]:
    """Ties whose two ends' organisations belong to two different hubs among ``hub_ids``, counted per pair of hubs
    (the smaller id first)."""
    orgs = atlas.frame("organization", ["hub_id"])
    hub_of = orgs.set_index("id")["hub_id"]
    ties = atlas.frame("tie", ["source_id", "target_id"])
    a, b = ties["source_id"].map(hub_of), ties["target_id"].map(hub_of)
    wanted = set(hub_ids)
    keep = a.isin(wanted) & b.isin(wanted) & (a != b)
    pairs = pd.DataFrame({"x": np.minimum(a[keep], b[keep]).astype(int), "y": np.maximum(a[keep], b[keep]).astype(int)})
    return {(int(x), int(y)): int(n) for (x, y), n in pairs.value_counts().items()}


def parse_link(text: str) -> tuple[str, str, dict[str, float]]:
    """A link's text: two hubs joined by ``=``, then options: ``ties`` (new ties the connection adds, default 10)
    and ``share`` (of each hub's clinicians opened to the other's innovations, default 0.25).

    Examples
    --------
    >>> parse_link("Barcelona=Medical Innovation Institute,ties=6")
    ('Barcelona', 'Medical Innovation Institute', {'ties': 6.0})
    """
    ends, *options = [p.strip() for p in text.split(",")]
    a, eq, b = ends.partition("=")
    problem = None
    if not eq or not a.strip() or not b.strip():
        problem = "name two hubs joined by ="
    values: dict[str, float] = {}
    for option in options:
        key, eq, value = option.partition("=")
        key = key.strip().lower()
        if key not in ("ties", "share") or not eq:
            problem = f"{option!r} is not ties=N or share=S"
            break
        try:
            values[key] = float(value)
        except ValueError:
            problem = f"{option!r}: {value.strip()!r} is not a number"
            break
        if not math.isfinite(values[key]) or values[key] < 0 or (key == "share" and values[key] > 1):
            problem = f"{option!r}: ties are zero or more, a share between 0 and 1"
            break
    if problem:
        raise InputRejected([Problem(column="--link", reason=f"{text!r}: {problem}", hint=f"write {LINK_SYNTAX}")])
    return a.strip(), b.strip(), values


def hub_network(atlas: Atlas, hubs: Sequence[str] = (), *, links: Sequence[str] = (), all_hubs: bool = False,
                as_of: dt.date | str | None = None) -> HubNetwork:
    """Read the hubs off the atlas (``all_hubs``: every hub with a stage history), calibrate each to its history,
    and make the links (each ``A=B[,ties=N][,share=S]``; a hub a link names is simulated too)."""
    from .simulate import hub_model

    parsed = [parse_link(t) for t in links]
    wanted: list[int] = []
    if all_hubs:
        from .velocity import pipeline_frames

        for hub_id in atlas.frame("hub", ["name"])["id"]:
            if not pipeline_frames(atlas, int(hub_id))[0].empty:
                wanted.append(int(hub_id))
    for name in [*hubs, *(end for a, b, _ in parsed for end in (a, b))]:
        try:
            hub_id = atlas.hub_id(name)
        except (KeyError, ValueError, LookupError) as exc:
            raise InputRejected([Problem(column="HUBS", reason=str(exc.args[0]) if exc.args else str(exc),
                                         hint="ecotone hubs lists them")]) from None
        if hub_id not in wanted:
            wanted.append(hub_id)
    if not wanted:
        raise InputRejected([Problem(column="HUBS", reason="name at least one hub (or --all)",
                                     hint="e.g. ecotone simulate hubs Barcelona 'Medical Innovation Institute'")])
    models = [hub_model(atlas, hub_id, as_of=as_of) for hub_id in wanted]
    ids = dict(zip([m.name for m in models], wanted))
    pair_ties = ties_between(atlas, wanted)
    ties = {(a, b): pair_ties.get((min(ids[a], ids[b]), max(ids[a], ids[b])), 0)
            for i, a in enumerate(ids) for b in list(ids)[i + 1:]}
    made = []
    for a, b, values in parsed:
        na, nb = (atlas.names("hub", [atlas.hub_id(x)])[atlas.hub_id(x)] for x in (a, b))
        if na == nb:
            raise InputRejected([Problem(column="--link", reason=f"{a}={b}: a hub cannot be linked with itself")])
        existing = ties.get((na, nb), ties.get((nb, na), 0))
        made.append(Link(na, nb, ties=existing, new_ties=values.get("ties", 10.0), share=values.get("share", 0.25)))
    try:
        network_model([m.state for m in models], made, years=1)
    except ModelError as exc:
        raise InputRejected([Problem(column="--link", reason=str(exc))]) from None
    return HubNetwork(models, made, ties)


def _summarise(results, blocks: list[str], n: int, elements: list[str], names: list[str],
               outcomes: Sequence[str]) -> pd.DataFrame:
    rows = []
    for k, scenario in enumerate(blocks):
        for name, e in zip(names, elements):
            for outcome in outcomes:
                series = results.series(f"{outcome}[{canonical(e)}]")
                end, base = series[-1, k * n:(k + 1) * n], series[-1, :n]
                direction = NETWORK_OUTCOMES.get(outcome, 1)
                row = {"hub": name, "scenario": scenario, "outcome": outcome, "median": float(np.median(end)),
                       "p5": float(np.quantile(end, 0.05)), "p95": float(np.quantile(end, 0.95))}
                if k:
                    row["change"] = float(np.median(end - base))
                    gain = (end - base) * direction
                    row["better_in"] = float(np.mean(gain > 1e-9)) if direction else None
                    row["worse_in"] = float(np.mean(gain < -1e-9)) if direction else None
                rows.append(row)
    return pd.DataFrame(rows)


def run_network(network: HubNetwork, *, years: float = 10, runs: int = 200, seed: int = 0,
                scenarios: dict[str, dict[str, float]] | None = None, outcomes: Sequence[str] = tuple(NETWORK_OUTCOMES),
                progress=None, process_noise: bool = True):
    """Run the hub-by-hub model for ``runs`` draws: without the links' cross flows ("no links"), then with them
    ("linked", when there are links) and each of ``scenarios`` (name → constants set, ``name[element]``), on the
    same draws. With ``process_noise`` (as ``ecotone simulate compare``), every hub's innovations move as whole
    ones by chance, run k of every block on the random numbers of the "no links" run k (seeded by ``seed``).
    Returns the results and the scenario names, in block order."""
    model = network.model(years)
    draws = network.draws(runs, seed)
    levers = [f"{lever}[{canonical(e)}]" for e in network.elements for lever in ("site_share", "link_ties")]
    blocks = {"no links": dict.fromkeys(levers, 0.0)}
    if network.links:
        blocks["linked"] = {name: model.constant(name).value for name in levers}
    blocks.update(scenarios or {})
    tables = []
    for changes in blocks.values():
        table = draws.copy()
        for name, value in {**blocks["linked" if network.links else "no links"], **changes}.items():
            table[name] = value
        tables.append(table)
    table = pd.concat(tables, ignore_index=True)
    variables = [f"{o}[{canonical(e)}]" for e in network.elements for o in outcomes]
    told = (lambda done, total: progress("simulating", done, total)) if progress else None
    options = dict(save_every=1.0, variables=variables, progress=told)
    counted, exact = counted_stocks(model)
    if process_noise and counted:
        # as ecotone simulate compare: every hub's innovations move as whole ones by chance, and run k of every
        # block uses the random stream of the "no links" run k (common random numbers)
        noisy = StochasticSimulator(counted=counted, exact=exact, seed=seed, **options)
        results = noisy.run(model, table, streams=np.tile(np.arange(runs), len(blocks)))
    else:
        results = Simulator(**options).run(model, table)
    return results, list(blocks)


def simulate_hubs(atlas: Atlas, hubs: Sequence[str] = (), *, links: Sequence[str] = (), all_hubs: bool = False,
                  years: float = 10, runs: int = 200, seed: int = 0, as_of: dt.date | str | None = None,
                  xmile: Path | None = None, out: Path | None = None, progress=None,
                  process_noise: bool = True) -> Result:
    """Several hubs in one model, each calibrated to its history: outcomes per hub at the horizon with 5–95% bands,
    without the links' cross flows and with them (the change in paired draws, the shares of draws better and
    worse). With ``process_noise`` (as ``ecotone simulate compare``) innovations move as whole ones by chance,
    "no links" and "linked" on the same random numbers; without it the runs are deterministic.
    ``xmile`` writes the arrayed model (a ``hub`` dimension) with its links; ``out`` (.csv) the bands of every
    outcome per hub over time."""
    from .simulate import _check_runs

    _check_runs(runs, years)
    network = hub_network(atlas, hubs, links=links, all_hubs=all_hubs, as_of=as_of)
    results, blocks = run_network(network, years=years, runs=runs, seed=seed, progress=progress,
                                  process_noise=process_noise)
    table = _summarise(results, blocks, runs, network.elements, network.names, list(NETWORK_OUTCOMES))
    if xmile is not None:
        write_xmile(network.model(years, arrayed=True), xmile)
    if out is not None:
        write_frame_csv(out, _bands(results, blocks, runs, network).round(4))
    link_rows = [{"hub_a": ln.a, "hub_b": ln.b, "ties_in_atlas": int(ln.ties), "new_ties": ln.new_ties,
                  "share": ln.share} for ln in network.links]
    tables = {"outcomes": records(table.round(2))}
    if link_rows:
        tables["links"] = link_rows
    pairs = [{"hub_a": a, "hub_b": b, "ties": n} for (a, b), n in network.ties.items() if n]
    if pairs:
        tables["ties_between_hubs"] = pairs
    return Result(tables, {"hubs": len(network.hubs), "links": len(network.links), "years": years, "runs": runs,
                           "seed": seed, "variables": len(network.model(years).variables),
                           "process_noise": "whole innovations, by chance; the same random numbers with and "
                                            "without links" if process_noise else "off (deterministic runs)"})


def _bands(results, blocks, n, network: HubNetwork) -> pd.DataFrame:
    frames = []
    for k, scenario in enumerate(blocks):
        for name, e in zip(network.names, network.elements):
            for outcome in NETWORK_OUTCOMES:
                series = results.series(f"{outcome}[{canonical(e)}]")[:, k * n:(k + 1) * n]
                q = np.quantile(series, [0.05, 0.5, 0.95], axis=1)
                frames.append(pd.DataFrame({"hub": name, "scenario": scenario, "outcome": outcome,
                                            "time": results.times, "p5": q[0], "p50": q[1], "p95": q[2]}))
    return pd.concat(frames, ignore_index=True)


def benchmark_all_hubs(atlas: Atlas, *, runs: int = 10_000, years: float = 10, seed: int = 0,
                       as_of: dt.date | str | None = None) -> dict[str, float]:
    """Build and run the arrayed model of every hub of the atlas with a stage history (13 in the demo atlas), each
    calibrated, every hub linked with the next (a ring), for ``runs`` Monte Carlo draws; returns the figures: hubs,
    variables after flattening, seconds to calibrate, to build and to run, and the peak resident memory (MB).

    The lead's benchmark calls it on the demo atlas::

        from ecotone.services.demo import build_demo
        atlas = Atlas.open("bench.db"); build_demo(atlas)
        print(benchmark_all_hubs(atlas, runs=10_000))
    """
    from ..simulate import build

    t0 = time.perf_counter()
    network = hub_network(atlas, all_hubs=True, as_of=as_of)
    names = network.names
    network.links = [Link(a, b, ties=network.ties.get((a, b), network.ties.get((b, a), 0)))
                     for a, b in zip(names, names[1:] + names[:1])] if len(names) > 2 else []
    t1 = time.perf_counter()
    built = build(network.model(years, arrayed=True))
    t2 = time.perf_counter()
    draws = network.draws(runs, seed)
    variables = [f"{o}[{canonical(e)}]" for e in network.elements for o in ("market_years", "on_market")]
    results = Simulator(save_every=12.0, variables=variables).run(built, draws)
    t3 = time.perf_counter()
    return {"hubs": len(names), "links": len(network.links), "variables": len(built.recorded), "runs": runs,
            "calibrate_s": round(t1 - t0, 2), "build_s": round(t2 - t1, 2), "run_s": round(t3 - t2, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "market_years_median": float(np.median(sum(results.final(v) for v in variables[::2])))}


# -- connect:HUB in ecotone simulate compare: the two-hub model ----------------------------------------------------
@dataclass(frozen=True)
class PartnerConnection:
    """``connect:HUB`` as a link between the hub and its calibrated partner: the single-hub intervention (its
    name, mechanism, timing and cost) with the partner and the link it makes."""

    intervention: object  # simulate.scenarios.Intervention
    partner: object       # services.simulate.HubModel
    link: Link

    def __getattr__(self, name: str):
        return getattr(self.intervention, name)

    def timed(self, **when) -> PartnerConnection:
        """The connection with its start, ramp, duration and costs set (still a connection of the two hubs)."""
        return replace(self, intervention=self.intervention.timed(**when))


class _AtHub:
    """An intervention of the focal hub applied to its levers in the hub-by-hub model (``lever[element]``)."""

    def __init__(self, intervention, elements: Sequence[str], levers: Sequence[tuple[str, float]] = ()) -> None:
        self.intervention, self.elements, self.levers = intervention, [canonical(e) for e in elements], levers

    def __getattr__(self, name: str):
        return getattr(self.intervention, name)

    def timed(self, **when) -> PartnerConnection:
        """The connection with its start, ramp, duration and costs set (still a connection of the two hubs)."""
        return replace(self, intervention=self.intervention.timed(**when))

    def apply(self, values: dict, uniform=None) -> dict:
        out = dict(values)
        for e in self.elements:
            view = {k[:-len(e) - 2]: v for k, v in values.items() if k.endswith(f"[{e}]")}
            changed = self.intervention.apply(view, uniform) if uniform is not None else self.intervention.apply(view)
            for lever, value in self.levers:
                changed[lever] = np.zeros_like(view[lever], dtype=float) + value
            out.update({f"{k}[{e}]": v for k, v in changed.items()})
        return out


def connected_view(atlas: Atlas, hub, scenarios: dict, *, years: float, draws: pd.DataFrame,
                   outcomes: Sequence[str]):
    """What ``ecotone simulate compare`` runs: the hub's own model when no scenario connects it; else the two-hub
    model of the hub and its partner (both calibrated) in which the focal hub's outcomes and mechanisms keep their
    names, the partner's outcomes are ``outcome[partner]``, each connection links the pipelines (partner sites,
    partner markets) and every other intervention acts on the focal hub. Returns (model, draws, scenarios,
    outcomes)."""
    from ..simulate.scenarios import MECHANISMS

    connections = [i for ivs in scenarios.values() for i in ivs if isinstance(i, PartnerConnection)]
    if not connections:
        return hub.model(years), draws, scenarios, tuple(outcomes)
    partners = {c.partner.name: c.partner for c in connections}
    if len(partners) > 1:
        raise InputRejected([Problem(column="--scenario", reason="the scenarios connect with different hubs ("
                                     + ", ".join(partners) + "): compare one partner at a time, or simulate them "
                                     "together with ecotone simulate hubs")])
    partner = next(iter(partners.values()))
    link = connections[0].link
    network = HubNetwork([hub, partner], [link], {})
    focal, other = (canonical(e) for e in network.elements)
    flat = network.model(years)
    shown = ("market_years", "on_market", "cross_border")
    aliases = [Aux(name, f'"{name}[{focal}]"', flat.variable(f"{name}[{focal}]").units,
                   f"{hub.name}'s {name.replace('_', ' ')}")
               for name in dict.fromkeys([*outcomes, *MECHANISMS, "partner_products", "validating_at_partners"])]
    aliases += [Aux(f"{other}_{name}", f'"{name}[{other}]"', flat.variable(f"{name}[{other}]").units,
                    f"{partner.name}'s {name.replace('_', ' ')}") for name in shown]
    model = replace(flat, auxes=[*flat.auxes, *aliases])
    both = network.draws(len(draws), 0)
    table = both.copy()
    for c in draws.columns:  # the focal hub keeps the very draws of the single-hub comparison
        table[f"{c}[{focal}]"] = draws[c].to_numpy()
        if f"{c}[{other}]" in table and c in _loop_strengths():
            table[f"{c}[{other}]"] = draws[c].to_numpy()
    for e in (focal, other):  # no link in the baseline: a connection opens it
        table[f"site_share[{e}]"] = table[f"link_ties[{e}]"] = 0.0
    named = {}
    for name, ivs in scenarios.items():
        wrapped = []
        for iv in ivs:
            if isinstance(iv, PartnerConnection):
                wrapped.append(_AtHub(_timing_only(iv.intervention), network.elements,
                                      [("site_share", iv.link.share), ("link_ties", iv.link.new_ties)]))
            else:
                wrapped.append(_AtHub(iv, network.elements[:1]))
        named[name] = wrapped
    partner_outcomes = [f"{other}_{o}" for o in shown]
    return model, table, named, (*outcomes, "partner_products", *partner_outcomes)


def _timing_only(intervention):
    """The connection's time profile (start, ramp, duration) without its single-hub levers (partner clinicians
    and new ties: the link carries them now)."""
    return replace(intervention, changes=())


def partner_connection(atlas: Atlas, hub, partner: str, intervention, *, ties: float, share: float
                       ) -> PartnerConnection:
    """``connect:PARTNER`` for ``hub``: the partner calibrated to its own history and the link between them (the
    ties the atlas has between the two hubs, ``ties`` new ones, ``share`` of clinicians opened)."""
    from .simulate import hub_model

    other = hub_model(atlas, partner, as_of=hub.as_of)
    pair = ties_between(atlas, [atlas.hub_id(hub.name), atlas.hub_id(other.name)])
    existing = sum(pair.values())
    return PartnerConnection(intervention, other, Link(hub.name, other.name, ties=existing, new_ties=ties,
                                                       share=share))

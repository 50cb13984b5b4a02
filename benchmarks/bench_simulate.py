"""Benchmark the simulator: 10,000 Monte Carlo runs of the built-in ecosystem model over 10 years at a quarter-month
step, against PySD running the same model exported as XMILE, one run per parameter set (how PySD users do Monte
Carlo), on a sample of runs; plus peak memory. The two agree on the sample (checked here too).

    .venv/bin/python benchmarks/bench_simulate.py             # 10,000 runs, PySD on 20 of them, 3 repeats
    .venv/bin/python benchmarks/bench_simulate.py --quick     # 1,000 runs, PySD on 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _measure import measure, peak_mb  # noqa: E402

STATE = dict(name="benchmark hub", stages={"idea": 12, "prototype": 8, "clinical_validation": 6,
                                           "regulatory_approval": 4, "market_launch": 3, "scale": 2,
                                           "cross_border": 1}, stopped=5, clinicians=12, investors=4, mentors=3,
             cross_hub_ties=8)


def _model():
    from ecotone.simulate.ecosystem import HubState, ecosystem_model

    return ecosystem_model(HubState(**STATE), years=10, dt=0.25)


def _draws(runs: int, seed: int = 0):
    from ecotone.simulate.ecosystem import distributions
    from ecotone.simulate.uncertainty import LogitNormal, LogNormal, sample

    model = _model()
    dists = dict(distributions())
    for c in model.constants:  # the pipeline rates around their defaults, as a calibration would leave them
        if c.name.startswith("time_") or c.name == "idea_rate":
            dists[c.name] = LogNormal(c.value, 0.3)
        elif c.name.startswith("success_"):
            dists[c.name] = LogitNormal(c.value, 0.4)
    return sample(dists, runs, seed=seed)


def ecotone_run(runs: int) -> dict:
    from ecotone.simulate import Simulator, build

    model = _model()
    draws = _draws(runs)
    start = time.perf_counter()
    built = build(model)
    results = Simulator(save_every=1, variables=[s.name for s in model.stocks]).run(built, draws)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": peak_mb(), "steps": int(round(model.stop / model.dt)),
            "on_market": float(np.median(results.final("market_launch")))}


def pysd_run(sample_runs: int, runs: int) -> dict:
    warnings.filterwarnings("ignore")
    import pysd

    from ecotone.io.xmile import write_xmile
    from ecotone.simulate import Simulator

    model = _model()
    draws = _draws(runs).iloc[:sample_runs]
    with tempfile.TemporaryDirectory() as folder:
        path = write_xmile(model, Path(folder) / "ecosystem.xmile")
        start = time.perf_counter()
        translated = pysd.read_xmile(str(path))
        translate = time.perf_counter() - start
        times = np.arange(0, model.stop + 1e-9, 1.0)
        stocks = [s.name for s in model.stocks]
        worst, start = 0.0, time.perf_counter()
        outputs = []
        for i in range(sample_runs):
            params = draws.iloc[i].to_dict()
            out = translated.run(params=params, return_timestamps=times, return_columns=stocks)
            outputs.append(out)
        seconds = time.perf_counter() - start
    ours = Simulator(save_every=1, variables=stocks).run(model, draws)
    for i, out in enumerate(outputs):
        for j, s in enumerate(stocks):
            expected = out[s].to_numpy()
            worst = max(worst, float(np.max(np.abs(ours.values[:, j, i] - expected) / np.maximum(1, np.abs(expected)))))
    return {"seconds": seconds, "translate": translate, "worst": worst, "peak_mb": peak_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--pysd-runs", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = args.runs or (1_000 if args.quick else 10_000)
    sample_runs = args.pysd_runs or (5 if args.quick else 20)
    ours = [measure(ecotone_run, runs) for _ in range(args.repeat)]
    theirs = measure(pysd_run, sample_runs, runs)
    median = statistics.median(r["seconds"] for r in ours)
    per_run_ours = median / runs
    per_run_pysd = theirs["seconds"] / sample_runs
    print(f"## Monte Carlo of the built-in ecosystem model: {runs:,} runs × 10 years × dt 0.25 month "
          f"({ours[0]['steps']} steps), {len(_model().stocks)} stocks recorded monthly")
    print()
    print("| engine | runs | median s | s per run | ratio |")
    print("|---|---|---|---|---|")
    print(f"| Ecotone (one ensemble; median of {args.repeat} fresh processes) | {runs:,} | {median:.2f} | "
          f"{per_run_ours * 1000:.3f} ms | 1× |")
    print(f"| PySD 3 (`model.run(params=…)` per run, XMILE exported by Ecotone) | {sample_runs} | "
          f"{theirs['seconds']:.2f} | {per_run_pysd * 1000:.1f} ms | **{per_run_pysd / per_run_ours:,.0f}×** "
          "slower per run |")
    print()
    print(f"target: 10,000 runs under 2 s → {'met' if median < 2 or runs != 10_000 else 'missed'} ({median:.2f} s); "
          f"per-run ratio ≥ 100× → {'met' if per_run_pysd / per_run_ours >= 100 else 'missed'}")
    print(f"PySD would need {per_run_pysd * runs:,.0f} s for the {runs:,} runs (plus {theirs['translate']:.1f} s to "
          f"translate the model once); largest difference on the {sample_runs} shared runs: {theirs['worst']:.1e} "
          "(relative)")
    print(f"peak memory: Ecotone {statistics.median(r['peak_mb'] for r in ours):,.0f} MB "
          f"(all {runs:,} runs' stocks kept monthly), PySD {theirs['peak_mb']:,.0f} MB")


if __name__ == "__main__":
    main()

"""Benchmark the simulator, each measurement in a fresh process (its peak memory its own):

1. 10,000 Monte Carlo runs of the built-in ecosystem model of a demo hub (Barcelona), calibrated to its history, over
   10 years at a quarter-month step: parameters drawn from the fitted joint distribution (correlations kept), once
   deterministic and once with process noise (whole innovations moved by binomial draws); against PySD running the
   same model exported as XMILE, one run per parameter set (how PySD users do Monte Carlo), on a sample of the runs
   (the two agree on the sample, checked here too).
2. The 13 demo hubs in one arrayed model (the hub as a dimension, each hub calibrated, linked in a ring), 10,000 runs.
3. The SDXorg test-models corpus the repository carries (tests/data/sd-test-models): how many models Ecotone and
   PySD reproduce (their canonical outputs, rtol 1e-3), in the same run.

    .venv/bin/python benchmarks/bench_simulate.py             # 10,000 runs, PySD on 20 of them, 3 repeats
    .venv/bin/python benchmarks/bench_simulate.py --quick     # 1,000 runs, PySD on 5, 1,000 runs of the 13 hubs
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

ROOT = Path(__file__).resolve().parent.parent
HUB = "Barcelona Health Hub"
AS_OF = "2026-11-24"


def _demo_atlas(folder: str):
    from ecotone.services.demo import build_demo
    from ecotone.store import Atlas

    atlas = Atlas.open(str(Path(folder) / "bench.db"))
    build_demo(atlas)
    return atlas


def _hub(folder: str):
    from ecotone.services.simulate import hub_model

    return hub_model(_demo_atlas(folder), HUB, as_of=AS_OF)


def ecotone_run(runs: int, noise: bool) -> dict:
    """Draw ``runs`` parameter sets from the calibration's joint distribution and run them (one ensemble)."""
    from ecotone.simulate import Simulator, build
    from ecotone.simulate.ecosystem import COUNTED, EXACT_ARRIVALS, draws
    from ecotone.simulate.stochastic import StochasticSimulator

    with tempfile.TemporaryDirectory() as folder:
        h = _hub(folder)
        model = h.model(10)
        start = time.perf_counter()
        table = draws(h.calibration, runs, seed=0)
        built = build(model)
        stocks = [s.name for s in model.stocks]
        sim = StochasticSimulator(counted=COUNTED, exact=EXACT_ARRIVALS, seed=0, save_every=1, variables=stocks) \
            if noise else Simulator(save_every=1, variables=stocks)
        results = sim.run(built, table)
        seconds = time.perf_counter() - start
        market_years = results.final("market_years")
        at_estimates = Simulator(save_every=1, variables=["market_years"]).run(model).final("market_years")[0]
    return {"seconds": seconds, "peak_mb": peak_mb(), "steps": int(round(model.stop / model.dt)),
            "stocks": len(stocks), "median": float(np.median(market_years)), "at_estimates": float(at_estimates)}


def pysd_run(sample_runs: int) -> dict:
    warnings.filterwarnings("ignore")
    import pysd

    from ecotone.io.xmile import write_xmile
    from ecotone.simulate import Simulator
    from ecotone.simulate.ecosystem import draws

    with tempfile.TemporaryDirectory() as folder:
        h = _hub(folder)
        model = h.model(10)
        table = draws(h.calibration, sample_runs, seed=0)
        path = write_xmile(model, Path(folder) / "ecosystem.xmile")
        start = time.perf_counter()
        translated = pysd.read_xmile(str(path))
        translate = time.perf_counter() - start
        times = np.arange(0, model.stop + 1e-9, 1.0)
        stocks = [s.name for s in model.stocks]
        start = time.perf_counter()
        outputs = [translated.run(params=table.iloc[i].to_dict(), return_timestamps=times, return_columns=stocks)
                   for i in range(sample_runs)]
        seconds = time.perf_counter() - start
    ours = Simulator(save_every=1, variables=stocks).run(model, table)
    worst = 0.0
    for i, out in enumerate(outputs):
        for j, s in enumerate(stocks):
            expected = out[s].to_numpy()
            worst = max(worst, float(np.max(np.abs(ours.values[:, j, i] - expected) / np.maximum(1, np.abs(expected)))))
    return {"seconds": seconds, "translate": translate, "worst": worst, "peak_mb": peak_mb()}


def hubs_run(runs: int) -> dict:
    from ecotone.services.network_simulation import benchmark_all_hubs

    with tempfile.TemporaryDirectory() as folder:
        out = benchmark_all_hubs(_demo_atlas(folder), runs=runs, as_of=AS_OF)
    return {**out, "peak_mb": peak_mb()}


def corpus_score() -> dict:
    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(ROOT / "tests" / "data" / "sd-test-models"))
    import corpus

    start = time.perf_counter()
    score = corpus.score(("ecotone", "pysd"))
    return {"score": score, "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 runs, PySD on 5")
    parser.add_argument("--runs", type=int, default=None, help="Monte Carlo runs (default 10,000)")
    parser.add_argument("--pysd-runs", type=int, default=None, help="runs PySD does one by one (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per Ecotone measurement (median)")
    args = parser.parse_args()
    runs = args.runs or (1_000 if args.quick else 10_000)
    sample_runs = args.pysd_runs or (5 if args.quick else 20)

    plain = [measure(ecotone_run, runs, False) for _ in range(args.repeat)]
    noisy = [measure(ecotone_run, runs, True) for _ in range(args.repeat)]
    theirs = measure(pysd_run, sample_runs)
    hubs = measure(hubs_run, runs)
    corpus = measure(corpus_score)

    def med(rows, key):
        return statistics.median(r[key] for r in rows)

    per_run_pysd = theirs["seconds"] / sample_runs
    print(f"## 1. Monte Carlo of the built-in ecosystem model, {HUB} calibrated to its history: {runs:,} runs × "
          f"10 years × dt 0.25 month ({plain[0]['steps']} steps), {plain[0]['stocks']} stocks recorded monthly, "
          "parameters drawn from the fitted joint distribution")
    print()
    print("| engine | runs | median s | per run | PySD's time per run ÷ this | peak MB |")
    print("|---|---|---|---|---|---|")
    for label, rows in (("Ecotone, deterministic (one ensemble)", plain),
                        ("Ecotone, process noise: innovations moved by binomial draws", noisy)):
        s = med(rows, "seconds")
        print(f"| {label}; median of {args.repeat} fresh processes | {runs:,} | {s:.2f} | {s / runs * 1000:.3f} ms | "
              f"**{per_run_pysd / (s / runs):,.0f}×** | {med(rows, 'peak_mb'):,.0f} |")
    print(f"| PySD 3 (`model.run(params=…)` per run, XMILE exported by Ecotone) | {sample_runs} | "
          f"{theirs['seconds']:.2f} | {per_run_pysd * 1000:.1f} ms | 1× | {theirs['peak_mb']:,.0f} |")
    print()
    noisy_s = med(noisy, "seconds")
    worst_ratio = per_run_pysd / (noisy_s / runs)
    print(f"- target: {runs:,} runs with process noise and correlated draws under 2 s → "
          f"{'met' if noisy_s < 2 else 'missed'} ({noisy_s:.2f} s); ≥ 100× PySD per run → "
          f"{'met' if worst_ratio >= 100 else 'missed'} ({worst_ratio:,.0f}×)")
    print(f"- PySD would need {per_run_pysd * runs:,.0f} s for the {runs:,} runs (plus {theirs['translate']:.1f} s to "
          f"translate the model once); largest difference on the {sample_runs} shared runs (deterministic): "
          f"{theirs['worst']:.1e} (relative)")
    for label, rows in (("deterministic", plain), ("process noise", noisy)):
        m, e = rows[0]["median"], rows[0]["at_estimates"]
        print(f"- market-years at 10 years, {label}: Monte Carlo median {m:.2f}, the run at the estimates {e:.2f} "
              f"({100 * (m - e) / e:+.1f}%)")
    print()
    print(f"## 2. Several hubs in one arrayed model: {hubs['hubs']} demo hubs (the hub as a dimension, each "
          f"calibrated, {hubs['links']} links in a ring), {hubs['runs']:,} runs × 10 years")
    print()
    print("| hubs | variables after flattening | runs | calibrate s | build s | run s | peak MB |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {hubs['hubs']} | {hubs['variables']:,} | {hubs['runs']:,} | {hubs['calibrate_s']:.1f} | "
          f"{hubs['build_s']:.1f} | {hubs['run_s']:.1f} | {hubs['peak_mb']:,.0f} |")
    print()
    print("## 3. The SDXorg test-models corpus in the repository (tests/data/sd-test-models), canonical outputs at "
          "rtol 1e-3")
    print()
    print("| tool | models matched | of |")
    print("|---|---|---|")
    for tool, (n, total) in corpus["score"].items():
        print(f"| {'Ecotone' if tool == 'ecotone' else 'PySD 3'} | {n} | {total} |")
    print()
    print(f"({corpus['seconds']:.0f} s for both tools over the corpus)")


if __name__ == "__main__":
    main()

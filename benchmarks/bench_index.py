"""Ecosystem index speed: the Monte Carlo of analysis/ecosystem_index.py against the same Monte Carlo written as a
straightforward per-draw loop with pandas; then helper C's needs matching (benchmarks/bench_needs.py) if it is there.

The table is CORDIS-city-like and random (seeded): 1,000 cities, 20 indicators in the seven pillars, counts that grow
with a city's size (log-normal), shares, a months-to-market where lower is better, and about 15% of cells missing
(more in small cities). Ecotone runs 10,000 draws (weights from a Dirichlet around equal weights, a normalisation and
an aggregation each) with imputation, ranks, intervals, sensitivity shares, contributions, strengths and levers.
The peer recomputes each draw from the table with pandas (impute, normalise, pillar means, weighted sum, rank), on a
sample of the very draws Ecotone made; its time is extrapolated to all the draws (said so in the table), and its ranks
are checked against Ecotone's on the sample. Each measurement runs in a fresh process (its peak memory its own).

    .venv/bin/python benchmarks/bench_index.py            # 10,000 draws × 1,000 cities, 3 runs; needs 100k × 100k
    .venv/bin/python benchmarks/bench_index.py --quick    # 1 run, 2,000 draws; needs 10k × 10k
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _measure import measure, peak_mb  # noqa: E402

TARGET_S = 10.0
_PILLAR_OF = ["collaborative_infrastructure", "collaborative_infrastructure", "cross_sector_integration",
              "cross_sector_integration", "open_innovation", "open_innovation", "open_innovation",
              "supportive_regulation", "supportive_regulation", "talent_pipeline", "talent_pipeline",
              "talent_pipeline", "performance", "performance", "performance", "performance", "connectedness",
              "connectedness", "connectedness", "open_innovation"]


def city_table(groups: int = 1_000, seed: int = 0):
    """A random CORDIS-city-like indicator table and its indicators."""
    import pandas as pd

    from ecotone.analysis.ecosystem_index import Indicator

    rng = np.random.default_rng(seed)
    size = rng.lognormal(3, 1.2, groups)  # organisations per city: a few large cities, many small
    columns, inds = {}, []
    for j, pillar in enumerate(_PILLAR_OF):
        if j % 4 == 3:  # a share in [0, 1]
            col = rng.beta(2, 3, groups)
        elif j == 15:  # median months to market: lower is better
            col = rng.gamma(6, 5, groups)
        else:  # a count growing with the city's size, per 100 actors for some
            col = rng.poisson(size * rng.uniform(0.05, 2)).astype(float)
            if j % 2:
                col = 100 * col / np.maximum(size, 1)
        missing = rng.random(groups) < np.clip(0.4 / np.sqrt(size / 5), 0.02, 0.6)
        col[missing] = np.nan
        name = f"indicator_{j:02d}"
        columns[name] = col
        inds.append(Indicator(name, pillar, f"random indicator {j}", higher_is_better=j != 15))
    values = pd.DataFrame(columns, index=[f"City {i:04d}" for i in range(groups)])
    return values, inds


def run_ecotone(draws: int, groups: int) -> dict:
    from ecotone.analysis.ecosystem_index import EcosystemIndex

    values, inds = city_table(groups)
    start = time.perf_counter()
    index = EcosystemIndex(inds, draws=draws, seed=1).run(values)
    seconds = time.perf_counter() - start
    shares = index.sensitivity_.set_index("choice")["share"].round(2).to_dict()
    width = float((index.scores_["rank_high"] - index.scores_["rank_low"]).median())
    return {"seconds": seconds, "peak_mb": peak_mb(), "missing": float(values.isna().mean().mean()),
            "shares": shares, "width": width, "levers": len(index.levers_)}


def _peer_draw(values, sign, pillar_of, normalisation, aggregation, weights):
    """One draw the plain way: every step on the whole table with pandas."""
    signed = values * sign
    filled = signed.fillna(signed.median())
    if normalisation == "minmax":
        span = filled.max() - filled.min()
        norm = (100 * (filled - filled.min()) / span.where(span > 0)).fillna(50.0)
    elif normalisation == "zscore":
        sd = filled.std(ddof=0)
        norm = (50 + 10 * (filled - filled.mean()) / sd.where(sd > 0)).clip(0, 100).fillna(50.0)
    else:
        norm = 100 * (filled.rank(method="average") - 1) / (len(filled) - 1)
    if aggregation == "geometric":
        norm = np.log(norm.clip(lower=1.0))
    pillars = norm.T.groupby(pillar_of).mean().T
    w = weights[pillars.columns]
    score = (pillars * w).sum(axis=1) / w.sum()
    if aggregation == "geometric":
        score = np.exp(score).clip(upper=100.0)
    return score.round(9).rank(method="min", ascending=False).astype(int)


def run_peer(sample: int, groups: int) -> dict:
    """The per-draw pandas loop on ``sample`` of Ecotone's own draws (the draws made, not timed, in this process)."""
    import pandas as pd

    from ecotone.analysis.ecosystem_index import EcosystemIndex

    values, inds = city_table(groups)
    index = EcosystemIndex(inds, draws=sample, seed=1).run(values)
    sign = pd.Series([1.0 if i.higher_is_better else -1.0 for i in inds], index=values.columns)
    pillar_of = pd.Series([i.pillar for i in inds], index=values.columns)
    start = time.perf_counter()
    ranks = [_peer_draw(values, sign, pillar_of, row.normalisation, row.aggregation,
                        pd.Series({p: getattr(row, p) for p in index.weights_}))
             for row in index.draws_.itertuples()]
    seconds = time.perf_counter() - start
    theirs = np.array([r.to_numpy() for r in ranks])
    agree = float((theirs == index.ranks_).mean())
    return {"per_draw": seconds / sample, "peak_mb": peak_mb(), "agree": agree}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one run, 2,000 draws; needs 10k × 10k")
    parser.add_argument("--repeats", type=int, default=None, help="runs per measurement (default 3, quick 1)")
    parser.add_argument("--draws", type=int, default=None, help="Monte Carlo draws (default 10,000)")
    parser.add_argument("--groups", type=int, default=1_000, help="cities (default 1,000)")
    parser.add_argument("--sample", type=int, default=None, help="draws the pandas loop does (default 100)")
    parser.add_argument("--no-needs", action="store_true", help="skip benchmarks/bench_needs.py")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    draws = args.draws or (2_000 if args.quick else 10_000)
    sample = args.sample or (30 if args.quick else 100)

    ours, peer = [], []
    for r in range(repeats):
        ours.append(measure(run_ecotone, draws, args.groups))
        peer.append(measure(run_peer, sample, args.groups))
        print(f"  index: run {r + 1} of {repeats} done", file=sys.stderr)
    mine = statistics.median(o["seconds"] for o in ours)
    per_draw = statistics.median(p["per_draw"] for p in peer)
    theirs = per_draw * draws
    first = ours[0]
    print(f"\n## Ecosystem index: {draws:,} Monte Carlo draws × {args.groups:,} cities × {len(_PILLAR_OF)} "
          f"indicators ({100 * first['missing']:.0f}% of cells missing)\n")
    print(f"medians of {repeats} run(s); peak MB = the process's maximum resident set\n")
    print("| engine | draws | median s | per draw | time vs Ecotone | peak MB | note |")
    print("|---|---|---|---|---|---|---|")
    print(f"| Ecotone EcosystemIndex.run (all draws at once, in chunks) | {draws:,} | {mine:.2f} | "
          f"{1000 * mine / draws:.2f} ms | 1× | {max(o['peak_mb'] for o in ours):,.0f} | includes imputation, "
          f"intervals, sensitivity, decomposition and {first['levers']:,} levers recomputed |")
    print(f"| per-draw loop with pandas (same draws) | {draws:,} | {theirs:,.1f} | {1000 * per_draw:.1f} ms | "
          f"{theirs / mine:,.0f}× | {max(p['peak_mb'] for p in peer):,.0f} | extrapolated from {sample} draws; ranks "
          f"agree with Ecotone's on {100 * min(p['agree'] for p in peer):.1f}% of (draw, city) cells |")
    print(f"\n- target: {draws:,} draws × {args.groups:,} groups under {TARGET_S:.0f} s → "
          f"{'met' if mine < TARGET_S else 'missed'} ({mine:.2f} s)")
    print(f"- sensitivity (share of rank variance): {first['shares']}; median width of the 90% rank interval: "
          f"{first['width']:.0f} places")

    bench_needs = Path(__file__).with_name("bench_needs.py")
    if bench_needs.exists() and not args.no_needs:
        import bench_needs

        size = 10_000 if args.quick else 100_000
        print(f"\n## Needs matched to offers (benchmarks/bench_needs.py): {size:,} needs × {size:,} offers\n")
        print(bench_needs.table(bench_needs.run(repeats, needs=size, offers=size), repeats))


if __name__ == "__main__":
    main()

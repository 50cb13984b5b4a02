"""Network analysis speed: the full analysis of a 100k-organisation / 1M-tie atlas, and Ecotone against networkx.

Part 1 times, in a fresh process per run, everything an architect asks of a large atlas: the Snapshot read from
SQLite, every centrality (in the giant component betweenness from random shortest paths with its (ε, δ) guarantee,
closeness and harmonic from 256 pivots),
Gould–Fernandez brokerage by hub, the bridges between every pair of hubs, Leiden communities and the gap finder;
with the process's peak memory. Targets: under 60 s and 4 GB.

Part 2 computes the same metrics on one 20k-organisation / 200k-tie graph with Ecotone (igraph) and with networkx
(the same definitions: the tests hold them equal to 1e-9), each in a fresh process, and prints the ratio
(target ≥ 20×). networkx's betweenness uses 256 pivots (``k=256``, no guarantee: Ecotone's sample is larger), its closeness and harmonic
centrality a breadth-first search from 256 pivots. networkx's Burt measures take minutes per thousand actors, so
they are timed on a random sample of actors and scaled to the whole graph (marked "scaled"); the ratio is printed
with and without them. Communities: networkx has no Leiden of its own, so its Louvain stands in. Brokerage: no
Python package has it; a plain-Python enumeration of two-paths on a sample of brokers, scaled by the two-paths of
the whole graph, is the baseline.

    python benchmarks/bench_network.py             # 100k/1M three times, then 20k/200k against networkx
    python benchmarks/bench_network.py --quick     # 10k/100k once, 5k/50k against networkx
    python benchmarks/bench_network.py --atlas-dir /tmp/atlases   # keep the generated atlases between runs
    python benchmarks/bench_network.py --part snapshot --part betweenness   # parts 3 and 4 only

Part 3 times the snapshot of the 20k-organisation atlas built from the database (cold) against read back from
the snapshot cache (the atlas unchanged), each in a fresh process, and the start of an analysis: a new Python
process that imports the command line, opens the atlas and has its snapshot (what ``ecotone analyze …`` does
before analysing). Target: a cached start under 2 s.

Part 4 checks the betweenness guarantee on the same graph: the estimate (random shortest paths, ε and δ as
NetworkMetrics's defaults, the giant component sampled) against igraph's exact betweenness (Brandes, every
source), computed once: the largest error, the share of intervals covering the exact value (target ≥ 1 − δ), the
median relative error of the top 100, the same for the 256-pivot estimate the metrics used before, and the
ratio of the exact time to the sampled one.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _measure import measure, peak_mb

PARTS = ("full", "networkx", "snapshot", "betweenness")

PIVOTS = 256


def build_atlas(path: Path, orgs: int, ties: int, hubs: int, seed: int) -> None:
    from ecotone.services.generate import Generator
    from ecotone.store import Atlas

    if path.exists():
        return
    with Atlas.open(str(path)) as atlas:
        Generator(orgs=orgs, hubs=hubs, ties=ties, seed=seed).run(atlas)


def full_analysis(db: str) -> dict:
    """Everything of the issue's items 3–5 and 7, stage by stage."""
    from ecotone.analysis import Snapshot
    from ecotone.analysis.brokerage import Brokerage, hub_bridges
    from ecotone.analysis.communities import Communities
    from ecotone.analysis.gaps import Gaps
    from ecotone.analysis.metrics import NetworkMetrics
    from ecotone.store import Atlas

    stages = {}
    start = time.perf_counter()
    with Atlas.open(db) as atlas:
        snap = Snapshot.from_atlas(atlas)
    stages["snapshot"] = time.perf_counter() - start
    t = time.perf_counter()
    metrics = NetworkMetrics(pivots=PIVOTS).run(snap)
    stages["metrics"] = time.perf_counter() - t
    t = time.perf_counter()
    Brokerage(groups="hub").run(snap)
    hub_bridges(snap)
    stages["brokerage + bridges"] = time.perf_counter() - t
    t = time.perf_counter()
    Communities().run(snap)
    stages["communities"] = time.perf_counter() - t
    t = time.perf_counter()
    Gaps().run(snap)
    stages["gaps"] = time.perf_counter() - t
    stages["total"] = time.perf_counter() - start
    return {"stages": stages, "mb": peak_mb(), "actors": len(snap), "ties": len(snap.ties),
            "error": metrics.graph_.betweenness_relative_error}


def _snapshot(db: str):
    from ecotone.analysis import Snapshot
    from ecotone.store import Atlas

    with Atlas.open(db) as atlas:
        return Snapshot.from_atlas(atlas)


#: The steps of NetworkMetrics.run, in order, and the networkx steps that compute the same figures.
GROUPS = {
    "degree, strength, in/out": ["degree, strength, in/out"],
    "betweenness, closeness, harmonic": [f"betweenness (k={PIVOTS})", f"closeness + harmonic ({PIVOTS} BFS)"],
    "eigenvector, pagerank": ["eigenvector", "pagerank"],
    "k-core, clustering": ["k-core", "clustering"],
    "constraint, effective size": ["constraint (scaled)", "effective size (scaled)"],
}


def ours_metrics(db: str, exact_limit: int) -> dict:
    from ecotone.analysis.brokerage import Brokerage
    from ecotone.analysis.communities import Communities
    from ecotone.analysis.metrics import NetworkMetrics

    snap = _snapshot(db)
    marks = [time.perf_counter()]
    NetworkMetrics(pivots=PIVOTS, exact_limit=exact_limit).run(
        snap, lambda task, done, total: marks.append(time.perf_counter()))
    steps = [b - a for a, b in zip(marks, marks[1:])]
    times = dict(zip(GROUPS, steps))
    times["graph figures"] = steps[len(GROUPS)]
    t = time.perf_counter()
    Communities().run(snap)
    times["communities"] = time.perf_counter() - t
    t = time.perf_counter()
    Brokerage(groups="hub").run(snap)
    times["brokerage"] = time.perf_counter() - t
    return {"times": times, "mb": peak_mb()}


def networkx_metrics(db: str, sample: int) -> dict:
    """The same figures through networkx (Burt's measures on a sample, scaled)."""
    import networkx as nx

    snap = _snapshot(db)
    g = snap.to_networkx()
    d = snap.to_networkx(directed=True)
    n = g.number_of_nodes()
    rng = random.Random(1)
    times: dict[str, float] = {}

    def timed(name, fn):
        t = time.perf_counter()
        fn()
        times[name] = time.perf_counter() - t

    timed("degree, strength, in/out", lambda: (dict(g.degree()), dict(g.degree(weight="weight")),
                                               dict(d.in_degree()), dict(d.out_degree())))
    timed("pagerank", lambda: nx.pagerank(d, weight="weight"))
    giant = g.subgraph(max(nx.connected_components(g), key=len))
    timed("eigenvector", lambda: nx.eigenvector_centrality_numpy(giant))
    timed("k-core", lambda: nx.core_number(g))
    timed("clustering", lambda: nx.clustering(g))
    timed(f"betweenness (k={PIVOTS})", lambda: nx.betweenness_centrality(g, k=PIVOTS, seed=1))
    pivots = rng.sample(list(giant), PIVOTS)
    timed(f"closeness + harmonic ({PIVOTS} BFS)", lambda: [nx.single_source_shortest_path_length(g, p)
                                                          for p in pivots])
    nodes = rng.sample(list(g), sample)
    t = time.perf_counter()
    nx.constraint(g, nodes=nodes, weight="weight")
    times["constraint (scaled)"] = (time.perf_counter() - t) * n / sample
    few = nodes[: max(2, sample // 4)]
    t = time.perf_counter()
    nx.effective_size(g, nodes=few)
    times["effective size (scaled)"] = (time.perf_counter() - t) * n / len(few)
    t = time.perf_counter()
    nx.community.louvain_communities(g, weight="weight", seed=1)
    louvain = time.perf_counter() - t
    return {"times": times, "louvain": louvain, "mb": peak_mb()}


def naive_brokerage(db: str, sample: int) -> dict:
    """Plain-Python two-path enumeration on a sample of brokers, scaled by the whole graph's two-paths."""
    snap = _snapshot(db)
    arcs = snap.digraph.get_edgelist()
    out: dict[int, set[int]] = {}
    inn: dict[int, set[int]] = {}
    for a, c in arcs:
        out.setdefault(a, set()).add(c)
        inn.setdefault(c, set()).add(a)
    groups = snap.groups("hub")
    total_paths = sum(len(inn.get(v, ())) * len(out.get(v, ())) for v in range(len(snap)))
    brokers = random.Random(2).sample(range(len(snap)), sample)
    done = 0
    t = time.perf_counter()
    for v in brokers:
        counts = [0] * 5
        for a in inn.get(v, ()):
            for c in out.get(v, ()):
                done += 1
                if a != c and c not in out.get(a, ()):
                    ga, gv, gc = groups[a], groups[v], groups[c]
                    counts[0 if ga == gv == gc else 1 if ga == gc != gv else 2 if ga == gv != gc
                           else 3 if gv == gc != ga else 4] += 1
    seconds = time.perf_counter() - t
    return {"seconds": seconds * total_paths / max(done, 1), "paths": total_paths}


def snapshot_cold(db: str) -> dict:
    """The snapshot built from the database."""
    from ecotone.analysis import Snapshot
    from ecotone.store import Atlas

    with Atlas.open(db) as atlas:
        t = time.perf_counter()
        snap = Snapshot.from_atlas(atlas)
        return {"seconds": time.perf_counter() - t, "mb": peak_mb(), "actors": len(snap)}


def snapshot_cached(db: str) -> dict:
    """The snapshot read back from the cache (kept by an earlier call on the unchanged atlas)."""
    from ecotone.analysis.snapshot import SnapshotCache
    from ecotone.store import Atlas

    with Atlas.open(db) as atlas:
        cache = SnapshotCache.of(atlas)
        t = time.perf_counter()
        snap = cache.get(atlas)
        return {"seconds": time.perf_counter() - t, "mb": peak_mb(), "hit": cache.hits == 1, "actors": len(snap)}


_START = """
import time; t = time.perf_counter()
import ecotone.cli
from ecotone.services import analysis
from ecotone.store import Atlas
imported = time.perf_counter() - t
with Atlas.open({db!r}) as atlas:
    snap = analysis.snapshot(atlas)
print(imported, time.perf_counter() - t - imported)
"""


def analysis_start(db: str) -> tuple[float, float, float]:
    """Seconds from launching a Python process to its having the atlas's snapshot, as ``ecotone analyze`` does;
    and, inside it, the imports and the opening of the atlas with its snapshot."""
    import subprocess

    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _START.format(db=db)], check=True, capture_output=True, text=True)
    imported, snapshot = map(float, out.stdout.split())
    return time.perf_counter() - t, imported, snapshot


def clear_cache(db: str) -> None:
    import shutil

    shutil.rmtree(f"{db}.snapshots", ignore_errors=True)


def betweenness_exact(db: str) -> dict:
    """igraph's exact betweenness (every source), normalised as networkx does."""
    snap = _snapshot(db)
    n = len(snap)
    t = time.perf_counter()
    raw = snap.graph.betweenness(directed=False)
    seconds = time.perf_counter() - t
    return {"values": [b * 2 / ((n - 1) * (n - 2)) for b in raw], "seconds": seconds, "mb": peak_mb()}


def betweenness_sampled(db: str, seed: int) -> dict:
    """NetworkMetrics's estimate with its interval, the giant component sampled; and the 256-pivot estimate
    (Brandes & Pich) the metrics used before, for comparison."""
    import numpy as np

    from ecotone.analysis.metrics import _ShortestPaths

    snap = _snapshot(db)
    g = snap.graph
    comps = g.connected_components()
    membership = np.asarray(comps.membership)
    sizes = np.bincount(membership)
    t = time.perf_counter()
    paths = _ShortestPaths(g, membership, sizes, 5_000, PIVOTS, seed).run()
    seconds = time.perf_counter() - t
    n = g.vcount()
    giant = np.flatnonzero(membership == np.argmax(sizes))
    pivots = np.random.default_rng(seed).choice(giant, size=PIVOTS, replace=False).tolist()
    t = time.perf_counter()
    old = np.asarray(g.betweenness(directed=False, sources=pivots)) * len(giant) / PIVOTS * 2 / ((n - 1) * (n - 2))
    old_seconds = time.perf_counter() - t
    return {"values": paths.betweenness.tolist(), "low": paths.betweenness_low.tolist(),
            "high": paths.betweenness_high.tolist(), "seconds": seconds, "samples": paths.samples,
            "epsilon": paths.epsilon, "delta": paths.delta, "vd": paths.vertex_diameter, "old": old.tolist(),
            "old_seconds": old_seconds, "mb": peak_mb()}


def report_snapshot(db: Path, repeats: int) -> None:
    cold = [measure(snapshot_cold, str(db)) for _ in range(repeats)]
    clear_cache(str(db))
    measure(snapshot_cached, str(db))  # keeps it
    cached = [measure(snapshot_cached, str(db)) for _ in range(repeats)]
    assert all(c["hit"] for c in cached), "the snapshot cache missed on an unchanged atlas"
    clear_cache(str(db))
    start_cold = []
    for _ in range(repeats):
        clear_cache(str(db))
        start_cold.append(analysis_start(str(db)))
    start_cached = [analysis_start(str(db)) for _ in range(repeats)]
    clear_cache(str(db))
    med = statistics.median
    print(f"\n## Snapshot of {cold[0]['actors']:,} organisations: built against cached (medians of {repeats})\n")
    print("| | built s | cached s | ratio |\n|---|---|---|---|")
    print(f"| snapshot | {med(r['seconds'] for r in cold):.2f} | {med(r['seconds'] for r in cached):.2f} | "
          f"{med(r['seconds'] for r in cold) / med(r['seconds'] for r in cached):,.1f}× |")
    for i, label in enumerate(("analysis start (new process to snapshot)", "  of which imports",
                               "  of which opening the atlas and its snapshot")):
        cold_s, cached_s = med(r[i] for r in start_cold), med(r[i] for r in start_cached)
        print(f"| {label} | {cold_s:.2f} | {cached_s:.2f} | {cold_s / cached_s:,.1f}× |")
    start = med(r[0] for r in start_cached)
    verdict = "met" if start < 2 else f"missed by {start - 2:.2f} s"
    print(f"\ncached start target < 2 s: {verdict}; peak memory: built {max(r['mb'] for r in cold):,.0f} MB, "
          f"cached {max(r['mb'] for r in cached):,.0f} MB")


def report_betweenness(db: Path, repeats: int) -> None:
    import numpy as np

    exact = measure(betweenness_exact, str(db))
    runs = [measure(betweenness_sampled, str(db), seed) for seed in range(repeats)]
    e = np.asarray(exact["values"])
    top = np.argsort(-e)[:100]
    rows = []
    for r in runs:
        b, low, high, old = (np.asarray(r[k]) for k in ("values", "low", "high", "old"))
        rows.append({"max": np.abs(b - e).max(), "cover": np.mean((low - 1e-12 <= e) & (e <= high + 1e-12)),
                     "all": bool(((low - 1e-12 <= e) & (e <= high + 1e-12)).all()),
                     "top": np.median(np.abs(b[top] - e[top]) / e[top]),
                     "old_top": np.median(np.abs(old[top] - e[top]) / e[top])})
    med = statistics.median
    first = runs[0]
    print(f"\n## Betweenness with a guarantee on {len(e):,} organisations (medians of {repeats} seed(s))\n")
    print(f"ε = {first['epsilon']}, δ = {first['delta']}: {first['samples']:,} random shortest paths (vertex "
          f"diameter ≤ {first['vd']})\n")
    print("| | exact (igraph, every source) | sampled | ratio |\n|---|---|---|---|")
    print(f"| seconds | {exact['seconds']:.2f} | {med(r['seconds'] for r in runs):.2f} | "
          f"{exact['seconds'] / med(r['seconds'] for r in runs):,.1f}× |")
    print(f"\n- largest error: {med(r['max'] for r in rows):.5f} (stated bound {first['epsilon']})")
    cover = min(r["cover"] for r in rows)
    print(f"- intervals covering the exact value: {cover:.2%} of actors in the worst run, all of them in "
          f"{sum(r['all'] for r in rows)} of {len(rows)} runs (target ≥ {1 - first['delta']:.0%}: "
          f"{'met' if cover >= 1 - first['delta'] else 'missed'})")
    print(f"- median relative error of the top 100: {med(r['top'] for r in rows):.1%} "
          f"(the {PIVOTS}-pivot estimate used before: {med(r['old_top'] for r in rows):.1%}, "
          f"{med(r['old_seconds'] for r in runs):.2f} s)")
    print(f"- peak memory: exact {exact['mb']:,.0f} MB, sampled {max(r['mb'] for r in runs):,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller atlases, one run")
    parser.add_argument("--repeats", type=int, default=None, help="runs of each measurement (default 3, quick 1)")
    parser.add_argument("--atlas-dir", type=Path, default=None, help="keep the generated atlases here")
    parser.add_argument("--part", action="append", choices=PARTS, help="run only these parts (repeatable)")
    args = parser.parse_args()
    parts = set(args.part or PARTS)
    repeats = args.repeats or (1 if args.quick else 3)
    big = (10_000, 100_000, 10) if args.quick else (100_000, 1_000_000, 50)
    mid = (5_000, 50_000, 5) if args.quick else (20_000, 200_000, 20)
    sample = 40 if args.quick else 100

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.atlas_dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        big_db = folder / f"network-{big[0]}.db"
        mid_db = folder / f"network-{mid[0]}.db"
        print(f"generating atlases in {folder} (not timed)…", file=sys.stderr)
        if "full" in parts:
            measure(build_atlas, big_db, big[0], big[1], big[2], 1)
        measure(build_atlas, mid_db, mid[0], mid[1], mid[2], 2)
        if "full" in parts:
            full_part(big_db, repeats)
        if "networkx" in parts:
            networkx_part(mid, mid_db, repeats, sample, args.quick)
        if "snapshot" in parts:
            report_snapshot(mid_db, repeats)
        if "betweenness" in parts:
            report_betweenness(mid_db, repeats)


def full_part(big_db: Path, repeats: int) -> None:
    runs = []
    for i in range(repeats):
        runs.append(measure(full_analysis, str(big_db)))
        print(f"  full analysis: run {i + 1} done ({runs[-1]['stages']['total']:.1f} s)", file=sys.stderr)
    first = runs[0]
    print(f"\n## Full analysis of {first['actors']:,} organisations / {first['ties']:,} ties "
          f"(medians of {repeats} run(s))\n")
    print("| stage | median s |\n|---|---|")
    for stage in first["stages"]:
        print(f"| {stage} | {statistics.median(r['stages'][stage] for r in runs):.2f} |")
    print(f"\npeak memory: {max(r['mb'] for r in runs):,.0f} MB; betweenness from random shortest paths, "
          f"median guaranteed relative error (ε / estimate) of the top 100: {first['error']:.1%}")


def networkx_part(mid: tuple, mid_db: Path, repeats: int, sample: int, quick: bool) -> None:
    ours, theirs, naive = [], [], []
    for i in range(repeats):
        # The giant component is estimated: networkx's betweenness from 256 pivots (no guarantee), Ecotone's
        # from the random shortest paths its guarantee asks (more work); closeness from 256 pivots in both.
        ours.append(measure(ours_metrics, str(mid_db), 1_000 if quick else 5_000))
        theirs.append(measure(networkx_metrics, str(mid_db), sample))
        naive.append(measure(naive_brokerage, str(mid_db), sample * 5))
        print(f"  networkx comparison: run {i + 1} done", file=sys.stderr)
    med = lambda rows, key: statistics.median(r["times"][key] for r in rows)  # noqa: E731
    nx_times = {k: statistics.median(r["times"][k] for r in theirs) for k in theirs[0]["times"]}
    print(f"\n## The same metrics on {mid[0]:,} organisations / {mid[1]:,} ties: Ecotone against networkx "
          f"(medians of {repeats} run(s))\n")
    print("| metrics | Ecotone s | networkx s | ratio |\n|---|---|---|---|")
    total_ours = total_nx = exact_ours = exact_nx = 0.0
    for group, steps in GROUPS.items():
        a, b = med(ours, group), sum(nx_times[k] for k in steps)
        scaled = any("scaled" in k for k in steps)
        print(f"| {group}{f' (networkx scaled from a sample of {sample})' if scaled else ''} | {a:.2f} | "
              f"{b:.2f} | {b / a:,.0f}× |")
        total_ours, total_nx = total_ours + a, total_nx + b
        if not scaled:
            exact_ours, exact_nx = exact_ours + a, exact_nx + b
    print(f"| **all of the above** | {total_ours:.2f} | {total_nx:.1f} | **{total_nx / total_ours:,.0f}×** |")
    print(f"| all but Burt's measures (networkx timed in full) | {exact_ours:.2f} | {exact_nx:.1f} | "
          f"{exact_nx / exact_ours:,.0f}× |")
    louvain = statistics.median(r["louvain"] for r in theirs)
    print(f"| communities: Leiden vs networkx Louvain | {med(ours, 'communities'):.2f} | {louvain:.2f} | "
          f"{louvain / med(ours, 'communities'):,.1f}× |")
    naive_s = statistics.median(r["seconds"] for r in naive)
    print(f"| brokerage by hub vs plain-Python two-paths (scaled from {sample * 5} brokers, "
          f"{naive[0]['paths']:,} two-paths) | {med(ours, 'brokerage'):.2f} | {naive_s:.1f} | "
          f"{naive_s / med(ours, 'brokerage'):,.0f}× |")
    print(f"\npeak memory: Ecotone {max(r['mb'] for r in ours):,.0f} MB, networkx "
          f"{max(r['mb'] for r in theirs):,.0f} MB")


if __name__ == "__main__":
    main()

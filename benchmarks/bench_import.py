"""Import speed: Ecotone's CORDIS import and synthetic generation against plain ``sqlite3.executemany``.

Each measurement runs in a fresh process (so its peak memory is its own) and is repeated; medians are printed.
The peer writes exactly the rows Ecotone wrote, into the same schema (same indexes and constraints), with the
standard library's ``sqlite3.executemany`` in one transaction — the floor for getting those rows into SQLite.
Ecotone's time includes reading and validating the files and matching every record against the atlas.

    python benchmarks/bench_import.py            # CORDIS H2020 health + 100k organisations / 1M ties, 3 runs each
    python benchmarks/bench_import.py --quick    # 1 run, 10k organisations / 100k ties
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _measure import measure, peak_mb

REPO = Path(__file__).resolve().parent.parent
CORDIS = REPO / "data" / "cordis" / "h2020-health"
TABLES = ["hubs", "organizations", "people", "programs", "participations", "innovations", "stage_events", "deals",
          "ties", "clinical_needs"]


def _rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return sum(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES)


def run_cordis(db: str) -> tuple[float, int, float]:
    from ecotone.services.imports import import_files
    from ecotone.store import Atlas

    with Atlas.open(db) as atlas:
        start = time.perf_counter()
        import_files(atlas, "cordis", [CORDIS])
        seconds = time.perf_counter() - start
    return seconds, _rows(Path(db)), peak_mb()


def run_cordis_again(db: str) -> tuple[float, int, float]:
    """Re-importing the same file: everything is matched, nothing written."""
    from ecotone.services.imports import import_files
    from ecotone.store import Atlas

    with Atlas.open(db) as atlas:
        import_files(atlas, "cordis", [CORDIS])
        start = time.perf_counter()
        report = import_files(atlas, "cordis", [CORDIS])
        seconds = time.perf_counter() - start
        assert not report.changed
    return seconds, sum(report.unchanged.values()), peak_mb()


def run_generate(db: str, orgs: int, ties: int) -> tuple[float, int, float]:
    from ecotone.services.generate import Generator
    from ecotone.store import Atlas

    with Atlas.open(db) as atlas:
        start = time.perf_counter()
        Generator(orgs=orgs, hubs=max(1, orgs // 2000), ties=ties, seed=1).run(atlas)
        seconds = time.perf_counter() - start
    return seconds, _rows(Path(db)), peak_mb()


def run_executemany(source_db: str, db: str) -> tuple[float, int, float]:
    """Copy every row of ``source_db`` into an empty atlas schema with plain sqlite3.executemany (timed)."""
    from ecotone.store import Atlas

    Atlas.open(db).close()  # the same schema, indexes and constraints, empty
    with sqlite3.connect(source_db) as src:
        data = {t: src.execute(f"SELECT * FROM {t}").fetchall() for t in TABLES}
        columns = {t: [c[1] for c in src.execute(f"PRAGMA table_info({t})")] for t in TABLES}
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    start = time.perf_counter()
    with conn:
        for t in TABLES:
            if data[t]:
                marks = ", ".join("?" * len(columns[t]))
                conn.executemany(f"INSERT INTO {t} ({', '.join(columns[t])}) VALUES ({marks})", data[t])
    seconds = time.perf_counter() - start
    conn.close()
    return seconds, sum(len(v) for v in data.values()), peak_mb()


def scenario(name: str, repeats: int, ours, peer) -> list[str]:
    """Run Ecotone and its peer ``repeats`` times each, alternating; return the printed rows."""
    ours_s, peer_s, ours_mb, peer_mb = [], [], [], []
    rows = 0
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            ecotone_db = str(Path(tmp) / "ecotone.db")
            s, rows, mb = measure(*ours(ecotone_db))
            ours_s.append(s)
            ours_mb.append(mb)
            if peer is not None:
                s, peer_rows, mb = measure(run_executemany, ecotone_db, str(Path(tmp) / "peer.db"))
                assert peer_rows == rows, (peer_rows, rows)
                peer_s.append(s)
                peer_mb.append(mb)
        print(f"  {name}: run {len(ours_s)} done", file=sys.stderr)
    out = [f"| {name} (Ecotone) | {rows:,} | {statistics.median(ours_s):.2f} | "
           f"{rows / statistics.median(ours_s):,.0f} | {max(ours_mb):,.0f} | "
           + (f"{statistics.median(ours_s) / statistics.median(peer_s):.2f}× |" if peer_s else "– |")]
    if peer_s:
        out.append(f"| {name} (sqlite3.executemany, same rows) | {rows:,} | {statistics.median(peer_s):.2f} | "
                   f"{rows / statistics.median(peer_s):,.0f} | {max(peer_mb):,.0f} | 1.00× |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one run, a 10k-organisation atlas")
    parser.add_argument("--repeats", type=int, default=None, help="runs per measurement (default 3, quick 1)")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    orgs, ties = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    lines = ["| scenario | rows | median s | rows/s | peak MB | time vs executemany |", "|---|---|---|---|---|---|"]
    lines += scenario("CORDIS H2020 health import", repeats, lambda db: (run_cordis, db), True)
    lines += scenario("CORDIS re-import (all unchanged)", repeats, lambda db: (run_cordis_again, db), None)
    lines += scenario(f"generate {orgs:,} orgs / {ties:,} ties", repeats,
                      lambda db: (run_generate, db, orgs, ties), True)
    print(f"\nmedians of {repeats} run(s); peak MB = the process's maximum resident set\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

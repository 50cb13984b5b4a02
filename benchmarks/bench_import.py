"""Import speed: Ecotone's CORDIS import and synthetic generation against plain ``sqlite3.executemany``.

Each measurement runs in a fresh process (so its peak memory is its own) and is repeated; medians are printed.
The peer writes exactly the rows Ecotone wrote — the records and their audit entries — into the same schema (same
indexes, constraints and triggers), with the standard library's ``sqlite3.executemany`` in one transaction — the floor for getting those rows into SQLite.
Ecotone's time includes reading and validating the files and matching every record against the atlas.

The repository's H2020 health extract is small (3,995 organisations, 84,857 ties), so the script also builds a
larger input of the same shape: the extract's two files written ``--scale`` times (default 9), each copy with
fresh project ids and PICs (organisation names get the copy's number, so no two copies are one group). That is
35,955 organisations and 763,713 ties, the size of the full CORDIS H2020 network (35,691 / 795,870), read,
checked, matched and written through the same ``ecotone import cordis`` path.

    python benchmarks/bench_import.py            # H2020 health, ×9 of it, 100k organisations / 1M ties, 3 runs each
    python benchmarks/bench_import.py --quick    # 1 run; ×9 still, 10k organisations / 100k ties
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _measure import measure, peak_mb

REPO = Path(__file__).resolve().parent.parent
CORDIS = REPO / "data" / "cordis" / "h2020-health"
#: What an import writes: the records, and the audit trail's entry of each (``changes``), which the peer writes too
TABLES = ["hubs", "organizations", "people", "programs", "participations", "innovations", "stage_events", "deals",
          "ties", "clinical_needs", "changes"]


def _rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return sum(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES)


def scaled_cordis(folder: Path, scale: int) -> Path:
    """The H2020 extract written ``scale`` times into ``folder``, each copy with its own project ids and PICs (and
    names marked with the copy's number), in CORDIS's own format: a real-shaped input ``scale`` times as large."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, keys in (("project.csv", ("id",)), ("organization.csv", ("projectID", "organisationID"))):
        with open(CORDIS / name, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter=";")
            rows, header = list(reader), reader.fieldnames
        with open(folder / name, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, header, delimiter=";", quoting=csv.QUOTE_ALL)
            writer.writeheader()
            for copy in range(scale):
                for row in rows:
                    out = {**row, **{k: str(int(row[k]) + copy * 10**9) if copy else row[k] for k in keys}}
                    if copy and out.get("name"):
                        out["name"] = f"{out['name']} {copy}"
                    writer.writerow(out)
    return folder


def run_cordis(db: str, folder: Path = CORDIS) -> tuple[float, int, float]:
    from ecotone.services.imports import import_files
    from ecotone.store import Atlas

    with Atlas.open(db) as atlas:
        start = time.perf_counter()
        import_files(atlas, "cordis", [folder])
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


#: scenario → (time ratio to the peer, Ecotone's peak MB), for the verdicts under the table
FIGURES: dict[str, tuple[float | None, float]] = {}


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
    FIGURES[name] = (statistics.median(ours_s) / statistics.median(peer_s) if peer_s else None, max(ours_mb))
    if peer_s:
        out.append(f"| {name} (sqlite3.executemany, same rows) | {rows:,} | {statistics.median(peer_s):.2f} | "
                   f"{rows / statistics.median(peer_s):,.0f} | {max(peer_mb):,.0f} | 1.00× |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one run, a 10k-organisation atlas")
    parser.add_argument("--repeats", type=int, default=None, help="runs per measurement (default 3, quick 1)")
    parser.add_argument("--scale", type=int, default=9, help="copies of the H2020 extract in the larger input")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    orgs, ties = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    lines = ["| scenario | rows | median s | rows/s | peak MB | time vs executemany |", "|---|---|---|---|---|---|"]
    lines += scenario("CORDIS H2020 health import", repeats, lambda db: (run_cordis, db), True)
    lines += scenario("CORDIS re-import (all unchanged)", repeats, lambda db: (run_cordis_again, db), None)
    with tempfile.TemporaryDirectory() as tmp:
        scaled = scaled_cordis(Path(tmp) / "cordis", args.scale)
        orgs_n = len({r.split(";")[1] for r in (scaled / "organization.csv").read_text(encoding="utf-8")
                      .splitlines()[1:]})
        lines += scenario(f"CORDIS H2020 health ×{args.scale} ({orgs_n:,} organisations, fresh ids)", repeats,
                          lambda db: (run_cordis, db, scaled), True)
    lines += scenario(f"generate {orgs:,} orgs / {ties:,} ties", repeats,
                      lambda db: (run_generate, db, orgs, ties), True)
    print(f"\nmedians of {repeats} run(s); peak MB = the process's maximum resident set; targets: CORDIS imports "
          "within 2× of executemany, under 1,000 MB\n")
    print("\n".join(lines))
    print()
    for name, (ratio, mb) in FIGURES.items():
        if not name.startswith("CORDIS") or ratio is None:
            continue
        speed = "met" if ratio <= 2 else f"missed by {ratio / 2:.2f}×"
        memory = "met" if mb < 1000 else f"missed by {mb - 1000:,.0f} MB ({mb / 1000:.2f}×)"
        print(f"{name}: within 2× of executemany: {speed} ({ratio:.2f}×); under 1,000 MB: {memory} ({mb:,.0f} MB)")


if __name__ == "__main__":
    main()

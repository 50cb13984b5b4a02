"""Keeping the registry: Ecotone's checked, audited writes, duplicate checks, registry checks and import undo, each
against a peer measured in the same run.

On a synthetic atlas of 100,000 organisations / 1,000,000 ties in SQLite (``Generator(seed=1)``, 50 hubs):

1. **One record changed** — ``registry.update(atlas, Organization, id, {"city": …})`` (validates, checks rights,
   compare-and-set on the version, writes only the changed field, records provenance and an audit entry, in one
   transaction), median ms per update over 500 updates of distinct random organisations, and the same with
   ``expected_version`` (an If-Match; the version the client read, untimed) — against the bare
   ``UPDATE organizations SET city=? WHERE id=?`` + commit with the standard library's ``sqlite3`` on a copy of the
   same file, with the same pragmas as the Atlas (WAL, ``synchronous=NORMAL``, foreign keys on): the floor for a
   durable one-row write. 20 untimed updates warm each side up first.
2. **A duplicate refused on creation** — ``dedupe.check_new_organization`` of 200 new organisations, each an
   existing one's name with a legal suffix added (``X S.L.``, ``X GmbH``, ``X Ltd``, ``X Sp. z o.o.``) in its hub,
   median ms — against an exact ``SELECT id FROM organizations WHERE lower(name)=lower(?) AND hub_id=?`` with
   ``sqlite3`` on the same names (which catches only exact repeats: the table says how many each caught).
3. **Likely duplicates across the atlas** — ``dedupe.find_duplicates`` on a separate 10,000-organisation atlas
   against rapidfuzz's brute-force all-pairs ``process.cdist(names, names, scorer=fuzz.token_sort_ratio,
   score_cutoff=90, workers=1)`` on the same names (the peer: comparing every pair; only the ``cdist`` call is
   timed), and ``find_duplicates`` alone on the whole atlas. The generator's names are all distinct ("VitaLabs 7"),
   so 1% more organisations are planted in each atlas first as near-duplicates of random ones (a legal suffix, upper
   case, two letters swapped, ``GmbH``): the table says how many planted pairs each method finds, and how many
   pairs it proposes in all.
4. **The registry's checks** — ``check.check_atlas`` on the whole atlas, against plain SQL with ``sqlite3`` computing
   the same counts: organisations without a hub; without type evidence (typed 'other'; no source and no external
   id; an SME of size large); references to records that do not exist (every reference field and owner); people with
   an e-mail and consent = 0; innovations whose organisation does not exist; innovations without stage events. Stage
   mismatches (an innovation's stage against its latest stage event's, as of today) are left out of the peer and of
   the comparison. The generated atlas holds none of most of these, so each check's copy is first spoiled with plain
   SQL (foreign keys off): 1% of organisations lose their hub, 1% of ties point at an organisation that does not
   exist, 2% of innovations lose their organisation, and 1% as many people as organisations are added with an
   e-mail, half without consent. The two sides' counts are compared, kind by kind, and must agree.
5. **Undo of an import** — ``imports.import_files(atlas, "cordis", [data/cordis/h2020-health])`` into a fresh atlas,
   then ``atlas.undo(report.change_set)`` in another fresh process; the peer is the import itself (its time and
   the undo's, and their ratio). The atlas must hold no organisation afterwards.

Every measurement runs in a fresh process (``_measure.measure``: its peak memory its own) on a fresh copy of the
atlas, and is repeated; the medians of the runs are printed (for per-operation figures, the median of each run's
median). The atlases are generated once per run of this script, untimed. The full run takes about 11 minutes on a
2-core machine, most of it the undo.

    .venv/bin/python benchmarks/bench_registry.py            # 100k organisations / 1M ties; 10k for all-pairs; 3 runs
    .venv/bin/python benchmarks/bench_registry.py --quick    # 10k organisations / 100k ties (all-pairs too); 1 run
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _measure import measure, peak_mb  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CORDIS = REPO / "data" / "cordis" / "h2020-health"
UPDATES = 500
WARMUP = 20
REFUSALS = 200
SUFFIXES = (" S.L.", " GmbH", " Ltd", " Sp. z o.o.")
PAIRS_ORGS = 10_000


def _connect(db: str) -> sqlite3.Connection:
    """A plain sqlite3 connection with the Atlas's own pragmas."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


# -- the atlases -------------------------------------------------------------------------------------------------
def build(db: str, orgs: int, ties: int) -> tuple[float, float]:
    """Generate the synthetic atlas (untimed in the table) and fold its WAL into the file, so it can be copied."""
    from ecotone.services.generate import Generator
    from ecotone.store import Atlas

    start = time.perf_counter()
    with Atlas.open(db) as atlas:
        Generator(orgs=orgs, hubs=max(1, orgs // 2000), ties=ties, seed=1).run(atlas)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - start, peak_mb()


def copy(src: str, dst: str) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(dst + suffix).unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    return dst


def _org_ids(db: str) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM organizations ORDER BY id")]


def plant_duplicates(db: str, share: float, seed: int) -> list[tuple[int, int]]:
    """Add ``share`` as many organisations as the atlas holds, each a near-duplicate of a random one (same hub and
    fields, the name varied); returns the (original, copy) pairs."""
    rng = random.Random(seed)
    conn = sqlite3.connect(db)
    columns = [c[1] for c in conn.execute("PRAGMA table_info(organizations)") if c[1] not in ("id", "name")]
    ids = _org_ids(db)
    pairs = []
    with conn:
        for k, original in enumerate(rng.sample(ids, max(1, int(len(ids) * share)))):
            (name,) = conn.execute("SELECT name FROM organizations WHERE id=?", (original,)).fetchone()
            if k % 4 == 0:
                varied = name + " S.L."
            elif k % 4 == 1:
                varied = name.upper()
            elif k % 4 == 2:  # a typo: two letters of the first word swapped
                i = rng.randrange(1, max(2, name.find(" ") - 1))
                varied = name[:i] + name[i + 1] + name[i] + name[i + 2:]
            else:
                varied = name + " GmbH"
            cur = conn.execute(f"INSERT INTO organizations (name, {', '.join(columns)}) "
                               f"SELECT ?, {', '.join(columns)} FROM organizations WHERE id=?", (varied, original))
            pairs.append((original, cur.lastrowid))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return pairs


def spoil(db: str, share: float, seed: int) -> None:
    """Give the atlas what the registry's checks look for, with plain SQL behind the store's back."""
    rng = random.Random(seed)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys=OFF")
    ids = _org_ids(db)
    beyond = max(ids) + 1_000_000
    with conn:
        homeless = rng.sample(ids, int(len(ids) * share))
        conn.executemany("UPDATE organizations SET hub_id=NULL WHERE id=?", [(i,) for i in homeless])
        tie_ids = [r[0] for r in conn.execute("SELECT id FROM ties")]
        conn.executemany("UPDATE ties SET target_id=? WHERE id=?",
                         [(beyond + k, t) for k, t in enumerate(rng.sample(tie_ids, int(len(tie_ids) * share)))])
        inn_ids = [r[0] for r in conn.execute("SELECT id FROM innovations")]
        conn.executemany("UPDATE innovations SET organization_id=? WHERE id=?",
                         [(beyond + k, i) for k, i in enumerate(rng.sample(inn_ids, int(len(inn_ids) * 2 * share)))])
        people = [("public", "synthetic", "{}", 1, "{}", f"Person {k}", rng.choice(ids), "[]", f"p{k}@example.org",
                   k % 2) for k in range(int(len(ids) * share))]
        conn.executemany("INSERT INTO people (visibility, source, external_ids, version, provenance, name, "
                         "organization_id, expertise, email, consent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", people)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


# -- 1. one record changed -----------------------------------------------------------------------------------------
def _update_ids(db: str, seed: int) -> tuple[list[int], list[int]]:
    picked = random.Random(seed).sample(_org_ids(db), UPDATES + WARMUP)
    return picked[WARMUP:], picked[:WARMUP]


def ecotone_updates(db: str, seed: int, if_match: bool) -> tuple[float, int, float]:
    from ecotone.domain import Organization
    from ecotone.services.registry import update
    from ecotone.store import Atlas

    ids, warm = _update_ids(db, seed)
    with Atlas.open(db) as atlas:
        for k, i in enumerate(warm):
            update(atlas, Organization, i, {"city": f"Warmup {k}"})
        with sqlite3.connect(db) as conn:  # what each client read with its GET (the ETag), untimed
            versions = dict(conn.execute("SELECT id, version FROM organizations"))
        times = []
        for k, i in enumerate(ids):
            expected = versions[i] if if_match else None
            start = time.perf_counter()
            update(atlas, Organization, i, {"city": f"Town {k}"}, expected_version=expected)
            times.append(time.perf_counter() - start)
    with sqlite3.connect(db) as conn:
        cities = dict(conn.execute(f"SELECT id, city FROM organizations WHERE id IN ({','.join(map(str, ids))})"))
        audited = conn.execute("SELECT COUNT(*) FROM changes WHERE entity='organization'").fetchone()[0]
    assert all(cities[i] == f"Town {k}" for k, i in enumerate(ids))
    return _ms(times), audited, peak_mb()


def sqlite_updates(db: str, seed: int) -> tuple[float, int, float]:
    ids, warm = _update_ids(db, seed)
    conn = _connect(db)
    for k, i in enumerate(warm):
        conn.execute("UPDATE organizations SET city=? WHERE id=?", (f"Warmup {k}", i))
        conn.commit()
    times = []
    for k, i in enumerate(ids):
        start = time.perf_counter()
        conn.execute("UPDATE organizations SET city=? WHERE id=?", (f"Town {k}", i))
        conn.commit()
        times.append(time.perf_counter() - start)
    conn.close()
    return _ms(times), 0, peak_mb()


# -- 2. a duplicate refused on creation ----------------------------------------------------------------------------
def _new_names(db: str, seed: int) -> list[tuple[int, str, int]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, name, hub_id FROM organizations WHERE hub_id IS NOT NULL "
                            "ORDER BY id").fetchall()
    picked = random.Random(seed).sample(rows, REFUSALS + 5)
    return [(i, name + SUFFIXES[k % len(SUFFIXES)], hub) for k, (i, name, hub) in enumerate(picked)]


def ecotone_refusals(db: str, seed: int) -> tuple[float, int, float]:
    from ecotone.domain import Organization
    from ecotone.services.dedupe import LikelyDuplicate, check_new_organization
    from ecotone.store import Atlas

    new = _new_names(db, seed)
    caught, times = 0, []
    with Atlas.open(db) as atlas:
        for k, (existing, name, hub) in enumerate(new):
            org = Organization(name=name, type="startup", hub_id=hub)
            start = time.perf_counter()
            try:
                check_new_organization(atlas, org)
                found = []
            except LikelyDuplicate as exc:
                found = [e["id"] for e in exc.existing]
            if k >= 5:  # the first five warm up
                times.append(time.perf_counter() - start)
                caught += existing in found
    return _ms(times), caught, peak_mb()


def sqlite_refusals(db: str, seed: int) -> tuple[float, int, float]:
    new = _new_names(db, seed)
    conn = _connect(db)
    caught, times = 0, []
    for k, (existing, name, hub) in enumerate(new):
        start = time.perf_counter()
        found = [r[0] for r in conn.execute("SELECT id FROM organizations WHERE lower(name)=lower(?) AND hub_id=?",
                                            (name, hub))]
        if k >= 5:
            times.append(time.perf_counter() - start)
            caught += existing in found
    conn.close()
    return _ms(times), caught, peak_mb()


# -- 3. likely duplicates across the atlas -------------------------------------------------------------------------
def ecotone_duplicates(db: str, planted: list[tuple[int, int]]) -> tuple[float, tuple[int, int], float]:
    from ecotone.services.dedupe import find_duplicates
    from ecotone.store import Atlas

    with Atlas.open(db) as atlas:
        start = time.perf_counter()
        pairs = find_duplicates(atlas)
        seconds = time.perf_counter() - start
    found = {(p["a_id"], p["b_id"]) for p in pairs}
    return seconds, (sum(p in found for p in planted), len(found)), peak_mb()


def cdist_duplicates(db: str, planted: list[tuple[int, int]]) -> tuple[float, tuple[int, int], float]:
    import numpy as np
    from rapidfuzz import fuzz, process

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, name FROM organizations ORDER BY id").fetchall()
    names = [name for _, name in rows]
    where = {id: k for k, (id, _) in enumerate(rows)}
    start = time.perf_counter()
    scores = process.cdist(names, names, scorer=fuzz.token_sort_ratio, score_cutoff=90, workers=1)
    seconds = time.perf_counter() - start
    found = int(np.count_nonzero(np.triu(scores, 1)))
    hits = sum(bool(scores[where[a], where[b]] >= 90) for a, b in planted)
    return seconds, (hits, found), peak_mb()


# -- 4. the registry's checks --------------------------------------------------------------------------------------
def ecotone_check(db: str) -> tuple[float, dict[str, int], float]:
    from ecotone.services.check import check_atlas
    from ecotone.store import Atlas

    with Atlas.open(db) as atlas:
        start = time.perf_counter()
        findings = check_atlas(atlas)
        seconds = time.perf_counter() - start
    return seconds, dict(Counter(f.kind for f in findings)), peak_mb()


#: The references the checks follow, as (table, column, table referred to); innovations' organisations are orphans.
_SCALAR_REFERENCES = [
    ("assessments", "evaluator_organization_id", "organizations"), ("assessments", "partnership_id", "partnerships"),
    ("clinical_needs", "hub_id", "hubs"), ("clinical_needs", "raised_by_id", "organizations"),
    ("deals", "hub_id", "hubs"), ("deals", "recipient_id", "organizations"),
    ("introductions", "facilitator_id", "organizations"), ("introductions", "organization_id", "organizations"),
    ("introductions", "partner_id", "organizations"), ("introductions", "partnership_id", "partnerships"),
    ("kpis", "partnership_id", "partnerships"), ("kpi_actuals", "kpi_id", "kpis"), ("organizations", "hub_id", "hubs"),
    ("participations", "organization_id", "organizations"), ("participations", "program_id", "programs"),
    ("people", "organization_id", "organizations"), ("programs", "hub_id", "hubs"),
    ("programs", "operator_id", "organizations"), ("ratings", "assessment_id", "assessments"),
    ("stage_events", "innovation_id", "innovations"), ("ties", "source_id", "organizations"),
    ("ties", "target_id", "organizations")]
_LIST_REFERENCES = [("deals", "investor_ids"), ("partnerships", "organization_ids")]
_RECORD_TABLES = ["hubs", "organizations", "people", "programs", "participations", "innovations", "stage_events",
                  "deals", "ties", "clinical_needs", "partnerships", "kpis", "kpi_actuals", "introductions",
                  "assessments", "ratings"]


def sqlite_check(db: str) -> tuple[float, dict[str, int], float]:
    conn = _connect(db)
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    start = time.perf_counter()
    counts = {
        "no_hub": one("SELECT COUNT(*) FROM organizations WHERE hub_id IS NULL"),
        "no_type_evidence": one("SELECT COUNT(*) FROM organizations WHERE type = 'other'")
        + one("SELECT COUNT(*) FROM organizations WHERE trim(coalesce(source, '')) = '' "
              "AND NOT EXISTS (SELECT 1 FROM json_each(organizations.external_ids))")
        + one("SELECT COUNT(*) FROM organizations WHERE type = 'sme' AND size = 'large'"),
        "dangling_reference": sum(
            one(f"SELECT COUNT(*) FROM {t} WHERE {c} IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {r} WHERE {r}.id = {t}.{c})")
            for t, c, r in _SCALAR_REFERENCES)
        + sum(one(f"SELECT COUNT(*) FROM {t} WHERE EXISTS (SELECT 1 FROM json_each({t}.{c}) AS j WHERE "
                  "j.type NOT IN ('integer', 'real') OR j.value < 1 OR j.value <> CAST(j.value AS INTEGER) OR "
                  "NOT EXISTS (SELECT 1 FROM organizations WHERE organizations.id = j.value))")
              for t, c in _LIST_REFERENCES)
        + sum(one(f"SELECT COUNT(*) FROM {t} WHERE owner_id IS NOT NULL AND ("
                  "owner_kind IS NULL OR owner_kind NOT IN ('hub', 'organization') "
                  f"OR (owner_kind = 'hub' AND NOT EXISTS (SELECT 1 FROM hubs WHERE hubs.id = {t}.owner_id)) "
                  "OR (owner_kind = 'organization' AND NOT EXISTS "
                  f"(SELECT 1 FROM organizations WHERE organizations.id = {t}.owner_id)))")
              for t in _RECORD_TABLES),
        "contact_without_consent": one("SELECT COUNT(*) FROM people WHERE trim(coalesce(email, '')) <> '' "
                                       "AND NOT consent"),
        "orphaned_innovation": one("SELECT COUNT(*) FROM innovations i WHERE NOT EXISTS "
                                   "(SELECT 1 FROM organizations o WHERE o.id = i.organization_id)"),
        "no_stage_history": one("SELECT COUNT(*) FROM innovations i WHERE NOT EXISTS "
                                "(SELECT 1 FROM stage_events e WHERE e.innovation_id = i.id) AND EXISTS "
                                "(SELECT 1 FROM organizations o WHERE o.id = i.organization_id)"),
    }
    seconds = time.perf_counter() - start
    conn.close()
    return seconds, {k: v for k, v in counts.items() if v}, peak_mb()


# -- 5. undo of an import -------------------------------------------------------------------------------------------
def _remaining(db: str) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        orgs = conn.execute("SELECT COUNT(*) FROM organizations").fetchone()[0]
        rows = sum(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in _RECORD_TABLES)
    return orgs, rows


def cordis_import(db: str) -> tuple[float, tuple[str, int], float]:
    from ecotone.services.imports import import_files
    from ecotone.store import Atlas

    with Atlas.open(db) as atlas:
        start = time.perf_counter()
        report = import_files(atlas, "cordis", [CORDIS])
        seconds = time.perf_counter() - start
    return seconds, (report.change_set, _remaining(db)[1]), peak_mb()


def cordis_undo(db: str, change_set: str) -> tuple[float, tuple[int, int, int], float]:
    from ecotone.store import Atlas

    with Atlas.open(db) as atlas:
        start = time.perf_counter()
        written = atlas.undo(change_set)
        seconds = time.perf_counter() - start
    return seconds, (*_remaining(db), len(written)), peak_mb()


# -- the table -------------------------------------------------------------------------------------------------
def _progress(what: str, run: int) -> None:
    print(f"  {what}: run {run} done", file=sys.stderr, flush=True)


def _row(what: str, ours: float, peer: float | None, unit: str, mb: tuple[float, float | None],
         peer_name: str) -> str:
    if not peer:
        ratio = "–"
    elif ours >= peer:
        ratio = f"{ours / peer:,.1f}×"
    else:
        ratio = f"{ours / peer:.2f}× ({peer / ours:,.1f}× faster)"
    peer_cell = f"{peer:,.2f} {unit} ({peer_name})" if peer is not None else peer_name
    mb_cell = f"{mb[0]:,.0f}" + (f" / {mb[1]:,.0f}" if mb[1] is not None else "")
    return f"| {what} | {ours:,.2f} {unit} | {peer_cell} | {ratio} | {mb_cell} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one run, a 10k-organisation atlas")
    parser.add_argument("--repeats", type=int, default=None, help="runs per measurement (default 3, quick 1)")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    orgs, n_ties = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    lines = ["| what | Ecotone | peer | ratio | peak MB (Ecotone / peer) |", "|---|---|---|---|---|"]
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        base = str(Path(tmp) / "atlas.db")
        seconds, _ = measure(build, base, orgs, n_ties)
        print(f"  generated {orgs:,} organisations / {n_ties:,} ties in {seconds:.1f} s", file=sys.stderr)
        if orgs == PAIRS_ORGS:
            small = base
        else:
            small = str(Path(tmp) / "small.db")
            seconds, _ = measure(build, small, PAIRS_ORGS, PAIRS_ORGS * 10)
            print(f"  generated {PAIRS_ORGS:,} organisations in {seconds:.1f} s", file=sys.stderr)
        a, b = str(Path(tmp) / "a.db"), str(Path(tmp) / "b.db")

        # 1. one record changed
        plain, checked, if_match, mbs = [], [], [], ([], [], [])
        for run in range(repeats):
            ms, _, mb = measure(sqlite_updates, copy(base, b), run)
            plain.append(ms)
            mbs[0].append(mb)
            ms, audited, mb = measure(ecotone_updates, copy(base, a), run, False)
            checked.append(ms)
            mbs[1].append(mb)
            ms, audited_if, mb = measure(ecotone_updates, copy(base, a), run, True)
            if_match.append(ms)
            mbs[2].append(mb)
            _progress("updates", run + 1)
        peer = statistics.median(plain)
        lines.append(_row(f"one organisation's city changed (median of {UPDATES} updates)",
                          statistics.median(checked), peer, "ms", (max(mbs[1]), max(mbs[0])),
                          "sqlite3 UPDATE + commit"))
        lines.append(_row("the same with expected_version (If-Match)", statistics.median(if_match), peer, "ms",
                          (max(mbs[2]), max(mbs[0])), "sqlite3 UPDATE + commit"))
        notes.append(f"updates: the trail holds {audited:,} organisation entries after a run "
                     f"({audited - UPDATES - WARMUP:,} from generating)")

        # 2. a duplicate refused on creation
        ours, theirs, caught = [], [], (0, 0)
        mb_ours, mb_peer = [], []
        for run in range(repeats):
            ms, peer_caught, mb = measure(sqlite_refusals, copy(base, b), run)
            theirs.append(ms)
            mb_peer.append(mb)
            ms, our_caught, mb = measure(ecotone_refusals, copy(base, a), run)
            ours.append(ms)
            mb_ours.append(mb)
            caught = (our_caught, peer_caught)
            _progress("duplicate refused", run + 1)
        lines.append(_row(f"a duplicate refused on creation (median of {REFUSALS})", statistics.median(ours),
                          statistics.median(theirs), "ms", (max(mb_ours), max(mb_peer)),
                          "sqlite3 exact lower(name) = lower(?) AND hub_id = ?"))
        notes.append(f"duplicates refused: Ecotone caught {caught[0]} of {REFUSALS} names with a legal suffix "
                     f"added, the exact query {caught[1]}")

        # 3. likely duplicates across the atlas
        copy(small, a)
        planted_small = plant_duplicates(a, 0.01, 7)
        small_planted = str(Path(tmp) / "small-planted.db")
        shutil.copyfile(a, small_planted)
        ours, theirs, mb_ours, mb_peer = [], [], [], []
        for run in range(repeats):
            s, our_found, mb = measure(ecotone_duplicates, copy(small_planted, a), planted_small)
            ours.append(s)
            mb_ours.append(mb)
            s, peer_found, mb = measure(cdist_duplicates, copy(small_planted, b), planted_small)
            theirs.append(s)
            mb_peer.append(mb)
            _progress("duplicates, 10k", run + 1)
        n_small = PAIRS_ORGS + len(planted_small)
        lines.append(_row(f"likely duplicates among {n_small:,} organisations", statistics.median(ours),
                          statistics.median(theirs), "s", (max(mb_ours), max(mb_peer)),
                          "rapidfuzz cdist all pairs, token_sort_ratio ≥ 90"))
        notes.append(f"duplicates among {n_small:,}: of {len(planted_small)} planted pairs Ecotone found "
                     f"{our_found[0]} (proposing {our_found[1]:,} pairs in all), all-pairs cdist ≥ 90 on the raw "
                     f"names {peer_found[0]} (proposing {peer_found[1]:,})")
        if small != base:  # with --quick the whole atlas is the 10k one
            copy(base, a)
            planted = plant_duplicates(a, 0.01, 7)
            base_planted = str(Path(tmp) / "planted.db")
            shutil.copyfile(a, base_planted)
            ours, mb_ours = [], []
            for run in range(repeats):
                s, our_found, mb = measure(ecotone_duplicates, copy(base_planted, a), planted)
                ours.append(s)
                mb_ours.append(mb)
                _progress("duplicates, whole atlas", run + 1)
            Path(base_planted).unlink()
            n_all = orgs + len(planted)
            lines.append(_row(f"likely duplicates among {n_all:,} organisations (the whole atlas)",
                              statistics.median(ours), None, "s", (max(mb_ours), None), "– (all pairs not run)"))
            notes.append(f"duplicates among {n_all:,}: of {len(planted)} planted pairs Ecotone found {our_found[0]} "
                         f"(proposing {our_found[1]:,} pairs in all); all-pairs would compare "
                         f"{n_all * (n_all - 1) // 2:,} pairs, {(n_all / n_small) ** 2:,.0f}× the {n_small:,}'s")

        # 4. the registry's checks
        copy(base, a)
        spoil(a, 0.01, 11)
        spoiled = str(Path(tmp) / "spoiled.db")
        shutil.copyfile(a, spoiled)
        ours, theirs, mb_ours, mb_peer = [], [], [], []
        for run in range(repeats):
            s, our_counts, mb = measure(ecotone_check, copy(spoiled, a))
            ours.append(s)
            mb_ours.append(mb)
            s, peer_counts, mb = measure(sqlite_check, copy(spoiled, b))
            theirs.append(s)
            mb_peer.append(mb)
            _progress("checks", run + 1)
        Path(spoiled).unlink()
        compared = {k: v for k, v in our_counts.items() if k != "stage_mismatch"}
        agree = compared == peer_counts
        lines.append(_row(f"the registry's checks, whole atlas ({sum(our_counts.values()):,} findings)",
                          statistics.median(ours), statistics.median(theirs), "s", (max(mb_ours), max(mb_peer)),
                          "sqlite3 COUNTs, no stage mismatch"))
        notes.append("checks: Ecotone " + ", ".join(f"{k} {v:,}" for k, v in our_counts.items()) + "; SQL "
                     + ", ".join(f"{k} {v:,}" for k, v in peer_counts.items())
                     + ("; the counts agree" if agree else "; THE COUNTS DIFFER"))

        # 5. undo of an import
        imports, undos, mb_import, mb_undo = [], [], [], []
        for run in range(repeats):
            fresh = str(Path(tmp) / f"cordis-{run}.db")
            s, (change_set, rows), mb = measure(cordis_import, fresh)
            imports.append(s)
            mb_import.append(mb)
            s, (orgs_left, rows_left, written), mb = measure(cordis_undo, fresh, change_set)
            undos.append(s)
            mb_undo.append(mb)
            assert orgs_left == 0, f"{orgs_left} organisations left after the undo"
            for suffix in ("", "-wal", "-shm"):
                Path(fresh + suffix).unlink(missing_ok=True)
            _progress("CORDIS import and undo", run + 1)
        lines.append(_row(f"undo of the CORDIS H2020 health import ({rows:,} records)", statistics.median(undos),
                          statistics.median(imports), "s", (max(mb_undo), max(mb_import)), "the import itself"))
        notes.append(f"undo: {written:,} audit entries written; afterwards {orgs_left} organisations and "
                     f"{rows_left} records of any kind are left")

    print(f"\nmedians of {repeats} run(s), each in a fresh process on a fresh copy; {orgs:,} organisations / "
          f"{n_ties:,} ties; ratio = Ecotone's time / the peer's; peak MB = each process's maximum resident set\n")
    print("\n".join(lines))
    print()
    print("\n".join(f"- {n}" for n in notes))


if __name__ == "__main__":
    main()

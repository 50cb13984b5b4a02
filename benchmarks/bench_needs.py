"""Needs matched to offers: NeedMatcher on 100,000 stated needs × 100,000 offers against a naive pair loop.

The phrases are generated (seeded) the way registries hold them: the vocabulary's wordings in any case, with
qualifiers ("seed funding for cardiology", "clinical validation in Spain"), typos in one phrase of twelve, and
free phrases the vocabulary does not know; real data repeats, and so do these.

The peer is the plain way to do it: each need against each offer in Python with the same similarity
(``NeedMatcher.pair``: the term rule, then the trigram TF-IDF cosine; each phrase's vector computed once), keeping
the best. It cannot run 10^10 pairs, so it runs a sample of needs against a sample of offers and its time is
extrapolated linearly to the full product (said in the table). Its answers on the sample are checked against
NeedMatcher's on the same sample.

    python benchmarks/bench_needs.py            # 100k × 100k, 3 runs
    python benchmarks/bench_needs.py --quick    # 10k × 10k, 1 run
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from _measure import measure, peak_mb

__all__ = ["main", "phrases", "run"]

_AREAS = ["cardiology", "oncology", "diabetes", "neurology", "paediatrics", "ICU", "mental health", "dermatology",
          "radiology", "orthopaedics", "ophthalmology", "respiratory care", "elderly care", "women's health"]
_PLACES = ["Spain", "Poland", "Catalonia", "the EU", "the US", "Germany", "the Nordics", "Texas", "Singapore"]
_FREE = ["blockchain", "consent", "3D printing", "robotics", "genomics", "cloud hosting", "cybersecurity",
         "translation", "UX research", "marketing", "press coverage", "payroll", "insurance", "sensor",
         "interoperability", "HL7 FHIR", "usability testing", "nursing", "home care", "pharmacy", "biobank",
         "sterilisation", "packaging", "localisation", "app store", "billing", "triage", "rehabilitation"]
_NEEDS = ["seed funding", "pre-seed funding", "Series A funding", "investors", "hospital partners",
          "clinical validation", "clinical validation sites", "clinical insight", "mentorship", "mentoring",
          "regulatory advice", "regulatory support", "notified body", "CE marking", "reimbursement", "market access",
          "distribution", "international markets", "foreign clinical sites", "data access", "health data",
          "talent", "hiring", "manufacturing", "prototyping", "grants", "public funding", "office space",
          "lab space", "IP advice", "legal advice", "corporate partners", "deal flow", "digital tools",
          "workflow software", "patient recruitment", "training", "introductions"]
_OFFERS = ["funding", "seed investment", "venture capital", "growth capital", "clinical validation",
           "clinical pilots", "clinical trials", "regulatory advice", "regulatory guidance", "mentorship",
           "coaching", "office space", "coworking", "laboratory space", "research", "research collaboration",
           "talent", "graduates", "grants", "innovation grants", "telemedicine", "AI software", "digital therapeutics",
           "medical devices", "diagnostics", "biotech", "data sharing", "real-world data", "contract manufacturing",
           "engineering", "tech transfer", "legal support", "distribution partners", "market access",
           "reimbursement advice", "training", "networking", "soft landing"]


def _typo(rng: np.random.Generator, text: str) -> str:
    if len(text) < 4:
        return text
    i = int(rng.integers(1, len(text) - 1))
    kind = int(rng.integers(3))
    if kind == 0:
        return text[:i] + text[i + 1:]                      # a letter dropped
    if kind == 1:
        return text[:i - 1] + text[i] + text[i - 1] + text[i + 1:]  # two letters swapped
    return text[:i] + "eaiou"[int(rng.integers(5))] + text[i + 1:]   # a letter replaced


def phrases(n: int, base: list[str], seed: int) -> list[str]:
    """``n`` stated phrases drawn from ``base`` (Zipf-like: a few very common), with qualifiers, case, typos and
    free phrases."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, len(base) + 1) ** 0.8
    pick = rng.choice(len(base), size=n, p=weights / weights.sum())
    form = rng.random(n)
    out = []
    for k, u in zip(pick, form):
        text = base[k]
        if u < 0.15:
            text = f"{text} for {_AREAS[int(rng.integers(len(_AREAS)))]}"
        elif u < 0.25:
            text = f"{text} in {_PLACES[int(rng.integers(len(_PLACES)))]}"
        elif u < 0.33:
            text = f"{_FREE[int(rng.integers(len(_FREE)))]} {_FREE[int(rng.integers(len(_FREE)))]}"
        elif u < 0.38:
            text = text.upper() if u < 0.35 else text.title()
        if rng.random() < 1 / 12:
            text = _typo(rng, text)
        out.append(text)
    return out


def run_matcher(n_needs: int, n_offers: int) -> tuple[float, dict[str, int], float, int]:
    """NeedMatcher over every need (timed from fit to the last row); status counts, peak MB, distinct needs."""
    from ecotone.match.needs import NeedMatcher

    needs, offers = phrases(n_needs, _NEEDS, 1), phrases(n_offers, _OFFERS, 2)
    start = time.perf_counter()
    result = NeedMatcher().fit(offers).match(needs)
    seconds = time.perf_counter() - start
    assert len(result) == n_needs
    return seconds, result["status"].value_counts().to_dict(), peak_mb(), len(set(needs))


def run_pairs(n_needs: int, n_offers: int, sample_needs: int, sample_offers: int) -> tuple[float, int, float, bool]:
    """The naive loop on a sample: each sampled need against each sampled offer with ``NeedMatcher.pair``.

    Returns the seconds per pair, pairs compared, peak MB and whether the loop's best offers agree with
    NeedMatcher fitted on the same sampled offers."""
    from ecotone.match.needs import NeedMatcher

    needs, offers = phrases(n_needs, _NEEDS, 1)[:sample_needs], phrases(n_offers, _OFFERS, 2)[:sample_offers]
    m = NeedMatcher().fit(offers)
    order = {"matched": 0, "weak": 1, "none": 2}
    start = time.perf_counter()
    best = []
    for need in needs:
        top = (3, 0.0, None)
        for offer in offers:
            score, status = m.pair(need, offer)
            if (order[status], -score) < (top[0], -top[1]):
                top = (order[status], score, offer)
        best.append(top)
    seconds = time.perf_counter() - start
    fast = m.match(needs)
    agree = all(round(s, 3) == round(row.score, 3) and ("matched", "weak", "none", "none")[o] == row.status
                for (o, s, _), row in zip(best, fast.itertuples()))
    return seconds / (len(needs) * len(offers)), len(needs) * len(offers), peak_mb(), agree


def run(rounds: int = 3, *, needs: int = 100_000, offers: int = 100_000, sample: tuple[int, int] = (200, 2_000)
        ) -> list[dict]:
    """Measure NeedMatcher and the naive loop, ``rounds`` runs each (fresh processes); one dict per row.

    Rows: ``scenario``, ``pairs`` (needs × offers), ``median_s`` (the loop's extrapolated), ``peak_mb``,
    ``ratio`` (time against NeedMatcher's), ``note``."""
    ours, peer, ours_mb, peer_mb = [], [], [], []
    counts, distinct, sampled, agree = {}, 0, 0, True
    for r in range(rounds):
        s, counts, mb, distinct = measure(run_matcher, needs, offers)
        ours.append(s)
        ours_mb.append(mb)
        per_pair, sampled, mb, ok = measure(run_pairs, needs, offers, *sample)
        peer.append(per_pair * needs * offers)
        peer_mb.append(mb)
        agree &= ok
        print(f"  needs: run {r + 1} of {rounds} done", file=sys.stderr)
    mine = statistics.median(ours)
    theirs = statistics.median(peer)
    share = ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
    return [
        {"scenario": f"NeedMatcher, {needs:,} needs × {offers:,} offers", "pairs": needs * offers,
         "median_s": mine, "peak_mb": max(ours_mb), "ratio": 1.0,
         "note": f"{distinct:,} distinct needs; {share}"},
        {"scenario": "naive pair loop (NeedMatcher.pair in Python)", "pairs": needs * offers, "median_s": theirs,
         "peak_mb": max(peer_mb), "ratio": theirs / mine,
         "note": f"extrapolated from {sample[0]:,} × {sample[1]:,} = {sampled:,} pairs; "
                 f"answers {'agree' if agree else 'DIFFER'} with NeedMatcher's on the sample"},
    ]


def table(rows: list[dict], rounds: int) -> str:
    lines = [f"medians of {rounds} run(s); peak MB = the process's maximum resident set", "",
             "| scenario | pairs | median s | peak MB | time vs NeedMatcher | note |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['scenario']} | {r['pairs']:,} | {r['median_s']:,.2f} | {r['peak_mb']:,.0f} | "
              f"{r['ratio']:,.0f}× | {r['note']} |" if r["ratio"] != 1.0 else
              f"| {r['scenario']} | {r['pairs']:,} | {r['median_s']:,.2f} | {r['peak_mb']:,.0f} | 1× | {r['note']} |"
              for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one run, 10k needs × 10k offers")
    parser.add_argument("--repeats", type=int, default=None, help="runs per measurement (default 3, quick 1)")
    args = parser.parse_args()
    rounds = args.repeats or (1 if args.quick else 3)
    size = 10_000 if args.quick else 100_000
    print()
    print(table(run(rounds, needs=size, offers=size), rounds))


if __name__ == "__main__":
    main()

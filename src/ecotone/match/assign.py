"""Batch matching of startups to clinical sites or mentors with capacities: stable matching when both sides rank,
an optimal assignment when there is one score; who is left unmatched, and why."""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

__all__ = ["stable_matching", "optimal_assignment"]


def stable_matching(applicant_ranks: dict[str, list[str]], site_ranks: dict[str, list[str]],
                    capacity: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hospital–residents deferred acceptance (Gale–Shapley, applicants proposing): the stable matching every
    applicant likes best. A pair is acceptable when each side ranks the other; a site missing from ``capacity``
    takes one.

    Returns the matches (applicant, site, applicant's rank of the site, site's rank of the applicant) and the
    unmatched applicants with the reason.

    Examples
    --------
    >>> matches, unmatched = stable_matching(
    ...     {"Kardio": ["Clínic", "Sant Pau"], "Neuro": ["Clínic"], "Derma": ["Sant Pau"]},
    ...     {"Clínic": ["Neuro", "Kardio"], "Sant Pau": ["Kardio", "Derma"]}, {"Clínic": 1, "Sant Pau": 1})
    >>> matches[["applicant", "site"]].values.tolist()
    [['Kardio', 'Sant Pau'], ['Neuro', 'Clínic']]
    >>> unmatched.values.tolist()
    [['Derma', 'its sites are full of applicants they rank higher: Sant Pau']]
    """
    rank_of = {s: {a: i for i, a in enumerate(r)} for s, r in site_ranks.items()}
    acceptable = {a: [s for s in r if a in rank_of.get(s, {})] for a, r in applicant_ranks.items()}
    held: dict[str, list[str]] = {s: [] for s in site_ranks}
    next_choice = dict.fromkeys(applicant_ranks, 0)
    free = deque(a for a in applicant_ranks if acceptable[a])
    while free:
        a = free.popleft()
        if next_choice[a] >= len(acceptable[a]):
            continue
        s = acceptable[a][next_choice[a]]
        next_choice[a] += 1
        held[s].append(a)
        if len(held[s]) > capacity.get(s, 1):
            held[s].sort(key=rank_of[s].__getitem__)
            free.append(held[s].pop())
    site_of = {a: s for s, members in held.items() for a in members}
    matches = pd.DataFrame([{"applicant": a, "site": s, "applicant_rank": applicant_ranks[a].index(s) + 1,
                             "site_rank": rank_of[s][a] + 1} for a, s in sorted(site_of.items())],
                           columns=["applicant", "site", "applicant_rank", "site_rank"])
    unmatched = []
    for a in applicant_ranks:
        if a in site_of:
            continue
        if not applicant_ranks[a]:
            reason = "ranked no site"
        elif not acceptable[a]:
            reason = "no site it ranked ranks it back: " + ", ".join(applicant_ranks[a])
        else:
            reason = "its sites are full of applicants they rank higher: " + ", ".join(acceptable[a])
        unmatched.append({"applicant": a, "reason": reason})
    return matches, pd.DataFrame(unmatched, columns=["applicant", "reason"])


def optimal_assignment(scores: pd.DataFrame, capacity: dict[str, int], *, min_score: float = 0.0
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The assignment of applicants to sites (each site up to its capacity, one if not given) with the largest
    total score, by linear assignment over the sites' seats; pairs scoring at most ``min_score`` are never made.

    ``scores`` has columns ``applicant``, ``site``, ``score``. Returns the matches and the unmatched with reasons.

    Examples
    --------
    >>> scores = pd.DataFrame({"applicant": ["A", "A", "B"], "site": ["X", "Y", "X"], "score": [0.9, 0.8, 0.7]})
    >>> matches, unmatched = optimal_assignment(scores, {"X": 1, "Y": 1})
    >>> matches[["applicant", "site"]].values.tolist(), len(unmatched)
    ([['A', 'Y'], ['B', 'X']], 0)
    """
    every = list(dict.fromkeys(scores["applicant"]))
    scores = scores[scores["score"] > min_score]
    applicants = list(dict.fromkeys(scores["applicant"]))
    sites = list(dict.fromkeys(scores["site"]))
    seats = [s for s in sites for _ in range(max(int(capacity.get(s, 1)), 0))]
    seat_site = np.array([sites.index(s) for s in seats], dtype=np.int64)
    a_index = {a: i for i, a in enumerate(applicants)}
    s_index = {s: i for i, s in enumerate(sites)}
    value = np.full((len(applicants), len(sites)), -np.inf)
    value[scores["applicant"].map(a_index).to_numpy(np.int64),
          scores["site"].map(s_index).to_numpy(np.int64)] = scores["score"].to_numpy(float)
    # Each applicant may stay unmatched at no cost (its own dummy seat), so a forbidden pair is never chosen.
    big = 1e9
    cost = np.full((len(applicants), len(seats) + len(applicants)), big)
    if len(seats):
        seat_value = value[:, seat_site]
        cost[:, :len(seats)] = np.where(np.isfinite(seat_value), -seat_value, big)
    cost[np.arange(len(applicants)), len(seats) + np.arange(len(applicants))] = 0.0
    rows, cols = linear_sum_assignment(cost)
    matches, taken = [], {}
    for r, c in zip(rows, cols):
        if c < len(seats) and cost[r, c] < big:
            site = seats[c]
            matches.append({"applicant": applicants[r], "site": site, "score": float(value[r, s_index[site]])})
            taken[site] = taken.get(site, 0) + 1
    matched = {m["applicant"] for m in matches}
    unmatched = []
    for a in every:
        if a in matched:
            continue
        fits = scores[scores["applicant"] == a].sort_values("score", ascending=False)["site"].tolist()
        if not fits:
            unmatched.append({"applicant": a, "reason": f"no site scores it above {min_score:g}"})
            continue
        unmatched.append({"applicant": a, "reason": "the sites it fits are full with pairs scoring more in total: "
                          + ", ".join(f"{s} ({taken.get(s, 0)}/{capacity.get(s, 1)})" for s in fits)})
    return (pd.DataFrame(sorted(matches, key=lambda m: m["applicant"]), columns=["applicant", "site", "score"]),
            pd.DataFrame(unmatched, columns=["applicant", "reason"]))

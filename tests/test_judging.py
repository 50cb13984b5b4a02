"""Challenge judging: per-judge normalisation and recusal against hand computations, and its properties."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecotone.analysis.judging import NORMALISATIONS, TIE_BREAKS, Judging, ScoresRejected
from ecotone.domain.problems import InputRejected

RUBRIC = {"impact": 0.5, "feasibility": 0.3, "novelty": 0.2}


def frames(subs, judges, rows):
    """Submissions [(id, org, submitted_on)], judges [(id, name, org, conflicts)], scores [(sub, judge, crit, v)]."""
    return (pd.DataFrame(subs, columns=["id", "organization_id", "submitted_on"]),
            pd.DataFrame(judges, columns=["id", "name", "organization_id", "conflict_ids"]),
            pd.DataFrame(rows, columns=["submission_id", "judge_id", "criterion", "value"]))


def criteria(sub, judge, impact, feasibility, novelty):
    return [(sub, judge, "impact", impact), (sub, judge, "feasibility", feasibility), (sub, judge, "novelty", novelty)]


def hand_case():
    """Three judges, four submissions; judge 2 works for organisation 103, the one behind submission 3.

    Weighted totals (0.5·impact + 0.3·feasibility + 0.2·novelty):
      judge 1 (lenient): S1 (10, 8, 8) → 5 + 2.4 + 1.6 = 9;  S2 (6, 8, 8) → 3 + 2.4 + 1.6 = 7;
                         S3 (9, 9, 9) → 9;                   S4 (8, 6, 6) → 4 + 1.8 + 1.2 = 7
      judge 2 (works for org 103): S1 (9, 9, 9) → 9;  S2 (8, 10, 5) → 4 + 3 + 1 = 8;  S4 (6, 8, 8) → 7;
                         S3 (10, 10, 10) → 10 — a conflicted score, never used
      judge 3 (harsh):   S1 (2, 2, 2) → 2;  S2 (4, 2, 7) → 2 + 0.6 + 1.4 = 4;
                         S3 (5, 3, 3) → 2.5 + 0.9 + 0.6 = 4;  S4 (1, 3, 3) → 0.5 + 0.9 + 0.6 = 2
    """
    subs = [(1, 101, date(2026, 10, 1)), (2, 102, date(2026, 10, 2)), (3, 103, date(2026, 10, 3)),
            (4, 104, date(2026, 10, 4))]
    judges = [(11, "Lenient", 900, []), (12, "Employee", 103, []), (13, "Harsh", None, [])]
    rows = (criteria(1, 11, 10, 8, 8) + criteria(2, 11, 6, 8, 8) + criteria(3, 11, 9, 9, 9) + criteria(4, 11, 8, 6, 6)
            + criteria(1, 12, 9, 9, 9) + criteria(2, 12, 8, 10, 5) + criteria(3, 12, 10, 10, 10)
            + criteria(4, 12, 6, 8, 8)
            + criteria(1, 13, 2, 2, 2) + criteria(2, 13, 4, 2, 7) + criteria(3, 13, 5, 3, 3) + criteria(4, 13, 1, 3, 3))
    return frames(subs, judges, rows)


def test_z_scores_and_recusal_by_hand():
    """z per judge (population sd), then the mean over judges without a conflict:
      judge 1 totals 9, 7, 9, 7: mean 8, sd √((1+1+1+1)/4) = 1 → z S1 +1, S2 −1, S3 +1, S4 −1
      judge 2 totals S1 9, S2 8, S4 7 (S3 recused): mean 8, sd √(2/3) → z S1 +√1.5, S2 0, S4 −√1.5
      judge 3 totals 2, 4, 4, 2: mean 3, sd 1 → z S1 −1, S2 +1, S3 +1, S4 −1
      S1 = (1 + √1.5 − 1)/3 = √1.5/3 = 0.408;  S2 = (−1 + 0 + 1)/3 = 0;  S3 = (1 + 1)/2 = 1;
      S4 = (−1 − √1.5 − 1)/3 = −1.075  →  order S3, S1, S2, S4.
    Raw means: S1 (9+9+2)/3 = 6.667, S2 (7+8+4)/3 = 6.333, S3 (9+4)/2 = 6.5, S4 (7+7+2)/3 = 5.333: without
    normalisation S1 would lead, because the lenient judge 2 could not score S3."""
    j = Judging(RUBRIC, shortlist=3, winners=1).run(*hand_case())
    r = j.results_.set_index("submission_id")
    assert list(j.results_["submission_id"]) == [3, 1, 2, 4]
    assert list(j.results_["rank"]) == [1, 2, 3, 4]
    root = math.sqrt(1.5)
    assert r["score"].to_dict() == pytest.approx({1: root / 3, 2: 0.0, 3: 1.0, 4: -(2 + root) / 3})
    assert r["raw"].to_dict() == pytest.approx({1: 20 / 3, 2: 19 / 3, 3: 6.5, 4: 16 / 3})
    assert r["judges"].to_dict() == {1: 3, 2: 3, 3: 2, 4: 3}
    assert r["conflicted"].to_dict() == {1: 0, 2: 0, 3: 1, 4: 0}
    assert list(j.results_["shortlisted"]) == [True, True, True, False]
    assert list(j.results_["winner"]) == [True, False, False, False]
    assert list(j.results_["tie_break"]) == ["", "", "", ""]
    assert j.excluded_.to_dict("records") == [
        {"submission_id": 3, "judge_id": 12, "reason": "works for organisation 103"}]
    per = j.judges_.set_index("judge_id")
    assert per["scored"].to_dict() == {11: 4, 12: 3, 13: 4}
    assert per["excluded"].to_dict() == {11: 0, 12: 1, 13: 0}
    assert per["mean"].to_dict() == pytest.approx({11: 8.0, 12: 8.0, 13: 3.0})
    assert per["sd"].to_dict() == pytest.approx({11: 1.0, 12: math.sqrt(2 / 3), 13: 1.0})
    assert any("3 scores by judges with a conflict (1 submission) were not used" in n for n in j.notes_)

    raw = Judging(RUBRIC, normalisation="raw").run(*hand_case()).results_
    assert list(raw["submission_id"]) == [1, 3, 2, 4]
    assert raw.set_index("submission_id")["score"].to_dict() == pytest.approx({1: 20 / 3, 2: 19 / 3, 3: 6.5,
                                                                                4: 16 / 3})


def test_robust_scores_by_hand():
    """Robust z = (x − median)/(1.4826·MAD):
      judge 1 totals 9, 7, 9, 7: median 8, |dev| 1, 1, 1, 1 → MAD 1 → ±1/1.4826
      judge 2 totals 9, 8, 7: median 8, |dev| 1, 0, 1 → MAD 1 → S1 +1/1.4826, S2 0, S4 −1/1.4826
      judge 3 totals 2, 4, 4, 2: median 3, MAD 1 → ∓1/1.4826
      S1 = (1 + 1 − 1)/3/1.4826 = 0.2248;  S2 = 0;  S3 = (1 + 1)/2/1.4826 = 0.6745;  S4 = −3/3/1.4826 = −0.6745."""
    r = Judging(RUBRIC, normalisation="robust").run(*hand_case()).results_
    assert list(r["submission_id"]) == [3, 1, 2, 4]
    assert r.set_index("submission_id")["score"].to_dict() == pytest.approx(
        {1: 1 / 3 / 1.4826, 2: 0.0, 3: 1 / 1.4826, 4: -1 / 1.4826})


def test_robust_falls_back_to_mean_absolute_deviation_when_mad_is_zero():
    """Totals 7, 7, 7, 8, 3: median 7, |dev| 0, 0, 0, 1, 4 → MAD 0; mean |dev| = 5/5 = 1 → spread √(π/2)·1."""
    subs, judges, scores = frames([(i, 100 + i, None) for i in range(1, 6)], [(1, "Ada", None, [])],
                                  [(i, 1, "overall", v) for i, v in zip(range(1, 6), [7, 7, 7, 8, 3])])
    j = Judging({"overall": 1}, normalisation="robust").run(subs, judges, scores)
    spread = math.sqrt(math.pi / 2)
    assert j.results_.set_index("submission_id")["score"].to_dict() == pytest.approx(
        {1: 0, 2: 0, 3: 0, 4: 1 / spread, 5: -4 / spread})
    assert any("mean absolute deviation" in n for n in j.notes_)


def test_weights_are_renormalised_over_the_criteria_a_judge_scored():
    """Judge 1 scored only impact (8) and novelty (3) for S1: (0.5·8 + 0.2·3)/(0.5 + 0.2) = 4.6/0.7 = 6.571."""
    subs, judges, scores = frames([(1, 101, None), (2, 102, None)], [(1, "Ada", None, [])],
                                  [(1, 1, "impact", 8), (1, 1, "novelty", 3)] + criteria(2, 1, 5, 5, 5))
    j = Judging(RUBRIC, normalisation="raw").run(subs, judges, scores)
    assert j.results_.set_index("submission_id")["raw"].to_dict() == pytest.approx({1: 4.6 / 0.7, 2: 5.0})


def test_declared_conflict_is_named_with_the_organisation():
    subs, judges, scores = frames([(1, 101, None), (2, 102, None), (3, 103, None)],
                                  [(1, "Ada", None, [102]), (2, "Ben", 101, (102, 103))],
                                  [(1, 1, "overall", 5), (2, 1, "overall", 9), (3, 1, "overall", 7),
                                   (1, 2, "overall", 4)])
    subs["organization"] = ["Moebio", "Clinic Barcelona", "Nottingham Labs"]
    j = Judging({"overall": 1}).run(subs, judges, scores)
    assert j.excluded_.to_dict("records") == [
        {"submission_id": 2, "judge_id": 1, "reason": "declared a conflict with Clinic Barcelona"},
        {"submission_id": 1, "judge_id": 2, "reason": "works for Moebio"},
        {"submission_id": 2, "judge_id": 2, "reason": "declared a conflict with Clinic Barcelona"},
        {"submission_id": 3, "judge_id": 2, "reason": "declared a conflict with Nottingham Labs"}]
    r = j.results_.set_index("submission_id")
    # Ada's totals 5 (S1), 7 (S3): z −1, +1; S2's 9 from her and Ben's 4 for S1 are never used
    assert r["score"].iloc[:2].to_dict() == {3: 1.0, 1: -1.0}
    assert np.isnan(r.loc[2, "score"]) and r.loc[2, "rank"] == 3
    assert r.loc[2, "conflicted"] == 2 and r.loc[2, "judges"] == 0
    assert any("Submission 2 could not be judged (every judge has a conflict with its organisation)" in n
               for n in j.notes_)


def test_a_judge_with_one_submission_counts_as_zero_with_a_note():
    """Ada scored S1 only: z cannot be computed (one value) → 0. Ben: S1 2, S2 6 → z −1, +1.
    S1 = (0 − 1)/2 = −0.5; S2 = +1."""
    subs, judges, scores = frames([(1, 101, None), (2, 102, None)],
                                  [(1, "Ada", None, []), (2, "Ben", None, [])],
                                  [(1, 1, "overall", 9), (1, 2, "overall", 2), (2, 2, "overall", 6)])
    j = Judging({"overall": 1}).run(subs, judges, scores)
    assert j.results_.set_index("submission_id")["score"].to_dict() == {2: 1.0, 1: -0.5}
    assert any(n.startswith("Judge Ada scored one submission only") for n in j.notes_)


def test_a_judge_giving_everyone_the_same_total_counts_as_zero_with_a_note():
    subs, judges, scores = frames([(1, 101, None), (2, 102, None)], [(1, "Ada", None, [])],
                                  [(1, 1, "overall", 6), (2, 1, "overall", 6)])
    j = Judging({"overall": 1}).run(subs, judges, scores)
    assert list(j.results_["score"]) == [0.0, 0.0]
    assert any("gave every submission they scored the same total (6)" in n for n in j.notes_)


def test_unscored_submission_is_last_with_a_note():
    subs, judges, scores = frames([(1, 101, None), (2, 102, None), (3, 103, None)], [(1, "Ada", None, [])],
                                  [(1, 1, "overall", 3), (3, 1, "overall", 5)])
    j = Judging({"overall": 1}, shortlist=3, winners=2).run(subs, judges, scores)
    assert list(j.results_["submission_id"]) == [3, 1, 2]
    assert list(j.results_["shortlisted"]) == [True, True, False]
    assert list(j.results_["winner"]) == [True, True, False]
    assert any("Submission 2 could not be judged (no judge without a conflict has scored it)" in n
               for n in j.notes_)
    assert any("Only 2 submissions could be judged, fewer than the shortlist of 3" in n for n in j.notes_)


@pytest.mark.parametrize("empty", [pd.DataFrame(), None])
def test_empty_input(empty):
    j = Judging({"overall": 1}, shortlist=2).run(empty, empty, empty)
    assert j.results_.empty and list(j.results_.columns) == ["submission_id", "rank", "score", "raw", "judges",
                                                             "conflicted", "tie_break", "shortlisted", "winner"]
    assert j.judges_.empty and list(j.judges_.columns) == ["judge_id", "name", "scored", "mean", "sd", "excluded"]
    assert j.excluded_.empty and list(j.excluded_.columns) == ["submission_id", "judge_id", "reason"]
    assert j.notes_ == ["There are no submissions to judge."]


def test_submissions_without_any_scores_are_ranked_by_date_then_id():
    subs, judges, scores = frames([(5, 1, date(2026, 3, 2)), (4, 2, None), (3, 3, date(2026, 3, 1))],
                                  [(1, "Ada", None, [])], [])
    j = Judging({"overall": 1}).run(subs, judges, scores)
    assert list(j.results_["submission_id"]) == [3, 5, 4]
    assert j.results_["score"].isna().all() and not j.results_["winner"].any()
    assert [t.split(":")[0] for t in j.results_["tie_break"]] == ["", "earlier submission", "earlier submission"]


# ---------------------------------------------------------------- tie-breaks, each one by hand
def test_tie_broken_by_more_judges():
    """Ada: X 5, Y 5, Z 2, W 8 → mean 5 → z X 0, Y 0. Ben: X 5, Z 2, W 8 → mean 5 → z X 0.
    X = 0 from two judges, Y = 0 from one: X goes first by "more judges"."""
    subs, judges, scores = frames([(1, 1, None), (2, 2, None), (3, 3, None), (4, 4, None)],
                                  [(1, "Ada", None, []), (2, "Ben", None, [])],
                                  [(1, 1, "overall", 5), (2, 1, "overall", 5), (3, 1, "overall", 2),
                                   (4, 1, "overall", 8), (1, 2, "overall", 5), (3, 2, "overall", 2),
                                   (4, 2, "overall", 8)])
    r = Judging({"overall": 1}).run(subs, judges, scores).results_
    assert list(r["submission_id"]) == [4, 1, 2, 3]
    assert r.loc[2, "tie_break"] == "more judges: submission 1 had 2, this one 1"


def test_tie_broken_by_higher_raw_mean():
    """Ada: A 4, B 6 → z −1, +1; Ben: A 8, B 2 → z +1, −1. Both score 0 from two judges; raw A 6 > B 4."""
    subs, judges, scores = frames([(1, 1, None), (2, 2, None)], [(1, "Ada", None, []), (2, "Ben", None, [])],
                                  [(2, 1, "overall", 6), (1, 1, "overall", 4), (2, 2, "overall", 2),
                                   (1, 2, "overall", 8)])
    r = Judging({"overall": 1}).run(subs, judges, scores).results_
    assert list(r["submission_id"]) == [1, 2]
    assert r.loc[1, "tie_break"] == "higher raw mean: submission 1 had 6, this one 4"


def test_tie_broken_by_the_heaviest_criterion():
    """Weights impact 0.75, cost 0.25. A (4, 8) → 3 + 2 = 5; B (6, 2) → 4.5 + 0.5 = 5; C (10, 10) → 10.
    A and B tie on every total; on impact alone B's 6 beats A's 4."""
    subs, judges, scores = frames([(1, 1, None), (2, 2, None), (3, 3, None)], [(1, "Ada", None, [])],
                                  [(1, 1, "impact", 4), (1, 1, "cost", 8), (2, 1, "impact", 6),
                                   (2, 1, "cost", 2), (3, 1, "impact", 10), (3, 1, "cost", 10)])
    j = Judging({"cost": 0.25, "impact": 0.75}).run(subs, judges, scores)
    assert j.heaviest == "impact"
    assert list(j.results_["submission_id"]) == [3, 2, 1]
    assert j.results_.loc[2, "tie_break"].startswith("higher score on the heaviest criterion (impact): "
                                                     "submission 2 had")


def test_tie_broken_by_earlier_submission_then_lower_id():
    subs, judges, scores = frames([(9, 1, date(2026, 5, 2)), (8, 2, date(2026, 5, 1)), (7, 3, date(2026, 5, 2))],
                                  [(1, "Ada", None, [])], [(i, 1, "overall", 6) for i in (7, 8, 9)])
    r = Judging({"overall": 1}).run(subs, judges, scores).results_
    assert list(r["submission_id"]) == [8, 7, 9]
    assert list(r["tie_break"]) == ["", "earlier submission: submission 8 came in on 2026-05-01, this one on "
                                    "2026-05-02", "lower id: submission 7 has the lower id"]


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("row, words", [
    ((1, 11, "beauty", 5), "scores, row 2, column criterion: (submission 1, judge 11) criterion 'beauty' is not in "
                           "the rubric (overall)"),
    ((1, 11, "overall", 11), "scores, row 2, column value: (submission 1, judge 11) 11 is not a score from 0 to 10"),
    ((1, 11, "overall", -0.5), "row 2, column value: (submission 1, judge 11) -0.5 is not a score from 0 to 10"),
    ((1, 11, "overall", "good"), "row 2, column value: (submission 1, judge 11) 'good' is not a score"),
    ((1, 11, "overall", None), "row 2, column value: (submission 1, judge 11) has no value: give a score"),
    ((99, 11, "overall", 5), "scores, row 2, column submission_id: submission 99 is not one of this challenge's"),
    ((1, 77, "overall", 5), "scores, row 2, column judge_id: judge 77 is not one of this challenge's judges"),
    ((2, 11, "overall", 4), "scores, row 2, column criterion: (submission 2, judge 11) a second score for 'overall'"),
])
def test_bad_scores_are_refused_naming_the_row(row, words):
    subs, judges, scores = frames([(1, 1, None), (2, 2, None)], [(11, "Ada", None, [])],
                                  [(2, 11, "overall", 5), row])
    with pytest.raises(ValueError) as caught:
        Judging({"overall": 1}).run(subs, judges, scores)
    assert isinstance(caught.value, InputRejected)
    assert words in str(caught.value)


def test_every_problem_is_listed_and_ids_must_be_unique():
    subs, judges, scores = frames([(1, 1, None), (1, 2, None)], [(11, "Ada", None, [])],
                                  [(1, 11, "x", 12), (5, 11, "overall", 3)])
    with pytest.raises(ScoresRejected) as caught:
        Judging({"overall": 1}).run(subs, judges, scores)
    said = [str(p) for p in caught.value.problems]
    assert "submissions, row 2, column id: id 1 appears twice" in said
    assert sum(p.startswith("scores, row 1") for p in said) == 2 and any(p.startswith("scores, row 2") for p in said)


def test_missing_columns_are_named():
    with pytest.raises(ScoresRejected, match="scores, column criterion: is missing"):
        Judging({"overall": 1}).run(pd.DataFrame({"id": [1], "organization_id": [1], "submitted_on": [None]}),
                                    pd.DataFrame({"id": [1], "name": ["A"], "organization_id": [None],
                                                  "conflict_ids": [[]]}),
                                    pd.DataFrame({"submission_id": [1], "judge_id": [1], "value": [3]}))


@pytest.mark.parametrize("kwargs, words", [
    ({"rubric": {}}, "no criteria"), ({"rubric": {"a": 0}}, "more than 0"), ({"rubric": {"a": -1}}, "more than 0"),
    ({"normalisation": "minmax"}, "is not one of z, robust, raw"), ({"shortlist": 0}, "at least 1"),
    ({"winners": -1}, "at least 0"), ({"shortlist": 2, "winners": 3}, "3 winners cannot come from a shortlist of 2"),
])
def test_bad_settings_are_refused(kwargs, words):
    rubric = kwargs.pop("rubric", {"overall": 1})
    with pytest.raises(ValueError, match=words):
        Judging(rubric, **kwargs)


# ---------------------------------------------------------------- properties
@st.composite
def challenges(draw, conflicts=True):
    n_subs = draw(st.integers(1, 7))
    n_judges = draw(st.integers(1, 4))
    crits = draw(st.lists(st.sampled_from(["impact", "feasibility", "novelty"]), min_size=1, max_size=3,
                          unique=True))
    rubric = {c: draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])) for c in crits}
    orgs = [draw(st.integers(100, 104)) for _ in range(n_subs)]
    subs = [(i + 1, orgs[i], draw(st.one_of(st.none(), st.dates(date(2026, 1, 1), date(2026, 1, 5)))))
            for i in range(n_subs)]
    judges = [(j + 50, f"J{j}", draw(st.one_of(st.none(), st.integers(100, 106))) if conflicts else None,
               draw(st.lists(st.integers(100, 106), max_size=2)) if conflicts else [])
              for j in range(n_judges)]
    rows = [(s[0], jd[0], c, draw(st.integers(0, 10)) / 2)   # 0–5 in halves: room to shift and scale
            for s in subs for jd in judges for c in crits if draw(st.booleans())]
    shortlist = draw(st.one_of(st.none(), st.integers(1, n_subs + 1)))
    winners = draw(st.integers(0, shortlist if shortlist is not None else n_subs))
    return rubric, shortlist, winners, frames(subs, judges, rows)


def judging(rubric, shortlist, winners, data, normalisation="z"):
    return Judging(rubric, normalisation=normalisation, shortlist=shortlist, winners=winners).run(*data)


@given(challenges(), st.sampled_from(["z", "robust"]), st.sampled_from([0.5, 1.0, 2.0]), st.integers(0, 5),
       st.data())
@settings(max_examples=25, deadline=None)
def test_a_judges_shift_or_scale_leaves_normalised_scores_unchanged(case, normalisation, scale, shift, data):
    rubric, shortlist, winners, (subs, judges, scores) = case
    judge = data.draw(st.sampled_from(list(judges["id"])))
    moved = scores.copy()
    mine = moved["judge_id"] == judge
    moved.loc[mine, "value"] = shift * (10 - 5 * scale) / 5 + scale * moved.loc[mine, "value"]   # stays in 0–10
    assert moved["value"].between(0, 10).all()
    before = judging(rubric, shortlist, winners, (subs, judges, scores), normalisation).results_
    after = judging(rubric, shortlist, winners, (subs, judges, moved), normalisation).results_
    a, b = before.set_index("submission_id"), after.set_index("submission_id")
    assert np.allclose(a["score"], b.loc[a.index, "score"], atol=1e-9, equal_nan=True)
    ranks = a["score"].rank(method="min"), b.loc[a.index, "score"].rank(method="min")
    assert ranks[0].equals(ranks[1])


@given(challenges(), st.sampled_from(NORMALISATIONS), st.data())
@settings(max_examples=25, deadline=None)
def test_a_conflicted_judges_scores_are_never_used(case, normalisation, data):
    rubric, shortlist, winners, (subs, judges, scores) = case
    first = judging(rubric, shortlist, winners, (subs, judges, scores), normalisation)
    recused = set(zip(first.excluded_["submission_id"], first.excluded_["judge_id"]))
    mask = np.array([(s, j) in recused for s, j in zip(scores["submission_id"], scores["judge_id"])], bool)
    changed = scores.copy()
    changed.loc[mask, "value"] = [data.draw(st.integers(0, 10)) for _ in range(int(mask.sum()))]
    again = judging(rubric, shortlist, winners, (subs, judges, changed), normalisation)
    pd.testing.assert_frame_equal(first.results_, again.results_)
    pd.testing.assert_frame_equal(first.judges_, again.judges_)
    for s, j in recused:   # and the reason holds: the judge works for or declared the organisation
        org = subs.set_index("id").loc[s, "organization_id"]
        jd = judges.set_index("id").loc[j]
        assert org == jd["organization_id"] or org in jd["conflict_ids"]


@given(challenges(), st.sampled_from(NORMALISATIONS))
@settings(max_examples=25, deadline=None)
def test_ranks_shortlist_winners_and_tie_breaks(case, normalisation):
    rubric, shortlist, winners, data = case
    r = judging(rubric, shortlist, winners, data, normalisation).results_
    n = len(data[0])
    assert sorted(r["rank"]) == list(range(1, n + 1)) and list(r["rank"]) == list(range(1, n + 1))
    assert sorted(r["submission_id"]) == sorted(data[0]["id"])
    assert not (r["winner"] & r["score"].isna()).any()
    if shortlist is not None:
        assert set(r.loc[r["winner"], "submission_id"]) <= set(r.loc[r["shortlisted"], "submission_id"])
        assert r["shortlisted"].sum() == min(shortlist, r["score"].notna().sum())
        assert list(r["shortlisted"]) == sorted(r["shortlisted"], reverse=True)   # the top ones
    assert r["winner"].sum() == min(winners, r["score"].notna().sum())
    scores = r["score"].to_numpy()
    judged = scores[~np.isnan(scores)]
    assert (np.diff(judged) <= 1e-9).all() and np.isnan(scores[len(judged):]).all()   # best first, NaN last
    for t in r["tie_break"].iloc[1:]:
        assert t == "" or t.split(":")[0].split(" (")[0] in TIE_BREAKS
    assert r["tie_break"].iloc[0] == "" if n else True


@given(challenges(), st.sampled_from(NORMALISATIONS), st.randoms())
@settings(max_examples=20, deadline=None)
def test_results_do_not_depend_on_row_order(case, normalisation, rnd):
    rubric, shortlist, winners, (subs, judges, scores) = case
    first = judging(rubric, shortlist, winners, (subs, judges, scores), normalisation)
    shuffled = scores.sample(frac=1, random_state=rnd.randint(0, 10**6)).reset_index(drop=True)
    again = judging(rubric, shortlist, winners, (subs, judges, shuffled), normalisation)
    pd.testing.assert_frame_equal(first.results_, again.results_)
    assert first.notes_ == again.notes_

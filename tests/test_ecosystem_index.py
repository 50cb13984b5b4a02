"""The ecosystem index (analysis/ecosystem_index.py): a composite indicator as the OECD/JRC Handbook builds one."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecotone.analysis.ecosystem_index import PILLARS, EcosystemIndex, Indicator

TALENT, OPEN = "talent_pipeline", "open_innovation"
FOUR = [Indicator("mentors", TALENT, "mentorship ties"), Indicator("graduates", TALENT, "graduates per 100 actors"),
        Indicator("challenges", OPEN, "challenges run"), Indicator("needs_addressed", OPEN, "share of needs addressed")]


def three_hubs() -> pd.DataFrame:
    return pd.DataFrame({"mentors": [10, 20, 40], "graduates": [4, 2, 3], "challenges": [np.nan, 6, 2],
                         "needs_addressed": [0.2, 0.8, 0.5]}, index=["Alba", "Brno", "Cork"])


def by_group(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("group")


def test_three_hubs_by_hand():
    index = EcosystemIndex(FOUR, draws=0).run(three_hubs())
    # Imputation: Alba has no challenges; the median of the other groups is median(6, 2) = 4.
    assert index.imputed_.to_dict("records") == [
        {"group": "Alba", "indicator": "challenges", "value": 4.0, "how": "median of the other groups"}]
    # Min-max to 0–100:      mentors (10..40)   graduates (2..4)   challenges (2..6)   needs_addressed (0.2..0.8)
    #   Alba                 0                  100                50                  0
    #   Brno                 33.33              0                  100                 100
    #   Cork                 100                50                 0                   50
    # Pillars (mean of their indicators): talent Alba 50, Brno 16.67, Cork 75; open Alba 25, Brno 100, Cork 25.
    # Equal pillar weights: Alba (50 + 25) / 2 = 37.5, Brno (16.67 + 100) / 2 = 58.33, Cork (75 + 25) / 2 = 50.
    scores = by_group(index.scores_)
    assert scores["score"].to_dict() == pytest.approx({"Alba": 37.5, "Brno": 175 / 3, "Cork": 50.0})
    assert scores["rank"].to_dict() == {"Brno": 1, "Cork": 2, "Alba": 3}
    assert index.scores_["group"].tolist() == ["Brno", "Cork", "Alba"]  # best first
    assert scores["coverage"].to_dict() == {"Alba": 0.75, "Brno": 1.0, "Cork": 1.0}
    assert index.pillars_.loc["Alba"].to_dict() == pytest.approx({TALENT: 50.0, OPEN: 25.0})
    assert index.pillars_.loc["Brno"].to_dict() == pytest.approx({TALENT: 50 / 3, OPEN: 100.0})
    # Contributions: weight (1/2) × pillar score.
    assert index.contributions_.loc["Alba"].to_dict() == pytest.approx({TALENT: 25.0, OPEN: 12.5})
    # Alba against the other groups' median: talent 50 vs median(16.67, 75) = 45.83 (above); open 25 vs 62.5 (below).
    assert index.strengths_["Alba"] == [TALENT] and index.weaknesses_["Alba"] == [OPEN]
    assert index.strengths_["Brno"] == [OPEN] and index.weaknesses_["Brno"] == [TALENT]
    # Alba's mentors at the best group's 40: mentors become Alba 100, Brno 0 (the minimum is now Brno's 20), Cork 100,
    # so talent is Alba 100, Brno 0, Cork 75 and the scores Alba 62.5, Brno 50, Cork 50: Alba first (2 places up).
    levers = index.levers_[index.levers_["group"] == "Alba"].to_dict("records")
    assert levers[0] | {"score_gain": round(levers[0]["score_gain"], 6)} == {
        "group": "Alba", "indicator": "mentors", "pillar": TALENT, "now": 10.0, "imputed": False, "to": 40.0,
        "rank_gain": 2, "score_gain": 25.0}
    assert index.levers_[index.levers_["group"] == "Brno"].empty  # first already
    # No draws: the interval is the rank itself.
    assert (scores["rank_low"] == scores["rank"]).all() and (scores["rank_high"] == scores["rank"]).all()


def test_impute_none_keeps_the_pillar_on_the_indicators_it_has():
    index = EcosystemIndex(FOUR, draws=0, impute="none").run(three_hubs())
    # challenges min-max over Brno 6, Cork 2: Brno 100, Cork 0; Alba's open pillar is needs_addressed alone (0).
    assert index.pillars_.loc["Alba", OPEN] == pytest.approx(0.0)
    assert index.pillars_.loc["Cork", OPEN] == pytest.approx(25.0)
    assert by_group(index.scores_).loc["Alba", "score"] == pytest.approx(25.0)
    assert index.imputed_["value"].isna().all() and index.imputed_["how"].iloc[0].startswith("not imputed")


def test_a_group_missing_a_whole_pillar_is_scored_on_the_others():
    values = three_hubs()
    values.loc["Alba", ["challenges", "needs_addressed"]] = np.nan
    index = EcosystemIndex(FOUR, draws=0, impute="none").run(values)
    assert np.isnan(index.pillars_.loc["Alba", OPEN])
    alba = by_group(index.scores_).loc["Alba"]
    assert alba["score"] == pytest.approx(index.pillars_.loc["Alba", TALENT]) and alba["coverage"] == 0.5
    assert index.contributions_.loc["Alba"].sum() == pytest.approx(alba["score"])


def random_table(seed: int, groups: int, indicators: int, missing: float = 0.15):
    rng = np.random.default_rng(seed)
    inds = [Indicator(f"x{j}", PILLARS[j % len(PILLARS)], f"indicator {j}", higher_is_better=bool(j % 3))
            for j in range(indicators)]
    values = rng.lognormal(0, 1, (groups, indicators)).round(2)
    values[rng.random(values.shape) < missing] = np.nan
    values[0] = rng.lognormal(0, 1, indicators)  # at least one group observes every indicator
    return inds, pd.DataFrame(values, index=[f"g{i}" for i in range(groups)], columns=[i.name for i in inds])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), groups=st.integers(2, 25), indicators=st.integers(1, 9),
       normalisation=st.sampled_from(EcosystemIndex.normalisations),
       aggregation=st.sampled_from(EcosystemIndex.aggregations), impute=st.sampled_from(["median", "none"]))
def test_rank_intervals_contain_the_rank(seed, groups, indicators, normalisation, aggregation, impute):
    inds, values = random_table(seed, groups, indicators)
    if impute == "none":
        values = values[values.notna().any(axis=1)]
    index = EcosystemIndex(inds, normalisation=normalisation, aggregation=aggregation, impute=impute, draws=300,
                           seed=seed).run(values)
    s = index.scores_
    assert ((s["rank_low"] <= s["rank"]) & (s["rank"] <= s["rank_high"])).all()
    assert (s["rank_low"] >= 1).all() and (s["rank_high"] <= len(values)).all()
    assert s["median_rank"].between(s["rank_low"], s["rank_high"]).all()
    # Where not widened, the interval is the draws' own 5th–95th percentile.
    ranks = pd.DataFrame(index.ranks_, columns=index.groups_)
    plain = s[~s["widened"]]
    assert (plain["rank_low"].to_numpy() == np.percentile(ranks[plain["group"]], 5, axis=0, method="lower")).all()
    assert (plain["rank_high"].to_numpy() == np.percentile(ranks[plain["group"]], 95, axis=0, method="higher")).all()
    assert s["score"].between(0, 100).all()
    contributions = index.contributions_.sum(axis=1)
    assert np.allclose(contributions.to_numpy(), s["score"].to_numpy())


def test_a_dominating_group_ranks_first_in_every_draw():
    inds, values = random_table(7, 40, 14)
    best = values.max().where([i.higher_is_better for i in inds], values.min())
    values.loc["champion"] = best * np.where([i.higher_is_better for i in inds], 1.5, 0.5)
    index = EcosystemIndex(inds, draws=2000, seed=1).run(values)
    champion = by_group(index.scores_).loc["champion"]
    assert (champion["rank"], champion["rank_low"], champion["rank_high"], champion["median_rank"]) == (1, 1, 1, 1)
    assert (index.ranks_[:, list(index.groups_).index("champion")] == 1).all()
    assert set(index.draws_["normalisation"]) == set(EcosystemIndex.normalisations)
    assert set(index.draws_["aggregation"]) == set(EcosystemIndex.aggregations)
    assert index.levers_[index.levers_["group"] == "champion"].empty


def test_turning_every_indicator_around_turns_the_order_around():
    inds, values = random_table(3, 30, 8, missing=0.0)
    up = EcosystemIndex(inds, draws=0).run(values).scores_
    flipped = [i._replace(higher_is_better=not i.higher_is_better) for i in inds]
    down = by_group(EcosystemIndex(flipped, draws=0).run(values).scores_)
    assert down.loc[up["group"], "score"].to_numpy() == pytest.approx(100 - up["score"].to_numpy())
    assert down.loc[up["group"]].sort_values("score")["rank"].is_monotonic_decreasing
    one, single = [Indicator("x0", TALENT, "one")], values[["x0"]].assign(x0=np.random.default_rng(1).permutation(30))
    order = EcosystemIndex(one, draws=0).run(single).scores_["group"].tolist()
    reverse = EcosystemIndex([one[0]._replace(higher_is_better=False)], draws=0).run(single)
    assert reverse.scores_["group"].tolist() == order[::-1]


@pytest.mark.parametrize("aggregation", EcosystemIndex.aggregations)
def test_contributions_sum_to_the_score(aggregation):
    inds, values = random_table(11, 50, 12)
    index = EcosystemIndex(inds, aggregation=aggregation, weights={TALENT: 3, OPEN: 0.5}, draws=0).run(values)
    total = index.contributions_.sum(axis=1)
    assert total.to_numpy() == pytest.approx(by_group(index.scores_).loc[total.index, "score"].to_numpy())
    assert (index.contributions_.to_numpy() >= 0).all()
    if aggregation == "arithmetic":
        w = index.weights_
        assert index.contributions_[TALENT].to_numpy() == pytest.approx(w[TALENT] * index.pillars_[TALENT].to_numpy())
        assert w[TALENT] == pytest.approx(6 * w[OPEN]) and w[TALENT] == pytest.approx(3 * w["performance"])


def test_geometric_with_a_zero_indicator_is_finite():
    values = three_hubs().fillna(3)
    values.loc["Brno", "graduates"] = 0  # the minimum of graduates: 0 after min-max as well
    index = EcosystemIndex(FOUR, aggregation="geometric", draws=200).run(values)
    scores = index.scores_["score"]
    assert np.isfinite(scores).all() and (scores > 0).all()
    assert np.isfinite(index.pillars_.to_numpy()).all()
    # The floor: the pillars' geometric mean with one indicator at 0 takes it as 1 point (of 100).
    norm_mentors = 100 * (20 - 10) / 30
    assert index.pillars_.loc["Brno", TALENT] == pytest.approx(np.sqrt(norm_mentors * 1.0))
    # Geometric punishes imbalance more than arithmetic does.
    arithmetic = EcosystemIndex(FOUR, draws=0).run(values).scores_["score"]
    assert (scores.to_numpy() <= arithmetic.to_numpy() + 1e-9).all()


@pytest.mark.parametrize("weights, words", [
    ({"talent": 1}, "unknown pillar 'talent'"),
    ({TALENT: -1}, f"pillar '{TALENT}' is negative"),
    ({OPEN: "heavy"}, f"pillar '{OPEN}' must be a number"),
    ({OPEN: float("nan")}, f"pillar '{OPEN}' must be a number"),
])
def test_bad_weights_are_refused_naming_the_pillar(weights, words):
    with pytest.raises(ValueError, match=words) as caught:
        EcosystemIndex(FOUR, weights=weights)
    if "unknown" in words:
        assert all(p in str(caught.value) for p in PILLARS)  # the pillars are listed


def test_every_weight_zero_is_refused():
    with pytest.raises(ValueError, match="weight 0"):
        EcosystemIndex(FOUR, weights={TALENT: 0, OPEN: 0}).run(three_hubs())


@pytest.mark.parametrize("change, words", [
    (lambda v: v.drop(columns="graduates"), "no column for indicator 'graduates'"),
    (lambda v: v.assign(extra=1), "column 'extra' of the values is not one of the indicators"),
    (lambda v: v.assign(mentors=["10", "many", 3]), "indicator 'mentors', group 'Brno': 'many' is not a number"),
    (lambda v: v.assign(mentors=[1, np.inf, 3]), "indicator 'mentors', group 'Brno': the value is infinite"),
    (lambda v: v.rename(index={"Cork": "Alba"}), "group 'Alba' appears more than once"),
    (lambda v: v.iloc[:0], "no group"),
])
def test_bad_values_are_refused_in_words(change, words):
    with pytest.raises(ValueError, match=words):
        EcosystemIndex(FOUR, draws=0).run(change(three_hubs()))


def test_bad_settings_are_refused_in_words():
    with pytest.raises(ValueError, match="unknown normalisation 'logit'"):
        EcosystemIndex(FOUR, normalisation="logit")
    with pytest.raises(ValueError, match="unknown pillar 'culture'"):
        EcosystemIndex([Indicator("x", "culture", "x")])
    with pytest.raises(ValueError, match="draws must be"):
        EcosystemIndex(FOUR, draws=-5)
    with pytest.raises(ValueError, match="'mentors' is given more than once"):
        EcosystemIndex([*FOUR, FOUR[0]])
    empty = three_hubs().assign(mentors=np.nan, graduates=np.nan)
    empty.loc["Alba", ["needs_addressed"]] = np.nan
    with pytest.raises(ValueError, match="group 'Alba' has no value for any indicator"):
        EcosystemIndex(FOUR, impute="none", draws=0).run(empty)
    index = EcosystemIndex(FOUR, draws=0).run(three_hubs().assign(mentors=np.nan))
    assert "No group has a value for 'mentors'" in index.notes_[0]
    assert index.indicators_.set_index("name").loc["mentors", "used"] == False  # noqa: E712


def test_deterministic_for_a_seed():
    inds, values = random_table(5, 60, 10)
    one = EcosystemIndex(inds, draws=500, seed=42).run(values)
    two = EcosystemIndex(inds, draws=500, seed=42).run(values)
    pd.testing.assert_frame_equal(one.scores_, two.scores_)
    pd.testing.assert_frame_equal(one.sensitivity_, two.sensitivity_)
    pd.testing.assert_frame_equal(one.draws_, two.draws_)
    other = EcosystemIndex(inds, draws=500, seed=43).run(values)
    assert not one.draws_.equals(other.draws_)
    pd.testing.assert_frame_equal(one.scores_[["group", "score", "rank"]], other.scores_[["group", "score", "rank"]])


def test_levers_are_what_a_full_recomputation_gives():
    inds, values = random_table(21, 18, 7, missing=0.2)
    for settings_ in ({"normalisation": "minmax"}, {"normalisation": "rank", "aggregation": "geometric"},
                      {"normalisation": "zscore", "impute": "none"}):
        index = EcosystemIndex(inds, draws=0, **settings_).run(values)
        assert not index.levers_.empty
        for lever in index.levers_.itertuples():
            changed = values.copy()
            changed.loc[lever.group, lever.indicator] = lever.to
            again = by_group(EcosystemIndex(inds, draws=0, **settings_).run(changed).scores_)
            before = by_group(index.scores_)
            assert before.loc[lever.group, "rank"] - again.loc[lever.group, "rank"] == lever.rank_gain > 0
            assert again.loc[lever.group, "score"] - before.loc[lever.group, "score"] == pytest.approx(
                lever.score_gain)
        assert index.levers_.groupby("group").size().max() <= 2


def test_sensitivity_shares_follow_what_varies():
    inds, values = random_table(9, 80, 14)
    only_norm = EcosystemIndex(inds, draws=1500, vary=("normalisation",)).run(values)
    shares = only_norm.sensitivity_.set_index("choice")["share"]
    assert shares["weights"] == 0 and shares["aggregation"] == 0 and shares["normalisation"] > 0.9
    only_weights = EcosystemIndex(inds, draws=1500, vary=("weights",), concentration=5).run(values)
    shares = only_weights.sensitivity_.set_index("choice")["share"]
    assert shares["weights"] > 0.3 and shares["normalisation"] == 0 and shares["aggregation"] == 0
    assert len(only_weights.draws_) == 1500 and set(only_weights.draws_["normalisation"]) == {"minmax"}
    every = EcosystemIndex(inds, draws=1500).run(values).sensitivity_["share"]
    assert ((every >= 0) & (every <= 1)).all() and every.sum() <= 1.05


def test_progress_is_reported_and_weights_centre_the_draws():
    inds, values = random_table(2, 30, 7)
    seen = []
    index = EcosystemIndex(inds, draws=4500, weights={"performance": 4}, seed=3).run(
        values, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (4500, 4500) and len(seen) == 3
    mean = index.draws_[list(index.weights_)].mean()
    assert mean.to_numpy() == pytest.approx(np.array(list(index.weights_.values())), abs=0.01)
    assert index.weights_["performance"] == pytest.approx(0.4)

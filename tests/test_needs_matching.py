"""Needs matched to offers (match/needs.py) and the gap finder's and recommendations' use of it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecotone.match.needs import BROADER, STATUSES, VOCABULARY, NeedMatcher, canonical, in_words, normalise
from ecotone.services import analysis
from ecotone.services import recommend as recommend_service

DEMO_OFFERS = ["clinical validation", "clinical pilots", "funding", "mentorship", "office space", "regulatory advice",
               "AI software", "telemedicine", "research", "talent", "biotech", "diagnostic"]


# -- the vocabulary -------------------------------------------------------------------------------------------------
def test_every_synonym_names_its_own_term_and_broader_terms_exist():
    for term, words in VOCABULARY.items():
        assert canonical(term) == term
        for w in words:
            assert canonical(w) == term, (w, canonical(w), term)
    assert set(BROADER) <= set(VOCABULARY) and set(BROADER.values()) <= set(VOCABULARY)


@pytest.mark.parametrize("text, term", [
    ("Seed Funding", "seed funding"), ("seed-funding", "seed funding"), ("SEED FUNDINGS", "seed funding"),
    ("Pre-seed", "pre-seed funding"), ("Séries A", "series a funding"), ("series-A round", "series a funding"),
    ("investor", "funding"), ("Investors", "funding"), ("Hospital partner", "clinical validation"),
    ("clinical validation sites", "clinical validation"), ("Mentoría", None), ("mentoring", "mentorship"),
    ("régulatory advice", "regulatory advice"), ("clinical studies", "clinical validation"),
    ("therapies", None), ("internationalisation", "international markets"),
    ("internationalization", "international markets"), ("looking for investors in Spain", "funding"),
    ("access to seed funding for our cardiology startup", "seed funding"), ("hiring in Catalonia", "talent"),
    ("mentoirng", "mentorship"), ("clinical validaton", "clinical validation"), ("regulatroy advice", "regulatory advice"),
    ("clinical trials funding", None), ("insurance app store", None), ("", None), ("   ", None),
])
def test_canonical_folds_case_accents_plurals_openings_tails_and_typos(text, term):
    assert canonical(text) == term


def test_normalise_is_idempotent_and_folds():
    for text in ["Hospital Partners", "Clínicas", "R&D", "pre-seed", "  series   A "]:
        assert normalise(normalise(text)) == normalise(text)
    assert normalise("Clínicas") == normalise("clinicas") == "clinica"


# -- the matcher ----------------------------------------------------------------------------------------------------
def test_statuses_scores_and_offers():
    m = NeedMatcher().fit(DEMO_OFFERS * 3 + ["Funding"])
    out = m.match(["seed funding", "hospital partners", "digital tools", "clinical insight", "deal flow",
                   "clinical validation", "Clinical Validation", "series A funding", "workflow software"])
    rows = {r["need"]: r for r in out.to_dict("records")}
    assert len(out) == 9 and list(out.columns) == ["need", "term", "offer", "score", "status"]
    assert rows["seed funding"]["status"] == "matched" and rows["seed funding"]["offer"] == "funding"  # 3 × vs 1 ×
    assert rows["hospital partners"]["offer"] == "clinical validation" and rows["hospital partners"]["score"] == 1
    assert rows["digital tools"]["status"] == "matched"  # telemedicine and AI software are digital tools
    assert rows["digital tools"]["offer"] in ("telemedicine", "AI software")
    weak = rows["clinical insight"]
    assert weak["status"] == "weak" and m.weak <= weak["score"] < m.strong and weak["offer"].startswith("clinical")
    assert rows["deal flow"]["status"] == "none" and rows["deal flow"]["offer"] is None
    assert rows["deal flow"]["score"] < m.weak
    for need in ("clinical validation", "Clinical Validation"):  # identical to an offer: matched, score 1
        assert (rows[need]["status"], rows[need]["score"], rows[need]["offer"]) == ("matched", 1.0,
                                                                                  "clinical validation")
    # the vocabulary knows AI software and workflow software as different things: at most weak, however alike
    assert rows["workflow software"]["status"] == "weak" and rows["workflow software"]["offer"] == "AI software"
    assert in_words("weak", weak["score"], weak["offer"]) == f"weak ({weak['score']:.2f}): resembles {weak['offer']}"


def test_unknown_phrases_match_by_resemblance_only():
    m = NeedMatcher().fit(["HL7 FHIR interoperability", "3D printing", "funding"])
    out = m.match(["FHIR interoperability", "HL7 FHIR interoperabilty", "3D printed splints", "blockchain"])
    assert out["status"].tolist()[:2] == ["matched", "matched"] and (out["score"][:2] < 1).all()
    assert out["offer"][0] == "HL7 FHIR interoperability"
    assert out["status"][3] == "none" and out["offer"][3] is None


def test_a_need_identical_to_any_offer_is_matched_with_score_one():
    offers = ["HL7 FHIR interoperability", "packaging press coverage", "seed funding", "Clínicas"]
    m = NeedMatcher().fit(offers)
    out = m.match(offers)
    assert (out["status"] == "matched").all() and (out["score"] == 1.0).all()
    assert out["offer"].tolist() == offers


def test_empty_inputs_and_bad_thresholds():
    assert NeedMatcher().fit([]).match(["seed funding"])["status"].tolist() == ["none"]
    assert NeedMatcher().fit(["funding"]).match([]).empty
    out = NeedMatcher().fit(["funding"]).match([None, "", "  "])
    assert out["status"].tolist() == ["none"] * 3 and len(out) == 3
    with pytest.raises(ValueError, match="weak ≤ strong"):
        NeedMatcher(strong=0.2, weak=0.5)
    with pytest.raises(RuntimeError, match="fit"):
        NeedMatcher().match(["x"])


PHRASES = [w for words in list(VOCABULARY.values())[::3] for w in words[:3]] + [
    "HL7 FHIR", "3D printing", "blockchain consent", "press coverage", "seed fundng", "clinical validaton for ICU",
    "investors in Poland", "robotic surgery", "home care", "digital toolz"]
phrase = st.one_of(st.sampled_from(PHRASES), st.text(alphabet="abcdeilnorstu -", min_size=0, max_size=14))


@settings(max_examples=25, deadline=None)
@given(offers=st.lists(phrase, min_size=0, max_size=25), needs=st.lists(phrase, min_size=1, max_size=12),
       seed=st.integers(0, 2**16))
def test_match_is_the_pair_definition_and_ignores_the_order_of_offers(offers, needs, seed):
    m = NeedMatcher(chunk_cells=7).fit(offers)  # tiny chunks: the chunked path is the one checked
    out = m.match(needs)
    shuffled = list(offers)
    np.random.default_rng(seed).shuffle(shuffled)
    again = NeedMatcher().fit(shuffled).match(needs)
    assert out.equals(again)
    scores, status = m.grid(needs)
    for r, row in enumerate(out.to_dict("records")):
        # the best offer by (status, score), as pair() scores each offer in plain Python
        pairs = [m.pair(row["need"], o) for o in m.offers_]
        assert np.allclose([p[0] for p in pairs], scores[r]) if pairs else True
        assert [STATUSES.index(p[1]) for p in pairs] == status[r].tolist()
        best = min(pairs, key=lambda p: (STATUSES.index(p[1]), -p[0]), default=(0.0, "none"))
        assert row["status"] == best[1]
        if row["status"] != "none":
            assert row["score"] == pytest.approx(best[0], abs=1e-3)
            assert m.pair(row["need"], row["offer"]) == pytest.approx(best, abs=1e-9) or \
                m.pair(row["need"], row["offer"])[1] == best[1]
        else:
            assert row["offer"] is None
    # one row per need, whatever the other needs of the batch
    alone = m.match(needs[:1])
    assert alone.iloc[0].to_dict() == out.iloc[0].to_dict()


def test_scales_to_many_distinct_phrases():
    rng = np.random.default_rng(3)
    words = ["clinical", "funding", "seed", "hospital", "data", "ai", "lab", "space", "partner", "market",
             "reimbursement", "regulatory", "advice", "pilot", "talent", "cardiology", "icu", "device"]
    offers = [" ".join(rng.choice(words, 3)) for _ in range(3000)]
    needs = [" ".join(rng.choice(words, 2)) + f" {i % 50}" for i in range(3000)]
    out = NeedMatcher(chunk_cells=50_000).fit(offers).match(needs)
    assert len(out) == 3000 and set(out["status"]) <= set(STATUSES)
    assert (out.loc[out["status"] == "matched", "score"] >= 0.6).all()


# -- on the demo atlas, through the services ------------------------------------------------------------------------
def test_every_stated_need_of_the_demo_is_accounted_for(demo_atlas):
    orgs = demo_atlas.frame("organization", ["needs", "offers"])
    stated = {normalise(n) for v in orgs["needs"] for n in v or []}
    result = analysis.gaps(demo_atlas)
    needs = {normalise(r["need"]): r for r in result.tables["needs"]}
    assert set(needs) == stated and len(stated) >= 16  # none dropped
    mentions = sum(len(v or []) for v in orgs["needs"])
    assert sum(r["actors"] for r in needs.values()) == mentions
    assert result.summary["stated_needs"] == len(stated)
    assert (result.summary["needs_matched"] + result.summary["needs_weak"]
            + result.summary["needs_without_provider"]) == len(stated)
    for r in needs.values():
        assert r["status"] in STATUSES and r["match"] == in_words(r["status"], r["score"], r["offer"])
        assert (r["providers"] > 0) == (r["status"] != "none")
    seed = needs["seed funding"]
    assert seed["status"] == "matched" and seed["offer"] == "funding"
    investors = set(orgs.loc[orgs["offers"].map(lambda v: "funding" in (v or [])), "id"])
    assert seed["providers"] == len(investors) > 0
    hospital = needs["hospital partner"]
    assert hospital["status"] == "matched" and hospital["offer"] == "clinical validation"
    assert needs["deal flow"]["match"] == "no provider anywhere"
    weak = [r for r in needs.values() if r["status"] == "weak"]
    assert weak and all(0.3 <= r["score"] < 0.6 and r["match"].startswith("weak (") for r in weak)
    # the unreached rows of stated needs say how the need was matched
    stated_rows = [u for u in result.tables["unreached"] if u["need"].startswith("stated: ")]
    assert stated_rows and all(u["match"] == needs[normalise(u["need"][8:])]["match"] for u in stated_rows)
    assert {u["need"][8:] for u in stated_rows} >= {"seed funding"}


def test_recommendations_say_how_each_stated_need_is_met(demo_atlas):
    orgs = demo_atlas.frame("organization", ["name", "type", "needs", "stage"])
    seeker = orgs[(orgs["type"] == "startup") & orgs["needs"].map(lambda v: "seed funding" in (v or []))].iloc[0]
    result = recommend_service.recommend(demo_atlas, organizations=[seeker["name"]], stage="market_launch", top=15)
    needs = result.tables["needs"]
    assert {r["need"] for r in needs} == set(seeker["needs"])
    assert all(r["seeker"] == seeker["name"] and r["status"] in STATUSES for r in needs)
    seed = next(r for r in needs if r["need"] == "seed funding")
    assert seed["status"] == "matched" and seed["offer"] == "funding"
    recs = result.tables["recommendations"]
    offering = set(demo_atlas.frame("organization", ["offers"]).pipe(
        lambda f: f.loc[f["offers"].map(lambda v: "funding" in (v or [])), "id"]))
    said = [r for r in recs if "seed funding (matched: funding)" in r["explanation"]]
    assert said and {r["partner_id"] for r in said} == {r["partner_id"] for r in recs if r["partner_id"] in offering}
    assert seed["recommended"] == len(said)

"""Partnering: text similarity against scikit-learn, recommendations (vectorised = pair by pair, the seed's case),
scorecards on the demo, rating and KPI files, batch matching and event scheduling (property-based), introductions."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from ecotone.domain import Organization, Stage, Tie
from ecotone.domain.problems import InputRejected
from ecotone.match.assign import optimal_assignment, stable_matching
from ecotone.match.recommend import PARTS, Seeker
from ecotone.match.schedule import EventScheduler, Meeting
from ecotone.match.text import Tfidf, tokens
from ecotone.services import partnering
from ecotone.services.recommend import recommend, recommender

POLISH_STARTUP = "Medical Innovation Institute Pulmolabs"  # the demo's Polish medtech startup at clinical validation


def test_tfidf_matches_scikit_learn(cordis_atlas):
    names = cordis_atlas.frame("organization", ["name"])["name"].head(2000).tolist()
    ours = Tfidf().fit(names)
    theirs = TfidfVectorizer(sublinear_tf=True, tokenizer=tokens, lowercase=False, token_pattern=None).fit(names)
    order = [ours.vocabulary_[w] for w in theirs.get_feature_names_out()]
    a, b = theirs.transform(names).toarray(), ours.transform(names).toarray()[:, order]
    assert a.shape == b.shape and np.abs(a - b).max() < 1e-12


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from ecotone.services.demo import build_demo
    from ecotone.store import Atlas

    path = tmp_path_factory.mktemp("match") / "demo.db"
    with Atlas.open(str(path)) as atlas:
        build_demo(atlas)
    return str(path)


@pytest.fixture
def demo(demo_db):
    from ecotone.store import Atlas

    with Atlas.open(demo_db) as atlas:
        yield atlas


def test_the_polish_startup_gets_barcelona_clinicians_and_hospitals_explained(demo_atlas):
    result = pd.DataFrame(recommend(demo_atlas, organizations=[POLISH_STARTUP], top=10).tables["recommendations"])
    barcelona = result[result["hub"] == "Barcelona Health Hub"]
    assert {"clinician", "hospital"} <= set(barcelona["type"])
    assert result["rank"].tolist() == list(range(1, 11))
    assert (result["score"].diff().dropna() <= 1e-12).all()
    assert result["explanation"].str.contains("clinical validation stage needs").all()
    assert barcelona["explanation"].str.contains("your hubs are joined by").all()
    assert set(result["type"]) <= {"clinician", "hospital", "clinic"}
    # never someone it already works with
    startup = demo_atlas.organization_id(POLISH_STARTUP)
    ties = demo_atlas.find(Tie, organization=startup, limit=None).items
    tied = {t.source_id for t in ties} | {t.target_id for t in ties}
    assert not set(result.loc[result["partner_kind"] == "organization", "partner_id"]) & tied


def test_vectorised_scores_equal_the_pair_by_pair_definition(demo):
    model = recommender(demo, top=500, cross_border=0.8)
    seekers = [Seeker(model.p.snapshot.position(o.id), Stage(o.stage), o.name)
               for o in demo.find(Organization, type="startup", limit=None).items if o.stage][:12]
    table = model.recommend(seekers)
    for seeker in seekers:
        mine = table[table["seeker"] == seeker.label]
        idx, _ = model.candidates(seeker.stage)
        expected = {}
        for c in idx:
            pair = model.pair_score(seeker, c)
            if pair is not None:
                expected[(model.p.kind[c], int(model.p.ids[c]))] = pair
        assert len(mine) == len(expected)  # every candidate not tied is ranked, the tied ones are not
        for row in mine.itertuples():
            score, parts = expected[(row.partner_kind, row.partner_id)]
            assert row.score == pytest.approx(score, abs=1e-9)
            for p in PARTS:
                assert getattr(row, p) == pytest.approx(parts[p], abs=1e-9)


def test_cross_border_preference_moves_partners_abroad(demo):
    home = pd.DataFrame(recommend(demo, organizations=[POLISH_STARTUP], top=5, cross_border=0.0)
                        .tables["recommendations"])
    abroad = pd.DataFrame(recommend(demo, organizations=[POLISH_STARTUP], top=5, cross_border=1.0)
                          .tables["recommendations"])
    assert (home["hub"] == "Medical Innovation Institute").sum() > (abroad["hub"] == "Medical Innovation Institute").sum()
    assert (abroad["hub"] != "Medical Innovation Institute").all()


def test_bad_recommendation_requests_are_explained(demo):
    with pytest.raises(InputRejected, match="cross_border"):
        recommend(demo, organizations=[POLISH_STARTUP], cross_border=2)
    with pytest.raises(InputRejected) as err:
        recommend(demo, organizations=["Medical Innovation Institute"])
    assert "--stage" in str(err.value.problems[0])


def test_scorecard_of_the_demo_partnership(demo_atlas):
    result = partnering.evaluate(demo_atlas, "Polish–Spanish")
    assert result.summary["evaluators"] == 2
    assert result.summary["verdict"] == "pursue_with_conditions"
    indicators = pd.DataFrame(result.tables["indicators"])
    assert set(indicators["criterion"]) == {"strategic_alignment", "complementary_capabilities", "cultural_fit",
                                            "impact_measurement"}
    assert indicators["evidence"].str.len().min() > 5
    on_track = indicators[indicators["indicator"].str.startswith("KPIs on track")].iloc[0]
    assert on_track["value"] == pytest.approx(np.mean([3 / 6, 5 / 10, (12 - 9) / (12 - 6)]), abs=1e-3)
    agreement = pd.DataFrame(result.tables["agreement"])
    assert set(agreement.loc[agreement["status"] == "conflict", "question"]) == {"F3", "I2"}
    assert any("conflict on F3" in r["reason"] for r in result.tables["reasons"])
    history = pd.DataFrame(result.tables["history"])
    assert history["evaluators"].tolist() == [1, 2]
    criteria = pd.DataFrame(result.tables["criteria"]).set_index("criterion")
    assert result.summary["total"] == pytest.approx(criteria["score"].mean(), abs=0.01)


def test_ratings_file_is_atomic_names_row_and_column_and_is_idempotent(demo_atlas, tmp_path):
    good = tmp_path / "ratings.csv"
    good.write_text("Evaluator,Date,Question,Score,Evidence\n"
                    "Clinical lead,2026-09-01,A1,4,joint protocol\nClinical lead,2026-09-01,F3,3,\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("Evaluator,Date,Question,Score\nClinical lead,2026-09-01,A1,7\nClinical lead,2026-09-01,Z1,3\n",
                   encoding="utf-8")
    before = partnering.evaluate(demo_atlas, "Polish–Spanish").summary
    with pytest.raises(InputRejected) as err:
        partnering.record_ratings(demo_atlas, "Polish–Spanish", bad)
    located = {(p.row, p.column) for p in err.value.problems}
    assert located == {(2, "Score"), (3, "Question")}
    assert partnering.evaluate(demo_atlas, "Polish–Spanish").summary == before
    first = partnering.record_ratings(demo_atlas, "Polish–Spanish", good)
    assert first.created["assessment"] == 1 and first.created["rating"] == 2
    assert not partnering.record_ratings(demo_atlas, "Polish–Spanish", good).changed
    assert partnering.evaluate(demo_atlas, "Polish–Spanish").summary["evaluators"] == 3


def test_kpi_file_records_targets_and_actuals(demo, tmp_path):
    path = tmp_path / "kpis.csv"
    path.write_text("KPI,Target,Unit,Direction,Date,Actual\npatients reached,500,patients,increase,2026-08-01,125\n"
                    "patients reached,500,patients,increase,2026-10-01,250\n", encoding="utf-8")
    report = partnering.record_kpis(demo, "Polish–Spanish", path, dry_run=True)
    assert report.created["kpi"] == 1 and report.created["kpi_actual"] == 2
    kpis = pd.DataFrame(partnering.evaluate(demo, "Polish–Spanish").tables["kpis"])
    assert "patients reached" not in set(kpis["name"])  # the dry run wrote nothing


# -- batch matching --------------------------------------------------------------------------------------------
@st.composite
def markets(draw):
    applicants = [f"a{i}" for i in range(draw(st.integers(1, 6)))]
    sites = [f"s{i}" for i in range(draw(st.integers(1, 4)))]
    a_ranks = {a: draw(st.permutations(sites).map(lambda p: p[: draw(st.integers(0, len(sites)))]))
               for a in applicants}
    s_ranks = {s: draw(st.permutations(applicants).map(lambda p: p[: draw(st.integers(0, len(applicants)))]))
               for s in sites}
    capacity = {s: draw(st.integers(0, 2)) for s in sites}
    return a_ranks, s_ranks, capacity


def _blocking(a_ranks, s_ranks, capacity, site_of):
    for a, ranked in a_ranks.items():
        for s in ranked:
            if a not in s_ranks[s]:
                continue
            if site_of.get(a) is not None and ranked.index(site_of[a]) <= ranked.index(s):
                continue
            members = [x for x, y in site_of.items() if y == s]
            if len(members) < capacity[s] or any(s_ranks[s].index(a) < s_ranks[s].index(m) for m in members):
                return a, s
    return None


@settings(max_examples=150, deadline=None)
@given(markets())
def test_stable_matching_is_stable_within_capacity_and_applicant_optimal(market):
    a_ranks, s_ranks, capacity = market
    matches, unmatched = stable_matching(a_ranks, s_ranks, capacity)
    site_of = dict(zip(matches["applicant"], matches["site"]))
    assert _blocking(a_ranks, s_ranks, capacity, site_of) is None
    assert all((matches["site"] == s).sum() <= capacity[s] for s in s_ranks)
    assert set(site_of) | set(unmatched["applicant"]) == set(a_ranks)
    # applicant-optimal: no stable matching gives any applicant a site it ranks higher (brute force)
    pairs = [(a, s) for a in a_ranks for s in a_ranks[a] if a in s_ranks[s]]
    for k in range(len(pairs) + 1):
        for chosen in itertools.combinations(pairs, k):
            other = dict(chosen)
            if len(other) < k or any(sum(1 for s in other.values() if s == t) > capacity[t] for t in s_ranks):
                continue
            if _blocking(a_ranks, s_ranks, capacity, other) is None:
                for a, s in other.items():
                    assert a in site_of and a_ranks[a].index(site_of[a]) <= a_ranks[a].index(s)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 5), st.integers(1, 3), st.data())
def test_optimal_assignment_equals_brute_force(n_apps, n_sites, data):
    capacity = {f"s{j}": data.draw(st.integers(0, 2)) for j in range(n_sites)}
    rows = [{"applicant": f"a{i}", "site": f"s{j}", "score": data.draw(st.integers(0, 9)) / 10}
            for i in range(n_apps) for j in range(n_sites) if data.draw(st.booleans())]
    scores = pd.DataFrame(rows, columns=["applicant", "site", "score"])
    matches, unmatched = optimal_assignment(scores, capacity)
    best = 0.0
    options = {a: [(r["site"], r["score"]) for r in rows if r["applicant"] == a and r["score"] > 0]
               for a in {r["applicant"] for r in rows}}
    for choice in itertools.product(*[[None, *o] for o in options.values()]):
        used = [c[0] for c in choice if c]
        if all(used.count(s) <= capacity[s] for s in set(used)):
            best = max(best, sum(c[1] for c in choice if c))
    assert matches["score"].sum() == pytest.approx(best)
    assert len(matches) + len(unmatched) == len({r["applicant"] for r in rows})


# -- event scheduling --------------------------------------------------------------------------------------------
@st.composite
def events(draw):
    people = [f"p{i}" for i in range(draw(st.integers(2, 9)))]
    slots = list(range(1, draw(st.integers(1, 5)) + 1))
    available = {p: set(draw(st.lists(st.sampled_from(slots), unique=True))) for p in people}
    pairs = draw(st.lists(st.tuples(st.sampled_from(people), st.sampled_from(people)).filter(lambda t: t[0] < t[1]),
                          unique=True, max_size=20))
    meetings = [Meeting(a, b, draw(st.integers(1, 3)), draw(st.booleans())) for a, b in pairs]
    return meetings, slots, available, draw(st.integers(1, 4))


def _check_agenda(s, meetings, slots, available, tables):
    agenda = s.agenda_
    for _, group in agenda.groupby("slot"):
        people = group["a"].tolist() + group["b"].tolist()
        assert len(people) == len(set(people))  # nobody double-booked
        assert len(group) <= tables and sorted(group["table"]) == list(range(1, len(group) + 1))
    for row in agenda.itertuples():
        assert row.slot in slots and row.slot in available[row.a] and row.slot in available[row.b]
    placed = set(zip(agenda["a"], agenda["b"]))
    assert len(placed) == len(agenda)  # each meeting at most once
    assert placed | set(zip(s.unscheduled_["a"], s.unscheduled_["b"])) == {(m.a, m.b) for m in meetings}
    assert s.objective_ <= s.bound_ + 1e-9


@settings(max_examples=80, deadline=None)
@given(events())
def test_agendas_never_double_book_and_respect_availability(event):
    meetings, slots, available, tables = event
    greedy = EventScheduler(method="greedy").run(meetings, slots, available, tables=tables)
    exact = EventScheduler(method="cp-sat", time_limit=10).run(meetings, slots, available, tables=tables)
    for s in (greedy, exact):
        _check_agenda(s, meetings, slots, available, tables)
    assert exact.objective_ >= greedy.objective_
    if exact.status_ == "optimal":
        assert exact.objective_ == pytest.approx(exact.bound_)


def _workbook(path, requests, tables_extra=()):
    import openpyxl

    book = openpyxl.Workbook()
    people = book.active
    people.title = "Participants"
    people.append(["Name", "Organisation", "Available"])
    for row in [("Ana Ruiz", "Hospital Clínic", ""), ("Marek Nowak", "Kardio, sp. z o.o.", "S1|S2"),
                ("Lea Vogel", "BfArM", "S2"), *tables_extra]:
        people.append(list(row))
    slots = book.create_sheet("Slots")
    slots.append(["Slot", "Start", "End"])
    slots.append(["S1", "2026-03-12 09:00", "2026-03-12 09:30"])
    slots.append(["S2", "2026-03-12 09:30", "2026-03-12 10:00"])
    reqs = book.create_sheet("Requests")
    reqs.append(["From", "To", "Priority"])
    for r in requests:
        reqs.append(list(r))
    book.save(path)


def test_event_workbook_to_agendas_read_by_a_calendar_library(tmp_path):
    import icalendar

    path = tmp_path / "event.xlsx"
    _workbook(path, [("Ana Ruiz", "Marek Nowak", "must meet"), ("Marek Nowak", "Ana Ruiz", "meet"),
                     ("Lea Vogel", "Marek Nowak", "nice to meet"), ("Lea Vogel", "Ana Ruiz", "meet")])
    result = partnering.schedule(path, tmp_path / "out", tables=1, method="cp-sat")
    assert result.summary["scheduled"] == 2 and result.summary["solver"] == "optimal"
    assert result.tables["unscheduled"][0]["reason"].startswith("Lea Vogel and Marek Nowak")
    cal = icalendar.Calendar.from_ical((tmp_path / "out" / "agendas" / "Marek_Nowak.ics").read_bytes())
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    assert str(events[0]["SUMMARY"]) == "Meeting with Ana Ruiz (Hospital Clínic)"
    assert events[0].decoded("DTSTART").isoformat() == "2026-03-12T09:00:00+00:00"  # no time zone given: UTC
    agenda = pd.read_csv(tmp_path / "out" / "agenda.csv")
    assert set(agenda["participant"]) == {"Ana Ruiz", "Marek Nowak", "Lea Vogel"}
    assert pd.read_excel(tmp_path / "out" / "agenda.xlsx", sheet_name="Unscheduled").shape[0] == 1


def test_bad_event_workbook_names_sheet_row_and_column(tmp_path):
    path = tmp_path / "event.xlsx"
    _workbook(path, [("Ana Ruiz", "Marek Nowak", "urgent"), ("Ana Ruiz", "Nobody", "meet")],
              [("Zoe", "X", "S9")])
    with pytest.raises(InputRejected) as err:
        partnering.schedule(path, tmp_path / "out", tables=2)
    found = {(p.sheet, p.row, p.column) for p in err.value.problems}
    assert found == {("Requests", 2, "Priority"), ("Requests", 3, "To"), ("Participants", 5, "Available")}
    assert not (tmp_path / "out").exists()


def test_assign_from_files(tmp_path):
    prefs = tmp_path / "prefs.csv"
    prefs.write_text("applicant,site,applicant_rank,site_rank\nKardio,Clínic,1,2\nNeuro,Clínic,1,1\n"
                     "Kardio,Sant Pau,2,1\n", encoding="utf-8")
    caps = tmp_path / "caps.csv"
    caps.write_text("site,capacity\nClínic,1\nSant Pau,1\n", encoding="utf-8")
    result = partnering.assign(prefs, caps)
    assert result.summary["method"] == "stable"
    assert {(m["applicant"], m["site"]) for m in result.tables["matches"]} == {("Kardio", "Sant Pau"), ("Neuro", "Clínic")}
    caps.write_text("site,capacity\nClínic,one\n", encoding="utf-8")
    with pytest.raises(InputRejected) as err:
        partnering.assign(prefs, caps)
    assert (err.value.problems[0].row, err.value.problems[0].column) == (2, "capacity")


def test_introductions_funnel_on_the_demo(demo):
    overall = partnering.introductions(demo).tables["funnel"][0]
    assert overall["introductions"] >= overall["meetings"] >= overall["pilots"] >= overall["partnerships"] >= 1
    by_pair = pd.DataFrame(partnering.introductions(demo, by="hub_pair").tables["funnel"])
    # the brokerage events join the Polish institute to Spanish hubs; the one pair inside a hub is the Barcelona
    # challenge's winner introduced to a hospital of its own hub (its follow-up)
    inside = by_pair["hub_pair"] == "Barcelona Health Hub – Barcelona Health Hub"
    assert inside.sum() == 1 and by_pair.loc[inside, "pilots"].item() == 1
    assert by_pair.loc[~inside, "hub_pair"].str.contains("Medical Innovation Institute").all()
    with pytest.raises(InputRejected):
        partnering.introductions(demo, by="colour")


def test_match_commands_print_table_json_and_csv(demo_db, capsys, tmp_path):
    import json

    from ecotone.cli import main

    def run(*args):
        code = main(["--db", demo_db, *args])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    code, out, _ = run("match", "recommend", "--org", POLISH_STARTUP, "--top", "3", "--format", "json")
    assert code == 0 and len(json.loads(out)["recommendations"]) == 3
    code, out, _ = run("match", "evaluate", "bridge", "--show", "reasons", "--format", "csv")
    assert code == 0 and out.startswith("reason")
    code, out, _ = run("match", "intros", "--by", "event", "--format", "csv")
    assert code == 0 and "matchmaking day" in out
    code, _, err = run("match", "evaluate", "no such partnership")
    assert code == 1 and "Polish–Spanish" in err
    code, _, err = run("match", "recommend", "--org", POLISH_STARTUP, "--weight", "charm=2")
    assert code == 1 and "charm" in err

"""Challenges, grants and competitions: the service, the command line and the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient

from conftest import bearer
from ecotone.domain import Hub, Innovation, Organization
from ecotone.domain.access import ANONYMOUS, Principal, Role
from ecotone.domain.innovation import Judge, Score, Submission
from ecotone.domain.problems import InputRejected
from ecotone.services import challenges as ch
from ecotone.services.accounts import add_user
from ecotone.store.atlas import Forbidden, NotFound

TODAY = dt.date.today()
OPENS, CLOSES, JUDGED = TODAY - dt.timedelta(days=30), TODAY + dt.timedelta(days=10), TODAY + dt.timedelta(days=40)


def _world(atlas, visibility="public"):
    """A hub with a sponsor hospital, two startups (one with an innovation), a corporate and a challenge."""
    hub = atlas.add(Hub(name="Barcelona", visibility="public"))
    other = atlas.add(Hub(name="Houston", visibility="public"))
    orgs = atlas.add_all([Organization(name=n, type=t, hub_id=hub.id, visibility="public") for n, t in
                          [("Clínic", "hospital"), ("Cardia Labs", "startup"), ("Pulmo AI", "startup"),
                           ("MegaCorp", "corporate")]])
    atlas.add(Innovation(name="HeartWatch", organization_id=orgs[1].id, visibility="public"))
    program = ch.add(atlas, {"name": "Heart failure at home", "sponsor": "Clínic", "start_date": OPENS,
                             "closes_on": CLOSES, "judged_by": JUDGED, "prize": 50000,
                             "rubric": {"clinical impact": 2, "feasibility": 1}, "eligibility": "startups and SMEs",
                             "visibility": visibility, "owner_kind": "hub", "owner_id": hub.id})
    return hub, other, orgs, program


def _judging_over(atlas, program_id):
    """Move the challenge's closing and judging into the past, as the calendar would once judging is over."""
    from ecotone.domain import Program
    from ecotone.services import registry

    registry.update(atlas, Program, program_id, {"closes_on": TODAY - dt.timedelta(2),
                                                 "judged_by": TODAY - dt.timedelta(1)})


def _judged(atlas):
    hub, other, orgs, program = _world(atlas)
    ch.submit(atlas, program.id, organization="Cardia Labs", title="Remote monitoring", innovation="HeartWatch")
    ch.submit(atlas, program.id, organization="Pulmo AI", title="Breath sensor")
    ch.add_judge(atlas, program.id, name="Dr. Puig", organization="Clínic")
    ch.add_judge(atlas, program.id, name="Ms. Vidal", conflicts=["Cardia Labs"])  # advises Cardia Labs
    ch.add_judge(atlas, program.id, name="Mr. Roca")
    rows = [{"judge": j, "submission": s, "criterion": c, "value": v} for j, s, c, v in [
        ("Dr. Puig", "Remote monitoring", "clinical impact", 9), ("Dr. Puig", "Remote monitoring", "feasibility", 8),
        ("Dr. Puig", "Breath sensor", "clinical impact", 5), ("Dr. Puig", "Breath sensor", "feasibility", 6),
        ("Mr. Roca", "Remote monitoring", "clinical impact", 7), ("Mr. Roca", "Remote monitoring", "feasibility", 7),
        ("Mr. Roca", "Breath sensor", "clinical impact", 4), ("Mr. Roca", "Breath sensor", "feasibility", 5),
        ("Ms. Vidal", "Breath sensor", "clinical impact", 6), ("Ms. Vidal", "Breath sensor", "feasibility", 6)]]
    ch.score(atlas, program.id, rows)
    return hub, other, orgs, program


def test_submissions_are_refused_in_words(atlas):
    hub, other, orgs, program = _world(atlas)
    with pytest.raises(InputRejected) as late:
        ch.submit(atlas, program.id, organization="Pulmo AI", title="Too late", submitted_on=CLOSES + dt.timedelta(1))
    assert f"closed to submissions on {CLOSES}" in late.value.problems[0].reason
    with pytest.raises(InputRejected) as corp:
        ch.submit(atlas, program.id, organization="MegaCorp", title="Not a startup")
    assert "not eligible" in corp.value.problems[0].reason and "MegaCorp is a corporate" in corp.value.problems[0].reason
    with pytest.raises(InputRejected) as sponsor:
        ch.submit(atlas, program.id, organization="Clínic", title="Our own")
    assert "sponsors" in sponsor.value.problems[0].reason
    with pytest.raises(InputRejected) as foreign:
        ch.submit(atlas, program.id, organization="Pulmo AI", title="X", innovation="HeartWatch")
    assert "Pulmo AI has no innovation 'HeartWatch'" in foreign.value.problems[0].reason
    ch.submit(atlas, program.id, organization="Pulmo AI", title="Breath sensor")
    with pytest.raises(InputRejected, match="already entered"):
        ch.submit(atlas, program.id, organization="Pulmo AI", title="Again")
    assert atlas.count(Submission) == 1


def test_conflicted_and_late_scores_are_refused_with_the_reason(atlas):
    hub, other, orgs, program = _judged(atlas)
    before = atlas.count(Score)
    with pytest.raises(InputRejected) as conflicted:
        ch.score(atlas, program.id, [{"judge": "Ms. Vidal", "submission": "Remote monitoring",
                                      "criterion": "feasibility", "value": 2}])
    assert "Ms. Vidal declared a conflict with Cardia Labs" in conflicted.value.problems[0].reason
    ch.add_judge(atlas, program.id, name="Dr. Sol", organization="Pulmo AI")
    with pytest.raises(InputRejected) as employer:
        ch.score(atlas, program.id, [{"judge": "Dr. Sol", "submission": "Breath sensor", "criterion": "feasibility",
                                      "value": 2}])
    assert "Dr. Sol works for Pulmo AI" in employer.value.problems[0].reason
    with pytest.raises(InputRejected) as criterion:
        ch.score(atlas, program.id, [{"judge": "Mr. Roca", "submission": "Breath sensor", "criterion": "design",
                                      "value": 5}])
    assert "'design' is not in the rubric" in criterion.value.problems[0].reason
    with pytest.raises(InputRejected) as ended:
        ch.score(atlas, program.id, [{"judge": "Mr. Roca", "submission": "Breath sensor",
                                      "criterion": "feasibility", "value": 5}], today=JUDGED + dt.timedelta(1))
    assert f"judging of Heart failure at home ended on {JUDGED}" in ended.value.problems[0].reason
    assert atlas.count(Score) == before  # all or nothing: nothing written by a refused batch


def test_results_rank_openly_and_award_follows_up(atlas):
    hub, other, orgs, program = _judged(atlas)
    result = ch.results(atlas, program.id)
    ranking = result.tables["ranking"]
    # both unconflicted judges put Remote monitoring first; Ms. Vidal's scores of it would not count anyway
    assert [r["title"] for r in ranking] == ["Remote monitoring", "Breath sensor"]
    assert ranking[0]["winner"] and not ranking[1]["winner"]
    assert ranking[0]["judges"] == 2 and ranking[0]["conflicted"] == 1 and ranking[1]["judges"] == 3
    assert ranking[0]["raw clinical impact"] == 8.0  # (9 + 7) / 2, the conflicted judge's never counted
    assert [(e["title"], e["judge"], e["reason"]) for e in result.tables["excluded"]] == \
        [("Remote monitoring", "Ms. Vidal", "declared a conflict with Cardia Labs")]
    # before the award the ranking is provisional: a leader, no winner, nothing followed up since an award
    assert result.summary["awarded"] is False and result.summary["winners"] is None
    assert result.summary["leading"] == "Remote monitoring (Cardia Labs)" and result.tables["stages"] == []
    assert "Not awarded yet" in result.tables["notes"][0]["note"]
    with pytest.raises(InputRejected, match="cannot be awarded"):
        ch.award(atlas, program.id, on=JUDGED - dt.timedelta(1))
    with pytest.raises(InputRejected, match="judging of Heart failure at home ends"):
        ch.award(atlas, program.id)  # today, before judging ends
    _judging_over(atlas, program.id)
    awarded = ch.award(atlas, program.id)
    assert awarded.summary["winners"] == "Remote monitoring (Cardia Labs)"
    statuses = {s.title: s.status.value for s in atlas.find(Submission).items}
    assert statuses == {"Remote monitoring": "winner", "Breath sensor": "submitted"}
    # follow-up: an introduction through the challenge and a stage reached after the award
    from ecotone.domain import StageEvent
    from ecotone.domain.partnering import Introduction
    from ecotone.services import registry

    winner = atlas.organization_id("Cardia Labs")
    registry.create(atlas, Introduction, {"organization_id": winner, "partner_id": atlas.organization_id("Clínic"),
                                          "introduced_on": TODAY, "pilot_on": TODAY + dt.timedelta(30),
                                          "program_id": program.id})
    innovation = atlas.find(Innovation, search="HeartWatch").items[0]
    registry.create(atlas, StageEvent, {"innovation_id": innovation.id, "stage": "clinical_validation",
                                        "date": TODAY + dt.timedelta(60)})
    follow = ch.results(atlas, program.id)
    assert [(i["partner"], i["reached"], i["winner"]) for i in follow.tables["follow_up"]] == [("Clínic", "pilot", True)]
    assert [(s["stage"], s["days_after_award"]) for s in follow.tables["stages"]] == [("clinical_validation", 60)]
    # a visitor sees no score: no ranking of "not scored" entries, but the public outcome and why there is no more
    for kept in atlas.find(Score, limit=None).items:  # the hub keeps its scores to itself, as the demo's does
        registry.update(atlas, Score, kept.id, {"visibility": "hub", "owner_kind": "hub", "owner_id": hub.id})
    seen = ch.results(atlas.acting_as(ANONYMOUS), program.id)
    assert seen.summary["scores"] == 0 and seen.tables["ranking"] == []
    assert "No score is visible to you" in seen.tables["notes"][0]["note"]
    assert seen.summary["winners"] == "Remote monitoring (Cardia Labs)"


def test_a_judge_scores_from_their_own_account_and_it_is_audited(atlas):
    hub, other, orgs, program = _judged(atlas)
    add_user(atlas, "roca@example.org", name="Roca", role="viewer", password="x" * 12, hubs=[hub.id])
    add_user(atlas, "nosy@example.org", name="Nosy", role="viewer", password="x" * 12, hubs=[hub.id])
    from ecotone.store.accounts import Accounts

    roca = Accounts(atlas).user("roca@example.org")
    nosy = Accounts(atlas).user("nosy@example.org")
    judge = ch.add_judge(atlas, program.id, name="Ms. Serra", user="roca@example.org")
    as_judge = atlas.acting_as(Principal("user", email="roca@example.org", user_id=roca["id"], role=Role.viewer,
                                         hubs=frozenset({hub.id}), via="api"))
    sheet = ch.scoring_sheet(as_judge, program.id)
    assert sheet["judge"] == "Ms. Serra" and [r["conflict"] for r in sheet["rows"]] == [None, None]
    ch.score(as_judge, program.id, [{"judge": judge.id, "submission": "Breath sensor", "criterion": "feasibility",
                                     "value": 7}])
    ch.score(as_judge, program.id, [{"judge": judge.id, "submission": "Breath sensor", "criterion": "feasibility",
                                     "value": 8}])  # again: replaces
    mine = [s for s in atlas.find(Score, limit=None).items if s.judge_id == judge.id]
    assert [(s.criterion, s.value) for s in mine] == [("feasibility", 8.0)]
    entries, _ = atlas.trail.entries(kinds=["score"], record_id=mine[0].id)
    assert {e["actor"] for e in entries} == {"roca@example.org"} and len(entries) == 2
    as_nosy = atlas.acting_as(Principal("user", email="nosy@example.org", user_id=nosy["id"], role=Role.viewer,
                                        hubs=frozenset({hub.id}), via="api"))
    with pytest.raises(Forbidden, match="may not score as Ms. Serra"):
        ch.score(as_nosy, program.id, [{"judge": judge.id, "submission": "Breath sensor",
                                        "criterion": "feasibility", "value": 1}])


def test_a_private_challenges_submissions_are_hidden_from_other_hubs(atlas):
    hub, other, orgs, program = _world(atlas, visibility="hub")
    ch.submit(atlas, program.id, organization="Pulmo AI", title="Breath sensor")
    outsider = atlas.acting_as(Principal("user", email="tx@example.org", role=Role.viewer,
                                         hubs=frozenset({other.id}), via="api"))
    member = atlas.acting_as(Principal("user", email="bcn@example.org", role=Role.viewer,
                                       hubs=frozenset({hub.id}), via="api"))
    assert outsider.find(Submission).total == 0 and member.find(Submission).total == 1
    with pytest.raises(NotFound):
        ch.describe(outsider, program.id)
    assert [s["title"] for s in ch.describe(member, program.id)["submissions"]] == ["Breath sensor"]
    assert ch.catalogue(outsider) == []


def test_the_api(atlas):
    from ecotone.api import create_app

    hub = atlas.add(Hub(name="Barcelona", visibility="public"))
    other = atlas.add(Hub(name="Houston", visibility="public"))
    atlas.add_all([Organization(name=n, type=t, hub_id=hub.id, visibility="public") for n, t in
                   [("Clínic", "hospital"), ("Cardia Labs", "startup"), ("Pulmo AI", "startup")]])
    admin = bearer(atlas)
    viewer = bearer(atlas, "tx@example.org", role="viewer", hubs=[other.id])
    with TestClient(create_app(atlas=atlas, cache=False)) as client:
        made = client.post("/api/v1/challenges", headers=admin, json={
            "name": "Sepsis early warning", "sponsor": "Clínic", "closes_on": str(CLOSES), "judged_by": str(JUDGED),
            "rubric": [{"criterion": "impact", "weight": 3}, {"criterion": "evidence", "weight": 1}],
            "visibility": "hub", "eligibility": "startups"})
        assert made.status_code == 201, made.text
        cid = made.json()["id"]
        assert made.json()["hub"] == "Barcelona" and [r["share"] for r in made.json()["rubric"]] == [0.75, 0.25]
        for org, title in (("Cardia Labs", "A"), ("Pulmo AI", "B")):
            assert client.post(f"/api/v1/challenges/{cid}/submissions", headers=admin,
                               json={"organization": org, "title": title}).status_code == 201
        refused = client.post(f"/api/v1/challenges/{cid}/submissions", headers=admin,
                              json={"organization": "Clínic", "title": "C"})
        assert refused.status_code == 422 and "sponsors" in refused.text
        for name, conflicts in (("J1", []), ("J2", ["Pulmo AI"])):
            assert client.post(f"/api/v1/challenges/{cid}/judges", headers=admin,
                               json={"name": name, "conflicts": conflicts}).status_code == 201
        bad = client.post(f"/api/v1/challenges/{cid}/scores", headers=admin, json={"scores": [
            {"judge": "J2", "submission": "B", "criterion": "impact", "value": 9}]})
        assert bad.status_code == 422 and "J2 declared a conflict with Pulmo AI" in bad.text
        good = client.post(f"/api/v1/challenges/{cid}/scores", headers=admin, json={"scores": [
            {"judge": "J1", "submission": "A", "criterion": "impact", "value": 6},
            {"judge": "J1", "submission": "B", "criterion": "impact", "value": 8},
            {"judge": "J2", "submission": "A", "criterion": "impact", "value": 7}]})
        assert good.status_code == 200 and good.json()["count"] == 3
        results = client.get(f"/api/v1/challenges/{cid}/results", headers=admin).json()
        assert [r["title"] for r in results["ranking"]][0] in ("A", "B") and results["summary"]["scores"] == 3
        # the viewer of another hub sees neither the challenge nor its submissions
        assert client.get(f"/api/v1/challenges/{cid}", headers=viewer).status_code == 404
        assert client.get("/api/v1/submissions", headers=viewer).json()["count"] == 0
        assert client.get(f"/api/v1/challenges/{cid}").status_code == 404  # anonymous
        assert client.post(f"/api/v1/challenges/{cid}/award", headers=viewer).status_code in (403, 404)
        _judging_over(atlas, cid)
        awarded = client.post(f"/api/v1/challenges/{cid}/award", headers=admin, json={"on": str(TODAY)})
        assert awarded.status_code == 200, awarded.text
        assert any(r["winner"] for r in awarded.json()["ranking"])
        for page in (f"/challenges/{cid}", f"/challenges/{cid}/results", f"/challenges/{cid}/score", "/challenges"):
            assert client.get(page, headers=admin).status_code == 200
        assert client.get("/challenges/999999").status_code == 404


def test_the_command_line(cli, tmp_path):
    from ecotone.store import Atlas

    with Atlas.open(str(tmp_path / "ecotone.db")) as atlas:
        hub = atlas.add(Hub(name="Barcelona"))
        atlas.add_all([Organization(name=n, type=t, hub_id=hub.id) for n, t in
                       [("Clínic", "hospital"), ("Cardia Labs", "startup"), ("Pulmo AI", "startup")]])
    code, out, err = cli("challenges", "add", "Heart failure", "--sponsor", "Clínic", "--closes", str(CLOSES),
                         "--judged-by", str(JUDGED), "--criterion", "impact=2", "--criterion", "feasibility=1")
    assert code == 0, err
    for org, title in (("Cardia Labs", "Remote monitoring"), ("Pulmo AI", "Breath sensor")):
        assert cli("challenges", "submit", "Heart failure", "--org", org, "--title", title)[0] == 0
    assert cli("challenges", "judge", "Heart failure", "Dr. Puig")[0] == 0
    assert cli("challenges", "judge", "Heart failure", "Ms. Vidal", "--conflict", "Cardia Labs")[0] == 0
    code, out, err = cli("challenges", "score", "Heart failure", "--judge", "Ms. Vidal", "--submission",
                         "Remote monitoring", "--criterion", "impact", "--value", "3")
    assert code == 1 and "Ms. Vidal declared a conflict with Cardia Labs" in err
    scores = tmp_path / "scores.csv"
    scores.write_text("judge,submission,criterion,value\nDr. Puig,Remote monitoring,impact,9\n"
                      "Dr. Puig,Breath sensor,impact,4\nMs. Vidal,Breath sensor,impact,7\n"
                      "Ms. Vidal,Breath sensor,design,7\n")
    code, out, err = cli("challenges", "score", "Heart failure", "--csv", str(scores))
    assert code == 1 and "'design' is not in the rubric" in err and "5" in err
    scores.write_text("\n".join(scores.read_text().splitlines()[:-1]) + "\n")
    assert cli("challenges", "score", "Heart failure", "--csv", str(scores))[0] == 0
    code, out, err = cli("challenges", "results", "Heart failure", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["ranking"][0]["title"] == "Remote monitoring"
    assert [(e["judge"], e["reason"]) for e in data["excluded"]] == [("Ms. Vidal", "declared a conflict with Cardia Labs")]
    code, out, err = cli("challenges", "results", "Heart failure", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("submission_id,title,organization")
    code, out, err = cli("challenges", "list", "--format", "json")
    assert [c["name"] for c in json.loads(out)] == ["Heart failure"]
    assert cli("challenges", "show", "Heart failure")[0] == 0
    code, out, err = cli("challenges", "score", "Heart failure", "--judge", "Dr. Puig", "--submission",
                         "Breath sensor", "--value", "5")
    assert code == 1 and "has 2 criteria: say which one this score is for" in err and "impact, feasibility" in err
    with Atlas.open(str(tmp_path / "ecotone.db")) as atlas:
        _judging_over(atlas, json.loads(cli("challenges", "list", "--format", "json")[1])[0]["id"])
    code, out, err = cli("challenges", "award", "Heart failure", "--on", str(TODAY), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["summary"]["winners"] == "Remote monitoring (Cardia Labs)"
    code, out, err = cli("challenges", "follow-up", "Heart failure", "--partner", "Clínic", "--pilot-on",
                         str(TODAY + dt.timedelta(30)), "--format", "json")
    assert code == 0, err
    assert [(i["partner"], i["reached"]) for i in json.loads(out)["follow_up"]] == [("Clínic", "pilot")]
    code, out, err = cli("challenges", "show", "Heart failure")
    assert code == 0 and "z-scores per judge" in out and "submissions close" in out
    assert "owner_kind" not in out and "sponsor_id" not in out and "{" not in out  # words, not the record's fields


def test_a_judge_named_again_is_updated_and_a_winner_is_followed_into_a_pilot(atlas):
    hub, other, orgs, program = _judged(atlas)
    add_user(atlas, "vidal@example.org", name="Ms. Vidal", role="viewer", password="a long passphrase")
    again = ch.add_judge(atlas, program.id, name="ms. vidal", conflicts=["Pulmo AI"], user="vidal@example.org")
    judges = {j.name: j for j in atlas.find(Judge, limit=None).items}
    assert len(judges) == 3 and again.id == judges["Ms. Vidal"].id  # no second Ms. Vidal, no UNIQUE error
    assert judges["Ms. Vidal"].conflict_ids == [orgs[1].id, orgs[2].id]  # the earlier declaration is kept
    with pytest.raises(InputRejected, match="already judge Ms. Vidal"):
        ch.add_judge(atlas, program.id, name="Mr. Other", user="vidal@example.org")
    # now conflicted with both entries, her scores are used for neither
    assert all(r["conflicted"] == 1 for r in ch.results(atlas, program.id).tables["ranking"])
    with pytest.raises(InputRejected, match="no winner yet"):
        ch.follow_up(atlas, program.id, partner="Clínic")
    _judging_over(atlas, program.id)
    ch.award(atlas, program.id)
    first = ch.follow_up(atlas, program.id, partner="Clínic", met_on=TODAY + dt.timedelta(5))
    later = ch.follow_up(atlas, program.id, partner="Clínic", pilot_on=TODAY + dt.timedelta(40), note="12 wards")
    assert later.id == first.id and later.reached == "pilot" and later.met_on == TODAY + dt.timedelta(5)
    assert later.introduced_on == TODAY and later.program_id == program.id
    with pytest.raises(InputRejected, match="did not win"):
        ch.follow_up(atlas, program.id, partner="Clínic", organization="Pulmo AI")
    assert [i["reached"] for i in ch.results(atlas, program.id).tables["follow_up"]] == ["pilot"]
    entries, _ = atlas.trail.entries(kinds=["introduction"])
    assert {e["action"] for e in entries} == {"create", "update"}


def test_a_submission_ahead_on_a_lower_raw_average_is_explained(atlas):
    hub, other, orgs, program = _world(atlas)
    atlas.add(Organization(name="Renal AI", type="startup", hub_id=hub.id, visibility="public"))
    for org, title in (("Cardia Labs", "A"), ("Pulmo AI", "B"), ("Renal AI", "C")):
        ch.submit(atlas, program.id, organization=org, title=title)
    ch.add_judge(atlas, program.id, name="Harsh")
    ch.add_judge(atlas, program.id, name="Generous")
    # the harsh judge scores A and C, the generous one B and C: A is the harsh judge's best, B the generous one's worst
    ch.score(atlas, program.id, [{"judge": j, "submission": s, "criterion": c, "value": v}
                                 for j, s, v in [("Harsh", "A", 5), ("Harsh", "C", 1), ("Generous", "B", 9),
                                                 ("Generous", "C", 10)]
                                 for c in ("clinical impact", "feasibility")])
    result = ch.results(atlas, program.id)
    assert [r["title"] for r in result.tables["ranking"]] == ["A", "C", "B"]
    notes = [n["note"] for n in result.tables["notes"]]
    assert any("'C' ranks above 'B' although its raw average is lower" in n and "z-scores per judge" in n
               for n in notes), notes

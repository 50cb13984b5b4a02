"""History and undo: versions, provenance per field, reverting a change, a deletion or a whole import."""

import json
import shutil
import threading

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import fresh_atlas
from ecotone.domain import Deal, Hub, Organization, Person, Tie
from ecotone.services.demo import build_demo
from ecotone.services.exports import atlas_bundle
from ecotone.services.imports import import_files
from ecotone.store import Atlas
from ecotone.store.atlas import Conflict, Refused
from ecotone.store.tables import changes


def _bundle(atlas) -> str:
    return json.dumps(atlas_bundle(atlas), sort_keys=True, ensure_ascii=False)


def _batches_since(atlas, last_id: int) -> list[str]:
    """The change sets written after entry ``last_id``, newest first."""
    rows = atlas.execute(sa.select(changes.c.batch, sa.func.max(changes.c.id).label("last"))
                         .where(changes.c.id > last_id).group_by(changes.c.batch)).all()
    return [r.batch for r in sorted(rows, key=lambda r: -r.last)]


def _last_entry(atlas) -> int:
    return atlas.execute(sa.select(sa.func.coalesce(sa.func.max(changes.c.id), 0))).scalar_one()


def test_an_update_moves_the_version_and_records_its_own_source(atlas):
    org = atlas.add(Organization(name="Medlumics", type="startup", source="seed article"))
    assert atlas.version("organization", org.id) == 1
    atlas.update(org.model_copy(update={"description": "Optical imaging for cardiac ablation"}),
                 source="kumu.xlsx · Elements · row 4")
    assert atlas.version("organization", org.id) == 2
    prov = atlas.provenance("organization", org.id)
    assert prov["description"] == "kumu.xlsx · Elements · row 4"
    assert prov["name"] == prov["type"] == "seed article"  # untouched fields keep the record's source
    assert atlas.get(Organization, org.id).source == "seed article"


def test_a_stale_version_is_refused_and_names_who_changed_it(atlas):
    org = atlas.add(Organization(name="Dycare", type="startup"))
    atlas.update(org.model_copy(update={"city": "Barcelona"}), expected_version=1)
    with pytest.raises(Conflict) as caught:
        atlas.update(org.model_copy(update={"city": "Girona"}), expected_version=1)
    assert caught.value.version == 2 and caught.value.changed_by == "cli"
    assert "changed by cli" in str(caught.value)
    assert atlas.get(Organization, org.id).city == "Barcelona"
    with pytest.raises(Conflict):
        atlas.delete(Organization, org.id, expected_version=1)
    atlas.delete(Organization, org.id, expected_version=2)


def test_writing_only_the_changed_fields_keeps_both_writers_changes(atlas):
    org = atlas.add(Organization(name="Kardio", type="startup"))
    stale = atlas.get(Organization, org.id)
    atlas.update(stale.model_copy(update={"city": "Warsaw"}), fields=["city"])
    atlas.update(stale.model_copy(update={"website": "https://kardio.pl"}), fields=["website"])
    now = atlas.get(Organization, org.id)
    assert (now.city, now.website) == ("Warsaw", "https://kardio.pl")


def test_twenty_writers_on_one_record_lose_nothing(atlas):
    org = atlas.add(Organization(name="Busy actor", type="startup"))
    results: list[str] = []

    def write(n: int) -> None:
        mine = atlas.acting_as(atlas.principal)
        current = mine.get(Organization, org.id)
        try:
            mine.update(current.model_copy(update={"tags": [f"t{n}"]}), fields=["tags"],
                        expected_version=mine.version("organization", org.id))
            results.append(f"t{n}")
        except Conflict:
            results.append("412")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kept = [r for r in results if r != "412"]
    assert len(results) == 20 and kept
    # every write that was not refused is in the trail, in order; the record holds the last of them
    written = atlas.trail.entries(kinds=["organization"], record_id=org.id, oldest_first=True)[0][1:]
    assert sorted(e["after"]["tags"][0] for e in written) == sorted(kept)
    assert atlas.get(Organization, org.id).tags == written[-1]["after"]["tags"]
    assert atlas.version("organization", org.id) == 1 + len(kept)


def test_reverting_a_change_puts_the_fields_and_their_provenance_back(atlas):
    org = atlas.add(Organization(name="Oryzon", type="sme", city="Cornellà", source="seed article"))
    atlas.update(org.model_copy(update={"city": "Madrid", "stage": "prototype"}), source="a.xlsx · Elements · row 3")
    entry = atlas.trail.entries(kinds=["organization"], record_id=org.id)[0][0]
    atlas.revert(entry["id"])
    back = atlas.get(Organization, org.id)
    assert (back.city, back.stage) == ("Cornellà", None)
    assert atlas.provenance("organization", org.id)["city"] == "seed article"
    assert atlas.trail.entries(kinds=["organization"], record_id=org.id)[0][0]["note"] == \
        f"revert of change {entry['id']}"


def test_a_revert_over_a_later_change_is_refused(atlas):
    org = atlas.add(Organization(name="Ysios", type="investor"))
    atlas.update(org.model_copy(update={"city": "Barcelona"}))
    first = atlas.trail.entries(kinds=["organization"], record_id=org.id)[0][0]["id"]
    atlas.update(atlas.get(Organization, org.id).model_copy(update={"city": "Madrid"}))
    with pytest.raises(Conflict, match="changed since in city"):
        atlas.revert(first)
    assert atlas.get(Organization, org.id).city == "Madrid"


def test_a_deletion_comes_back_whole(atlas):
    hub = atlas.add(Hub(name="Barcelona Health Hub"))
    a, b = atlas.add_all([Organization(name="Clínic", type="hospital", hub_id=hub.id),
                          Organization(name="Ysios", type="investor", hub_id=hub.id, owner_kind="hub",
                                       owner_id=hub.id)])
    atlas.add(Tie(source_id=a.id, target_id=b.id, kind="partnership"))
    atlas.add(Person(name="Dr. Ruiz", organization_id=a.id))
    atlas.add(Deal(recipient_id=b.id, investor_ids=[a.id], round_type="seed", amount=1e6))
    before = _bundle(atlas)
    atlas.delete(Organization, a.id)
    gone = atlas_bundle(atlas)["records"]
    assert not gone["tie"] and gone["person"][0]["organization_id"] is None
    assert gone["deal"][0]["investor_ids"] == []  # no reference to a record that is not there
    deletion = next(e for e in atlas.trail.entries(kinds=["organization"], record_id=a.id)[0]
                    if e["action"] == "delete")
    atlas.revert(deletion["id"])
    assert _bundle(atlas) == before


def test_an_import_is_undone_whole(atlas, tmp_path):
    atlas.add(Organization(name="Hospital Clínic de Barcelona", type="hospital", city="Barcelona"))
    before = _bundle(atlas)
    folder = tmp_path / "kumu"
    folder.mkdir()
    (folder / "elements.csv").write_text("Label,Type,City\nHospital Clínic de Barcelona,hospital,Barna\n"
                                         "Dycare,startup,Barcelona\n", encoding="utf-8")
    (folder / "connections.csv").write_text("From,To,Type\nDycare,Hospital Clínic de Barcelona,clinical_pilot\n",
                                            encoding="utf-8")
    report = import_files(atlas, "kumu", [folder / "elements.csv", folder / "connections.csv"])
    assert report.change_set and report.created["organization"] == 1 and report.updated["organization"] == 1
    assert _bundle(atlas) != before
    atlas.undo(report.change_set)
    assert _bundle(atlas) == before


# -- any sequence of edits, reverted, gives back the starting atlas byte for byte ------------------------------
edit = st.tuples(st.sampled_from(["update", "delete", "add_tie", "add_org"]), st.integers(0, 10_000),
                 st.sampled_from(["Barcelona", "Warszawa", "Nottingham", None]))


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "atlas.db"
    with Atlas.open(str(path)) as atlas:
        build_demo(atlas)
    return path


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(edit, min_size=1, max_size=8))
def test_any_edits_reverted_give_back_the_starting_bundle(demo_file, tmp_path_factory, edits):
    path = tmp_path_factory.mktemp("edits") / "atlas.db"
    shutil.copy(demo_file, path)
    with Atlas.open(str(path)) as atlas:
        start, mark = _bundle(atlas), _last_entry(atlas)
        for action, pick, city in edits:
            orgs = [r["id"] for r in atlas.rows("organization", columns=["id"])]
            org = atlas.get(Organization, orgs[pick % len(orgs)])
            if action == "update":
                # validated, as every way in validates a record (tags are kept once each)
                atlas.update(Organization.model_validate({**org.model_dump(), "city": city,
                                                          "tags": [*org.tags, "edited"]}))
            elif action == "delete":
                atlas.delete(Organization, org.id)
            elif action == "add_tie":
                other = orgs[(pick // 7) % len(orgs)]
                if other != org.id:
                    try:
                        atlas.add(Tie(source_id=org.id, target_id=other, kind="referral", weight=2))
                    except Refused:
                        pass  # that tie is there already
            else:
                atlas.add(Organization(name=f"New actor {pick}", type="startup", city=city, hub_id=org.hub_id))
        for batch in _batches_since(atlas, mark):
            atlas.undo(batch)
        assert _bundle(atlas) == start


def test_a_new_record_never_takes_a_deleted_ones_id(atlas):
    """SQLite would give the highest id again once its row is gone; the Atlas counts on from the highest id the
    trail has seen, so a new record's history is its own and the deleted one can still be restored."""
    old = atlas.add(Organization(name="Old actor", type="startup"))
    atlas.update(old.model_copy(update={"city": "Porto"}))
    atlas.delete(Organization, old.id)
    deletion = atlas.trail.entries(kinds=["organization"], limit=1)[0][0]
    new = atlas.add(Organization(name="New actor", type="startup"))
    assert new.id > old.id
    entries = atlas.trail.entries(kinds=["organization"], record_id=new.id)[0]
    assert [e["action"] for e in entries] == ["create"] and entries[0]["after"]["name"] == "New actor"
    atlas.revert(deletion["id"])  # the old record comes back under its own id, with its history
    assert atlas.get(Organization, old.id).city == "Porto" and atlas.get(Organization, new.id).name == "New actor"
    actions = sorted(e["action"] for e in atlas.trail.entries(kinds=["organization"], record_id=old.id)[0])
    assert actions == ["create", "create", "delete", "update"]  # created, edited, deleted, restored


def test_a_partnership_left_with_one_organisation_goes_with_the_deletion_and_comes_back(atlas):
    """Clearing a deleted organisation from a partnership of two would leave a record no model accepts (and a
    page that cannot be read): the partnership goes with it, and undoing the deletion brings both back."""
    from ecotone.domain.partnering import Partnership

    hub = atlas.add(Hub(name="Barcelona Health Hub"))
    x, y, z = atlas.add_all([Organization(name=n, type="startup", hub_id=hub.id) for n in ("Xa", "Yb", "Zc")])
    pair = atlas.add(Partnership(name="Pilot", organization_ids=[x.id, y.id]))
    trio = atlas.add(Partnership(name="Consortium", organization_ids=[x.id, y.id, z.id]))
    before = _bundle(atlas)
    assert atlas.deletion_preview("organization", x.id) == {"partnership": 1, "references cleared": 1}
    atlas.delete(Organization, x.id)
    assert [p.name for p in atlas.find(Partnership).items] == ["Consortium"]
    assert atlas.get(Partnership, trio.id).organization_ids == [y.id, z.id]
    atlas.delete(Organization, y.id)  # the consortium is down to one: it goes too
    assert atlas.find(Partnership).items == []
    for batch in _batches_since(atlas, 0)[:2]:
        atlas.undo(batch)
    assert _bundle(atlas) == before and atlas.get(Partnership, pair.id).organization_ids == [x.id, y.id]

"""The JSON bundle: lossless round trips, idempotent imports, clear errors."""

import json

import pytest

from conftest import snapshot
from ecotone.domain import Hub, Organization
from ecotone.domain.problems import InputRejected
from ecotone.io.bundle import FORMAT, VERSION
from ecotone.services.exports import atlas_bundle, export_bundle
from ecotone.services.imports import import_files
from ecotone.store import Atlas


def test_export_import_export_gives_the_same_bundle(demo_atlas, tmp_path):
    first = tmp_path / "first.json"
    export_bundle(demo_atlas, first)
    with Atlas.open(str(tmp_path / "copy.db")) as copy:
        report = import_files(copy, "bundle", [first])
        assert sum(report.created.values()) == sum(demo_atlas.counts().values())
        second = tmp_path / "second.json"
        export_bundle(copy, second)
        assert first.read_bytes() == second.read_bytes()
        # Importing it again, even into the atlas it came from, changes nothing.
        assert not import_files(copy, "bundle", [first]).changed
    before = snapshot(demo_atlas)
    assert not import_files(demo_atlas, "bundle", [first]).changed
    assert snapshot(demo_atlas) == before


def test_the_bundle_does_not_depend_on_database_ids(atlas):
    a = atlas.add(Hub(name="A"))
    atlas.delete(Hub, a.id)  # leaves a gap in the ids
    hub = atlas.add(Hub(name="BioCity Nottingham"))
    atlas.add(Organization(name="BioCity", type="hub_operator", hub_id=hub.id, owner_kind="hub", owner_id=hub.id))
    bundle = atlas_bundle(atlas)
    assert bundle["format"] == FORMAT and bundle["version"] == VERSION
    [org] = bundle["records"]["organization"]
    assert org["id"] == 1 and org["hub_id"] == 1 and org["owner_id"] == 1


def test_owners_are_kept_even_when_an_organisation_owns_a_hub(atlas, tmp_path):
    org = atlas.add(Organization(name="BioCity", type="hub_operator"))
    atlas.add(Hub(name="BioCity Nottingham", owner_kind="organization", owner_id=org.id, visibility="hub"))
    path = tmp_path / "b.json"
    export_bundle(atlas, path)
    with Atlas.open(str(tmp_path / "copy.db")) as copy:
        import_files(copy, "bundle", [path])
        hub = next(copy.records(Hub))
        assert (hub.owner_kind.value, hub.visibility.value) == ("organization", "hub")
        assert copy.get(Organization, hub.owner_id).name == "BioCity"


def _bundle(tmp_path, records, **top):
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"format": FORMAT, "version": VERSION, "records": records, **top}), encoding="utf-8")
    return path


@pytest.mark.parametrize("records, where, reason", [
    ({"organization": [{"id": 1, "name": "X", "type": "bank"}]}, ("records.organization", 1, "type"), "is not one of the choices"),
    ({"organization": [{"id": 1, "name": "X"}]}, ("records.organization", 1, "type"), "required"),
    ({"organization": [{"id": 1, "name": "X", "type": "sme", "hub_id": 9}]}, ("records.organization", 1, "hub_id"),
     "not in the input"),
    ({"tie": [{"id": 1, "source_id": 1, "target_id": 2, "kind": "partnership"}]}, ("records.tie", 1, "source_id"),
     "not in the input"),
    ({"organization": [{"id": 1, "name": "X", "type": "sme"}, {"id": 1, "name": "Y", "type": "sme"}]},
     ("records.organization", 2, "id"), "own id"),
    ({"planet": []}, (None, None, "records.planet"), "unknown kind"),
    ({"organization": ["not an object"]}, ("records.organization", 1, None), "JSON object"),
])
def test_bad_records_are_located(atlas, tmp_path, records, where, reason):
    with pytest.raises(InputRejected) as info:
        import_files(atlas, "bundle", [_bundle(tmp_path, records)])
    problem = info.value.problems[0]
    assert (problem.sheet, problem.row, problem.column) == where
    assert reason in problem.reason
    assert atlas.counts()["organization"] == 0


def test_files_that_are_not_bundles(atlas, tmp_path):
    (tmp_path / "broken.json").write_text('{"format": "ecotone-bundle",\n "version": 1,,}')
    with pytest.raises(InputRejected) as info:
        import_files(atlas, "bundle", [tmp_path / "broken.json"])
    assert info.value.problems[0].row == 2
    with pytest.raises(InputRejected, match="not an Ecotone bundle"):
        import_files(atlas, "bundle", [_bundle(tmp_path, {}, format="kumu")])
    with pytest.raises(InputRejected, match="version 99"):
        import_files(atlas, "bundle", [_bundle(tmp_path, {}, version=99)])
    with pytest.raises(InputRejected, match="not found"):
        import_files(atlas, "bundle", [tmp_path / "missing.json"])

"""The bulk path of imports: records a reader builds as columns are written as records one by one would be."""

import datetime as dt
import random

import pytest

from conftest import CORDIS_HE, fresh_atlas, snapshot
from ecotone.domain import Organization, Participation, Program, Tie
from ecotone.domain.batch import Batch, Origin, Rows
from ecotone.domain.problems import InputRejected
from ecotone.io.cordis import read_cordis
from ecotone.store._audit import plain
from ecotone.store.atlas import record_to_row
from ecotone.store.merge import merge
from ecotone.store.tables import TABLES

TODAY = dt.date(2025, 6, 1)


def _read(one_by_one: bool) -> Batch:
    batch = read_cordis(CORDIS_HE / "organization.csv", CORDIS_HE / "project.csv", today=TODAY)
    if one_by_one:
        for entity in list(batch.rows):
            batch.records[entity] = batch.rows.pop(entity).records()
    return batch


def _entries(atlas):
    """The audit trail without what differs between two runs (when, and the change set's id)."""
    entries, _ = atlas.trail.entries(limit=None, oldest_first=True)
    return [{k: e[k] for k in ("action", "entity", "record_id", "before", "after", "note", "actor", "via")}
            for e in entries]


def _tables(atlas):
    return {entity: list(atlas.rows(entity, everyone=True)) for entity in TABLES}


def test_bulk_rows_and_records_one_by_one_write_the_same_rows_and_trail(backend, tmp_path):
    bulk, records = _read(False), _read(True)
    assert set(bulk.rows) == {"participation", "tie"} and not records.rows
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    with fresh_atlas(backend, tmp_path / "a") as one, fresh_atlas(backend, tmp_path / "b") as other:
        first = merge(one, bulk, note="import cordis")
        second = merge(other, records, note="import cordis")
        assert first.created == second.created and first.created["tie"] == len(bulk.rows["tie"]) > 100
        assert _tables(one) == _tables(other)
        assert _entries(one) == _entries(other)


def test_each_audit_entry_holds_the_record_as_read(backend, tmp_path):
    """What the trail says was created is the record the reader built, field by field, types included (a weight
    of 1.0 is a float; dates in ISO form)."""
    batch = _read(False)
    expected = {e: [plain({**record_to_row(r), "id": None}) for r, _ in rows.records()]
                for e, rows in batch.rows.items()}
    with fresh_atlas(backend, tmp_path) as atlas:
        merge(atlas, batch)
        for entity, rows in expected.items():
            found = [e["after"] for e in _entries(atlas) if e["entity"] == entity]
            local = dict(zip(batch.rows[entity].columns["id"], range(len(found))))
            ids = [f["id"] for f in found]
            assert len(found) == len(rows)
            for after, row in zip(found, rows):
                for end in ("source_id", "target_id", "program_id", "organization_id"):
                    row.pop(end, None), after.pop(end, None)
                assert {**after, "id": None} == row
                assert type(after.get("weight", 1.0)) is float
            assert ids == sorted(ids) and len(local) == len(found)


def test_floats_come_back_the_same_from_the_trail(backend, tmp_path):
    """Contributions of every magnitude: the entry made by the database gives back the very same float."""
    rng = random.Random(7)
    values = [0.1 + 0.2, 1 / 3, 1e-7, 123456789.123456789, 2.0**52 + 1, 18565826.25, 0.0, None] + \
        [rng.uniform(0, 1e9) for _ in range(200)]
    batch = Batch()
    org = batch.add(Organization(name="A", type="university"))
    programs = [batch.add(Program(name=f"P{i}", kind="research_project")) for i in range(len(values))]
    batch.add_rows(Rows("participation", {"id": list(range(1, len(values) + 1)), "program_id": programs,
                                          "organization_id": [org] * len(values), "contribution": values}))
    assert not batch.problems
    with fresh_atlas(backend, tmp_path) as atlas:
        merge(atlas, batch)
        found = [e["after"]["contribution"] for e in _entries(atlas) if e["entity"] == "participation"]
        stored = [r["contribution"] for r in atlas.rows("participation")]
    assert found == stored == values
    assert all(type(f) is float for f in found if f is not None)


def test_a_bad_bulk_row_is_named_and_nothing_is_written(atlas):
    merge(atlas, _read(False))
    before = snapshot(atlas)
    batch = _read(False)
    ties = batch.rows.pop("tie")
    ties.columns["target_id"][3] = ties.columns["source_id"][3]
    ties.columns["weight"][5] = -2.0
    batch.add_rows(Rows("tie", {k: v for k, v in ties.columns.items() if k in ties.given},
                        file="organization.csv"))
    problems = batch.problems
    assert [(p.file, p.column) for p in problems] == [("organization.csv", "record"), ("organization.csv", "weight")]
    assert "two different organisations" in problems[0].reason and "more than 0" in problems[1].reason
    with pytest.raises(InputRejected):
        merge(atlas, batch)
    assert snapshot(atlas) == before


def test_a_partly_known_input_creates_what_is_new_and_leaves_the_rest(atlas):
    """Ties already in the atlas are matched (either way round), the others inserted in bulk; a re-import then
    changes nothing."""
    first = merge(atlas, _read(False))
    ties = sorted(atlas.rows("tie", columns=["source_id", "target_id"]), key=lambda r: r["id"])
    gone = [t["id"] for t in ties[::3]]
    atlas.delete_many(Tie, gone)
    report = merge(atlas, _read(False))
    assert report.created["tie"] == len(gone) and report.unchanged["tie"] == first.created["tie"] - len(gone)
    assert atlas.count(Tie) == first.created["tie"]
    again = merge(atlas, _read(False))
    assert not again.changed and again.unchanged["participation"] == atlas.count(Participation)


def test_a_failed_write_in_the_middle_leaves_nothing(atlas):
    """A refusal by the database halfway through (a tie to an organisation another writer removed) rolls the
    whole import back, bulk rows and records alike."""
    batch = _read(False)
    ties = batch.rows["tie"]
    ties.columns["target_id"][-1] = 10**6  # no such organisation in the input: caught before writing
    with pytest.raises(InputRejected) as info:
        merge(atlas, batch)
    assert "not in the input" in info.value.problems[0].reason
    assert atlas.counts() == {k: 0 for k in atlas.counts()}
    assert _entries(atlas) == []


def test_rows_refuse_what_the_bulk_path_cannot_keep():
    with pytest.raises(ValueError, match="one by one"):
        Rows("organization", {"id": [1], "name": ["X"], "type": ["sme"]})
    with pytest.raises(ValueError, match="external ids"):
        Rows("tie", {"id": [1], "source_id": [1], "target_id": [2], "kind": ["partnership"],
                     "external_ids": [{"kumu": "x"}]})
    assert Origin().label is None


@pytest.mark.parametrize("ends, ties", [
    ([(1, 2, False), (2, 1, False)], 1),               # one undirected tie, written both ways round
    ([(1, 2, True), (2, 1, True)], 2),                 # two directed ties, one each way
    ([(1, 2, True), (2, 1, False), (1, 3, False)], 2),  # a directed tie, then said undirected: the last wins
    ([(1, 2, False), (1, 2, False), (2, 3, True)], 2),  # the same tie twice
    ([(1, 2, False), (2, 3, False), (3, 1, True)], 3),  # no repetition at all: all in bulk
])
def test_ties_a_bulk_input_repeats_are_merged_as_records_one_by_one_would_be(atlas, tmp_path, ends, ties):
    def batch(one_by_one: bool) -> Batch:
        out = Batch()
        for name in ("Kardio", "Sant Pau", "BioCity"):
            out.add(Organization(name=name, type="startup"))
        rows = Rows("tie", {"id": [out.new_id("tie") for _ in ends], "source_id": [s for s, _, _ in ends],
                            "target_id": [t for _, t, _ in ends], "directed": [d for _, _, d in ends],
                            "kind": ["partnership"] * len(ends), "weight": [1.0] * len(ends)})
        if one_by_one:
            out.records["tie"] = rows.records()
        else:
            out.add_rows(rows)
        return out

    bulk = merge(atlas, batch(False))
    (tmp_path / "other").mkdir()
    with fresh_atlas("sqlite", tmp_path / "other") as other:
        records = merge(other, batch(True))
        assert bulk.created == records.created and bulk.created["tie"] == ties
        assert _tables(atlas)["tie"] == _tables(other)["tie"]
    if len({(min(s, t), max(s, t)) for s, t, _ in ends}) == len({(min(s, t), max(s, t), d) for s, t, d in ends}):
        again = merge(atlas, batch(False))  # an input that agrees with itself, again: nothing changes
        assert not again.changed and again.unchanged["tie"] == ties

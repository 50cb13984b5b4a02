"""Brokerage events whose slots overlap (parallel tracks): nobody is booked into two meetings at the same time."""

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecotone.match.schedule import EventScheduler, Meeting
from ecotone.services import partnering


def _book(path, slots, requests, people=("Ana Ruiz", "Ben Cohen", "Cleo Diaz", "Dan Eke")):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Participants"
    sheet.append(["Name", "Organisation"])
    for name in people:
        sheet.append([name, f"{name.split()[1]} Labs"])
    s = book.create_sheet("Slots")
    s.append(["Slot", "Start", "End"])
    for row in slots:
        s.append(list(row))
    r = book.create_sheet("Requests")
    r.append(["From", "To", "Priority"])
    for row in requests:
        r.append(list(row))
    book.save(path)


def test_parallel_tracks_are_one_conflict(tmp_path):
    # Two tracks at 09:00–09:30 and a slot 09:15–09:45 that overlaps both: Ana can take only one of them.
    _book(tmp_path / "event.xlsx",
          [("Hall 9:00", "2026-03-12 09:00", "2026-03-12 09:30"), ("Lab 9:00", "2026-03-12 09:00", "2026-03-12 09:30"),
           ("Late 9:15", "2026-03-12 09:15", "2026-03-12 09:45")],
          [("Ana Ruiz", "Ben Cohen", "must meet"), ("Ana Ruiz", "Cleo Diaz", "must meet"),
           ("Ana Ruiz", "Dan Eke", "meet")])
    for method in ("cp-sat", "greedy"):
        result = partnering.schedule(tmp_path / "event.xlsx", tmp_path / method, tables=5, method=method)
        agenda = pd.DataFrame(result.tables["agenda"])
        assert len(agenda) == 1, method
        assert len(result.tables["unscheduled"]) == 2
        assert "clashing slots" in result.tables["unscheduled"][0]["reason"]


def test_touching_slots_do_not_clash(tmp_path):
    _book(tmp_path / "event.xlsx",
          [("S1", "2026-03-12 09:00", "2026-03-12 09:30"), ("S2", "2026-03-12 09:30", "2026-03-12 10:00")],
          [("Ana Ruiz", "Ben Cohen", "must meet"), ("Ana Ruiz", "Cleo Diaz", "must meet")])
    result = partnering.schedule(tmp_path / "event.xlsx", tmp_path / "out", tables=5, method="cp-sat")
    assert result.summary["scheduled"] == 2


@st.composite
def _overlapping_events(draw):
    n_slots = draw(st.integers(2, 6))
    starts = draw(st.lists(st.integers(0, 8), min_size=n_slots, max_size=n_slots))
    lengths = draw(st.lists(st.integers(1, 4), min_size=n_slots, max_size=n_slots))
    base = dt.datetime(2026, 3, 12, 9)
    slots = [f"s{i}" for i in range(n_slots)]
    times = {s: (base + dt.timedelta(minutes=15 * a), base + dt.timedelta(minutes=15 * (a + b)))
             for s, a, b in zip(slots, starts, lengths)}
    people = [f"p{i}" for i in range(draw(st.integers(2, 6)))]
    pairs = draw(st.lists(st.tuples(st.sampled_from(people), st.sampled_from(people)).filter(lambda t: t[0] < t[1]),
                          unique=True, max_size=10))
    meetings = [Meeting(a, b, draw(st.integers(1, 3)), draw(st.booleans())) for a, b in pairs]
    available = {p: set(draw(st.lists(st.sampled_from(slots), min_size=1, unique=True))) for p in people}
    return meetings, slots, times, available, draw(st.integers(1, 3))


@settings(max_examples=40, deadline=None)
@given(_overlapping_events(), st.sampled_from(["cp-sat", "greedy"]))
def test_nobody_is_in_two_overlapping_meetings(event, method):
    meetings, slots, times, available, tables = event
    s = EventScheduler(method=method, time_limit=5).run(meetings, slots, available, tables=tables, times=times)
    rows = s.agenda_.to_dict("records")
    for i, x in enumerate(rows):
        for y in rows[i + 1:]:
            if {x["a"], x["b"]} & {y["a"], y["b"]}:
                (s1, e1), (s2, e2) = times[x["slot"]], times[y["slot"]]
                assert not (s1 < e2 and s2 < e1), (x, y)
    assert (s.agenda_.groupby("slot").size() <= tables).all()

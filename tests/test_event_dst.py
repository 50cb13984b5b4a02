"""Brokerage-event agendas on the night the clocks change, the CLI's agenda table with times of day, and
iCalendar UIDs unique per event and stable across re-exports."""

import datetime as dt

import icalendar
import openpyxl
import pandas as pd
import pytest

from ecotone.domain.problems import InputRejected
from ecotone.services import partnering


def _workbook(path, slots, *, name="Night shift matchmaking", people=("Kardio Labs", "Dr Müller", "Ana Ruiz")):
    book = openpyxl.Workbook()
    ev = book.active
    ev.title = "Event"
    ev.append(["Name", "Time zone"])
    ev.append([name, "Europe/Madrid"])
    sheet = book.create_sheet("Participants")
    sheet.append(["Name", "Organisation"])
    for p in people:
        sheet.append([p, p + " org"])
    sheet = book.create_sheet("Slots")
    sheet.append(["Slot", "Start", "End"])
    for row in slots:
        sheet.append(list(row))
    sheet = book.create_sheet("Requests")
    sheet.append(["From", "To", "Priority"])
    sheet.append([people[0], people[1], "must meet"])
    book.save(path)
    return path


SPRING = [("S2", "2026-03-29 01:30", "2026-03-29 03:30")]


def test_a_slot_across_the_spring_change_labels_each_end_and_lasts_one_hour(tmp_path):
    result = partnering.schedule(_workbook(tmp_path / "e.xlsx", SPRING), tmp_path / "out", tables=1,
                                 method="greedy")
    (row,) = result.tables["agenda"]
    assert row["time"] == "Sun 29 Mar 2026 01:30 CET–03:30 CEST (1 h)"
    assert row["minutes"] == 60
    csv = pd.read_csv(tmp_path / "out" / "agenda.csv")
    assert set(csv["minutes"]) == {60} and set(csv["time"]) == {row["time"]}
    cal = icalendar.Calendar.from_ical((tmp_path / "out" / "agendas" / "Kardio_Labs.ics").read_bytes())
    (event,) = cal.walk("VEVENT")
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(hours=1)
    assert (start.tzname(), end.tzname()) == ("CET", "CEST")


def test_the_repeated_autumn_hour_is_two_slots_in_real_time(tmp_path):
    # 02:30 happens twice on 25 Oct 2026 in Madrid: first in CEST (+02:00), an hour later in CET (+01:00)
    slots = [("First", "2026-10-25T02:30:00+02:00", "2026-10-25T02:50:00+02:00"),
             ("Second", "2026-10-25T02:30:00+01:00", "2026-10-25T02:50:00+01:00")]
    path = _workbook(tmp_path / "e.xlsx", slots)
    book = openpyxl.load_workbook(path)
    book["Requests"].append(["Kardio Labs", "Ana Ruiz", "must meet"])  # Kardio Labs in two meetings
    book.save(path)
    result = partnering.schedule(path, tmp_path / "out", tables=1, method="cp-sat")
    times = sorted(r["time"] for r in result.tables["agenda"])
    assert times == ["Sun 25 Oct 2026 02:30–02:50 CEST", "Sun 25 Oct 2026 02:30–02:50 CET"]  # no clash
    assert {r["minutes"] for r in result.tables["agenda"]} == {20}
    cal = icalendar.Calendar.from_ical((tmp_path / "out" / "agendas" / "Kardio_Labs.ics").read_bytes())
    starts = sorted(e.decoded("DTSTART").astimezone(dt.UTC) for e in cal.walk("VEVENT"))
    assert starts == [dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC), dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)]


def test_a_time_in_the_skipped_hour_is_refused_with_its_row(tmp_path):
    with pytest.raises(InputRejected) as err:
        partnering.schedule(_workbook(tmp_path / "e.xlsx", [("S1", "2026-03-29 02:30", "2026-03-29 03:30")]),
                            tmp_path / "out", tables=1)
    (problem,) = err.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("Slots", 2, "Start")
    assert "does not happen in Europe/Madrid" in problem.reason


def test_the_cli_agenda_shows_the_time_of_day(cli, tmp_path):
    _workbook(tmp_path / "e.xlsx", [("S1", "2026-03-12 09:00", "2026-03-12 09:30")])
    code, out, err = cli("match", "schedule", "e.xlsx", "--tables", "1", "--out", "out")
    assert code == 0, err
    assert "09:00–09:30 CET" in out and "Thu 12 Mar 2026" in out


def _uids(folder, name):
    cal = icalendar.Calendar.from_ical((folder / "agendas" / f"{name}.ics").read_bytes())
    return [str(e["UID"]) for e in cal.walk("VEVENT")]


def test_uids_differ_between_events_and_stay_across_re_exports(tmp_path):
    slots = [("S2", "2026-03-12 09:00", "2026-03-12 09:30")]
    one = tmp_path / "one"
    partnering.schedule(_workbook(tmp_path / "a.xlsx", slots), one, tables=1, method="greedy")
    first = _uids(one, "Kardio_Labs")
    assert first == _uids(one, "Dr_Müller")  # one meeting, one UID in both calendars
    partnering.schedule(_workbook(tmp_path / "a.xlsx", slots), one, tables=1, method="greedy")
    assert _uids(one, "Kardio_Labs") == first  # re-exported: the calendar updates, no copy
    other = tmp_path / "other"
    partnering.schedule(_workbook(tmp_path / "b.xlsx", slots, name="Spring matchmaking"), other, tables=1,
                        method="greedy")
    assert _uids(other, "Kardio_Labs") != first
    (uid,) = first
    assert uid.endswith("@ecotone") and len(uid.split("@")[0]) == 32

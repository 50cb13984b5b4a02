"""Brokerage-event agendas: each meeting's time in the event's time zone (xlsx, CSV, the service's table) and
iCalendar files read back by the icalendar library, field by field."""

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import openpyxl
import pandas as pd
import pytest

from ecotone.domain.problems import InputRejected
from ecotone.services import partnering


def _workbook(path, *, timezone="Europe/Madrid", event_rows=None):
    book = openpyxl.Workbook()
    ev = book.active
    ev.title = "Event"
    ev.append(["Name", "Time zone", "Venue", "Organiser", "Organiser email"])
    for row in event_rows or [("Barcelona–Warsaw matchmaking day", timezone, "Barcelona Health Hub, Sala 2",
                               "Biocat", "events@biocat.example")]:
        ev.append(list(row))
    people = book.create_sheet("Participants")
    people.append(["Name", "Organisation", "Available", "Email"])
    people.append(["Ana Ruiz", "Hospital Clínic", "", "ana@clinic.example"])
    people.append(["Marek Nowak", "Kardio, sp. z o.o.", "", "marek@kardio.example"])
    people.append(["Lea Vogel", "BfArM", "S2", ""])
    slots = book.create_sheet("Slots")
    slots.append(["Slot", "Start", "End"])
    slots.append(["S1", "2026-03-12 09:00", "2026-03-12 09:30"])
    slots.append(["S2", "2026-03-12T08:30:00Z", "2026-03-12T09:00:00Z"])  # given in UTC: 09:30–10:00 in Madrid
    reqs = book.create_sheet("Requests")
    reqs.append(["From", "To", "Priority", "Why"])
    reqs.append(["Marek Nowak", "Ana Ruiz", "must meet", "needs a cardiology site for a clinical validation"])
    reqs.append(["Ana Ruiz", "Marek Nowak", "meet", ""])
    reqs.append(["Lea Vogel", "Marek Nowak", "meet", "DiGA fast-track questions"])
    book.save(path)
    return path


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("event")
    result = partnering.schedule(_workbook(folder / "event.xlsx"), folder / "out", tables=2, method="cp-sat")
    return result, folder / "out"


def test_agendas_show_each_meetings_time_in_the_events_zone(scheduled):
    result, out = scheduled
    assert result.summary["time_zone"] == "Europe/Madrid"
    times = {(r["a"], r["b"]): r["time"] for r in result.tables["agenda"]}
    assert times[("Marek Nowak", "Ana Ruiz")] == "Thu 12 Mar 2026 09:00–09:30 CET"
    assert times[("Lea Vogel", "Marek Nowak")] == "Thu 12 Mar 2026 09:30–10:00 CET"
    csv = pd.read_csv(out / "agenda.csv")
    lea = csv[csv["participant"] == "Lea Vogel"].iloc[0]
    assert (lea["time"], lea["start"], lea["end"], lea["time_zone"]) == (
        "Thu 12 Mar 2026 09:30–10:00 CET", "2026-03-12 09:30:00", "2026-03-12 10:00:00", "Europe/Madrid")
    book = pd.read_excel(out / "agenda.xlsx", sheet_name="Agenda")
    assert "Thu 12 Mar 2026 09:00–09:30 CET" in set(book["time"]) and set(book["time_zone"]) == {"Europe/Madrid"}
    mine = pd.read_csv(out / "agendas" / "Marek_Nowak.csv")
    assert mine["time"].tolist() == ["Thu 12 Mar 2026 09:00–09:30 CET", "Thu 12 Mar 2026 09:30–10:00 CET"]


def test_icalendar_files_carry_zone_organiser_attendees_description_and_location(scheduled):
    _, out = scheduled
    cal = icalendar.Calendar.from_ical((out / "agendas" / "Marek_Nowak.ics").read_bytes())
    zones = cal.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["Europe/Madrid"]
    assert zones[0].to_tz().utcoffset(dt.datetime(2026, 3, 12, 9)) == dt.timedelta(hours=1)
    events = sorted(cal.walk("VEVENT"), key=lambda e: e.decoded("DTSTART"))
    assert len(events) == 2
    first = events[0]
    start, end = first.decoded("DTSTART"), first.decoded("DTEND")
    assert first["DTSTART"].params["TZID"] == "Europe/Madrid"
    assert start == dt.datetime(2026, 3, 12, 9, tzinfo=ZoneInfo("Europe/Madrid"))
    assert start.astimezone(dt.UTC) == dt.datetime(2026, 3, 12, 8, tzinfo=dt.UTC)
    assert end - start == dt.timedelta(minutes=30)
    assert str(first["SUMMARY"]) == "Meeting with Ana Ruiz (Hospital Clínic)"
    organiser = first["ORGANIZER"]
    assert (str(organiser), organiser.params["CN"]) == ("mailto:events@biocat.example", "Biocat")
    attendees = {a.params["CN"]: str(a) for a in first["ATTENDEE"]}
    assert attendees == {"Marek Nowak": "mailto:marek@kardio.example", "Ana Ruiz": "mailto:ana@clinic.example"}
    text = str(first["DESCRIPTION"])
    assert "Marek Nowak (Kardio, sp. z o.o.) and Ana Ruiz (Hospital Clínic)" in text
    assert "both asked to meet" in text and "must meet" in text
    assert "needs a cardiology site for a clinical validation" in text
    assert str(first["LOCATION"]) == "Barcelona Health Hub, Sala 2, table 1"
    second = events[1]
    assert {a.params["CN"] for a in second["ATTENDEE"]} == {"Lea Vogel", "Marek Nowak"}
    lea = next(a for a in second["ATTENDEE"] if a.params["CN"] == "Lea Vogel")
    assert str(lea).startswith("urn:")  # no e-mail: named, without a made-up address
    assert "Lea Vogel asked to meet Marek Nowak" in str(second["DESCRIPTION"])
    assert "DiGA fast-track questions" in str(second["DESCRIPTION"])


def test_a_wrong_time_zone_names_sheet_row_and_column(tmp_path):
    with pytest.raises(InputRejected) as err:
        partnering.schedule(_workbook(tmp_path / "e.xlsx", timezone="Madrid"), tmp_path / "out", tables=2)
    (problem,) = err.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("Event", 2, "Time zone")
    assert "Europe/Madrid" in problem.hint

"""Brokerage-event files: read the organiser's workbook (event, participants, slots, meeting requests) and write
the agendas as a spreadsheet, CSV per participant and iCalendar (RFC 5545, through the icalendar library)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from ..domain.problems import InputRejected, Problem
from ._tabular import Table, cell_text, read_csv, read_xlsx
from ._cells import xlsx_cell
from .tables import write_csv

__all__ = ["Event", "read_event", "write_agendas", "agenda_zip", "ics_calendar", "meeting_time", "meeting_minutes",
           "meeting_uid", "SHEETS", "EVENT_SHEET"]

#: The sheets (or CSV files in a folder) of an event and their columns; optional columns in brackets.
SHEETS = {"participants": "Name, Organisation, [Available], [Email]", "slots": "Slot, Start, End",
          "requests": "From, To, [Priority], [Why]"}
#: The optional sheet (or event.csv) describing the event itself: one row under this header.
EVENT_SHEET = "[Name], [Time zone], [Venue], [Organiser], [Organiser email]"
_PRIORITY = {"must meet": 3, "must": 3, "high": 3, "3": 3, "meet": 2, "medium": 2, "normal": 2, "2": 2, "": 2,
             "nice to meet": 1, "nice": 1, "low": 1, "1": 1}


@dataclass
class Event:
    """An event read from its workbook: participants (name → organisation, e-mail), slots in order with their
    times, each participant's available slots, and the meeting requests (requester, requested, priority)."""

    participants: dict[str, dict]
    slots: list[str]
    #: slot → (start, end), wall-clock times in the event's time zone (naive).
    times: dict[str, tuple[dt.datetime, dt.datetime]]
    available: dict[str, set[str]]
    requests: pd.DataFrame
    name: str = "Brokerage event"
    #: IANA time zone of the venue (Europe/Madrid); UTC when the workbook names none (``timezone_given`` False).
    timezone: str = "UTC"
    timezone_given: bool = False
    venue: str = ""
    organiser: str = ""
    organiser_email: str = ""
    why: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def meeting_time(start: dt.datetime, end: dt.datetime, timezone: str) -> str:
    """A meeting's time as an agenda shows it: day, start–end and the zone's abbreviation on that day. When the
    clocks change during the meeting, each end carries its own abbreviation and the real length follows.

    Examples
    --------
    >>> meeting_time(dt.datetime(2026, 3, 12, 9), dt.datetime(2026, 3, 12, 9, 30), "Europe/Madrid")
    'Thu 12 Mar 2026 09:00–09:30 CET'
    >>> meeting_time(dt.datetime(2026, 7, 1, 23, 45), dt.datetime(2026, 7, 2, 0, 15), "Europe/Warsaw")
    'Wed 1 Jul 2026 23:45–Thu 2 Jul 00:15 CEST'
    >>> meeting_time(dt.datetime(2026, 3, 29, 1, 30), dt.datetime(2026, 3, 29, 3, 30), "Europe/Madrid")
    'Sun 29 Mar 2026 01:30 CET–03:30 CEST (1 h)'
    """
    zone = ZoneInfo(timezone)
    first, last = start.replace(tzinfo=zone).tzname(), end.replace(tzinfo=zone).tzname()
    day = f"{start:%a} {start.day} {start:%b %Y}"
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%a} {end.day} {end:%b %H:%M}"
    if first == last:
        return f"{day} {start:%H:%M}–{until} {first}"
    minutes = meeting_minutes(start, end, timezone)
    length = f"{minutes // 60:g} h" if minutes % 60 == 0 else f"{minutes:g} min"
    return f"{day} {start:%H:%M} {first}–{until} {last} ({length})"


def meeting_minutes(start: dt.datetime, end: dt.datetime, timezone: str) -> float:
    """How long a meeting lasts in real time, its wall-clock ends read in ``timezone`` (an hour less across the
    spring change of the clocks, an hour more across the autumn one).

    Examples
    --------
    >>> meeting_minutes(dt.datetime(2026, 3, 29, 1, 30), dt.datetime(2026, 3, 29, 3, 30), "Europe/Madrid")
    60.0
    >>> meeting_minutes(dt.datetime(2026, 10, 25, 1, 30), dt.datetime(2026, 10, 25, 3, 30), "Europe/Madrid")
    180.0
    """
    return (_utc(end, ZoneInfo(timezone)) - _utc(start, ZoneInfo(timezone))).total_seconds() / 60


def _utc(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A wall-clock time at the venue as a naive UTC time (an hour repeated in autumn: its first occurrence)."""
    return moment.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)


def _exists(moment: dt.datetime, zone: ZoneInfo) -> bool:
    """Whether the wall-clock time happens at the venue (not in the hour skipped when the clocks go forward)."""
    return moment.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == moment


def _ics_time(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A time for DTSTART/DTEND: in the venue's zone, or in UTC when the wall-clock time happens twice (the
    hour repeated in autumn), which a TZID local time cannot tell apart."""
    local = moment.replace(tzinfo=zone)
    if local.utcoffset() != moment.replace(tzinfo=zone, fold=1 - moment.fold).utcoffset():
        return local.astimezone(dt.UTC)
    return local


def meeting_uid(event_name: str, slot: str, a: str, b: str) -> str:
    """The iCalendar UID of a meeting: a stable hash of the event's name, the slot and the pair (in either
    order), so two events with the same slot names and people do not collide in a calendar, and a re-export
    updates the meeting instead of adding a copy.

    Examples
    --------
    >>> meeting_uid("Matchmaking day", "S2", "Kardio Labs", "Dr Müller")
    'bd489674417e67b256ff0384b723b3fc@ecotone'
    >>> meeting_uid("Matchmaking day", "S2", "Dr Müller", "Kardio Labs") == meeting_uid(
    ...     "Matchmaking day", "S2", "Kardio Labs", "Dr Müller") != meeting_uid("Another day", "S2", "Kardio Labs",
    ...     "Dr Müller")
    True
    """
    text = "\x1f".join([event_name, slot, *sorted([a, b])])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + "@ecotone"


def _tables(path: Path) -> dict[str, Table]:
    if path.is_dir():
        found = {p.stem.lower(): p for p in path.glob("*.csv")}
        return {name: read_csv(found[name]) for name in [*SHEETS, "event"] if name in found}
    if path.suffix.lower() == ".csv":
        raise InputRejected([Problem(str(path), reason="an event needs three tables, not one CSV file",
                                     hint="give an .xlsx workbook with sheets Participants, Slots, Requests, "
                                          "or a folder with participants.csv, slots.csv, requests.csv")])
    return {name.lower(): t for name, t in read_xlsx(path).items()}


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("T", " ").strip())


def _local(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """Wall-clock time at the venue: a time with an offset (2026-03-12T08:00Z) is converted, a plain one kept."""
    return moment.astimezone(zone).replace(tzinfo=None) if moment.tzinfo else moment


def _event_details(table: Table | None, problems: list[Problem]) -> dict:
    """The Event sheet's one row: name, time zone (checked against the IANA database), venue, organiser."""
    if table is None:
        return {}
    details: dict = {}
    rows = list(table.rows)
    if len(rows) > 1:
        problems.append(Problem(table.file, table.sheet, rows[1][0], reason="the Event sheet holds one row",
                                hint=f"one header ({EVENT_SHEET}) and one row under it"))
    if not rows:
        return details
    row, values = rows[0]
    for key, names in (("name", ("Name", "Event")), ("timezone", ("Time zone", "Timezone", "TZ")),
                       ("venue", ("Venue", "Location")), ("organiser", ("Organiser", "Organizer")),
                       ("organiser_email", ("Organiser email", "Organizer email"))):
        column = table.column(*names)
        if column is not None and cell_text(values[column]):
            details[key] = cell_text(values[column])
    if "timezone" in details:
        try:
            ZoneInfo(details["timezone"])
            details["timezone_given"] = True
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(Problem(table.file, table.sheet, row, "Time zone",
                                    f"{details.pop('timezone')!r} is not a time zone",
                                    "use an IANA name such as Europe/Madrid, Europe/Warsaw or America/Chicago"))
    return details


def read_event(path: Path) -> Event:
    """Read an event; every problem is reported with its file, sheet, row and column, and nothing is scheduled."""
    path = Path(path)
    tables = _tables(path)
    problems: list[Problem] = []
    missing = [s for s in SHEETS if s not in tables]
    if missing:
        raise InputRejected([Problem(str(path), reason=f"has no {', '.join(missing)} "
                                     f"{'sheet' if path.suffix else 'file'}",
                                     hint="; ".join(f"{s.title()}: {c}" for s, c in SHEETS.items()))])

    def need(table: Table, *names: str) -> list[str | None]:
        cols = [table.column(n) for n in names]
        for n, c in zip(names, cols):
            if c is None:
                problems.append(Problem(table.file, table.sheet, 1, n, f"the column {n} is missing",
                                        f"the header needs: {SHEETS[table.sheet.lower() if table.sheet else Path(table.file).stem.lower()]}"))
        return cols

    details = _event_details(tables.get("event"), problems)
    zone = ZoneInfo(details.get("timezone", "UTC"))
    slots_t = tables["slots"]
    slot_c, start_c, end_c = need(slots_t, "Slot", "Start", "End")
    slots: list[str] = []
    times: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    if None not in (slot_c, start_c, end_c):
        for row, values in slots_t.rows:
            slot = cell_text(values[slot_c])
            raw = {c: values[col] for c, col in (("Start", start_c), ("End", end_c))}
            try:
                start, end = (_local(v if isinstance(v, dt.datetime) else _when(cell_text(v)), zone)
                              for v in raw.values())
            except ValueError:
                problems.append(Problem(slots_t.file, slots_t.sheet, row, "Start/End",
                                        "a time must read like 2026-03-12 09:00"))
                continue
            if not slot or slot in times:
                problems.append(Problem(slots_t.file, slots_t.sheet, row, "Slot",
                                        "empty" if not slot else f"slot {slot!r} appears twice"))
                continue
            skipped = [c for c, t in (("Start", start), ("End", end)) if not _exists(t, zone)]
            if skipped:
                for c in skipped:
                    t = start if c == "Start" else end
                    problems.append(Problem(slots_t.file, slots_t.sheet, row, c,
                                            f"{t:%Y-%m-%d %H:%M} does not happen in {zone.key}: the clocks go "
                                            f"forward then", "give a time before or after the skipped hour"))
                continue
            if _utc(end, zone) <= _utc(start, zone):
                problems.append(Problem(slots_t.file, slots_t.sheet, row, "End", "ends before it starts"))
                continue
            slots.append(slot)
            times[slot] = (start, end)

    people_t = tables["participants"]
    name_c, org_c = need(people_t, "Name", "Organisation")
    avail_c, email_c = people_t.column("Available", "Availability"), people_t.column("Email", "E-mail")
    participants: dict[str, dict] = {}
    available: dict[str, set[str]] = {}
    if name_c and org_c:
        for row, values in people_t.rows:
            name = cell_text(values[name_c])
            if not name or name in participants:
                problems.append(Problem(people_t.file, people_t.sheet, row, "Name",
                                        "empty" if not name else f"{name!r} appears twice",
                                        "each participant needs one row with a unique name"))
                continue
            listed = [s.strip() for s in cell_text(values[avail_c]).split("|") if s.strip()] if avail_c else []
            unknown = [s for s in listed if s not in times]
            if unknown and times:
                problems.append(Problem(people_t.file, people_t.sheet, row, "Available",
                                        f"no slot is named {', '.join(unknown)}", "slots: " + ", ".join(slots)))
            participants[name] = {"organisation": cell_text(values[org_c]),
                                  "email": cell_text(values[email_c]) if email_c else ""}
            available[name] = set(listed) if listed else set(slots)

    req_t = tables["requests"]
    from_c, to_c = need(req_t, "From", "To")
    prio_c, why_c = req_t.column("Priority"), req_t.column("Why", "Reason", "Note")
    requests = []
    why: dict[tuple[str, str], str] = {}
    if from_c and to_c:
        for row, values in req_t.rows:
            a, b = cell_text(values[from_c]), cell_text(values[to_c])
            for col, who in (("From", a), ("To", b)):
                if who not in participants:
                    problems.append(Problem(req_t.file, req_t.sheet, row, col, f"{who!r} is not a participant",
                                            "add them to Participants or fix the spelling"))
            if a == b and a:
                problems.append(Problem(req_t.file, req_t.sheet, row, "To", "a participant cannot meet themselves"))
            word = cell_text(values[prio_c]).lower() if prio_c else ""
            if word not in _PRIORITY:
                problems.append(Problem(req_t.file, req_t.sheet, row, "Priority", f"{word!r} is not a priority",
                                        "use must meet, meet or nice to meet (or 3, 2, 1)"))
                continue
            requests.append({"requester": a, "requested": b, "priority": _PRIORITY[word]})
            if why_c and cell_text(values[why_c]):
                why[a, b] = cell_text(values[why_c])
    if problems:
        raise InputRejected(problems)
    return Event(participants, slots, times, available,
                 pd.DataFrame(requests, columns=["requester", "requested", "priority"]), why=why, **details)


_PRIORITY_WORDS = {3: "must meet", 2: "meet", 1: "nice to meet"}


def _attendee(name: str, email: str, organisation: str):
    from icalendar import vCalAddress

    # RFC 5545 wants a URI; without an e-mail the participant is still named, under a URN of the event.
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "participant"
    address = vCalAddress(f"mailto:{email}" if email else f"urn:x-ecotone:participant:{slug}")
    address.params["CN"] = name
    address.params["ROLE"] = "REQ-PARTICIPANT"
    address.params["PARTSTAT"] = "ACCEPTED"
    if organisation:
        address.params["X-ORGANISATION"] = organisation
    return address


def _description(event: Event, m: dict) -> str:
    """Who meets whom, from which organisation, and why the scheduler placed the meeting."""
    a, b = m["a"], m["b"]
    who = " and ".join(f"{p} ({event.participants[p]['organisation']})" if event.participants[p]["organisation"]
                       else p for p in (a, b))
    lines = [f"{who} meet at {event.name}.",
             f"Why: {'both asked to meet' if m['mutual'] else a + ' asked to meet ' + b} "
             f"(priority: {_PRIORITY_WORDS.get(int(m['priority']), m['priority'])})."]
    lines += [f"{x}: {event.why[x, y]}" for x, y in ((a, b), (b, a)) if (x, y) in event.why]
    lines.append(f"Slot {m['slot']}, table {m['table']}.")
    return "\n".join(lines)


def _who(event: Event, name: str) -> str:
    organisation = event.participants[name]["organisation"]
    return f"{name} ({organisation})" if organisation else name


def _safe(name: str, fallback: str) -> str:
    """A file name for a participant or an organisation (what file systems and zip readers take everywhere)."""
    return re.sub(r"[^\w.-]+", "_", name).strip("_.") or fallback


def ics_calendar(event: Event, name: str, meetings: list[dict], stamp: dt.datetime) -> bytes:
    """One participant's meetings as an iCalendar file: times in the event's time zone (with its VTIMEZONE), the
    organiser, both parties as attendees, a description of who meets and why, and the venue and table.

    ``meetings`` are rows of the agenda (``a``, ``b``, ``slot``, ``table``, ``priority``, ``mutual``, ``start``,
    ``end``, ``with``, ``organisation``); ``stamp`` is the UTC time the file is written. Rows without ``with`` (the
    whole event's calendar, an organisation's) are summarised as who meets whom.
    """
    from icalendar import Calendar, Event as VEvent, Timezone, vCalAddress

    zone = event.zone
    cal = Calendar()
    cal.add("prodid", "-//Ecotone//Brokerage event//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{event.name}: {name}")
    cal.add("x-wr-timezone", event.timezone)
    days = [t.date() for pair in event.times.values() for t in pair] or [stamp.date()]
    cal.add_component(Timezone.from_tzinfo(zone, tzid=event.timezone, first_date=min(days) - dt.timedelta(days=1),
                                           last_date=max(days) + dt.timedelta(days=1)))
    for m in meetings:
        ev = VEvent()
        ev.add("uid", meeting_uid(event.name, m["slot"], m["a"], m["b"]))
        ev.add("dtstamp", stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp)
        start, end = event.times.get(m["slot"], (m["start"], m["end"]))  # a table's cells lose the fold
        ev.add("dtstart", _ics_time(start, zone))
        ev.add("dtend", _ics_time(end, zone))
        ev.add("summary", "Meeting with " + m["with"] + (f" ({m['organisation']})" if m["organisation"] else "")
               if "with" in m else f"{_who(event, m['a'])} meets {_who(event, m['b'])}")
        ev.add("description", _description(event, m))
        ev.add("location", ", ".join(x for x in (event.venue, f"table {m['table']}") if x))
        if event.organiser or event.organiser_email:
            organiser = vCalAddress(f"mailto:{event.organiser_email}" if event.organiser_email
                                    else "urn:x-ecotone:organiser")
            organiser.params["CN"] = event.organiser or event.organiser_email
            ev.add("organizer", organiser)
        for who in (m["a"], m["b"]):
            p = event.participants[who]
            ev.add("attendee", _attendee(who, p.get("email", ""), p["organisation"]), encode=False)
        ev.add("status", "CONFIRMED")
        cal.add_component(ev)
    return cal.to_ical()


def write_agendas(event: Event, agenda: pd.DataFrame, unscheduled: pd.DataFrame, folder: Path,
                  stamp: dt.datetime | None = None) -> list[Path]:
    """Write ``agenda.xlsx`` (sheets Agenda, Unscheduled), ``agenda.csv``, ``unscheduled.csv``, per participant
    ``agendas/<name>.csv`` and ``agendas/<name>.ics``, the whole event's ``event.ics`` and, per organisation, its
    people's meetings in ``organisations/<organisation>.ics``. Returns the files written.

    Each meeting's row carries its time as people read it (``Thu 12 Mar 2026 09:00–09:30 CET``) besides its
    start and end (wall-clock, ISO), its length in real minutes and the event's time zone."""
    import openpyxl

    folder = Path(folder)
    (folder / "agendas").mkdir(parents=True, exist_ok=True)
    stamp = stamp or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    rows = []
    for m in agenda.to_dict("records"):
        start, end = event.times[m["slot"]]
        for me, other in ((m["a"], m["b"]), (m["b"], m["a"])):
            rows.append({"participant": me, "slot": m["slot"], "time": meeting_time(start, end, event.timezone),
                         "start": start, "end": end, "minutes": meeting_minutes(start, end, event.timezone),
                         "time_zone": event.timezone, "table": m["table"],
                         "with": other, "organisation": event.participants[other]["organisation"],
                         "priority": m["priority"], "mutual": m["mutual"], "a": m["a"], "b": m["b"]})
    header = ["participant", "slot", "time", "start", "end", "minutes", "time_zone", "table", "with",
              "organisation", "priority", "mutual"]
    per_person = pd.DataFrame(rows, columns=[*header, "a", "b"])
    written = []
    by_start = per_person.sort_values(["participant", "start"])
    write_csv(folder / "agenda.csv", [header] + [[r[h] if h not in ("start", "end") else r[h].isoformat(sep=" ")
                                                  for h in header] for r in by_start.to_dict("records")])
    missing = ["a", "b", "priority", "mutual", "reason"]
    write_csv(folder / "unscheduled.csv", [missing] + unscheduled[missing].values.tolist())
    written += [folder / "agenda.csv", folder / "unscheduled.csv"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Agenda"
    sheet.append(header)
    for r in by_start.to_dict("records"):  # a participant named "=…" is text, never a formula
        sheet.append([xlsx_cell(sheet, r[h]) for h in header])
    gaps = book.create_sheet("Unscheduled")
    gaps.append(missing)
    for r in unscheduled[missing].values.tolist():
        gaps.append([xlsx_cell(gaps, v) for v in r])
    tmp = folder / "agenda.xlsx.part"
    book.save(tmp)
    tmp.replace(folder / "agenda.xlsx")
    written.append(folder / "agenda.xlsx")
    for name in event.participants:
        mine = by_start[by_start["participant"] == name]
        safe = _safe(name, "participant")
        write_csv(folder / "agendas" / f"{safe}.csv", [header] + [[r[h] if h not in ("start", "end") else
                                                                    r[h].isoformat(sep=" ") for h in header]
                                                                   for r in mine.to_dict("records")])
        ics = folder / "agendas" / f"{safe}.ics"
        _write_bytes(ics, ics_calendar(event, name, mine.to_dict("records"), stamp))
        written += [folder / "agendas" / f"{safe}.csv", ics]
    # The whole event in one calendar (the organiser's, a screen at the venue), and one per organisation, for a
    # delegation of several people: each meeting once, named by who meets whom.
    meetings = [{**m, "start": event.times[m["slot"]][0], "end": event.times[m["slot"]][1]}
                for m in agenda.sort_values(["slot", "table"]).to_dict("records")] if len(agenda) else []
    meetings.sort(key=lambda m: (m["start"], str(m["table"])))
    _write_bytes(folder / "event.ics", ics_calendar(event, "every meeting", meetings, stamp))
    written.append(folder / "event.ics")
    organisations = sorted({p["organisation"] for p in event.participants.values() if p["organisation"]})
    if organisations:
        (folder / "organisations").mkdir(exist_ok=True)
    for organisation in organisations:
        theirs = [m for m in meetings if organisation in (event.participants[m["a"]]["organisation"],
                                                          event.participants[m["b"]]["organisation"])]
        path = folder / "organisations" / f"{_safe(organisation, 'organisation')}.ics"
        _write_bytes(path, ics_calendar(event, organisation, theirs, stamp))
        written.append(path)
    return written


def _write_bytes(path: Path, data: bytes) -> None:
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    part.replace(path)


def agenda_zip(folder: Path) -> bytes:
    """Every file :func:`write_agendas` wrote in ``folder``, as one zip (stdlib :mod:`zipfile`, deflated), named
    inside as in the folder: ``agenda.csv``, ``event.ics``, ``agendas/<participant>.ics``,
    ``organisations/<organisation>.ics``…

    Examples
    --------
    >>> import tempfile, zipfile, io
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "agendas").mkdir()
    >>> _ = (folder / "agenda.csv").write_text("participant"), (folder / "agendas" / "Ana.ics").write_text("BEGIN")
    >>> zipfile.ZipFile(io.BytesIO(agenda_zip(folder))).namelist()
    ['agenda.csv', 'agendas/Ana.ics']
    """
    folder = Path(folder)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".part")):
            archive.write(path, path.relative_to(folder).as_posix())
    return out.getvalue()

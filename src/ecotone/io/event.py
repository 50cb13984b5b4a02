"""Brokerage-event files: read the organiser's workbook (participants, slots, meeting requests) and write the
agendas as a spreadsheet, CSV per participant and iCalendar (RFC 5545)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..domain.problems import InputRejected, Problem
from ._tabular import Table, cell_text, read_csv, read_xlsx
from ._cells import xlsx_cell
from .tables import write_csv

__all__ = ["Event", "read_event", "write_agendas", "ics_calendar", "SHEETS"]

#: The sheets (or CSV files in a folder) of an event and their columns; optional columns in brackets.
SHEETS = {"participants": "Name, Organisation, [Available], [Email]", "slots": "Slot, Start, End",
          "requests": "From, To, [Priority]"}
_PRIORITY = {"must meet": 3, "must": 3, "high": 3, "3": 3, "meet": 2, "medium": 2, "normal": 2, "2": 2, "": 2,
             "nice to meet": 1, "nice": 1, "low": 1, "1": 1}


@dataclass
class Event:
    """An event read from its workbook: participants (name → organisation, e-mail), slots in order with their
    times, each participant's available slots, and the meeting requests (requester, requested, priority)."""

    participants: dict[str, dict]
    slots: list[str]
    times: dict[str, tuple[dt.datetime, dt.datetime]]
    available: dict[str, set[str]]
    requests: pd.DataFrame


def _tables(path: Path) -> dict[str, Table]:
    if path.is_dir():
        found = {p.stem.lower(): p for p in path.glob("*.csv")}
        return {name: read_csv(found[name]) for name in SHEETS if name in found}
    if path.suffix.lower() == ".csv":
        raise InputRejected([Problem(str(path), reason="an event needs three tables, not one CSV file",
                                     hint="give an .xlsx workbook with sheets Participants, Slots, Requests, "
                                          "or a folder with participants.csv, slots.csv, requests.csv")])
    return {name.lower(): t for name, t in read_xlsx(path).items()}


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("T", " ").strip())


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

    slots_t = tables["slots"]
    slot_c, start_c, end_c = need(slots_t, "Slot", "Start", "End")
    slots: list[str] = []
    times: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    if None not in (slot_c, start_c, end_c):
        for row, values in slots_t.rows:
            slot = cell_text(values[slot_c])
            raw = {c: values[col] for c, col in (("Start", start_c), ("End", end_c))}
            try:
                start, end = (v if isinstance(v, dt.datetime) else _when(cell_text(v)) for v in raw.values())
            except ValueError:
                problems.append(Problem(slots_t.file, slots_t.sheet, row, "Start/End",
                                        "a time must read like 2026-03-12 09:00"))
                continue
            if not slot or slot in times:
                problems.append(Problem(slots_t.file, slots_t.sheet, row, "Slot",
                                        "empty" if not slot else f"slot {slot!r} appears twice"))
                continue
            if end <= start:
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
    prio_c = req_t.column("Priority")
    requests = []
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
    if problems:
        raise InputRejected(problems)
    return Event(participants, slots, times, available,
                 pd.DataFrame(requests, columns=["requester", "requested", "priority"]))


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    # RFC 5545: lines longer than 75 octets continue on the next line after a space.
    out, current = [], ""
    for ch in line:
        if len((current + ch).encode()) > 75:
            out.append(current)
            current = " " + ch
        else:
            current += ch
    return "\r\n".join([*out, current])


def ics_calendar(name: str, meetings: list[dict], stamp: dt.datetime) -> str:
    """One participant's meetings as an iCalendar file (times floating: the event's local time)."""
    fmt = "%Y%m%dT%H%M%S"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Ecotone//Brokerage event//EN", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_ics_text(name)}"]
    for m in meetings:
        uid = re.sub(r"[^A-Za-z0-9]+", "-", f"{m['slot']}-{m['a']}-{m['b']}").strip("-").lower()
        lines += ["BEGIN:VEVENT", f"UID:{uid}@ecotone", f"DTSTAMP:{stamp.strftime(fmt)}Z",
                  f"DTSTART:{m['start'].strftime(fmt)}", f"DTEND:{m['end'].strftime(fmt)}",
                  f"SUMMARY:{_ics_text('Meeting with ' + m['with'] + (' (' + m['organisation'] + ')' if m['organisation'] else ''))}",
                  f"LOCATION:{_ics_text('Table ' + str(m['table']))}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def write_agendas(event: Event, agenda: pd.DataFrame, unscheduled: pd.DataFrame, folder: Path,
                  stamp: dt.datetime | None = None) -> list[Path]:
    """Write ``agenda.xlsx`` (sheets Agenda, Unscheduled), ``agenda.csv``, ``unscheduled.csv`` and, per
    participant, ``agendas/<name>.csv`` and ``agendas/<name>.ics``. Returns the files written."""
    import openpyxl

    folder = Path(folder)
    (folder / "agendas").mkdir(parents=True, exist_ok=True)
    stamp = stamp or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    rows = []
    for m in agenda.to_dict("records"):
        start, end = event.times[m["slot"]]
        for me, other in ((m["a"], m["b"]), (m["b"], m["a"])):
            rows.append({"participant": me, "slot": m["slot"], "start": start, "end": end, "table": m["table"],
                         "with": other, "organisation": event.participants[other]["organisation"],
                         "priority": m["priority"], "mutual": m["mutual"], "a": m["a"], "b": m["b"]})
    per_person = pd.DataFrame(rows, columns=["participant", "slot", "start", "end", "table", "with", "organisation",
                                             "priority", "mutual", "a", "b"])
    header = ["participant", "slot", "start", "end", "table", "with", "organisation", "priority", "mutual"]
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
        safe = re.sub(r"[^\w.-]+", "_", name).strip("_") or "participant"
        write_csv(folder / "agendas" / f"{safe}.csv", [header] + [[r[h] if h not in ("start", "end") else
                                                                    r[h].isoformat(sep=" ") for h in header]
                                                                   for r in mine.to_dict("records")])
        ics = folder / "agendas" / f"{safe}.ics"
        part = ics.with_name(ics.name + ".part")
        part.write_bytes(ics_calendar(name, mine.to_dict("records"), stamp).encode("utf-8"))
        part.replace(ics)
        written += [folder / "agendas" / f"{safe}.csv", ics]
    return written

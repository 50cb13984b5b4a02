"""Read CORDIS open data (``organization.csv`` + ``project.csv``) into organisations, projects and co-participation ties."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..domain import Organization, Participation, Program, StakeholderType, Tie, TieKind, TieStatus, Visibility
from ..domain.batch import Batch, Origin
from ..domain.problems import InputRejected, Problem
from ._tabular import Table, read_csv

__all__ = ["read_cordis", "cordis_files", "stakeholder_type", "ACTIVITY_TYPES"]

#: CORDIS activity types and what they mean.
ACTIVITY_TYPES = {
    "HES": "Higher or secondary education establishment",
    "REC": "Research organisation",
    "PRC": "Private for-profit entity",
    "PUB": "Public body",
    "OTH": "Other",
}

# Words in a name that mark a healthcare provider or a patients' organisation, whatever the activity type says.
_HOSPITAL_WORDS = ("HOSPITAL", "HOPITAL", "HÔPITAL", "HOPITAUX", "KLINIKUM", "ZIEKENHUIS", "OSPEDAL", "SZPITAL",
                   "SJUKHUS", "SYGEHUS", "SAIRAALA", "MEDISCH CENTRUM", "MEDICAL CENTER", "MEDICAL CENTRE",
                   "NHS FOUNDATION TRUST", "NHS TRUST", "AZIENDA OSPEDALIERA", "UNIVERSITAETSKLINIK",
                   "UNIVERSITÄTSKLINIK", "CLINICA UNIVERSIDAD", "KLINIKEN")
_PATIENT_WORDS = ("PATIENT", "ALZHEIMER EUROPE")
_ASSOCIATION_WORDS = ("FEDERATION", "ASSOCIATION", "ASSOCIAZIONE", "ASOCIACION", "VERBAND", "VERENIGING")


def stakeholder_type(activity: str, name: str, sme: bool | None) -> StakeholderType:
    """The stakeholder type of a CORDIS participant from its activity type, name and SME flag.

    Healthcare providers are told by their names (Hospital, Klinikum, Ziekenhuis...), and so are patients'
    organisations and associations among "other" bodies; private companies are SMEs
    unless CORDIS says they are not (the H2020 health extract has no SME column, and most of its companies are SMEs).

    Examples
    --------
    >>> stakeholder_type("HES", "UNIVERSITAETSKLINIKUM HEIDELBERG", None).value
    'hospital'
    >>> stakeholder_type("PRC", "MAGGIOLI SPA", False).value
    'corporate'
    >>> stakeholder_type("OTH", "EUROPEAN PATIENTS FORUM", None).value
    'patient_organization'
    """
    upper = name.upper()
    if activity in ("OTH", "PUB") and any(w in upper for w in _PATIENT_WORDS):
        return StakeholderType.patient_organization
    if activity == "OTH" and any(w in upper for w in _ASSOCIATION_WORDS):
        return StakeholderType.industry_association
    if any(w in upper for w in _HOSPITAL_WORDS):
        return StakeholderType.hospital
    return {
        "HES": StakeholderType.university,
        "REC": StakeholderType.research_center,
        "PRC": StakeholderType.corporate if sme is False else StakeholderType.sme,
        "PUB": StakeholderType.government,
        "OTH": StakeholderType.other,
    }[activity]


def cordis_files(paths: list[Path]) -> tuple[Path, Path]:
    """The (organization.csv, project.csv) pair from a folder or from the two files in any order."""
    if len(paths) == 1 and paths[0].is_dir():
        folder = paths[0]
        found = (folder / "organization.csv", folder / "project.csv")
        missing = [p.name for p in found if not p.exists()]
        if missing:
            raise InputRejected([Problem(str(folder), reason=f"has no {' or '.join(missing)}",
                                         hint="a CORDIS folder holds organization.csv and project.csv")])
        return found
    if len(paths) == 2:
        orgs = [p for p in paths if "organi" in p.name.lower()]
        projects = [p for p in paths if "project" in p.name.lower()]
        if len(orgs) == 1 and len(projects) == 1:
            return orgs[0], projects[0]
    raise InputRejected([Problem(", ".join(map(str, paths)) or "(no file)",
                                 reason="CORDIS needs organization.csv and project.csv",
                                 hint="give their folder, or both files")])


def _required(table: Table, names: dict[str, tuple[str, ...]]) -> dict[str, str]:
    found, missing = {}, []
    for key, aliases in names.items():
        col = table.column(*aliases)
        if col is None:
            missing.append(aliases[0])
        else:
            found[key] = col
    if missing:
        shown = ", ".join(h[:40] for h in table.header[:15]) or "nothing"
        raise InputRejected([Problem(table.file, row=1, column=m, reason="this column is missing",
                                     hint=f"the header has: {shown}") for m in missing])
    return found


def _short(batch: Batch, table: Table, number: int, row: dict) -> bool:
    """Whether a row has fewer cells than the header (a problem is recorded naming the first column it lacks)."""
    lacking = [h for h in table.header if h not in row]
    if not lacking:
        return False
    batch.problems.append(Origin(table.file, None, number).problem(
        f"has {len(table.header) - len(lacking)} cells but the header has {len(table.header)}: the row ends before "
        "this column", column=lacking[0], hint="check the row's separators and quotes (a cut or joined line?)"))
    return True


def _optional(table: Table, names: dict[str, tuple[str, ...]]) -> tuple[dict[str, str | None], Callable]:
    """The optional columns a table has (key → header or None), and a getter of their stripped text ('' if absent)."""
    found = {key: table.column(*aliases) for key, aliases in names.items()}

    def get(row: dict, key: str) -> str:
        return (row.get(found[key]) or "").strip() if found[key] else ""

    return found, get


def _date(text: str) -> dt.date | None:
    text = text.strip()
    return dt.date.fromisoformat(text[:10]) if text else None


def _number(text: str) -> float | None:
    # CORDIS's own exports write decimals with a comma (18565826,25).
    text = text.strip()
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    if not text:
        return None
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a finite number")
    return number


@dataclass
class _Project:
    local: int
    start: dt.date | None
    end: dt.date | None
    members: dict[str, list] = field(default_factory=dict)  # PIC -> [role, contribution]


def read_cordis(organizations_csv: Path, projects_csv: Path, *, today: dt.date | None = None) -> Batch:
    r"""Read CORDIS participations into a batch: organisations keyed by PIC, projects as programmes with their
    participations, and one undirected co-participation tie per pair of organisations that share projects
    (weight = projects shared, dated from the first start to the last end).

    Both the Horizon 2020 and the Horizon Europe column sets are read, ``;``- or ``,``-separated.

    Parameters
    ----------
    organizations_csv, projects_csv : Path
        CORDIS's ``organization.csv`` and ``project.csv``.
    today : date, optional
        The day against which a tie's status (active or ended) is set; today by default.

    Returns
    -------
    Batch
        The records, or the problems found (each with file, row, column, reason and hint).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "project.csv").write_text("id;acronym;startDate;endDate\n1;HEART;2020-01-01;2022-12-31\n")
    >>> _ = (folder / "organization.csv").write_text(
    ...     "projectID;organisationID;name;activityType;country;role\n"
    ...     "1;999;HOSPITAL CLINIC;REC;ES;coordinator\n1;888;KARDIO SP Z OO;PRC;PL;participant\n")
    >>> batch = read_cordis(folder / "organization.csv", folder / "project.csv")
    >>> [(o.name, o.type.value) for o, _ in batch.records["organization"]]
    [('HOSPITAL CLINIC', 'hospital'), ('KARDIO SP Z OO', 'sme')]
    >>> [(t.weight, str(t.start_date), t.directed) for t, _ in batch.records["tie"]]
    [(1.0, '2020-01-01', False)]
    """
    batch = Batch()
    ptable = read_csv(projects_csv)
    projects, framework = _read_projects(batch, ptable)
    otable = read_csv(organizations_csv)
    participants = _read_participations(batch, otable, projects, framework, Path(ptable.file).name)
    local_of = _add_organizations(batch, otable, participants)
    if not batch.problems:
        _add_collaborations(batch, projects, local_of, f"CORDIS {Path(otable.file).name}", today or dt.date.today())
    return batch


def _read_projects(batch: Batch, table: Table) -> tuple[dict[str, _Project], str]:
    """Each project of ``project.csv`` as a programme; returns them by CORDIS id, and the framework's name."""
    name = Path(table.file).name
    cols = _required(table, {"id": ("id",), "start": ("startDate",), "end": ("endDate",)})
    optional, get = _optional(table, {"acronym": ("acronym",), "title": ("title",),
                                      "programme": ("programme", "frameworkProgramme"), "cost": ("totalCost",)})
    framework = "Horizon Europe" if table.column("frameworkProgramme") else "Horizon 2020"

    projects: dict[str, _Project] = {}
    for number, row in table.rows:
        if _short(batch, table, number, row):
            continue
        origin = Origin(table.file, None, number)
        pid = row[cols["id"]].strip()
        dates = {}
        for key in ("start", "end"):
            try:
                dates[key] = _date(row[cols[key]])
            except ValueError as exc:
                batch.problems.append(origin.problem(f"not a date: {exc}", column=cols[key],
                                                     hint="dates are written 2020-01-31"))
        try:
            cost = _number(get(row, "cost"))
        except ValueError:
            batch.problems.append(origin.problem(f"not a number: {get(row, 'cost')!r}", column=optional["cost"]))
            continue
        if len(dates) < 2:
            continue
        if not pid:
            batch.problems.append(origin.problem("the project id is empty", column=cols["id"]))
            continue
        if pid in projects:
            batch.problems.append(origin.problem(f"project {pid} is listed twice", column=cols["id"]))
            continue
        description = "; ".join(p for p in (get(row, "title"), f"{framework} {get(row, 'programme')}".strip()) if p)
        program = batch.build(Program, {
            "name": get(row, "acronym") or f"{framework} project {pid}", "kind": "research_project",
            "start_date": dates["start"], "end_date": dates["end"], "budget": cost, "description": description,
            "external_ids": {"cordis_project": pid}, "visibility": Visibility.public,
            "source": f"CORDIS {name} row {number}"}, origin, {"name": optional["acronym"] or "acronym"})
        if program is not None:
            projects[pid] = _Project(batch.add(program, origin), dates["start"], dates["end"])
    return projects, framework


def _read_participations(batch: Batch, table: Table, projects: dict[str, _Project], framework: str,
                         projects_file: str) -> dict[str, dict]:
    """Read ``organization.csv``: fills each project's members; returns what is known of each PIC."""
    name = Path(table.file).name
    cols = _required(table, {"project": ("projectID",), "pic": ("organisationID", "organizationID", "pic"),
                             "activity": ("activityType",), "country": ("country",)})
    optional, get = _optional(table, {
        "name": ("name",), "short": ("shortName",), "city": ("city",), "role": ("role",), "sme": ("SME",),
        "contribution": ("ecContribution",), "geo": ("geolocation",), "url": ("organizationURL",),
        "acronym": ("projectAcronym",)})

    participants: dict[str, dict] = {}
    for number, row in table.rows:
        if _short(batch, table, number, row):
            continue
        origin = Origin(table.file, None, number)
        pic = row[cols["pic"]].strip()
        pid = row[cols["project"]].strip()
        activity = row[cols["activity"]].strip().upper()
        if not pic.isdigit():
            batch.problems.append(origin.problem(f"the PIC {pic!r} is not a number", column=cols["pic"],
                                                 hint="organisationID holds the 9-digit Participant Identification Code"))
            continue
        if not pid:
            batch.problems.append(origin.problem("the project id is empty", column=cols["project"]))
            continue
        if activity not in ACTIVITY_TYPES:
            batch.problems.append(origin.problem(f"activity type {activity!r} is not a CORDIS one; use one of: "
                                                 f"{', '.join(ACTIVITY_TYPES)}", column=cols["activity"]))
            continue
        try:
            contribution = _number(get(row, "contribution"))
        except ValueError:
            batch.problems.append(origin.problem(f"not a number: {get(row, 'contribution')!r}",
                                                 column=optional["contribution"]))
            continue
        if contribution is not None and contribution < 0:
            batch.problems.append(origin.problem(f"the EC contribution {contribution:g} is negative",
                                                 column=optional["contribution"]))
            continue
        lat = lon = None
        if geo := get(row, "geo"):
            try:
                lat, lon = (float(x) for x in geo.split(","))
            except ValueError:
                batch.problems.append(origin.problem(f"geolocation {geo!r} is not 'latitude,longitude'",
                                                     column=optional["geo"]))
                continue
        if pid not in projects:
            # Partial extracts (a sample, a filtered download) name projects their project.csv lacks: keep the
            # participation, with a project known by its id and acronym only.
            batch.warnings.append(f"{table.file}, row {number}: project {pid} is not in {projects_file}; "
                                  "it was added without dates or title")
            program = batch.build(Program, {
                "name": get(row, "acronym") or f"{framework} project {pid}", "kind": "research_project",
                "external_ids": {"cordis_project": pid}, "visibility": Visibility.public,
                "source": f"CORDIS {name} row {number}"}, origin, {"name": optional["acronym"] or "projectAcronym"})
            if program is None:
                continue
            projects[pid] = _Project(batch.add(program, origin), None, None)
        fields = {"name": get(row, "name"), "short_name": get(row, "short") or None, "city": get(row, "city") or None,
                  "country": row[cols["country"]].strip() or None, "latitude": lat, "longitude": lon,
                  "website": get(row, "url") or None, "activity": activity,
                  "sme": {"true": True, "false": False}.get(get(row, "sme").lower())}
        known = participants.setdefault(pic, {**fields, "origin": origin, "columns": {
            "country": cols["country"], "name": optional["name"] or "name", "website": optional["url"] or "url"}})
        for k, v in fields.items():
            # An organisation appears once per project: the first row that names it wins, blanks are filled later.
            if known.get(k) in (None, "") and v not in (None, ""):
                known[k] = v
        members = projects[pid].members
        role = get(row, "role").lower() or "participant"
        if pic in members:
            members[pic][0] = "coordinator" if "coordinator" in (role, members[pic][0]) else members[pic][0]
            members[pic][1] = (members[pic][1] or 0) + (contribution or 0)
        else:
            members[pic] = [role, contribution]
    return participants


def _add_organizations(batch: Batch, table: Table, participants: dict[str, dict]) -> dict[str, int]:
    """One organisation per PIC; returns PIC → local id."""
    name = Path(table.file).name
    local_of: dict[str, int] = {}
    for pic, f in participants.items():
        origin = f["origin"]
        org = batch.build(Organization, {
            "name": f["name"] or f"PIC {pic}", "short_name": f["short_name"],
            "type": stakeholder_type(f["activity"], f["name"], f["sme"]),
            "city": f["city"], "country": f["country"], "latitude": f["latitude"], "longitude": f["longitude"],
            "website": f["website"], "external_ids": {"cordis_pic": pic}, "visibility": Visibility.public,
            "tags": [f"cordis:{f['activity']}"], "source": f"CORDIS {name} row {origin.row}"}, origin, f["columns"])
        if org is not None:
            local_of[pic] = batch.add(org, origin)
    return local_of


def _add_collaborations(batch: Batch, projects: dict[str, _Project], local_of: dict[str, int], source: str,
                        today: dt.date) -> None:
    """Participations, and one co-participation tie per pair of organisations that share projects."""
    pairs: dict[tuple[int, int], list] = defaultdict(lambda: [0, None, None, []])
    for pid, project in projects.items():
        for pic, (role, contribution) in project.members.items():
            batch.add(Participation(id=batch.new_id("participation"), program_id=project.local,
                                    organization_id=local_of[pic], role=role, contribution=contribution,
                                    visibility=Visibility.public, source=source))
        for a, b in itertools.combinations(sorted(local_of[p] for p in project.members), 2):
            agg = pairs[(a, b)]
            agg[0] += 1
            agg[1] = project.start if agg[1] is None or (project.start and project.start < agg[1]) else agg[1]
            agg[2] = project.end if agg[2] is None or (project.end and project.end > agg[2]) else agg[2]
            agg[3].append(pid)
    for (a, b), (weight, start, end, pids) in pairs.items():
        shown = ", ".join(pids[:8]) + (f" and {len(pids) - 8} more" if len(pids) > 8 else "")
        batch.add(Tie(
            id=batch.new_id("tie"), source_id=a, target_id=b, kind=TieKind.co_participation, directed=False,
            weight=float(weight), start_date=start, end_date=end,
            status=TieStatus.ended if end and end < today else TieStatus.active,
            evidence=f"CORDIS projects {shown}", visibility=Visibility.public, source=source))

"""Read CORDIS open data (``organization.csv`` + ``project.csv``) into organisations, projects and co-participation ties."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict
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
        raise InputRejected([Problem(table.file, row=1, column=m, reason="this column is missing",
                                     hint=f"the header has: {', '.join(table.header[:15])}") for m in missing])
    return found


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
    members: dict[int, list] = field(default_factory=dict)  # org local id -> [role, contribution]


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
    today = today or dt.date.today()
    batch = Batch()
    ptable = read_csv(projects_csv)
    pname = Path(ptable.file).name
    pcols = _required(ptable, {"id": ("id",), "start": ("startDate",), "end": ("endDate",)})
    optional = {k: ptable.column(*a) for k, a in {"acronym": ("acronym",), "title": ("title",),
                                                  "programme": ("programme", "frameworkProgramme"),
                                                  "cost": ("totalCost",), "topics": ("topics",)}.items()}
    framework = "Horizon Europe" if ptable.column("frameworkProgramme") else "Horizon 2020"
    projects: dict[str, _Project] = {}
    for number, row in ptable.rows:
        origin = Origin(ptable.file, None, number)
        pid = row[pcols["id"]].strip()
        try:
            start, end = _date(row[pcols["start"]]), _date(row[pcols["end"]])
        except ValueError as exc:
            batch.problems.append(origin.problem(f"not a date: {exc}", column=pcols["start"],
                                                 hint="dates are written 2020-01-31"))
            continue
        try:
            cost = _number(row.get(optional["cost"], "") if optional["cost"] else "")
        except ValueError:
            batch.problems.append(origin.problem(f"not a number: {row[optional['cost']]!r}", column=optional["cost"]))
            continue
        if not pid:
            batch.problems.append(origin.problem("the project id is empty", column=pcols["id"]))
            continue
        if pid in projects:
            batch.problems.append(origin.problem(f"project {pid} is listed twice", column=pcols["id"]))
            continue
        acronym = row.get(optional["acronym"], "").strip() if optional["acronym"] else ""
        title = row.get(optional["title"], "").strip() if optional["title"] else ""
        parts = row.get(optional["programme"], "").strip() if optional["programme"] else ""
        description = "; ".join(p for p in (title, f"{framework} {parts}".strip()) if p)
        program = batch.build(Program, {
            "name": acronym or f"{framework} project {pid}", "kind": "research_project",
            "start_date": start, "end_date": end, "budget": cost, "description": description,
            "external_ids": {"cordis_project": pid}, "visibility": Visibility.public,
            "source": f"CORDIS {pname} row {number}"}, origin)
        if program is not None:
            projects[pid] = _Project(batch.add(program, origin), start, end)

    otable = read_csv(organizations_csv)
    oname = Path(otable.file).name
    ocols = _required(otable, {"project": ("projectID",), "pic": ("organisationID", "organizationID", "pic"),
                               "activity": ("activityType",), "country": ("country",)})
    ocol = {k: otable.column(*a) for k, a in {
        "name": ("name",), "short": ("shortName",), "city": ("city",), "role": ("role",), "sme": ("SME",),
        "contribution": ("ecContribution",), "geo": ("geolocation",), "url": ("organizationURL",),
        "acronym": ("projectAcronym",)}.items()}

    def get(row: dict, key: str) -> str:
        col = ocol[key]
        return (row.get(col) or "").strip() if col else ""

    orgs: dict[str, dict] = {}
    for number, row in otable.rows:
        origin = Origin(otable.file, None, number)
        pic = row[ocols["pic"]].strip()
        pid = row[ocols["project"]].strip()
        activity = row[ocols["activity"]].strip().upper()
        if not pic.isdigit():
            batch.problems.append(origin.problem(f"the PIC {pic!r} is not a number", column=ocols["pic"],
                                                 hint="organisationID holds the 9-digit Participant Identification Code"))
            continue
        if not pid:
            batch.problems.append(origin.problem("the project id is empty", column=ocols["project"]))
            continue
        if pid not in projects:
            # Partial extracts (a sample, a filtered download) name projects their project.csv lacks: keep the
            # participation, with a project known by its id and acronym only.
            acronym = get(row, "acronym")
            batch.warnings.append(f"{otable.file}, row {number}: project {pid} is not in {pname}; "
                                  "it was added without dates or title")
            program = batch.build(Program, {
                "name": acronym or f"{framework} project {pid}", "kind": "research_project",
                "external_ids": {"cordis_project": pid}, "visibility": Visibility.public,
                "source": f"CORDIS {oname} row {number}"}, origin, {"name": ocol["acronym"] or "projectAcronym"})
            if program is None:
                continue
            projects[pid] = _Project(batch.add(program, origin), None, None)
        if activity not in ACTIVITY_TYPES:
            batch.problems.append(origin.problem(f"activity type {activity!r} is not a CORDIS one; use one of: "
                                                 f"{', '.join(ACTIVITY_TYPES)}", column=ocols["activity"]))
            continue
        try:
            contribution = _number(get(row, "contribution"))
        except ValueError:
            batch.problems.append(origin.problem(f"not a number: {get(row, 'contribution')!r}",
                                                 column=ocol["contribution"]))
            continue
        lat = lon = None
        if geo := get(row, "geo"):
            try:
                lat, lon = (float(x) for x in geo.split(","))
            except ValueError:
                batch.problems.append(origin.problem(f"geolocation {geo!r} is not 'latitude,longitude'",
                                                     column=ocol["geo"]))
                continue
        name = get(row, "name")
        sme = {"true": True, "false": False}.get(get(row, "sme").lower())
        fields = {"name": name, "short_name": get(row, "short") or None, "city": get(row, "city") or None,
                  "country": row[ocols["country"]].strip() or None, "latitude": lat, "longitude": lon,
                  "website": get(row, "url") or None, "activity": activity, "sme": sme}
        if pic not in orgs:
            orgs[pic] = {**fields, "origin": origin}
        else:
            # An organisation appears once per project; the first row that names it wins, blanks are filled later.
            known = orgs[pic]
            for k, v in fields.items():
                if known.get(k) in (None, "") and v not in (None, ""):
                    known[k] = v
        if contribution is not None and contribution < 0:
            batch.problems.append(origin.problem(f"the EC contribution {contribution:g} is negative",
                                                 column=ocol["contribution"]))
            continue
        members = projects[pid].members
        role = get(row, "role").lower() or "participant"
        if pic in members:
            members[pic][0] = "coordinator" if "coordinator" in (role, members[pic][0]) else members[pic][0]
            members[pic][1] = (members[pic][1] or 0) + (contribution or 0)
        else:
            members[pic] = [role, contribution]

    local_of: dict[str, int] = {}
    for pic, f in orgs.items():
        origin = f["origin"]
        org = batch.build(Organization, {
            "name": f["name"] or f"PIC {pic}", "short_name": f["short_name"],
            "type": stakeholder_type(f["activity"], f["name"], f["sme"]),
            "city": f["city"], "country": f["country"], "latitude": f["latitude"], "longitude": f["longitude"],
            "website": f["website"], "external_ids": {"cordis_pic": pic}, "visibility": Visibility.public,
            "tags": [f"cordis:{f['activity']}"],
            "source": f"CORDIS {oname} row {origin.row}"}, origin,
            columns={"country": ocols["country"], "name": ocol["name"] or "name", "website": ocol["url"] or "url"})
        if org is not None:
            local_of[pic] = batch.add(org, origin)
    if batch.problems:
        return batch

    pairs: dict[tuple[int, int], list] = defaultdict(lambda: [0, None, None, []])
    for pid, project in projects.items():
        for pic, (role, contribution) in project.members.items():
            batch.add(Participation(id=batch.new_id("participation"), program_id=project.local, organization_id=local_of[pic], role=role,
                                    contribution=contribution, visibility=Visibility.public,
                                    source=f"CORDIS {oname}"))
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
            evidence=f"CORDIS projects {shown}", visibility=Visibility.public, source=f"CORDIS {oname}"))
    return batch

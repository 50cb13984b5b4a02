"""Read CORDIS open data (``organization.csv`` + ``project.csv``) into organisations, projects and co-participation ties."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import itertools
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..domain import Organization, Program, StakeholderType, TieKind, TieStatus, Visibility
from ..domain.batch import Batch, Origin, Rows
from ..domain.problems import InputRejected, Problem
from ._tabular import Table, read_csv

__all__ = ["read_cordis", "cordis_files", "stakeholder_type", "known_group", "groups_by_stem", "ACTIVITY_TYPES"]

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
    """The stakeholder type of a CORDIS participant from its activity type, name and SME status.

    Healthcare providers are told by their names (Hospital, Klinikum, Ziekenhuis...), and so are patients'
    organisations and associations among "other" bodies. A private for-profit entity (PRC) is an SME only when
    ``sme`` is True — the file's ``SME`` column says so, or other evidence does (see :func:`read_cordis`) — and a
    corporate otherwise: an SME is a company under the EU's thresholds (fewer than 250 staff, turnover up to
    €50 million or balance sheet up to €43 million, counting the groups it belongs to), and without evidence of
    that a company is not presumed to be one.

    Examples
    --------
    >>> stakeholder_type("HES", "UNIVERSITAETSKLINIKUM HEIDELBERG", None).value
    'hospital'
    >>> [stakeholder_type("PRC", "MAGGIOLI SPA", sme).value for sme in (True, False, None)]
    ['sme', 'corporate', 'corporate']
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
        "PRC": StakeholderType.sme if sme else StakeholderType.corporate,
        "PUB": StakeholderType.government,
        "OTH": StakeholderType.other,
    }[activity]


# Company names: legal forms say nothing of who a company is, and a few leading words (articles, "Royal") come
# before the name proper.
_LEGAL_FORMS = frozenset("""
    AG GMBH MBH GGMBH KG KGAA OHG UG HAFTUNGSBESCHRANKT AKTIENGESELLSCHAFT KOMMANDITGESELLSCHAFT AUF AKTIEN
    GESELLSCHAFT MIT BESCHRANKTER HAFTUNG SE SA SAS SASU SARL EURL SNC SCA SPA SRL SRLU SCARL SOCIETA PER AZIONI
    SL SLU SLL SAU SOCIEDAD ANONIMA LIMITADA LDA SGPS BV NV VOF CV BVBA SPRL SRO AS ASA APS AB OY OYJ HF EHF
    LTD LIMITED PLC LLC LLP LP INC INCORPORATED CORP CORPORATION CO COMPANY DOO DD AD EOOD OOD SP ZOO KFT ZRT NYRT
    UAB OU SIA IKE AE EPE ANONYMI ETAIREIA SPOLKA AKCYJNA OGRANICZONA ODPOWIEDZIALNOSCIA PTY BHD SDN STI TIC
""".split())
_LEADING_WORDS = frozenset("THE LE LA LES DE DER DIE DAS EL IL LO KONINKLIJKE ROYAL".split())
# What may follow a group's stem in the name of its parent or of a national branch (SIEMENS AKTIENGESELLSCHAFT
# OESTERREICH, IBM IRELAND LIMITED, NXP SEMICONDUCTORS GERMANY GMBH).
_BRANCH_WORDS = frozenset("""
    EUROPE EUROPA INTERNATIONAL GLOBAL WORLDWIDE HOLDING HOLDINGS GROUP GROUPE GRUPPE GRUPO NORDIC NORDEN BENELUX
    SCANDINAVIA IBERIA IBERICA AUSTRIA OESTERREICH OSTERREICH BELGIUM BELGIQUE BELGIE BULGARIA CROATIA HRVATSKA
    CYPRUS CZECH CZECHIA CESKO CESKA REPUBLIC REPUBLIKA DENMARK DANMARK ESTONIA EESTI FINLAND SUOMI FRANCE GERMANY
    DEUTSCHLAND GREECE HELLAS HUNGARY MAGYARORSZAG IRELAND ITALY ITALIA LATVIA LITHUANIA LUXEMBOURG MALTA
    NETHERLANDS NEDERLAND POLAND POLSKA PORTUGAL ROMANIA SLOVAKIA SLOVENSKO SLOVENIA SLOVENIJA SPAIN ESPANA
    SWEDEN SVERIGE NORWAY NORGE SWITZERLAND SCHWEIZ SUISSE SVIZZERA ICELAND SERBIA TURKEY TURKIYE ISRAEL UK GB
    GREAT BRITAIN UNITED KINGDOM STATES USA US AMERICA CANADA JAPAN CHINA INDIA AUSTRALIA
""".split())


def _words(name: str) -> list[str]:
    """A name's words in upper case, without accents or punctuation: 'Drägerwerk AG & Co.' → DRAGERWERK AG CO."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).upper()
    return re.sub(r"[^A-Z0-9]+", " ", text).split()


def _core(name: str) -> list[str]:
    """The words that name a company: no legal forms, no single letters, no leading article."""
    words = [w for w in _words(name) if w not in _LEGAL_FORMS and len(w) > 1]
    while words and words[0] in _LEADING_WORDS:
        words.pop(0)
    return words


def _pattern(text: str) -> str:
    anchored = text.strip().startswith("^")
    return ("^" if anchored else "") + " ".join(_words(text.strip().lstrip("^")))


def _matches(padded: str, pattern: str) -> bool:
    if pattern.startswith("^"):
        return padded.startswith(f" {pattern[1:]} ")
    return f" {pattern} " in padded


@functools.cache
def _known_groups() -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    """The well-known groups shipped in ``ecotone/data/industrial_groups.csv``: (name, patterns, exceptions)."""
    text = (resources.files("ecotone.data") / "industrial_groups.csv").read_text(encoding="utf-8")
    return tuple((row["group"], tuple(_pattern(p) for p in row["patterns"].split("|") if p.strip()),
                  tuple(_pattern(p) for p in (row["except"] or "").split("|") if p.strip()))
                 for row in csv.DictReader(io.StringIO(text)))


def known_group(name: str) -> str | None:
    """The well-known group a company belongs to, told by its name, or None.

    The groups are those of ``ecotone/data/industrial_groups.csv`` (its README says where the list comes from):
    multinational groups far above the EU's SME thresholds. A pattern matches whole words of the name, without
    case, accents or punctuation (``^`` ties it to the name's start); the first group that matches wins.

    Examples
    --------
    >>> known_group("SIEMENS HEALTHCARE GMBH"), known_group("F. HOFFMANN-LA ROCHE AG"), known_group("Philips GmbH")
    ('Siemens', 'Roche', 'Philips')
    >>> known_group("Merck Sharp & Dohme LLC"), known_group("MERCK KOMMANDITGESELLSCHAFT AUF AKTIEN")
    ('MSD (Merck & Co.)', 'Merck KGaA')
    >>> known_group("ATOS SPAIN SA"), known_group("ATOS MEDICAL AB"), known_group("SOMA ANALYTICS UG")
    ('Atos', 'Coloplast', None)
    """
    words = _words(name)
    padded = f" {' '.join(words)} "
    groups, by_word = _known_groups(), _groups_by_word()
    # Only the groups one of whose patterns starts with a word of the name can match it: in the list's order.
    for at in sorted({at for w in words for at in by_word.get(w, ())}):
        group, patterns, exceptions = groups[at]
        if any(_matches(padded, p) for p in patterns) and not any(_matches(padded, p) for p in exceptions):
            return group
    return None


@functools.cache
def _groups_by_word() -> dict[str, tuple[int, ...]]:
    """First word of a pattern → the positions of the known groups with a pattern starting with it."""
    out: dict[str, list[int]] = defaultdict(list)
    for at, (_, patterns, _) in enumerate(_known_groups()):
        for p in patterns:
            first = p.lstrip("^").split(" ")[0]
            if at not in out[first]:
                out[first].append(at)
    return {w: tuple(ats) for w, ats in out.items()}


def groups_by_stem(names: Mapping[str, str], others: Iterable[str] = ()) -> dict[str, str]:
    """Groups of companies told by their names: several keys (PICs) whose names begin with one distinctive stem.

    Companies form a group when (1) their names, without legal forms, begin with the same word, (2) that word
    is in no other name of the file (so a common word — HEALTH, EUROPEAN, BIO — makes no group), and (3) one of
    them is named by the stem alone, or by the stem and a country or "International", "Holding" and the like:
    the parent or a national branch (SIEMENS AG, IBM IRELAND LIMITED). The stem is the longest run of leading
    words the names share, and names the group.

    Parameters
    ----------
    names : mapping
        Key (a PIC) → name, for the companies to group.
    others : iterable of str
        The names of every other organisation in the file.

    Returns
    -------
    dict
        Key → group name, for the keys that belong to a group.

    Examples
    --------
    >>> groups_by_stem({"1": "SIEMENS AG", "2": "SIEMENS HEALTHCARE GMBH", "3": "SIEMENS HEALTHINEERS AG",
    ...                 "4": "HEALTH LEADS BV", "5": "HEALTH INTELLIGENCE LTD", "6": "NXP SEMICONDUCTORS GERMANY GMBH",
    ...                 "7": "NXP SEMICONDUCTORS NETHERLANDS BV", "8": "GENOMIC VISION", "9": "GENOMIC EXPRESSION APS"})
    {'1': 'Siemens', '2': 'Siemens', '3': 'Siemens', '6': 'NXP Semiconductors', '7': 'NXP Semiconductors'}
    >>> groups_by_stem({"1": "ORION AB", "2": "ORION LABS LTD"}, others=["ORION RESEARCH INSTITUTE"])
    {}
    """
    core = {key: _core(name) for key, name in names.items()}
    clusters: dict[str, list[str]] = defaultdict(list)
    for key, words in core.items():
        if words and len(words[0]) >= 3:
            clusters[words[0]].append(key)
    holding: Counter = Counter()  # how many names hold each word, anywhere
    for name in itertools.chain(names.values(), others):
        holding.update(set(_words(name)))
    out: dict[str, str] = {}
    for first, keys in clusters.items():
        if len(keys) < 2 or holding[first] > len(keys):
            continue
        stem = []
        for column in zip(*(core[k] for k in keys)):
            if any(w != column[0] for w in column):
                break
            stem.append(column[0])
        if not any(set(core[k][len(stem):]) <= _BRANCH_WORDS for k in keys):
            continue
        group = " ".join(w if len(w) <= 3 else w.capitalize() for w in stem)
        out.update(dict.fromkeys(keys, group))
    return dict(sorted(out.items()))


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
    sme_only: bool = False  # a scheme only SMEs may join


def _sme_only(programme: str, scheme: str) -> bool:
    """Whether a project belongs to Horizon 2020's SME Instrument, which only SMEs may join: funding scheme SME-1
    or SME-2, programme part H2020-EU.2.3.1, or the part "Innovation in SMEs" (H2020-EU.2.3) as the H2020 health
    extract labels it.

    >>> _sme_only("Innovation in SMEs|LEIT|SC1", ""), _sme_only("H2020-EU.3.1.;H2020-EU.2.3.1.", "SME-2")
    (True, True)
    >>> _sme_only("SC1", "RIA")
    False
    """
    parts = {p.strip().lower() for p in re.split(r"[|;]", programme)}
    return (scheme.strip().upper() in ("SME-1", "SME-2") or "innovation in smes" in parts
            or any(p.startswith("h2020-eu.2.3.1") for p in parts))


def read_cordis(organizations_csv: Path, projects_csv: Path, *, today: dt.date | None = None) -> Batch:
    r"""Read CORDIS participations into a batch: organisations keyed by PIC, projects as programmes with their
    participations, and one undirected co-participation tie per pair of organisations that share projects
    (weight = projects shared, dated from the first start to the last end).

    Both the Horizon 2020 and the Horizon Europe column sets are read, ``;``- or ``,``-separated.

    A private for-profit participant (activity type PRC) is typed ``sme`` only on evidence: the file's ``SME``
    column (Horizon Europe's files have it), or, where the file has no such column or leaves it blank, taking part
    in Horizon 2020's SME Instrument, which only SMEs may join (a project of that scheme counts when all its
    participants are private companies, since the "Innovation in SMEs" part also funds support networks); such
    companies are tagged ``cordis:sme-instrument``. The EU's SME criteria themselves (fewer than 250 staff and a
    turnover up to €50 million or a balance sheet up to €43 million, counting the group) cannot be checked: CORDIS
    files carry no headcount, turnover or balance sheet. Every other company is a ``corporate``; those that belong
    to a large group are tagged ``group:<name>`` — the groups of :func:`known_group`, and the groups of several
    PICs that :func:`groups_by_stem` tells by their names — and the rest, whose size nothing tells, are tagged
    ``cordis:size-unknown``. The file's own ``SME`` flag always wins over a name.

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
    >>> for o, _ in batch.records["organization"]:
    ...     print(o.name, o.type.value, o.tags)
    HOSPITAL CLINIC hospital ['cordis:REC']
    KARDIO SP Z OO corporate ['cordis:PRC', 'cordis:size-unknown']
    >>> ties = batch.rows["tie"].columns  # built in bulk, as columns
    >>> ties["weight"], [str(d) for d in ties["start_date"]], ties["directed"]
    ([1.0], ['2020-01-01'], [False])
    """
    batch = Batch()
    ptable = read_csv(projects_csv)
    projects, framework = _read_projects(batch, ptable)
    otable = read_csv(organizations_csv, stream=True)  # a row per participation: read in one pass, never held whole
    participants = _read_participations(batch, otable, projects, framework, Path(ptable.file).name)
    local_of = _add_organizations(batch, otable, participants, *_company_evidence(participants, projects))
    if not batch.problems:
        _add_collaborations(batch, projects, local_of, f"CORDIS {Path(otable.file).name}", today or dt.date.today(),
                            otable.file)
    return batch


def _read_projects(batch: Batch, table: Table) -> tuple[dict[str, _Project], str]:
    """Each project of ``project.csv`` as a programme; returns them by CORDIS id, and the framework's name."""
    name = Path(table.file).name
    cols = _required(table, {"id": ("id",), "start": ("startDate",), "end": ("endDate",)})
    optional, get = _optional(table, {"acronym": ("acronym",), "title": ("title",),
                                      "programme": ("programme", "frameworkProgramme"), "cost": ("totalCost",),
                                      "scheme": ("fundingScheme",)})
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
            projects[pid] = _Project(batch.add(program, origin), dates["start"], dates["end"],
                                     sme_only=_sme_only(get(row, "programme"), get(row, "scheme")))
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


def _company_evidence(participants: dict[str, dict], projects: dict[str, _Project]) -> tuple[set[str], dict[str, str]]:
    """What tells a company's size: the PICs that joined a project only SMEs may join, and PIC → large group."""
    instrument = {pic for project in projects.values()
                  if project.sme_only and all(participants[m]["activity"] == "PRC" for m in project.members)
                  for pic in project.members}
    companies = {pic: f["name"] for pic, f in participants.items()
                 if f["activity"] == "PRC" and f["name"] and f["sme"] is not True
                 and not (f["sme"] is None and pic in instrument)
                 and stakeholder_type("PRC", f["name"], False) is StakeholderType.corporate}
    groups = {pic: group for pic, name in companies.items() if (group := known_group(name))}
    unmatched = {pic: name for pic, name in companies.items() if pic not in groups}
    others = [f["name"] for pic, f in participants.items() if f["name"] and pic not in unmatched]
    return instrument, {**groups_by_stem(unmatched, others), **groups}


def _add_organizations(batch: Batch, table: Table, participants: dict[str, dict], instrument: set[str],
                       groups: dict[str, str]) -> dict[str, int]:
    """One organisation per PIC; returns PIC → local id."""
    name = Path(table.file).name
    local_of: dict[str, int] = {}
    for pic, f in participants.items():
        origin = f["origin"]
        tags = [f"cordis:{f['activity']}"]
        sme = f["sme"]
        if f["activity"] == "PRC" and sme is None and pic in instrument:
            sme = True
            tags.append("cordis:sme-instrument")
        kind = stakeholder_type(f["activity"], f["name"], sme)
        if kind is StakeholderType.corporate:
            if pic in groups:
                tags.append(f"group:{groups[pic]}")
            elif sme is None:
                tags.append("cordis:size-unknown")
        org = batch.build(Organization, {
            "name": f["name"] or f"PIC {pic}", "short_name": f["short_name"], "type": kind,
            "city": f["city"], "country": f["country"], "latitude": f["latitude"], "longitude": f["longitude"],
            "website": f["website"], "external_ids": {"cordis_pic": pic}, "visibility": Visibility.public,
            "tags": tags, "source": f"CORDIS {name} row {origin.row}"}, origin, f["columns"])
        if org is not None:
            local_of[pic] = batch.add(org, origin)
    return local_of


def _add_collaborations(batch: Batch, projects: dict[str, _Project], local_of: dict[str, int], source: str,
                        today: dt.date, file: str | None = None) -> None:
    """Participations, and one co-participation tie per pair of organisations that share projects: built as
    columns (:class:`~ecotone.domain.batch.Rows`), the pairs counted with numpy — the full H2020 extract has
    nearly 800,000 of them."""
    import numpy as np

    part: dict[str, list] = {"program_id": [], "organization_id": [], "role": [], "contribution": []}
    firsts, seconds, which = [], [], []
    starts, ends, pids = [], [], []
    for n, (pid, project) in enumerate(projects.items()):
        for pic, (role, contribution) in project.members.items():
            part["program_id"].append(project.local)
            part["organization_id"].append(local_of[pic])
            part["role"].append(role)
            part["contribution"].append(contribution)
        members = np.sort(np.fromiter((local_of[p] for p in project.members), dtype=np.int64))
        a, b = np.triu_indices(len(members), 1)
        firsts.append(members[a])
        seconds.append(members[b])
        which.append(np.full(len(a), n, dtype=np.int64))
        starts.append(project.start.toordinal() if project.start else -1)
        ends.append(project.end.toordinal() if project.end else -1)
        pids.append(pid)
    count = len(part["program_id"])
    batch.add_rows(Rows("participation", {
        "id": [batch.new_id("participation") for _ in range(count)], **part,
        "visibility": [Visibility.public.value] * count, "source": [source] * count}, file=file))

    first = np.concatenate(firsts) if firsts else np.zeros(0, np.int64)
    second = np.concatenate(seconds) if seconds else np.zeros(0, np.int64)
    project_of = np.concatenate(which) if which else np.zeros(0, np.int64)
    # Pairs in the order they first appear (projects in file order, each project's pairs by local id); within
    # a pair its projects keep their order, as the evidence lists them.
    order = np.lexsort((np.arange(len(first)), second, first))
    sorted_first, sorted_second = first[order], second[order]
    head = np.ones(len(order), dtype=bool)
    head[1:] = (sorted_first[1:] != sorted_first[:-1]) | (sorted_second[1:] != sorted_second[:-1])
    bounds = np.flatnonzero(head)
    weight = np.diff(np.append(bounds, len(order)))
    in_pair = project_of[order]
    start_of, end_of = np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)
    big = np.iinfo(np.int64).max
    # The first start and the last end among a pair's projects that have one (none when none has).
    start = np.minimum.reduceat(np.where(start_of[in_pair] < 0, big, start_of[in_pair]), bounds) if len(order) else \
        np.zeros(0, np.int64)
    end = np.maximum.reduceat(end_of[in_pair], bounds) if len(order) else np.zeros(0, np.int64)
    appear = np.argsort(order[bounds], kind="stable")
    bounds, weight, start, end = bounds[appear], weight[appear], start[appear], end[appear]
    pid_at = [pids[i] for i in in_pair.tolist()]
    evidence = [f"CORDIS projects {pid_at[at]}" if w == 1 else
                "CORDIS projects " + ", ".join(pid_at[at:at + min(w, 8)]) + (f" and {w - 8} more" if w > 8 else "")
                for at, w in zip(bounds.tolist(), weight.tolist())]
    day = dt.date.fromordinal
    start_dates = [None if s == big else day(s) for s in start.tolist()]
    end_dates = [None if e < 0 else day(e) for e in end.tolist()]
    today_n = today.toordinal()
    status = np.where((end >= 0) & (end < today_n), TieStatus.ended.value, TieStatus.active.value).tolist()
    ties = len(bounds)
    batch.add_rows(Rows("tie", {
        "id": [batch.new_id("tie") for _ in range(ties)], "source_id": sorted_first[bounds].tolist(),
        "target_id": sorted_second[bounds].tolist(), "kind": [TieKind.co_participation.value] * ties,
        "directed": [False] * ties, "weight": weight.astype(float).tolist(), "start_date": start_dates,
        "end_date": end_dates, "status": status, "evidence": evidence,
        "visibility": [Visibility.public.value] * ties, "source": [source] * ties}, file=file))

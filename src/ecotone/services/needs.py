"""The clinical needs registry: list needs (with who raised them, who endorses them and what addresses them),
show one, add one, and import a register of needs from a spreadsheet — all or nothing, through the Atlas (what
a principal may see, and an audit entry for every write)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..domain import ClinicalNeed, Endorsement, Hub, Innovation, Organization, Person
from ..domain.parsing import terms
from ..domain.enums import NeedSeverity, NeedStatus
from ..domain.problems import InputRejected, Problem
from ..io.needs import NeedsFile, read_needs
from ..store import Atlas
from ..store.atlas import NotFound
from ..store.merge import MergeReport, merge
from . import registry
from .analysis import Result
from .browse import validated

__all__ = ["list_needs", "need_rows", "show_need", "add_need", "import_needs", "resolve_names"]

_CLASSES = {"hub": Hub, "organization": Organization, "person": Person, "innovation": Innovation}
_WORDS = {"hub": "hub", "organization": "organisation", "person": "person", "innovation": "innovation"}
_SEVERITY_ORDER = {s.value: i for i, s in enumerate(reversed(list(NeedSeverity)))}


def need_rows(atlas: Atlas, *, hub: str | None = None, status: str | None = None, area: str | None = None,
              severity: str | None = None, unaddressed: bool = False) -> list[dict[str, Any]]:
    """The needs the principal may see, one row each: the Biodesign statement, area, severity, prevalence, status,
    hub, who raised it (organisation and clinician), the innovations addressing it and how many endorse it. With
    ``unaddressed``, only the gaps (no innovation addresses them). Graver needs first, then by id."""
    if status:
        terms(NeedStatus, status, "need status")  # a word not in the vocabulary is refused in words
    needs = atlas.find(ClinicalNeed, limit=None, hub=hub, status=status, area=area, severity=severity).items
    if unaddressed:
        needs = [n for n in needs if n.is_gap]
    hubs = atlas.names("hub", [n.hub_id for n in needs if n.hub_id])
    orgs = atlas.names("organization", [n.raised_by_id for n in needs if n.raised_by_id])
    people = atlas.names("person", [n.raised_by_person_id for n in needs if n.raised_by_person_id])
    innovations = atlas.names("innovation", [i for n in needs for i in n.innovation_ids])
    endorsements: dict[int, int] = {}
    for e in atlas.find(Endorsement, limit=None).items:
        endorsements[e.need_id] = endorsements.get(e.need_id, 0) + 1
    rows = []
    for n in needs:
        addressing = [innovations[i] for i in n.innovation_ids if i in innovations]
        rows.append({"id": n.id, "statement": n.statement, "clinical_area": n.clinical_area,
                     "severity": n.severity.value if n.severity else None, "prevalence": n.prevalence,
                     "status": n.status.value, "hub": hubs.get(n.hub_id), "raised_by": orgs.get(n.raised_by_id),
                     "clinician": people.get(n.raised_by_person_id), "innovations": addressing,
                     "endorsements": endorsements.get(n.id, 0), "gap": not addressing})
    rows.sort(key=lambda r: (_SEVERITY_ORDER.get(r["severity"], len(_SEVERITY_ORDER)), r["id"]))
    return rows


def list_needs(atlas: Atlas, **filters: Any) -> Result:
    """:func:`need_rows` as a result, with how many needs are gaps.

    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = add_need(atlas, {"problem": "detect sepsis early", "population": "adults in the ICU",
    ...                          "outcome": "reduce deaths", "severity": "critical"})
    ...     result = list_needs(atlas)
    >>> result.tables["needs"][0]["statement"], result.summary
    ('A way to detect sepsis early in adults in the ICU in order to reduce deaths', {'needs': 1, 'gaps': 1})
    """
    rows = need_rows(atlas, **filters)
    return Result(tables={"needs": rows}, summary={"needs": len(rows), "gaps": sum(r["gap"] for r in rows)})


def _need(atlas: Atlas, ref: str | int) -> ClinicalNeed:
    text = str(ref).strip()
    if text.isdigit():
        return atlas.get(ClinicalNeed, int(text))
    hits = atlas.find(ClinicalNeed, limit=None, search=text).items
    if len(hits) == 1:
        return hits[0]
    raise InputRejected([Problem(column="NEED", reason=f"{'no' if not hits else str(len(hits))} clinical need"
                                 f"{'s' if len(hits) > 1 else ''} match {text!r}",
                                 hint="give the need's id (ecotone needs list shows them)")])


def show_need(atlas: Atlas, ref: str | int) -> dict[str, Any]:
    """One need (by id, or a part of its wording only one need has) with its endorsements and the innovations
    that address it (each with its organisation and stage)."""
    need = _need(atlas, ref)
    names = {kind: atlas.names(kind, ids) for kind, ids in (
        ("hub", [need.hub_id] if need.hub_id else []),
        ("organization", [need.raised_by_id] if need.raised_by_id else []),
        ("person", [need.raised_by_person_id] if need.raised_by_person_id else []))}
    endorsements = []
    for e in atlas.find(Endorsement, limit=None, need=need.id).items:
        kind, endorser_id = e.endorser
        endorsements.append({"endorser": atlas.names(kind, [endorser_id]).get(endorser_id, f"{kind} {endorser_id}"),
                             "kind": _WORDS[kind], "date": e.date, "note": e.note})
    addressing = []
    for i in need.innovation_ids:
        try:
            inn = atlas.get(Innovation, i)
        except NotFound:
            continue  # one the principal may not see
        addressing.append({"innovation": inn.name, "organisation": atlas.names("organization", [inn.organization_id])
                           .get(inn.organization_id), "stage": inn.stage.value, "clinical_area": inn.clinical_area})
    return {"id": need.id, "statement": need.statement, "problem": need.problem, "population": need.population,
            "outcome": need.outcome, "clinical_area": need.clinical_area,
            "severity": need.severity.value if need.severity else None, "prevalence": need.prevalence,
            "evidence": need.evidence, "status": need.status.value, "description": need.description,
            "hub": names["hub"].get(need.hub_id), "raised_by": names["organization"].get(need.raised_by_id),
            "clinician": names["person"].get(need.raised_by_person_id), "visibility": need.visibility.value,
            "source": need.source, "gap": not addressing, "endorsements": endorsements, "innovations": addressing}


def add_need(atlas: Atlas, data: dict[str, Any], *, flags: dict[str, str] | None = None) -> ClinicalNeed:
    """A new need, through the registry (checked, owned, audited); names of its hub, raiser, clinician and
    innovations (``hub``, ``raised_by``, ``clinician``, ``innovations``) are looked up among the records the
    principal may see."""
    data = dict(data)
    problems: list[Problem] = []
    for key, entity, field in (("hub", "hub", "hub_id"), ("raised_by", "organization", "raised_by_id"),
                               ("clinician", "person", "raised_by_person_id")):
        name = data.pop(key, None)
        if name:
            found = _named(atlas, entity, str(name))
            if isinstance(found, int):
                data[field] = found
            else:
                problems.append(Problem(column=(flags or {}).get(key, key), reason=found))
    names = data.pop("innovations", None) or []
    ids = []
    for name in names:
        found = _named(atlas, "innovation", str(name))
        if isinstance(found, int):
            ids.append(found)
        else:
            problems.append(Problem(column=(flags or {}).get("innovations", "innovations"), reason=found))
    if ids:
        data["innovation_ids"] = ids
    if problems:  # with what is wrong with the other fields, all said at once
        try:
            validated(ClinicalNeed, data, flags=flags)
        except InputRejected as exc:
            problems = exc.problems + problems
        raise InputRejected(problems)
    return registry.create(atlas, ClinicalNeed, data, flags=flags)


def _named(atlas: Atlas, entity: str, name: str) -> int | str:
    """The id of the one record of ``entity`` the principal may see named ``name`` (any case, or its id), else
    why not, in words."""
    text = name.strip()
    cls = _CLASSES[entity]
    if text.isdigit():
        try:
            return atlas.get(cls, int(text)).id  # type: ignore[return-value]
        except NotFound:
            return f"no {_WORDS[entity]} has id {text}"
    found = atlas.find(cls, limit=None, search=text).items
    hits = [r.id for r in found if r.name.casefold() == text.casefold()]
    if len(hits) == 1:
        return hits[0]
    if not hits:  # a part of the name will do, as on the command line (--hub Barcelona), when only one has it
        partial = [r for r in found if text.casefold() in r.name.casefold()]
        if len(partial) == 1:
            return partial[0].id  # type: ignore[return-value]
        if partial:
            return (f"{len(partial)} {_WORDS[entity]} records have {text!r} in their name "
                    f"({', '.join(sorted(r.name for r in partial)[:5])}): give the whole name")
        return f"no {_WORDS[entity]} named {text!r} is in the atlas"
    return f"{len(hits)} {_WORDS[entity]} records are named {text!r}: give its id instead"


def resolve_names(atlas: Atlas, read: NeedsFile) -> list[Problem]:
    """Why the names a needs file looks up do not each name one record the principal may see (at the row and
    column of each), ``[]`` when they all do; each name found (an id, a part of a name) becomes the record's
    whole name."""
    problems = []
    for (entity, local), (name, origin) in list(read.batch.lookups.items()):
        found = _named(atlas, entity, name)
        if not isinstance(found, int):
            problems.append(origin.problem(found, column=read.columns.get((entity, local)),
                                           hint=f"add the {_WORDS[entity]} first, or check the spelling"))
        else:  # an id or a part of the name: the merge looks the record up by its whole name
            read.batch.lookups[(entity, local)] = (atlas.get(_CLASSES[entity], found).name, origin)
    return problems


def import_needs(atlas: Atlas, path: Path, *, dry_run: bool = False) -> MergeReport:
    """Merge a needs file (CSV or .xlsx: problem, population, outcome, clinical_area, severity, prevalence,
    evidence, status, hub, raised_by, clinician, innovations) into the atlas: every row or none, a need already
    there (same problem, population and outcome) updated, never duplicated; problems name file, row and column."""
    read = read_needs(Path(path))
    problems = list(read.batch.problems) + resolve_names(atlas, read)
    if problems:
        raise InputRejected(problems)
    return merge(atlas, read.batch, dry_run=dry_run, note=f"needs from {Path(path).name}")

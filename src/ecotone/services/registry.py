"""Keeping the registry: create, change, replace and delete records of every kind, one at a time or in bulk, for
the API, the web and the command line alike. Each write is checked (validity, duplicates, the principal's rights,
the version the writer read) and recorded in the audit trail with where its values came from."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..domain import ENTITIES, Innovation, Organization, Record, StageEvent
from ..domain.problems import InputRejected, Problem
from ..store import Atlas
from ..store.atlas import AtlasError
from .browse import validated
from .dedupe import check_new_organization

__all__ = ["KINDS", "record_class", "create", "update", "replace", "delete", "bulk_update", "deletion_preview",
           "BULK_FIELDS"]

#: What a kind of record is called on the command line and in URLs (``kpis``, ``intros``…) → entity.
KINDS = {"hubs": "hub", "orgs": "organization", "organizations": "organization", "people": "person",
         "persons": "person", "ties": "tie", "innovations": "innovation", "stages": "stage_event",
         "stage-events": "stage_event", "deals": "deal", "programs": "program", "programmes": "program",
         "participations": "participation", "needs": "clinical_need", "clinical-needs": "clinical_need",
         "partnerships": "partnership", "kpis": "kpi", "actuals": "kpi_actual", "kpi-actuals": "kpi_actual",
         "intros": "introduction", "introductions": "introduction", "assessments": "assessment",
         "ratings": "rating", "endorsements": "endorsement", "submissions": "submission", "judges": "judge",
         "scores": "score"}

#: The fields a bulk edit sets on the selected rows: what a hub manager tidies many records at once by.
BULK_FIELDS = ("hub_id", "tags", "visibility", "stage")


def record_class(kind: str) -> type[Record]:
    """The record class of a kind given as an entity (``stage_event``) or a plural (``kpis``, ``intros``)."""
    key = kind.strip().lower().replace("_", "-")
    entity = KINDS.get(key) or key.replace("-", "_")
    if entity not in ENTITIES:
        raise AtlasError(f"no kind of record is called {kind!r}; kinds: {', '.join(ENTITIES)}")
    return ENTITIES[entity]


def create(atlas: Atlas, cls: type[Record], data: dict[str, Any], *, allow_duplicate: bool = False,
           flags: dict[str, str] | None = None) -> Record:
    """A new record from ``data``; an organisation whose name matches one of its hub's is refused
    (:class:`~ecotone.services.dedupe.LikelyDuplicate`) unless ``allow_duplicate``.

    >>> from ecotone.domain import Hub
    >>> with Atlas.open("sqlite://") as atlas:
    ...     hub = create(atlas, Hub, {"name": "BioCity Nottingham"})
    ...     _ = create(atlas, Organization, {"name": "Medlumics S.L.", "type": "startup", "hub_id": hub.id})
    ...     try:
    ...         create(atlas, Organization, {"name": "MEDLUMICS", "type": "startup", "hub_id": hub.id})
    ...     except AtlasError as exc:
    ...         print(str(exc).split(";")[0])
    Medlumics S.L. (organization 1) exists already in BioCity Nottingham
    """
    record = validated(cls, data, flags=flags)
    if isinstance(record, Organization):
        check_new_organization(atlas, record, allow_duplicate=allow_duplicate)
    with atlas.transaction(), atlas.trail.change_set():
        added = atlas.add(record)
        if isinstance(added, StageEvent):
            _follow_stage(atlas, added)
        return added


def _follow_stage(atlas: Atlas, event: StageEvent) -> None:
    """An innovation's stage is its latest stage event's: a new latest event moves it (in the same change set)."""
    others = atlas.find(StageEvent, innovation=event.innovation_id, limit=None).items
    if any(e.date > event.date for e in others if e.id != event.id):
        return
    innovation = atlas.get(Innovation, event.innovation_id)
    if innovation.stage != event.stage:
        atlas.update(innovation.model_copy(update={"stage": event.stage}), fields=["stage"],
                     note=f"its stage event {event.id}")


def update(atlas: Atlas, cls: type[Record], record_id: int, changes: dict[str, Any], *,
           expected_version: int | None = None, allow_duplicate: bool = False,
           flags: dict[str, str] | None = None) -> Record:
    """The record with ``changes`` applied (only those fields are written); withdrawing a person's consent
    takes their e-mail with it; an organisation renamed (or moved) onto another of its hub's names is refused
    unless ``allow_duplicate``. ``expected_version`` refuses a record changed since it was read."""
    current = atlas.get(cls, record_id).model_dump()
    changes = dict(changes)
    if changes.get("consent") is False and "email" not in changes:
        changes["email"] = None  # consent withdrawn: the contact details go
    record = validated(cls, {**current, **changes, "id": record_id}, flags=flags)
    if isinstance(record, Organization) and {"name", "hub_id"} & set(changes):
        check_new_organization(atlas, record, allow_duplicate=allow_duplicate)
    return atlas.update(record, fields=set(changes), expected_version=expected_version)


def replace(atlas: Atlas, cls: type[Record], record_id: int, data: dict[str, Any], *,
            expected_version: int | None = None) -> Record:
    """The record replaced by ``data`` whole: fields it leaves out take their defaults (its owner stays)."""
    current = atlas.get(cls, record_id)
    kept = {"owner_kind": current.owner_kind, "owner_id": current.owner_id, "source": current.source}
    record = validated(cls, {**kept, **data, "id": record_id})
    return atlas.update(record, expected_version=expected_version)


def delete(atlas: Atlas, cls: type[Record], record_id: int, *, expected_version: int | None = None) -> None:
    """Delete a record with what goes with it (see :func:`deletion_preview`)."""
    atlas.delete(cls, record_id, expected_version=expected_version)


def deletion_preview(atlas: Atlas, cls: type[Record], record_id: int) -> dict[str, Any]:
    """What deleting a record takes with it, in words a confirmation can show.

    >>> from ecotone.domain import Tie
    >>> with Atlas.open("sqlite://") as atlas:
    ...     a, b = atlas.add_all([Organization(name="Clínic", type="hospital"), Organization(name="Dycare", type="startup")])
    ...     _ = atlas.add(Tie(source_id=a.id, target_id=b.id, kind="clinical_pilot"))
    ...     deletion_preview(atlas, Organization, a.id)["summary"]
    'Deleting Clínic also deletes 1 tie.'
    """
    record = atlas.get(cls, record_id)
    goes = atlas.deletion_preview(cls.entity, record_id)
    name = getattr(record, "name", None) or f"this {cls.entity.replace('_', ' ')}"
    parts = [f"{n} {_plural(kind, n)}" for kind, n in goes.items() if kind != "references cleared"]
    summary = f"Deleting {name} " + (f"also deletes {_and(parts)}" if parts else "deletes nothing else")
    if goes.get("references cleared"):
        n = goes["references cleared"]
        summary += f", and clears {n} reference{'s' if n != 1 else ''} to it from other records"
    return {"record": f"{cls.entity}:{record_id}", "name": name, "goes": goes, "summary": summary + "."}


def bulk_update(atlas: Atlas, cls: type[Record], ids: Iterable[int], changes: dict[str, Any]) -> dict[str, Any]:
    """Set the same fields on many records at once, all or nothing. ``tags`` adds the tags given to each
    record's own (``{"tags": ["-old"]}`` removes one); the other fields are set.

    >>> with Atlas.open("sqlite://") as atlas:
    ...     orgs = atlas.add_all([Organization(name=n, type="startup", tags=["a"]) for n in ("X", "Y")])
    ...     bulk_update(atlas, Organization, [o.id for o in orgs], {"tags": ["cardio"], "visibility": "hub"})
    ...     [(o.tags, o.visibility.value) for o in atlas.find(Organization).items]
    {'updated': 2, 'unchanged': 0}
    [(['a', 'cardio'], 'hub'), (['a', 'cardio'], 'hub')]
    """
    wrong = sorted(set(changes) - set(BULK_FIELDS))
    if wrong or not changes:
        raise InputRejected([Problem(column=f, reason=f"cannot be set in bulk; set one of: {', '.join(BULK_FIELDS)}")
                             for f in wrong or ["fields"]])
    missing = sorted(set(changes) - set(cls.model_fields))
    if missing:
        raise InputRejected([Problem(column=f, reason=f"a {cls.entity.replace('_', ' ')} has no {f}")
                             for f in missing])
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        raise InputRejected([Problem(column="ids", reason="select at least one record")])
    done = {"updated": 0, "unchanged": 0}
    with atlas.transaction():
        for record_id in ids:
            current = atlas.get(cls, record_id)
            wanted = dict(changes)
            if "tags" in wanted:
                add = [t for t in wanted["tags"] if not t.startswith("-")]
                drop = {t[1:] for t in wanted["tags"] if t.startswith("-")}
                wanted["tags"] = [t for t in current.tags if t not in drop] + [t for t in add if t not in current.tags]
            record = validated(cls, {**current.model_dump(), **wanted})
            if record.model_dump() == current.model_dump():
                done["unchanged"] += 1
                continue
            atlas.update(record, fields=set(wanted), note=f"bulk edit of {len(ids)} {_plural(cls.entity, len(ids))}")
            done["updated"] += 1
    return done


def _plural(entity: str, n: int) -> str:
    label = entity.replace("_", " ")
    if n == 1:
        return label
    return {"person": "people", "kpi actual": "KPI actuals", "kpi": "KPIs"}.get(label, label + "s")


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

"""A person's own data on request: everything the atlas holds about them (GDPR art. 15), and its erasure (art. 17)."""

from __future__ import annotations

from typing import Any

from ..domain import Person
from ..store import Atlas
from ..store.atlas import Forbidden, NotFound, NotSignedIn

__all__ = ["person_id", "export_person", "erase_person"]


def person_id(atlas: Atlas, person: str) -> int:
    """A person given by id or exact name (any case), among those the principal may see."""
    if person.isdigit():
        return int(person)
    page = atlas.find(Person, search=person, limit=None)
    found = [p.id for p in page.items if p.name.casefold() == person.casefold()]
    if len(found) == 1:
        return found[0]  # type: ignore[return-value]
    if found:
        raise NotFound(f"{len(found)} people are named {person!r} (ids {', '.join(map(str, found))}); give the id")
    raise NotFound(f"no person is named {person!r}")


def _may_act(atlas: Atlas, row: dict[str, Any]) -> None:
    """Admins, and the members of the person's own organisation, answer a person's requests."""
    p = atlas.principal
    if p.is_admin:
        return
    if not p.signed_in:
        raise NotSignedIn("sign in to answer a person's request for their data")
    if p.organization_id is None or p.organization_id not in (row.get("organization_id"), row.get("owner_id")):
        raise Forbidden(f"{p.actor} may not answer for this person: that takes a member of their organisation, "
                        "or an admin")


def export_person(atlas: Atlas, person: str) -> dict[str, Any]:
    """Everything the atlas holds about a person: their record with its contact details, and every entry of the
    audit trail about them (GDPR art. 15, right of access).

    Examples
    --------
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = atlas.add(Person(name="Dr. Ana Ruiz", email="ana@example.org", consent=True))
    ...     data = export_person(atlas, "Dr. Ana Ruiz")
    >>> data["record"]["email"], [c["action"] for c in data["changes"]]
    ('ana@example.org', ['create'])
    """
    record_id = person_id(atlas, person)
    row = atlas.get(Person, record_id).model_dump(mode="json")  # a 404 for whoever may not see the person
    _may_act(atlas, row)
    entries, _ = atlas.trail.entries(kinds=["person"], record_id=record_id, limit=None, oldest_first=True)
    return {"record": row,
            "organization": atlas.names("organization", [row["organization_id"]]).get(row["organization_id"])
            if row.get("organization_id") else None,
            "changes": [{"at": e["at"].isoformat(), "actor": e["actor"], "via": e["via"], "action": e["action"],
                         "before": e["before"], "after": e["after"]} for e in entries],
            "note": "Contact details are written to the history only as '(contact details)'."}


def erase_person(atlas: Atlas, person: str) -> dict[str, Any]:
    """Erase a person (GDPR art. 17, right to erasure): their record is deleted, and the audit trail's entries
    about them keep who changed what and when, but no longer the person's fields.

    Examples
    --------
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = atlas.add(Person(name="Dr. Ana Ruiz", email="ana@example.org", consent=True))
    ...     erased = erase_person(atlas, "1")
    ...     atlas.count(Person), export_person.__name__, erased["entries_blanked"]
    (0, 'export_person', 2)
    """
    record_id = person_id(atlas, person)
    _may_act(atlas, atlas.get(Person, record_id).model_dump())
    with atlas.transaction():
        atlas.delete(Person, record_id, note="erased on the person's request (GDPR art. 17)")
        blanked = atlas.trail.erase("person", record_id)
    return {"erased": f"person:{record_id}", "entries_blanked": blanked}


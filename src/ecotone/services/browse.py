"""Browse and edit an atlas: hubs, organisations, ties, and the hub × stakeholder-type coverage."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..domain import CORE_ROLES, Deal, Innovation, Organization, StakeholderType, Tie
from ..domain.display import label, money
from ..domain.problems import InputRejected, Problem, describe_validation_error
from ..store import Atlas, Page

__all__ = ["NO_HUB", "validated", "hub_table", "organization_page", "organization_card", "actor_profile",
           "add_organization", "tie_page", "add_tie", "coverage_table", "coverage_summary"]

NO_HUB = "(no hub)"


def validated(cls: type, data: dict[str, Any], *, flags: dict[str, str] | None = None) -> Any:
    """``cls(**data)``, or :class:`InputRejected` naming each bad field (by its command-line flag if given)."""
    try:
        return cls.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        raise InputRejected([Problem(column=(flags or {}).get(f, f), reason=r)
                             for f, r in describe_validation_error(exc)]) from None


def hub_table(atlas: Atlas) -> list[dict[str, Any]]:
    """Every hub with where it is and how many organisations and ties it has."""
    return [{"id": h["id"], "name": h["name"], "kind": h["kind"], "city": h["city"], "country": h["country"],
             "organizations": h["organizations"], "ties_inside": h["ties_inside"], "ties_across": h["ties_across"],
             "source": h["source"]} for h in atlas.hub_summaries()]


def organization_page(atlas: Atlas, *, limit: int = 50, offset: int = 0, **filters: Any) -> Page[dict[str, Any]]:
    """A page of organisations as table rows (hub by name), with the count of all that match.

    Examples
    --------
    >>> from ecotone.services.demo import build_demo
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = build_demo(atlas)
    ...     page = organization_page(atlas, hub="Texas Medical Center", type="hub_operator")
    >>> [(r["name"], r["hub"], r["source"][:18]) for r in page.items]
    [('Texas Medical Center', 'Texas Medical Center', 'article: H. Asumah')]
    """
    page = atlas.find(Organization, limit=limit, offset=offset, order_by="name", **filters)
    hubs = atlas.names("hub", [o.hub_id for o in page.items if o.hub_id])
    rows = [{"id": o.id, "name": o.name, "type": o.type.value, "helix": o.helix.value, "hub": hubs.get(o.hub_id),
             "city": o.city, "country": o.country, "tags": "|".join(o.tags), "source": o.source} for o in page.items]
    return Page(rows, page.total, page.limit, page.offset)


def organization_card(atlas: Atlas, ref: str) -> dict[str, Any]:
    """Everything about one organisation (by id or name): its fields, hub, ties, innovations and deals.

    Examples
    --------
    >>> from ecotone.services.demo import build_demo
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = build_demo(atlas)
    ...     card = organization_card(atlas, "Oryzon Genomics")
    >>> card["hub"], card["deals"]
    ('Barcelona Health Hub', ['undated: EUR 18.2 M (Equity)'])
    """
    org = atlas.get(Organization, atlas.organization_id(ref))
    card = org.model_dump(mode="json")
    card["helix"] = org.helix.value
    card["hub"] = atlas.names("hub", [org.hub_id] if org.hub_id else []).get(org.hub_id)
    card["ties"] = atlas.count(Tie, organization=org.id)
    card["innovations"] = [f"{i.name} ({label(i.stage)})" for i in atlas.find(Innovation, organization=org.id,
                                                                             limit=None).items]
    card["deals"] = [f"{d.date or 'undated'}: {money(d.amount, d.currency) if d.amount else 'amount unknown'}"
                     f" ({label(d.round_type)})" for d in atlas.find(Deal, organization=org.id, limit=None).items]
    return card


def add_organization(atlas: Atlas, *, hub: str | None = None, **fields: Any) -> Organization:
    """Add an organisation (``hub`` by name or id); bad fields are reported by their flags."""
    if hub is not None:
        fields["hub_id"] = atlas.hub_id(hub)
    flags = {f: f"--{f.replace('_', '-')}" for f in fields} | {"hub_id": "--hub", "focus_areas": "--focus"}
    org = validated(Organization, fields, flags=flags)
    return atlas.add(org)


def tie_page(atlas: Atlas, *, limit: int = 50, offset: int = 0, **filters: Any) -> Page[dict[str, Any]]:
    """A page of ties as table rows (organisations by name, and by id for links)."""
    page = atlas.find(Tie, limit=limit, offset=offset, **filters)
    names = atlas.names("organization", [t.source_id for t in page.items] + [t.target_id for t in page.items])
    rows = [{"id": t.id, "source": names[t.source_id], "target": names[t.target_id], "source_id": t.source_id,
             "target_id": t.target_id, "kind": t.kind.value,
             "directed": t.directed, "weight": t.weight, "start": t.start_date, "end": t.end_date,
             "status": t.status.value, "source_of_record": t.source} for t in page.items]
    return Page(rows, page.total, page.limit, page.offset)


def add_tie(atlas: Atlas, from_org: str, to_org: str, **fields: Any) -> Tie:
    """Add a tie between two organisations given by id or name."""
    fields.update(source_id=atlas.organization_id(from_org), target_id=atlas.organization_id(to_org))
    flags = {"kind": "--kind", "weight": "--weight", "start_date": "--start", "end_date": "--end",
             "status": "--status", "source_id": "SOURCE", "target_id": "TARGET"}
    return atlas.add(validated(Tie, fields, flags=flags))


def coverage_table(atlas: Atlas) -> list[dict[str, Any]]:
    """One row per hub (and one for organisations in no hub), one column per stakeholder type, plus the total.

    Examples
    --------
    >>> from ecotone.domain import Hub, Organization
    >>> with Atlas.open("sqlite://") as atlas:
    ...     hub = atlas.add(Hub(name="BioCity Nottingham"))
    ...     _ = atlas.add(Organization(name="BioCity", type="hub_operator", hub_id=hub.id))
    ...     _ = atlas.add(Organization(name="MHRA", type="regulator"))
    ...     rows = coverage_table(atlas)
    >>> [(r["hub"], r["hub_operator"], r["regulator"], r["total"]) for r in rows]
    [('BioCity Nottingham', 1, 0, 1), ('(no hub)', 0, 1, 1)]
    >>> coverage_summary(rows)[0]["missing roles"].split(", ")[:3]
    ['startup', 'hospital', 'university']
    """
    counts: dict[str, dict[str, int]] = {}
    for hub, kind, n in atlas.coverage():
        counts.setdefault(hub or NO_HUB, {})[kind] = n
    names = [h["name"] for h in atlas.rows("hub", columns=["name"])]
    order = sorted(names, key=str.casefold) + ([NO_HUB] if NO_HUB in counts else [])
    rows = []
    for hub in order:
        row: dict[str, Any] = {"hub": hub}
        for t in StakeholderType:
            row[t.value] = counts.get(hub, {}).get(t.value, 0)
        row["total"] = sum(counts.get(hub, {}).values())
        rows.append(row)
    return rows




def coverage_summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The coverage table in a form that fits a terminal: per hub, the total, the types present, the core roles
    missing."""
    out = []
    for row in rows:
        present = [f"{t.value} {row[t.value]}" for t in StakeholderType if row[t.value]]
        missing = [t.value for t in CORE_ROLES if not row[t.value]] if row["hub"] != NO_HUB else []
        out.append({"hub": row["hub"], "total": row["total"], "by type": ", ".join(present),
                    "missing roles": ", ".join(missing) or "none"})
    return out


def actor_profile(atlas: Atlas, org_id: int) -> dict[str, Any]:
    """An organisation's card with its ties (partner, kind, direction, dates) and its innovations' stage
    histories, for its page.

    Examples
    --------
    >>> from ecotone.services.demo import build_demo
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = build_demo(atlas)
    ...     profile = actor_profile(atlas, atlas.organization_id("Medical Innovation Institute Pulmolabs"))
    >>> [(s["stage"], s["since"]) for s in profile["innovation_stages"]][:2], len(profile["tie_rows"])
    ([('idea', '2019-11-09'), ('prototype', '2020-11-04')], 5)
    """
    card = organization_card(atlas, str(org_id))
    page = tie_page(atlas, organization=org_id, limit=None)
    card["tie_rows"] = [{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}
                        for row in page.items]
    innovations = atlas.find(Innovation, organization=org_id, limit=None).items
    events = atlas.frame("stage_event", ["innovation_id", "stage", "date"])
    events = events[events["innovation_id"].isin([i.id for i in innovations])].sort_values("date")
    names = {i.id: i.name for i in innovations}
    card["innovation_rows"] = [{"id": i.id, "name": i.name, "stage": i.stage.value} for i in innovations]
    card["provenance"] = atlas.provenance("organization", org_id)
    card["version"] = atlas.version("organization", org_id)
    card["innovation_stages"] = [{"innovation": names[i.id], "stage": i.stage.value, "since": None}
                                 for i in innovations if i.id not in set(events["innovation_id"])] + \
        [{"innovation": names[r.innovation_id], "stage": r.stage, "since": r.date.date().isoformat()}
         for r in events.itertuples()]
    return card

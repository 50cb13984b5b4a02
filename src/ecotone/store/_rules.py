"""Rules a record must keep with the records it names, checked on every write the Atlas makes (beside the
references, :mod:`._references`): what one record alone cannot know.

- a score's judge and submission belong to the same challenge, its criterion is one of the challenge's rubric,
  and its judge is not conflicted with the submission's organisation (works for it, or declared a conflict);
- a submission's innovation is the submitting organisation's own.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..domain import Program
from .tables import TABLES

__all__ = ["refusals"]


def refusals(atlas: Any, entity: str, row: dict[str, Any]) -> list[str]:
    """Why ``row`` (a record of kind ``entity`` about to be written) breaks a rule with the records it names;
    ``[]`` when it keeps them all (and for kinds without such rules). Records it names that do not exist are
    left to the reference check. A score's criterion is set in ``row`` to the rubric's spelling of it."""
    check = _RULES.get(entity)
    return check(atlas, row) if check else []


def _one(atlas: Any, entity: str, id: Any) -> dict[str, Any] | None:
    if not isinstance(id, int) or isinstance(id, bool) or not 1 <= id <= 2**31 - 1:
        return None
    table = TABLES[entity]
    found = atlas.execute(sa.select(table).where(table.c.id == id)).mappings().first()
    return dict(found) if found is not None else None


def _name(atlas: Any, organization_id: int) -> str:
    table = TABLES["organization"]
    name = atlas.execute(sa.select(table.c.name).where(table.c.id == organization_id)).scalar()
    return name or f"organisation {organization_id}"


def _score(atlas: Any, row: dict[str, Any]) -> list[str]:
    submission = _one(atlas, "submission", row.get("submission_id"))
    judge = _one(atlas, "judge", row.get("judge_id"))
    if submission is None or judge is None:
        return []
    out = []
    if submission["program_id"] != judge["program_id"]:
        out.append(f"judge {judge['name']!r} judges another challenge than the one submission "
                   f"{submission['title']!r} was made to")
        return out
    program = _one(atlas, "program", submission["program_id"])
    if program is not None:
        rubric = Program.model_fields["rubric"]
        criteria = [c["criterion"] for c in (program["rubric"] or [])] or \
            [c.criterion for c in rubric.default_factory()]  # type: ignore[misc]
        wanted = " ".join(str(row.get("criterion") or "").split()).casefold()
        spelled = {" ".join(c.split()).casefold(): c for c in criteria}
        if wanted in spelled:
            row["criterion"] = spelled[wanted]  # stored as the rubric spells it
        else:
            out.append(f"criterion {row.get('criterion')!r} is not in the rubric of {program['name']!r}; "
                       f"score one of: {', '.join(criteria)}")
    org = submission["organization_id"]
    if org is not None and org == judge["organization_id"]:
        out.append(f"judge {judge['name']!r} works for {_name(atlas, org)}, which made submission "
                   f"{submission['title']!r}: a judge may not score their own organisation's submission")
    elif org is not None and org in (judge["conflict_ids"] or []):
        out.append(f"judge {judge['name']!r} declared a conflict with {_name(atlas, org)}, which made submission "
                   f"{submission['title']!r}: a judge does not score a submission they are conflicted with")
    return out


def _submission(atlas: Any, row: dict[str, Any]) -> list[str]:
    innovation = _one(atlas, "innovation", row.get("innovation_id"))
    if innovation is None or row.get("organization_id") is None:
        return []
    if innovation["organization_id"] != row["organization_id"]:
        return [f"innovation {innovation['name']!r} belongs to {_name(atlas, innovation['organization_id'])}, "
                f"not to the organisation that submits it ({_name(atlas, row['organization_id'])})"]
    return []


_RULES = {"score": _score, "submission": _submission}

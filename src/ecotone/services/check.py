"""The registry's own checks: records a user should look at, each with what is wrong in plain words and what fixes it.

Each check reads whole tables as frames through the Atlas (one query per kind of record, filtered by what the
principal may see) and compares them as sets, so an atlas of 100,000 organisations is checked in seconds, never
record by record. Likely duplicate names are ``ecotone dedupe``'s work, not this module's.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from types import SimpleNamespace
from typing import Any

import pandas as pd

from ..analysis.velocity import current_stages
from ..domain import ENTITIES, REFERENCES, StakeholderType
from ..store import Atlas, AtlasError
from ..store.atlas import NotSignedIn
from .forms import title_of

__all__ = ["Finding", "KINDS", "DEDUPE_HINT", "check_atlas"]

#: What each kind of finding means, in the order findings are reported.
KINDS: dict[str, str] = {
    "no_hub": "an organisation without a hub: it is on no hub's map, coverage matrix or dashboard",
    "no_type_evidence": "an organisation whose type nothing supports: typed 'other', with neither a source nor an "
                        "external id, or typed against its own size",
    "dangling_reference": "a record naming one that does not exist: its owner, a deal's investors, a "
                          "partnership's organisations, or any other reference",
    "contact_without_consent": "a person whose e-mail is kept without their consent",
    "orphaned_innovation": "an innovation whose organisation does not exist",
    "no_stage_history": "an innovation without stage events: velocity cannot count it",
    "stage_mismatch": "an innovation whose stage is not the one its latest stage event says",
}

#: The line that sends users to the duplicate finder (names are not compared here).
DEDUPE_HINT = "likely duplicate names are not checked here: run ecotone dedupe"

_OWNER_KINDS = ("hub", "organization")
#: EU definition of SMEs (Recommendation 2003/361/EC): fewer than 250 staff, which SizeClass 'large' exceeds.
_NOT_SME_SIZES = ("large",)
#: Columns that name a record without a name of its own.
_LABEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "participation": ("organization_id", "program_id"), "stage_event": ("innovation_id", "stage", "date"),
    "deal": ("recipient_id", "hub_id", "round_type"), "tie": ("source_id", "target_id", "kind"),
    "clinical_need": ("problem",), "assessment": ("evaluator",), "rating": ("question",),
    "kpi_actual": ("kpi_id", "date"), "introduction": ("organization_id", "partner_id"),
    "endorsement": ("need_id", "person_id", "organization_id", "hub_id"), "submission": ("title",),
    "score": ("submission_id", "judge_id", "criterion", "value"),
}
#: Columns the checks of a kind of record read beyond its references and label.
_CHECKED_COLUMNS: dict[str, tuple[str, ...]] = {
    "organization": ("type", "hub_id", "source", "external_ids", "size", "city", "country"),
    "person": ("email", "consent"),
    "innovation": ("organization_id", "stage"),
    "hub": ("city", "country"),
}


@dataclass(frozen=True)
class Finding:
    """A record a user should look at: what kind of finding, which record (``organization:12``), its name, the
    problem in plain words and the command or page that fixes it."""

    kind: str
    record: str
    name: str | None
    problem: str
    hint: str

    def as_dict(self) -> dict[str, Any]:
        """The finding as a plain dict (JSON, CSV, table rows)."""
        return asdict(self)


def check_atlas(atlas: Atlas, *, kinds: Iterable[str] | None = None) -> list[Finding]:
    r"""Check the registry: organisations without a hub or without type evidence, records naming records that do
    not exist, people's e-mails kept without consent, and innovations without an organisation, without a
    stage history or at a stage their history does not say.

    Only what the atlas's principal may see is read and reported, and contact details only where it may see
    them. To tell a deleted record from one the principal may not see, the ids of the records referred to are
    looked up whoever asks (ids only, nothing else about them: existence, as the store's own reference checks
    ask it), so a reference to a record of another hub is never reported as dangling.

    Parameters
    ----------
    atlas : Atlas
        The atlas, read on behalf of its principal (anyone signed in; visitors are refused).
    kinds : iterable of str, optional
        Only these kinds of finding (see :data:`KINDS`); all of them by default.

    Returns
    -------
    list of Finding
        In the order of :data:`KINDS`, then by kind of record and id; empty when nothing needs a look.

    Examples
    --------
    >>> from ecotone.domain import Hub, Organization
    >>> with Atlas.open("sqlite://") as atlas:
    ...     bcn = atlas.add(Hub(name="Barcelona Health Hub", city="Barcelona", country="ES"))
    ...     ysios = atlas.add(Organization(name="Ysios Capital", type="investor", hub_id=bcn.id,
    ...                                    source="seed article"))
    ...     dycare = atlas.add(Organization(name="Dycare", type="startup", city="Barcelona",
    ...                                     source="seed article"))
    ...     # loaded in bulk, unchecked: a deal naming an investor (99) that the atlas does not hold
    ...     atlas.insert_rows("deal", [{"recipient_id": dycare.id, "investor_ids": [ysios.id, 99], "currency": "EUR",
    ...                                 "round_type": "seed", "visibility": "public", "external_ids": {}}])
    ...     for f in check_atlas(atlas):
    ...         print(f"{f.kind} {f.record} {f.name}: {f.problem}", f.hint, sep="\n    ")
    no_hub organization:2 Dycare: it belongs to no hub: it is on no hub's map, coverage matrix or dashboard
        choose its hub on /actors/2 (Edit → Hub), or PATCH /api/v1/organizations/2 {"hub_id": 1}: Barcelona Health Hub is in its city
    dangling_reference deal:1 seed round of Dycare: it names organization 99 in investor_ids, which does not exist (deleted, or never loaded)
        drop it: PATCH /api/v1/deals/1 {"investor_ids": [1]}
    """
    p = atlas.principal
    if not p.signed_in:
        raise NotSignedIn("sign in to check the registry: visitors see only public records and cannot fix any")
    wanted = list(KINDS) if kinds is None else list(dict.fromkeys(kinds))
    unknown = [k for k in wanted if k not in KINDS]
    if unknown:
        raise AtlasError(f"no check is called {', '.join(map(repr, unknown))}; checks: {', '.join(KINDS)}")
    run = _Run(atlas)
    found: list[Finding] = []
    for kind in KINDS:
        if kind in wanted:
            found.extend(_CHECKS[kind](run))
    order = {entity: i for i, entity in enumerate(ENTITIES)}
    rank = {kind: i for i, kind in enumerate(KINDS)}

    def key(f: Finding) -> tuple[int, int, int]:
        entity, _, number = f.record.partition(":")
        return rank[f.kind], order.get(entity, len(order)), int(number)

    return sorted(found, key=key)


class _Run:
    """One check of an atlas: each kind of record read once (only the columns the checks need), on demand."""

    def __init__(self, atlas: Atlas) -> None:
        self.atlas = atlas
        self.admin = atlas.principal.is_admin
        self._frames: dict[str, pd.DataFrame] = {}
        self._visible: dict[str, set[int]] = {}
        self._existing: dict[str, set[int]] = {}
        self._names: dict[str, dict[int, str]] = {}

    def frame(self, entity: str) -> pd.DataFrame:
        if entity not in self._frames:
            columns = ["owner_kind", "owner_id", *REFERENCES[entity], *_LABEL_COLUMNS.get(entity, ("name",)),
                       *_CHECKED_COLUMNS.get(entity, ())]
            self._frames[entity] = self.atlas.frame(entity, list(dict.fromkeys(columns)))
        return self._frames[entity]

    def visible(self, entity: str) -> set[int]:
        if entity not in self._visible:
            self._visible[entity] = set(self.frame(entity)["id"].tolist())
        return self._visible[entity]

    def missing(self, entity: str, ids: Iterable[int]) -> set[int]:
        """Which of ``ids`` no record of ``entity`` has (not merely one the principal may not see)."""
        unseen = {i for i in ids if i not in self.visible(entity)}
        if not unseen or self.admin:
            return unseen  # an admin sees every record: what it does not see is not there
        if entity not in self._existing:
            # Ids only, whoever asks: a record of another hub is hidden, not deleted, and must not be called so.
            self._existing[entity] = {r["id"] for r in self.atlas.rows(entity, columns=["id"], everyone=True)}
        return unseen - self._existing[entity]

    def name(self, entity: str, id: Any) -> str:
        if entity not in self._names:
            f = self.frame(entity)
            column = "name" if "name" in f else None
            self._names[entity] = dict(zip(f["id"], f[column])) if column else {}
        if id is None or (isinstance(id, float) and pd.isna(id)):
            return "nobody"
        return self._names[entity].get(int(id)) or f"{entity.replace('_', ' ')} {int(id)}"

    def label(self, entity: str, row: dict[str, Any]) -> str | None:
        """What to call a record in a finding: its name, else what it joins (as the registry's pages say it)."""
        fields = {k: (_day(v) if isinstance(v, pd.Timestamp) else None if not _present(v) else v)
                  for k, v in row.items() if not isinstance(v, list | dict)}
        return title_of(entity, SimpleNamespace(**{**dict.fromkeys(ENTITIES[entity].model_fields), **fields}),
                        self.name)


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value))


def _day(value: Any) -> str:
    return value.date().isoformat() if isinstance(value, pd.Timestamp) and not pd.isna(value) else str(value)


def _collection(entity: str) -> str:
    """The API's name of a kind of record (``/api/v1/clinical-needs``)."""
    word = entity.replace("_", "-")
    if word == "person":
        return "people"
    return word[:-1] + "ies" if word.endswith("y") and not word.endswith("ey") else word + "s"


def _patch(entity: str, id: int, body: dict[str, Any]) -> str:
    return f"PATCH /api/v1/{_collection(entity)}/{id} {json.dumps(body, ensure_ascii=False)}"


def _finding(run: _Run, kind: str, entity: str, row: dict[str, Any], problem: str, hint: str) -> Finding:
    return Finding(kind, f"{entity}:{int(row['id'])}", run.label(entity, row), problem, hint)


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as dicts, a missing value as None (pandas holds some as NaN, which is truthy).

    >>> _rows(pd.DataFrame({"city": ["Nottingham", float("nan")]}))
    [{'city': 'Nottingham'}, {'city': None}]
    """
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


# -- organisations ---------------------------------------------------------------------------------------------
def _no_hub(run: _Run) -> list[Finding]:
    orgs = run.frame("organization")
    homeless = orgs[orgs["hub_id"].isna()]
    if homeless.empty:
        return []
    hubs = _rows(run.frame("hub"))
    by_city: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_country: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for hub in hubs:
        if hub["city"]:
            by_city[hub["city"].casefold()].append(hub)
        if hub["country"]:
            by_country[hub["country"]].append(hub)
    out = []
    for org in _rows(homeless):
        id = int(org["id"])
        if not hubs:
            hint = ('no hub exists yet: add one (POST /api/v1/hubs {"name": "…", "country": "…"}), then choose it '
                    f"on /actors/{id} (Edit → Hub)")
        else:
            # A hub in the same city (of the same country, when both say) is the likely home; else its country's.
            near = [h for h in by_city.get((org["city"] or "").casefold(), [])
                    if not (org["country"] and h["country"]) or org["country"] == h["country"]]
            where = "in its city"
            if not near and org["country"]:
                near, where = by_country.get(org["country"], []), "in its country"
            # Only a hub of its own city is named in the command; its country's are listed to choose from.
            one = len(near) == 1 and where == "in its city"
            body = {"hub_id": near[0]["id"] if one else "HUB_ID"}
            hint = f"choose its hub on /actors/{id} (Edit → Hub), or {_patch('organization', id, body)}"
            if one:
                hint += f": {near[0]['name']} is {where}"
            elif near:
                hint += f"; hubs {where}: " + ", ".join(f"{h['name']} ({h['id']})" for h in near[:3]) + \
                        (" …" if len(near) > 3 else "")
        out.append(_finding(run, "no_hub", "organization", org,
                            "it belongs to no hub: it is on no hub's map, coverage matrix or dashboard", hint))
    return out


def _no_type_evidence(run: _Run) -> list[Finding]:
    orgs = run.frame("organization")
    if orgs.empty:
        return []
    out = []
    types = ", ".join(StakeholderType.choices()[:8]) + ", … (all in docs/formats.md)"
    other = orgs[orgs["type"] == StakeholderType.other.value]
    for org in _rows(other):
        id = int(org["id"])
        out.append(_finding(run, "no_type_evidence", "organization", org,
                            "its type is 'other': it fills no role in its hub's coverage, missing roles or partner "
                            "recommendations",
                            f"choose its type on /actors/{id} (Edit → Type), or "
                            f"{_patch('organization', id, {'type': 'TYPE'})} with TYPE one of {types}"))
    no_source = orgs["source"].fillna("").astype(str).str.strip() == ""
    no_external = orgs["external_ids"].map(lambda ids: not ids)
    for org in _rows(orgs[no_source & no_external]):
        id = int(org["id"])
        out.append(_finding(run, "no_type_evidence", "organization", org,
                            f"nothing says where its type ({org['type']}) comes from: it has neither a source nor "
                            "an external id",
                            f"record where its facts come from: {_patch('organization', id, {'source': '…'})} (a "
                            "file, an article, a register), or its id in a register (external_ids, e.g. "
                            "cordis_pic)"))
    too_big = orgs[(orgs["type"] == StakeholderType.sme.value) & orgs["size"].isin(_NOT_SME_SIZES)]
    for org in _rows(too_big):
        id = int(org["id"])
        out.append(_finding(run, "no_type_evidence", "organization", org,
                            "it is typed sme but its size is large (250 staff or more): an SME has fewer than 250 "
                            "(EU definition)",
                            f"choose corporate on /actors/{id} (Edit → Type), or "
                            f"{_patch('organization', id, {'type': 'corporate'})}; or correct its size"))
    return out


# -- references ------------------------------------------------------------------------------------------------
#: The references that hold lists of ids (REFERENCES says which fields; these two are JSON lists).
_LISTS = {("deal", "investor_ids"), ("partnership", "organization_ids"), ("program", "need_ids"),
          ("clinical_need", "innovation_ids"), ("judge", "conflict_ids")}


def _as_id(value: Any) -> int | None:
    """``value`` as an id, or None when it cannot be one (text, a fraction, below 1)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value >= 1 else None


def _listed(ids: list[Any]) -> str:
    shown = [str(i) if _as_id(i) is not None else repr(i) for i in ids]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _dangling_reference(run: _Run) -> list[Finding]:
    out = []
    for entity, cls in ENTITIES.items():
        frame = run.frame(entity)
        if frame.empty:
            continue
        out += _dangling_owners(run, entity, frame)
        for field, target in REFERENCES[entity].items():
            if (entity, field) == ("innovation", "organization_id"):
                continue  # an innovation without its organisation is an orphan: reported as such
            if (entity, field) in _LISTS:
                ids = frame[field].explode().dropna()
                missing = run.missing(target, {_as_id(v) for v in ids.unique()} - {None})
                bad = ids[ids.map(lambda v: _as_id(v) is None or _as_id(v) in missing)]
                gone = bad.groupby(level=0).agg(list)
            else:
                ids = frame[field].dropna()
                missing = run.missing(target, {int(v) for v in ids.unique()})
                gone = ids[ids.isin(missing)].map(lambda v: [int(v)])
            if gone.empty:
                continue
            required = cls.model_fields[field].is_required()
            for row, lost in zip(_rows(frame.loc[gone.index]), gone):
                out.append(_dangling(run, entity, row, field, target, lost, required))
    return out


def _dangling_owners(run: _Run, entity: str, frame: pd.DataFrame) -> list[Finding]:
    owned = frame[frame["owner_id"].notna()]
    if owned.empty:
        return []
    kinds = owned["owner_kind"]
    flagged = [owned[~kinds.isin(_OWNER_KINDS)]]
    for kind in _OWNER_KINDS:
        mine = owned[kinds == kind]
        missing = run.missing(kind, {int(v) for v in mine["owner_id"].unique()})
        flagged.append(mine[mine["owner_id"].isin(missing)])
    out = []
    for row in _rows(pd.concat(flagged)):
        id, kind = int(row["id"]), row["owner_kind"]
        if kind in _OWNER_KINDS:
            problem = (f"its owner, {kind} {int(row['owner_id'])}, does not exist: only admins may change it, and "
                       "at 'hub' or 'network' visibility only they see it")
        else:
            problem = (f"its owner_kind {kind!r} names no kind of record (hub or organization): only admins may "
                       "change it")
        out.append(_finding(run, "dangling_reference", entity, row, problem,
                            "give it an owner that exists, or none (admins): "
                            f"{_patch(entity, id, {'owner_kind': None, 'owner_id': None})}"))
    return out


def _dangling(run: _Run, entity: str, row: dict[str, Any], field: str, target: str, gone: list[Any],
              required: bool) -> Finding:
    id = int(row["id"])
    label = target.replace("_", " ")
    one = len(gone) == 1
    problem = (f"it names {label}{'' if one else 's'} {_listed(gone)} in {field}, which {'does' if one else 'do'} "
               "not exist (deleted, or never loaded)")
    if (entity, field) in _LISTS:
        kept = [i for i in row[field] if i not in gone]
        if entity == "partnership" and len(set(kept)) < 2:
            hint = (f"name the organisations it joins: {_patch(entity, id, {field: [*kept, 'ORG_ID']})}, or delete "
                    f"it: DELETE /api/v1/{_collection(entity)}/{id}")
        else:
            hint = f"drop {'it' if one else 'them'}: {_patch(entity, id, {field: kept})}"
    elif required:
        hint = (f"name one that exists ({_patch(entity, id, {field: 'ID'})}), or delete it: "
                f"DELETE /api/v1/{_collection(entity)}/{id}")
    else:
        hint = f"clear it, or name one that exists: {_patch(entity, id, {field: None})}"
    return _finding(run, "dangling_reference", entity, row, problem, hint)


# -- people ----------------------------------------------------------------------------------------------------
def _contact_without_consent(run: _Run) -> list[Finding]:
    people = run.frame("person")
    if people.empty:
        return []
    # Contact details the principal may not see are read as empty: only those it may see are checked.
    held = people["email"].fillna("").astype(str).str.strip() != ""
    out = []
    for person in _rows(people[held & ~people["consent"].astype(bool)]):
        id = int(person["id"])
        out.append(_finding(run, "contact_without_consent", "person", person,
                            "an e-mail is kept without the person's consent: personal data needs it",
                            f"record their consent once they agreed ({_patch('person', id, {'consent': True})}), "
                            f"else drop the e-mail ({_patch('person', id, {'email': None})})"))
    return out


# -- innovations -----------------------------------------------------------------------------------------------
def _innovations(run: _Run) -> tuple[pd.DataFrame, set[int]]:
    """The innovations the principal sees and the ids of those whose organisation no longer exists."""
    inn = run.frame("innovation")
    gone = run.missing("organization", {int(i) for i in inn["organization_id"]})
    return inn, {int(i) for i in inn.loc[inn["organization_id"].isin(gone), "id"]}


def _orphaned_innovation(run: _Run) -> list[Finding]:
    inn, orphans = _innovations(run)
    out = []
    for row in _rows(inn[inn["id"].isin(orphans)]):
        id = int(row["id"])
        out.append(_finding(run, "orphaned_innovation", "innovation", row,
                            f"its organisation (organization {int(row['organization_id'])}) no longer exists: it "
                            "belongs to nobody and is on no actor's page",
                            f"give it its organisation ({_patch('innovation', id, {'organization_id': 'ORG_ID'})}), "
                            f"or delete it: DELETE /api/v1/innovations/{id}"))
    return out


def _seen(run: _Run) -> str:
    return "" if run.admin else " (of those you may see)"


def _event_hint(id: int, stage: str) -> str:
    return ("POST /api/v1/stage-events " +
            json.dumps({"innovation_id": id, "stage": stage, "date": "YYYY-MM-DD"}, ensure_ascii=False))


def _no_stage_history(run: _Run) -> list[Finding]:
    inn, orphans = _innovations(run)
    events = run.frame("stage_event")
    bare = inn[~inn["id"].isin(events["innovation_id"]) & ~inn["id"].isin(orphans)]
    out = []
    for row in _rows(bare):
        id = int(row["id"])
        out.append(_finding(run, "no_stage_history", "innovation", row,
                            f"no stage event{_seen(run)} says when it reached {row['stage']}: velocity (time in "
                            "stage, time to market) leaves it out",
                            f"add the day it entered each stage, e.g. {_event_hint(id, row['stage'])}"))
    return out


def _stage_mismatch(run: _Run) -> list[Finding]:
    inn, orphans = _innovations(run)
    events = run.frame("stage_event")
    if inn.empty or events.empty:
        return []
    today = pd.Timestamp(dt.date.today())
    stages = current_stages(events, today.date())  # events dated after today do not count yet
    last = events[events["date"] <= today].groupby("innovation_id")["date"].max()
    # An event still to come that names the stage an innovation is at: most likely a mistyped date.
    ahead = events[events["date"] > today].sort_values("date").drop_duplicates(["innovation_id", "stage"])
    ahead = {(int(e["innovation_id"]), e["stage"]): e for e in _rows(ahead)}
    inn = inn[~inn["id"].isin(orphans)]
    said = inn["id"].map(stages)
    differs = said.notna() & (said != inn["stage"])
    out = []
    for row, stage in zip(_rows(inn[differs]), said[differs]):
        id, now = int(row["id"]), row["stage"]
        set_stage = f"set its stage to {stage} ({_patch('innovation', id, {'stage': stage})})"
        early = ahead.get((id, now))
        if early is not None:
            problem = (f"its stage is {now}, which its stage events reach only on {_day(early['date'])}, a day "
                       f"still to come; until then its latest event{_seen(run)} ({_day(last[id])}) says {stage}")
            hint = (f"if it is there already, correct that event's date "
                    f"({_patch('stage_event', int(early['id']), {'date': 'YYYY-MM-DD'})}); else {set_stage}")
        else:
            problem = f"its stage is {now} but its latest stage event{_seen(run)} ({_day(last[id])}) says {stage}"
            hint = f"{set_stage}, or record when it moved to {now}: {_event_hint(id, now)}"
        out.append(_finding(run, "stage_mismatch", "innovation", row, problem, hint))
    return out


_CHECKS = {"no_hub": _no_hub, "no_type_evidence": _no_type_evidence, "dangling_reference": _dangling_reference,
           "contact_without_consent": _contact_without_consent, "orphaned_innovation": _orphaned_innovation,
           "no_stage_history": _no_stage_history, "stage_mismatch": _stage_mismatch}

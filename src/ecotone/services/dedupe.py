"""Duplicate organisations: refused on creation, found across the atlas, and merged into one."""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import combinations
from typing import Any

import numpy as np
import sqlalchemy as sa
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from ..domain import REFERENCES, Organization, Record
from ..domain.access import OWNER
from ..domain.kinds import ENTITIES
from ..domain.names import fold, name_tokens, website_domain
from ..store import Atlas
from ..store.accounts import Accounts
from ..store.atlas import AtlasError, Forbidden, Refused
from ..store.tables import TABLES, organizations, ties

__all__ = ["LikelyDuplicate", "check_new_organization", "find_duplicates", "merge_organizations", "merged_into",
           "organization_history", "name_similarity", "MERGE_NOTE"]

#: The audit note of a merge, on the survivor's last entry and on the loser's deletion.
MERGE_NOTE = "merged organization:{loser} into organization:{survivor}"
_MERGE_NOTE = re.compile(r"^merged organization:(\d+) into organization:(\d+)$")
#: The note on each record a merge moves.
_MOVE_NOTE = "merging organization:{loser} into organization:{survivor}"


class LikelyDuplicate(Refused):
    """An organisation with the same name (once normalised) exists already in the same hub.

    ``existing`` lists each such organisation as ``{id, name, hub_id}``; those the principal may not see carry only
    their ``hub_id`` (``id`` and ``name`` None), so that a refusal never tells their names.
    """

    def __init__(self, message: str, existing: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.existing = existing


# -- refusing a duplicate on creation ----------------------------------------------------------------------------
# One candidate query on the name index: the names beginning with letters that fold to the first two of the
# normalised name (one index range per way of writing them: "Ka", "ka", "Kä"…), or with punctuation; among them, those
# matching a LIKE pattern built from the normalised name, where a letter some language writes with an accent (or in
# a case SQLite's LIKE does not fold) matches any one character, the pairs one letter folds into (ß → ss, æ → ae,
# œ → oe, þ → th) any run, and any run separates the words (spaces, punctuation, a legal suffix after them). Only
# those few are normalised in Python. On 100,000 organisations it reads a few thousand index entries at most.
_LITERAL = frozenset("bfhjkmpqvwx0123456789")
_EXPANSIONS = ("ss", "ae", "oe", "th")
_MAX_RANGES = 400
#: Where names beginning with punctuation sort (ASCII, Latin-1 and general punctuation), as [from, to) ranges.
_PUNCTUATION = [(" ", "0"), (":", "A"), ("[", "a"), ("{", "\x80"), ("\xa0", "\xc0"), ("\u2000", "\u2070")]


@functools.cache
def _spellings() -> dict[str, frozenset[str]]:
    """Each folded letter → the characters that fold to it: the Latin letters of Europe's languages (Latin-1,
    Latin Extended-A, Romanian's ș and ț), Greek and Cyrillic."""
    out: dict[str, set[str]] = defaultdict(set)
    for start, end in ((0x30, 0x180), (0x218, 0x21C), (0x370, 0x400), (0x400, 0x530)):
        for code in range(start, end):
            c = chr(code)
            folded = fold(c)
            if folded and folded[0].isalnum():
                out[folded[0]].add(c)
    return {k: frozenset(v) for k, v in out.items()}


def _spelt(letter: str) -> list[str]:
    return sorted(_spellings().get(letter, frozenset()) | {letter, letter.upper()})


def _starts(token: str) -> list[tuple[str, str]]:
    """Index ranges [from, to) holding every raw name whose first normalised word is ``token``: one per way of
    writing its first two letters ("Ka", "ka", "Kä"…), or its first letter alone when the second is a single
    letter's fold (æ → ae), or there would be too many.

    >>> _starts("kardio")[:2], len(_starts("kardio")), _starts("aesculap")[:2]
    ([('KA', 'KB'), ('Ka', 'Kb')], 92, [('A', 'B'), ('a', 'b')])
    """
    firsts = _spelt(token[0])
    if len(token) < 2 or token[:2] in _EXPANSIONS or len(firsts) * len(_spelt(token[1])) > _MAX_RANGES:
        return [(c, chr(ord(c) + 1)) for c in firsts]
    out = []
    for c in firsts:
        if len(fold(c)) > 1:  # "Æ" is the first two letters at once
            out.append((c, chr(ord(c) + 1)))
        else:
            out += [(c + d, c + chr(ord(d) + 1)) for d in _spelt(token[1])]
    return out


def _like_pattern(tokens: Iterable[str]) -> str:
    """A LIKE pattern every raw name with these normalised tokens matches (a superset: candidates only).

    >>> _like_pattern(("medlumics",)), _like_pattern(("weiss", "kardio"))
    ('%m____m___%', '%w__%k_____%')
    """
    parts = []
    for token in tokens:
        out, i = [], 0
        while i < len(token):
            if token[i:i + 2] in _EXPANSIONS:
                out.append("%")
                i += 2
                continue
            out.append(token[i] if token[i] in _LITERAL else "_")
            i += 1
        parts.append("".join(out))
    return re.sub("%+", "%", "%" + "%".join(parts) + "%")


def _same_name_in_hub(atlas: Atlas, org: Organization) -> list[dict[str, Any]]:
    """Every organisation of the new one's hub whose name is the same once normalised, whoever may see it (one
    query on the name index)."""
    tokens = name_tokens(org.name)
    if not tokens:
        return []
    table = organizations
    ranges = _starts(tokens[0]) + _PUNCTUATION
    # "+ 0": the hub narrows nothing when most organisations have none; the name's ranges do.
    hub = (table.c.hub_id + 0).is_(None) if org.hub_id is None else table.c.hub_id + 0 == org.hub_id
    stmt = (sa.select(table.c.id, table.c.name, table.c.hub_id)
            .where(sa.or_(*[sa.and_(table.c.name >= lo, table.c.name < hi) for lo, hi in ranges]), hub,
                   table.c.name.ilike(_like_pattern(tokens)), *([table.c.id != org.id] if org.id else [])))
    # The store's own kind of read, of every row (imports match this way too): a duplicate hidden from the
    # principal is still a duplicate, but only its existence is told. Sorted here: an ORDER BY id would have
    # SQLite walk the whole table in id order instead of the name's ranges.
    found = [dict(r) for r in atlas.execute(stmt).mappings() if name_tokens(r["name"]) == tokens]
    return sorted(found, key=lambda r: r["id"])


def check_new_organization(atlas: Atlas, org: Organization, *, allow_duplicate: bool = False) -> None:
    """Refuse an organisation about to be added when one with the same name, once normalised (case, accents,
    punctuation, legal suffixes: :func:`~ecotone.domain.names.normalize_name`), exists in the same hub (no hub
    counts as a hub), unless ``allow_duplicate``.

    Organisations the principal may not see count too, but their names are not told.

    Parameters
    ----------
    atlas : Atlas
        The atlas, acting for whoever adds the organisation.
    org : Organization
        The new organisation (with an ``id``, a renamed one: it is not its own duplicate).
    allow_duplicate : bool
        Add it all the same (the user confirmed that it is another organisation).

    Raises
    ------
    LikelyDuplicate
        Naming the existing organisation (``existing`` lists them all).

    Examples
    --------
    >>> from ecotone.domain import Hub
    >>> with Atlas.open("sqlite://") as atlas:
    ...     bcn = atlas.add(Hub(name="Barcelona Health Hub"))
    ...     _ = atlas.add(Organization(name="Medlumics S.L.", type="startup", hub_id=bcn.id))
    ...     check_new_organization(atlas, Organization(name="MEDLUMICS", type="startup"))  # no hub: another one
    ...     check_new_organization(atlas, Organization(name="Medlumics, SL", type="sme", hub_id=bcn.id),
    ...                            allow_duplicate=True)
    ...     check_new_organization(atlas, Organization(name="Medlumics, SL", type="sme", hub_id=bcn.id))
    Traceback (most recent call last):
    ...
    ecotone.services.dedupe.LikelyDuplicate: Medlumics S.L. (organization 1) exists already in Barcelona Health Hub; add it anyway with --allow-duplicate, or update that one
    """
    if allow_duplicate:
        return
    found = _same_name_in_hub(atlas, org)
    if not found:
        return
    seen = atlas.names("organization", [r["id"] for r in found])
    existing = [{"id": r["id"], "name": r["name"], "hub_id": r["hub_id"]} if r["id"] in seen
                else {"id": None, "name": None, "hub_id": r["hub_id"]} for r in found]
    shown = [e for e in existing if e["id"] is not None]
    if not shown:
        raise LikelyDuplicate("an organisation with this name exists already in this hub that you cannot see; "
                              "ask the hub's manager (or add it anyway with --allow-duplicate)", existing)
    if org.hub_id is None:
        where = "with no hub"
    else:
        where = "in " + atlas.names("hub", [org.hub_id]).get(org.hub_id, f"hub {org.hub_id}")
    named = ", ".join(f"{e['name']} (organization {e['id']})" for e in shown)
    verb = "exists" if len(shown) == 1 else "exist"
    raise LikelyDuplicate(f"{named} {verb} already {where}; add it anyway with --allow-duplicate, or update "
                          f"{'that one' if len(shown) == 1 else 'one of them'}", existing)


# -- finding likely duplicates -------------------------------------------------------------------------------
#: A word or prefix shared by more organisations than this ("university", "hospital") does not make them candidates.
BLOCK_CAP = 100
#: Organisations sharing one website or external id beyond this many are a shared page, not one organisation.
GROUP_CAP = 20
_PREFIX = 5
#: How far below ``min_score`` the first, cheap pass (token-sort ratio) keeps a pair for the full score.
_PREFILTER = 15.0


def _numbers(tokens: tuple[str, ...]) -> frozenset[str]:
    return frozenset(t for t in tokens if any(c.isdigit() for c in t))


def find_duplicates(atlas: Atlas, *, min_score: float = 90.0) -> list[dict[str, Any]]:
    """Pairs of organisations that are likely one and the same, among those the principal may see, best first.

    A pair is proposed when the names are alike (:func:`name_similarity` of the normalised names at least
    ``min_score``; numbers in the names must agree, and so must the countries when both are known), when the
    websites name the same site, or when an external id (``cordis_pic``...) is the same in the same scheme. Names
    are compared only within blocks of organisations that share a word at most :data:`BLOCK_CAP` names have, the
    first or the last five letters of the name, or the whole normalised name, and a block is first sifted in
    rapidfuzz's C code: the work grows with the atlas, not with its square (100,000 organisations in seconds).

    Parameters
    ----------
    atlas : Atlas
        The atlas, read as its principal sees it.
    min_score : float
        The least name similarity (0–100) that makes a pair; a same website scores 95, a same external id 100.

    Returns
    -------
    list of dict
        ``score``, ``a_id``, ``a_name``, ``a_hub``, ``b_id``, ``b_name``, ``b_hub`` (``a`` the older record) and
        ``reason`` (every reason, ``; ``-separated).

    Examples
    --------
    >>> from ecotone.services.demo import build_demo
    >>> with Atlas.open("sqlite://") as atlas:
    ...     _ = build_demo(atlas)
    ...     _ = atlas.add(Organization(name="Medlumics SL", type="startup"))
    ...     [(p["a_name"], p["b_name"], p["score"], p["reason"]) for p in find_duplicates(atlas)]
    [('Medlumics', 'Medlumics SL', 100.0, 'same name once normalised (medlumics)')]
    """
    orgs = list(atlas.rows("organization", columns=["name", "hub_id", "country", "website", "external_ids"]))
    found: dict[tuple[int, int], dict[str, Any]] = {}

    def note(i: int, j: int, score: float, reason: str) -> None:
        key = (i, j) if i < j else (j, i)
        pair = found.setdefault(key, {"score": 0.0, "reasons": []})
        pair["score"] = max(pair["score"], score)
        if reason not in pair["reasons"]:
            pair["reasons"].append(reason)

    def groups(keyed: dict[Any, list[int]], score: float, reason: str) -> None:
        for key, members in keyed.items():
            if 1 < len(members) <= GROUP_CAP:
                for i, j in combinations(members, 2):
                    note(i, j, score, reason.format(key=key))

    by_id: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_site: dict[str, list[int]] = defaultdict(list)
    for i, o in enumerate(orgs):
        for scheme, value in (o["external_ids"] or {}).items():
            if str(value).strip():
                by_id[(scheme, str(value).strip().casefold())].append(i)
        site = website_domain(o["website"])
        if site:
            by_site[site].append(i)
    groups({f"{s} {v}": m for (s, v), m in by_id.items()}, 100.0, "same external id ({key})")
    groups(by_site, 95.0, "same website ({key})")
    _alike_names(orgs, min_score, note)

    hubs = atlas.names("hub", {o["hub_id"] for o in orgs if o["hub_id"] is not None})
    out = []
    for (i, j), pair in found.items():
        a, b = orgs[i], orgs[j]
        out.append({"score": round(pair["score"], 1), "a_id": a["id"], "a_name": a["name"],
                    "a_hub": hubs.get(a["hub_id"]), "b_id": b["id"], "b_name": b["name"],
                    "b_hub": hubs.get(b["hub_id"]), "reason": "; ".join(pair["reasons"])})
    out.sort(key=lambda p: (-p["score"], p["a_id"], p["b_id"]))
    return out


def _alike_names(orgs: list[dict[str, Any]], min_score: float, note: Any) -> None:
    """Note the pairs of alike names, comparing only within blocks (see :func:`find_duplicates`)."""
    tokens = [name_tokens(o["name"]) for o in orgs]
    keys = [" ".join(t) for t in tokens]
    words = Counter(w for t in tokens for w in set(t))
    weight = {w: math.log(1 + len(orgs) / n) for w, n in words.items()}
    compact = [k.replace(" ", "") for k in keys]
    prefixes = Counter(c[:_PREFIX] for c in compact if len(c) >= _PREFIX)
    suffixes = Counter(c[-_PREFIX:] for c in compact if len(c) >= _PREFIX)
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, t in enumerate(tokens):
        if not t:
            continue
        blocks[("=", keys[i])].append(i)
        for w in set(t):
            if len(w) >= 3 and not w.isdigit() and 1 < words[w] <= BLOCK_CAP:
                blocks[("w", w)].append(i)
        if len(compact[i]) >= _PREFIX:  # a typo in a word shares no word, but the start or the end of the name
            for kind, part, counts in (("p", compact[i][:_PREFIX], prefixes), ("s", compact[i][-_PREFIX:], suffixes)):
                if counts[part] <= BLOCK_CAP:
                    blocks[(kind, part)].append(i)

    numbers = [_numbers(t) for t in tokens]
    floor = max(0.0, min_score - _PREFILTER)
    candidates: set[tuple[int, int]] = set()
    for (kind, block_key), members in blocks.items():
        if len(members) < 2:
            continue
        if kind == "=":
            for i, j in combinations(members[:GROUP_CAP * 10], 2):
                if _comparable(orgs, numbers, i, j):
                    note(i, j, 100.0, f"same name once normalised ({block_key})")
            continue
        # A cheap first pass in rapidfuzz's C, the whole block at once: the token-sort ratio of the names or the
        # plain ratio of them without spaces, well below the final score; only the pairs it keeps are scored in full.
        if len(members) == 2:
            i, j = members
            if max(fuzz.token_sort_ratio(keys[i], keys[j]), fuzz.ratio(compact[i], compact[j])) >= floor:
                candidates.add((i, j))
            continue
        by_words = process.cdist([keys[i] for i in members], [keys[i] for i in members],
                                 scorer=fuzz.token_sort_ratio, score_cutoff=floor, dtype=np.uint8)
        by_letters = process.cdist([compact[i] for i in members], [compact[i] for i in members],
                                   scorer=fuzz.ratio, score_cutoff=floor, dtype=np.uint8)
        rows, cols = np.nonzero(np.triu(np.maximum(by_words, by_letters), 1))
        candidates.update((members[x], members[y]) for x, y in zip(rows.tolist(), cols.tolist()))
    for i, j in candidates:
        if keys[i] == keys[j]:
            continue
        score = name_similarity(tokens[i], tokens[j], weight)
        if score >= min_score and _comparable(orgs, numbers, i, j):
            note(i, j, score, "same words in another order" if score == 100 else f"similar names ({score:.0f} of 100)")


def name_similarity(a: tuple[str, ...], b: tuple[str, ...], weight: dict[str, float] | None = None) -> float:
    """How alike two normalised names (their :func:`~ecotone.domain.names.name_tokens`) are, 0–100.

    The same words in any order score 100. When each name has words the other lacks, the score is how alike those
    words are (the mean of rapidfuzz's Jaro–Winkler and optimal-string-alignment similarities, spaces left out: a
    swap of two letters is one edit), so a typo scores high and a long shared part does not make two names alike
    when the words that tell them apart differ. When one name is the other with words added, the score is the
    share of the longer name's weight that both have, each word weighted by ``weight`` (its rarity in the atlas:
    a word most names have says little; default 1): "X University Hospital" is not "X University".

    Examples
    --------
    >>> name_similarity(("medlumics",), ("medlumcis",)), name_similarity(("pompeu", "fabra"), ("fabra", "pompeu"))
    (93.3, 100.0)
    >>> name_similarity(("universita", "di", "padova"), ("universita", "di", "pavia"))
    67.9
    >>> name_similarity(("aarhus", "universitet"), ("aarhus", "universitet", "hospital"))
    66.7
    """
    weight = weight or {}
    shared = set(a) & set(b)
    only_a, only_b = [w for w in a if w not in shared], [w for w in b if w not in shared]
    if not only_a and not only_b:
        return 100.0
    if only_a and only_b:
        x, y = "".join(only_a), "".join(only_b)
        return round(50 * (JaroWinkler.normalized_similarity(x, y) + OSA.normalized_similarity(x, y)), 1)
    w_shared = sum(weight.get(w, 1.0) for w in shared)
    w_extra = sum(weight.get(w, 1.0) for w in only_a or only_b)
    return round(100 * w_shared / (w_shared + w_extra), 1)


def _comparable(orgs: list[dict[str, Any]], numbers: list[frozenset[str]], i: int, j: int) -> bool:
    """Alike names make a pair only when their numbers agree ("PIC 915056194" is not "PIC 915056195") and their
    countries, when both are known."""
    a, b = orgs[i]["country"], orgs[j]["country"]
    return numbers[i] == numbers[j] and (a is None or b is None or a == b)


# -- merging a pair ------------------------------------------------------------------------------------------
_ORG_REFERENCES = {entity: [f for f, target in fields.items() if target == "organization"]
                   for entity, fields in REFERENCES.items()}
_LISTS = {"investor_ids", "organization_ids", "conflict_ids"}
#: Fields of the survivor a merge never fills from the loser: who it is, who owns it, who may see it.
_KEPT = {"id", "name", "type", "owner_kind", "owner_id", "visibility", "latitude", "longitude"}


def _referring(atlas: Atlas, org_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every record that names the organisation (a reference of :data:`~ecotone.domain.REFERENCES`, or as its
    owner), whoever may see it, by kind: one query per kind of record."""
    out: dict[str, list[dict[str, Any]]] = {}
    for entity, table in TABLES.items():
        fields = _ORG_REFERENCES.get(entity, [])
        conds = [sa.and_(table.c.owner_kind == "organization", table.c.owner_id == org_id)]
        for field in fields:
            column = table.c[field]
            # A list of ids is JSON: its text holding the id picks candidates, checked exactly below.
            conds.append(sa.cast(column, sa.Text).contains(str(org_id)) if field in _LISTS else column == org_id)
        rows = [dict(r) for r in atlas.execute(sa.select(table).where(sa.or_(*conds)).order_by(table.c.id))
                .mappings()]
        rows = [r for r in rows if _names(r, fields, org_id) and not (entity == "organization" and r["id"] == org_id)]
        if rows:
            out[entity] = rows
    return out


def _names(row: dict[str, Any], fields: list[str], org_id: int) -> bool:
    if row.get("owner_kind") == "organization" and row.get("owner_id") == org_id:
        return True
    return any(org_id in (row.get(f) or []) if f in _LISTS else row.get(f) == org_id for f in fields)


def _moved(entity: str, row: dict[str, Any], loser: int, survivor: int) -> dict[str, Any]:
    """``row`` with every reference to the loser made to the survivor (lists keep each id once)."""
    new = dict(row)
    if new.get("owner_kind") == "organization" and new.get("owner_id") == loser:
        new["owner_id"] = survivor
    for field in _ORG_REFERENCES.get(entity, []):
        if field in _LISTS:
            ids = [survivor if i == loser else i for i in new.get(field) or []]
            new[field] = list(dict.fromkeys(ids))
        elif new.get(field) == loser:
            new[field] = survivor
    return new


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _filled(survivor: dict[str, Any], loser: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The survivor's fields with its empty ones filled from the loser, lists unioned, external ids merged (the
    survivor's value kept for a scheme both have); and the fields that changed."""
    out = dict(survivor)
    for field, value in loser.items():
        if field in _KEPT or _empty(value):
            continue
        mine = out.get(field)
        if isinstance(value, list):
            out[field] = list(dict.fromkeys([*(mine or []), *value]))
        elif isinstance(value, dict):
            out[field] = {**value, **(mine or {})}
        elif _empty(mine):
            out[field] = value
    if survivor.get("latitude") is None and survivor.get("longitude") is None:  # a place: both or neither
        out["latitude"], out["longitude"] = loser.get("latitude"), loser.get("longitude")
    changed = [f for f in out if out[f] != survivor.get(f)]
    return out, changed


def _record(cls: type[Record], row: dict[str, Any]) -> Record:
    return cls.model_validate({k: row[k] for k in cls.model_fields if k in row})


def _label(entity: str) -> str:
    return entity.replace("_", " ")


def _plural(entity: str, n: int) -> str:
    label = _label(entity)
    if n == 1:
        return f"1 {label}"
    return f"{n} {'people' if entity == 'person' else label + 's'}"


def merge_organizations(atlas: Atlas, survivor: int | str, loser: int | str, *,
                        dry_run: bool = False) -> dict[str, Any]:
    """Merge the loser organisation into the survivor, in one transaction, through the atlas's checked and audited
    writes: every record naming the loser (ties, people, innovations, participations, deals as recipient or
    investor, programmes it operates, clinical needs it raised, partnerships, assessments, introductions, and the
    records it owns) names the survivor instead; the survivor's empty fields are filled from the loser's, its
    lists unioned and external ids merged; user accounts of the loser's organisation move too; then the loser is
    deleted, and the survivor's history records ``merged organization:LOSER into organization:SURVIVOR``.

    A tie that would join the survivor to itself is dropped, and so is one the survivor has already (same kind,
    same ends; either way round when undirected): the survivor's own tie stands for the relationship, its weight
    unchanged (two records of one relationship are not twice the relationship). A participation in a programme
    the survivor takes part in already, and an introduction the survivor has already (or one between the two),
    are dropped likewise. A partnership of the two alone cannot be merged into one member: the merge is refused.

    Parameters
    ----------
    atlas : Atlas
        The atlas, acting for whoever merges: they must be allowed to change both organisations and every record
        that names the loser.
    survivor, loser : int or str
        The organisations, by id or name.
    dry_run : bool
        Work it all out, write nothing (what a confirmation shows).

    Returns
    -------
    dict
        ``survivor`` and ``loser`` ({id, name}), ``moved`` and ``dropped`` (records by kind), ``filled`` (the
        survivor's fields that changed), ``accounts`` (moved), ``change_set`` (the trail's id of the merge, to
        undo it with), ``dry_run`` and ``summary`` (in words).

    Examples
    --------
    >>> from ecotone.domain import Tie
    >>> with Atlas.open("sqlite://") as atlas:
    ...     a, b, c = atlas.add_all([Organization(name="Medlumics", type="startup"),
    ...                              Organization(name="Medlumics SL", type="startup", website="medlumics.com"),
    ...                              Organization(name="Hospital Clínic", type="hospital")])
    ...     _ = atlas.add_all([Tie(source_id=c.id, target_id=b.id, kind="clinical_pilot"),
    ...                        Tie(source_id=a.id, target_id=b.id, kind="partnership")])
    ...     report = merge_organizations(atlas, a.id, b.id)
    ...     report["summary"], atlas.get(Organization, a.id).website, atlas.count(Organization)
    ('Merged Medlumics SL (organization 2) into Medlumics (organization 1): moved 1 tie; dropped 1 tie (repeats); filled website.', 'medlumics.com', 2)
    """
    s_id, l_id = atlas.organization_id(survivor), atlas.organization_id(loser)
    if s_id == l_id:
        raise AtlasError(f"organization {s_id} cannot be merged into itself; give two different organisations")
    move_note, merge_note = (n.format(loser=l_id, survivor=s_id) for n in (_MOVE_NOTE, MERGE_NOTE))
    with atlas.transaction(dry_run=dry_run):
        s_org, l_org = atlas.get(Organization, s_id), atlas.get(Organization, l_id)
        referring = _referring(atlas, l_id)
        _may_merge(atlas, s_org, l_org, referring)
        moved: Counter = Counter()
        dropped: Counter = Counter()
        # One change set: undoing it (ecotone changes --undo) puts the pair back as it was
        with atlas.trail.change_set() as batch:
            ties_of, taken = _tie_keys(atlas, s_id), _taken(atlas, s_id)
            for entity, rows in referring.items():
                cls = ENTITIES[entity]
                for row in rows:
                    new = _moved(entity, row, l_id, s_id)
                    if _redundant(entity, new, ties_of, taken):
                        atlas.delete(cls, row["id"], note=move_note)
                        dropped[entity] += 1
                        continue
                    if entity == "partnership" and len(new["organization_ids"]) < 2:
                        raise AtlasError(f"partnership {row['id']} ({row['name']}) joins only {s_org.name} and "
                                         f"{l_org.name}: merged, it would join one organisation with itself; "
                                         "delete it or add a partner first")
                    atlas.update(_record(cls, new), note=move_note)
                    moved[entity] += 1
            merged, filled = _filled(s_org.model_dump(), l_org.model_dump())
            # Each field filled from the loser keeps the loser's provenance for it
            origin = atlas.provenance("organization", l_id)
            by_source: dict[str | None, list[str]] = defaultdict(list)
            for field in filled:
                by_source[origin.get(field, l_org.source)].append(field)
            for source, fields in by_source.items():
                atlas.update(Organization.model_validate(merged), fields=fields, source=source, note=move_note)
            atlas.delete(Organization, l_id, note=merge_note)
            # The entry that holds the merge in the survivor's own history, whether or not any of its fields changed
            atlas.trail.merged("organization", s_id, l_id, note=merge_note)
        # Accounts are not records (a change set's undo leaves them): the loser's members work for the survivor
        accounts = Accounts(atlas)
        members = [u for u in accounts.users() if u["organization_id"] == l_id]
        for user in members:
            accounts.update(user["id"], {"organization_id": s_id})
    report = {"survivor": {"id": s_id, "name": s_org.name}, "loser": {"id": l_id, "name": l_org.name},
              "moved": dict(moved), "dropped": dict(dropped), "filled": filled, "accounts": len(members),
              "change_set": None if dry_run else batch, "dry_run": dry_run}
    report["summary"] = _summary(report)
    return report


def _summary(report: dict[str, Any]) -> str:
    """The merge in words: what it moved, dropped and filled (what it would, for a dry run)."""
    s, l = report["survivor"], report["loser"]
    done = not report["dry_run"]
    verbs = {"moved": "moved" if done else "moves", "dropped": "dropped" if done else "drops",
             "filled": "filled" if done else "fills"}
    parts = []
    for what in ("moved", "dropped"):
        if report[what]:
            parts.append(f"{verbs[what]} " + ", ".join(_plural(e, n) for e, n in report[what].items())
                         + (" (repeats)" if what == "dropped" else ""))
    if report["accounts"]:
        parts.append(f"{verbs['moved']} {report['accounts']} user account{'s' if report['accounts'] > 1 else ''}")
    if report["filled"]:
        parts.append(f"{verbs['filled']} " + ", ".join(f.replace("_", " ") for f in report["filled"]))
    what = "; ".join(parts) if parts else ("nothing else referred to it" if done else "nothing else refers to it")
    if done:
        return f"Merged {l['name']} (organization {l['id']}) into {s['name']} (organization {s['id']}): {what}."
    return (f"Merging {l['name']} (organization {l['id']}) into {s['name']} (organization {s['id']}) {what}; "
            f"then {l['name']} is deleted.")


def _may_merge(atlas: Atlas, survivor: Organization, loser: Organization,
               referring: dict[str, list[dict[str, Any]]]) -> None:
    """Refuse at once, in words, a merge the principal could not finish: one of the two, or a record naming the
    loser, is not theirs to change (or not theirs to see)."""
    p = atlas.principal
    if p.is_admin:
        return
    for org in (survivor, loser):
        if not atlas.may_change("organization", org.id):  # type: ignore[arg-type]
            if not p.may_write:  # a visitor or a viewer is told so in the atlas's words
                atlas.authorize("change", "organization", org.model_dump())
            raise Forbidden(f"{p.actor} may not change {org.name} (organization {org.id}): it belongs to another "
                            "hub or organisation; ask its owners, or an admin, to merge")
    blocked = Counter(entity for entity, rows in referring.items() for row in rows
                      if not atlas.may_change(entity, row["id"]))
    if blocked:
        listed = ", ".join(_plural(e, n) for e, n in blocked.items())
        raise Forbidden(f"{p.actor} may not merge {loser.name} (organization {loser.id}): {listed} naming it "
                        "belong to another hub or organisation, or are hidden from you; ask an admin to merge")


def _tie_keys(atlas: Atlas, org_id: int) -> set[tuple[int, int, str]]:
    """The (source, target, kind) of the organisation's ties, whoever may see them; undirected ones both ways."""
    stmt = sa.select(ties.c.source_id, ties.c.target_id, ties.c.kind, ties.c.directed).where(
        sa.or_(ties.c.source_id == org_id, ties.c.target_id == org_id))
    keys = set()
    for r in atlas.execute(stmt):
        keys.add((r.source_id, r.target_id, r.kind))
        if not r.directed:
            keys.add((r.target_id, r.source_id, r.kind))
    return keys


def _taken(atlas: Atlas, org_id: int) -> dict[str, set[tuple]]:
    """What the survivor has already that a moved record may not repeat: its programmes, its introductions."""
    part, intro = TABLES["participation"], TABLES["introduction"]
    programs = set(atlas.execute(sa.select(part.c.program_id).where(part.c.organization_id == org_id)).scalars())
    intros = {(r.organization_id, r.partner_id, r.introduced_on) for r in atlas.execute(
        sa.select(intro.c.organization_id, intro.c.partner_id, intro.c.introduced_on)
        .where(sa.or_(intro.c.organization_id == org_id, intro.c.partner_id == org_id)))}
    return {"participation": {(p,) for p in programs}, "introduction": intros}


def _redundant(entity: str, new: dict[str, Any], ties_of: set[tuple[int, int, str]],
               taken: dict[str, set[tuple]]) -> bool:
    """Whether a moved record would repeat one the survivor has (or join it to itself): dropped, not moved. A
    moved one that stays is remembered, so two of the loser's cannot collide either."""
    if entity == "tie":
        key = (new["source_id"], new["target_id"], new["kind"])
        if new["source_id"] == new["target_id"] or key in ties_of \
                or (not new["directed"] and (key[1], key[0], key[2]) in ties_of):
            return True
        ties_of.add(key)
        if not new["directed"]:
            ties_of.add((key[1], key[0], key[2]))
        return False
    if entity == "participation":
        key = (new["program_id"],)
    elif entity == "introduction":
        if new["organization_id"] == new["partner_id"]:
            return True
        key = (new["organization_id"], new["partner_id"], new["introduced_on"])
    else:
        return False
    if key in taken[entity]:
        return True
    taken[entity].add(key)
    return False


# -- history -------------------------------------------------------------------------------------------------
def merged_into(atlas: Atlas, org_id: int) -> list[int]:
    """The organisations merged into this one, and into those, and so on (found by the merge's audit note).

    Examples
    --------
    >>> with Atlas.open("sqlite://") as atlas:
    ...     a, b, c = atlas.add_all([Organization(name=n, type="startup") for n in ("Kardio", "Kardio SA", "KARDIO")])
    ...     _ = merge_organizations(atlas, b.id, c.id)
    ...     _ = merge_organizations(atlas, a.id, b.id)
    ...     merged_into(atlas, a.id)
    [2, 3]
    """
    everyone = atlas.acting_as(OWNER)  # a merged record is deleted: only its merge note still names it
    out: list[int] = []
    todo = [org_id]
    while todo:
        current = todo.pop()
        entries, _ = everyone.trail.entries(kinds=["organization"], record_id=current, limit=None)
        found = []
        for e in entries:
            m = _MERGE_NOTE.match(e["note"] or "")
            if m and int(m.group(2)) == current and e["action"] == "merge" and int(m.group(1)) not in out:
                found.append(int(m.group(1)))
        restored = everyone.names("organization", found)  # a merge undone since: the loser's history is its own
        for loser in found:
            if loser not in restored and loser not in out:
                out.append(loser)
                todo.append(loser)
    return sorted(out)


def organization_history(atlas: Atlas, org_id: int, **query: Any) -> tuple[list[dict[str, Any]], int]:
    """The audit entries of an organisation (``Trail.entries``'s ``actor``, ``since``, ``limit``, ``offset``),
    with those of the organisations merged into it, newest first; and how many there are.

    The merged ones are read whoever asks (they are deleted, so nobody "sees" them any more): their history is
    part of the survivor's, shown to whoever may read the survivor's.
    """
    limit, offset = query.pop("limit", 200), query.pop("offset", 0)
    merged = merged_into(atlas, org_id)
    if not merged or not atlas.names("organization", [org_id]):  # nothing merged, or not theirs to read
        return atlas.trail.entries(kinds=["organization"], record_id=org_id, limit=limit, offset=offset, **query)
    own, _ = atlas.trail.entries(kinds=["organization"], record_id=org_id, limit=None, **query)
    everyone = atlas.acting_as(OWNER)
    rows = own + [e for m in merged
                  for e in everyone.trail.entries(kinds=["organization"], record_id=m, limit=None, **query)[0]]
    rows.sort(key=lambda e: e["id"], reverse=True)
    end = None if limit is None else offset + limit
    return rows[offset:end], len(rows)

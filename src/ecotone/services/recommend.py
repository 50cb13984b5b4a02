"""Recommend partners from an atlas: build the recommender's inputs (texts, areas, clinicians) and name the seekers."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..analysis.snapshot import Snapshot
from ..domain import Stage
from ..domain.problems import InputRejected, Problem
from ..match.needs import in_words
from ..match.profiles import Profiles
from ..match.recommend import PARTS, Recommender, Seeker
from ..store import Atlas
from .analysis import Result, records

__all__ = ["clinicians", "recommend", "recommender", "seekers_of", "stated_needs"]


def profiles(atlas: Atlas, progress=None) -> Profiles:
    """The profiles of every organisation and clinician of the atlas: descriptions, focus and clinical areas
    (their innovations' too), offers, needs, hubs, ties."""
    snap = Snapshot.from_atlas(atlas, progress=progress)
    if len(snap) == 0:
        raise InputRejected([Problem(reason="the atlas holds no organisation",
                                     hint="import data first (ecotone import …) or try ecotone demo")])
    nodes = snap.nodes
    orgs = atlas.frame("organization", ["description"]).set_index("id")["description"]
    inn = atlas.frame("innovation", ["organization_id", "category", "clinical_area", "description"])
    text = inn[["category", "clinical_area", "description"]].fillna("").astype(str)
    # column by column, not .agg(axis=1): that gives a frame, not texts, for an atlas without innovations (CORDIS)
    words = ((text["category"] + " " + text["clinical_area"] + " " + text["description"])
             .groupby(inn["organization_id"]).agg(" ".join))
    clinical = inn.dropna(subset=["clinical_area"]).groupby("organization_id")["clinical_area"].agg(list)
    ids = nodes["id"]
    about = (ids.map(orgs).fillna("") + " " + nodes["focus_areas"].map(" ".join) + " "
             + ids.map(words).fillna("")).tolist()
    areas = [list(f) + list(c if isinstance(c, list) else []) for f, c in zip(nodes["focus_areas"], ids.map(clinical))]
    people = clinicians(atlas)
    people = people[people["organization_id"].isin(ids)]
    position = pd.Series(range(len(ids)), index=ids.to_numpy())
    people = people.assign(organization=people["organization_id"].map(position))
    return Profiles(snap, about=about, areas=areas, people=people)


def clinicians(atlas: Atlas) -> pd.DataFrame:
    """The atlas's clinicians: people whose role says so (clinician, physician, doctor, nurse) or who have a
    specialty."""
    people = atlas.frame("person", ["name", "organization_id", "role", "specialty", "expertise"])
    is_clinician = people["role"].fillna("").str.contains("clinic|physician|doctor|nurse", case=False) | \
        people["specialty"].notna()
    return people[is_clinician]


def recommender(atlas: Atlas, *, top: int = 10, cross_border: float = 0.5, weights: dict[str, float] | None = None,
                explain: bool = True, progress=None) -> Recommender:
    """A recommender fitted on the whole atlas: every organisation and every clinician is a candidate."""
    try:
        model = Recommender(top=top, cross_border=cross_border, weights=weights, explain=explain)
    except ValueError as exc:
        raise InputRejected([Problem(column="--weight" if "weight" in str(exc) or "part" in str(exc)
                                     else "--cross-border", reason=str(exc))]) from None
    return model.fit(profiles(atlas, progress))


def seekers_of(atlas: Atlas, model: Recommender, *, organizations: Sequence[str] = (),
               innovations: Sequence[str] = (), hub: str | None = None, stage: str | None = None) -> list[Seeker]:
    """The seekers named: organisations (at their own stage, or their latest innovation's), innovations (by name
    or id), or every startup of a hub; ``stage`` overrides the stage of them all."""
    snap = model.p.snapshot
    chosen = Stage(stage) if stage else None
    inn = atlas.frame("innovation", ["name", "organization_id", "category", "clinical_area", "description", "stage"])
    out: list[Seeker] = []
    for ref in innovations:
        hit = inn[inn["id"] == int(ref)] if str(ref).isdigit() else inn[inn["name"].str.lower() == str(ref).lower()]
        if hit.empty:
            raise InputRejected([Problem(column="--innovation", reason=f"no innovation is named {ref!r}",
                                         hint="list them with: ecotone export csv, or give the id")])
        row = hit.iloc[0]
        st = chosen or Stage(row["stage"])
        out.append(Seeker(snap.position(int(row["organization_id"])), _active(st, "--innovation", row["name"]),
                          label=str(row["name"]),
                          text=" ".join(str(v) for v in row[["category", "clinical_area", "description"]] if v),
                          areas=(row["clinical_area"],) if row["clinical_area"] else ()))
    refs = list(organizations)
    if hub:
        hub_id = atlas.hub_id(hub)
        nodes = snap.nodes
        refs += nodes.loc[(nodes["hub_id"] == hub_id) & (nodes["type"] == "startup"), "id"].astype(str).tolist()
    for ref in refs:
        org_id = atlas.organization_id(ref)
        position = snap.position(org_id)
        node = snap.nodes.iloc[position]
        st = chosen or _stage_of(node, inn[inn["organization_id"] == org_id])
        if st is None:
            if hub and ref not in organizations:
                continue
            raise InputRejected([Problem(column="--org", reason=f"{node['name']} has no stage and no innovation",
                                         hint="give --stage (e.g. --stage clinical_validation)")])
        out.append(Seeker(position, _active(st, "--org", node["name"]), label=str(node["name"])))
    if not out:
        raise InputRejected([Problem(reason="no seeker given", hint="name one with --org, --innovation or --hub")])
    return out


def _stage_of(node: pd.Series, innovations: pd.DataFrame) -> Stage | None:
    if isinstance(node["stage"], str):
        return Stage(node["stage"])
    live = innovations[innovations["stage"] != Stage.stopped.value]
    if live.empty:
        return None
    return max((Stage(s) for s in live["stage"]), key=Stage.pipeline().index)


def _active(stage: Stage, flag: str, name: str) -> Stage:
    if stage is Stage.stopped:
        raise InputRejected([Problem(column=flag, reason=f"{name} is stopped",
                                     hint="give the stage it restarts at with --stage")])
    return stage


def recommend(atlas: Atlas, *, organizations: Sequence[str] = (), innovations: Sequence[str] = (),
              hub: str | None = None, stage: str | None = None, top: int = 10, cross_border: float = 0.5,
              weights: dict[str, float] | None = None, progress=None) -> Result:
    """Ranked partners for each seeker, with the five parts of each score and an explanation."""
    model = recommender(atlas, top=top, cross_border=cross_border, weights=weights, progress=progress)
    try:
        seekers = seekers_of(atlas, model, organizations=organizations, innovations=innovations, hub=hub,
                             stage=stage)
    except (KeyError, ValueError) as exc:
        raise InputRejected([Problem(reason=str(exc.args[0]) if exc.args else str(exc))]) from None
    table = model.recommend(seekers, progress)
    needs = stated_needs(model, seekers, table)
    return Result(tables={"recommendations": records(table), "needs": records(needs)},
                  summary={"seekers": len(seekers), "recommendations": len(table), "parts": ", ".join(PARTS),
                           "cross_border": cross_border, "stated_needs": len(needs),
                           "needs_without_provider": int((needs["status"] == "none").sum())})


def stated_needs(model: Recommender, seekers: Sequence[Seeker], table: pd.DataFrame) -> pd.DataFrame:
    """Each seeker's stated needs and how the atlas meets them (matched, weak with its score, or no provider
    anywhere), with how many of its recommended partners meet each (matched or weak)."""
    rows = []
    index = {(k, int(i)): c for c, (k, i) in enumerate(zip(model.p.kind, model.p.ids))}  # once, not per seeker
    by_seeker = {label: group for label, group in table.groupby("seeker", sort=False)} if len(table) else {}
    for s in seekers:
        needs = [str(n) for n in model.p.needs[s.position] if str(n).strip()]
        if not needs:
            continue
        found = model.matcher.match(needs)
        mine = by_seeker.get(s.label, table.iloc[:0])
        partners = [index[(k, int(i))] for k, i in zip(mine["partner_kind"], mine["partner_id"])]
        for need, row in zip(needs, found.to_dict("records")):
            rows.append({"seeker": s.label, "need": need, "term": row["term"], "status": row["status"],
                         "score": row["score"], "offer": row["offer"],
                         "match": in_words(row["status"], row["score"], row["offer"]),
                         "recommended": sum(model.meets(need, c)[0] != "none" for c in partners)})
    return pd.DataFrame(rows, columns=["seeker", "need", "term", "status", "score", "offer", "match", "recommended"])

"""Recommendations' fast path (reused blocks, distinct rows multiplied once, top k by partition) against a plain
statement of the definition, seeker by seeker over whole rows: on the CORDIS extract and on the demo, the same
partners in the same order with the same scores and parts, float for float."""

from dataclasses import replace

import numpy as np
import pytest

from ecotone.domain import Innovation, Organization, Stage
from ecotone.match.profiles import lower
from ecotone.match.recommend import _STAGE_WORDS, PARTS, Seeker, partners_for
from ecotone.services.recommend import recommender, seekers_of

STAGES = [s for s in Stage.pipeline() if s is not Stage.stopped]


def reference(model, seeker: Seeker) -> list[tuple[int, float, tuple[float, ...]]]:
    """The ``model.top`` partners of one seeker as the class docstring defines them: (candidate, score, parts),
    best first, equal scores in candidate order, the organisations it is tied to (and itself) left out."""
    p, w = model.p, model.weights
    pos, stage = seeker.position, Stage(seeker.stage)
    wanted = partners_for(stage)
    idx = np.flatnonzero(np.isin(p.types, list(wanted)))
    type_fit = np.array([max(1.0 - 0.2 * wanted.index(t), 0.4) for t in p.types[idx]])
    org = p.org[idx]

    def cosines(seeker_row, candidates):
        return (seeker_row @ candidates[idx].T).toarray()[0]

    areas = sorted(set(p.areas[pos]) | set(lower(seeker.areas)))
    about = p.tfidf.transform([f"{p.about_docs[pos]} {seeker.text}"])
    needs = p.tfidf.transform([f"{p.needs_docs[pos]} {_STAGE_WORDS[stage]}"])
    alignment = 0.5 * cosines(about, p.about_x) + 0.5 * (cosines(p.indicator([areas]), p.areas_x)
                                                         / max(len(areas), 1))
    complementarity = (0.4 * type_fit + 0.4 * cosines(needs, p.offers_x)
                       + 0.2 * cosines(p.offers_x[[pos]], p.needs_x))
    lang, region = p.language[pos], p.region[pos]
    cultural = (0.5 * p.openness[idx] + 0.25 * ((p.language[idx] == lang) & (lang >= 0))
                + 0.25 * ((p.region[idx] == region) & (region >= 0)))
    impact = p.track[idx]
    tied = p.adjacency[[pos]]
    shared = (tied @ p.adjacency[:, org]).toarray()[0]
    proximity = 0.6 * (1 - 0.5 ** shared) + 0.4 * p.hub_link[p.hub[pos], p.hub[idx]]
    factor = 1 + (model.cross_border - 0.5) * 0.5 * np.where(p.hub[idx] != p.hub[pos], 1.0, -1.0)
    score = (w[0] * alignment + w[1] * complementarity + w[2] * cultural + w[3] * impact
             + w[4] * proximity) * factor
    allowed = np.flatnonzero((tied[:, org].toarray()[0] == 0) & (org != pos))
    best = allowed[np.lexsort((allowed, -score[allowed]))][:model.top]
    parts = np.stack([alignment, complementarity, cultural, impact, proximity], axis=1)
    return [(int(idx[j]), float(score[j]), tuple(parts[j].tolist())) for j in best]


def fast(model, seekers: list[Seeker]) -> list[list[tuple[int, float, tuple[float, ...]]]]:
    """What ``model.recommend`` ranks for each seeker, in the reference's terms."""
    table = model.recommend(seekers)
    index = {(k, int(i)): c for c, (k, i) in enumerate(zip(model.p.kind, model.p.ids))}
    out: dict[str, list] = {s.label: [] for s in seekers}
    for row in table.itertuples():
        assert row.rank == len(out[row.seeker]) + 1
        out[row.seeker].append((index[(row.partner_kind, row.partner_id)], row.score,
                                tuple(getattr(row, part) for part in PARTS)))
    return [out[s.label] for s in seekers]


def assert_same(model, seekers: list[Seeker]) -> int:
    """Every seeker's ranked partners, scores and parts exactly equal; returns how many recommendations."""
    got = fast(model, seekers)
    for seeker, mine in zip(seekers, got):
        expected = reference(model, seeker)
        assert [c for c, _, _ in mine] == [c for c, _, _ in expected], seeker.label
        assert [s for _, s, _ in mine] == [s for _, s, _ in expected], seeker.label  # == on floats, on purpose
        assert [q for _, _, q in mine] == [q for _, _, q in expected], seeker.label
    return sum(map(len, got))


@pytest.mark.slow
@pytest.mark.parametrize(("top", "cross_border"), [(10, 0.5), (60, 0.9)])
def test_fast_recommendations_equal_the_definition_on_cordis(cordis_atlas, top, cross_border):
    model = recommender(cordis_atlas, top=top, cross_border=cross_border)
    p = model.p
    # CORDIS has no stages: its SMEs and some universities and companies, each at a stage of the pipeline
    chosen = [i for t in ("sme", "university", "corporate") for i in np.flatnonzero(p.types == t)[:60]]
    seekers = [Seeker(int(i), STAGES[n % len(STAGES)], str(p.names[i])) for n, i in enumerate(chosen)]
    assert len({s.label for s in seekers}) == len(seekers)
    # chunk 7: many blocks, a stage's last one short, so reused arrays are sliced
    model.chunk = 7
    made = assert_same(model, seekers)
    wanted = sum(bool(np.isin(p.types, partners_for(s.stage)).any()) for s in seekers)
    assert made >= wanted * min(top, 5)
    # equal scores abound in CORDIS (no texts, no hubs): the tie rule is what ranks them
    scores = model.recommend(seekers)["score"]
    assert scores.duplicated().mean() > 0.5


@pytest.mark.slow
def test_fast_recommendations_equal_the_definition_on_the_demo(demo_atlas):
    """The demo has what CORDIS lacks: texts, areas, offers and needs, hubs, clinicians, innovations."""
    model = recommender(demo_atlas, top=25, cross_border=0.7, weights={"proximity": 0.4})
    snap = model.p.snapshot
    orgs = [Seeker(snap.position(o.id), Stage(o.stage), f"{o.name} #{o.id}")
            for o in demo_atlas.find(Organization, limit=None).items if o.stage and o.stage != Stage.stopped]
    innovations = [str(i.id) for i in demo_atlas.find(Innovation, limit=None).items if i.stage != Stage.stopped]
    seekers = orgs + [replace(s, label=f"innovation #{i}")
                      for i, s in zip(innovations, seekers_of(demo_atlas, model, innovations=innovations))]
    assert len({s.label for s in seekers}) == len(seekers)
    assert any(s.text for s in seekers) and any(s.areas for s in seekers)
    assert assert_same(model, seekers) > 10 * len(seekers)

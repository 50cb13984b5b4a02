"""Generate synthetic ecosystems for scale tests: dense hubs, few bridges, heavy-tailed degrees, dated ties."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..domain import Stage, StakeholderType, TieKind, helix_of
from ..store import Atlas
from ..store.atlas import Forbidden

__all__ = ["Generator", "TYPE_MIX"]

#: Share of each stakeholder type among generated organisations (the first of each hub becomes its operator).
TYPE_MIX: dict[StakeholderType, float] = {
    StakeholderType.startup: 0.34, StakeholderType.sme: 0.14, StakeholderType.corporate: 0.05,
    StakeholderType.hospital: 0.06, StakeholderType.clinic: 0.04, StakeholderType.university: 0.05,
    StakeholderType.research_center: 0.06, StakeholderType.investor: 0.06, StakeholderType.government: 0.02,
    StakeholderType.regulator: 0.005, StakeholderType.notified_body: 0.005, StakeholderType.incubator: 0.02,
    StakeholderType.accelerator: 0.02, StakeholderType.industry_association: 0.02,
    StakeholderType.patient_organization: 0.03, StakeholderType.other: 0.05,
}
_COUNTRIES = ["ES", "PL", "US", "UK", "DE", "FR", "IT", "NL", "SE", "FI", "SG", "IL", "DK", "BE", "CH", "AT", "PT", "IE"]
_ROOTS = np.array(["Cardia", "Neuro", "Derma", "Onco", "Pulmo", "Gluco", "Ortho", "Vita", "Medi", "Sano", "Cura",
                   "Thera", "Bio", "Gen", "Immu", "Nova", "Lumi", "Hema"])
_TAILS = np.array(["Labs", "Health", "Diagnostics", "AI", "Devices", "Care", "Sense", "Robotics", "Link", "Works"])
_REFERENCE_DAY = dt.date(2026, 1, 1)  # fixed, so the same seed gives the same atlas on any day
_EPOCH = dt.date(2010, 1, 1)
SOURCE = "synthetic"


@dataclass
class Generator:
    """A synthetic atlas: ``orgs`` organisations in ``hubs`` hubs joined by ``ties`` ties (default ten per
    organisation); the same ``seed`` gives the same atlas.

    Hub sizes follow a power law (capped at 15 times the smallest hub) and each hub draws its own stakeholder mix around :data:`TYPE_MIX`;
    organisations' activity (how many ties they take part in) is Pareto-distributed,
    so degrees are heavy-tailed; ``cross_hub`` of the ties bridge two hubs, the rest stay inside one. Startups get
    innovations with stage histories and funding deals.

    Examples
    --------
    >>> from ecotone.domain import Organization
    >>> with Atlas.open("sqlite://") as atlas:
    ...     gen = Generator(orgs=500, hubs=5, seed=1).run(atlas)
    ...     atlas.count(Organization), atlas.count(Organization, type="hub_operator"), gen.ties_
    (500, 5, 5000)
    """

    orgs: int = 1000
    hubs: int = 10
    ties: int | None = None
    seed: int = 0
    cross_hub: float = 0.05
    chunk: int = 50_000

    def run(self, atlas: Atlas, progress: Callable[[str, int, int], None] | None = None) -> Generator:
        """Generate and insert; sets ``hubs_``, ``orgs_``, ``ties_``, ``innovations_``, ``deals_`` (counts)."""
        if self.orgs < 1 or self.hubs < 1:
            raise ValueError("--orgs and --hubs must be at least 1")
        if not atlas.principal.is_admin:
            raise Forbidden("only an admin may generate synthetic records")
        rng = np.random.default_rng(self.seed)
        n_ties = 10 * self.orgs if self.ties is None else self.ties
        with atlas.transaction():
            base = atlas.last_ids()
            hub_ids, hub_country = self._hubs(atlas, rng, base["hub"])
            org_hub, org_type = self._organizations(atlas, rng, base["organization"], hub_ids, hub_country, progress)
            self.ties_ = self._ties(atlas, rng, base["organization"], org_hub, org_type, n_ties, progress)
            self._innovations(atlas, rng, base, org_type)
            atlas.resync_ids()
            # One audit entry per kind of record: a million synthetic ties need no history each.
            after = atlas.last_ids()
            for entity, first in base.items():
                if after[entity] > first:
                    atlas.trail.created_range(entity, first + 1, after[entity],
                                              note=f"generated synthetic records, seed {self.seed}")
        self.hubs_, self.orgs_ = len(hub_ids), len(org_hub)
        return self

    def _insert(self, atlas: Atlas, entity: str, rows: list[dict], progress, label: str, total: int, done: int) -> None:
        for i in range(0, len(rows), self.chunk):
            atlas.insert_rows(entity, rows[i:i + self.chunk])
            if progress:
                progress(label, min(done + i + self.chunk, total), total)

    def _hubs(self, atlas: Atlas, rng: np.random.Generator, base: int) -> tuple[np.ndarray, list[str]]:
        countries = [_COUNTRIES[i % len(_COUNTRIES)] for i in range(self.hubs)]
        rows = [{"id": base + i + 1, "name": f"Synthetic hub {self.seed}-{i + 1:03d}", "country": c,
                 "latitude": float(rng.uniform(-50, 65)), "longitude": float(rng.uniform(-120, 140)), "kind": "hub",
                 "visibility": "network", "source": SOURCE, "external_ids": {}}
                for i, c in enumerate(countries)]
        atlas.insert_rows("hub", rows)
        return np.arange(base + 1, base + self.hubs + 1), countries

    def _organizations(self, atlas, rng, base, hub_ids, hub_country, progress):
        n = self.orgs
        # power-law hub sizes, capped at 15 times the smallest: real hubs differ by an order of magnitude, and an
        # uncapped tail gives one hub nearly every actor
        size = np.minimum(rng.pareto(1.2, self.hubs) + 1, 15.0)
        hub_of = np.sort(rng.choice(self.hubs, n, p=size / size.sum()))
        types = list(TYPE_MIX)
        p = np.array([TYPE_MIX[t] for t in types])
        # Each hub has its own mix around the common one (a research-heavy hub, a startup-heavy one...).
        mixes = rng.dirichlet(p / p.sum() * 40, self.hubs)
        type_idx = np.empty(n, dtype=np.int64)
        bounds = np.searchsorted(hub_of, np.arange(self.hubs + 1))
        for h in range(self.hubs):
            type_idx[bounds[h]:bounds[h + 1]] = rng.choice(len(types), bounds[h + 1] - bounds[h], p=mixes[h])
        org_type = np.array([t.value for t in types], dtype=object)[type_idx]
        # One hub operator per hub, at the start of its block.
        starts = np.searchsorted(hub_of, np.arange(self.hubs))
        operator = starts[starts < n]
        org_type[operator] = StakeholderType.hub_operator.value
        words = _ROOTS[rng.integers(0, len(_ROOTS), n)].astype(object) + _TAILS[rng.integers(0, len(_TAILS), n)].astype(object)
        founded = rng.integers(1950, 2025, n)
        stages = np.array([s.value for s in Stage.pipeline()], dtype=object)[rng.integers(0, 7, n)]
        helix = {t.value: helix_of(t).value for t in StakeholderType}
        rows = []
        for i in range(n):
            t = org_type[i]
            h = int(hub_of[i])
            rows.append({
                "id": base + i + 1, "name": f"{words[i]} {i + 1}", "type": t, "helix": helix[t],
                "hub_id": int(hub_ids[h]), "country": hub_country[h], "focus_areas": [], "offers": [], "needs": [],
                "tags": [], "stage": stages[i] if t == "startup" else None,
                "founded": int(founded[i]) if t != "startup" else int(rng.integers(2012, 2026)),
                "visibility": "network", "source": SOURCE, "external_ids": {}})
        self._insert(atlas, "organization", rows, progress, "organisations", n, 0)
        return hub_of, org_type

    def _ties(self, atlas, rng, base, org_hub, org_type, m, progress) -> int:
        n = len(org_hub)
        if n < 2 or m == 0:
            return 0
        activity = rng.pareto(1.5, n) + 1  # heavy-tailed propensity to form ties
        cum = np.cumsum(activity)
        hub_start = np.searchsorted(org_hub, np.arange(self.hubs))
        hub_end = np.searchsorted(org_hub, np.arange(self.hubs), side="right")
        code = {k: i for i, k in enumerate(TieKind.choices())}
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        seen = np.empty(0, dtype=np.int64)
        have = 0
        for _ in range(50):  # heavy tails repeat pairs: draw until enough distinct ties
            if have >= m:
                break
            want = int((m - have) * 2) + 10
            src = np.searchsorted(cum, rng.uniform(0, cum[-1], want))
            cross = rng.random(want) < self.cross_hub
            # Inside a hub: draw the target from the source's hub block, weighted by activity.
            h = org_hub[src]
            lo = np.where(hub_start[h] > 0, cum[hub_start[h] - 1], 0.0)
            hi = cum[hub_end[h] - 1]
            tgt_in = np.searchsorted(cum, lo + rng.random(want) * (hi - lo))
            tgt_out = np.searchsorted(cum, rng.uniform(0, cum[-1], want))
            tgt = np.minimum(np.where(cross, tgt_out, tgt_in), n - 1)
            kinds = self._kinds(rng, org_type[src])
            undirected = kinds == TieKind.co_participation.value
            src, tgt = np.where(undirected, np.minimum(src, tgt), src), np.where(undirected, np.maximum(src, tgt), tgt)
            kind_code = np.fromiter((code[k] for k in kinds), dtype=np.int64, count=len(kinds))
            key = (src.astype(np.int64) * n + tgt) * 16 + kind_code
            _, first = np.unique(key, return_index=True)
            first = np.sort(first)
            fresh = first[(src[first] != tgt[first]) & ~np.isin(key[first], seen)][: m - have]
            parts.append((src[fresh], tgt[fresh], kinds[fresh]))
            seen = np.concatenate([seen, key[fresh]])
            have += len(fresh)
        src = np.concatenate([p[0] for p in parts])
        tgt = np.concatenate([p[1] for p in parts])
        kinds = np.concatenate([p[2] for p in parts])
        k = len(src)
        start = rng.integers(0, (_REFERENCE_DAY - _EPOCH).days, k)
        length = rng.integers(90, 2000, k)
        has_end = rng.random(k) < 0.3
        weight = np.round(rng.pareto(2.0, k) + 1, 2)
        directed = kinds != TieKind.co_participation.value
        done = 0
        rows: list[dict] = []
        empty = json.loads("{}")
        for i in range(k):
            s_day = _EPOCH + dt.timedelta(days=int(start[i]))
            e_day = s_day + dt.timedelta(days=int(length[i])) if has_end[i] else None
            rows.append({"source_id": base + int(src[i]) + 1, "target_id": base + int(tgt[i]) + 1, "kind": kinds[i],
                         "directed": bool(directed[i]), "weight": float(weight[i]), "start_date": s_day,
                         "end_date": e_day, "status": "ended" if e_day and e_day < _REFERENCE_DAY else "active",
                         "tags": [], "visibility": "network", "source": SOURCE, "external_ids": empty})
            if len(rows) == self.chunk:
                atlas.insert_rows("tie", rows)
                done += len(rows)
                rows = []
                if progress:
                    progress("ties", done, k)
        atlas.insert_rows("tie", rows)
        if progress:
            progress("ties", k, k)
        return k

    @staticmethod
    def _kinds(rng: np.random.Generator, source_type: np.ndarray) -> np.ndarray:
        general = np.array(["partnership", "co_development", "co_participation", "data_sharing", "supply",
                            "referral"], dtype=object)
        kinds = general[rng.choice(len(general), len(source_type), p=[0.3, 0.15, 0.3, 0.1, 0.1, 0.05])]
        by_type = {"investor": "investment", "hospital": "clinical_pilot", "clinic": "clinical_validation",
                   "incubator": "mentorship", "accelerator": "mentorship", "regulator": "regulatory_advice",
                   "notified_body": "regulatory_advice", "hub_operator": "membership"}
        specific = rng.random(len(source_type)) < 0.7
        for t, kind in by_type.items():
            kinds[(source_type == t) & specific] = kind
        return kinds

    def _innovations(self, atlas, rng, base, org_type) -> None:
        startups = np.flatnonzero(org_type == "startup")
        investors = np.flatnonzero(org_type == "investor")
        pipeline = Stage.pipeline()
        innovations, events, deals = [], [], []
        for j, idx in enumerate(startups[rng.random(len(startups)) < 0.5]):
            iid = base["innovation"] + j + 1
            reached = int(rng.integers(1, len(pipeline) + 1))
            stopped = rng.random() < 0.2
            stage = Stage.stopped if stopped else pipeline[reached - 1]
            innovations.append({"id": iid, "name": f"Innovation {iid}", "organization_id": base["organization"] + int(idx) + 1,
                                "stage": stage.value, "visibility": "network", "source": SOURCE, "external_ids": {}})
            day = _EPOCH + dt.timedelta(days=int(rng.integers(0, 3000)))
            for s in pipeline[:reached] + ([Stage.stopped] if stopped else []):
                events.append({"innovation_id": iid, "stage": s.value, "date": day, "visibility": "network",
                               "source": SOURCE, "external_ids": {}})
                day += dt.timedelta(days=int(rng.gamma(2.0, 120)) + 30)
        atlas.insert_rows("innovation", innovations)
        atlas.insert_rows("stage_event", events)
        if len(investors):
            for idx in startups[rng.random(len(startups)) < 0.3]:
                deals.append({"recipient_id": base["organization"] + int(idx) + 1,
                              "investor_ids": [base["organization"] + int(rng.choice(investors)) + 1],
                              "amount": float(np.round(rng.lognormal(13.5, 1.2), -3)), "currency": "EUR",
                              "date": _EPOCH + dt.timedelta(days=int(rng.integers(0, 5800))),
                              "round_type": str(rng.choice(["pre_seed", "seed", "series_a", "series_b"])),
                              "visibility": "network", "source": SOURCE, "external_ids": {}})
        atlas.insert_rows("deal", deals)
        self.innovations_, self.deals_ = len(innovations), len(deals)

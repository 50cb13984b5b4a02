"""Actor profiles for matchmaking: what each organisation and clinician is about, offers and needs, where it is,
how open it is and its track record, as arrays and TF-IDF matrices computed once per atlas."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..analysis.snapshot import Snapshot
from ..domain import TieKind
from .text import Tfidf

__all__ = ["CLINICIAN", "LANGUAGE", "REGION", "Profiles", "lower"]

CLINICIAN = "clinician"

#: Official language and world region of the countries hubs are in (ISO 3166 alpha-2; UK as the atlas writes it).
LANGUAGE = {"ES": "es", "PL": "pl", "UK": "en", "GB": "en", "IE": "en", "US": "en", "CA": "en", "SG": "en",
            "AU": "en", "DE": "de", "AT": "de", "CH": "de", "FR": "fr", "BE": "fr", "LU": "fr", "IT": "it",
            "NL": "nl", "SE": "sv", "FI": "fi", "DK": "da", "NO": "no", "PT": "pt", "IL": "he", "CZ": "cs",
            "EE": "et", "GR": "el", "HU": "hu", "RO": "ro", "JP": "ja", "KR": "ko", "CN": "zh"}
REGION = {**{c: "Europe" for c in ("ES", "PL", "UK", "GB", "IE", "DE", "AT", "CH", "FR", "BE", "LU", "IT", "NL",
                                   "SE", "FI", "DK", "NO", "PT", "CZ", "EE", "GR", "HU", "RO")},
          "US": "North America", "CA": "North America", "SG": "Asia", "JP": "Asia", "KR": "Asia", "CN": "Asia",
          "IL": "Middle East", "AU": "Oceania"}

#: The ties that make a partner's track record in its role.
_TRACK_KINDS: dict[str, tuple[str, ...]] = {
    "hospital": ("clinical_pilot", "clinical_validation"), "clinic": ("clinical_pilot", "clinical_validation"),
    CLINICIAN: ("clinical_pilot", "clinical_validation"), "regulator": ("regulatory_advice",),
    "notified_body": ("regulatory_advice",), "investor": ("investment",),
    "incubator": ("mentorship",), "accelerator": ("mentorship",), "university": ("co_development", "mentorship"),
    "corporate": ("partnership", "supply", "co_development"), "hub_operator": ("membership", "partnership"),
}


def lower(values) -> list[str]:
    """Trimmed lower-case strings, empty ones dropped."""
    return [str(v).strip().lower() for v in values or [] if str(v).strip()]


class Profiles:
    """The candidates of a snapshot — its organisations, then the clinicians given — and what matching reads of
    them. Index ``c`` runs over organisations (their snapshot positions) and then clinicians; ``org[c]`` is the
    organisation's position (a clinician's employer)."""

    def __init__(self, snapshot: Snapshot, *, about: Sequence[str] | None = None,
                 areas: Sequence[Sequence[str]] | None = None, people: pd.DataFrame | None = None) -> None:
        """Build the profiles of a snapshot's organisations and of clinicians.

        Parameters
        ----------
        about : one text per node (description, innovations…); default the focus areas.
        areas : focus and clinical areas per node; default the nodes' ``focus_areas``.
        people : clinicians, with ``id``, ``name``, ``organization`` (node position), ``specialty``, ``expertise``.
        """
        nodes = snapshot.nodes
        n = len(nodes)
        org_areas = [lower(a) for a in (areas if areas is not None else nodes["focus_areas"])]
        org_about = list(about) if about is not None else [" ".join(a) for a in org_areas]
        people = people if people is not None else pd.DataFrame(columns=["id", "name", "organization",
                                                                          "specialty", "expertise"])
        people = people[people["organization"].notna()].reset_index(drop=True)
        p_org = people["organization"].to_numpy(np.int64)
        p_areas = [lower(e) for e in people["expertise"]]
        for a, o in zip(p_areas, p_org):  # a hospital works in the areas its clinicians do
            org_areas[o] = sorted(set(org_areas[o]) | set(a))
        self.snapshot = snapshot
        self.kind = np.array(["organization"] * n + ["person"] * len(people), dtype=object)
        self.ids = np.concatenate([nodes["id"].to_numpy(np.int64), people["id"].to_numpy(np.int64)])
        self.names = np.concatenate([nodes["name"].astype(str).to_numpy(object),
                                     people["name"].astype(str).to_numpy(object)])
        self.org = np.concatenate([np.arange(n), p_org]).astype(np.int64)
        self.types = np.concatenate([nodes["type"].astype(str).to_numpy(object),
                                     np.full(len(people), CLINICIAN, dtype=object)])
        self.areas = org_areas + [sorted(set(a) | set(org_areas[o])) for a, o in zip(p_areas, p_org)]
        person_about = [" ".join([str(s or ""), *a, org_about[o]]) for s, a, o in
                        zip(people["specialty"], p_areas, p_org)]
        self.about_docs = org_about + person_about
        self.offers_docs = [" ".join(o) for o in nodes["offers"]] + [
            " ".join(["clinical expertise", str(s or ""), " ".join(nodes["offers"].iloc[o])])
            for s, o in zip(people["specialty"], p_org)]
        self.offers = [list(o) for o in nodes["offers"]] + [list(nodes["offers"].iloc[o]) for o in p_org]
        self.needs = [list(o) for o in nodes["needs"]] + [list(nodes["needs"].iloc[o]) for o in p_org]
        self.needs_docs = [" ".join(o) for o in self.needs]
        self.tfidf = Tfidf().fit(self.about_docs + self.offers_docs + self.needs_docs)
        self.about_x = self.tfidf.transform(self.about_docs)
        self.offers_x = self.tfidf.transform(self.offers_docs)
        self.needs_x = self.tfidf.transform(self.needs_docs)
        self.area_index = {a: i for i, a in enumerate(sorted({a for row in self.areas for a in row}))}
        self.areas_x = self.indicator(self.areas)
        #: Which candidates share a row of each matrix (equal texts, equal area sets): scoring multiplies the
        #: distinct rows only and gathers (offers and needs come from a short vocabulary).
        self.same = {"about": pd.factorize(pd.Series(self.about_docs, dtype=object))[0],
                     "offers": pd.factorize(pd.Series(self.offers_docs, dtype=object))[0],
                     "needs": pd.factorize(pd.Series(self.needs_docs, dtype=object))[0],
                     "areas": pd.factorize(pd.Series(["\x1f".join(sorted(set(a))) for a in self.areas],
                                                     dtype=object))[0]}

        self.adjacency = snapshot.adjacency()
        self.adjacency.data[:] = 1.0
        labels, member = snapshot.hub_membership()
        self.hub_names = list(labels)
        hub_code = np.full(n, len(labels), dtype=np.int64)  # no hub: its own code
        member = member.tocsr()
        in_hub = np.diff(member.indptr) > 0
        hub_code[in_hub] = member.indices[member.indptr[:-1][in_hub]]  # one hub per actor
        self.hub = hub_code[self.org]
        between = (member.T @ self.adjacency @ member).toarray() if len(labels) else np.zeros((0, 0))
        self.hub_ties = np.zeros((len(labels) + 1, len(labels) + 1))
        self.hub_ties[:len(labels), :len(labels)] = between
        self.hub_link = self._hub_link(self.hub_ties)
        country = nodes["country"].astype(object).where(nodes["country"].notna(), "").astype(str).to_numpy()
        self.country = country[self.org]
        self.language = self._codes([LANGUAGE.get(c, "") for c in self.country])
        self.region = self._codes([REGION.get(c, "") for c in self.country])
        self.openness = self._openness(snapshot, hub_code)[self.org]
        self.track, self.track_count = self._track(snapshot)

    def indicator(self, rows: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """A 0/1 matrix of which known areas each row lists."""
        cols = [[self.area_index[a] for a in set(r) if a in self.area_index] for r in rows]
        indptr = np.cumsum([0] + [len(c) for c in cols])
        data = np.ones(indptr[-1])
        return sp.csr_matrix((data, np.asarray([i for c in cols for i in c], dtype=np.int64), indptr),
                             shape=(len(rows), len(self.area_index)))

    @staticmethod
    def _codes(values: list[str]) -> np.ndarray:
        codes, _ = pd.factorize(pd.Series(values, dtype=object))
        codes = codes.astype(np.int64)
        codes[np.asarray(values, dtype=object) == ""] = -1  # unknown never matches
        return codes

    @staticmethod
    def _hub_link(ties: np.ndarray) -> np.ndarray:
        off = ties.copy()
        np.fill_diagonal(off, 0)
        best = off.max(axis=1, keepdims=True)
        link = np.divide(off, best, out=np.zeros_like(off), where=best > 0)
        np.fill_diagonal(link, 1.0)
        link[-1, :] = link[:, -1] = 0.0  # actors without a hub share none
        return link

    def _openness(self, snapshot: Snapshot, hub_code: np.ndarray) -> np.ndarray:
        n = len(snapshot.nodes)
        ties = snapshot.ties
        s, t = ties["source"].to_numpy(np.int64), ties["target"].to_numpy(np.int64)
        degree = np.bincount(np.concatenate([s, t]), minlength=n).astype(float)
        cross = hub_code[s] != hub_code[t]
        crossing = np.bincount(np.concatenate([s[cross], t[cross]]), minlength=n)
        sharing = ties["kind"].to_numpy(object) == TieKind.data_sharing.value
        shares = np.bincount(np.concatenate([s[sharing], t[sharing]]), minlength=n) > 0
        programmes = np.minimum(snapshot.nodes["programmes"].to_numpy(float) / 2, 1.0)
        cross_share = np.divide(crossing, degree, out=np.zeros(n), where=degree > 0)
        return (cross_share + shares + programmes) / 3

    def _track(self, snapshot: Snapshot) -> tuple[np.ndarray, np.ndarray]:
        n = len(snapshot.nodes)
        ties = snapshot.ties
        ends = np.concatenate([ties["source"].to_numpy(np.int64), ties["target"].to_numpy(np.int64)])
        codes, kinds = pd.factorize(pd.Series(np.concatenate([ties["kind"].to_numpy(object)] * 2), dtype=object))
        known = codes >= 0
        counts = np.bincount(codes[known] * n + ends[known], minlength=len(kinds) * n).reshape(len(kinds), n)
        per_kind = dict(zip(kinds, counts))
        count = np.zeros(len(self.types))
        for role, role_kinds in _TRACK_KINDS.items():
            mine = self.types == role
            total = sum((per_kind.get(k, np.zeros(n)) for k in role_kinds), np.zeros(n))
            count[mine] = total[self.org[mine]]
        return 1 - np.exp(-count / 3), count

    def hub_name(self, code: int) -> str | None:
        """The name of a hub code (``None`` for the code of actors without a hub)."""
        return self.hub_names[code] if code < len(self.hub_names) else None

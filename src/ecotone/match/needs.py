"""Needs matched to offers: one vocabulary of what actors need and offer, with a character TF-IDF fallback."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp
from rapidfuzz import process
from rapidfuzz.distance import OSA

__all__ = ["BROADER", "STATUSES", "VOCABULARY", "NeedMatch", "NeedMatcher", "canonical", "in_words", "normalise"]

#: How a need was met, best first.
STATUSES = ("matched", "weak", "none")

#: Canonical term → the ways actors write it (stage needs, service kinds, funding kinds). Lookups fold case,
#: accents, punctuation and plurals, so each phrase is written once here, singular or plural.
VOCABULARY: dict[str, tuple[str, ...]] = {
    # funding
    "funding": ("funding", "funds", "investment", "investor", "investors", "capital", "financing", "finance",
                "venture capital", "vc", "vc funding", "equity", "equity funding", "equity investment",
                "fundraising", "investment capital", "access to finance", "access to funding"),
    "pre-seed funding": ("pre-seed funding", "pre-seed", "pre-seed investment", "pre-seed round", "pre-seed capital"),
    "seed funding": ("seed funding", "seed", "seed investment", "seed capital", "seed round", "seed money",
                     "angel investment", "angel investor", "business angel", "angel funding", "early-stage funding",
                     "early-stage investment", "early-stage capital"),
    "series a funding": ("series a funding", "series a", "series-a", "series a round", "series a investment",
                         "series a investor"),
    "growth funding": ("growth funding", "growth capital", "growth equity", "series b", "series b funding",
                       "series c", "series c funding", "late-stage funding", "scale-up funding"),
    "grants": ("grant", "grants", "grant funding", "public funding", "non-dilutive funding", "subsidy", "subsidies",
               "innovation grant", "research grant", "eu funding", "horizon europe", "public grant"),
    "deal flow": ("deal flow", "dealflow", "investment opportunities", "startups to invest in",
                  "pipeline of startups", "startup pipeline", "investable startups"),
    # clinical
    "clinical validation": ("clinical validation", "clinical validation site", "validation site", "clinical trial",
                            "clinical trials", "clinical study", "clinical studies", "clinical evaluation",
                            "clinical testing", "clinical investigation", "hospital partner", "hospital partners",
                            "hospital partnership", "clinical partner", "clinical site", "clinical sites",
                            "hospital testing", "validation in hospital", "clinical evidence", "trial site",
                            "clinical research site", "hospital"),
    "foreign clinical sites": ("foreign clinical sites", "foreign clinical site", "clinical sites abroad",
                               "foreign hospitals", "foreign hospital partners", "international clinical sites",
                               "hospitals abroad", "cross-border clinical validation", "international hospital partners"),
    "clinical pilots": ("clinical pilot", "clinical pilots", "pilot", "pilot site", "pilot study", "hospital pilot",
                        "real-world pilot", "testbed", "test bed", "living lab", "proof of concept in hospital",
                        "pilot project"),
    "clinical insight": ("clinical insight", "clinical insights", "clinician input", "clinical input",
                         "clinical advice", "clinical feedback", "clinician feedback", "medical expertise",
                         "clinical expertise", "key opinion leader", "kol", "clinician", "clinicians",
                         "clinical champion", "unmet clinical needs", "clinical needs"),
    "patient involvement": ("patient involvement", "patient recruitment", "patients", "patient panel",
                            "patient feedback", "patient engagement", "patient access", "user testing",
                            "patient organisation", "patient organization", "patient advocacy"),
    "data access": ("data access", "health data", "access to data", "dataset", "data sharing", "real-world data",
                    "rwd", "patient data", "clinical data", "medical data", "data", "data partnership", "health records"),
    # regulation
    "regulatory advice": ("regulatory advice", "regulatory support", "regulatory guidance", "regulatory consulting",
                          "regulatory affairs", "regulatory strategy", "mdr advice", "regulatory navigation",
                          "regulatory pathway", "regulatory", "regulation", "regulatory expertise",
                          "regulatory consultancy", "fda advice", "regulatory approval", "regulatory sandbox"),
    "certification": ("notified body", "conformity assessment", "ce marking", "ce mark", "certification",
                      "mdr certification", "ivdr certification", "iso 13485", "iso 13485 certification",
                      "quality management system", "qms audit"),
    "reimbursement": ("reimbursement", "reimbursement advice", "payer", "payers", "pricing and reimbursement",
                      "health technology assessment", "hta", "coverage", "payer access"),
    "market access": ("market access", "access to market", "go-to-market", "go to market", "market entry",
                      "procurement", "hospital procurement", "first customers", "customers", "early adopters",
                      "commercialisation", "commercialization", "sales"),
    "distribution": ("distribution", "distributor", "distribution partner", "distribution channel",
                     "sales channel", "reseller", "commercial partner", "logistics"),
    "international markets": ("international markets", "international market", "internationalisation",
                              "internationalization", "international expansion", "foreign markets", "export",
                              "exports", "expansion abroad", "cross-border expansion", "soft landing",
                              "market entry abroad", "global markets", "new markets"),
    # support
    "mentorship": ("mentorship", "mentoring", "mentor", "coaching", "business coaching", "advice for founders",
                   "incubation", "acceleration", "acceleration programme", "accelerator programme",
                   "incubator programme", "accelerator program", "incubation program", "business advice",
                   "business support", "guidance"),
    "office space": ("office space", "office", "coworking", "co-working", "co-working space", "desk space",
                     "premises", "workspace", "incubator space"),
    "lab space": ("lab space", "laboratory", "laboratory space", "lab", "wet lab", "lab facilities",
                  "laboratory facilities", "research facilities"),
    "talent": ("talent", "hiring", "recruitment", "recruiting", "skilled staff", "engineers", "graduates",
               "talent pipeline", "staff", "workforce", "developers", "data scientists", "team members"),
    "training": ("training", "education", "courses", "upskilling", "skills training", "workshops"),
    "research": ("research", "research collaboration", "r and d", "research and development", "research partner",
                 "academic partner", "research expertise", "scientific collaboration", "scientific advice",
                 "academic collaboration", "research partnership"),
    "intellectual property": ("intellectual property", "ip", "ip advice", "patent", "patents", "patent advice",
                              "technology transfer", "tech transfer", "licensing", "ip protection"),
    "legal advice": ("legal advice", "legal support", "lawyer", "contracts", "legal", "gdpr advice",
                     "data protection advice", "privacy advice"),
    "manufacturing": ("manufacturing", "production", "contract manufacturing", "cmo", "manufacturing partner",
                      "scale-up manufacturing", "supply chain", "suppliers", "supply"),
    "prototyping": ("prototyping", "prototype development", "engineering", "product development", "design",
                    "hardware development", "mvp development"),
    "industry partnership": ("industry partnership", "industry partner", "corporate partner", "corporate partners",
                             "industrial partner", "co-development", "strategic partner", "corporate partnership",
                             "pharma partner", "medtech partner", "corporate venturing"),
    "networking": ("networking", "network", "introductions", "connections", "community", "ecosystem access",
                   "visibility", "events", "matchmaking"),
    # what startups make (offers of solutions)
    "digital tools": ("digital tools", "digital tool", "digital health", "digital health tools", "digital solutions",
                      "software", "health software", "apps", "health apps", "digitalisation",
                      "digitalization", "digital transformation", "it solutions", "health it"),
    "telemedicine": ("telemedicine", "telehealth", "remote monitoring", "remote patient monitoring", "virtual care",
                     "teleconsultation", "remote care"),
    "ai software": ("ai software", "ai", "artificial intelligence", "machine learning", "ai tools", "ai algorithms",
                    "ai solutions", "deep learning", "predictive analytics"),
    "digital therapeutics": ("digital therapeutic", "digital therapeutics", "dtx", "prescription apps",
                             "prescription digital therapeutics"),
    "workflow software": ("workflow software", "workflow tools", "workflow", "hospital workflow", "clinical workflow",
                          "scheduling software", "ehr integration", "workflow automation", "hospital software"),
    "medical devices": ("medical device", "medical devices", "medtech", "device", "devices", "wearables",
                        "wearable", "implants"),
    "diagnostics": ("diagnostic", "diagnostics", "diagnostic tests", "in vitro diagnostics", "ivd",
                    "point-of-care testing", "imaging", "diagnostic imaging"),
    "biotech": ("biotech", "biotechnology", "biologics", "drug discovery", "therapeutics", "pharma", "drugs"),
}

#: A term's broader term: a need for the narrow one is met by an offer of the broad one and the other way round
#: (an investor offering funding funds seed rounds; a hospital offering clinical validation is a hospital partner).
BROADER: dict[str, str] = {
    "pre-seed funding": "funding", "seed funding": "funding", "series a funding": "funding",
    "growth funding": "funding", "foreign clinical sites": "clinical validation",
    "clinical pilots": "clinical validation", "reimbursement": "market access",
    "telemedicine": "digital tools", "ai software": "digital tools", "digital therapeutics": "digital tools",
    "workflow software": "digital tools",
}

_KEEP = frozenset(["series", "species", "news", "means", "sales", "analytics", "logistics", "diagnostics",
                   "therapeutics", "biologics", "wearables", "implants", "us", "gas", "ethics", "physics"])
_SPLIT = re.compile(r"[^a-z0-9]+")


def _singular(word: str) -> str:
    if len(word) <= 3 or word in _KEEP or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def normalise(text: str) -> str:
    """A phrase as the matcher compares it: lower-case, accents folded, punctuation to spaces, words singular.

    >>> normalise("  Séries-A Investors! ")
    'series a investor'
    >>> normalise("Hospital partners & clinical studies")
    'hospital partner and clinical study'
    """
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(_singular(w) for w in _SPLIT.split(folded.replace("&", " and ")) if w)


#: Normalised synonym → its term.
_SYNONYMS: dict[str, str] = {}
for _term, _words in VOCABULARY.items():
    for _phrase in (_term, *_words):
        _SYNONYMS.setdefault(normalise(_phrase), _term)
_LONGEST = max(len(k.split()) for k in _SYNONYMS)
_SYNONYM_KEYS = sorted(_SYNONYMS)
_RELATED: dict[str, frozenset[str]] = {
    t: frozenset({t, *([BROADER[t]] if t in BROADER else []), *(n for n, b in BROADER.items() if b == t)})
    for t in VOCABULARY}
_TERM_INDEX = {t: i for i, t in enumerate(VOCABULARY)}
_RELATED_MATRIX = np.array([[o in _RELATED[t] for o in VOCABULARY] for t in VOCABULARY], dtype=bool)


#: Words that open a phrase without saying what is needed ("access to seed funding", "looking for investors").
_FILLERS = tuple(tuple(normalise(f).split()) for f in (
    "access to", "need for", "need of", "needs", "need", "we need", "looking for", "seeking", "searching for",
    "lack of", "help with", "more", "new", "some", "our", "a", "an", "the", "any", "further", "additional"))
#: Words after which a phrase only qualifies its need ("seed funding for cardiology", "hiring in Catalonia").
_QUALIFIERS = frozenset(["for", "in", "at", "with", "from", "across", "within", "on", "by", "to", "among", "near"])


def _head(key: str) -> str:
    """What a normalised phrase asks for: its opening fillers and its qualifying tail dropped."""
    words = key.split()
    stripped = True
    while stripped and len(words) > 1:
        stripped = False
        for f in sorted(_FILLERS, key=len, reverse=True):
            if tuple(words[:len(f)]) == f and len(words) > len(f):
                words, stripped = words[len(f):], True
                break
    for i, w in enumerate(words[1:], 1):
        if w in _QUALIFIERS:
            return " ".join(words[:i])
    return " ".join(words)


def _typo_term(key: str) -> str | None:
    """The term of the one synonym within a typo (two from ten letters on) of ``key``, if only one term is."""
    if len(key) < 5:
        return None
    limit = 1 if len(key) < 10 else 2
    hits = process.extract(key, _SYNONYM_KEYS, scorer=OSA.distance, score_cutoff=limit, limit=8)
    if not hits:
        return None
    nearest = min(d for _, d, _ in hits)
    terms = {_SYNONYMS[k] for k, d, _ in hits if d == nearest}
    return terms.pop() if len(terms) == 1 else None


def _canonical_key(key: str, fuzzy: bool = True) -> str | None:
    """The term of a normalised phrase: the phrase itself; else what it asks for (:func:`_head`) if that is a
    synonym; else the one term whose synonyms cover more than half of it (a narrower term winning over its
    broader one); else a synonym within a typo of it."""
    if not key:
        return None
    if key in _SYNONYMS:
        return _SYNONYMS[key]
    head = _head(key)
    if head in _SYNONYMS:
        return _SYNONYMS[head]
    words = head.split()
    spans: list[tuple[int, int, str]] = []
    for size in range(min(_LONGEST, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            term = _SYNONYMS.get(" ".join(words[start:start + size]))
            if term and not any(s < start + size and start < e for s, e, _ in spans):
                spans.append((start, start + size, term))
    found = {t for _, _, t in spans}
    narrow = {t for t in found if not any(BROADER.get(o) == t for o in found)}
    if len(narrow) == 1 and 2 * sum(e - s for s, e, _ in spans) > len(words):
        return next(iter(narrow))
    if not found and fuzzy:
        return _typo_term(head)
    return None


def canonical(text: str) -> str | None:
    """The vocabulary term a need or offer states, by its synonyms, else ``None``.

    Case, accents, punctuation and plurals do not matter; openings ("access to", "looking for") and qualifying
    tails ("… for cardiology", "… in Spain") are set aside; a phrase more than half of whose words name one term names it;
    a phrase within a typo of a synonym (two typos from ten letters on) names its term.

    Examples
    --------
    >>> canonical("Investors"), canonical("Pre-seed funding"), canonical("hospital partners")
    ('funding', 'pre-seed funding', 'clinical validation')
    >>> canonical("access to seed funding for our cardiology startup"), canonical("clinical validaton")
    ('seed funding', 'clinical validation')
    >>> canonical("INVESTURS"), canonical("clinical trials funding") is None, canonical("a spaceship") is None
    ('funding', True, True)
    """
    return _canonical_key(normalise(text))


def in_words(status: str, score: float, offer: str | None) -> str:
    """How a need was met, as a results table says it.

    >>> in_words("matched", 1.0, "funding"), in_words("weak", 0.4213, "clinical validation")
    ('matched: funding', 'weak (0.42): resembles clinical validation')
    >>> in_words("none", 0.1, None)
    'no provider anywhere'
    """
    if status == "matched":
        return f"matched: {offer}"
    if status == "weak":
        return f"weak ({score:.2f}): resembles {offer}"
    return "no provider anywhere"


class NeedMatch(NamedTuple):
    """One need and the offer that best meets it."""

    need: str
    term: str | None
    offer: str | None
    score: float
    status: str


def _grams(key: str) -> list[str]:
    """Character trigrams of each word, padded with a space each side (scikit-learn's ``char_wb``)."""
    out = []
    for word in key.split():
        padded = f" {word} "
        out.extend(padded[i:i + 3] for i in range(len(padded) - 2))
    return out


class NeedMatcher:
    """Match stated needs to what others offer.

    A need is **matched** by an offer of its vocabulary term, or of the term's broader or narrower one (score 1),
    or by an offer whose character-trigram TF-IDF cosine with it reaches ``strong``; **weak** when the best offer
    only reaches ``weak`` (the score and the offer it resembles are given); **none** below that: no provider
    anywhere. Two phrases the vocabulary knows as different things ("series A funding", "seed funding") are never
    matched on resemblance alone: at most weak. Trigram weights are those of :class:`ecotone.match.text.Tfidf`
    (sublinear tf, smoothed idf over the distinct offers, rows of unit length); a need's trigrams no offer has
    count in its length with the rarest weight, so extra words lower the cosine.

    ``match`` compares distinct phrases only, and in chunks of sparse matrix products, so 100,000 needs against
    100,000 offers take seconds. ``pair`` is the same definition for one pair, in plain Python.

    Examples
    --------
    >>> m = NeedMatcher().fit(["Funding", "clinical validation", "clinical validation", "office space"])
    >>> m.match(["seed funding", "Hospital partners", "clinical insight", "deal flow"]).to_dict("records")[1:3]
    [{'need': 'Hospital partners', 'term': 'clinical validation', 'offer': 'clinical validation', 'score': 1.0, 'status': 'matched'}, {'need': 'clinical insight', 'term': 'clinical insight', 'offer': 'clinical validation', 'score': 0.403, 'status': 'weak'}]
    >>> m.match(["seed funding", "deal flow"])[["offer", "status"]].values.tolist()
    [['Funding', 'matched'], [None, 'none']]
    """

    def __init__(self, *, strong: float = 0.6, weak: float = 0.3, chunk_cells: int = 4_000_000) -> None:
        if not 0 < weak <= strong <= 1:
            raise ValueError(f"thresholds must satisfy 0 < weak ≤ strong ≤ 1, not weak={weak}, strong={strong}")
        if chunk_cells < 1:
            raise ValueError("chunk_cells must be at least 1")
        self.strong, self.weak, self.chunk_cells = strong, weak, chunk_cells
        self._cache: dict[str, dict[int, float]] = {}

    # -- fit ------------------------------------------------------------------------------------------------------
    def fit(self, offers: Iterable[str]) -> NeedMatcher:
        """Take what is offered (repeats welcome: the most frequent wording of a phrase stands for it)."""
        raw = Counter(str(o) for o in offers if o is not None and str(o).strip())
        forms: dict[str, Counter] = {}
        for text, n in raw.items():
            forms.setdefault(normalise(text), Counter())[text] += n
        forms.pop("", None)
        self.keys_ = sorted(forms)
        self.offers_ = [min(forms[k].items(), key=lambda kv: (-kv[1], kv[0]))[0] for k in self.keys_]
        self.counts_ = np.array([sum(forms[k].values()) for k in self.keys_], dtype=np.int64)
        self.terms_ = [_canonical_key(k) for k in self.keys_]
        # the offer standing for each term a need may name: its own term's most stated, else a related one's
        best: dict[str, int] = {}
        for i, t in enumerate(self.terms_):
            if t is not None and (t not in best or self.counts_[i] > self.counts_[best[t]]):
                best[t] = i
        self._by_term: dict[str, int] = {}
        for t in VOCABULARY:
            if t in best:
                self._by_term[t] = best[t]
                continue
            near = [best[r] for r in _RELATED[t] if r in best]
            if near:
                self._by_term[t] = min(near, key=lambda i: (-self.counts_[i], self.keys_[i]))
        self._termed = np.array([t is not None for t in self.terms_], dtype=bool)
        vocabulary: dict[str, int] = {}
        df: list[int] = []
        for key in self.keys_:
            for g in set(_grams(key)):
                at = vocabulary.setdefault(g, len(vocabulary))
                if at == len(df):
                    df.append(0)
                df[at] += 1
        n = len(self.keys_)
        self.vocabulary_ = vocabulary
        self.idf_ = np.log((1 + n) / (1 + np.asarray(df, dtype=float))) + 1.0
        self._unseen_idf = math.log(1 + n) + 1.0
        self._x = self._transform(self.keys_)
        self._cache = {}
        return self

    def _transform(self, keys: Sequence[str]) -> sp.csr_matrix:
        """Unit-length trigram TF-IDF rows over the offers' trigrams (unseen trigrams count in the length)."""
        vocabulary, idf, unseen = self.vocabulary_, self.idf_, self._unseen_idf
        indptr = [0]
        indices: list[int] = []
        counts: list[int] = []
        extra = np.zeros(len(keys))
        for r, key in enumerate(keys):
            seen: dict[int, int] = {}
            missing: dict[str, int] = {}
            for g in _grams(key):
                at = vocabulary.get(g)
                if at is None:
                    missing[g] = missing.get(g, 0) + 1
                else:
                    seen[at] = seen.get(at, 0) + 1
            indices.extend(seen)
            counts.extend(seen.values())
            indptr.append(len(indices))
            if missing:
                extra[r] = sum((unseen * (1.0 + math.log(c))) ** 2 for c in missing.values())
        x = sp.csr_matrix((np.asarray(counts, dtype=float), np.asarray(indices, dtype=np.int64),
                           np.asarray(indptr, dtype=np.int64)), shape=(len(keys), len(vocabulary)))
        x.data = (1.0 + np.log(x.data)) * idf[x.indices]
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel() + extra)
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ x)

    # -- match ----------------------------------------------------------------------------------------------------
    def match(self, needs: Iterable[str]) -> pd.DataFrame:
        """One row per need, in the order given: need, term, offer, score, status (matched, weak or none).

        ``term`` is the need's vocabulary term, or, for a need the vocabulary does not know that an offer
        matches by resemblance, the offer's; ``score`` is 1 for a match by term, else the best cosine found.
        """
        self._fitted()
        needs = ["" if v is None else str(v) for v in needs]
        columns = ["need", "term", "offer", "score", "status"]
        if not len(needs):
            return pd.DataFrame(columns=columns)
        codes, written = pd.factorize(pd.Series(needs, dtype=object))  # real data repeats: each wording once
        keys = np.array([normalise(v) for v in written], dtype=object)
        uniq, at = np.unique(keys, return_inverse=True)
        inverse = at[codes]
        m = len(uniq)
        terms = [_canonical_key(k) for k in uniq]
        offer = np.full(m, -1, dtype=np.int64)
        score = np.zeros(m)
        status = np.full(m, 2, dtype=np.int8)  # index into STATUSES
        rest = []
        for i, t in enumerate(terms):
            hit = self._by_term.get(t) if t is not None else None
            if hit is not None:
                offer[i], score[i], status[i] = hit, 1.0, 0
            elif uniq[i] and len(self.keys_):
                rest.append(i)
        if rest:
            rest = np.asarray(rest)
            x = self._transform(uniq[rest].tolist())
            termed_need = np.array([terms[i] is not None for i in rest], dtype=bool)
            free = ~self._termed  # offers the vocabulary does not know: a known need may match them by resemblance
            step = max(1, self.chunk_cells // max(1, len(self.keys_)))
            xt = self._x.T.tocsc()
            for start in range(0, len(rest), step):
                rows = rest[start:start + step]
                s = (x[start:start + step] @ xt).toarray()
                best = s.argmax(axis=1)
                best_s = s[np.arange(len(rows)), best]
                s[np.ix_(termed_need[start:start + step], ~free)] = -1.0
                ok = s.argmax(axis=1)
                ok_s = s[np.arange(len(rows)), ok]
                strong = ok_s >= self.strong - 1e-12
                weak = ~strong & (best_s >= self.weak - 1e-12)
                offer[rows] = np.where(strong, ok, np.where(weak, best, -1))
                score[rows] = np.where(strong, ok_s, best_s).clip(0.0, 1.0)
                status[rows] = np.where(strong, 0, np.where(weak, 1, 2))
        out_terms = [t if t is not None or o < 0 or st != 0 else self.terms_[o]
                     for t, o, st in zip(terms, offer, status)]
        frame = pd.DataFrame({
            "need": needs,
            "term": pd.Series(out_terms, dtype=object).to_numpy()[inverse],
            "offer": pd.Series([self.offers_[o] if o >= 0 else None for o in offer], dtype=object).to_numpy()[inverse],
            "score": score.round(3)[inverse],
            "status": np.asarray(STATUSES, dtype=object)[status][inverse],
        })
        return frame[columns]

    def grid(self, needs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Every need against every fitted offer (``offers_``, in that order): scores and statuses (indices into
        :data:`STATUSES`), dense — for the few hundred distinct needs and offers of an atlas, not for 100,000.

        >>> m = NeedMatcher().fit(["funding", "clinical validation"])
        >>> scores, status = m.grid(["investors", "clinical validaton"])
        >>> m.offers_, status.tolist()
        (['clinical validation', 'funding'], [[2, 0], [0, 2]])
        """
        self._fitted()
        keys = [normalise("" if v is None else str(v)) for v in needs]
        if not len(keys) or not len(self.keys_):
            return np.zeros((len(keys), len(self.keys_))), np.full((len(keys), len(self.keys_)), 2, np.int8)
        need_terms = np.array([_TERM_INDEX.get(_canonical_key(k), -1) for k in keys])
        offer_terms = np.array([_TERM_INDEX.get(t, -1) for t in self.terms_])
        scores = (self._transform(keys) @ self._x.T).toarray().clip(0.0, 1.0)
        both = (need_terms[:, None] >= 0) & (offer_terms[None, :] >= 0)
        related = both & _RELATED_MATRIX[need_terms[:, None], offer_terms[None, :]]
        scores[related] = 1.0
        strong = related | ((scores >= self.strong - 1e-12) & ~both)
        status = np.where(strong, 0, np.where(scores >= self.weak - 1e-12, 1, 2)).astype(np.int8)
        empty = np.array([not k for k in keys])
        scores[empty], status[empty] = 0.0, 2
        return scores, status

    # -- one pair, in plain Python (the definition match vectorises) ---------------------------------------------
    def _vector(self, key: str) -> dict[int, float]:
        if key in self._cache:
            return self._cache[key]
        seen: Counter = Counter(_grams(key))
        weights: dict[int, float] = {}
        length = 0.0
        for g, c in seen.items():
            at = self.vocabulary_.get(g)
            w = (1.0 + math.log(c)) * (self.idf_[at] if at is not None else self._unseen_idf)
            length += w * w
            if at is not None:
                weights[at] = w
        length = math.sqrt(length) or 1.0
        vector = {k: w / length for k, w in weights.items()}
        self._cache[key] = vector
        return vector

    def pair(self, need: str, offer: str) -> tuple[float, str]:
        """The score and status of one need against one offer.

        >>> m = NeedMatcher().fit(["funding", "clinical validation"])
        >>> m.pair("Investors", "funding"), m.pair("seed funding", "clinical validation")[1]
        ((1.0, 'matched'), 'none')
        """
        self._fitted()
        n, o = normalise(need), normalise(offer)
        tn, to = _canonical_key(n), _canonical_key(o)
        if tn is not None and to is not None and to in _RELATED[tn]:
            return 1.0, "matched"
        if not n or not o:
            return 0.0, "none"
        a, b = self._vector(n), self._vector(o)
        if len(a) > len(b):
            a, b = b, a
        cosine = min(max(sum(w * b.get(k, 0.0) for k, w in a.items()), 0.0), 1.0)
        if cosine >= self.strong - 1e-12 and (tn is None or to is None):
            return cosine, "matched"
        return cosine, ("weak" if cosine >= self.weak - 1e-12 else "none")

    def _fitted(self) -> None:
        if not hasattr(self, "keys_"):
            raise RuntimeError("call fit(offers) before matching needs")

"""Text similarity for matchmaking: TF-IDF vectors of descriptions, needs and offers, compared by cosine."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["STOP_WORDS", "Tfidf", "tokens"]

#: Words too common to say anything about what an actor does.
STOP_WORDS = frozenset(["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into", "is", "it", "its", "of", "on", "or", "our", "that", "the", "their", "this", "to", "we", "with", "who", "which", "will", "within", "without", "not", "no", "more", "most", "other", "than", "through", "over", "under", "via", "per", "your", "you", "they", "them", "also"])
_WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)


def tokens(text: str) -> list[str]:
    """The words of a text, lower-cased, without stop words.

    >>> tokens("Clinical validation of AI software for the ICU")
    ['clinical', 'validation', 'ai', 'software', 'icu']
    """
    return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]


class Tfidf:
    """TF-IDF vectors with sublinear term frequency and smoothed inverse document frequency, each row of unit
    length, so the dot product of two rows is their cosine similarity (the weighting of scikit-learn's
    ``TfidfVectorizer(sublinear_tf=True)``).

    Examples
    --------
    >>> tf = Tfidf().fit(["cardiology devices", "oncology drugs", "cardiology software"])
    >>> cosine = tf.transform(["cardiology", "drugs"]) @ tf.transform(["cardiology devices"]).T
    >>> cosine.toarray().round(3).ravel().tolist()
    [0.605, 0.0]
    """

    def __init__(self) -> None:
        self.vocabulary_: dict[str, int] = {}
        self.idf_: np.ndarray = np.zeros(0)

    def fit(self, documents: Iterable[str]) -> Tfidf:
        """Learn the vocabulary and each word's inverse document frequency."""
        vocabulary: dict[str, int] = {}
        df: list[int] = []
        n = 0
        copies: dict[str, int] = {}  # each distinct text read once (profiles repeat offers, needs, areas)
        for doc in documents:
            n += 1
            copies[doc] = copies.get(doc, 0) + 1
        for doc, count in copies.items():
            for word in dict.fromkeys(tokens(doc)):  # first-seen order: the vocabulary's order is the same
                at = vocabulary.setdefault(word, len(vocabulary))
                if at == len(df):
                    df.append(0)
                df[at] += count
        self.vocabulary_ = vocabulary
        self.idf_ = np.log((1 + n) / (1 + np.asarray(df, dtype=float))) + 1.0
        return self

    def transform(self, documents: Sequence[str]) -> sp.csr_matrix:
        """Unit-length TF-IDF rows of the documents (words unseen at fit time are ignored); each distinct text is
        weighted once and its row repeated."""
        which, distinct = pd.factorize(pd.Series(list(documents), dtype=object))
        if len(distinct) < len(documents) and (which >= 0).all():
            return self._transform(list(distinct))[which]
        return self._transform(documents)

    def _transform(self, documents: Sequence[str]) -> sp.csr_matrix:
        indptr = [0]
        indices: list[int] = []
        counts: list[float] = []
        vocabulary = self.vocabulary_
        for doc in documents:
            seen: dict[int, int] = {}
            for word in tokens(doc):
                at = vocabulary.get(word)
                if at is not None:
                    seen[at] = seen.get(at, 0) + 1
            indices.extend(seen)
            counts.extend(seen.values())
            indptr.append(len(indices))
        x = sp.csr_matrix((np.asarray(counts, dtype=float), np.asarray(indices, dtype=np.int64),
                           np.asarray(indptr, dtype=np.int64)), shape=(len(documents), len(vocabulary)))
        x.data = (1.0 + np.log(x.data)) * self.idf_[x.indices]
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ x)

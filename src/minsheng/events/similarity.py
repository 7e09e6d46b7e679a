"""Term vectors of items and events: keyword weights, cosine similarity and agreement of places."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

# An item's keywords arrive ranked best first (TF-IDF against the deployment's background); their scores are
# not stored, so the rank stands in for them: the first keyword weighs 1.0, the tenth 0.55.
RANK_DECAY = 0.05
KEYWORDS_PER_ITEM = 10
PRIOR_DOCUMENTS = 50
# A region code naming a county, district or anything inside one; shorter prefixes name the whole city.
SPECIFIC_PREFIX = 6

Vector = dict[str, float]


class TermStats:
    """Document frequencies of keywords over the window's posts, counted once per near-duplicate group.

    Words many unrelated posts share (问题, 小区, 反映) get a low weight; words that mark one story
    (停水, 幸福小区) a high one. Counting each group once keeps a much-copied post from making its own
    words common.
    """

    def __init__(self) -> None:
        self.documents = 0
        self.df: Counter[str] = Counter()

    def add(self, terms: Iterable[str]) -> None:
        self.documents += 1
        self.df.update(set(terms))

    def remove(self, terms: Iterable[str]) -> None:
        self.documents = max(0, self.documents - 1)
        for term in set(terms):
            left = self.df[term] - 1
            if left > 0:
                self.df[term] = left
            else:
                self.df.pop(term, None)

    def idf(self, term: str) -> float:
        """Return the smoothed inverse document frequency of a term in the window.

        `PRIOR_DOCUMENTS` unseen documents are added to the count, so that while the window holds only a few
        posts (after a restart, in a quiet night) the words they share are not taken for common words.
        """
        return math.log((self.documents + PRIOR_DOCUMENTS) / (self.df.get(term, 0) + 1)) + 1.0


def item_vector(keywords: Iterable[str], stats: TermStats) -> Vector:
    """Weigh an item's ranked keywords by rank and window IDF, scaled to unit length."""
    vector: Vector = {}
    for rank, term in enumerate(list(keywords)[:KEYWORDS_PER_ITEM]):
        if term and term not in vector:
            vector[term] = (1.0 - RANK_DECAY * rank) * stats.idf(term)
    return unit(vector)


def norm(vector: Mapping[str, float]) -> float:
    return math.sqrt(sum(weight * weight for weight in vector.values()))


def unit(vector: Vector) -> Vector:
    length = norm(vector)
    return {term: weight / length for term, weight in vector.items()} if length else {}


def cosine(vector: Mapping[str, float], centroid: Mapping[str, float], centroid_norm: float) -> float:
    """Cosine of a unit vector and a centroid whose length is given."""
    if not centroid_norm:
        return 0.0
    if len(vector) > len(centroid):
        vector, centroid = centroid, vector
    return sum(weight * centroid.get(term, 0.0) for term, weight in vector.items()) / centroid_norm


def add_to_centroid(
    centroid: Mapping[str, float], vector: Mapping[str, float], *, limit: int | None = None
) -> Vector:
    """Return the centroid plus one item's vector, keeping only the `limit` heaviest terms when given."""
    merged = dict(centroid)
    for term, weight in vector.items():
        merged[term] = merged.get(term, 0.0) + weight
    return top_terms(merged, limit) if limit is not None else merged


def top_terms(centroid: Mapping[str, float], limit: int) -> Vector:
    """Keep the heaviest terms, rounded so the stored JSON stays small."""
    kept = sorted(centroid.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]
    return {term: round(weight, 4) for term, weight in kept}


def _prefix(code: str) -> str:
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def place_agreement(first: str | None, second: str | None) -> int:
    """Compare two region codes: 1 if both name the same county-level area or one lies in the other, -1 if
    they name different ones, 0 when either is unknown or names only the city or province."""
    if not first or not second:
        return 0
    a, b = _prefix(first), _prefix(second)
    if len(a) < SPECIFIC_PREFIX or len(b) < SPECIFIC_PREFIX:
        return 0
    return 1 if a.startswith(b) or b.startswith(a) else -1

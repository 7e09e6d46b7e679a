"""Keywords by TF-IDF against the deployment's own texts, and key phrases by TextRank."""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from minsheng.core.errors import ValidationFailed
from minsheng.text.normalize import normalize_for_analysis
from minsheng.text.segment import Segmenter, is_wordlike

__all__ = ["BackgroundModel", "key_phrases", "keywords"]

_FORMAT = "minsheng.text.background/1"
# Single characters and bare numbers are rarely what a reader means by a keyword, even when rare.
_SHORT_WEIGHT = 0.3
_WINDOW = 5
_DAMPING = 0.85


def _weight(word: str) -> float:
    if len(word) == 1 or word.replace(".", "").isdigit():
        return _SHORT_WEIGHT
    return 1.0


class BackgroundModel:
    """Document frequencies of words in the deployment's own texts, the 'how common is this here' baseline."""

    def __init__(self, *, documents: int = 0, df: dict[str, int] | None = None) -> None:
        self.documents = documents
        self.df: dict[str, int] = dict(df or {})
        self._segmenter: Segmenter | None = None

    @classmethod
    def fit(cls, texts: Iterable[str], segmenter: Segmenter) -> BackgroundModel:
        """Learn document frequencies from `texts`."""
        model = cls()
        model._segmenter = segmenter
        model.update(texts)
        return model

    def update(self, texts: Iterable[str], segmenter: Segmenter | None = None) -> None:
        """Add `texts` to the counts, with the segmenter given here or the one the model was fitted with."""
        segmenter = segmenter or self._segmenter
        if segmenter is None:
            raise ValueError("BackgroundModel.update needs a segmenter")
        self._segmenter = segmenter
        df = self.df
        for text in texts:
            self.documents += 1
            for word in set(segmenter.words(normalize_for_analysis(text))):
                df[word] = df.get(word, 0) + 1

    def idf(self, word: str) -> float:
        """Return the smoothed inverse document frequency; unseen words count as rare."""
        if self.documents == 0:
            return 1.0
        return math.log((self.documents + 1) / (self.df.get(word, 0) + 1)) + 1.0

    def prune(self, *, min_df: int = 2) -> None:
        """Forget words seen in fewer than `min_df` documents, to bound the model's size."""
        self.df = {word: n for word, n in self.df.items() if n >= min_df}

    def to_json(self) -> str:
        """Serialise to JSON."""
        return json.dumps(
            {"format": _FORMAT, "documents": self.documents, "df": self.df},
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, data: str) -> BackgroundModel:
        """Rebuild a model from `to_json` output."""
        try:
            raw = json.loads(data)
            if raw.get("format") != _FORMAT:
                raise ValueError(raw.get("format"))
            df = {str(word): int(n) for word, n in raw["df"].items()}
            return cls(documents=int(raw["documents"]), df=df)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ValidationFailed("关键词背景模型文件格式不正确") from exc

    def save(self, path: str | Path) -> None:
        """Write the model to `path` as JSON, replacing any previous file atomically."""
        path = Path(path)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(self.to_json(), encoding="utf-8")
        os.replace(partial, path)

    @classmethod
    def load(cls, path: str | Path, segmenter: Segmenter | None = None) -> BackgroundModel:
        """Read a model written by `save`."""
        model = cls.from_json(Path(path).read_text(encoding="utf-8"))
        model._segmenter = segmenter
        return model


def keywords(
    text: str,
    *,
    model: BackgroundModel | None = None,
    segmenter: Segmenter,
    top_k: int = 10,
    words: list[str] | None = None,
) -> list[tuple[str, float]]:
    """Rank the words of `text` by TF-IDF against `model`, best first (pass `words` if already cut)."""
    words = segmenter.words(normalize_for_analysis(text)) if words is None else words
    if not words:
        return []
    model = model or BackgroundModel()
    counts = Counter(words)
    total = len(words)
    first = {}
    for position, word in enumerate(words):
        first.setdefault(word, position)
    scored = [(word, n / total * model.idf(word) * _weight(word)) for word, n in counts.items()]
    scored.sort(key=lambda pair: (-pair[1], first[pair[0]]))
    return [(word, round(score, 6)) for word, score in scored[:top_k]]


_DENSE_LIMIT = 400


def _textrank(sequence: list[int], size: int) -> np.ndarray:
    """Score vertices by PageRank over co-occurrence within a sliding window."""
    seq = np.asarray(sequence, dtype=np.int64)
    pairs = [(seq[:-k], seq[k:]) for k in range(1, min(_WINDOW, len(seq)))]
    rows = np.concatenate([np.concatenate([a, b]) for a, b in pairs]) if pairs else seq[:0]
    cols = np.concatenate([np.concatenate([b, a]) for a, b in pairs]) if pairs else seq[:0]
    distinct = rows != cols
    if size <= _DENSE_LIMIT:
        return _textrank_dense(rows[distinct], cols[distinct], size)
    # A sparse matrix keeps a long text with tens of thousands of distinct words cheap.
    weights = sparse.csr_matrix(
        (np.ones(int(distinct.sum())), (rows[distinct], cols[distinct])), shape=(size, size)
    )
    out = np.asarray(weights.sum(axis=1)).ravel()
    out[out == 0] = 1.0
    return _power_iterate((sparse.diags(1.0 / out) @ weights).T.tocsr(), size)


def _textrank_dense(rows: np.ndarray, cols: np.ndarray, size: int) -> np.ndarray:
    """PageRank with a dense matrix: for the short texts most items are, far cheaper than sparse algebra."""
    weights = np.bincount(rows * size + cols, minlength=size * size).reshape(size, size).astype(float)
    out = weights.sum(axis=1)
    out[out == 0] = 1.0
    return _power_iterate((weights / out[:, None]).T, size)


def _power_iterate(transition_t: Any, size: int, *, rounds: int = 30, tolerance: float = 1e-5) -> np.ndarray:
    """Run PageRank's power iteration on a (dense or sparse) transposed transition matrix."""
    scores = np.full(size, 1.0 / size)
    for _ in range(rounds):
        updated = (1 - _DAMPING) / size + _DAMPING * (transition_t @ scores)
        if np.abs(updated - scores).sum() < tolerance:
            return updated
        scores = updated
    return scores


def key_phrases(
    text: str, *, segmenter: Segmenter, top_k: int = 5, max_words: int = 3, tokens: list[str] | None = None
) -> list[str]:
    """Return the top phrases of `text`: runs of adjacent high-ranking words such as 古楼街道 or 噪音扰民."""
    tokens = segmenter.cut(normalize_for_analysis(text)) if tokens is None else tokens
    stop = segmenter.stopwords
    is_candidate = [t not in stop and is_wordlike(t) and _weight(t) == 1.0 for t in tokens]
    vocabulary: dict[str, int] = {}
    sequence = [
        vocabulary.setdefault(t, len(vocabulary)) for t, ok in zip(tokens, is_candidate, strict=True) if ok
    ]
    if not sequence:
        return []
    scores = _textrank(sequence, len(vocabulary))
    ranked = sorted(vocabulary, key=lambda w: -scores[vocabulary[w]])
    keep = set(ranked[: max(10, len(ranked) // 3)])

    runs: Counter[tuple[str, ...]] = Counter()
    run: list[str] = []
    for token, ok in [*zip(tokens, is_candidate, strict=True), ("", False)]:
        if ok and token in keep and len(run) < max_words:
            run.append(token)
            continue
        if run:
            runs[tuple(run)] += 1
        run = [token] if ok and token in keep else []
    # A phrase that recurs is more likely a real phrase than a chance juxtaposition.
    score = {r: sum(scores[vocabulary[w]] for w in r) * (1 + math.log(n)) for r, n in runs.items()}
    chosen: list[str] = []
    used: set[str] = set()
    for words in sorted(score, key=lambda r: -score[r]):
        # Skipping phrases that reuse a chosen word keeps near-repeats (…工作时间, …工作年限) out.
        if used.isdisjoint(words):
            chosen.append("".join(words))
            used.update(words)
        if len(chosen) == top_k:
            break
    return chosen

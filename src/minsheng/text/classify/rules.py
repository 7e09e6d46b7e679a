"""Authored keyword and lexicon defaults for each task, used until a deployment trains its own model."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import ahocorasick
import numpy as np

from minsheng.text.classify.model import Prediction

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SOURCE = "default-rules"
# Rules look at the opening of very long texts only, so a pasted 10 MB file costs milliseconds, not seconds.
MAX_CHARS = 20000
NEGATION_WINDOW = 3
RUMOR_LABELS = ("rumor", "non-rumor")
HARM_SIGNALS = ("fraud", "gambling", "pornography", "drugs", "weapons", "terrorism", "leaked_personal_data")
_ID_CARD = r"(?<!\d)[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)"
_PII = re.compile(rf"(?P<id_card>{_ID_CARD})|(?P<mobile>(?<!\d)1[3-9]\d{{9}}(?!\d))")
_PII_WEIGHTS = {"id_card": 0.7, "mobile": 0.25}


def read_lexicon(name: str) -> dict[str, list[tuple[str, float]]]:
    """Parse an authored word list: `[section]` headers, then words with an optional `:weight`."""
    sections: dict[str, list[tuple[str, float]]] = {}
    current: list[tuple[str, float]] | None = None
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]") and " " not in line:
            current = sections.setdefault(line[1:-1], [])
            continue
        if current is None:
            raise ValueError(f"{name}: words before the first [section]")
        for token in line.split():
            word, _, weight = token.rpartition(":") if ":" in token[1:] else (token, "", "1")
            current.append((word.lower(), float(weight)))
    return sections


class Lexicon:
    """An Aho-Corasick automaton over sectioned words, scoring texts by summed weights per section."""

    def __init__(self, sections: dict[str, list[tuple[str, float]]], names: Sequence[str]) -> None:
        self.names = list(names)
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[int, float]]] = {}
        for index, name in enumerate(self.names):
            for word, weight in sections.get(name, []):
                entries.setdefault(word, []).append((index, weight))
        for word, hits in entries.items():
            self._automaton.add_word(word, (len(word), tuple(hits)))
        self._automaton.make_automaton()

    def matches(self, text: str) -> list[tuple[int, int, float]]:
        """Return (start, section index, weight) for the longest non-overlapping matches."""
        found = []
        for end, (length, hits) in self._automaton.iter_long(text):
            found.extend((end - length + 1, index, weight) for index, weight in hits)
        return found

    def scores(self, text: str) -> np.ndarray:
        """Sum the weights of the matches in each section."""
        totals = np.zeros(len(self.names))
        for _, index, weight in self.matches(text):
            totals[index] += weight
        return totals


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _predictions(labels: Sequence[str], proba: np.ndarray, k: int) -> list[Prediction]:
    order = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    names = np.array(labels, dtype=object)[order].tolist()
    top_p = np.take_along_axis(proba, order, axis=1).round(4).tolist()
    return [
        Prediction(label=n[0], probability=p[0], top_k=list(zip(n, p, strict=True)), source=SOURCE)
        for n, p in zip(names, top_p, strict=True)
    ]


def _prepare(texts: Sequence[str]) -> list[str]:
    return [(t or "")[:MAX_CHARS].lower() for t in texts]


class LexiconClassifier:
    """Single-label rules: section scores plus a constant for the fallback label, turned into a softmax."""

    def __init__(self, file: str, labels: Sequence[str], fallback: str | None, base: float, scale: float):
        self.labels = list(labels)
        self._lexicon = Lexicon(read_lexicon(file), [label for label in labels if label != fallback])
        self._fallback = None if fallback is None else self.labels.index(fallback)
        self._base, self._scale = base, scale

    def predict(self, texts: Sequence[str], *, k: int = 3) -> list[Prediction]:
        """Label each text from its keyword hits."""
        z = np.zeros((len(texts), len(self.labels)))
        columns = [i for i in range(len(self.labels)) if i != self._fallback]
        for row, text in enumerate(_prepare(texts)):
            z[row, columns] = self._lexicon.scores(text)
        if self._fallback is not None:
            z[:, self._fallback] = self._base
        return _predictions(self.labels, _softmax(self._scale * z), k)


class SentimentRules:
    """Negative, neutral or positive from an authored lexicon with negation and policy-style damping."""

    labels = ("negative", "neutral", "positive")

    def __init__(self) -> None:
        sections = read_lexicon("classify_sentiment.txt")
        self._lexicon = Lexicon(sections, ["negative", "positive", "policy"])
        self._negation = re.compile("|".join(sorted((w for w, _ in sections["negation"]), key=len)[::-1]))

    def polarity(self, text: str) -> tuple[float, float, float]:
        """Return (negative, positive, policy) weight sums, flipping sentiment words after a negation."""
        negative = positive = policy = 0.0
        for start, index, weight in self._lexicon.matches(text):
            if index == 2:
                policy += weight
                continue
            flipped = bool(self._negation.search(text, max(0, start - NEGATION_WINDOW), start))
            # A negated complaint ("没有污染") is only weakly positive; a negated praise is a real complaint.
            if (index == 0) != flipped:
                negative += weight
            else:
                positive += weight * (0.5 if flipped else 1.0)
        return negative, positive, policy

    def predict(self, texts: Sequence[str], *, k: int = 3) -> list[Prediction]:
        """Label each text negative, neutral or positive."""
        z = np.zeros((len(texts), 3))
        for row, text in enumerate(_prepare(texts)):
            negative, positive, policy = self.polarity(text)
            if policy >= 2 and policy >= negative + positive:
                negative, positive = negative * 0.3, positive * 0.3
            z[row] = (negative, 0.8, positive)
        return _predictions(self.labels, _softmax(1.5 * z), k)


class RumorRules:
    """Rumour-likeness from urgency and hearsay cues, discounted by verification wording."""

    labels = RUMOR_LABELS

    def __init__(self) -> None:
        self._lexicon = Lexicon(read_lexicon("classify_rumor.txt"), ["cue"])

    def predict(self, texts: Sequence[str], *, k: int = 2) -> list[Prediction]:
        """Label each text rumor or non-rumor."""
        score = np.array([self._lexicon.scores(text)[0] for text in _prepare(texts)])
        p = 1.0 / (1.0 + np.exp(-(2.0 * score - 1.5)))
        return _predictions(self.labels, np.stack([p, 1.0 - p], axis=1), k)


class HarmRules:
    """Multi-label illegal-harm signals, each scored 1 - exp(-summed weights)."""

    labels = HARM_SIGNALS
    threshold = 0.5

    def __init__(self) -> None:
        self._lexicon = Lexicon(read_lexicon("classify_harm.txt"), HARM_SIGNALS)
        self._pii = HARM_SIGNALS.index("leaked_personal_data")

    def predict(self, texts: Sequence[str], *, k: int = 7) -> list[Prediction]:
        """Return every signal with its score; `labels` holds those at or above the threshold."""
        results = []
        for text in _prepare(texts):
            totals = self._lexicon.scores(text)
            for match in _PII.finditer(text):
                totals[self._pii] += _PII_WEIGHTS[match.lastgroup or "mobile"]
            scores = [(n, round(1.0 - math.exp(-t), 4)) for n, t in zip(self.labels, totals, strict=True)]
            ranked = sorted((s for s in scores if s[1] > 0), key=lambda s: -s[1])[:k]
            flagged = tuple(name for name, score in ranked if score >= self.threshold)
            top = ranked[0][1] if ranked else 0.0
            results.append(
                Prediction(
                    label=flagged[0] if flagged else "none",
                    probability=top if flagged else round(1.0 - top, 4),
                    top_k=ranked,
                    source=SOURCE,
                    labels=flagged,
                )
            )
        return results


@lru_cache
def default_rules(task: str) -> LexiconClassifier | SentimentRules | RumorRules | HarmRules:
    """Return the authored default classifier of a built-in task."""
    if task == "category":
        labels = [name for name in read_lexicon("classify_category.txt")]
        return LexiconClassifier("classify_category.txt", labels, None, 0.0, 1.2)
    if task == "emotion":
        labels = [*read_lexicon("classify_emotion.txt"), "neutral"]
        return LexiconClassifier("classify_emotion.txt", labels, "neutral", 0.8, 1.5)
    if task == "sentiment":
        return SentimentRules()
    if task == "rumor":
        return RumorRules()
    if task == "harm":
        return HarmRules()
    raise KeyError(task)


DEFAULT_TASKS = ("category", "sentiment", "emotion", "rumor", "harm")

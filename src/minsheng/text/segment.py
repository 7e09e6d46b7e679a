"""Chinese word segmentation around rjieba, with a domain lexicon and per-deployment user words."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from typing import TypeVar

import rjieba

from minsheng.text.normalize import scrub_surrogates

__all__ = ["Segmenter", "default_stopwords", "domain_lexicon", "is_wordlike"]

UserWord = str | tuple[str, str]
_T = TypeVar("_T")
# A token counts as a word when it holds at least one letter, digit or CJK character.
_WORDLIKE_RE = re.compile(r"[^\W_]")


def _data_lines(name: str) -> list[str]:
    text = resources.files("minsheng.text").joinpath("data", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def domain_lexicon() -> tuple[tuple[str, str | None], ...]:
    """Return the built-in government and internet-affairs terms as (word, POS tag or None)."""
    entries = []
    for line in _data_lines("domain_lexicon.txt"):
        word, _, tag = line.partition(" ")
        entries.append((word, tag.strip() or None))
    return tuple(entries)


@lru_cache(maxsize=1)
def default_stopwords() -> frozenset[str]:
    """Return the built-in stop-words: function words and fillers with no topical weight."""
    return frozenset(_data_lines("stopwords.txt"))


def is_wordlike(token: str) -> bool:
    """Tell whether a token holds a letter, digit or CJK character, rather than punctuation or space."""
    return _WORDLIKE_RE.search(token) is not None


class Segmenter:
    """Cut Chinese text into words with its own dictionary, so user words never leak between instances."""

    def __init__(
        self,
        user_words: Iterable[UserWord] = (),
        *,
        use_domain_lexicon: bool = True,
        stopwords: Iterable[str] | None = None,
        hmm: bool = True,
    ) -> None:
        self._jieba = rjieba.Jieba()
        self._hmm = hmm
        self.stopwords: frozenset[str] = default_stopwords() if stopwords is None else frozenset(stopwords)
        if use_domain_lexicon:
            for word, tag in domain_lexicon():
                self._jieba.add_word(word, None, tag)
        self.add_words(user_words)

    def add_words(self, words: Iterable[UserWord]) -> None:
        """Add names (places, departments, people) so they are cut as one word; a tuple carries a POS tag."""
        for entry in words:
            word, tag = (entry, None) if isinstance(entry, str) else entry
            word = word.strip()
            if word and not any(ch.isspace() for ch in word):
                self._jieba.add_word(word, None, tag)

    def has_word(self, word: str) -> bool:
        """Tell whether the dictionary holds `word`."""
        return self._jieba.has_word(word)

    def _call(self, method: Callable[[str, bool], _T], text: str) -> _T:
        try:
            return method(text, self._hmm)
        except UnicodeEncodeError:
            return method(scrub_surrogates(text), self._hmm)

    def cut(self, text: str) -> list[str]:
        """Cut text into words, keeping punctuation and spaces as tokens so the pieces rejoin to the text."""
        return self._call(self._jieba.cut, text) if text else []

    def tag(self, text: str) -> list[tuple[str, str]]:
        """Cut text into (word, POS tag) pairs; words added without a tag have an empty tag."""
        return self._call(self._jieba.tag, text) if text else []

    def search_tokens(self, text: str) -> list[str]:
        """Return lower-cased index terms: words plus their dictionary sub-words, without punctuation."""
        if not text:
            return []
        tokens = self._call(self._jieba.cut_for_search, text)
        return [token.lower() for token in tokens if is_wordlike(token)]

    def words(self, text: str) -> list[str]:
        """Cut text into content words: no punctuation, whitespace or stop-words."""
        stop = self.stopwords
        return [t for t in self.cut(text) if t not in stop and is_wordlike(t)]

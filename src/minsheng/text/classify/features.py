"""Vectorised word and character n-gram TF-IDF features for Chinese text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import compress

import numpy as np
import rjieba
from scipy import sparse

# Classification needs the gist, not a whole attachment; capping keeps a 10 MB paste from exhausting memory.
MAX_CHARS = 4000
_SEP = "\x00"
_SPACE = re.compile(r"\s+")
# Code points fit in 21 bits, so a character trigram packs exactly into one int64 key without hashing.
_BITS = 21


def clean(texts: list[str]) -> list[str]:
    """Lower-case, collapse whitespace, cap the length and drop the separator character."""
    return [_SPACE.sub(" ", (t or "")[:MAX_CHARS].replace(_SEP, " ")).strip().lower() for t in texts]


def char_keys(texts: list[str], orders: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Return (document index, n-gram key) for every character n-gram of the given orders."""
    joined = _SEP.join(texts) + _SEP
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    doc = np.cumsum(codes == 0) - (codes == 0)
    docs, keys = [], []
    for n in orders:
        if len(codes) < n:
            continue
        span = len(codes) - n + 1
        key = codes[:span].copy()
        valid = key != 0
        for offset in range(1, n):
            nxt = codes[offset : offset + span]
            key = (key << _BITS) | nxt
            valid &= nxt != 0
        docs.append(doc[:span][valid])
        keys.append(key[valid])
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(docs), np.concatenate(keys)


def word_tokens(texts: list[str]) -> tuple[np.ndarray, list[str]]:
    """Segment all texts in one call and return (document index, token) for every word token."""
    tokens = rjieba.cut(_SEP.join(texts) + _SEP)
    # Compare in Python: numpy reads the scalar "\x00" as an empty string, so an array comparison never
    # matches and every token would land in the first document.
    is_sep = np.fromiter((t == _SEP for t in tokens), bool, len(tokens))
    doc = np.cumsum(is_sep) - is_sep
    keep = ~is_sep & np.fromiter((t != " " for t in tokens), bool, len(tokens))
    return doc[keep], list(compress(tokens, keep.tolist()))


def _bigram_keys(docs: np.ndarray, ids: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray]:
    ok = (docs[:-1] == docs[1:]) & (ids[:-1] >= 0) & (ids[1:] >= 0)
    return docs[:-1][ok], ids[:-1][ok] * base + ids[1:][ok]


class IntIndex:
    """Map int64 keys to column numbers with a vectorised open-addressing hash table."""

    _MULT = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = np.asarray(keys, np.int64)
        self._build()

    def __getstate__(self) -> dict[str, np.ndarray]:
        return {"keys": self.keys}

    def __setstate__(self, state: dict[str, np.ndarray]) -> None:
        self.keys = state["keys"]
        self._build()

    def __len__(self) -> int:
        return len(self.keys)

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        return ((keys.astype(np.uint64) * self._MULT) >> np.uint64(64 - self._bits)).astype(np.int64)

    def _build(self) -> None:
        # A load factor of at most 1/4 keeps probe chains to a handful of vectorised rounds.
        self._bits = max(4, int(np.ceil(np.log2(max(len(self.keys), 1) * 4))))
        size = 1 << self._bits
        self._table = np.full(size, -1, np.int64)
        self._cols = np.zeros(size, np.int32)
        pending = np.arange(len(self.keys))
        home = self._slots(self.keys)
        probe = 0
        while len(pending):
            slot = (home[pending] + probe) & (size - 1)
            free = self._table[slot] == -1
            slot_free, first = np.unique(slot[free], return_index=True)
            placed = pending[free][first]
            self._table[slot_free] = self.keys[placed]
            self._cols[slot_free] = placed
            pending = np.setdiff1d(pending, placed, assume_unique=True)
            probe += 1
        self._max_probe = probe

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Return the column of each key, or -1 when it is not in the index."""
        out = np.full(len(keys), -1, np.int64)
        home = self._slots(keys)
        active = np.arange(len(keys))
        mask = len(self._table) - 1
        for probe in range(self._max_probe):
            slot = (home[active] + probe) & mask
            stored = self._table[slot]
            found = stored == keys[active]
            out[active[found]] = self._cols[slot[found]]
            active = active[~found & (stored != -1)]
            if not len(active):
                break
        return out


def _tfidf(rows: np.ndarray, cols: np.ndarray, n_docs: int, idf: np.ndarray) -> sparse.csr_matrix:
    # One sort of packed (row, column) keys yields counts already in canonical CSR order.
    packed, counts = np.unique((rows.astype(np.int64) << 32) | cols, return_counts=True)
    row_of, indices = packed >> 32, (packed & 0xFFFFFFFF).astype(np.int32)
    data = (1.0 + np.log(counts)) * idf[indices]
    norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=n_docs))
    data /= np.where(norms > 0, norms, 1.0)[row_of]
    indptr = np.zeros(n_docs + 1, np.int64)
    np.cumsum(np.bincount(row_of, minlength=n_docs), out=indptr[1:])
    return sparse.csr_matrix((data, indices, indptr), shape=(n_docs, len(idf)))


def _idf(doc_freq: np.ndarray, n_docs: int) -> np.ndarray:
    return np.log((1.0 + n_docs) / (1.0 + doc_freq)) + 1.0


@dataclass
class TextFeaturizer:
    """Sublinear TF-IDF over character n-grams and jieba words plus word bigrams, each block L2-normalised."""

    char_orders: tuple[int, ...] = (1, 2, 3)
    min_df: int = 2
    use_words: bool = True
    chars: IntIndex = field(default_factory=lambda: IntIndex(np.zeros(0, np.int64)))
    char_idf: np.ndarray = field(default_factory=lambda: np.zeros(0))
    words: dict[str, int] = field(default_factory=dict)
    bigrams: IntIndex = field(default_factory=lambda: IntIndex(np.zeros(0, np.int64)))
    word_idf: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def config(self) -> dict[str, object]:
        """Describe the feature set for the model metadata."""
        return {
            "char_ngrams": list(self.char_orders),
            "word_ngrams": [1, 2] if self.use_words else [],
            "segmenter": "rjieba",
            "min_df": self.min_df,
            "weighting": "sublinear tf-idf, l2 per block",
            "max_chars": MAX_CHARS,
            "n_features": self.n_features,
        }

    @property
    def n_features(self) -> int:
        return len(self.chars) + len(self.words) + len(self.bigrams)

    def _frequent(self, docs: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vocab, freq = np.unique(np.unique(np.stack([keys, docs]), axis=1)[0], return_counts=True)
        keep = freq >= self.min_df
        return vocab[keep], freq[keep]

    def fit(self, texts: list[str]) -> TextFeaturizer:
        """Learn the vocabularies and inverse document frequencies."""
        texts = clean(texts)
        n = len(texts)
        vocab, freq = self._frequent(*char_keys(texts, self.char_orders))
        self.chars, self.char_idf = IntIndex(vocab), _idf(freq, n)
        if self.use_words:
            docs, tokens = word_tokens(texts)
            names = list(dict.fromkeys(tokens))
            provisional = {t: i for i, t in enumerate(names)}
            ids = np.fromiter(map(provisional.__getitem__, tokens), np.int64, len(tokens))
            word_ids, word_freq = self._frequent(docs, ids)
            self.words = {names[i]: j for j, i in enumerate(word_ids.tolist())}
            renumber = np.full(len(names), -1, np.int64)
            renumber[word_ids] = np.arange(len(word_ids))
            pair_keys, pair_freq = self._frequent(*_bigram_keys(docs, renumber[ids], len(self.words)))
            self.bigrams = IntIndex(pair_keys)
            self.word_idf = _idf(np.concatenate([word_freq, pair_freq]), n)
        return self

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        """Turn texts into the feature matrix."""
        texts = clean(texts)
        n = len(texts)
        docs, keys = char_keys(texts, self.char_orders)
        cols = self.chars.lookup(keys)
        hit = cols >= 0
        blocks = [_tfidf(docs[hit], cols[hit], n, self.char_idf)]
        if self.use_words:
            wdocs, tokens = word_tokens(texts)
            ids = np.fromiter(map(self.words.get, tokens, [-1] * len(tokens)), np.int64, len(tokens))
            pair_docs, pair_keys = _bigram_keys(wdocs, ids, len(self.words))
            pair_cols = self.bigrams.lookup(pair_keys)
            found, pair_found = ids >= 0, pair_cols >= 0
            rows = np.concatenate([wdocs[found], pair_docs[pair_found]])
            cols = np.concatenate([ids[found], pair_cols[pair_found] + len(self.words)])
            blocks.append(_tfidf(rows, cols, n, self.word_idf))
        return sparse.hstack(blocks, format="csr")

    def fit_transform(self, texts: list[str]) -> sparse.csr_matrix:
        """Fit on texts and return their feature matrix."""
        return self.fit(texts).transform(texts)

"""Normalise posts and reduce them to fingerprints (shingle sample plus MinHash) that survive a restart."""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash
from opencc_pyo3 import OpenCC

SHINGLE_SIZE = 3
MAX_SHINGLES = 4096
DEFAULT_NUM_PERM = 128
# The permutations follow from the seed; changing it orphans every stored signature.
MINHASH_SEED = 1

_URL = re.compile(r"(?:https?://|www\.)[!-~]*|t\.cn/[0-9a-z]+")
# Weibo nicknames are at most 30 characters of letters, digits, CJK, "_" and "-".
_MENTION = re.compile(r"(?:回复)?@[\w\-]{1,30}")
_EMOTICON = re.compile(r"\[[^\[\]\s]{1,10}\]")
_BOILERPLATE = re.compile(r"转发微博|repost")
_NON_WORD = re.compile(r"[\W_]+")

_HEADER = struct.Struct("<2sBBHIIQ")
_MAGIC = b"MD"
_VERSION = 1
_BLANK = 1
_U32 = np.dtype("<u4")
_FMIX_SHIFT = np.uint64(33)
_FMIX_M1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX_M2 = np.uint64(0xC4CEB9FE1A85EC53)
# similarities() looks shingles up in a table indexed by their low 16 bits. An empty slot holds a value whose
# low bits differ from its index, so no shingle can match it.
_SLOT_MASK = 0xFFFF
_EMPTY_SLOTS = ((np.arange(_SLOT_MASK + 1, dtype=np.uint32) + 1) & _SLOT_MASK).astype(np.uint32)
# Below this many texts, comparing pair by pair is faster than building the table.
_BATCH_FROM = 32


@lru_cache(maxsize=1)
def _to_simplified() -> OpenCC:
    return OpenCC("t2s")


def normalize(text: str) -> str:
    """Reduce text to the characters that decide whether two posts are copies of each other."""
    text = unicodedata.normalize("NFKC", text)
    text = _to_simplified().convert(text).lower()
    for pattern in (_URL, _MENTION, _EMOTICON, _BOILERPLATE):
        text = pattern.sub(" ", text)
    return _NON_WORD.sub("", text)


def _fmix64(values: np.ndarray) -> np.ndarray:
    values = values ^ (values >> _FMIX_SHIFT)
    values = values * _FMIX_M1
    values = values ^ (values >> _FMIX_SHIFT)
    values = values * _FMIX_M2
    return values ^ (values >> _FMIX_SHIFT)


def shingle_hashes(normalized: str) -> tuple[np.ndarray, int]:
    """Hash the distinct character 3-grams; return the smallest MAX_SHINGLES sorted and the distinct count."""
    codes = np.frombuffer(normalized.encode("utf-32-le"), dtype=_U32).astype(np.uint64)
    if codes.size < SHINGLE_SIZE:
        return np.empty(0, dtype=np.uint32), 0
    # Code points fit in 21 bits, so three of them pack into one 64-bit integer without loss.
    packed = (codes[:-2] << np.uint64(42)) | (codes[1:-1] << np.uint64(21)) | codes[2:]
    hashes = np.sort((_fmix64(packed) >> np.uint64(32)).astype(np.uint32))
    # np.unique is an order of magnitude slower than sorting and masking repeats on large inputs.
    hashes = hashes[np.concatenate(([True], hashes[1:] != hashes[:-1]))]
    # Keeping the smallest hashes makes the stored set a bottom-k sample, so long texts stay comparable.
    return hashes[:MAX_SHINGLES], int(hashes.size)


@dataclass(frozen=True, slots=True, eq=False)
class Fingerprint:
    """What the index needs to know about one text: its shingle sample, MinHash and exact-text hash."""

    is_blank: bool
    exact: int
    count: int
    shingles: np.ndarray
    minhash: np.ndarray

    @property
    def is_sampled(self) -> bool:
        return self.count > self.shingles.size

    def to_bytes(self) -> bytes:
        """Serialise to the stable binary signature format."""
        header = _HEADER.pack(
            _MAGIC,
            _VERSION,
            _BLANK if self.is_blank else 0,
            self.minhash.size,
            self.count,
            self.shingles.size,
            self.exact,
        )
        return header + self.minhash.astype(_U32).tobytes() + self.shingles.astype(_U32).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        """Parse a signature made by to_bytes, rejecting anything malformed."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"signature must be bytes, not {type(data).__name__}")
        data = bytes(data)
        if len(data) < _HEADER.size:
            raise ValueError("signature is truncated")
        magic, version, flags, num_perm, count, stored, exact = _HEADER.unpack_from(data)
        if magic != _MAGIC or version != _VERSION:
            raise ValueError("not a near-duplicate signature of a known version")
        if len(data) != _HEADER.size + 4 * (num_perm + stored) or stored > min(count, MAX_SHINGLES):
            raise ValueError("signature length does not match its header")
        values = np.frombuffer(data, dtype=_U32, offset=_HEADER.size).astype(np.uint32)
        return cls(
            is_blank=bool(flags & _BLANK),
            exact=exact,
            count=count,
            shingles=values[num_perm:],
            minhash=values[:num_perm],
        )


def _identity(value: int) -> int:
    return value


@lru_cache(maxsize=4)
def _empty_minhash(num_perm: int) -> MinHash:
    # MinHash.bulk copies one empty sketch per text but rebuilds it, permutations included, on every call
    # (about 0.2 ms); caching it keeps single-text queries as fast as bulk indexing.
    # Shingle hashes are already uniform 32-bit values and datasketch pre-mixes its input, so no rehash.
    return MinHash(num_perm=num_perm, seed=MINHASH_SEED, hashfunc=_identity)


def fingerprint_many(texts: Sequence[str], num_perm: int = DEFAULT_NUM_PERM) -> list[Fingerprint]:
    """Fingerprint many texts at once, computing the MinHashes in one bulk pass."""
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
    normalized = [normalize(text) for text in texts]
    samples = [shingle_hashes(norm) for norm in normalized]
    minhashes = []
    for shingles, _ in samples:
        minhash = _empty_minhash(num_perm).copy()
        minhash.update_batch(shingles.tolist())
        minhashes.append(minhash)
    return [
        Fingerprint(
            is_blank=not norm,
            exact=int.from_bytes(hashlib.blake2b(norm.encode(), digest_size=8).digest(), "little"),
            count=count,
            shingles=shingles,
            minhash=minhash.hashvalues,
        )
        for norm, (shingles, count), minhash in zip(normalized, samples, minhashes, strict=True)
    ]


def signature(text: str, num_perm: int = DEFAULT_NUM_PERM) -> bytes:
    """Compute the bytes to store beside a text so an index can be rebuilt without re-reading it."""
    return fingerprint_many([text], num_perm)[0].to_bytes()


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Compute the Jaccard similarity of two shingle sets, exact unless either was sampled."""
    if not (a.is_sampled or b.is_sampled):
        inter = np.intersect1d(a.shingles, b.shingles, assume_unique=True).size
        union = a.shingles.size + b.shingles.size - inter
        return inter / union if union else 0.0
    # Bottom-k estimator: of the k smallest hashes of the union, the share that lies in both sets.
    k = min(a.shingles.size, b.shingles.size)
    if k == 0:
        return 0.0
    cutoff = np.union1d(a.shingles, b.shingles)[k - 1]
    both = np.intersect1d(a.shingles, b.shingles, assume_unique=True)
    return int(np.count_nonzero(both <= cutoff)) / k


def similarities(a: Fingerprint, others: Sequence[Fingerprint]) -> list[float]:
    """Return [similarity(a, b) for b in others], the same values, faster when others are many."""
    if len(others) < _BATCH_FROM or a.is_sampled or not a.shingles.size:
        return [similarity(a, b) for b in others]
    scores = [0.0] * len(others)
    exact: list[int] = []
    sizes: list[int] = []
    for i, b in enumerate(others):
        if b.count > b.shingles.size:
            scores[i] = similarity(a, b)
        else:
            exact.append(i)
            sizes.append(b.shingles.size)
    if not exact:
        return scores
    # One pass over every shingle of every text: a shingle is one of a's if the table holds it at its slot,
    # or if it is among the few of a's that lost their slot to another of a's.
    slots = a.shingles & _SLOT_MASK
    table = _EMPTY_SLOTS.copy()
    table[slots] = a.shingles
    crowded = a.shingles[table[slots] != a.shingles]
    flat = np.concatenate([others[i].shingles for i in exact])
    shared = table[flat & _SLOT_MASK] == flat
    if crowded.size:
        shared |= np.isin(flat, crowded)
    ends = np.cumsum(sizes)
    running = np.concatenate(([0], np.cumsum(shared)))
    counts = (running[ends] - running[ends - sizes]).tolist()
    for i, inter, size in zip(exact, counts, sizes, strict=True):
        union = a.shingles.size + size - inter
        scores[i] = inter / union if union else 0.0
    return scores

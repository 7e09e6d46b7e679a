"""Near-duplicate groups (reposts, copies, light edits) over the window, from the items' stored signatures.

`minsheng.text.dedupe.DuplicateIndex` answers the same question, but keeps about 10 KB per post (datasketch's
band sets and the full shingle sample) and takes 95 µs per query and insert. This index keeps the same banding
(26 bands of 3 rows for a 0.5 threshold, tuned to miss few true pairs) as plain integers in one dict and at
most `SAMPLE` shingles per post for verification: 3.6 KB and 47 µs a post on the Teddy Cup messages, with the
same pairs found.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
from datasketch import MinHashLSH

from minsheng.text.dedupe import MIN_SHINGLES
from minsheng.text.dedupe_signature import DEFAULT_NUM_PERM, Fingerprint, similarity

log = logging.getLogger(__name__)

# Verification compares bottom-k samples of this size: exact for posts of up to 256 distinct 3-grams, an
# unbiased estimate beyond.
SAMPLE = 256
# The false-positive and false-negative weights DuplicateIndex tunes its banding with.
LSH_WEIGHTS = (0.05, 0.95)
_ROW_MIX = np.uint64(0x9E3779B97F4A7C15)
_BAND_MIX = np.uint64(0xC2B2AE3D27D4EB4F)


@lru_cache(maxsize=8)
def banding(threshold: float, num_perm: int = DEFAULT_NUM_PERM) -> tuple[int, int]:
    """Return the (bands, rows) datasketch chooses for the threshold."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


@dataclass(frozen=True, slots=True)
class _Entry:
    fingerprint: Fingerprint
    keys: tuple[int, ...]
    at: datetime


def _band_keys(minhash: np.ndarray, bands: int, rows: int) -> tuple[int, ...]:
    table = minhash[: bands * rows].astype(np.uint64).reshape(bands, rows)
    keys = np.zeros(bands, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in range(rows):
            keys = keys * _ROW_MIX + table[:, column]
        keys ^= np.arange(1, bands + 1, dtype=np.uint64) * _BAND_MIX
    return tuple(int(key) for key in keys)


class DuplicateGroups:
    """Recent items by id, found by MinHash banding and verified by 3-gram Jaccard, each with its group."""

    def __init__(self, *, threshold: float, window: timedelta) -> None:
        self.threshold = threshold
        self.window = window
        self.bands, self.rows = banding(threshold)
        self._entries: dict[int, _Entry] = {}
        self._buckets: dict[int, int | list[int]] = {}
        self._groups: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._entries

    def group_of(self, item_id: int) -> int | None:
        return self._groups.get(item_id)

    def _parse(self, signature: bytes | None) -> Fingerprint | None:
        if not signature:
            return None
        try:
            found = Fingerprint.from_bytes(signature)
        except ValueError:
            log.warning("ignoring a malformed near-duplicate signature")
            return None
        if found.is_blank or found.minhash.size != DEFAULT_NUM_PERM:
            return None
        return found

    def _keys(self, fingerprint: Fingerprint) -> tuple[int, ...]:
        # Too few 3-grams to trust a Jaccard: only an exact copy of the normalised text counts.
        if fingerprint.count < MIN_SHINGLES:
            return (fingerprint.exact,)
        return _band_keys(fingerprint.minhash, self.bands, self.rows)

    def matches(self, signature: bytes | None, *, at: datetime) -> list[int]:
        """Return the ids of indexed items within the window of `at` whose text the signature's copies."""
        fingerprint = self._parse(signature)
        if fingerprint is None:
            return []
        seen: set[int] = set()
        for key in self._keys(fingerprint):
            bucket = self._buckets.get(key)
            if bucket is None:
                continue
            seen.update(bucket if isinstance(bucket, list) else (bucket,))
        found = []
        short = fingerprint.count < MIN_SHINGLES
        for item_id in seen:
            entry = self._entries[item_id]
            if abs(entry.at - at) > self.window:
                continue
            if short or similarity(fingerprint, entry.fingerprint) >= self.threshold:
                found.append(item_id)
        return found

    def add(self, item_id: int, signature: bytes | None, *, group_id: int | None, at: datetime) -> None:
        """Index an item; its group may be set later with `set_group`."""
        if item_id in self._entries:
            self.forget(item_id)
        if group_id is not None:
            self._groups[item_id] = group_id
        fingerprint = self._parse(signature)
        if fingerprint is None:
            self._entries[item_id] = _Entry(_BLANK, (), at)
            return
        keys = self._keys(fingerprint)
        sample = Fingerprint(
            is_blank=False,
            exact=fingerprint.exact,
            count=fingerprint.count,
            shingles=fingerprint.shingles[:SAMPLE].copy(),
            minhash=_NO_MINHASH,
        )
        self._entries[item_id] = _Entry(sample, keys, at)
        for key in keys:
            bucket = self._buckets.get(key)
            if bucket is None:
                self._buckets[key] = item_id
            elif isinstance(bucket, list):
                bucket.append(item_id)
            else:
                self._buckets[key] = [bucket, item_id]

    def set_group(self, item_id: int, group_id: int) -> None:
        self._groups[item_id] = group_id

    def forget(self, item_id: int) -> None:
        self._groups.pop(item_id, None)
        entry = self._entries.pop(item_id, None)
        if entry is None:
            return
        for key in entry.keys:
            bucket = self._buckets.get(key)
            if bucket == item_id:
                del self._buckets[key]
            elif isinstance(bucket, list):
                if item_id in bucket:
                    bucket.remove(item_id)
                if len(bucket) == 1:
                    self._buckets[key] = bucket[0]


_NO_MINHASH = np.empty(0, dtype=np.uint32)
_BLANK = Fingerprint(is_blank=True, exact=0, count=0, shingles=_NO_MINHASH, minhash=_NO_MINHASH)

"""Find near-duplicate posts (reposts, copies, light edits) with MinHash LSH and exact verification."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from datasketch import MinHash, MinHashLSH

from minsheng.text.dedupe_signature import (
    DEFAULT_NUM_PERM,
    MINHASH_SEED,
    Fingerprint,
    fingerprint_many,
    normalize,
    signature,
    similarities,
    similarity,
)

__all__ = ["MIN_SHINGLES", "DuplicateIndex", "Key", "Match", "normalize", "signature"]

Key = str | int

# Below this many distinct 3-grams a single edited character swings the Jaccard too far to mean anything.
MIN_SHINGLES = 8
# Verification drops false candidates cheaply, so the banding is tuned to miss few true pairs.
_LSH_WEIGHTS = (0.05, 0.95)
_INDEX_MAGIC = b"MSDEDUPE"
_INDEX_VERSION = 1
_INDEX_HEADER = struct.Struct("<8sBI")
_LENGTH = struct.Struct("<I")


class Match(NamedTuple):
    """An indexed text similar to the one asked about."""

    key: Key
    similarity: float


def _check_key(key: object) -> Key:
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise TypeError(f"key must be str or int, not {type(key).__name__}")
    return key


class DuplicateIndex:
    """An in-memory index of texts that finds the ones whose 3-gram Jaccard similarity meets a threshold."""

    def __init__(
        self, threshold: float = 0.5, num_perm: int = DEFAULT_NUM_PERM, *, min_shingles: int = MIN_SHINGLES
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        if not 2 <= num_perm <= 65535:
            raise ValueError(f"num_perm must be in [2, 65535], got {num_perm}")
        if min_shingles < 1:
            raise ValueError(f"min_shingles must be at least 1, got {min_shingles}")
        self.threshold = float(threshold)
        self.num_perm = num_perm
        self.min_shingles = min_shingles
        self._lsh = MinHashLSH(threshold=self.threshold, num_perm=num_perm, weights=_LSH_WEIGHTS)
        self._template = MinHash(num_perm=num_perm, seed=MINHASH_SEED)
        self._docs: dict[Key, Fingerprint] = {}
        self._order: dict[Key, int] = {}
        self._next = 0
        self._short: dict[int, dict[Key, None]] = {}

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, key: object) -> bool:
        return key in self._docs

    def add(self, key: Key, text: str) -> None:
        """Index one text under key, replacing whatever the key held before."""
        self.add_many([(key, text)])

    def add_many(self, items: Iterable[tuple[Key, str]]) -> None:
        """Index many texts at once; faster than add because MinHashes are computed in bulk."""
        pairs = [(_check_key(key), text) for key, text in items]
        fingerprints = fingerprint_many([text for _, text in pairs], self.num_perm)
        for (key, _), fingerprint in zip(pairs, fingerprints, strict=True):
            self._insert(key, fingerprint)

    def add_signature(self, key: Key, data: bytes) -> None:
        """Index a text by the bytes signature() made of it, e.g. when rebuilding from a database column."""
        self._insert(_check_key(key), self._parse(data))

    def add_signatures(self, items: Iterable[tuple[Key, bytes]]) -> None:
        """Index many texts by their stored signatures."""
        for key, data in items:
            self.add_signature(key, data)

    def remove(self, key: Key) -> None:
        """Drop key from the index; raise KeyError if it is not there."""
        fingerprint = self._docs.pop(key)
        del self._order[key]
        if self._is_hashed(fingerprint):
            self._lsh.remove(key)
        elif not fingerprint.is_blank:
            members = self._short[fingerprint.exact]
            del members[key]
            if not members:
                del self._short[fingerprint.exact]

    def query(self, text: str) -> list[Match]:
        """Return the indexed texts at least threshold-similar to text, most similar first."""
        return self._matches(fingerprint_many([text], self.num_perm)[0])

    def query_signature(self, data: bytes) -> list[Match]:
        """Return the indexed texts at least threshold-similar to the text whose signature() is given."""
        return self._matches(self._parse(data))

    def similar_to(self, key: Key) -> list[Match]:
        """Return the other indexed texts at least threshold-similar to the one under key."""
        return self._matches(self._docs[key], exclude=key)

    def pairs(self) -> Iterator[tuple[Key, Key, float]]:
        """Yield every verified pair (earlier key, later key, similarity) once."""
        for key, fingerprint in self._docs.items():
            position = self._order[key]
            for match in self._matches(fingerprint, exclude=key):
                if self._order[match.key] > position:
                    yield key, match.key, match.similarity

    def groups(self) -> list[list[Key]]:
        """Group texts linked by chains of verified pairs; return groups of two or more, oldest first."""
        parent: dict[Key, Key] = {}

        def root(key: Key) -> Key:
            while parent.get(key, key) != key:
                parent[key] = parent.get(parent[key], parent[key])
                key = parent[key]
            return key

        def union(a: Key, b: Key) -> None:
            root_a, root_b = root(a), root(b)
            if root_a != root_b:
                older, newer = sorted((root_a, root_b), key=self._order.__getitem__)
                parent[newer] = older

        for members in self._short.values():
            first, *rest = members
            for key in rest:
                union(first, key)
        for key, fingerprint in self._docs.items():
            if not self._is_hashed(fingerprint):
                continue
            position = self._order[key]
            for candidate in self._lsh.query(self._minhash(fingerprint)):
                # Pairs already joined through a chain need no verification, which spares most of the work.
                if self._order[candidate] <= position or root(key) == root(candidate):
                    continue
                if similarity(fingerprint, self._docs[candidate]) >= self.threshold:
                    union(key, candidate)
        components: dict[Key, list[Key]] = {}
        for key in self._docs:
            components.setdefault(root(key), []).append(key)
        return [members for members in components.values() if len(members) > 1]

    def to_bytes(self) -> bytes:
        """Serialise the index (settings, keys and signatures; no pickle) so it survives a restart."""
        meta = {
            "threshold": self.threshold,
            "num_perm": self.num_perm,
            "min_shingles": self.min_shingles,
            "keys": list(self._docs),
        }
        meta_bytes = json.dumps(meta, ensure_ascii=False).encode()
        parts = [_INDEX_HEADER.pack(_INDEX_MAGIC, _INDEX_VERSION, len(meta_bytes)), meta_bytes]
        for fingerprint in self._docs.values():
            record = fingerprint.to_bytes()
            parts += [_LENGTH.pack(len(record)), record]
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> DuplicateIndex:
        """Rebuild an index from to_bytes output, rejecting anything malformed."""
        view = memoryview(data)
        if len(view) < _INDEX_HEADER.size:
            raise ValueError("index data is truncated")
        magic, version, meta_length = _INDEX_HEADER.unpack_from(view)
        if magic != _INDEX_MAGIC or version != _INDEX_VERSION:
            raise ValueError("not a near-duplicate index of a known version")
        offset = _INDEX_HEADER.size + meta_length
        try:
            meta = json.loads(bytes(view[_INDEX_HEADER.size : offset]))
            index = cls(meta["threshold"], meta["num_perm"], min_shingles=meta["min_shingles"])
            keys = meta["keys"]
            if not isinstance(keys, list):
                raise TypeError("keys must be a list")
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError("index metadata is malformed") from error
        for key in keys:
            if offset + _LENGTH.size > len(view):
                raise ValueError("index data is truncated")
            (length,) = _LENGTH.unpack_from(view, offset)
            offset += _LENGTH.size
            if offset + length > len(view):
                raise ValueError("index data is truncated")
            index.add_signature(key, bytes(view[offset : offset + length]))
            offset += length
        if offset != len(view):
            raise ValueError("index data has trailing bytes")
        return index

    def save(self, path: str | Path) -> None:
        """Write the index to path."""
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: str | Path) -> DuplicateIndex:
        """Read an index written by save."""
        return cls.from_bytes(Path(path).read_bytes())

    def _parse(self, data: bytes) -> Fingerprint:
        fingerprint = Fingerprint.from_bytes(data)
        if fingerprint.minhash.size != self.num_perm:
            raise ValueError(
                f"signature has {fingerprint.minhash.size} permutations, index uses {self.num_perm}"
            )
        return fingerprint

    def _is_hashed(self, fingerprint: Fingerprint) -> bool:
        return not fingerprint.is_blank and fingerprint.count >= self.min_shingles

    def _minhash(self, fingerprint: Fingerprint) -> MinHash:
        return MinHash(
            num_perm=self.num_perm,
            hashvalues=fingerprint.minhash,
            permutations=self._template.permutations,
            scheme=self._template.scheme,
        )

    def _insert(self, key: Key, fingerprint: Fingerprint) -> None:
        if key in self._docs:
            self.remove(key)
        self._docs[key] = fingerprint
        self._order[key] = self._next
        self._next += 1
        if self._is_hashed(fingerprint):
            self._lsh.insert(key, self._minhash(fingerprint), check_duplication=False)
        elif not fingerprint.is_blank:
            self._short.setdefault(fingerprint.exact, {})[key] = None

    def _matches(self, fingerprint: Fingerprint, exclude: Key | None = None) -> list[Match]:
        if fingerprint.is_blank:
            return []
        if not self._is_hashed(fingerprint):
            members = self._short.get(fingerprint.exact, {})
            return [Match(key, 1.0) for key in members if key != exclude]
        keys = [key for key in self._lsh.query(self._minhash(fingerprint)) if key != exclude]
        scores = similarities(fingerprint, [self._docs[key] for key in keys])
        matches = [
            Match(key, score) for key, score in zip(keys, scores, strict=True) if score >= self.threshold
        ]
        matches.sort(key=lambda match: (-match.similarity, self._order[match.key]))
        return matches

"""Find administrative places in text with an Aho-Corasick automaton and resolve each to a region code."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import ahocorasick

from minsheng.text.local_places import LEVEL_LOCAL, find_local_places, starts_local_suffix

BLOCKLIST_FILE = Path(__file__).resolve().parent / "data" / "place_blocklist.txt"
KIND_REGION = "region"
_MIN_KEY = 2
_RESOLVE_PASSES = 3


class RegionLike(Protocol):
    """Anything shaped like a region row: the ORM `Region`, a `DivisionEntry` or a `RegionRecord`."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def short_name(self) -> str: ...
    @property
    def level(self) -> int: ...
    @property
    def parent_code(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class RegionRecord:
    """A region given as a plain record, for using the text engine without a database."""

    code: str
    name: str
    short_name: str
    level: int
    parent_code: str | None = None


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A place named in a text; `region_code` is None when the name could not be pinned to one region."""

    text: str
    start: int
    end: int
    region_code: str | None
    level: int
    path: tuple[str, ...]
    kind: str


@dataclass(frozen=True, slots=True)
class _Key:
    length: int
    candidates: tuple[str, ...]
    is_short: bool
    # Short forms with letters or digits (A3区 → A3) name too little on their own to be trusted.
    needs_context: bool


@lru_cache(maxsize=1)
def place_blocklist() -> frozenset[str]:
    """Return the names that are common words and are never matched as places."""
    lines = BLOCKLIST_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


class PlaceIndex:
    """An automaton over full and short region names with the hierarchy needed to disambiguate them."""

    def __init__(self, regions: Iterable[RegionLike]) -> None:
        self._names: dict[str, str] = {}
        self._levels: dict[str, int] = {}
        self._parents: dict[str, str | None] = {}
        keys: dict[str, dict[str, bool]] = {}
        blocked = place_blocklist()
        for region in regions:
            self._names[region.code] = region.name
            self._levels[region.code] = region.level
            self._parents[region.code] = region.parent_code
            for key, is_short in ((region.name, False), (region.short_name, True)):
                if len(key) < _MIN_KEY or key in blocked:
                    continue
                short = keys.setdefault(key, {})
                short[region.code] = short.get(region.code, True) and is_short
        self._automaton = ahocorasick.Automaton()
        for key, codes in keys.items():
            is_short = all(codes.values())
            needs_context = is_short and any(c.isascii() and c.isalnum() for c in key)
            self._automaton.add_word(key, _Key(len(key), tuple(sorted(codes)), is_short, needs_context))
        if keys:
            self._automaton.make_automaton()
        self._ancestors: dict[str, tuple[str, ...]] = {code: self._chain(code) for code in self._names}
        self._paths: dict[str, tuple[str, ...]] = {
            code: (*(self._names[c] for c in reversed(chain)), self._names[code])
            for code, chain in self._ancestors.items()
        }

    def __len__(self) -> int:
        return len(self._names)

    def _chain(self, code: str) -> tuple[str, ...]:
        chain = []
        parent = self._parents.get(code)
        while parent is not None and parent in self._names and parent not in chain:
            chain.append(parent)
            parent = self._parents[parent]
        return tuple(chain)

    def path(self, code: str) -> tuple[str, ...]:
        """Return the names from the top-level region down to this one."""
        return self._paths.get(code, ())

    def level(self, code: str) -> int:
        """Return the level of a known region (1 province … 4 township)."""
        return self._levels[code]

    def ancestors(self, code: str) -> tuple[str, ...]:
        """Return the codes above a region, nearest first."""
        return self._ancestors.get(code, ())

    def find(self, text: str, *, local: bool = True) -> list[PlaceMention]:
        """Return the places named in text, regions resolved by context, in order of appearance."""
        if not text:
            return []
        raw = [
            (end + 1 - key.length, end + 1, key)
            for end, key in self._iter(text)
            # 李海务村 and 柳园路 are a village and a road named after a township, not the township itself.
            if not (key.is_short and starts_local_suffix(text, end + 1))
        ]
        codes = self._resolve(raw)
        mentions = [
            self._mention(text, start, end, key, code)
            for (start, end, key), code in zip(raw, codes, strict=True)
        ]
        if local:
            mentions = self._with_local(text, mentions)
        return mentions

    def _iter(self, text: str) -> Iterable[tuple[int, _Key]]:
        if self._automaton.kind != ahocorasick.AHOCORASICK:
            return ()
        return self._automaton.iter_long(text)

    def _resolve(self, raw: list[tuple[int, int, _Key]]) -> list[str | None]:
        codes: list[str | None] = [
            key.candidates[0] if len(key.candidates) == 1 and not key.needs_context else None
            for _, _, key in raw
        ]
        # A resolved mention can anchor another (县 → 镇 → a second 镇), so repeat until nothing changes.
        for _ in range(_RESOLVE_PASSES):
            anchors: dict[str, list[int]] = {}
            for (start, _, _), code in zip(raw, codes, strict=True):
                if code is not None:
                    anchors.setdefault(code, []).append(start)
            changed = False
            for i, (start, _, key) in enumerate(raw):
                if codes[i] is None and anchors:
                    codes[i] = self._by_context(start, key, anchors)
                    changed = changed or codes[i] is not None
            if not changed:
                break
        return codes

    def _by_context(self, start: int, key: _Key, anchors: dict[str, list[int]]) -> str | None:
        """Pick the candidate whose nearest, most specific ancestor is named in the text, if exactly one."""
        ranked: list[tuple[tuple[int, bool, int], str, str]] = []
        for candidate in key.candidates:
            best: tuple[tuple[int, bool, int], str] | None = None
            for anchor in self._ancestors.get(candidate, ()):
                positions = anchors.get(anchor)
                if not positions:
                    continue
                at = bisect.bisect_right(positions, start)
                before = positions[at - 1] if at else None
                # Deeper ancestors first, then anchors named before the place, then the nearest.
                if before is not None:
                    rank = (-self._levels[anchor], False, start - before)
                else:
                    rank = (-self._levels[anchor], True, positions[at] - start)
                if best is None or rank < best[0]:
                    best = (rank, anchor)
            if best is not None:
                ranked.append((best[0], best[1], candidate))
        if not ranked:
            return None
        ranked.sort()
        if len(ranked) > 1 and ranked[0][:2] == ranked[1][:2]:
            return None
        return ranked[0][2]

    def _mention(self, text: str, start: int, end: int, key: _Key, code: str | None) -> PlaceMention:
        if code is not None:
            return PlaceMention(
                text[start:end], start, end, code, self._levels[code], self._paths[code], KIND_REGION
            )
        levels = {self._levels[c] for c in key.candidates}
        level = levels.pop() if len(levels) == 1 else 0
        return PlaceMention(text[start:end], start, end, None, level, (), KIND_REGION)

    def _with_local(self, text: str, regions: list[PlaceMention]) -> list[PlaceMention]:
        """Add named places below township (roads, estates, villages) under the region named before them."""
        locals_ = find_local_places(text, [(m.start, m.end) for m in regions])
        if not locals_:
            return regions
        merged: list[PlaceMention] = []
        owner = _first_resolved(regions)
        position = 0
        for local in locals_:
            while position < len(regions) and regions[position].start < local.start:
                region = regions[position]
                merged.append(region)
                if region.region_code is not None:
                    owner = region
                position += 1
            code = owner.region_code if owner else None
            path = (*owner.path, local.text) if owner else (local.text,)
            merged.append(
                PlaceMention(local.text, local.start, local.end, code, LEVEL_LOCAL, path, local.kind)
            )
        merged.extend(regions[position:])
        return merged


def _first_resolved(mentions: list[PlaceMention]) -> PlaceMention | None:
    return next((m for m in mentions if m.region_code is not None), None)

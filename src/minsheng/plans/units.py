"""Find unit blocks (牵头单位, 配合单位, 责任单位) in a policy text and match unit names to departments."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from minsheng.text.normalize import fold_width

__all__ = ["UnitBlock", "UnitMatch", "UnitMatches", "find_unit_blocks", "match_units", "split_unit_names"]

_LEAD_LABELS = ("牵头单位", "牵头部门", "牵头")
_PARTNER_LABELS = ("配合单位", "配合部门", "协办单位", "协同单位", "参与单位", "参与部门", "协助单位")
_RESPONSIBLE_LABELS = ("责任单位", "责任部门", "负责单位", "负责部门", "承办单位", "实施单位", "主责单位")
_UNIT_LABELS = _LEAD_LABELS + _PARTNER_LABELS + _RESPONSIBLE_LABELS
# Any short label followed by a colon ends the previous field (适用范围：…, 完成时限：…).
_FIELD_RE = re.compile(r"(?:^|(?<=[;；,，。\s]))(?P<label>[\u4e00-\u9fff]{2,6})\s*[:：]")
_OPENERS = "(（"
_CLOSERS = {"(": ")", "（": "）"}
_SEPARATORS_RE = re.compile(r"[、,，;；/]")
# 等 and 等有关部门 close an open-ended list; they are not part of the last unit's name.
_TRAILING_ETC_RE = re.compile(r"等(?:其他|有关|相关|各)?(?:部门|单位|部门和单位|成员单位)?$")
_LEAD_PARTNER_RE = re.compile(
    r"^(?P<lead>[^，,；;。]+?)牵头[，,；;]\s*(?P<partner>[^。]+?)(?:参与|配合|按职责分工负责|负责|协同)$"
)
_LEAD_ONLY_RE = re.compile(r"^(?P<lead>[^，,；;。]+?)牵头(?:负责|落实)?$")
_RESPONSIBLE_RE = re.compile(r"^(?P<responsible>[^。；;]+?)(?:按职责分工|按职责|分别)?负责(?:落实)?$")
_NAME_MAX = 30
_BLOCK_MAX = 400


@dataclass(frozen=True, slots=True)
class UnitBlock:
    """A parenthesised assignment of units and its place in the text; `quote` includes the brackets."""

    start: int
    end: int
    quote: str
    lead_units: list[str] = field(default_factory=list)
    partner_units: list[str] = field(default_factory=list)
    responsible_units: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UnitMatch:
    """A unit name resolved to a department code, through which directory entry and how closely."""

    name: str
    code: str
    matched: str
    score: float


@dataclass(frozen=True, slots=True)
class UnitMatches:
    """Names resolved to departments, and names that matched none (kept for a person to resolve)."""

    matched: list[UnitMatch]
    unknown: list[str]


def split_unit_names(value: str) -> list[str]:
    """Split a list of units on 、 ， , ； and drop a closing 等; keep each name as written."""
    names: list[str] = []
    for part in _split_outside_brackets(value):
        name = _TRAILING_ETC_RE.sub("", part.strip(" \u3000\xa0。.:：")).strip()
        if name and name not in names:
            names.append(name)
    return names


def _split_outside_brackets(value: str) -> Iterator[str]:
    depth = 0
    start = 0
    for index, char in enumerate(value):
        if char in "(（〈<【[":
            depth += 1
        elif char in ")）〉>】]":
            depth = max(0, depth - 1)
        elif depth == 0 and _SEPARATORS_RE.match(char):
            yield value[start:index]
            start = index + 1
    yield value[start:]


def find_unit_blocks(text: str) -> list[UnitBlock]:
    """Find every parenthesised unit assignment in `text`, labelled or in the X牵头/X负责 form."""
    blocks = []
    for start, end in _bracketed_spans(text):
        inner = text[start + 1 : end - 1]
        block = _labelled_block(inner) or (
            _plain_block(inner) if _closes_sentence(text, start, end) else None
        )
        if block is None:
            continue
        lead, partner, responsible = block
        blocks.append(UnitBlock(start, end, text[start:end], lead, partner, responsible))
    return blocks


def _bracketed_spans(text: str) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of outermost bracket pairs, either width, nested brackets included."""
    index = 0
    while index < len(text):
        char = text[index]
        if char not in _OPENERS:
            index += 1
            continue
        depth, cursor = 0, index
        while cursor < len(text) and cursor - index <= _BLOCK_MAX and text[cursor] != "\n":
            if text[cursor] in _OPENERS:
                depth += 1
            elif text[cursor] in ")）":
                depth -= 1
                if depth == 0:
                    break
            cursor += 1
        if depth == 0 and cursor < len(text) and text[cursor] in ")）":
            yield index, cursor + 1
            index = cursor + 1
        else:
            index += 1


def _closes_sentence(text: str, start: int, end: int) -> bool:
    """Tell whether a bracket ends a sentence or paragraph, where unlabelled assignments are written."""
    after = text[end : end + 2].lstrip(" \u3000\xa0")
    before = text[max(0, start - 1) : start]
    return not after or after[0] in "。；;\n" or before in ("。", "；", ";")


_Fields = tuple[list[str], list[str], list[str]]


def _labelled_block(inner: str) -> _Fields | None:
    fields = list(_FIELD_RE.finditer(inner))
    if not fields or not any(match.group("label") in _UNIT_LABELS for match in fields):
        return None
    lead: list[str] = []
    partner: list[str] = []
    responsible: list[str] = []
    for index, match in enumerate(fields):
        end = fields[index + 1].start() if index + 1 < len(fields) else len(inner)
        label = match.group("label")
        names = split_unit_names(inner[match.end() : end])
        if label in _LEAD_LABELS:
            lead += names
        elif label in _PARTNER_LABELS:
            partner += names
        elif label in _RESPONSIBLE_LABELS:
            responsible += names
    return _assign(lead, partner, responsible)


def _plain_block(inner: str) -> _Fields | None:
    inner = inner.strip(" \u3000\xa0。")
    if len(inner) > 120 or "。" in inner:
        return None
    if match := _LEAD_PARTNER_RE.match(inner):
        fields = (split_unit_names(match.group("lead")), split_unit_names(match.group("partner")), [])
    elif match := _LEAD_ONLY_RE.match(inner):
        fields = (split_unit_names(match.group("lead")), [], [])
    elif match := _RESPONSIBLE_RE.match(inner):
        fields = ([], [], split_unit_names(match.group("responsible")))
    else:
        return None
    if any(len(name) > _NAME_MAX for names in fields for name in names):
        return None
    return _assign(*fields)


def _assign(lead: list[str], partner: list[str], responsible: list[str]) -> _Fields | None:
    """Read 责任单位 next to a 牵头单位 as the partners: the lead answers, the others take part."""
    if not (lead or partner or responsible):
        return None
    if lead and responsible:
        partner = partner + [name for name in responsible if name not in partner]
        responsible = []
    return lead, partner, responsible


def _key(name: str) -> str:
    return fold_width(name).replace(" ", "").replace("\u3000", "")


_BRACKETED_ALIAS_RE = re.compile(r"[(（〈<【\[]([^()（）〈〉<>【】\[\]]+)[)）〉>】\]]")


def _candidates(name: str) -> list[str]:
    """Return the name, the name without a bracketed alias, and the alias (市政府办公室〈市智慧办〉)."""
    keys = [_key(name)]
    inner = _BRACKETED_ALIAS_RE.findall(name)
    stripped = _BRACKETED_ALIAS_RE.sub("", name)
    for extra in [stripped, *inner]:
        key = _key(extra)
        if key and key not in keys:
            keys.append(key)
    return keys


def match_units(
    names: Sequence[str], directory: Mapping[str, str], *, min_score: float = 85.0
) -> UnitMatches:
    """Resolve unit names to department codes by exact name or alias, then by fuzzy match."""
    exact = {_key(alias): (alias, code) for alias, code in directory.items()}
    choices = list(exact)
    matched: list[UnitMatch] = []
    unknown: list[str] = []
    for name in names:
        found = _exact(name, exact) or _fuzzy(name, exact, choices, min_score)
        if found is None:
            unknown.append(name)
        else:
            matched.append(found)
    return UnitMatches(matched, unknown)


def _exact(name: str, exact: Mapping[str, tuple[str, str]]) -> UnitMatch | None:
    for key in _candidates(name):
        if key in exact:
            alias, code = exact[key]
            return UnitMatch(name, code, alias, 100.0)
    return None


def _fuzzy(
    name: str, exact: Mapping[str, tuple[str, str]], choices: list[str], min_score: float
) -> UnitMatch | None:
    if not choices:
        return None
    best = process.extract(_key(name), choices, scorer=fuzz.ratio, limit=2, score_cutoff=min_score)
    if not best:
        return None
    top_key, top_score, _ = best[0]
    # Two departments scoring alike (市经信委 against 市经信局 and 市经信办) is a guess, not a match.
    if len(best) > 1 and best[1][1] == top_score and exact[best[1][0]][1] != exact[top_key][1]:
        return None
    alias, code = exact[top_key]
    return UnitMatch(name, code, alias, float(top_score))

"""Extract numeric targets (indicator, comparator, value, unit, year) from a policy text.

Each quantity found by `quantities` owns a stretch of its clause: the words before it (`pre`) and after it
(`post`). How those read decides the indicator: `…率达到70%` (a level: the words before the verb),
`建成10个数字化装备制造中心` (a count: the words after the classifier) or `打造互联网众创基地10家`
(a count written after its noun). A quantity followed by its noun without a connector qualifies that noun
(`年交易额10亿元以上电商企业7家`) and is folded into the next quantity's indicator.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from minsheng.plans import target_words as words
from minsheng.plans.quantities import Quantity, find_quantities
from minsheng.plans.structure import Outline, deadline_year
from minsheng.text.normalize import fold_width

__all__ = ["Target", "find_targets"]

_POST_MAX = 50
_INDICATOR_MAX = 40


@dataclass(frozen=True, slots=True)
class Target:
    """One numeric commitment: what is measured, how it compares, the value, and where it is written."""

    indicator: str
    value: int | float
    unit: str
    comparator: str
    year: int | None
    per_year: bool
    growth: bool
    quote: str
    offset: int
    section: str
    value_max: int | float | None = None


@dataclass(frozen=True, slots=True)
class _Item:
    """A quantity with the stretch of its clause it owns: [pre_start, quantity) and (quantity, post_end]."""

    quantity: Quantity
    clause_start: int
    pre_start: int
    post_end: int
    clause_end: int


@dataclass(frozen=True, slots=True)
class _Reading:
    """How a clause reads around its quantity: the indicator and which words the quote takes."""

    indicator: str
    quote_lead: str
    quote_takes_post: bool
    verb: str
    lacks_subject: bool = False


def find_targets(text: str, outline: Outline, *, excluded: list[tuple[int, int]]) -> list[Target]:
    """Find every numeric target in `text`, skipping `excluded` spans such as unit blocks."""
    folded = fold_width(text)
    targets = []
    for items in _clauses(folded, find_quantities(folded, excluded=excluded), excluded):
        previous: Target | None = None
        for item in items:
            found = _target(text, folded, outline, item)
            if found is None:
                continue
            target, lacks_subject = found
            if lacks_subject and previous is not None:
                # 交易额超过2.6万亿元，年均增长25%: the rate is the previous indicator's.
                target = replace(target, indicator=previous.indicator + target.indicator)
            if len(target.indicator) >= 2:
                targets.append(target)
                previous = target
    return targets


def _clauses(
    folded: str, quantities: list[Quantity], excluded: list[tuple[int, int]]
) -> Iterator[list[_Item]]:
    """Group quantities by sentence, then by clause, and give each the stretch of its clause it owns."""
    groups: dict[tuple[int, int], list[Quantity]] = {}
    for quantity in quantities:
        groups.setdefault(_clause_span(folded, quantity.start, excluded), []).append(quantity)
    sentence: list[_Item] = []
    sentence_start = -1
    for (start, end), members in groups.items():
        begins = _sentence_start(folded, start)
        if begins != sentence_start and sentence:
            yield sentence
            sentence = []
        sentence_start = begins
        sentence += _items(folded, start, end, members)
    if sentence:
        yield sentence


def _clause_span(folded: str, position: int, excluded: list[tuple[int, int]]) -> tuple[int, int]:
    start = position
    while start > 0 and not _is_boundary(folded, start - 1, excluded):
        start -= 1
    end = position
    while end < len(folded) and not _is_boundary(folded, end, excluded):
        end += 1
    return start, end


def _is_boundary(folded: str, index: int, excluded: list[tuple[int, int]]) -> bool:
    char = folded[index]
    if (
        char == ","
        and 0 < index < len(folded) - 1
        and folded[index - 1].isdigit()
        and folded[index + 1].isdigit()
    ):
        return False
    if char in words.CLAUSE_END:
        return True
    return any(start <= index < end for start, end in excluded)


def _sentence_start(folded: str, position: int) -> int:
    start = position
    while start > 0 and folded[start - 1] not in words.SENTENCE_END:
        start -= 1
    return start


def _items(folded: str, start: int, end: int, quantities: list[Quantity]) -> list[_Item]:
    """Split a clause between its quantities at the last connector (、 和 及) between each pair."""
    items: list[_Item] = []
    pre_start = start
    for index, quantity in enumerate(quantities):
        following = quantities[index + 1] if index + 1 < len(quantities) else None
        if following is None:
            items.append(_Item(quantity, start, pre_start, end, end))
            break
        gap = folded[quantity.end : following.start]
        connectors = [m for m in words.CONNECTOR_RE.finditer(gap) if _outside_brackets(gap, m.start())]
        if not connectors:
            # 年交易额10亿元以上电商企业7家: the first amount only says which firms are counted.
            continue
        last = connectors[-1]
        items.append(_Item(quantity, start, pre_start, quantity.end + last.start(), end))
        pre_start = quantity.end + last.end()
    return items


def _outside_brackets(text: str, position: int) -> bool:
    depth = 0
    for char in text[:position]:
        if char in "(（":
            depth += 1
        elif char in ")）":
            depth = max(0, depth - 1)
    return depth == 0


def _target(text: str, folded: str, outline: Outline, item: _Item) -> tuple[Target, bool] | None:
    quantity = item.quantity
    pre_raw = folded[item.pre_start : quantity.start]
    post = folded[quantity.end : item.post_end].strip()
    if _is_not_a_target(folded, item, pre_raw, post):
        return None
    lead = _lead_length(pre_raw)
    pre = pre_raw[lead:]
    reading = _read(pre, post, quantity)
    if reading is None or _is_instrument(quantity, pre, reading.indicator):
        return None
    quote_start = item.pre_start + lead + _quote_lead(pre, reading.quote_lead)
    quote_end = item.post_end if reading.quote_takes_post else quantity.end
    raw_quote = text[quote_start:quote_end]
    quote = raw_quote.strip(" \u3000\xa0、,，")
    before = folded[_sentence_start(folded, quantity.start) : quantity.start]
    target = Target(
        indicator=reading.indicator,
        value=quantity.value,
        unit=quantity.unit,
        comparator=_comparator(pre_raw, quantity),
        year=deadline_year(before) or outline.governing_year(quantity.start),
        per_year=bool(words.EVERY_YEAR_RE.search(before) or words.ANNUAL_RATE_RE.search(pre_raw)),
        growth=reading.verb in words.GROWTH_VERBS or any(w in reading.indicator for w in words.GROWTH_WORDS),
        quote=quote,
        offset=quote_start + raw_quote.find(quote),
        section=outline.section(quantity.start),
        value_max=quantity.upper,
    )
    return target, reading.lacks_subject


def _is_not_a_target(folded: str, item: _Item, pre_raw: str, post: str) -> bool:
    """Tell facts, conditions, thresholds and per-unit rates apart from commitments."""
    quantity = item.quantity
    if words.STATUS_RE.search(folded[item.clause_start : quantity.start]):
        return True
    rest = folded[quantity.end : item.clause_end].rstrip()
    # …5000万元以上的，给予…: the clause is a condition on who qualifies.
    if rest.endswith("的"):
        return True
    if quantity.suffix in words.RANGE_SUFFIXES and post.startswith("的") and quantity.kind != "percent":
        # 500万元及以下的小微企业: a threshold on the thing discussed, unless something is built (建成…).
        return not words.ENDS_WITH_VERB_RE.search(_clean(pre_raw) or pre_raw.rstrip())
    # 每引进1名人才给予…: a rate per unit.
    return (
        quantity.value == 1 and "每" in pre_raw[-5:] and not any(w in pre_raw[-5:] for w in ("每年", "每月"))
    )


def _is_instrument(quantity: Quantity, pre: str, indicator: str) -> bool:
    """Tell rewards, subsidies, fines and caps (给予最高100万元奖励) and structure counts (6个重点领域)."""
    if quantity.kind == "money" and (words.INCENTIVE_RE.search(indicator) or words.INCENTIVE_RE.search(pre)):
        return True
    return quantity.kind == "count" and bool(words.STRUCTURE_RE.match(indicator))


def _lead_length(pre: str) -> int:
    """Return how much of `pre` is whitespace, an item marker or a deadline (到2020年，) to leave out."""
    length = len(pre) - len(pre.lstrip())
    marker = words.MARKER_RE.match(pre, length)
    if marker:
        length = marker.end()
    time = words.TIME_RE.match(pre[length:])
    return length + (time.end() if time else 0)


def _quote_lead(pre: str, mode: str) -> int:
    """Return how much of `pre` the quote leaves out: nothing, scope words, or all of it."""
    if mode == "all":
        return 0
    if mode == "soft":
        match = words.LEAD_SOFT_RE.match(pre)
        return match.end() if match else 0
    return len(pre)


def _read(pre: str, post: str, quantity: Quantity) -> _Reading | None:
    """Decide whether the clause sets a level, counts what follows the number, or counts a noun before it."""
    tail = words.VALUE_TAIL_RE.search(pre)
    post = _trim_post(post)
    verb = tail.group("verb") if tail else ""
    if tail:
        # Before a level verb stands a noun phrase: strip scope words only (覆盖率 is not 覆盖 + 率).
        indicator = _clean(pre[: tail.start()], soft=True)
        if quantity.kind == "index" and not indicator.endswith(words.INDEX_WORDS):
            return None
        if indicator:
            return _Reading(indicator[-_INDICATOR_MAX:], "soft", False, verb)
        if not post:
            # 年均增长25% names no indicator: find_targets prefixes the previous target's.
            return _Reading(pre.strip(), "all", False, verb, lacks_subject=True)
    if quantity.kind == "index":
        return None
    if post:
        return _read_count(pre, post, verb)
    # 试点示范项目新增15个: the verb after the noun is not part of it.
    indicator = _clean(pre)
    indicator = words.TRAILING_VERBS_RE.sub("", indicator) if len(indicator) > 4 else indicator
    return _Reading(indicator[-_INDICATOR_MAX:], "all", False, verb) if indicator else None


def _read_count(pre: str, post: str, verb: str) -> _Reading:
    """Read `建成10个…中心` (the noun follows) with any subject before the verb (中小学实现千兆到校)."""
    subject = _clean(pre)
    last = post.rsplit("的", 1)[-1]
    counted = last if len(last) >= 2 else post
    if not subject:
        return _Reading(counted[:_INDICATOR_MAX], "all", True, verb)
    head = words.ENDS_WITH_VERB_RE.search(subject)
    if head and head.start() > 0:
        return _Reading((subject[: head.start()] + counted)[:_INDICATOR_MAX], "all", True, verb)
    return _Reading(counted[:_INDICATOR_MAX], "none", True, verb)


def _trim_post(post: str) -> str:
    if len(post) <= _POST_MAX:
        return post
    cut = max(post.rfind(mark, 0, _POST_MAX) for mark in "、和及")
    return post[:cut] if cut > 0 else post[:_POST_MAX]


def _clean(text: str, *, soft: bool = False) -> str:
    """Strip scope words, adverbs and (unless `soft`) leading verbs from an indicator; keep the noun."""
    text = text.strip(" \u3000\xa0、")
    match = (words.LEAD_SOFT_RE if soft else words.LEAD_RE).match(text)
    if match:
        text = text[match.end() :]
    return text.strip(" \u3000\xa0、的")


def _comparator(pre: str, quantity: Quantity) -> str:
    """Read >=, <= or ~ from the words around the number (超过, 以上, 以内, 左右); `=` otherwise."""
    if quantity.suffix:
        return words.SUFFIX_COMPARATORS[quantity.suffix]
    if quantity.approx or quantity.upper is not None:
        return ">="
    cues = words.COMPARATOR_RE.findall(pre)
    if cues:
        return words.COMPARATOR_CUES[cues[-1]]
    return "~" if pre.rstrip().endswith(words.ABOUT) else "="

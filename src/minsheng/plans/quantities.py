"""Find the numbers with units in a policy text that could be targets, and drop those that cannot."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import cn2an

__all__ = ["Quantity", "find_quantities", "quoted_spans"]

Kind = Literal["percent", "money", "bandwidth", "measure", "count", "time", "index"]

_ARABIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CN = r"[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?"
_UNIT_KINDS: dict[Kind, tuple[str, ...]] = {
    "percent": ("%", "‰", "个百分点", "百分点"),
    "money": ("元人民币", "美元", "元"),
    "bandwidth": ("Mbps", "Gbps", "Tbps", "Kbps", "MB", "GB", "TB", "PB", "M", "G", "T", "兆"),
    "measure": (
        "平方公里", "平方米", "公里", "千米", "公顷", "亩", "吨", "千瓦时", "千瓦", "立方米",
        "标准箱", "标箱", "架次", "辆",
    ),
    "time": ("个工作日", "工作日", "个自然日", "自然日", "小时", "分钟", "个月", "天"),
    "count": (
        "人次", "户次", "场次", "个", "家", "处", "台", "套", "座", "所", "项", "条", "部", "支",
        "名", "人", "户", "场", "次", "批", "件", "款", "篇", "间", "栋", "张", "份", "只", "头",
        "株", "棵", "位", "门", "本", "册", "艘", "列", "趟", "块", "片", "种", "类", "期",
    ),
}  # fmt: skip
_KIND_OF = {unit: kind for kind, units in _UNIT_KINDS.items() for unit in units}
_UNITS = "|".join(re.escape(unit) for unit in sorted(_KIND_OF, key=len, reverse=True))
_ALT = "个|家|台|套|处|座|所|项|条|部|间|栋|辆|艘"
_QUANTITY_RE = re.compile(
    rf"(?:百分之(?P<pct>{_ARABIC}|{_CN})"
    rf"|(?P<num>{_ARABIC}|{_CN})(?:%?\s*(?:-|—|–|~|～|至|到)\s*(?P<num2>{_ARABIC}|{_CN}))?"
    rf"\s?(?P<approx>余|多)?(?P<mult>万亿|亿|万)?(?P<unit>{_UNITS})?(?P<alt>[(（](?:{_ALT})[)）])?)"
    r"(?P<suffix>及以上|及以下|以上|以下|以内|之内|左右|上下|内)?"
)
_CN_CHARS = set("零〇一二两三四五六七八九十百千点")
_LETTER_RE = re.compile(r"[A-Za-z]")
_DATE_FOLLOWERS = ("年", "月", "日", "号", "时", "周岁", "岁", "届", "级", "期", "代", "版", "大", "强", "星")
_TIME_CUES_RE = re.compile(r"(?:缩短|压缩|压减|减少|减|控制|降低|降)(?:至|到|在)$|不超过$|用时$|时限$|办结$")
_QUOTE_PAIRS = {"“": "”", "《": "》", "‘": "’", "「": "」", "『": "』", "〔": "〕", "【": "】"}
_QUOTED_MAX = 40


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with its unit as written (`万个`, `亿元`, `台(套)`), scaled only by the number itself."""

    start: int
    end: int
    value: int | float
    unit: str
    kind: Kind
    upper: int | float | None = None
    suffix: str = ""
    approx: str = ""


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Return the spans inside “…” 《…》 〔…〕, where programme names, titles and document numbers live."""
    spans: list[tuple[int, int]] = []
    opened: tuple[str, int] | None = None
    for index, char in enumerate(text):
        if char in _QUOTE_PAIRS:
            # An unclosed “ is common in portal text; the newer opener wins so one slip spoils nothing.
            opened = (char, index)
        elif opened and char == _QUOTE_PAIRS[opened[0]]:
            if index - opened[1] <= _QUOTED_MAX:
                spans.append((opened[1], index + 1))
            opened = None
        elif char == "\n":
            opened = None
    return spans


def _inside(position: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def find_quantities(folded: str, *, excluded: list[tuple[int, int]]) -> list[Quantity]:
    """Find candidate target quantities in width-folded text, skipping the spans in `excluded`."""
    found = []
    skip = sorted(excluded + quoted_spans(folded))
    for match in _QUANTITY_RE.finditer(folded):
        quantity = _quantity(folded, match)
        if quantity is not None and not _inside(match.start(), skip):
            found.append(quantity)
    return found


def _quantity(text: str, match: re.Match[str]) -> Quantity | None:
    start, end = match.start(), match.end()
    number = match.group("pct") or match.group("num")
    is_chinese = number[0] in _CN_CHARS
    before = text[max(0, start - 1) : start]
    after = text[end : end + 2]
    if _LETTER_RE.fullmatch(before) or before in ("第", ".", "-", "/", "～", "~") or (before.isdigit()):
        return None
    if is_chinese and before and before in _CN_CHARS:
        return None
    unit, kind = _unit(match)
    if after[:1] == "/":
        # 5万元/项 and 2/3 are rates and fractions, not amounts to reach.
        return None
    if not unit and (after[:1] in ("+", "/", "-", ".") or _LETTER_RE.match(after[:1])):
        return None
    if unit in ("M", "G", "T") and (_LETTER_RE.match(after[:1]) or after[:1] in "+/"):
        return None
    if not unit and (after.startswith(_DATE_FOLLOWERS) or text[start - 1 : start] in "〔["):
        return None
    value = _value(number)
    if value is None or not _plausible(text, match, unit, kind, value, is_chinese):
        return None
    upper = _value(match.group("num2")) if match.group("num2") else None
    return Quantity(
        start=start,
        end=end,
        value=value,
        unit=unit,
        kind=kind,
        upper=upper,
        suffix=match.group("suffix") or "",
        approx=match.group("approx") or "",
    )


def _unit(match: re.Match[str]) -> tuple[str, Kind]:
    if match.group("pct"):
        return "%", "percent"
    base = match.group("unit") or ""
    unit = (match.group("mult") or "") + base + (match.group("alt") or "")
    kind: Kind = _KIND_OF.get(base, "index")
    if not base and match.group("mult"):
        kind = "count"
    return unit, kind


def _plausible(
    text: str, match: re.Match[str], unit: str, kind: Kind, value: float, is_chinese: bool
) -> bool:
    """Reject technology generations (4G), durations without a deadline cue and counted structure (四个)."""
    start = match.start()
    before = text[max(0, start - 6) : start]
    if kind == "bandwidth" and unit == "G" and value <= 6:
        return False
    if kind == "time":
        return bool(_TIME_CUES_RE.search(before)) or (match.group("suffix") or "") in ("以内", "之内", "内")
    if is_chinese:
        # Chinese numerals with classifiers (四个重点领域, 三大平台, 百家企业计划) name the document's own
        # structure or programmes; commitments with them are written with measure units (千兆到校).
        if match.group("pct") or kind == "percent":
            return True
        if kind == "money" and match.group("mult"):
            return True
        if kind == "bandwidth" and unit == "兆":
            follower = text[match.end() : match.end() + 1]
            return follower in ("到", "入", "进") or before.endswith(("达到", "实现", "提升至", "提高到"))
        return False
    return kind != "index" or not match.group("mult")


def _value(number: str | None) -> int | float | None:
    if not number:
        return None
    if number[0].isdigit():
        parsed = float(number.replace(",", ""))
    else:
        normalized = "一" + number if number[0] in "十百千" else number
        try:
            parsed = float(cn2an.cn2an(normalized, "strict"))
        except (ValueError, KeyError, IndexError):
            return None
    return int(parsed) if parsed.is_integer() else parsed

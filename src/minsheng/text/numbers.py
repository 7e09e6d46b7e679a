"""Find quantities, money, percentages and dates (absolute and relative) in Chinese text."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import cn2an

from minsheng.core.timeutil import to_local
from minsheng.text.normalize import fold_width

__all__ = ["DateMention", "Quantity", "find_dates", "find_quantities"]

Kind = Literal["number", "money", "percent"]


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number found in text, scaled to its value (三百五十万元 → 3500000), with its unit if any."""

    text: str
    start: int
    end: int
    value: int | float
    kind: Kind
    unit: str | None = None
    is_approximate: bool = False


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date or date range found in text, resolved against the publication time."""

    text: str
    start: int
    end: int
    first_day: date
    last_day: date

    @property
    def is_range(self) -> bool:
        """Tell whether the mention covers more than one day (本月, 去年, 上周)."""
        return self.first_day != self.last_day

    @property
    def date(self) -> date | None:
        """Return the single day mentioned, or None for a range."""
        return None if self.is_range else self.first_day


_CN = "零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟"
_ARABIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MONEY = {
    "元": "CNY",
    "块": "CNY",
    "块钱": "CNY",
    "元人民币": "CNY",
    "美元": "USD",
    "港元": "HKD",
    "港币": "HKD",
    "欧元": "EUR",
    "日元": "JPY",
}
_MEASURES = (
    "平方米|平方公里|平米|公里|千米|公斤|千克|公顷|小时|分钟|人次|户次|余|多|个|人|名|位|户|家|件|起|次|辆|套|间|栋"
    "|座|处|条|项|台|吨|克|斤|米|亩|岁|天|所|张|份|头|只|棵|株|批|场|篇|部|单"
)
_UNIT = "|".join(sorted(_MONEY, key=len, reverse=True)) + "|" + _MEASURES
# Each pattern opens with a lookahead on its possible first characters: it rejects most positions at once,
# which makes scanning several times faster than trying every alternative everywhere.
_QUANTITY_RE = re.compile(
    rf"(?=[0-9{_CN}])(?:百分之(?P<pct_cn>[{_CN}点]+|{_ARABIC})"
    rf"|(?P<pct>{_ARABIC})\s?%"
    rf"|(?<![\d.,\-/:])(?P<num>(?:{_ARABIC})[十百千万亿]*|[{_CN}]+(?:点[{_CN}]+)?)"
    rf"(?P<approx>余|多|来|几)?(?P<unit>{_UNIT})?(?![年月日号时点\d\-/:]))"
)
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_DIGITS |= {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖") if i}
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10_000, "亿": 100_000_000}
_MIXED_RE = re.compile(r"(\d+(?:\.\d+)?)([十百千万亿]*)")


def _chinese_integer(text: str) -> int:
    """Parse 三百五十万, 一亿五千万, 十万零五 or digit-by-digit 二〇二六."""
    if not any(c in _UNITS for c in text):
        return int("".join(str(_DIGITS[c]) for c in text))
    total = section = number = 0
    for char in text:
        if char in _DIGITS:
            number = _DIGITS[char]
        elif char == "亿":
            total = (total + section + number) * 100_000_000
            section = number = 0
        elif char == "万":
            section = (section + number) * 10_000
            number = 0
        else:
            section += (number or 1) * _UNITS[char]
            number = 0
    return total + section + number


def _number(text: str) -> int | float | None:
    """Parse Arabic, Chinese or mixed numerals (1.5万, 三百五十万, 1,200) to a number."""
    plain = text.replace(",", "")
    # cn2an parses all of these too, at ~20 µs a call, which dominated scanning long texts.
    try:
        mixed = _MIXED_RE.fullmatch(plain)
        if mixed:
            value: int | float = float(mixed[1]) if "." in mixed[1] else int(mixed[1])
            for unit in mixed[2]:
                value *= _UNITS[unit]
        elif "点" in plain:
            whole, _, fraction = plain.partition("点")
            value = _chinese_integer(whole) + float("0." + "".join(str(_DIGITS[c]) for c in fraction))
        else:
            value = _chinese_integer(plain)
    except (KeyError, ValueError):
        try:
            value = cn2an.cn2an(plain, "smart")
        except (ValueError, KeyError, IndexError):
            return None
    return int(value) if float(value).is_integer() else value


def find_quantities(text: str) -> list[Quantity]:
    """Find numbers, money and percentages; Chinese numerals count only with a unit, to skip 一些 or 统一."""
    found = []
    for match in _QUANTITY_RE.finditer(fold_width(text)):
        groups = match.groupdict()
        raw = groups["pct_cn"] or groups["pct"] or groups["num"]
        unit = groups["unit"]
        is_chinese = raw[0] in _CN
        if groups["num"] and is_chinese and not unit and not groups["approx"]:
            continue
        # 一个 and 一起 are determiners far more often than counts; 万 alone is 万一 or 万岁.
        if groups["num"] and is_chinese and len(raw) == 1 and raw in "一万亿千百十" and unit not in _MONEY:
            continue
        value = _number(raw)
        if value is None:
            continue
        approximate = groups["approx"] is not None or unit in ("余", "多")
        if groups["pct_cn"] or groups["pct"]:
            kind, unit = "percent", "%"
        elif unit in _MONEY:
            kind, unit = "money", _MONEY[unit]
        else:
            kind, unit = "number", None if unit in ("余", "多") else unit
        span = match.span()
        found.append(Quantity(text[span[0] : span[1]], *span, value, kind, unit, approximate))
    return found


def _small(text: str) -> int:
    """Parse a year, month or day written in Arabic or Chinese digits (2026, 二〇二六, 二十三)."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return int("".join(str(_DIGITS[c]) for c in text))
    tens, _, units = text.partition("十")
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[units] if units else 0)


_D = "[0-9〇零一二两三四五六七八九十]"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_DAY_WORDS = {
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "昨日": -1,
    "今天": 0,
    "今日": 0,
    "明天": 1,
    "明日": 1,
    "后天": 2,
}
_YEAR_WORDS = {"前年": -2, "去年": -1, "今年": 0, "本年": 0, "明年": 1}
_SHIFT = {"上": -1, "本": 0, "这": 0, "下": 1}
_DATE_RE = re.compile(
    r"(?=[0-9〇零一二两三四五六七八九十上本这下近前去今明大昨后])"
    rf"(?:(?P<iso>(?P<iy>\d{{4}})[-/.](?P<im>\d{{1,2}})[-/.](?P<id>\d{{1,2}}))(?!\d)"
    rf"|(?:(?P<y>(?:19|20)\d{{2}}|[〇零一二三四五六七八九]{{4}})年|(?P<yw>前年|去年|今年|本年|明年))"
    rf"(?:(?P<m>{_D}{{1,2}})月份?(?:(?P<d>{_D}{{1,3}})[日号])?)?"
    rf"|(?<!\d)(?P<m2>{_D}{{1,2}})月(?P<d2>{_D}{{1,3}})[日号]"
    rf"|(?P<wk>上|本|这|下)(?:个)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天])?"
    rf"|(?P<mw>上|本|这|下)个?月"
    rf"|(?P<ago>\d+|{_D}{{1,3}})(?P<agounit>天|日|周|个月|年)(?P<dir>前|后|以前|之前|以后|之后)"
    rf"|近(?P<last>\d+|{_D}{{1,3}})(?:天|日)"
    rf"|(?<![目之以提当事面跟眼门从向往超空先然最])(?P<dw>大前天|前天|昨天|昨日|今天|今日(?!头条)|明天|明日|后天))"
)


def _month_span(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def _resolve(g: dict[str, Any], today: date) -> tuple[date, date] | None:
    """Turn one match's groups into a (first, last) day pair, or None when the date does not exist."""
    if g["iso"]:
        day = date(int(g["iy"]), int(g["im"]), int(g["id"]))
        return day, day
    if g["y"] or g["yw"]:
        year = _small(g["y"]) if g["y"] else today.year + _YEAR_WORDS[g["yw"]]
        if not g["m"]:
            return date(year, 1, 1), date(year, 12, 31)
        if not g["d"]:
            return _month_span(year, _small(g["m"]))
        day = date(year, _small(g["m"]), _small(g["d"]))
        return day, day
    if g["m2"]:
        day = date(today.year, _small(g["m2"]), _small(g["d2"]))
        # Posts mostly look back: a day more than half a year ahead of publication means last year.
        if day - today > timedelta(days=183):
            day = day.replace(year=day.year - 1)
        return day, day
    if g["wk"]:
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=_SHIFT[g["wk"]])
        if g["wd"]:
            day = monday + timedelta(days=_WEEKDAYS[g["wd"]])
            return day, day
        return monday, monday + timedelta(days=6)
    if g["mw"]:
        first = _add_months(today.replace(day=1), _SHIFT[g["mw"]])
        return _month_span(first.year, first.month)
    if g["ago"]:
        n = _small(g["ago"]) * (-1 if "前" in g["dir"] else 1)
        unit = g["agounit"]
        if unit in ("天", "日"):
            day = today + timedelta(days=n)
        elif unit == "周":
            day = today + timedelta(weeks=n)
        else:
            day = _add_months(today, n * (12 if unit == "年" else 1))
        return day, day
    if g["last"]:
        return today - timedelta(days=_small(g["last"]) - 1), today
    day = today + timedelta(days=_DAY_WORDS[g["dw"]])
    return day, day


def find_dates(text: str, *, reference: datetime) -> list[DateMention]:
    """Find dates and resolve relative ones (昨天, 上周三, 3天前) against `reference` in Asia/Shanghai."""
    today = to_local(reference).date()
    found = []
    for match in _DATE_RE.finditer(fold_width(text)):
        try:
            span = _resolve(match.groupdict(), today)
        except (ValueError, KeyError, OverflowError):
            continue
        if span is not None:
            found.append(DateMention(text[match.start() : match.end()], match.start(), match.end(), *span))
    return found

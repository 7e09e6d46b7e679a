"""Reporting periods: the quarters or months of an appraisal window, and the period a report is for."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["Period", "parse_period", "period_of", "periods_ending_between", "report_period"]

_QUARTER_NAMES = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER_RE = re.compile(r"(\d{4})\s*年?\s*(?:第\s*)?([一二三四1-4])\s*季度?")
_Q_RE = re.compile(r"(\d{4})\s*[-/ ]?\s*[Qq]\s*([1-4])")
_MONTH_RE = re.compile(r"(\d{4})\s*(?:年\s*(\d{1,2})\s*月|[-/.](\d{1,2})(?!\d))")
_HALF_RE = re.compile(r"(\d{4})\s*年?\s*([上下])半年")
_YEAR_RE = re.compile(r"(\d{4})\s*年(?:度|全年)?$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A reporting period from its first to its last day, inclusive."""

    first: date
    last: date

    @property
    def label(self) -> str:
        """Name the period the way reports are headed (2026年第一季度, 2026年3月)."""
        if self.first.month == self.last.month:
            return f"{self.first.year}年{self.first.month}月"
        quarter = "一二三四"[(self.first.month - 1) // 3]
        return f"{self.first.year}年第{quarter}季度"


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def period_of(day: date, cycle: str) -> Period:
    """Return the quarter or month containing a day."""
    if cycle == "month":
        return Period(day.replace(day=1), _month_end(day.year, day.month))
    first_month = (day.month - 1) // 3 * 3 + 1
    return Period(date(day.year, first_month, 1), _month_end(day.year, first_month + 2))


def periods_ending_between(start: date, end: date, cycle: str) -> list[Period]:
    """List the periods whose last day falls within [start, end]."""
    found = []
    period = period_of(start, cycle)
    while period.first <= end:
        if start <= period.last <= end:
            found.append(period)
        period = period_of(period.last + timedelta(days=1), cycle)
    return found


def _last_day(text: str) -> date | None:
    """Return the last day of the period a label names, or None when it names none."""
    text = text.strip()
    if match := _QUARTER_RE.search(text) or _Q_RE.search(text):
        quarter = _QUARTER_NAMES[match.group(2)]
        return _month_end(int(match.group(1)), quarter * 3)
    if match := _HALF_RE.search(text):
        return _month_end(int(match.group(1)), 6 if match.group(2) == "上" else 12)
    if match := _MONTH_RE.search(text):
        month = int(match.group(2) or match.group(3))
        return _month_end(int(match.group(1)), month) if 1 <= month <= 12 else None
    if match := _YEAR_RE.search(text):
        return date(int(match.group(1)), 12, 31)
    return None


def parse_period(text: str, cycle: str) -> Period | None:
    """Read a period label (2026年第四季度, 2026Q4, 2026年10月, 2026-10, 2026年上半年) as a cycle period."""
    last = _last_day(text)
    # A label on another cycle (a monthly report under quarterly appraisal) counts for the period it ends in.
    return period_of(last, cycle) if last else None


def report_period(label: str, submitted_on: date, *, cycle: str, grace_days: int) -> Period:
    """Return the period a report is for: its label if readable, else the one ending before submission."""
    parsed = parse_period(label, cycle)
    if parsed is not None:
        return parsed
    # Free text such as 近期进展: a report sent within the grace days after a period end is that period's.
    return period_of(submitted_on - timedelta(days=grace_days), cycle)

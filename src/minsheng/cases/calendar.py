"""Working time on the official calendar: holidays, make-up working days and office hours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from minsheng.core.errors import ValidationFailed

_DAY_LIMIT = 3660  # a deadline more than ten years of working days away is a configuration error


class CalendarError(ValidationFailed):
    default_message = "工作日历配置有误"


def parse_office_hours(spec: str) -> tuple[tuple[time, time], ...]:
    """Parse office hours such as "09:00-12:00,13:30-17:30" into ordered, non-overlapping periods."""
    periods: list[tuple[time, time]] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        try:
            start_text, end_text = part.split("-")
            start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
        except ValueError as exc:
            raise CalendarError(f"办公时间格式应为 09:00-12:00,13:30-17:30，收到 {part!r}") from exc
        if start >= end or (periods and start < periods[-1][1]):
            raise CalendarError(f"办公时间段 {part} 与前一段重叠或首尾颠倒")
        periods.append((start, end))
    if not periods:
        raise CalendarError("办公时间不能为空")
    return tuple(periods)


@dataclass
class WorkCalendar:
    """Decide working days and add working time; the office's own entries override the packaged calendar.

    The packaged calendar (chinese-calendar) covers the years the State Council has announced; for a later
    year the office enters the new notice as overrides, and until it does weekends are the only days off.
    """

    zone: ZoneInfo
    office_hours: tuple[tuple[time, time], ...]
    overrides: Mapping[date, bool] = field(default_factory=dict)

    def is_workday(self, day: date) -> bool:
        """Tell whether offices work on the day (make-up Saturdays included, holidays excluded)."""
        if day in self.overrides:
            return self.overrides[day]
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return day.weekday() < 5

    def _periods(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_workday(day):
            return []
        return [
            (datetime.combine(day, start, self.zone), datetime.combine(day, end, self.zone))
            for start, end in self.office_hours
        ]

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """Return the moment when the given working time has elapsed after start."""
        if start.tzinfo is None:
            raise CalendarError("起始时间必须带时区")
        local = start.astimezone(self.zone)
        remaining = timedelta(seconds=max(0.0, seconds))
        day = local.date()
        for _ in range(_DAY_LIMIT):
            for begin, end in self._periods(day):
                begin = max(begin, local)
                if begin >= end:
                    continue
                if begin + remaining <= end:
                    return begin + remaining if remaining else begin
                remaining -= end - begin
            day += timedelta(days=1)
        raise CalendarError("截止时间超出可计算范围")

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """Return the moment the given working hours after start fall due."""
        return self.add_working_seconds(start, hours * 3600)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Return the end of office hours on the n-th working day after the day of start.

        As in "自受理之日起N个工作日内", the day the work arrives does not count.
        """
        if start.tzinfo is None:
            raise CalendarError("起始时间必须带时区")
        if days <= 0:
            return start
        day = start.astimezone(self.zone).date()
        counted = 0
        for _ in range(_DAY_LIMIT):
            day += timedelta(days=1)
            counted += self.is_workday(day)
            if counted == days:
                return datetime.combine(day, self.office_hours[-1][1], self.zone)
        raise CalendarError("截止时间超出可计算范围")

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Count the working seconds from start to end (zero when end is not later)."""
        if end <= start:
            return 0.0
        total = 0.0
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            for begin, finish in self._periods(day):
                overlap = min(finish, end) - max(begin, start)
                total += max(overlap.total_seconds(), 0.0)
            day += timedelta(days=1)
        return total

    def shift(self, due: datetime, seconds: float) -> datetime:
        """Push a deadline later by working time, as when the clock was paused."""
        return self.add_working_seconds(due, seconds) if seconds > 0 else due

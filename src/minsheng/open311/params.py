"""Read Open311 parameters the way the specification means them: an empty parameter is an absent one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from minsheng.core.errors import ValidationFailed
from minsheng.open311.service import MAX_PAGE_SIZE, PAGE_SIZE, RequestQuery

MAX_LENGTH = 5000


class Params:
    """Query or form parameters, trimmed, with empty values dropped and NUL bytes refused."""

    def __init__(self, items: Iterable[tuple[str, object]]) -> None:
        self._items: list[tuple[str, str]] = []
        for name, value in items:
            if not isinstance(value, str):
                continue  # uploads: media is given by media_url, never by file
            if "\x00" in name or "\x00" in value:
                raise ValidationFailed("参数含有非法字符", field=name.replace("\x00", "")[:64])
            if len(value) > MAX_LENGTH:
                raise ValidationFailed(f"参数 {name[:64]} 过长", field=name[:64])
            if value.strip():
                self._items.append((name, value.strip()))

    def get(self, name: str, *, max_length: int | None = None) -> str | None:
        """Return the last value given for a name, or None when it was absent or empty."""
        values = self.all(name)
        if not values:
            return None
        value = values[-1]
        if max_length is not None and len(value) > max_length:
            raise ValidationFailed(f"{name} 不能超过 {max_length} 个字符", field=name)
        return value

    def all(self, name: str) -> list[str]:
        return [value for key, value in self._items if key == name]

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def csv(self, name: str) -> list[str] | None:
        """Split a comma-delimited parameter (repeats allowed); None when absent."""
        parts = [part.strip() for value in self.all(name) for part in value.split(",")]
        return [part for part in parts if part] or None

    def integer(self, name: str, *, default: int, low: int, high: int) -> int:
        value = self.get(name)
        if value is None:
            return default
        if not value.isdigit() or not low <= int(value) <= high:
            raise ValidationFailed(f"{name} 应为 {low} 到 {high} 之间的整数", field=name)
        return int(value)

    def number(self, name: str, *, low: float, high: float) -> float | None:
        value = self.get(name, max_length=32)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            raise ValidationFailed(f"{name} 应为数字", field=name) from None
        if not low <= number <= high:  # also refuses nan and inf
            raise ValidationFailed(f"{name} 应在 {low:g} 到 {high:g} 之间", field=name)
        return number

    def moment(self, name: str, *, zone: ZoneInfo) -> datetime | None:
        """Parse an ISO 8601 date or time; one without an offset is read in the office's time zone."""
        value = self.get(name, max_length=40)
        if value is None:
            return None
        return parse_moment(value, zone=zone, name=name)


def parse_moment(value: str, *, zone: ZoneInfo, name: str) -> datetime:
    """Parse an ISO 8601 date or date-time, giving a naive one the office's time zone."""
    try:
        moment = datetime.fromisoformat(value.replace(" ", "+") if "T" in value else value)
    except ValueError:
        raise ValidationFailed(
            f"{name} 应为 ISO 8601 时间，如 2026-11-23T10:00:00+08:00", field=name
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def request_query(params: Params, *, zone: ZoneInfo) -> RequestQuery:
    """Read the filters and paging of GET requests."""
    statuses = params.csv("status")
    unknown = sorted(set(statuses or []) - {"open", "closed"})
    if unknown:
        raise ValidationFailed("status 只能是 open 或 closed", field="status")
    return RequestQuery(
        ids=params.csv("service_request_id"),
        service_codes=params.csv("service_code"),
        start=params.moment("start_date", zone=zone),
        end=params.moment("end_date", zone=zone),
        statuses=set(statuses) if statuses else None,
        page=params.integer("page", default=1, low=1, high=10**6),
        page_size=params.integer("page_size", default=PAGE_SIZE, low=1, high=MAX_PAGE_SIZE),
    )

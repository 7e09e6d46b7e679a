"""Time helpers: store UTC, show Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

__all__ = ["UTC", "format_local", "local_zone", "to_local", "utcnow"]

_DEFAULT_ZONE = "Asia/Shanghai"


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def local_zone(name: str = _DEFAULT_ZONE) -> ZoneInfo:
    return ZoneInfo(name)


def to_local(value: datetime, zone: str = _DEFAULT_ZONE) -> datetime:
    """Convert an aware datetime to the office's local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(zone))


def format_local(value: datetime | None, zone: str = _DEFAULT_ZONE, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format a datetime in local time for display; empty string for None."""
    if value is None:
        return ""
    return to_local(value, zone).strftime(fmt)

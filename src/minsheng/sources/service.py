"""Sources: create, list with their health, enable or disable, and the schedule of fetches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.core.errors import Conflict, NotFound
from minsheng.core.settings import Settings
from minsheng.items.models import Item
from minsheng.sources.models import FETCHED_KINDS, Source, SourceKind, SourceTier
from minsheng.sources.schemas import SourceCreate

# A failing source waits interval × 2^failures, but the exponent stops growing here.
MAX_BACKOFF_EXPONENT = 10
ERROR_LENGTH = 1000


class UnknownSource(NotFound):
    default_message = "找不到该信息源"


def create_source(session: Session, *, data: SourceCreate, settings: Settings) -> Source:
    """Add a source; feeds are due at once."""
    if session.scalar(select(Source.id).where(Source.name == data.name)) is not None:
        raise Conflict(f"已有同名信息源：{data.name}")
    default_interval = (
        settings.source_key_interval_minutes
        if data.tier == SourceTier.key
        else settings.source_normal_interval_minutes
    )
    source = Source(
        name=data.name,
        kind=data.kind.value,
        url=data.url,
        tier=data.tier.value,
        interval_minutes=data.interval_minutes or default_interval,
        timeout_seconds=data.timeout_seconds or settings.fetch_timeout_seconds,
        max_bytes=(data.max_kb or settings.fetch_max_kb) * 1024,
        encoding=data.encoding,
        selector=data.selector if data.kind == SourceKind.html else None,
        max_articles=data.max_articles,
        follow_offsite=data.follow_offsite,
        is_enabled=True,
        consecutive_failures=0,
    )
    session.add(source)
    session.flush()
    return source


def get_source(session: Session, *, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None:
        raise UnknownSource()
    return source


def find_source(session: Session, *, name: str) -> Source | None:
    return session.scalar(select(Source).where(Source.name == name))


def ensure_source(session: Session, *, name: str, kind: SourceKind, settings: Settings) -> Source:
    """Return the named source, creating a push or import source on first use."""
    source = find_source(session, name=name)
    if source is None:
        source = create_source(session, data=SourceCreate(name=name, kind=kind), settings=settings)
    return source


def list_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.tier, Source.name)))


def recent_counts(session: Session, *, since: datetime) -> dict[int, int]:
    """Count the items each source brought in since a moment (the health page shows the last 24 hours)."""
    rows = session.execute(
        select(Item.source_id, func.count()).where(Item.fetched_at >= since).group_by(Item.source_id)
    )
    return {source_id: count for source_id, count in rows}


def set_enabled(session: Session, *, source: Source, enabled: bool, now: datetime) -> None:
    """Enable (due at once, failures forgotten) or disable a source."""
    source.is_enabled = enabled
    if enabled:
        source.consecutive_failures = 0
        source.disabled_reason = None
        source.next_due_at = now
    session.flush()


def articles_per_round(source: Source, *, settings: Settings) -> int:
    """Return how many articles a page source may fetch in one round."""
    return source.max_articles or settings.source_articles_per_round


def due_sources(session: Session, *, now: datetime) -> list[Source]:
    """Return the enabled feeds whose next fetch is due."""
    return list(
        session.scalars(
            select(Source)
            .where(
                Source.is_enabled.is_(True),
                Source.kind.in_([k.value for k in FETCHED_KINDS]),
                (Source.next_due_at.is_(None)) | (Source.next_due_at <= now),
            )
            .order_by(Source.tier, Source.next_due_at, Source.id)
        )
    )


def record_success(
    session: Session,
    *,
    source: Source,
    now: datetime,
    etag: str | None = None,
    last_modified: str | None = None,
    not_modified: bool = False,
) -> None:
    """Note a good fetch: keep the validators (unless 304) and schedule the next one at the interval."""
    source.last_fetched_at = now
    source.last_success_at = now
    source.consecutive_failures = 0
    if not not_modified:
        source.etag = etag[:512] if etag else None
        source.last_modified = last_modified[:128] if last_modified else None
    source.next_due_at = now + timedelta(minutes=source.interval_minutes)
    session.flush()


def record_failure(
    session: Session, *, source: Source, reason: str, now: datetime, settings: Settings
) -> None:
    """Note a failed fetch, back off exponentially, and disable the source after too many in a row."""
    source.last_fetched_at = now
    source.last_error_at = now
    source.last_error = reason[:ERROR_LENGTH]
    source.consecutive_failures += 1
    source.next_due_at = now + backoff(source, settings=settings)
    limit = settings.source_disable_after_failures
    if limit and source.consecutive_failures >= limit:
        source.is_enabled = False
        source.disabled_reason = f"连续失败 {source.consecutive_failures} 次，已自动停用"
    session.flush()


def backoff(source: Source, *, settings: Settings) -> timedelta:
    """Return the wait after the source's current run of failures: interval × 2^failures, capped."""
    exponent = min(source.consecutive_failures, MAX_BACKOFF_EXPONENT)
    minutes = min(source.interval_minutes * 2**exponent, settings.source_max_backoff_minutes)
    return timedelta(minutes=max(minutes, source.interval_minutes))


@dataclass(frozen=True)
class Health:
    """How a source is doing, as the sources page shows it."""

    level: str
    label: str


def health_of(source: Source) -> Health:
    """Sum a source's state up as a badge."""
    if not source.is_enabled:
        return Health("danger" if source.disabled_reason else "neutral", "已停用")
    if not source.is_fetched:
        return Health("ok", "接收中")
    if source.consecutive_failures:
        return Health("warn", f"连续失败 {source.consecutive_failures} 次")
    if source.last_success_at is None:
        return Health("neutral", "待抓取")
    return Health("ok", "正常")

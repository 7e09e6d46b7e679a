"""One ingest round: fetch every due feed (in parallel across hosts), read it, store and analyse its items."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.database import unit_of_work
from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.items.schemas import ItemIn
from minsheng.items.service import store_items
from minsheng.sources import service
from minsheng.sources.fetcher.feeds import FeedError, parse_jsonfeed, parse_rss
from minsheng.sources.fetcher.http import FetchError, FetchRequest, FetchResult, PoliteFetcher
from minsheng.sources.models import Source, SourceKind
from minsheng.text.analysis import TextEngine
from minsheng.text.engine_cache import EngineCache

log = logging.getLogger(__name__)


@dataclass
class SourceReport:
    """What one source's fetch came to; `error` is set when it failed."""

    source_id: int
    name: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_modified: bool = False
    error: str | None = None
    disabled: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        """Say in one line what happened to the source."""
        if self.error:
            tail = "；已自动停用" if self.disabled else ""
            return f"[失败] {self.name}: {self.error}{tail}"
        if self.not_modified:
            return f"[未变] {self.name}: 服务器返回 304，没有新内容"
        return f"[成功] {self.name}: 新增 {self.created}，更新 {self.updated}，重复 {self.unchanged}"


@dataclass(frozen=True)
class FetchPlan:
    """What one source's fetch needs, copied out of the session so no transaction spans the network."""

    source_id: int
    name: str
    request: FetchRequest


@dataclass(frozen=True)
class Fetched:
    """A fetch's outcome: the response, or why there is none."""

    source_id: int
    result: FetchResult | None = None
    error: str | None = None


def plan_round(session: Session, *, now: datetime) -> list[FetchPlan]:
    """List the due sources with their requests."""
    return [
        FetchPlan(
            source.id,
            source.name,
            FetchRequest(
                url=source.url or "",
                timeout_seconds=source.timeout_seconds,
                max_bytes=source.max_bytes,
                etag=source.etag,
                last_modified=source.last_modified,
            ),
        )
        for source in service.due_sources(session, now=now)
    ]


def _fetch_one(fetcher: PoliteFetcher, plan: FetchPlan) -> Fetched:
    try:
        return Fetched(plan.source_id, result=fetcher.fetch(plan.request))
    except FetchError as error:
        return Fetched(plan.source_id, error=str(error))
    except Exception as error:
        # Whatever goes wrong with one source must not stop the others; it is recorded, not raised.
        log.exception("fetching source %s failed", plan.source_id)
        return Fetched(plan.source_id, error=f"内部错误：{type(error).__name__}")


def fetch_all(
    plans: list[FetchPlan], *, settings: Settings, fetcher: PoliteFetcher | None = None
) -> list[Fetched]:
    """Fetch in parallel across hosts (the fetcher keeps each host to one request at a time)."""
    if not plans:
        return []
    own = fetcher is None
    fetcher = fetcher or PoliteFetcher(settings)
    try:
        workers = max(1, min(settings.fetch_concurrency, len(plans)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
            return list(pool.map(lambda plan: _fetch_one(fetcher, plan), plans))
    finally:
        if own:
            fetcher.close()


def parse_entries(source: Source, result: FetchResult) -> list[ItemIn]:
    """Read a fetched body with the parser of the source's kind."""
    parse = parse_jsonfeed if source.kind == SourceKind.jsonfeed else parse_rss
    return parse(result.content, content_type=result.content_type, override=source.encoding)


def store_round(
    session: Session, fetched: list[Fetched], *, settings: Settings, engine: TextEngine, now: datetime
) -> list[SourceReport]:
    """Store what was fetched and record each source's health."""
    reports = []
    for outcome in fetched:
        source = session.get(Source, outcome.source_id)
        if source is not None:
            reports.append(_store(session, source, outcome, settings=settings, engine=engine, now=now))
    return reports


def run_round(
    factory: sessionmaker[Session],
    *,
    settings: Settings,
    engines: EngineCache,
    fetcher: PoliteFetcher | None = None,
) -> list[SourceReport]:
    """Run one ingest round as two short units of work around the network phase.

    On SQLite a write transaction holds the database lock, so none may stay open while feeds download.
    """
    with unit_of_work(factory) as session:
        plans = plan_round(session, now=utcnow())
    fetched = fetch_all(plans, settings=settings, fetcher=fetcher)
    if not fetched:
        return []
    with unit_of_work(factory) as session:
        return store_round(session, fetched, settings=settings, engine=engines.get(session), now=utcnow())


def _store(
    session: Session,
    source: Source,
    fetched: Fetched,
    *,
    settings: Settings,
    engine: TextEngine,
    now: datetime,
) -> SourceReport:
    report = SourceReport(source.id, source.name)
    if fetched.error is not None or fetched.result is None:
        return _fail(session, source, report, fetched.error or "未知错误", settings=settings, now=now)
    result = fetched.result
    if result.not_modified:
        service.record_success(session, source=source, now=now, not_modified=True)
        report.not_modified = True
        return report
    try:
        entries = parse_entries(source, result)
    except FeedError as error:
        return _fail(session, source, report, str(error), settings=settings, now=now)
    try:
        with session.begin_nested():
            stored = store_items(session, source=source, items=entries, engine=engine, now=now)
    except Exception as error:
        log.exception("storing items of source %s failed", source.id)
        return _fail(session, source, report, f"保存失败：{type(error).__name__}", settings=settings, now=now)
    service.record_success(
        session, source=source, now=now, etag=result.etag, last_modified=result.last_modified
    )
    report.created, report.updated, report.unchanged = stored.created, stored.updated, stored.unchanged
    return report


def _fail(
    session: Session, source: Source, report: SourceReport, reason: str, *, settings: Settings, now: datetime
) -> SourceReport:
    service.record_failure(session, source=source, reason=reason, now=now, settings=settings)
    report.error = reason
    report.disabled = not source.is_enabled
    return report

"""One ingest round: fetch every due source (in parallel across hosts), read it, store and analyse its items.

Feeds (rss, jsonfeed) are one request each; page sources (sitemap, html) read their list and then their new
articles, up to a cap per round (`sources.crawl`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.database import unit_of_work
from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.events.clustering import cluster_stored
from minsheng.items.schemas import ItemIn
from minsheng.items.service import fetched_times, store_items
from minsheng.sources import service
from minsheng.sources.crawl import Crawl, CrawlPlan, CrawlState, StoredLookup, crawl
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
        line = f"[成功] {self.name}: 新增 {self.created}，更新 {self.updated}，重复 {self.unchanged}"
        return line + "".join(f"；{note}" for note in self.notes)


@dataclass(frozen=True)
class FetchPlan:
    """What one source's fetch needs, copied out of the session so no transaction spans the network."""

    source_id: int
    name: str
    request: FetchRequest
    crawl: CrawlPlan | None = None


@dataclass(frozen=True)
class Fetched:
    """A fetch's outcome: the response (and for page sources the articles read), or why there is none."""

    source_id: int
    result: FetchResult | None = None
    error: str | None = None
    crawl: Crawl | None = None


def plan_round(session: Session, *, now: datetime, settings: Settings) -> list[FetchPlan]:
    """List the due sources with their requests."""
    return [_plan(source, settings) for source in service.due_sources(session, now=now)]


def _plan(source: Source, settings: Settings) -> FetchPlan:
    crawl_plan = None
    conditional = True
    if source.is_page_source:
        state = CrawlState.load(source.crawl_state)
        # A backlog or articles to retry need the list even when it has not changed.
        conditional = not state.needs_full_list
        crawl_plan = CrawlPlan(
            kind=source.kind,
            cap=service.articles_per_round(source, settings=settings),
            max_files=settings.source_sitemap_max_files,
            timeout_seconds=source.timeout_seconds,
            max_bytes=source.max_bytes,
            selector=source.selector,
            follow_offsite=source.follow_offsite,
            encoding=source.encoding,
            state=state,
        )
    request = FetchRequest(
        url=source.url or "",
        timeout_seconds=source.timeout_seconds,
        max_bytes=source.max_bytes,
        etag=source.etag if conditional else None,
        last_modified=source.last_modified if conditional else None,
    )
    return FetchPlan(source.id, source.name, request, crawl_plan)


def stored_lookup(factory: sessionmaker[Session]) -> StoredLookup:
    """Look URL keys up in a short read-only session of their own (no write transaction spans the network)."""

    def lookup(keys: Sequence[str]) -> dict[str, datetime]:
        if not keys:
            return {}
        with factory() as session:
            return fetched_times(session, keys=keys)

    return lookup


def _fetch_one(fetcher: PoliteFetcher, plan: FetchPlan, lookup: StoredLookup | None = None) -> Fetched:
    try:
        if plan.crawl is not None:
            result, outcome = crawl(fetcher, plan.request, plan.crawl, lookup=lookup)
            return Fetched(plan.source_id, result=result, crawl=outcome)
        return Fetched(plan.source_id, result=fetcher.fetch(plan.request))
    except FeedError as error:
        return Fetched(plan.source_id, error=str(error))
    except FetchError as error:
        return Fetched(plan.source_id, error=str(error))
    except Exception as error:
        # Whatever goes wrong with one source must not stop the others; it is recorded, not raised.
        log.exception("fetching source %s failed", plan.source_id)
        return Fetched(plan.source_id, error=f"内部错误：{type(error).__name__}")


def fetch_all(
    plans: list[FetchPlan],
    *,
    settings: Settings,
    fetcher: PoliteFetcher | None = None,
    lookup: StoredLookup | None = None,
) -> list[Fetched]:
    """Fetch in parallel across hosts (the fetcher keeps each host to one request at a time)."""
    if not plans:
        return []
    own = fetcher is None
    fetcher = fetcher or PoliteFetcher(settings)
    try:
        workers = max(1, min(settings.fetch_concurrency, len(plans)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
            return list(pool.map(lambda plan: _fetch_one(fetcher, plan, lookup), plans))
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
        plans = plan_round(session, now=utcnow(), settings=settings)
    fetched = fetch_all(plans, settings=settings, fetcher=fetcher, lookup=stored_lookup(factory))
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
        entries = fetched.crawl.items if fetched.crawl is not None else parse_entries(source, result)
    except FeedError as error:
        return _fail(session, source, report, str(error), settings=settings, now=now)
    try:
        with session.begin_nested():
            stored = store_items(session, source=source, items=entries, engine=engine, now=now)
    except Exception as error:
        log.exception("storing items of source %s failed", source.id)
        return _fail(session, source, report, f"保存失败：{type(error).__name__}", settings=settings, now=now)
    cluster_stored(session, item_ids=stored.ids, now=now, settings=settings)
    service.record_success(
        session, source=source, now=now, etag=result.etag, last_modified=result.last_modified
    )
    if fetched.crawl is not None:
        source.crawl_state = fetched.crawl.state.dump()
        report.notes.extend(fetched.crawl.describe())
    report.created, report.updated, report.unchanged = stored.created, stored.updated, stored.unchanged
    return report


def _fail(
    session: Session, source: Source, report: SourceReport, reason: str, *, settings: Settings, now: datetime
) -> SourceReport:
    service.record_failure(session, source=source, reason=reason, now=now, settings=settings)
    report.error = reason
    report.disabled = not source.is_enabled
    return report

"""Crawl a page source: read its sitemap or list page, choose the new articles, fetch and extract them.

Runs in the network phase of a round, without a write transaction: what is already stored is asked through
a short read-only lookup, and what the crawler must remember (the sitemap watermark, the backlog, failed
articles) comes back in `Crawl.state` for the store phase to keep on the source.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from minsheng.core.timeutil import utcnow
from minsheng.items.canonical import canonical_url, url_key
from minsheng.items.schemas import ItemIn
from minsheng.sources.fetcher.article import (
    ExtractionError,
    decode_page,
    extract_article,
    find_links,
    same_site,
)
from minsheng.sources.fetcher.feeds import FeedError
from minsheng.sources.fetcher.http import FetchError, FetchRequest, FetchResult, PoliteFetcher
from minsheng.sources.fetcher.sitemap import SitemapEntry, parse_date, parse_sitemap
from minsheng.sources.models import SourceKind
from minsheng.text.normalize import BinaryContent

log = logging.getLogger(__name__)

# A failing article is tried in this many rounds at most; a permanent failure (404, robots.txt) only once.
MAX_ARTICLE_ATTEMPTS = 3
MAX_REMEMBERED_FAILURES = 500
MAX_REFRESHED = 5000
MAX_LINKS = 1000
MAX_SITEMAP_DEPTH = 3

# Given URL keys, return those already stored with the time each was first fetched.
StoredLookup = Callable[[Sequence[str]], dict[str, datetime]]


def _nothing_stored(keys: Sequence[str]) -> dict[str, datetime]:
    return {}


@dataclass
class CrawlState:
    """What a page source's crawler remembers between rounds (kept as JSON on the source).

    `watermark` is the newest sitemap date of the last round that left nothing behind: later rounds only
    consider entries dated after it. `pending` counts the articles left for later rounds by the per-round cap.
    `failures` maps URL keys to why their article failed and how often; `refreshed` holds the changed pages
    re-fetched while a backlog keeps the watermark in place, so that they are not fetched again each round.
    """

    watermark: datetime | None = None
    pending: int = 0
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)
    refreshed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, raw: dict[str, Any] | None) -> CrawlState:
        raw = raw or {}
        return cls(
            watermark=parse_date(raw.get("watermark")),
            pending=int(raw.get("pending") or 0),
            failures=dict(raw.get("failures") or {}),
            refreshed=dict(raw.get("refreshed") or {}),
        )

    def dump(self) -> dict[str, Any]:
        return {
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "pending": self.pending,
            "failures": self.failures,
            "refreshed": self.refreshed,
        }

    def is_given_up(self, key: str) -> bool:
        failure = self.failures.get(key)
        if not isinstance(failure, dict):
            return False
        return bool(failure.get("final")) or int(failure.get("attempts") or 0) >= MAX_ARTICLE_ATTEMPTS

    def retryable(self) -> list[tuple[str, str]]:
        """Return (key, url) of the failed articles worth another try."""
        return [
            (key, f["url"])
            for key, f in self.failures.items()
            if isinstance(f, dict) and f.get("url") and not self.is_given_up(key)
        ]

    @property
    def needs_full_list(self) -> bool:
        """Tell whether the list must be read even if unchanged (a backlog or retries are waiting)."""
        return self.pending > 0 or bool(self.retryable())


@dataclass(frozen=True)
class CrawlPlan:
    """A page source's settings, copied out of the session."""

    kind: str
    cap: int
    max_files: int
    timeout_seconds: float
    max_bytes: int
    selector: str | None = None
    follow_offsite: bool = False
    encoding: str | None = None
    state: CrawlState = field(default_factory=CrawlState)


@dataclass(frozen=True)
class ArticleFailure:
    url: str
    key: str
    reason: str
    permanent: bool


@dataclass
class Crawl:
    """A crawl's outcome: the articles as incoming items, failures, the backlog and the state to keep."""

    items: list[ItemIn]
    state: CrawlState
    failures: list[ArticleFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        """Say in a few short lines what did not come in this round, for the round's report."""
        lines = list(self.notes)
        if self.failures:
            first = self.failures[0]
            lines.append(f"文章读取失败 {len(self.failures)} 篇（如 {first.url}：{first.reason}）")
        if self.state.pending:
            lines.append(f"待抓取 {self.state.pending} 篇，下一轮继续")
        return lines


@dataclass(frozen=True)
class _Candidate:
    url: str
    key: str
    lastmod: datetime | None = None
    moment: datetime | None = None
    title: str | None = None
    news_published: datetime | None = None
    link_text: str = ""


class CrawlError(FeedError):
    """A list page or sitemap that gave nothing to crawl, with the reason in Chinese."""


def crawl(
    fetcher: PoliteFetcher,
    request: FetchRequest,
    plan: CrawlPlan,
    *,
    lookup: StoredLookup | None = None,
) -> tuple[FetchResult, Crawl | None]:
    """Fetch the list, then the new articles (at most the cap); `None` when the list answered 304."""
    result = fetcher.fetch(request)
    if result.not_modified:
        return result, None
    state = CrawlState(
        watermark=plan.state.watermark,
        failures=dict(plan.state.failures),
        refreshed=dict(plan.state.refreshed),
    )
    outcome = Crawl(items=[], state=state)
    if plan.kind == SourceKind.sitemap:
        candidates, complete, newest = _sitemap_candidates(fetcher, result, plan, outcome.notes)
    else:
        candidates, complete, newest = _list_candidates(result, plan), True, None
    chosen, pending = _choose(candidates, plan, lookup or _nothing_stored)
    fetched_keys = _fetch_articles(fetcher, chosen, plan, outcome)
    state.pending = pending
    now = utcnow().isoformat()
    for key in fetched_keys:
        state.failures.pop(key, None)
    for failure in outcome.failures:
        before = state.failures.get(failure.key, {})
        state.failures[failure.key] = {
            "url": failure.url,
            "reason": failure.reason[:300],
            "attempts": int(before.get("attempts", 0)) + 1,
            "final": failure.permanent,
            "at": now,
        }
    if len(state.failures) > MAX_REMEMBERED_FAILURES:
        newest_first = sorted(state.failures.items(), key=lambda f: str(f[1].get("at", "")), reverse=True)
        state.failures = dict(newest_first[:MAX_REMEMBERED_FAILURES])
    if plan.kind == SourceKind.sitemap:
        if complete and pending == 0:
            if newest and (state.watermark is None or newest > state.watermark):
                state.watermark = newest
            state.refreshed = {}
        else:
            state.refreshed.update(
                {c.key: c.lastmod.isoformat() for c in chosen if c.lastmod and c.key in fetched_keys}
            )
            state.refreshed = dict(list(state.refreshed.items())[-MAX_REFRESHED:])
    return result, outcome


def _sitemap_candidates(
    fetcher: PoliteFetcher, result: FetchResult, plan: CrawlPlan, notes: list[str]
) -> tuple[list[_Candidate], bool, datetime | None]:
    """Read the sitemap and the sitemaps it names (breadth first, up to the file cap)."""
    watermark = plan.state.watermark
    root = parse_sitemap(result.content, content_type=result.content_type, override=plan.encoding)
    entries: list[SitemapEntry] = list(root.entries)
    complete = not root.truncated
    queue = [(child, 1) for child in _newest_first(root.children)]
    read = {canonical_url(result.final_url)}
    files, skipped = 1, 0
    while queue:
        child, depth = queue.pop(0)
        if watermark and child.lastmod and child.lastmod <= watermark:
            continue  # unchanged since a round that read it completely
        address = canonical_url(child.url)
        if address in read or not (plan.follow_offsite or same_site(child.url, result.final_url)):
            continue
        if depth > MAX_SITEMAP_DEPTH or files >= plan.max_files:
            complete, skipped = False, skipped + 1
            continue
        read.add(address)
        files += 1
        try:
            fetched = fetcher.fetch(
                FetchRequest(url=child.url, timeout_seconds=plan.timeout_seconds, max_bytes=plan.max_bytes)
            )
            sitemap = parse_sitemap(
                fetched.content, content_type=fetched.content_type, override=plan.encoding
            )
        except (FetchError, FeedError) as error:
            complete = False
            notes.append(f"子 sitemap 读取失败：{child.url}（{error}）")
            continue
        complete = complete and not sitemap.truncated
        entries.extend(sitemap.entries)
        queue.extend((grandchild, depth + 1) for grandchild in _newest_first(sitemap.children))
    if skipped:
        notes.append(f"还有 {skipped} 个 sitemap 文件超出每轮上限，下一轮再读")
    moments = [e.moment for e in entries if e.moment]
    newest = max(moments) if moments else None
    candidates = []
    for entry in entries:
        if not (plan.follow_offsite or same_site(entry.url, result.final_url)):
            continue
        if watermark and entry.moment and entry.moment <= watermark:
            continue
        candidates.append(
            _Candidate(
                url=entry.url,
                key=url_key(canonical_url(entry.url)),
                lastmod=entry.lastmod,
                moment=entry.moment,
                title=entry.news_title,
                news_published=entry.news_published,
            )
        )
    return candidates, complete, newest


def _newest_first(children: list[SitemapEntry]) -> list[SitemapEntry]:
    dated = sorted((c for c in children if c.lastmod), key=lambda c: c.lastmod, reverse=True)  # type: ignore[arg-type, return-value]
    return [*dated, *(c for c in children if not c.lastmod)]


def _list_candidates(result: FetchResult, plan: CrawlPlan) -> list[_Candidate]:
    """Find the article links of an html list page."""
    try:
        page = decode_page(result.content, content_type=result.content_type, override=plan.encoding)
    except BinaryContent as error:
        raise CrawlError("列表页不是网页（二进制内容）") from error
    links = find_links(
        page.text,
        page_url=result.final_url,
        selector=plan.selector or "a[href]",
        follow_offsite=plan.follow_offsite,
        limit=MAX_LINKS,
    )
    if not links:
        raise CrawlError(f"选择器 {plan.selector} 在列表页上没有找到文章链接")
    return [
        _Candidate(url=link.url, key=url_key(canonical_url(link.url)), link_text=link.text) for link in links
    ]


def _choose(
    candidates: list[_Candidate], plan: CrawlPlan, lookup: StoredLookup
) -> tuple[list[_Candidate], int]:
    """Keep the articles not stored yet (or changed since), newest first; return the capped list, the rest."""
    state = plan.state
    unique: dict[str, _Candidate] = {}
    for candidate in candidates:
        if candidate.key not in unique and not state.is_given_up(candidate.key):
            unique[candidate.key] = candidate
    for key, url in state.retryable():
        unique.setdefault(key, _Candidate(url=url, key=key))
    stored = lookup(list(unique))
    fresh = []
    for candidate in unique.values():
        fetched_at = stored.get(candidate.key)
        if fetched_at is None:
            fresh.append(candidate)
        elif candidate.lastmod and candidate.lastmod > fetched_at:
            refreshed = parse_date(state.refreshed.get(candidate.key))
            if refreshed is None or refreshed < candidate.lastmod:
                fresh.append(candidate)
    if plan.kind == SourceKind.sitemap:
        # Newest first, so that a large backlog does not hold back today's articles; undated keep their order.
        dated = sorted((c for c in fresh if c.moment), key=lambda c: c.moment, reverse=True)  # type: ignore[arg-type, return-value]
        fresh = [*dated, *(c for c in fresh if not c.moment)]
    return fresh[: plan.cap], max(0, len(fresh) - plan.cap)


def _fetch_articles(
    fetcher: PoliteFetcher, chosen: list[_Candidate], plan: CrawlPlan, outcome: Crawl
) -> set[str]:
    """Fetch and extract each chosen article; one that fails is recorded and skipped."""
    done: set[str] = set()
    for candidate in chosen:
        try:
            result = fetcher.fetch(
                FetchRequest(
                    url=candidate.url, timeout_seconds=plan.timeout_seconds, max_bytes=plan.max_bytes
                )
            )
            article, _ = extract_article(
                result.content, url=result.final_url, content_type=result.content_type, override=plan.encoding
            )
            item = ItemIn(
                url=candidate.url,
                title=candidate.title or article.title or candidate.link_text,
                text=article.text,
                published_at=article.published_at
                or candidate.news_published
                or article.published_on
                or candidate.lastmod,
                author=article.author,
            )
        except FetchError as error:
            outcome.failures.append(ArticleFailure(candidate.url, candidate.key, str(error), error.permanent))
            continue
        except ExtractionError as error:
            outcome.failures.append(ArticleFailure(candidate.url, candidate.key, str(error), True))
            continue
        except ValidationError as error:
            reason = str(error.errors()[0]["msg"]).removeprefix("Value error, ")
            outcome.failures.append(ArticleFailure(candidate.url, candidate.key, reason, True))
            continue
        except Exception as error:
            # One article's surprise must not cost the source its round; it is recorded and tried again later.
            log.exception("article %s failed", candidate.url)
            outcome.failures.append(
                ArticleFailure(candidate.url, candidate.key, f"内部错误：{type(error).__name__}", False)
            )
            continue
        outcome.items.append(item)
        done.add(candidate.key)
    return done

"""A monitored public source (a feed, a push channel or an import) with its fetch state and health."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from minsheng.core.database import Base
from minsheng.core.models import TimestampMixin


class SourceKind(enum.StrEnum):
    """How items reach us from a source."""

    rss = "rss"
    jsonfeed = "jsonfeed"
    sitemap = "sitemap"
    html = "html"
    push = "push"
    upload = "import"


class SourceTier(enum.StrEnum):
    """重点 sources are polled more often and weigh more in alerts; 一般 ones are the rest."""

    key = "key"
    normal = "normal"


FETCHED_KINDS = (SourceKind.rss, SourceKind.jsonfeed, SourceKind.sitemap, SourceKind.html)
# Kinds whose list (a sitemap or a web page) only names articles, each fetched and extracted on its own.
PAGE_KINDS = (SourceKind.sitemap, SourceKind.html)
TIER_LABELS = {SourceTier.key: "重点", SourceTier.normal: "一般"}


class Source(TimestampMixin, Base):
    """A public source: feeds and pages (rss, jsonfeed, sitemap, html) are fetched, push and import sent."""

    __tablename__ = "source"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(2048))
    tier: Mapped[str] = mapped_column(String(16), default=SourceTier.normal.value, index=True)
    interval_minutes: Mapped[int] = mapped_column(default=30)
    timeout_seconds: Mapped[float] = mapped_column(Float, default=20.0)
    max_bytes: Mapped[int] = mapped_column(default=5 * 1024 * 1024)
    encoding: Mapped[str | None] = mapped_column(String(32))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Validators from the last 200 response, sent back so an unchanged feed costs a 304.
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    last_fetched_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    last_error_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    disabled_reason: Mapped[str | None] = mapped_column(String(256))
    # Page sources: the CSS selector of article links on an html list page, the most articles read per round
    # (empty: the setting), and whether links to other sites are followed.
    selector: Mapped[str | None] = mapped_column(String(256))
    max_articles: Mapped[int | None] = mapped_column()
    follow_offsite: Mapped[bool] = mapped_column(default=False)
    # What the crawler of a page source remembers between rounds (see sources.crawl.CrawlState).
    crawl_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    @property
    def is_fetched(self) -> bool:
        return self.kind in FETCHED_KINDS

    @property
    def is_page_source(self) -> bool:
        return self.kind in PAGE_KINDS

    @property
    def tier_label(self) -> str:
        return TIER_LABELS.get(SourceTier(self.tier), self.tier)

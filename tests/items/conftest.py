"""Items written straight into the table, without the text engine, for search tests."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from minsheng.core.timeutil import utcnow
from minsheng.items.canonical import canonical_url, url_key
from minsheng.items.models import Item
from minsheng.items.service import content_hash
from minsheng.sources.models import Source

_n = itertools.count(1)


def make_source(session: Session, *, name: str = "测试源", tier: str = "normal", kind: str = "rss") -> Source:
    source = Source(
        name=name,
        kind=kind,
        url="http://feed.example/rss" if kind == "rss" else None,
        tier=tier,
        interval_minutes=30,
        timeout_seconds=10,
        max_bytes=100_000,
        is_enabled=True,
        consecutive_failures=0,
    )
    session.add(source)
    session.flush()
    return source


def make_item(
    session: Session, source: Source, *, title: str, text: str = "", days_ago: int = 0, **fields
) -> Item:
    n = next(_n)
    url = f"http://news.example/{n}"
    moment = utcnow() - timedelta(days=days_ago)
    item = Item(
        source_id=source.id,
        external_id=str(n),
        url=url,
        canonical_url=canonical_url(url),
        url_key=url_key(canonical_url(url)),
        content_hash=content_hash(title, text),
        title=title,
        text=text,
        published_at=moment,
        fetched_at=moment,
        harm_signals=[],
        places=[],
        departments=fields.pop("departments", []),
        keywords=[],
        **fields,
    )
    session.add(item)
    session.flush()
    return item


@pytest.fixture
def source(session: Session) -> Source:
    made = make_source(session)
    session.commit()
    return made

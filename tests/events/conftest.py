"""Items stored through the real services and text engine (with the 聊城 gazetteer), then clustered."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from functools import lru_cache

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.core.timeutil import utcnow
from minsheng.events.cache import forget_states
from minsheng.events.clustering import ClusterReport, cluster_items
from minsheng.events.config import DEFAULT_CONFIG, ClusterConfig
from minsheng.items.models import Item
from minsheng.items.schemas import ItemIn
from minsheng.items.service import store_items
from minsheng.org.division import jurisdiction_entries
from minsheng.sources.models import Source
from minsheng.text.analysis import TextEngine
from minsheng.text.gazetteer import Gazetteer
from tests.events.stories import CHATTER, STORIES

_ids = itertools.count(1)


@lru_cache(maxsize=1)
def text_engine() -> TextEngine:
    """One engine for the whole run: building the gazetteer and segmenter takes a second or two."""
    return TextEngine(gazetteer=Gazetteer(regions=jurisdiction_entries("371500")))


@pytest.fixture(autouse=True)
def fresh_states() -> Iterator[None]:
    """Each test starts without any process state left by another test's database."""
    forget_states()
    yield
    forget_states()


def make_source(session: Session, name: str, *, tier: str = "normal") -> Source:
    source = Source(
        name=name,
        kind="push",
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


@pytest.fixture
def sources(session: Session) -> list[Source]:
    made = [
        make_source(session, "市新闻网", tier="key"),
        make_source(session, "网络问政"),
        make_source(session, "微博"),
    ]
    session.commit()
    return made


def post(title: str, text: str, *, at: datetime, ref: str | None = None) -> ItemIn:
    return ItemIn(id=ref or f"p{next(_ids)}", title=title, text=text, published_at=at)


def store(
    session: Session,
    source: Source,
    posts: Sequence[ItemIn],
    *,
    now: datetime | None = None,
    config: ClusterConfig = DEFAULT_CONFIG,
) -> tuple[list[Item], ClusterReport]:
    """Store posts for one source and cluster them, as the ingest path does."""
    now = now or utcnow()
    stored = store_items(session, source=source, items=posts, engine=text_engine(), now=now)
    items = list(session.scalars(select(Item).where(Item.id.in_(stored.ids)).order_by(Item.id)))
    return items, cluster_items(session, items, now=now, config=config)


def story_posts(name: str, *, start: datetime, step: timedelta = timedelta(hours=1)) -> list[ItemIn]:
    return [post(title, text, at=start + i * step) for i, (title, text) in enumerate(STORIES[name])]


def chatter_posts(*, at: datetime) -> list[ItemIn]:
    return [post(title, text, at=at) for title, text in CHATTER]


def event_of(session: Session, ref: str) -> int | None:
    return session.scalar(select(Item.event_id).where(Item.external_id == ref))

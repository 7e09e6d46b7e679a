"""Items and events written straight into the tables at chosen times, for the warning tests."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy.orm import Session

from minsheng.events.models import Event
from minsheng.items.models import Item
from minsheng.sources.models import Source

_n = itertools.count(1)


def add_items(
    session: Session,
    source: Source,
    *,
    at: datetime,
    count: int,
    title: str = "日常信息",
    keywords: list[str] | None = None,
    category: str | None = None,
    region_code: str | None = None,
    event: Event | None = None,
    sentiment: str = "neutral",
    text: str = "",
    harm_signals: list[str] | None = None,
    rumor_score: float | None = None,
) -> list[Item]:
    """Store `count` items published at `at` with the analysis fields given."""
    items = []
    for _ in range(count):
        n = next(_n)
        items.append(
            Item(
                source_id=source.id,
                external_id=f"w{n}",
                content_hash=f"{n:064d}",
                title=f"{title}{n}",
                text=text or title,
                published_at=at,
                fetched_at=at,
                category=category,
                sentiment=sentiment,
                region_code=region_code,
                harm_signals=harm_signals or [],
                rumor_score=rumor_score,
                places=[],
                departments=[],
                keywords=keywords or [],
                event_id=event.id if event else None,
            )
        )
    session.add_all(items)
    session.flush()
    return items


def make_event(session: Session, *, title: str, at: datetime, **fields) -> Event:
    event = Event(
        title=title,
        first_seen_at=fields.pop("first_seen_at", at),
        last_seen_at=at,
        keywords=fields.pop("keywords", []),
        places=fields.pop("places", []),
        harm_signals=fields.pop("harm_signals", []),
        sentiment_mix=fields.pop("sentiment_mix", {}),
        centroid={},
        **fields,
    )
    session.add(event)
    session.flush()
    return event

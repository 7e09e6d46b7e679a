"""An event's figures over time: volume by hour or day (local time) and sentiment, growth, top sources."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.core.i18n import translate
from minsheng.core.timeutil import to_local
from minsheng.events.figures import growth, hourly_counts
from minsheng.events.models import Event
from minsheng.items.models import Item
from minsheng.sources.models import Source
from minsheng.web.charts import PALETTE

# Spans up to this long are counted by hour, longer ones by day.
HOURLY_SPAN = timedelta(hours=72)
MAX_BUCKETS = 400
SENTIMENT_ORDER = ("negative", "neutral", "positive", "unknown")
SENTIMENT_LABELS = {"negative": "负面", "neutral": "中性", "positive": "正面", "unknown": "未判定"}
SENTIMENT_COLOURS = {"negative": "#e76f51", "neutral": "#8d99ae", "positive": "#2a9d8f", "unknown": "#ccd5e0"}


@dataclass
class VolumeSeries:
    """Items per bucket (local hours or days), split by sentiment."""

    unit: str
    labels: list[str] = field(default_factory=list)
    starts: list[datetime] = field(default_factory=list)
    counts: dict[str, list[int]] = field(default_factory=dict)

    @property
    def totals(self) -> list[int]:
        return [sum(column) for column in zip(*self.counts.values(), strict=True)] if self.counts else []

    def rows(self) -> list[tuple[str, int, int, int, int]]:
        """(label, total, negative, neutral, positive) per bucket, for tables."""
        empty = [0] * len(self.labels)
        return [
            (
                label,
                total,
                self.counts.get("negative", empty)[i],
                self.counts.get("neutral", empty)[i],
                self.counts.get("positive", empty)[i],
            )
            for i, (label, total) in enumerate(zip(self.labels, self.totals, strict=True))
        ]


def volume_series(session: Session, *, event: Event, timezone: str) -> VolumeSeries:
    """Count the event's items per local hour (spans up to 72 h) or per local day."""
    rows = session.execute(select(Item.published_at, Item.sentiment).where(Item.event_id == event.id)).all()
    if not rows:
        return VolumeSeries(unit="hour")
    moments = [to_local(moment, timezone) for moment, _ in rows]
    first, last = min(moments), max(moments)
    hourly = last - first <= HOURLY_SPAN
    step = timedelta(hours=1) if hourly else timedelta(days=1)

    def bucket(moment: datetime) -> datetime:
        start = moment.replace(minute=0, second=0, microsecond=0)
        return start if hourly else start.replace(hour=0)

    starts = []
    cursor = bucket(first)
    while cursor <= last and len(starts) < MAX_BUCKETS:
        starts.append(cursor)
        # Step in local wall time; Asia/Shanghai has no daylight saving.
        cursor = (cursor + step).replace(tzinfo=cursor.tzinfo)
    index = {start: i for i, start in enumerate(starts)}
    counts = {name: [0] * len(starts) for name in SENTIMENT_ORDER}
    for moment, (_, sentiment) in zip(moments, rows, strict=True):
        position = index.get(bucket(moment))
        if position is not None:
            counts[sentiment if sentiment in counts else "unknown"][position] += 1
    counts = {name: values for name, values in counts.items() if any(values)}
    labels = [start.strftime("%m-%d %H:00" if hourly else "%Y-%m-%d") for start in starts]
    return VolumeSeries(unit="hour" if hourly else "day", labels=labels, starts=starts, counts=counts)


def timeline_chart(series: VolumeSeries, *, locale: str) -> dict[str, Any]:
    """Stacked bars of volume per bucket by sentiment."""
    names = [name for name in SENTIMENT_ORDER if name in series.counts]
    return {
        "color": [SENTIMENT_COLOURS[name] for name in names],
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [translate(SENTIMENT_LABELS[n], locale) for n in names], "top": 0},
        "grid": {"left": 40, "right": 16, "top": 32, "bottom": 40},
        "xAxis": {"type": "category", "data": series.labels},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": translate(SENTIMENT_LABELS[name], locale),
                "type": "bar",
                "stack": "volume",
                "barMaxWidth": 28,
                "data": series.counts[name],
            }
            for name in names
        ],
    }


def hot_chart(events: Sequence[Event], *, now: datetime, timezone: str, locale: str) -> dict[str, Any]:
    """Lines of the hottest events' items per hour over the last 24 hours, from their tallies."""
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    labels = [to_local(start + timedelta(hours=h), timezone).strftime("%H:00") for h in range(24)]
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "top": 0},
        "grid": {"left": 40, "right": 16, "top": 32, "bottom": 30},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "minInterval": 1, "name": translate("条/小时", locale)},
        "series": [
            {
                "name": f"#{event.id} {event.title[:16]}",
                "type": "line",
                "symbolSize": 4,
                "data": hourly_counts(event, now=now),
            }
            for event in events
        ],
    }


def sparkline(counts: Sequence[int], *, width: int = 96, height: int = 24) -> str:
    """SVG polyline points for a small inline chart of counts (empty when all are zero)."""
    if not counts or not any(counts):
        return ""
    top = max(counts)
    step = width / max(1, len(counts) - 1)
    return " ".join(
        f"{i * step:.1f},{height - 1 - (value / top) * (height - 2):.1f}" for i, value in enumerate(counts)
    )


@dataclass(frozen=True)
class Growth:
    """Items in the last window against the window before it."""

    recent: int
    previous: int
    hours: int

    @property
    def ratio(self) -> float | None:
        return None if not self.previous else (self.recent - self.previous) / self.previous


def event_growth(event: Event, *, now: datetime, hours: int = 24) -> Growth:
    recent, previous = growth(event, now=now, hours=hours)
    return Growth(recent, previous, hours)


def top_sources(session: Session, *, event_id: int, limit: int = 8) -> list[tuple[str, str, int]]:
    """(source name, tier, items) of the sources contributing most to the event."""
    rows = session.execute(
        select(Source.name, Source.tier, func.count())
        .join(Item, Item.source_id == Source.id)
        .where(Item.event_id == event_id)
        .group_by(Source.id, Source.name, Source.tier)
        .order_by(func.count().desc(), Source.name)
        .limit(limit)
    )
    return [(name, tier, count) for name, tier, count in rows]


def sentiment_shares(event: Event) -> list[tuple[str, int, float]]:
    """(sentiment, items, share) in a fixed order, for the mix shown on pages and in reports."""
    mix = Counter(event.sentiment_mix or {})
    total = sum(mix.values()) or 1
    return [(name, mix[name], mix[name] / total) for name in SENTIMENT_ORDER if mix.get(name)]

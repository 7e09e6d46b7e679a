"""An event groups the items that speak of one happening, with the figures the hot list shows."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from minsheng.core.database import Base
from minsheng.core.models import TimestampMixin


class EventStatus(enum.StrEnum):
    """Active while items arrive; closed once quiet or by an analyst; merged when folded into another."""

    active = "active"
    closed = "closed"
    merged = "merged"


class Event(TimestampMixin, Base):
    """One happening, with counts kept up to date as items join it."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_status_last_seen", "status", "last_seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.active.value)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"region_code": ..., "name": ..., "count": n}], most mentioned first.
    places: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    harm_signals: Mapped[list[str]] = mapped_column(JSON, default=list)
    # {"positive": n, "neutral": n, "negative": n}
    sentiment_mix: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    first_seen_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime] = mapped_column()
    item_count: Mapped[int] = mapped_column(default=0)
    source_count: Mapped[int] = mapped_column(default=0)
    negative_count: Mapped[int] = mapped_column(default=0)
    key_tier_count: Mapped[int] = mapped_column(default=0)
    # Heat for the hot list: recent volume weighted by source tier and growth.
    heat: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    # Term weights of the items so far, compared with each new item when clustering.
    centroid: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    # Running counts that keep the figures above incremental: categories, sources, regions, places, harm
    # signals and hourly volumes ({"categories": {...}, "sources": {...}, "hours": {"2024050108": [n, w]}}).
    tallies: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The item that best represents the event (no foreign key: items point at events already).
    representative_item_id: Mapped[int | None] = mapped_column(Integer)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"))
    # The analyst's assessment (研判) and the level they judge, exported in the upward report.
    assessment: Mapped[str | None] = mapped_column(Text)
    assessment_level: Mapped[int | None] = mapped_column()
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    assessed_at: Mapped[datetime | None] = mapped_column()

"""Bursts found in the stream, warning rules, the alerts they raise, and saved searches that alert."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from minsheng.core.database import Base
from minsheng.core.models import TimestampMixin


class AlertLevel(enum.IntEnum):
    """预警等级: I (特别严重, red) is the most severe, IV (一般, blue) the least."""

    I = 1  # noqa: E741
    II = 2
    III = 3
    IV = 4


LEVEL_NAMES = {1: "Ⅰ级", 2: "Ⅱ级", 3: "Ⅲ级", 4: "Ⅳ级"}
LEVEL_COLOURS = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}


class AlertStatus(enum.StrEnum):
    new = "new"
    acknowledged = "acknowledged"
    closed = "closed"


class Delivery(enum.StrEnum):
    """When an alert goes out: at once, or collected into the hourly or the daily (08:00) digest."""

    immediate = "immediate"
    hourly = "hourly"
    daily = "daily"


class BurstKind(enum.StrEnum):
    event = "event"
    keyword = "keyword"
    category = "category"
    place = "place"


class Burst(Base):
    """A window in which one event, keyword, category or place drew far more items than its baseline."""

    __tablename__ = "burst"
    __table_args__ = (UniqueConstraint("kind", "key", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(200))
    window_start: Mapped[datetime] = mapped_column()
    window_end: Mapped[datetime] = mapped_column()
    observed: Mapped[int] = mapped_column()
    expected: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    detected_at: Mapped[datetime] = mapped_column(index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)


class WarningRule(TimestampMixin, Base):
    """An office's rule: when its conditions hold for an event (or a burst), raise an alert of its level."""

    __tablename__ = "warning_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[int] = mapped_column(default=AlertLevel.IV.value)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Conditions (all must hold), validated by the rule schema: categories, harm signals, in_jurisdiction,
    # region codes, source tier, query, min_items, min_growth, min_negative_share, window_minutes, burst.
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    delivery: Mapped[str] = mapped_column(String(16), default=Delivery.immediate.value)
    channel_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    cooldown_minutes: Mapped[int] = mapped_column(default=60)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class SavedSearch(TimestampMixin, Base):
    """A search a user keeps; with a level set, new matches raise an alert."""

    __tablename__ = "saved_search"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    query: Mapped[str] = mapped_column(String(200), default="")
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    alert_level: Mapped[int | None] = mapped_column()
    # Items up to this id have been checked, so each match alerts once.
    last_item_id: Mapped[int] = mapped_column(default=0)
    checked_at: Mapped[datetime | None] = mapped_column()


class Alert(TimestampMixin, Base):
    """A graded alert; one per rule and subject, raised again only after the rule's cool-down."""

    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_status_level", "status", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("warning_rule.id", ondelete="SET NULL"), index=True
    )
    saved_search_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_search.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"), index=True)
    # What the alert is about, for de-duplication: "event:12", "burst:keyword:停水", "search:3".
    subject_key: Mapped[str] = mapped_column(String(200), index=True)
    level: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.new.value)
    delivery: Mapped[str] = mapped_column(String(16), default=Delivery.immediate.value)
    first_triggered_at: Mapped[datetime] = mapped_column()
    last_triggered_at: Mapped[datetime] = mapped_column(index=True)
    trigger_count: Mapped[int] = mapped_column(default=1)
    # Set once the alert has gone out (at once or in a digest).
    notified_at: Mapped[datetime | None] = mapped_column(index=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    ack_note: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("work_case.id", ondelete="SET NULL"), index=True)

"""Configured notification channels and the log of every message sent through them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from minsheng.core.database import Base
from minsheng.core.models import TimestampMixin
from minsheng.core.timeutil import utcnow


class DeliveryStatus(enum.StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


class Channel(TimestampMixin, Base):
    """One destination: an SMTP mailbox list, a signed webhook, or a DingTalk/WeCom/Feishu robot."""

    __tablename__ = "notify_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Kind-specific settings (URL, recipients, signing secret); secrets are never shown back in full.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Only alerts of this level or more severe (I = 1) go through the channel.
    min_level: Mapped[int] = mapped_column(default=4)


class NotificationDelivery(Base):
    """One message to one channel, retried with back-off until sent or out of attempts."""

    __tablename__ = "notify_delivery"
    __table_args__ = (Index("ix_notify_delivery_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("notify_channel.id", ondelete="CASCADE"), index=True)
    # What the message is about, without a foreign key so alerts, digests and case reminders share the log.
    ref_type: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[int | None] = mapped_column()
    # Makes enqueueing idempotent: the same message to the same channel is logged once.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.pending.value)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    response_code: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column()

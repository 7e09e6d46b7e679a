"""Column mixins shared by the domain models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from minsheng.core.timeutil import utcnow


class TimestampMixin:
    """Creation and last-change times, kept in UTC."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

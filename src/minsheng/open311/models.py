"""Open311 API keys and what each Open311 submission carried beyond the case itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from minsheng.core.database import Base
from minsheng.core.timeutil import utcnow


class Open311Key(Base):
    """A key an Open311 client sends as `api_key` to submit requests; only its SHA-256 digest is stored."""

    __tablename__ = "open311_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Open311Request(Base):
    """The Open311 side of a case: the key that sent it, its token and the fields cases do not keep."""

    __tablename__ = "open311_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("work_case.id", ondelete="CASCADE"), unique=True)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("open311_key.id", ondelete="SET NULL"), index=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    address_id: Mapped[str | None] = mapped_column(String(64))
    media_url: Mapped[str | None] = mapped_column(String(500))
    device_id: Mapped[str | None] = mapped_column(String(128))
    account_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

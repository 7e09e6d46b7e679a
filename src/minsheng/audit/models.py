"""The audit log row; the application never updates or deletes one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from minsheng.audit import ddl, guards
from minsheng.core.database import Base
from minsheng.core.timeutil import utcnow


class AuditEntry(Base):
    """Who did what to which record, when, from where, with the state before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    # Gapless position in the hash chain, assigned under the append lock; ids may have gaps, seq may not.
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(64), index=True)
    entity_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


event.listen(AuditEntry.__table__, "after_create", ddl.on_table_created)
guards.install_orm_guards(AuditEntry, AuditEntry.__tablename__)

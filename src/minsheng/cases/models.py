"""Cases (工单) with their types, contact details, departments, timeline, routing rules and SLA policies."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minsheng.core.database import Base
from minsheng.core.models import TimestampMixin
from minsheng.core.timeutil import utcnow
from minsheng.org.models import Department


class CaseType(Base):
    """A kind of case with its own fields, public visibility and intake rules (投诉, 举报, 数据泄露 ...)."""

    __tablename__ = "case_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    # Field definitions: [{"code", "label", "kind": text|number|choice|date, "required", "choices"}].
    fields: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    is_public: Mapped[bool] = mapped_column(default=True)
    allows_anonymous: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)


class Case(TimestampMixin, Base):
    """One piece of follow-up work, from arrival to the citizen's rating."""

    __tablename__ = "work_case"
    __table_args__ = (
        Index("ix_case_status_lead", "status", "lead_department_id"),
        Index("ix_case_resolve_due", "resolve_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_no: Mapped[str] = mapped_column(String(16), unique=True)
    query_code_hash: Mapped[str | None] = mapped_column(String(64))
    type_id: Mapped[int] = mapped_column(ForeignKey("case_type.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), index=True)
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    place_text: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    attributes: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # Suggestions computed on arrival: {"departments": [...], "categories": [...], "duplicates": [...]}.
    suggestions: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # MinHash fingerprint of title and description, compared when later cases arrive.
    text_signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    external_id: Mapped[str | None] = mapped_column(String(64))
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("work_case.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    accepted_at: Mapped[datetime | None] = mapped_column()
    assigned_at: Mapped[datetime | None] = mapped_column()
    signed_at: Mapped[datetime | None] = mapped_column()
    replied_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    sign_for_due_at: Mapped[datetime | None] = mapped_column()
    response_due_at: Mapped[datetime | None] = mapped_column()
    resolve_due_at: Mapped[datetime | None] = mapped_column()
    paused_at: Mapped[datetime | None] = mapped_column()
    # Guards that make the deadline sweep idempotent: each automatic step happens once per assignment.
    reminded_at: Mapped[datetime | None] = mapped_column()
    sign_urged_at: Mapped[datetime | None] = mapped_column()
    overdue_at: Mapped[datetime | None] = mapped_column()
    paused_seconds: Mapped[float] = mapped_column(default=0.0)
    extension_days_requested: Mapped[int | None] = mapped_column()
    extension_reason: Mapped[str | None] = mapped_column(Text)
    supervision_level: Mapped[int] = mapped_column(default=0)
    urge_count: Mapped[int] = mapped_column(default=0)
    return_count: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)
    public_reply: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    satisfaction_note: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    case_type: Mapped[CaseType] = relationship(lazy="raise")
    lead_department: Mapped[Department | None] = relationship(lazy="raise")


class CaseContact(Base):
    """The complainant's personal data, kept apart so that every read of it is deliberate and audited."""

    __tablename__ = "case_contact"

    case_id: Mapped[int] = mapped_column(ForeignKey("work_case.id", ondelete="CASCADE"), primary_key=True)
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(255))
    id_number: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(255))
    wants_reply: Mapped[bool] = mapped_column(default=True)


class CasePartner(Base):
    """A partner department (配合单位) working a case alongside its lead department."""

    __tablename__ = "case_partner"
    __table_args__ = (UniqueConstraint("case_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("work_case.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)

    department: Mapped[Department] = relationship(lazy="raise")


class CaseEvent(Base):
    """One step of a case's timeline; public steps are what the citizen sees."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("work_case.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    public_note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoutingRule(TimestampMixin, Base):
    """An office-maintained rule sending a category, place or keyword to a department."""

    __tablename__ = "routing_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # category | region | keyword
    pattern: Mapped[str] = mapped_column(String(128))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), index=True)
    priority: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    department: Mapped[Department] = relationship(lazy="raise")


class SlaPolicy(TimestampMixin, Base):
    """Deadlines for a case type, optionally narrowed by category and priority; the most specific wins."""

    __tablename__ = "sla_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("case_type.id", ondelete="CASCADE"), index=True)
    category: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[str | None] = mapped_column(String(8))
    sign_for_hours: Mapped[float] = mapped_column(default=2.0)
    response_hours: Mapped[float] = mapped_column(default=8.0)
    resolve_days: Mapped[int] = mapped_column(default=5)
    remind_before_hours: Mapped[float] = mapped_column(default=4.0)


class CalendarDay(Base):
    """An office's own entry for a day: a holiday or a make-up working day the packaged calendar lacks."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column()
    note: Mapped[str] = mapped_column(String(64), default="")


class CaseAttachment(Base):
    """A file attached to a case; the bytes live under the data directory, addressed by their SHA-256."""

    __tablename__ = "case_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("work_case.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    is_public: Mapped[bool] = mapped_column(default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

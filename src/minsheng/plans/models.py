"""Confirmed plans with their tasks (each run as a case), indicators, measurements and progress reports."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minsheng.core.database import Base
from minsheng.core.models import TimestampMixin
from minsheng.core.timeutil import utcnow
from minsheng.org.models import Department


class Plan(TimestampMixin, Base):
    """A policy document whose tasks and targets the office follows (规划、方案、实施意见)."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    authority: Mapped[str | None] = mapped_column(String(128))
    doc_number: Mapped[str | None] = mapped_column(String(64))
    signed_on: Mapped[date | None] = mapped_column(Date)
    published_on: Mapped[date | None] = mapped_column(Date)
    source_name: Mapped[str] = mapped_column(String(200), default="")
    # The text as read, kept so offsets and quotes can be shown against the document later.
    text: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class PlanTask(Base):
    """An assigned task of a plan, run as a 督办任务 case led by its lead unit."""

    __tablename__ = "plan_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    task_no: Mapped[str] = mapped_column(String(32), default="")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    section: Mapped[str] = mapped_column(String(200), default="")
    # Unit names as written in the document: {"lead": [...], "partner": [...]}.
    unit_names: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    lead_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    deadline: Mapped[date | None] = mapped_column(Date)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("work_case.id", ondelete="SET NULL"), unique=True)

    lead_department: Mapped[Department] = relationship(lazy="raise")


class PlanTaskPartner(Base):
    """A partner unit (配合单位) of a plan task."""

    __tablename__ = "plan_task_partner"
    __table_args__ = (UniqueConstraint("task_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)


class Indicator(TimestampMixin, Base):
    """A numeric target of a plan (到2020年固定宽带家庭普及率达到70%) and how it is assessed."""

    __tablename__ = "plan_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    comparator: Mapped[str] = mapped_column(String(4), default=">=")
    target_value: Mapped[float] = mapped_column()
    unit: Mapped[str] = mapped_column(String(32), default="")
    target_year: Mapped[int | None] = mapped_column()
    per_year: Mapped[bool] = mapped_column(default=False)
    is_growth: Mapped[bool] = mapped_column(default=False)
    quote: Mapped[str] = mapped_column(Text, default="")
    baseline_value: Mapped[float | None] = mapped_column()
    baseline_on: Mapped[date | None] = mapped_column(Date)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    status_override: Mapped[str | None] = mapped_column(String(16))
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    override_at: Mapped[datetime | None] = mapped_column()

    department: Mapped[Department | None] = relationship(lazy="raise")


class Measurement(Base):
    """One reported value of an indicator on a date."""

    __tablename__ = "plan_measurement"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("plan_indicator.id", ondelete="CASCADE"), index=True)
    measured_on: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProgressReport(Base):
    """A department's periodic account of its work on a task (进展情况)."""

    __tablename__ = "plan_progress_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppraisalRule(TimestampMixin, Base):
    """How a plan's departments are scored (考核): component weights, deductions and the reporting cycle."""

    __tablename__ = "plan_appraisal_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), unique=True)
    on_time_weight: Mapped[int] = mapped_column(default=40)
    target_weight: Mapped[int] = mapped_column(default=30)
    report_weight: Mapped[int] = mapped_column(default=30)
    overdue_deduction: Mapped[float] = mapped_column(default=2.0)
    supervision_deduction: Mapped[float] = mapped_column(default=1.0)
    deduction_cap: Mapped[float] = mapped_column(default=20.0)
    report_cycle: Mapped[str] = mapped_column(String(8), default="quarter")
    report_grace_days: Mapped[int] = mapped_column(default=10)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

"""The `job` table: the durable queue used on SQLite (procrastinate keeps its own tables on PostgreSQL)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from minsheng.core.database import Base
from minsheng.core.timeutil import utcnow


class JobStatus(enum.StrEnum):
    """Where a job is in its life; the names match procrastinate's so both backends report alike."""

    todo = "todo"
    doing = "doing"
    succeeded = "succeeded"
    failed = "failed"


class JobRecord(Base):
    """One deferred run of a task, with its retry state and the heartbeat of the worker running it."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status_run_at", "status", "run_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    task_name: Mapped[str] = mapped_column(String(128), index=True)
    queue: Mapped[str] = mapped_column(String(64), default="default")
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.todo)
    priority: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    unique_key: Mapped[str | None] = mapped_column(String(255))
    # Holds unique_key only while the job waits or runs, so the unique index guards active jobs alone.
    active_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    # "<task>@<tick>" for periodic jobs: one job per tick however many workers schedule it.
    schedule_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    worker_id: Mapped[str | None] = mapped_column(String(128))
    heartbeat_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)

"""The queue interface both backends implement, and the choice between them."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from minsheng.core.settings import Settings
from minsheng.jobs.registry import TaskFunc, TaskSpec, encode_arguments, get_spec, resolve_unique_key


@dataclass(frozen=True)
class JobInfo:
    """A job as stored: enough to show its state or to assert on it in a test."""

    id: int
    task_name: str
    queue: str
    status: str
    # Runs that have ended, as procrastinate counts them: a job that succeeded first time shows 1.
    attempts: int
    args: dict[str, Any]
    run_at: datetime | None


class JobQueue(abc.ABC):
    """Defer, inspect and maintain jobs on one database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def defer(
        self,
        name_or_func: str | TaskFunc,
        *,
        unique_key: str | None = None,
        run_at: datetime | None = None,
        queue: str | None = None,
        session: Session | None = None,
        **kwargs: Any,
    ) -> int | None:
        """Queue a job; return its id, or None when a job with the same unique key waits or runs.

        Given a `session`, the job is written in that session's transaction and appears only if it commits.
        """
        spec = get_spec(name_or_func)
        args = encode_arguments(spec, kwargs)
        key = resolve_unique_key(spec, unique_key, args)
        return self._enqueue(
            spec, args=args, key=key, run_at=run_at, queue=queue or spec.queue, session=session
        )

    @abc.abstractmethod
    def _enqueue(
        self,
        spec: TaskSpec,
        *,
        args: dict[str, Any],
        key: str | None,
        run_at: datetime | None,
        queue: str,
        session: Session | None,
    ) -> int | None:
        """Store a validated job in the backend; None when the unique key is taken."""

    @abc.abstractmethod
    def get(self, job_id: int) -> JobInfo | None:
        """Return a job by id, or None."""

    @abc.abstractmethod
    def list_jobs(self, *, task_name: str | None = None) -> list[JobInfo]:
        """Return jobs, oldest first, optionally of one task."""

    @abc.abstractmethod
    def recover_stalled(self) -> int:
        """Re-queue (or fail, once out of retries) running jobs whose worker stopped sending heartbeats."""

    @abc.abstractmethod
    def prune(self, *, older_than: timedelta) -> int:
        """Delete succeeded and failed jobs that finished longer ago than `older_than`; return how many."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections held by the queue."""


def make_queue(settings: Settings) -> JobQueue:
    """Return the queue for the configured database: the `job` table on SQLite, else procrastinate."""
    if settings.is_sqlite:
        from minsheng.jobs.local_queue import LocalQueue

        return LocalQueue(settings)
    from minsheng.jobs.postgres import PostgresQueue

    return PostgresQueue(settings)

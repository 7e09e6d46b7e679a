"""The SQLite queue: jobs are rows of the `job` table, claimed atomically under SQLite's single write lock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from minsheng.core.database import make_engine, make_sessionmaker, unit_of_work
from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.jobs.models import JobRecord, JobStatus
from minsheng.jobs.queue import JobInfo, JobQueue
from minsheng.jobs.registry import (
    TICK_ARGUMENT,
    TaskSpec,
    UnknownTask,
    get_spec,
    resolve_unique_key,
)

ERROR_MAX_CHARS = 4000


@dataclass(frozen=True)
class ClaimedJob:
    """A job a worker has taken: what it needs to run it."""

    id: int
    task_name: str
    args: dict[str, Any]
    attempts: int


def _info(row: JobRecord) -> JobInfo:
    return JobInfo(
        id=row.id,
        task_name=row.task_name,
        queue=row.queue,
        status=row.status,
        attempts=row.attempts,
        args=row.args,
        run_at=row.run_at,
    )


class LocalQueue(JobQueue):
    """Jobs in the `job` table; safe for several worker processes on one SQLite file."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.engine = make_engine(settings.resolved_database_url)
        self.session_factory = make_sessionmaker(self.engine)

    def close(self) -> None:
        """Dispose of the engine's connections."""
        self.engine.dispose()

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
        """Insert a waiting job unless an active job holds the same unique key."""
        values = {
            "task_name": spec.name,
            "queue": queue,
            "args": args,
            "priority": spec.priority,
            "run_at": run_at or utcnow(),
            "unique_key": key,
            "active_key": key,
        }
        return self._insert(values, session)

    def enqueue_tick(self, spec: TaskSpec, tick: int) -> int | None:
        """Insert the job of one periodic tick; None when that tick (or an active run) is already queued."""
        return self._insert(
            {
                "task_name": spec.name,
                "queue": spec.queue,
                "args": {TICK_ARGUMENT: tick},
                "priority": spec.priority,
                "run_at": utcnow(),
                "unique_key": resolve_unique_key(spec, None, {}),
                "active_key": resolve_unique_key(spec, None, {}),
                "schedule_key": f"{spec.name}@{tick}",
            },
            None,
        )

    def _insert(self, values: dict[str, Any], session: Session | None) -> int | None:
        statement = insert(JobRecord).values(**values).on_conflict_do_nothing().returning(JobRecord.id)
        if session is not None:
            return session.execute(statement).scalar_one_or_none()
        with unit_of_work(self.session_factory) as own:
            return own.execute(statement).scalar_one_or_none()

    def get(self, job_id: int) -> JobInfo | None:
        """Return a job by id, or None."""
        with self.session_factory() as session:
            row = session.get(JobRecord, job_id)
            return _info(row) if row else None

    def list_jobs(self, *, task_name: str | None = None) -> list[JobInfo]:
        """Return jobs, oldest first, optionally of one task."""
        query = select(JobRecord).order_by(JobRecord.id)
        if task_name is not None:
            query = query.where(JobRecord.task_name == task_name)
        with self.session_factory() as session:
            return [_info(row) for row in session.scalars(query)]

    def claim(self, worker_id: str, queues: Iterable[str] | None = None) -> ClaimedJob | None:
        """Mark the most urgent due job as running by this worker and return it, in one statement."""
        now = utcnow()
        candidate = (
            select(JobRecord.id)
            .where(JobRecord.status == JobStatus.todo, JobRecord.run_at <= now)
            .order_by(JobRecord.priority.desc(), JobRecord.run_at, JobRecord.id)
            .limit(1)
        )
        if queues:
            candidate = candidate.where(JobRecord.queue.in_(list(queues)))
        statement = (
            update(JobRecord)
            .where(JobRecord.id == candidate.scalar_subquery(), JobRecord.status == JobStatus.todo)
            .values(status=JobStatus.doing, worker_id=worker_id, heartbeat_at=now, started_at=now)
            .returning(JobRecord.id, JobRecord.task_name, JobRecord.args, JobRecord.attempts)
        )
        with unit_of_work(self.session_factory) as session:
            row = session.execute(statement).first()
        if row is None:
            return None
        return ClaimedJob(id=row.id, task_name=row.task_name, args=row.args, attempts=row.attempts)

    def heartbeat(self, worker_id: str) -> None:
        """Refresh the heartbeat of every job this worker is running."""
        with unit_of_work(self.session_factory) as session:
            session.execute(
                update(JobRecord)
                .where(JobRecord.worker_id == worker_id, JobRecord.status == JobStatus.doing)
                .values(heartbeat_at=utcnow())
            )

    def succeed(self, job_id: int, worker_id: str) -> bool:
        """Record a finished run; False if the job was meanwhile taken from this worker as stalled."""
        return self._finish(job_id, JobRecord.worker_id == worker_id, status=JobStatus.succeeded, error=None)

    def fail(self, job: ClaimedJob, worker_id: str, *, error: str) -> bool:
        """Record a failed run: schedule a retry with backoff, or fail the job once out of retries."""
        try:
            spec: TaskSpec | None = get_spec(job.task_name)
        except UnknownTask:
            spec = None
        owner = JobRecord.worker_id == worker_id
        if spec is not None and spec.should_retry(job.attempts):
            run_at = utcnow() + spec.backoff(job.attempts)
            return self._requeue(job.id, owner, run_at=run_at, error=error)
        return self._finish(job.id, owner, status=JobStatus.failed, error=error)

    def _finish(
        self, job_id: int, owner: ColumnElement[bool], *, status: JobStatus, error: str | None
    ) -> bool:
        statement = (
            update(JobRecord)
            .where(JobRecord.id == job_id, JobRecord.status == JobStatus.doing, owner)
            .values(
                status=status,
                attempts=JobRecord.attempts + 1,
                finished_at=utcnow(),
                active_key=None,
                last_error=_trim(error),
            )
        )
        with unit_of_work(self.session_factory) as session:
            return session.execute(statement).rowcount == 1

    def _requeue(self, job_id: int, owner: ColumnElement[bool], *, run_at: datetime, error: str) -> bool:
        statement = (
            update(JobRecord)
            .where(JobRecord.id == job_id, JobRecord.status == JobStatus.doing, owner)
            .values(
                status=JobStatus.todo,
                attempts=JobRecord.attempts + 1,
                run_at=run_at,
                worker_id=None,
                heartbeat_at=None,
                last_error=_trim(error),
            )
        )
        with unit_of_work(self.session_factory) as session:
            return session.execute(statement).rowcount == 1

    def recover_stalled(self) -> int:
        """Re-queue running jobs without a heartbeat for `jobs_stalled_seconds`; fail those out of retries."""
        cutoff = utcnow() - timedelta(seconds=self.settings.jobs_stalled_seconds)
        query = select(JobRecord.id, JobRecord.task_name, JobRecord.attempts).where(
            JobRecord.status == JobStatus.doing, JobRecord.heartbeat_at < cutoff
        )
        with self.session_factory() as session:
            stalled = session.execute(query).all()
        recovered = 0
        for job_id, task_name, attempts in stalled:
            error = "worker stopped sending heartbeats"
            try:
                retry = get_spec(task_name).should_retry(attempts)
            except UnknownTask:
                retry = False
            # Re-check the heartbeat in the update: a slow worker may have reported in since the select.
            still_stalled = JobRecord.heartbeat_at < cutoff
            if retry:
                recovered += self._requeue(job_id, still_stalled, run_at=utcnow(), error=error)
            else:
                self._finish(job_id, still_stalled, status=JobStatus.failed, error=error)
        return recovered

    def prune(self, *, older_than: timedelta) -> int:
        """Delete succeeded and failed jobs that finished before the retention window."""
        statement = delete(JobRecord).where(
            JobRecord.status.in_([JobStatus.succeeded, JobStatus.failed]),
            JobRecord.finished_at < utcnow() - older_than,
        )
        with unit_of_work(self.session_factory) as session:
            return session.execute(statement).rowcount


def _trim(error: str | None) -> str | None:
    return error[-ERROR_MAX_CHARS:] if error else error

"""The PostgreSQL backend: procrastinate's tables, locks, heartbeats and periodic deferrer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from croniter import croniter
from procrastinate import App, PsycopgConnector, sql
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException
from procrastinate.schema import SchemaManager
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.jobs.queue import JobInfo, JobQueue
from minsheng.jobs.registry import TaskSpec, UnknownTask, get_spec

# Serialises concurrent schema installs (several hosts running `minsheng db upgrade` at once).
SCHEMA_LOCK_ID = 0x6D696E7368656E67

JOB_COLUMNS = "id, task_name, queue_name, status, attempts, args, scheduled_at"
GET_JOB = f"SELECT {JOB_COLUMNS} FROM procrastinate_jobs WHERE id = %(job_id)s"  # noqa: S608
LIST_JOBS = (
    f"SELECT {JOB_COLUMNS} FROM procrastinate_jobs"  # noqa: S608
    " WHERE %(task_name)s::varchar IS NULL OR task_name = %(task_name)s ORDER BY id"
)
IS_RUNNING = "SELECT 1 AS running FROM procrastinate_jobs WHERE queueing_lock = %(key)s AND status = 'doing'"
# Like procrastinate's delete_old_jobs, but returns what it deleted.
PRUNE_JOBS = """
DELETE FROM procrastinate_jobs AS job
 WHERE job.status IN ('succeeded', 'failed')
   AND NOT EXISTS (SELECT 1 FROM procrastinate_events AS event
                    WHERE event.job_id = job.id AND event.at >= NOW() - %(age)s)
RETURNING job.id
"""


def conninfo(url: str) -> str:
    """Turn a SQLAlchemy `postgresql+psycopg://` URL into a libpq connection URI."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def install_schema(settings: Settings) -> bool:
    """Create procrastinate's tables and functions unless present; return whether it created them."""
    with psycopg.connect(conninfo(settings.resolved_database_url)) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_ID,))
        row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
        if row is not None and row[0] is not None:
            return False
        conn.execute(SchemaManager.get_schema())
    return True


def make_app(settings: Settings, *, max_pool_size: int = 4) -> App:
    """Build an unopened procrastinate app on the configured database."""
    connector = PsycopgConnector(
        conninfo=conninfo(settings.resolved_database_url), min_size=1, max_size=max_pool_size
    )
    return App(connector=connector)


def use_local_time(app: App, settings: Settings) -> None:
    """Evaluate the app's cron schedules in the office's time zone instead of procrastinate's UTC."""
    zone = ZoneInfo(settings.timezone)
    for periodic_task in app.periodic_registry.periodic_tasks.values():
        # PeriodicTask is a frozen attrs class that caches its croniter; a zone-aware one keeps local time.
        object.__setattr__(periodic_task, "croniter", croniter(periodic_task.cron, datetime.now(zone)))


def _info(row: dict[str, Any]) -> JobInfo:
    return JobInfo(
        id=row["id"],
        task_name=row["task_name"],
        queue=row["queue_name"],
        status=row["status"],
        attempts=row["attempts"],
        args=row["args"],
        run_at=row["scheduled_at"],
    )


class PostgresQueue(JobQueue):
    """Jobs in procrastinate's tables, deferred and inspected over a small synchronous pool."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.app = make_app(settings).open()
        self.db = self.app.connector.get_sync_connector()

    def close(self) -> None:
        """Close the connection pool."""
        self.app.close()

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
        """Insert a procrastinate job; a unique key becomes both its queueing lock and its lock."""
        # The queueing lock only covers waiting jobs; the lock keeps a second run from overlapping.
        if key is not None and self.db.execute_query_all(query=IS_RUNNING, key=key):
            return None
        options: dict[str, Any] = {
            "queue": queue,
            "priority": spec.priority,
            "lock": key,
            "queueing_lock": key,
            "schedule_at": run_at,
        }
        try:
            if session is None:
                return self.app.configure_task(spec.name, **options).defer(**args)
            with session.begin_nested():
                connection = session.connection().connection.driver_connection
                return self.app.configure_task(spec.name, connection=connection, **options).defer(**args)
        except AlreadyEnqueued:
            return None

    def get(self, job_id: int) -> JobInfo | None:
        """Return a job by id, or None."""
        rows = self.db.execute_query_all(query=GET_JOB, job_id=job_id)
        return _info(rows[0]) if rows else None

    def list_jobs(self, *, task_name: str | None = None) -> list[JobInfo]:
        """Return jobs, oldest first, optionally of one task."""
        return [_info(row) for row in self.db.execute_query_all(query=LIST_JOBS, task_name=task_name)]

    def recover_stalled(self) -> int:
        """Retry (or fail, once out of retries) jobs of workers silent for `jobs_stalled_seconds`."""
        seconds = self.settings.jobs_stalled_seconds
        rows = self.db.execute_query_all(
            query=sql.queries["select_stalled_jobs_by_heartbeat"],
            queue=None,
            task_name=None,
            seconds_since_heartbeat=seconds,
        )
        recovered = 0
        for row in rows:
            try:
                retry = get_spec(row["task_name"]).should_retry(row["attempts"])
            except UnknownTask:
                retry = False
            try:
                if retry:
                    self.app.job_manager.retry_job_by_id(job_id=row["id"], retry_at=utcnow())
                    recovered += 1
                else:
                    self.db.execute_query(
                        query=sql.queries["finish_job"], job_id=row["id"], status="failed", delete_job=False
                    )
            except ConnectorException:
                # Another worker recovered it first.
                continue
        self.db.execute_query_all(query=sql.queries["prune_stalled_workers"], seconds_since_heartbeat=seconds)
        return recovered

    def prune(self, *, older_than: timedelta) -> int:
        """Delete succeeded and failed jobs whose last event is older than `older_than`."""
        return len(self.db.execute_query_all(query=PRUNE_JOBS, age=older_than))

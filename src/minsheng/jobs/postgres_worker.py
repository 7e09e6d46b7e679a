"""A procrastinate worker running the registered task specs on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from procrastinate import App, BaseRetryStrategy, RetryDecision
from procrastinate import JobContext as ProcrastinateContext
from procrastinate.jobs import Job
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.database import make_engine, make_sessionmaker
from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.jobs.builtin import RECOVER_TASK
from minsheng.jobs.postgres import PostgresQueue, make_app, use_local_time
from minsheng.jobs.registry import TaskSpec, all_specs
from minsheng.jobs.runtime import heartbeat_interval, run_job

EXTRA_POOL_CONNECTIONS = 4


class SpecRetry(BaseRetryStrategy):
    """Retry with the spec's exponential backoff, the same policy the SQLite worker applies."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        """Return when to run the job again, or None once out of retries."""
        if not self.spec.should_retry(job.attempts):
            return None
        retry_at: datetime = utcnow() + self.spec.backoff(job.attempts)
        return RetryDecision(retry_at=retry_at)


def recovery_cron(stalled_seconds: int) -> str:
    """Return a cron (seconds as a sixth field when needed) that checks for stalled jobs twice per timeout."""
    interval = max(1, stalled_seconds // 2)
    if interval < 60:
        return f"* * * * * */{interval}"
    return f"*/{min(59, interval // 60)} * * * *"


def build_worker_app(
    settings: Settings, *, queue: PostgresQueue, session_factory: sessionmaker[Session], pool_size: int
) -> App:
    """Build a procrastinate app with a task per registered spec, their schedules and stalled-job recovery."""
    app = make_app(settings, max_pool_size=pool_size)
    for spec in all_specs():
        periodic = spec.cron is not None or spec.name == RECOVER_TASK
        registered = app.task(
            name=spec.name,
            queue=spec.queue,
            priority=spec.priority,
            retry=SpecRetry(spec),
            pass_context=True,
        )(_bind(spec, settings=settings, queue=queue, session_factory=session_factory, periodic=periodic))
        if spec.cron is not None:
            app.periodic(cron=spec.cron, queueing_lock=spec.name, lock=spec.name)(registered)
        elif spec.name == RECOVER_TASK:
            cron = recovery_cron(settings.jobs_stalled_seconds)
            app.periodic(cron=cron, queueing_lock=spec.name)(registered)
    use_local_time(app, settings)
    return app


def _bind(
    spec: TaskSpec,
    *,
    settings: Settings,
    queue: PostgresQueue,
    session_factory: sessionmaker[Session],
    periodic: bool,
) -> Any:
    def run(context: ProcrastinateContext, **kwargs: Any) -> Any:
        assert context.job.id is not None
        return run_job(
            spec,
            kwargs,
            job_id=context.job.id,
            attempts=context.job.attempts,
            settings=settings,
            session_factory=session_factory,
            queue=queue,
            periodic=periodic,
        )

    run.__name__ = run.__qualname__ = spec.func.__name__
    run.__module__ = spec.func.__module__
    return run


def run_postgres_worker(
    settings: Settings, *, concurrency: int, queues: list[str] | None, burst: bool, name: str
) -> None:
    """Run a procrastinate worker until a signal arrives, or until the queues drain in burst mode."""
    engine = make_engine(settings.resolved_database_url)
    queue = PostgresQueue(settings)
    try:
        app = build_worker_app(
            settings,
            queue=queue,
            session_factory=make_sessionmaker(engine),
            pool_size=concurrency + EXTRA_POOL_CONNECTIONS,
        )
        app.run_worker(
            queues=queues,
            concurrency=concurrency,
            wait=not burst,
            name=name,
            fetch_job_polling_interval=settings.jobs_poll_seconds,
            abort_job_polling_interval=max(settings.jobs_poll_seconds, 5.0),
            update_heartbeat_interval=heartbeat_interval(settings),
            stalled_worker_timeout=settings.jobs_stalled_seconds,
        )
    finally:
        queue.close()
        engine.dispose()

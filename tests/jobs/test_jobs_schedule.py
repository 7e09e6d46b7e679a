"""Periodic schedules: one job per tick however many workers schedule it, in the office's time zone."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from procrastinate.periodic import PeriodicDeferrer

from minsheng.core.database import make_engine, make_sessionmaker
from minsheng.core.settings import Settings
from minsheng.jobs import JobQueue
from minsheng.jobs.local_queue import LocalQueue
from minsheng.jobs.local_worker import PeriodicScheduler
from minsheng.jobs.postgres import PostgresQueue
from minsheng.jobs.postgres_worker import build_worker_app

SHANGHAI = ZoneInfo("Asia/Shanghai")
JUST_AFTER_THREE = datetime(2026, 3, 2, 3, 5, tzinfo=SHANGHAI)
THREE = int(JUST_AFTER_THREE.replace(minute=0).timestamp())
NEXT_THREE = THREE + 24 * 3600


def _defer_postgres_tick(settings: Settings, queue: PostgresQueue, at: datetime) -> None:
    """Act as one more worker's periodic deferrer at time `at`."""
    engine = make_engine(settings.resolved_database_url)
    app = build_worker_app(settings, queue=queue, session_factory=make_sessionmaker(engine), pool_size=2)

    async def defer() -> None:
        async with app.open_async():
            deferrer = PeriodicDeferrer(registry=app.periodic_registry)
            periodic_task = app.periodic_registry.periodic_tasks[("test.nightly", "")]
            ticks = list(deferrer.get_timestamps(periodic_task, since=None, until=at.timestamp()))
            await deferrer.defer_jobs([(periodic_task, tick) for tick in ticks])

    asyncio.run(defer())
    engine.dispose()


def _tick(queue: JobQueue, at: datetime) -> None:
    if isinstance(queue, LocalQueue):
        scheduler = PeriodicScheduler(queue, "Asia/Shanghai")
        scheduler.run_due(at)
    else:
        assert isinstance(queue, PostgresQueue)
        _defer_postgres_tick(queue.settings, queue, at)


def test_each_tick_is_queued_once_in_local_time(queue: JobQueue) -> None:
    _tick(queue, JUST_AFTER_THREE)
    _tick(queue, JUST_AFTER_THREE)
    jobs = queue.list_jobs(task_name="test.nightly")
    assert [job.args for job in jobs] == [{"timestamp": THREE}]


def test_next_tick_gets_its_own_job(queue: JobQueue) -> None:
    _tick(queue, JUST_AFTER_THREE)
    with queue_drained(queue):
        _tick(queue, JUST_AFTER_THREE + timedelta(days=1))
    ticks = [job.args["timestamp"] for job in queue.list_jobs(task_name="test.nightly")]
    assert ticks == [THREE, NEXT_THREE]


def test_a_tick_missed_by_long_is_skipped(queue: JobQueue) -> None:
    _tick(queue, JUST_AFTER_THREE + timedelta(hours=1))
    assert queue.list_jobs(task_name="test.nightly") == []


def test_scheduler_catches_up_on_ticks_while_running(queue: JobQueue) -> None:
    if not isinstance(queue, LocalQueue):
        return
    scheduler = PeriodicScheduler(queue, "Asia/Shanghai")
    scheduler.run_due(JUST_AFTER_THREE)
    with queue_drained(queue):
        scheduler.run_due(JUST_AFTER_THREE + timedelta(days=2))
    ticks = [job.args["timestamp"] for job in queue.list_jobs(task_name="test.nightly")]
    assert ticks == [THREE, NEXT_THREE, NEXT_THREE + 24 * 3600]


class queue_drained:  # noqa: N801
    """Finish the waiting nightly jobs first, so the next tick is not held back by an active one."""

    def __init__(self, queue: JobQueue) -> None:
        self.queue = queue

    def __enter__(self) -> None:
        from sqlalchemy import text

        if isinstance(self.queue, LocalQueue):
            statement = "UPDATE job SET status = 'succeeded', active_key = NULL WHERE task_name = 'test.nightly'"
            with self.queue.engine.begin() as conn:
                conn.execute(text(statement))
        else:
            statement = "UPDATE procrastinate_jobs SET status = 'succeeded' WHERE task_name = 'test.nightly'"
            engine = make_engine(self.queue.settings.resolved_database_url)
            with engine.begin() as conn:
                conn.execute(text(statement))
            engine.dispose()

    def __exit__(self, *exc: object) -> None:
        return None

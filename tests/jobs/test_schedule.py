"""Periodic schedules: one job per tick however many workers schedule it, in the office's time zone."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from procrastinate.periodic import PeriodicDeferrer
from sqlalchemy import text

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


def _defer_postgres_tick(settings: Settings, queue: PostgresQueue, at: datetime, since: int | None) -> None:
    """Act as one more worker's periodic deferrer at time `at`."""
    engine = make_engine(settings.resolved_database_url)
    app = build_worker_app(settings, queue=queue, session_factory=make_sessionmaker(engine), pool_size=2)

    async def defer() -> None:
        async with app.open_async():
            deferrer = PeriodicDeferrer(registry=app.periodic_registry)
            periodic_task = app.periodic_registry.periodic_tasks[("test.nightly", "")]
            ticks = list(deferrer.get_timestamps(periodic_task, since=since, until=at.timestamp()))
            await deferrer.defer_jobs([(periodic_task, tick) for tick in ticks])

    asyncio.run(defer())
    engine.dispose()


def _tick(queue: JobQueue, at: datetime, since: int | None = None) -> None:
    """Run one worker's scheduler at `at`, as if it had last scheduled the tick `since`."""
    if isinstance(queue, LocalQueue):
        scheduler = PeriodicScheduler(queue, "Asia/Shanghai")
        if since is not None:
            scheduler.last_ticks["test.nightly"] = since
        scheduler.run_due(at)
    else:
        assert isinstance(queue, PostgresQueue)
        _defer_postgres_tick(queue.settings, queue, at, since)


def _finish_nightly_jobs(queue: JobQueue) -> None:
    table = "job" if isinstance(queue, LocalQueue) else "procrastinate_jobs"
    active_key = ", active_key = NULL" if isinstance(queue, LocalQueue) else ""
    statement = f"UPDATE {table} SET status = 'succeeded'{active_key} WHERE task_name = 'test.nightly'"
    engine = make_engine(queue.settings.resolved_database_url)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def test_each_tick_is_queued_once_in_local_time(queue: JobQueue) -> None:
    _tick(queue, JUST_AFTER_THREE)
    _tick(queue, JUST_AFTER_THREE)
    jobs = queue.list_jobs(task_name="test.nightly")
    assert [job.args for job in jobs] == [{"timestamp": THREE}]


def test_next_tick_gets_its_own_job(queue: JobQueue) -> None:
    _tick(queue, JUST_AFTER_THREE)
    _finish_nightly_jobs(queue)
    _tick(queue, JUST_AFTER_THREE + timedelta(days=1), since=THREE)
    ticks = [job.args["timestamp"] for job in queue.list_jobs(task_name="test.nightly")]
    assert ticks == [THREE, NEXT_THREE]


def test_a_tick_missed_by_long_is_skipped(queue: JobQueue) -> None:
    _tick(queue, JUST_AFTER_THREE + timedelta(hours=1))
    assert queue.list_jobs(task_name="test.nightly") == []


def test_ticks_do_not_pile_up_behind_a_waiting_run(queue: JobQueue) -> None:
    _tick(queue, JUST_AFTER_THREE + timedelta(days=2), since=THREE)
    ticks = [job.args["timestamp"] for job in queue.list_jobs(task_name="test.nightly")]
    assert ticks == [NEXT_THREE]

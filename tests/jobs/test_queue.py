"""Defer, unique keys, retries with backoff, stalled recovery and pruning, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from minsheng.core.settings import Settings
from minsheng.jobs import InvalidJobArguments, JobQueue, UnknownTask
from minsheng.jobs.postgres import install_schema
from minsheng.jobs.worker import run_worker
from tests.jobs.sample_tasks import echo, read_marks


def drain(settings: Settings) -> None:
    run_worker(settings, burst=True)


def test_defer_stores_a_waiting_job(queue: JobQueue, marker_dir: Path) -> None:
    job_id = queue.defer("test.echo", marker_dir=str(marker_dir), text="你好")
    assert job_id is not None
    job = queue.get(job_id)
    assert job is not None
    assert (job.task_name, job.queue, job.status, job.attempts) == ("test.echo", "default", "todo", 0)
    assert job.args == {"marker_dir": str(marker_dir), "text": "你好"}


def test_worker_runs_a_deferred_job_once(queue: JobQueue, job_settings: Settings, marker_dir: Path) -> None:
    job_id = queue.defer(echo, marker_dir=str(marker_dir), text="a")
    drain(job_settings)
    drain(job_settings)
    assert read_marks(marker_dir, "echo") == [f"{job_id}:1:a"]
    assert queue.get(job_id).status == "succeeded"


def test_run_at_in_the_future_waits(queue: JobQueue, job_settings: Settings, marker_dir: Path) -> None:
    job_id = queue.defer(echo, run_at=datetime.now(UTC) + timedelta(hours=1), marker_dir=str(marker_dir))
    drain(job_settings)
    assert queue.get(job_id).status == "todo"
    assert read_marks(marker_dir, "echo") == []


def test_unknown_task_and_bad_arguments_are_refused(queue: JobQueue, marker_dir: Path) -> None:
    with pytest.raises(UnknownTask):
        queue.defer("test.no_such_task")
    with pytest.raises(InvalidJobArguments):
        queue.defer("test.echo", marker_dir=str(marker_dir), text=object())
    with pytest.raises(InvalidJobArguments):
        queue.defer("test.echo", marker_dir=str(marker_dir), colour="red")
    assert queue.list_jobs() == []


def test_unique_key_refuses_a_second_waiting_job(queue: JobQueue, job_settings: Settings) -> None:
    first = queue.defer("test.unique", region="371502")
    assert first is not None
    assert queue.defer("test.unique", region="371502") is None
    assert queue.defer("test.unique", region="371503") is not None
    assert queue.defer("test.echo", unique_key="k", marker_dir="/nonexistent") is not None
    assert queue.defer("test.echo", unique_key="k", marker_dir="/elsewhere") is None
    drain(job_settings)
    assert queue.get(first).status == "succeeded"
    assert queue.defer("test.unique", region="371502") is not None


def test_failed_job_is_retried_until_it_succeeds(
    queue: JobQueue, job_settings: Settings, marker_dir: Path
) -> None:
    job_id = queue.defer("test.flaky", marker_dir=str(marker_dir), fail_times=2)
    for _ in range(40):
        drain(job_settings)
        if queue.get(job_id).status == "succeeded":
            break
    job = queue.get(job_id)
    assert (job.status, job.attempts) == ("succeeded", 3)
    assert read_marks(marker_dir, "flaky") == ["1", "2", "3"]


def test_retry_waits_for_its_backoff(queue: JobQueue, job_settings: Settings) -> None:
    job_id = queue.defer("test.always_fails")
    before = datetime.now(UTC)
    drain(job_settings)
    job = queue.get(job_id)
    assert (job.status, job.attempts) == ("todo", 1)
    assert timedelta(seconds=55) < job.run_at - before < timedelta(seconds=65)
    drain(job_settings)
    assert queue.get(job_id).status == "todo"


def test_job_out_of_retries_fails(queue: JobQueue, job_settings: Settings) -> None:
    job_id = queue.defer("test.no_retry")
    drain(job_settings)
    job = queue.get(job_id)
    assert (job.status, job.attempts) == ("failed", 1)


def test_defer_in_a_session_follows_its_transaction(queue: JobQueue, session: Session) -> None:
    session.connection()
    rolled_back = queue.defer("test.unique", region="a", session=session)
    assert rolled_back is not None
    session.rollback()
    assert queue.get(rolled_back) is None
    kept = queue.defer("test.unique", region="b", session=session)
    assert queue.defer("test.unique", region="b", session=session) is None
    session.commit()
    assert queue.get(kept).status == "todo"


def _make_stalled(queue: JobQueue, engine: Engine, job_id: int) -> None:
    """Put a job in the state a killed worker leaves behind: running, with an old heartbeat."""
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    with engine.begin() as conn:
        if queue.settings.is_sqlite:
            conn.execute(
                text("UPDATE job SET status = 'doing', worker_id = 'dead', heartbeat_at = :t WHERE id = :id"),
                {"t": long_ago, "id": job_id},
            )
        else:
            worker = conn.execute(
                text("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (:t) RETURNING id"),
                {"t": long_ago},
            ).scalar_one()
            conn.execute(
                text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w WHERE id = :id"),
                {"w": worker, "id": job_id},
            )


def test_stalled_job_is_requeued_or_failed(queue: JobQueue, engine: Engine, marker_dir: Path) -> None:
    retried = queue.defer("test.echo", marker_dir=str(marker_dir))
    exhausted = queue.defer("test.no_retry")
    live = queue.defer("test.echo", marker_dir=str(marker_dir), text="live")
    for job_id in (retried, exhausted):
        _make_stalled(queue, engine, job_id)
    assert queue.recover_stalled() == 1
    assert (queue.get(retried).status, queue.get(retried).attempts) == ("todo", 1)
    assert (queue.get(exhausted).status, queue.get(exhausted).attempts) == ("failed", 1)
    assert queue.get(live).status == "todo"
    assert queue.recover_stalled() == 0


def test_nightly_prune_deletes_old_finished_jobs_only(
    queue: JobQueue, job_settings: Settings, engine: Engine, marker_dir: Path
) -> None:
    old = queue.defer("test.echo", marker_dir=str(marker_dir), text="old")
    drain(job_settings)
    recent = queue.defer("test.echo", marker_dir=str(marker_dir), text="recent")
    drain(job_settings)
    waiting = queue.defer("test.echo", run_at=datetime.now(UTC) + timedelta(days=30), marker_dir="x")
    assert queue.prune(older_than=timedelta(days=7)) == 0
    long_ago = datetime.now(UTC) - timedelta(days=8)
    with engine.begin() as conn:
        if job_settings.is_sqlite:
            conn.execute(text("UPDATE job SET finished_at = :t WHERE id = :id"), {"t": long_ago, "id": old})
        else:
            conn.execute(
                text("UPDATE procrastinate_events SET at = :t WHERE job_id = :id"), {"t": long_ago, "id": old}
            )
    assert queue.defer("jobs.prune") is not None
    assert queue.defer("jobs.prune") is None
    drain(job_settings)
    assert queue.get(old) is None
    assert queue.get(recent).status == "succeeded"
    assert queue.get(waiting).status == "todo"


def test_install_schema_is_idempotent(postgres_engine: Engine, tmp_path: Path) -> None:
    url = postgres_engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, data_dir=tmp_path)
    install_schema(settings)
    assert install_schema(settings) is False
    with postgres_engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None


def test_job_of_a_removed_task_fails(queue: JobQueue, job_settings: Settings, engine: Engine) -> None:
    with engine.begin() as conn:
        if job_settings.is_sqlite:
            job_id = conn.execute(
                text(
                    "INSERT INTO job (task_name, queue, args, status, priority, attempts, run_at, created_at)"
                    " VALUES ('test.removed', 'default', '{}', 'todo', 0, 0, :t, :t) RETURNING id"
                ),
                {"t": datetime.now(UTC)},
            ).scalar_one()
        else:
            job_id = conn.execute(
                text(
                    "INSERT INTO procrastinate_jobs (queue_name, task_name, args)"
                    " VALUES ('default', 'test.removed', '{}') RETURNING id"
                )
            ).scalar_one()
    drain(job_settings)
    assert queue.get(job_id).status == "failed"

"""Fixtures for the job tests: fast timeouts, the test task module and a clean queue on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from minsheng.core.settings import Settings
from minsheng.jobs import JobQueue, make_queue
from minsheng.jobs.postgres import install_schema
from tests.jobs import sample_tasks

SAMPLE_MODULE = sample_tasks.__name__
STALLED_SECONDS = 2
POLL_SECONDS = 0.2
PROCRASTINATE_TABLES = (
    "procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, procrastinate_workers"
)


@pytest.fixture
def job_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "jobs_stalled_seconds": STALLED_SECONDS,
            "jobs_poll_seconds": POLL_SECONDS,
            "job_modules": [SAMPLE_MODULE],
        }
    )


@pytest.fixture
def queue(job_settings: Settings, engine: Engine) -> Iterator[JobQueue]:
    """A queue on an empty database; on PostgreSQL with procrastinate's schema and no leftover jobs."""
    if not job_settings.is_sqlite:
        install_schema(job_settings)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {PROCRASTINATE_TABLES} RESTART IDENTITY CASCADE"))
    job_queue = make_queue(job_settings)
    yield job_queue
    job_queue.close()


@pytest.fixture
def marker_dir(tmp_path: Path) -> Path:
    path = tmp_path / "markers"
    path.mkdir()
    return path

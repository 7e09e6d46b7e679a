"""Worker processes: the in-process worker, `minsheng worker --burst`, and recovery after a SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from minsheng.core.settings import Settings
from minsheng.jobs import JobQueue
from minsheng.jobs.worker import start_inprocess_worker
from tests.jobs import sample_tasks
from tests.jobs.sample_tasks import read_marks

WAIT_SECONDS = 30.0
REPO_ROOT = Path(sample_tasks.__file__).resolve().parents[2]
Spawn = Callable[..., subprocess.Popen[bytes]]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def spawn_worker(job_settings: Settings, tmp_path: Path) -> Iterator[Spawn]:
    """Start `minsheng worker` processes on the test database; kill whatever is left at teardown."""
    processes: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "MINSHENG_DATABASE_URL": job_settings.resolved_database_url,
        "MINSHENG_DATA_DIR": str(job_settings.data_dir),
        "MINSHENG_JOBS_STALLED_SECONDS": str(job_settings.jobs_stalled_seconds),
        "MINSHENG_JOBS_POLL_SECONDS": str(job_settings.jobs_poll_seconds),
        "MINSHENG_JOB_MODULES": json.dumps(job_settings.job_modules),
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
    }

    def spawn(*args: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker-{len(processes)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "minsheng.cli", "worker", *args],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        return process

    yield spawn
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_inprocess_worker_runs_jobs_until_stopped(
    queue: JobQueue, job_settings: Settings, marker_dir: Path
) -> None:
    if not job_settings.is_sqlite:
        with pytest.raises(ValueError, match="SQLite"):
            start_inprocess_worker(job_settings)
        return
    handle = start_inprocess_worker(job_settings)
    try:
        job_id = queue.defer("test.echo", marker_dir=str(marker_dir), text="inprocess")
        wait_for(lambda: queue.get(job_id).status == "succeeded", "the in-process worker")
    finally:
        handle.stop()
    assert not handle.thread.is_alive()
    assert read_marks(marker_dir, "echo") == [f"{job_id}:1:inprocess"]


@pytest.mark.slow
def test_burst_worker_drains_the_queue_and_exits(
    queue: JobQueue, spawn_worker: Spawn, marker_dir: Path
) -> None:
    ids = [queue.defer("test.echo", marker_dir=str(marker_dir), text=str(n)) for n in range(3)]
    worker = spawn_worker("--burst", "--concurrency", "2")
    assert worker.wait(timeout=WAIT_SECONDS) == 0
    assert [queue.get(job_id).status for job_id in ids] == ["succeeded"] * 3
    assert sorted(read_marks(marker_dir, "echo")) == sorted(f"{i}:1:{n}" for n, i in enumerate(ids))


@pytest.mark.slow
def test_job_of_a_killed_worker_finishes_exactly_once(
    queue: JobQueue, job_settings: Settings, spawn_worker: Spawn, marker_dir: Path
) -> None:
    job_id = queue.defer("test.slow", marker_dir=str(marker_dir))
    first = spawn_worker()
    wait_for(lambda: read_marks(marker_dir, "started") == ["1"], "the first worker to start the job")

    # While the first worker lives, its heartbeats keep the job from being taken as stalled.
    time.sleep(job_settings.jobs_stalled_seconds * 1.5)
    assert queue.recover_stalled() == 0
    assert queue.get(job_id).status == "doing"

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    (marker_dir / "release").touch()
    second = spawn_worker()
    wait_for(lambda: queue.get(job_id).status == "succeeded", "the second worker to finish the job")

    assert read_marks(marker_dir, "started") == ["1", "2"]
    assert read_marks(marker_dir, "finished") == ["2"]
    assert queue.get(job_id).attempts == 2
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=WAIT_SECONDS) == 0

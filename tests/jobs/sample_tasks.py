"""Tasks used by the job tests; workers spawned by the tests import this module through `job_modules`."""

from __future__ import annotations

import time
from pathlib import Path

from minsheng.jobs import JobContext, periodic, task


def _mark(marker_dir: str, name: str, line: str) -> None:
    with (Path(marker_dir) / name).open("a") as handle:
        handle.write(line + "\n")


def read_marks(marker_dir: Path, name: str) -> list[str]:
    path = marker_dir / name
    return path.read_text().splitlines() if path.exists() else []


@task(name="test.echo")
def echo(ctx: JobContext, marker_dir: str, text: str = "") -> None:
    _mark(marker_dir, "echo", f"{ctx.job_id}:{ctx.attempt}:{text}")


@task(name="test.flaky", retries=3, backoff_seconds=0.05)
def flaky(ctx: JobContext, marker_dir: str, fail_times: int) -> None:
    _mark(marker_dir, "flaky", str(ctx.attempt))
    if ctx.attempt <= fail_times:
        raise RuntimeError(f"attempt {ctx.attempt} fails on purpose")


@task(name="test.always_fails", retries=1, backoff_seconds=60)
def always_fails(ctx: JobContext) -> None:
    raise RuntimeError("fails on purpose")


@task(name="test.no_retry", retries=0)
def no_retry(ctx: JobContext) -> None:
    raise RuntimeError("fails on purpose")


@task(name="test.unique", unique=True)
def unique(ctx: JobContext, region: str) -> None:
    del ctx, region


@task(name="test.slow", retries=2, backoff_seconds=0.1)
def slow(ctx: JobContext, marker_dir: str, hold_seconds: float = 30.0) -> None:
    _mark(marker_dir, "started", str(ctx.attempt))
    deadline = time.monotonic() + hold_seconds
    while not (Path(marker_dir) / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    _mark(marker_dir, "finished", str(ctx.attempt))


@periodic(cron="0 3 * * *", name="test.nightly")
def nightly(ctx: JobContext) -> str:
    return ctx.tick.isoformat() if ctx.tick else ""

"""What both workers share: building a task's context and calling its function."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.settings import Settings
from minsheng.jobs.queue import JobQueue
from minsheng.jobs.registry import JobContext, TaskSpec, split_tick

HEARTBEATS_PER_STALL = 4


def heartbeat_interval(settings: Settings) -> float:
    """Return the seconds between heartbeats: four fit in the stall timeout, so one late beat is harmless."""
    return max(0.2, settings.jobs_stalled_seconds / HEARTBEATS_PER_STALL)


def run_job(
    spec: TaskSpec,
    args: dict[str, Any],
    *,
    job_id: int,
    attempts: int,
    settings: Settings,
    session_factory: sessionmaker[Session],
    queue: JobQueue,
    periodic: bool | None = None,
) -> Any:
    """Call a task's function with its context and stored arguments."""
    kwargs, tick = split_tick(args, periodic=spec.cron is not None if periodic is None else periodic)
    context = JobContext(
        settings=settings,
        session_factory=session_factory,
        queue=queue,
        job_id=job_id,
        attempt=attempts + 1,
        tick=tick,
    )
    return spec.func(context, **kwargs)

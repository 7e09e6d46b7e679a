"""Tasks the job system runs for itself: pruning finished jobs and, on PostgreSQL, recovering stalled ones."""

from __future__ import annotations

from datetime import timedelta

from minsheng.jobs.registry import JobContext, periodic, task

PRUNE_TASK = "jobs.prune"
RECOVER_TASK = "jobs.recover_stalled"


@periodic(cron="30 3 * * *", name=PRUNE_TASK)
def prune_finished_jobs(ctx: JobContext) -> int:
    """Delete finished jobs older than the retention period."""
    return ctx.queue.prune(older_than=timedelta(days=ctx.settings.jobs_retention_days))


@task(name=RECOVER_TASK, retries=0)
def recover_stalled_jobs(ctx: JobContext) -> int:
    """Give the jobs of dead workers back to the queue."""
    return ctx.queue.recover_stalled()

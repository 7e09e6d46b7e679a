"""Scheduled delivery: every minute, and at once when a caller defers `channels.deliver_now`."""

from __future__ import annotations

from minsheng.channels.service import DELIVER_NOW_TASK, DELIVER_TASK, deliver_due
from minsheng.jobs.registry import JobContext, periodic, task


@periodic(cron="* * * * *", name=DELIVER_TASK)
def deliver_due_messages(ctx: JobContext) -> dict[str, int]:
    """Send every due notification, retrying failed ones with back-off."""
    return deliver_due(ctx.session_factory, settings=ctx.settings).as_dict()


# Not unique: a run already under way may have read the due rows before the caller's commit.
@task(name=DELIVER_NOW_TASK, retries=0)
def deliver_now(ctx: JobContext) -> dict[str, int]:
    """Send due notifications right away (deferred after an immediate alert is queued)."""
    return deliver_due(ctx.session_factory, settings=ctx.settings).as_dict()

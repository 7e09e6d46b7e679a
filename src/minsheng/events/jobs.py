"""Scheduled event work: every ten minutes, close the quiet events and bring the others' heat up to date."""

from __future__ import annotations

from minsheng.core.timeutil import utcnow
from minsheng.events.service import close_quiet
from minsheng.jobs.registry import JobContext, periodic

CLOSE_QUIET_TASK = "events.close_quiet"


@periodic(cron="*/10 * * * *", name=CLOSE_QUIET_TASK)
def close_quiet_events(ctx: JobContext) -> dict[str, int]:
    """Close events with no new item for `event_quiet_hours` and recompute the heat of the active ones."""
    with ctx.unit_of_work() as session:
        report = close_quiet(session, now=ctx.tick or utcnow(), quiet_hours=ctx.settings.event_quiet_hours)
    return {"closed": len(report.closed), "active": report.reheated}

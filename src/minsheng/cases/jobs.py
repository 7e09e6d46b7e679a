"""Scheduled work of the case engine."""

from __future__ import annotations

from minsheng.cases.sla import sweep_deadlines
from minsheng.core.timeutil import utcnow
from minsheng.jobs.registry import JobContext, periodic

SWEEP_TASK = "cases.sweep_deadlines"


@periodic(cron="*/5 * * * *", name=SWEEP_TASK)
def sweep(ctx: JobContext) -> dict[str, int]:
    """Remind, urge and supervise cases whose deadlines approach or have passed."""
    with ctx.unit_of_work() as session:
        result = sweep_deadlines(session, settings=ctx.settings, now=utcnow())
    return {"reminded": result.reminded, "urged": result.urged, "supervised": result.supervised}

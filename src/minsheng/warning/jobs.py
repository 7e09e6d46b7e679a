"""Scheduled warning work: a round every minute, digests every hour (the daily one at its hour)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.database import unit_of_work
from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.jobs.registry import JobContext, periodic
from minsheng.warning.digests import due_kinds, send_digests
from minsheng.warning.evaluate import RoundReport, run_round

EVALUATE_TASK = "warning.evaluate"
DIGEST_TASK = "warning.digest"


def evaluate_and_notify(factory: sessionmaker[Session], *, settings: Settings) -> RoundReport:
    """Run a warning round in its own unit of work, then send what it queued at once.

    Sending happens after the commit, outside any transaction, so a slow robot webhook never holds the
    database (on SQLite a write transaction holds its lock).
    """
    with unit_of_work(factory) as session:
        report = run_round(session, settings=settings, now=utcnow())
    if report.deliveries:
        from minsheng.channels.service import deliver_due

        deliver_due(factory, settings=settings)
    return report


@periodic(cron="* * * * *", name=EVALUATE_TASK)
def evaluate(ctx: JobContext) -> dict[str, int]:
    """Find bursts, check rules and saved searches, raise alerts and send the immediate ones."""
    return evaluate_and_notify(ctx.session_factory, settings=ctx.settings).as_dict()


@periodic(cron="0 * * * *", name=DIGEST_TASK)
def digest(ctx: JobContext) -> dict[str, int]:
    """Send the hourly digest, and the daily one when it is the configured hour."""
    now = ctx.tick or utcnow()
    with ctx.unit_of_work() as session:
        queued = send_digests(
            session, settings=ctx.settings, now=now, kinds=due_kinds(now, settings=ctx.settings)
        )
    if queued:
        from minsheng.channels.service import deliver_due

        deliver_due(ctx.session_factory, settings=ctx.settings)
    return {"deliveries": queued}

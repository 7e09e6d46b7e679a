"""Scheduled fetching: every minute, the due sources are fetched through the job system."""

from __future__ import annotations

import threading

from minsheng.core.settings import Settings
from minsheng.jobs.registry import JobContext, periodic
from minsheng.sources.ingest import run_round
from minsheng.text.engine_cache import EngineCache
from minsheng.warning.jobs import evaluate_and_notify

FETCH_TASK = "sources.fetch_due"

_engines: dict[int, EngineCache] = {}
_lock = threading.Lock()


def _engine_cache(settings: Settings) -> EngineCache:
    # One cache per settings object: rebuilding the text engine every minute would waste most of the run.
    with _lock:
        return _engines.setdefault(id(settings), EngineCache(settings))


@periodic(cron="* * * * *", name=FETCH_TASK)
def fetch_due(ctx: JobContext) -> dict[str, int]:
    """Fetch every due source once, store and analyse the new items."""
    reports = run_round(ctx.session_factory, settings=ctx.settings, engines=_engine_cache(ctx.settings))
    if any(r.created or r.updated for r in reports):
        # New items are judged at once rather than at the next minute's warning round.
        evaluate_and_notify(ctx.session_factory, settings=ctx.settings)
    return {
        "sources": len(reports),
        "failed": sum(1 for r in reports if not r.ok),
        "created": sum(r.created for r in reports),
    }

"""Starting workers: a `minsheng worker` process on either backend, or a thread inside `minsheng serve`."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterable
from types import FrameType

from minsheng.core.settings import Settings
from minsheng.jobs.catalog import load_task_modules
from minsheng.jobs.local_worker import InprocessWorker, LocalWorker, make_worker_id

logger = logging.getLogger(__name__)


def run_worker(
    settings: Settings,
    *,
    concurrency: int | None = None,
    queues: Iterable[str] | None = None,
    burst: bool = False,
) -> None:
    """Run a worker in this process until SIGINT/SIGTERM, or until the queues are drained when `burst`."""
    modules = load_task_modules(settings)
    logger.info("loaded task modules: %s", ", ".join(modules))
    workers = max(1, concurrency or settings.jobs_concurrency)
    queue_list = list(queues) if queues else None
    if not settings.is_sqlite:
        from minsheng.jobs.postgres_worker import run_postgres_worker

        run_postgres_worker(
            settings, concurrency=workers, queues=queue_list, burst=burst, name=make_worker_id()
        )
        return
    worker = LocalWorker(settings, concurrency=workers, queues=queue_list, burst=burst)
    if threading.current_thread() is threading.main_thread():

        def _stop(signum: int, _frame: FrameType | None) -> None:
            logger.info("signal %s received, finishing running jobs", signum)
            worker.stop()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
    worker.run()


def start_inprocess_worker(settings: Settings) -> InprocessWorker:
    """Start a background worker thread for `minsheng serve` on SQLite; call `.stop()` on shutdown."""
    if not settings.is_sqlite:
        raise ValueError("the in-process worker runs on SQLite only; start `minsheng worker` on PostgreSQL")
    load_task_modules(settings)
    return InprocessWorker(settings).start()

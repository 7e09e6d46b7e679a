"""The SQLite worker: a polling loop, a thread pool, a heartbeat thread and the periodic scheduler."""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from zoneinfo import ZoneInfo

from croniter import croniter

from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.jobs.local_queue import ClaimedJob, LocalQueue
from minsheng.jobs.registry import PERIODIC_MAX_DELAY_SECONDS, TaskSpec, UnknownTask, all_specs, get_spec
from minsheng.jobs.runtime import heartbeat_interval, run_job

logger = logging.getLogger(__name__)


def make_worker_id() -> str:
    """Name a worker by host, process and a random suffix so restarts never reuse an id."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class PeriodicScheduler:
    """Queue one job per cron tick; the `schedule_key` unique index keeps workers from doubling a tick."""

    def __init__(self, queue: LocalQueue, zone: str) -> None:
        self.queue = queue
        self.zone = ZoneInfo(zone)
        self.last_ticks: dict[str, int] = {}

    def due_ticks(self, spec: TaskSpec, now: datetime) -> list[int]:
        """Return the unhandled ticks of `spec` up to `now`; right after a start, only a recent one."""
        assert spec.cron is not None
        local_now = now.astimezone(self.zone)
        since = self.last_ticks.get(spec.name)
        if since is None:
            latest = croniter(spec.cron, local_now).get_prev(float)
            if now.timestamp() - latest > PERIODIC_MAX_DELAY_SECONDS:
                self.last_ticks[spec.name] = int(now.timestamp())
                return []
            return [int(latest)]
        ticks: list[int] = []
        cron = croniter(spec.cron, datetime.fromtimestamp(since, self.zone))
        while (tick := int(cron.get_next(float))) <= now.timestamp():
            ticks.append(tick)
        return ticks

    def run_due(self, now: datetime | None = None) -> list[int]:
        """Queue the jobs of every tick that has come; return the new job ids."""
        now = now or utcnow()
        created: list[int] = []
        for spec in all_specs():
            if spec.cron is None:
                continue
            for tick in self.due_ticks(spec, now):
                self.last_ticks[spec.name] = tick
                job_id = self.queue.enqueue_tick(spec, tick)
                if job_id is not None:
                    created.append(job_id)
        return created


class LocalWorker:
    """Run jobs from the `job` table until stopped, or until the queue is drained in burst mode."""

    def __init__(
        self,
        settings: Settings,
        *,
        concurrency: int | None = None,
        queues: Iterable[str] | None = None,
        burst: bool = False,
    ) -> None:
        self.settings = settings
        self.concurrency = max(1, concurrency or settings.jobs_concurrency)
        self.queues = list(queues) if queues else None
        self.burst = burst
        self.worker_id = make_worker_id()
        self.queue = LocalQueue(settings)
        self.scheduler = PeriodicScheduler(self.queue, settings.timezone)
        self._stop = threading.Event()

    def stop(self) -> None:
        """Ask the loop to stop after the jobs it is running finish."""
        self._stop.set()

    def run(self) -> None:
        """Claim and run jobs, keep their heartbeats fresh and recover jobs abandoned by dead workers."""
        logger.info("worker %s started on %s", self.worker_id, self.queues or "all queues")
        beat = threading.Thread(target=self._beat, name="jobs-heartbeat", daemon=True)
        beat.start()
        running: dict[Future[None], ClaimedJob] = {}
        try:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="jobs") as pool:
                while not self._stop.is_set():
                    self._maintain()
                    claimed = self._fill(pool, running)
                    if self.burst and not running and not claimed:
                        break
                    if running:
                        done, _ = wait(
                            running, timeout=self.settings.jobs_poll_seconds, return_when=FIRST_COMPLETED
                        )
                        for future in done:
                            running.pop(future)
                    elif not claimed:
                        self._stop.wait(self.settings.jobs_poll_seconds)
                wait(running)
        finally:
            self._stop.set()
            beat.join()
            self.queue.close()
            logger.info("worker %s stopped", self.worker_id)

    def _maintain(self) -> None:
        # A locked or briefly unavailable database must not end the worker; the next poll tries again.
        try:
            self.queue.recover_stalled()
            self.scheduler.run_due()
        except Exception:
            logger.exception("job maintenance failed")

    def _fill(self, pool: ThreadPoolExecutor, running: dict[Future[None], ClaimedJob]) -> int:
        claimed = 0
        while len(running) < self.concurrency and not self._stop.is_set():
            try:
                job = self.queue.claim(self.worker_id, self.queues)
            except Exception:
                logger.exception("claiming a job failed")
                break
            if job is None:
                break
            logger.info("running job %s %s (attempt %s)", job.id, job.task_name, job.attempts + 1)
            running[pool.submit(self._execute, job)] = job
            claimed += 1
        return claimed

    def _execute(self, job: ClaimedJob) -> None:
        try:
            spec = get_spec(job.task_name)
            run_job(
                spec,
                job.args,
                job_id=job.id,
                attempts=job.attempts,
                settings=self.settings,
                session_factory=self.queue.session_factory,
                queue=self.queue,
            )
        except UnknownTask:
            logger.error("job %s names unknown task %s", job.id, job.task_name)
            self.queue.fail(job, self.worker_id, error=f"unknown task {job.task_name}")
        except Exception:
            logger.exception("job %s (%s) failed", job.id, job.task_name)
            self.queue.fail(job, self.worker_id, error=traceback.format_exc())
        else:
            if not self.queue.succeed(job.id, self.worker_id):
                logger.warning("job %s finished after it was recovered as stalled", job.id)

    def _beat(self) -> None:
        interval = heartbeat_interval(self.settings)
        while not self._stop.wait(interval):
            try:
                self.queue.heartbeat(self.worker_id)
            except Exception:
                logger.exception("heartbeat of worker %s failed", self.worker_id)


class InprocessWorker:
    """A `LocalWorker` on a daemon thread, for `minsheng serve` on SQLite."""

    def __init__(self, settings: Settings) -> None:
        self.worker = LocalWorker(settings)
        self.thread = threading.Thread(target=self.worker.run, name="jobs-inprocess", daemon=True)

    def start(self) -> InprocessWorker:
        """Start the worker thread."""
        self.thread.start()
        return self

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop taking jobs and wait for the running ones to finish."""
        self.worker.stop()
        self.thread.join(timeout)

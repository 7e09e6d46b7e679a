"""Durable background and scheduled work on PostgreSQL (procrastinate) and SQLite (in-process)."""

from minsheng.jobs.queue import JobInfo, JobQueue, make_queue
from minsheng.jobs.registry import InvalidJobArguments, JobContext, UnknownTask, periodic, task

__all__ = [
    "InvalidJobArguments",
    "JobContext",
    "JobInfo",
    "JobQueue",
    "UnknownTask",
    "make_queue",
    "periodic",
    "task",
]

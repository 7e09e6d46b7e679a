"""Where task definitions live: every module listed here is imported before a worker starts."""

from __future__ import annotations

import importlib

from minsheng.core.settings import Settings

# Domain packages add their `jobs` module here when they gain one.
TASK_MODULES: list[str] = [
    "minsheng.jobs.builtin",
    "minsheng.cases.jobs",
    "minsheng.sources.jobs",
    "minsheng.events.jobs",
    "minsheng.channels.jobs",
    "minsheng.warning.jobs",
]


def load_task_modules(settings: Settings) -> list[str]:
    """Import the built-in task modules and those named in `job_modules`; return their names."""
    names = [*TASK_MODULES, *settings.job_modules]
    for name in names:
        importlib.import_module(name)
    return names

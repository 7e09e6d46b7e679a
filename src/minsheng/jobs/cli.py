"""The `minsheng worker` command."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from minsheng.core.settings import get_settings


def worker(
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", "-c", help="Jobs run at once (default: jobs_concurrency).")
    ] = None,
    queue: Annotated[
        list[str] | None, typer.Option("--queue", "-q", help="Queue to take jobs from; repeat for several.")
    ] = None,
    burst: Annotated[
        bool, typer.Option("--burst", "--once", help="Exit once no job is due instead of waiting for more.")
    ] = False,
) -> None:
    """Run background job workers until interrupted."""
    from minsheng.jobs.worker import run_worker

    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    run_worker(settings, concurrency=concurrency, queues=queue, burst=burst)

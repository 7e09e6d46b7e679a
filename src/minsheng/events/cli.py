"""`minsheng events …`: cluster items stored without events, and close the quiet events once."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from minsheng.core.database import make_engine, make_sessionmaker, unit_of_work
from minsheng.core.settings import get_settings
from minsheng.core.timeutil import utcnow

events_app = typer.Typer(help="Events: clustering and the quiet-event sweep.", no_args_is_help=True)
BATCH = 200


@events_app.command("cluster")
def cluster(
    hours: Annotated[
        float, typer.Option(help="Cluster unclustered items published in the last N hours")
    ] = 72.0,
) -> None:
    """Cluster the items stored without a copy group (before events existed, or when clustering failed)."""
    from sqlalchemy import select

    from minsheng.events.clustering import cluster_stored
    from minsheng.items.models import Item

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    created = updated = done = 0
    try:
        factory = make_sessionmaker(engine)
        with unit_of_work(factory) as session:
            statement = (
                select(Item.id)
                .where(Item.dup_group_id.is_(None), Item.published_at >= utcnow() - timedelta(hours=hours))
                .order_by(Item.published_at, Item.id)
            )
            ids = list(session.scalars(statement))
        for start in range(0, len(ids), BATCH):
            with unit_of_work(factory) as session:
                report = cluster_stored(
                    session, item_ids=ids[start : start + BATCH], now=utcnow(), settings=settings
                )
                if report is None:
                    typer.secho(
                        f"第 {start + 1} 条起的一批聚类失败，详见日志", fg=typer.colors.YELLOW, err=True
                    )
                    continue
                created, updated = created + len(report.created), updated + len(report.updated)
                done += min(BATCH, len(ids) - start)
    finally:
        engine.dispose()
    typer.echo(f"聚类完成：处理 {done} 条，新建事件 {created} 次，更新事件 {updated} 次")


@events_app.command("close-quiet")
def close_quiet_now() -> None:
    """Close the events quiet for MINSHENG_EVENT_QUIET_HOURS and recompute the heat of the others."""
    from minsheng.events.service import close_quiet

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            report = close_quiet(session, now=utcnow(), quiet_hours=settings.event_quiet_hours)
    finally:
        engine.dispose()
    typer.echo(f"已平息 {len(report.closed)} 个事件，{report.reheated} 个进行中的事件已更新热度")

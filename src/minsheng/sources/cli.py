"""`minsheng sources …` and `minsheng ingest`: manage sources and fetch them from the command line."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from pydantic import ValidationError

from minsheng.core.database import make_engine, make_sessionmaker, unit_of_work
from minsheng.core.errors import MinshengError
from minsheng.core.settings import get_settings
from minsheng.core.timeutil import format_local
from minsheng.sources import service
from minsheng.sources.schemas import SourceCreate

sources_app = typer.Typer(help="Monitored public sources.", no_args_is_help=True)
ROUND_SECONDS = 60


@sources_app.command("add")
def add(
    kind: Annotated[str, typer.Option(help="rss, jsonfeed, sitemap, html, push or import")],
    name: Annotated[str, typer.Option(help="Display name (unique)")],
    url: Annotated[
        str | None, typer.Option(help="Feed, sitemap or list-page URL (rss, jsonfeed, sitemap, html)")
    ] = None,
    tier: Annotated[str, typer.Option(help="key (重点) or normal (一般)")] = "normal",
    interval: Annotated[int | None, typer.Option(help="Minutes between fetches")] = None,
    encoding: Annotated[str | None, typer.Option(help="Force this charset (e.g. gbk)")] = None,
    selector: Annotated[
        str | None, typer.Option(help="CSS selector of the article links on the list page (html)")
    ] = None,
    max_articles: Annotated[
        int | None, typer.Option(help="Most articles fetched per round (sitemap, html); default: settings")
    ] = None,
    follow_offsite: Annotated[
        bool, typer.Option("--follow-offsite", help="Also follow links to other sites (sitemap, html)")
    ] = False,
) -> None:
    """Add a source."""
    settings = get_settings()
    try:
        data = SourceCreate.model_validate(
            {
                "kind": kind,
                "name": name,
                "url": url,
                "tier": tier,
                "interval_minutes": interval,
                "encoding": encoding,
                "selector": selector,
                "max_articles": max_articles,
                "follow_offsite": follow_offsite,
            }
        )
    except ValidationError as error:
        message = str(error.errors()[0]["msg"]).removeprefix("Value error, ")
        typer.secho(f"添加失败：{message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from error
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            source = service.create_source(session, data=data, settings=settings)
            typer.echo(
                f"已添加信息源 #{source.id} {source.name}（{source.kind}，每 {source.interval_minutes} 分钟）"
            )
    except MinshengError as error:
        typer.secho(f"添加失败：{error.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from error
    finally:
        engine.dispose()


@sources_app.command("list")
def list_command() -> None:
    """List sources with their health."""
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            sources = service.list_sources(session)
            for source in sources:
                health = service.health_of(source)
                last = format_local(source.last_success_at, settings.timezone) or "—"
                typer.echo(
                    f"#{source.id}\t{source.name}\t{source.kind}\t{source.tier_label}\t{health.label}\t"
                    f"最近成功 {last}\t{source.url or ''}"
                )
                if source.last_error and source.consecutive_failures:
                    typer.echo(f"\t最近错误：{source.last_error}")
            if not sources:
                typer.echo("尚无信息源")
    finally:
        engine.dispose()


def ingest(
    once: Annotated[bool, typer.Option("--once", help="Fetch the due sources once and exit")] = False,
) -> None:
    """Fetch due sources, analyse and store their items (every minute until interrupted, or --once)."""
    # Every model, so that the clustering's relationships (events to users) can be configured.
    import minsheng.models  # noqa: F401
    from minsheng.sources.ingest import run_round
    from minsheng.text.engine_cache import EngineCache
    from minsheng.warning.evaluate import describe
    from minsheng.warning.jobs import evaluate_and_notify

    settings = get_settings()
    database = make_engine(settings.resolved_database_url)
    factory = make_sessionmaker(database)
    engines = EngineCache(settings)
    try:
        while True:
            reports = run_round(factory, settings=settings, engines=engines)
            for report in reports:
                typer.secho(report.summary(), fg=None if report.ok else typer.colors.YELLOW)
            if not reports:
                typer.echo("没有到期需要抓取的信息源")
            typer.echo(describe(evaluate_and_notify(factory, settings=settings)))
            if once:
                break
            time.sleep(ROUND_SECONDS)
    finally:
        database.dispose()

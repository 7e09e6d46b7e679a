"""`minsheng items …`: search stored items and import them from files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from minsheng.core.database import make_engine, make_sessionmaker, unit_of_work
from minsheng.core.settings import get_settings
from minsheng.core.timeutil import utcnow

items_app = typer.Typer(help="Collected items: search and import.", no_args_is_help=True)
IMPORT_BATCH = 200


@items_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Text to find (exact substring of title or text)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array")] = False,
    limit: Annotated[int, typer.Option(help="Most items to print")] = 50,
) -> None:
    """Search items by substring, newest first."""
    from minsheng.items.search import ItemFilter, search_items, snippet

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            spec = ItemFilter(q=query)
            found = search_items(session, spec=spec, limit=limit)
            rows = [
                {
                    "id": item.id,
                    "title": snippet(item.title, "").plain,
                    "url": item.url,
                    "source": item.source.name,
                    "published_at": item.published_at.isoformat(),
                    "snippet": snippet(item.text, spec.needle).plain,
                    "category": item.category,
                    "sentiment": item.sentiment,
                    "region_code": item.region_code,
                }
                for item in found
            ]
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        typer.echo(f"#{row['id']} [{row['source']}] {row['title']}\n    {row['snippet']}")
    typer.echo(f"共 {len(rows)} 条")


@items_app.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(help="JSON Lines (.jsonl) or CSV (.csv) file", exists=True, dir_okay=False)
    ],
    source: Annotated[str, typer.Option(help="Source the items belong to (created if missing)")] = "文件导入",
) -> None:
    """Import items from a JSONL or CSV file; records already stored are not duplicated."""
    # Every model, so that the clustering's relationships (events to users) can be configured.
    import minsheng.models  # noqa: F401
    from minsheng.events.clustering import cluster_stored
    from minsheng.items.importing import read_items
    from minsheng.items.service import store_items
    from minsheng.sources.models import SourceKind
    from minsheng.sources.service import ensure_source
    from minsheng.text.engine_cache import EngineCache

    settings = get_settings()
    batch = read_items(file)
    for line, reason in batch.errors:
        typer.secho(f"第 {line} 行未导入：{reason}", fg=typer.colors.YELLOW, err=True)
    engine = make_engine(settings.resolved_database_url)
    created = updated = unchanged = 0
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            target = ensure_source(session, name=source, kind=SourceKind.upload, settings=settings)
            text_engine = EngineCache(settings).get(session)
            for start in range(0, len(batch.items), IMPORT_BATCH):
                now = utcnow()
                report = store_items(
                    session,
                    source=target,
                    items=batch.items[start : start + IMPORT_BATCH],
                    engine=text_engine,
                    now=now,
                )
                cluster_stored(session, item_ids=report.ids, now=now, settings=settings)
                created, updated, unchanged = (
                    created + report.created,
                    updated + report.updated,
                    unchanged + report.unchanged,
                )
    finally:
        engine.dispose()
    typer.echo(f"导入完成：新增 {created}，更新 {updated}，重复 {unchanged}，出错 {len(batch.errors)}")

"""`minsheng warning …`: run a warning round by hand, install the starting rules, list open alerts."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from minsheng.core.database import make_engine, make_sessionmaker, unit_of_work
from minsheng.core.settings import get_settings

warning_app = typer.Typer(help="Early warning: rules, bursts and alerts.", no_args_is_help=True)


@warning_app.command("evaluate")
def evaluate() -> None:
    """Find bursts, check every rule and saved search once, and send the immediate alerts."""
    from minsheng.warning.evaluate import describe
    from minsheng.warning.jobs import evaluate_and_notify

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        report = evaluate_and_notify(make_sessionmaker(engine), settings=settings)
    finally:
        engine.dispose()
    typer.echo(describe(report))


@warning_app.command("install-defaults")
def install_defaults() -> None:
    """Add the starting warning rules that are missing (existing rules are left alone)."""
    from minsheng.warning.rules import install_default_rules

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            added = [rule.name for rule in install_default_rules(session)]
    finally:
        engine.dispose()
    typer.echo(f"新增预警规则 {len(added)} 条" + (f"：{'、'.join(added)}" if added else ""))


@warning_app.command("alerts")
def alerts(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array")] = False,
    limit: Annotated[int, typer.Option(help="Most alerts to print")] = 50,
) -> None:
    """List alerts that are not closed, most severe first."""
    from minsheng.warning.models import LEVEL_NAMES
    from minsheng.warning.views import InboxFilter, list_alerts

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            rows = [
                {
                    "id": a.id,
                    "level": a.level,
                    "title": a.title,
                    "status": a.status,
                    "subject": a.subject_key,
                    "event_id": a.event_id,
                    "trigger_count": a.trigger_count,
                    "last_triggered_at": a.last_triggered_at.isoformat(),
                    "reasons": a.details.get("reasons", []),
                }
                for a in list_alerts(session, InboxFilter(status="open"), limit=limit)
            ]
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        typer.echo(f"[{LEVEL_NAMES[row['level']]}] #{row['id']} {row['title']} ×{row['trigger_count']}")

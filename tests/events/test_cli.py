"""`minsheng events cluster` catches up items stored without events; `close-quiet` runs the sweep once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from minsheng.cli import app
from minsheng.core.settings import get_settings
from minsheng.core.timeutil import utcnow
from minsheng.events.models import Event, EventStatus
from minsheng.items.models import Item
from minsheng.items.service import store_items
from tests.events.conftest import story_posts, text_engine


def _run(monkeypatch, tmp_path, db_url, *args):
    monkeypatch.setenv("MINSHENG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MINSHENG_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()


def test_cluster_then_close_quiet(session, sources, db_url, monkeypatch, tmp_path):
    now = utcnow()
    for name, hours in (("water", 10), ("school", 100)):
        posts = story_posts(name, start=now - timedelta(hours=hours))
        store_items(session, source=sources[0], items=posts, engine=text_engine(), now=now)
    session.commit()
    assert session.scalar(select(func.count()).where(Item.dup_group_id.is_(None))) == 10
    session.rollback()

    result = _run(monkeypatch, tmp_path, db_url, "events", "cluster", "--hours", "48")
    assert result.exit_code == 0, result.output
    assert "处理 5 条" in result.output and "新建事件 1 次" in result.output
    assert session.scalar(select(func.count()).where(Item.dup_group_id.is_(None))) == 5
    session.rollback()

    assert _run(monkeypatch, tmp_path, db_url, "events", "cluster", "--hours", "200").exit_code == 0
    assert session.scalar(select(func.count()).select_from(Event)) == 2
    session.rollback()

    result = _run(monkeypatch, tmp_path, db_url, "events", "close-quiet")
    assert result.exit_code == 0, result.output
    assert "已平息 1 个事件" in result.output
    statuses = sorted(session.scalars(select(Event.status)))
    assert statuses == [EventStatus.active.value, EventStatus.closed.value]

"""Migrations build the same schema as the models, on both databases, and can be rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from minsheng.core import migrate
from minsheng.core.database import make_engine
from minsheng.models import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no tables at all."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
    else:
        engine = make_engine(request.getfixturevalue("postgres_url"))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
            conn.execute(text("CREATE SCHEMA migration_check"))
        engine.dispose()
        engine = make_engine(
            request.getfixturevalue("postgres_url"), connect_args={"options": "-csearch_path=migration_check"}
        )
    yield engine
    engine.dispose()


def test_migrations_match_the_models(empty_engine):
    migrate.upgrade(empty_engine)
    assert migrate.schema_differences(empty_engine) == []
    tables = set(inspect(empty_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_migrated_audit_log_refuses_updates_and_deletes(empty_engine):
    migrate.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (seq, occurred_at, actor_name, action, entity_type, summary, "
                "prev_hash, hash) "
                "VALUES (1, CURRENT_TIMESTAMP, 'x', 'create', 'user', '', 'p', 'h')"
            )
        )
    for statement in ("UPDATE audit_log SET summary = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), empty_engine.begin() as conn:
            conn.execute(text(statement))


def test_downgrade_to_base_and_up_again(empty_engine):
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "base")
    assert not set(Base.metadata.tables) & set(inspect(empty_engine).get_table_names())
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) is not None


def _search_hits(engine: Engine, word: str) -> list[int]:
    from sqlalchemy import select

    from minsheng.items.models import Item
    from minsheng.items.search import text_condition

    with engine.connect() as conn:
        return list(conn.scalars(select(Item.id).where(text_condition(engine.dialect.name, word))))


def test_item_search_survives_the_warning_revision_both_ways(empty_engine):
    """0007 rebuilds the item table on SQLite; the search index must keep following inserts afterwards."""
    migrate.upgrade(empty_engine, "0006_plan_appraisal")
    insert_source = (
        "INSERT INTO source (name, kind, tier, interval_minutes, timeout_seconds, max_bytes, is_enabled, "
        "consecutive_failures, created_at, updated_at) "
        "VALUES ('s', 'push', 'normal', 30, 20, 1000, true, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    insert_item = (
        "INSERT INTO item (source_id, content_hash, title, text, published_at, fetched_at, harm_signals, "
        "places, departments, keywords) VALUES (1, :h, :t, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
        "'[]', '[]', '[]', '[]')"
    )
    with empty_engine.begin() as conn:
        conn.execute(text(insert_source))
        conn.execute(text(insert_item), {"h": "a", "t": "幸福小区停水"})
    migrate.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(text(insert_item), {"h": "b", "t": "河边化工厂异味"})
    assert len(_search_hits(empty_engine, "小区停水")) == 1
    assert len(_search_hits(empty_engine, "化工厂异味")) == 1
    migrate.downgrade(empty_engine, "0006_plan_appraisal")
    with empty_engine.begin() as conn:
        conn.execute(text(insert_item), {"h": "c", "t": "公交线路调整"})
    assert len(_search_hits(empty_engine, "公交线路")) == 1


def test_two_character_search_works_on_migrated_items(empty_engine):
    migrate.upgrade(empty_engine, "0006_plan_appraisal")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO source (name, kind, tier, interval_minutes, timeout_seconds, max_bytes, "
                "is_enabled, consecutive_failures, created_at, updated_at) VALUES "
                "('s', 'push', 'normal', 30, 20, 1000, true, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO item (source_id, content_hash, title, text, published_at, fetched_at, "
                "harm_signals, places, departments, keywords) VALUES (1, 'a', '幸福小区停水', '', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '[]', '[]', '[]', '[]')"
            )
        )
    migrate.upgrade(empty_engine)
    assert len(_search_hits(empty_engine, "停水")) == 1
    assert _search_hits(empty_engine, "水停") == []

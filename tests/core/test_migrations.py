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

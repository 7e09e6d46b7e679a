"""Search structures outside the models: an FTS5 trigram table on SQLite, pg_trgm GIN indexes on PostgreSQL.

The migration creates them with its own copy of this DDL; the listener below creates them when a schema is
built straight from the models (tests, `create_all`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, text

FTS_TABLE = "item_fts"
TRGM_INDEXES = ("ix_item_trgm_title", "ix_item_trgm_text")
# Objects that Alembic must not compare with the models (FTS5 shadow tables share the prefix).
SEARCH_OBJECT_PREFIXES = (FTS_TABLE, "ix_item_trgm_")

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE item_fts USING fts5(title, text, content='item', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER item_fts_ai AFTER INSERT ON item BEGIN "
    "INSERT INTO item_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER item_fts_ad AFTER DELETE ON item BEGIN "
    "INSERT INTO item_fts(item_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER item_fts_au AFTER UPDATE OF title, text ON item BEGIN "
    "INSERT INTO item_fts(item_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO item_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS item_fts_au",
    "DROP TRIGGER IF EXISTS item_fts_ad",
    "DROP TRIGGER IF EXISTS item_fts_ai",
    "DROP TABLE IF EXISTS item_fts",
)


def trgm_schema(connection: Connection) -> str:
    """Install pg_trgm when missing and return the schema holding its operator classes."""
    connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    return connection.execute(
        text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'"
        )
    ).scalar_one()


def postgres_ddl(schema: str) -> tuple[str, ...]:
    """Return the GIN trigram indexes that serve ILIKE '%…%' on titles and texts."""
    # The operator class is schema-qualified: the extension may live outside the search path.
    return tuple(
        f'CREATE INDEX IF NOT EXISTS {name} ON item USING gin ({column} "{schema}".gin_trgm_ops)'
        for name, column in zip(TRGM_INDEXES, ("title", "text"), strict=True)
    )


def create_search_objects(connection: Connection) -> None:
    """Create the dialect's search structures on a connection."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DDL:
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        for statement in postgres_ddl(trgm_schema(connection)):
            connection.exec_driver_sql(statement)


def after_create(target: Table, connection: Connection, **_: Any) -> None:
    """Create the search structures right after the item table (listener for `create_all`)."""
    create_search_objects(connection)


def before_drop(target: Table, connection: Connection, **_: Any) -> None:
    """Drop the FTS table and its triggers before the item table (listener for `drop_all`)."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            connection.exec_driver_sql(statement)

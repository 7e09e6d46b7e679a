"""Search structures outside the models: FTS5 tables on SQLite, pg_trgm GIN indexes on PostgreSQL.

On SQLite, `item_fts` (trigram) answers needles of three characters or more. Two-character needles, which
trigrams cannot answer, go to `item_gram`: a contentless FTS5 table whose tokens are the bigrams of an item's
title and text, written as the hex of their UTF-32 code units so the `ascii` tokenizer keeps every character
(punctuation and spaces included). It stores document ids only (`detail=none`); the items service and the
mapper events keep it in step, and search checks each candidate with LIKE, so a stale entry can never give a
wrong hit (counts, read from the index alone, could include one).

The migrations create these with their own copy of this DDL; the listener below creates them when a schema is
built straight from the models (tests, `create_all`).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, Table, text

FTS_TABLE = "item_fts"
GRAM_TABLE = "item_gram"
TRGM_INDEXES = ("ix_item_trgm_title", "ix_item_trgm_text")
# Objects that Alembic must not compare with the models (FTS5 shadow tables share the prefixes).
SEARCH_OBJECT_PREFIXES = (FTS_TABLE, GRAM_TABLE, "ix_item_trgm_")
GRAM_DDL = (
    "CREATE VIRTUAL TABLE item_gram USING fts5(grams, content='', columnsize=0, detail=none, "
    "tokenize='ascii')"
)

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
    "DROP TABLE IF EXISTS item_gram",
    "DROP TRIGGER IF EXISTS item_fts_au",
    "DROP TRIGGER IF EXISTS item_fts_ad",
    "DROP TRIGGER IF EXISTS item_fts_ai",
    "DROP TABLE IF EXISTS item_fts",
)


def fold(text: str) -> str:
    """Lower-case ASCII letters only, as search ignores ASCII case and nothing else."""
    return text.translate(_ASCII_LOWER) if text and _UPPER_RE.search(text) else text or ""


_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}
_UPPER_RE = re.compile("[A-Z]")


def _wide(text: str) -> str:
    return text.encode("utf-32-be", errors="surrogatepass").hex()


def gram_token(pair: str) -> str:
    """Spell a two-character string as one `ascii`-tokenizer token: the hex of its UTF-32 code units."""
    return _wide(pair)


def gram_document(title: str | None, text: str | None) -> str:
    """Return the distinct bigram tokens of a title and a text (sorted, so a delete can repeat it exactly)."""
    tokens: set[str] = set()
    for field in (title, text):
        if field and len(field) > 1:
            # Sixteen hex digits per bigram, cut from one encoding of the whole field: no per-pair formatting.
            wide = _wide(fold(field))
            tokens.update(wide[i : i + 16] for i in range(0, len(wide) - 8, 8))
    return " ".join(sorted(tokens))


def index_grams(connection: Connection, rows: list[tuple[int, str | None, str | None]]) -> None:
    """Add items (id, title, text) to the bigram index (SQLite only)."""
    if rows and connection.dialect.name == "sqlite":
        connection.exec_driver_sql(
            "INSERT INTO item_gram(rowid, grams) VALUES (?, ?)",
            [(item_id, gram_document(title, text)) for item_id, title, text in rows],
        )


def unindex_grams(connection: Connection, rows: list[tuple[int, str | None, str | None]]) -> None:
    """Take items (id, title and text as they were indexed) out of the bigram index (SQLite only)."""
    if rows and connection.dialect.name == "sqlite":
        connection.exec_driver_sql(
            "INSERT INTO item_gram(item_gram, rowid, grams) VALUES ('delete', ?, ?)",
            [(item_id, gram_document(title, text)) for item_id, title, text in rows],
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
        for statement in (*SQLITE_DDL, GRAM_DDL):
            connection.exec_driver_sql(statement)
    elif connection.dialect.name == "postgresql":
        for statement in postgres_ddl(trgm_schema(connection)):
            connection.exec_driver_sql(statement)


def after_create(target: Table, connection: Connection, **_: Any) -> None:
    """Create the search structures right after the item table (listener for `create_all`)."""
    create_search_objects(connection)


def before_drop(target: Table, connection: Connection, **_: Any) -> None:
    """Drop the FTS tables and triggers before the item table (listener for `drop_all`)."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            connection.exec_driver_sql(statement)

"""Database triggers that refuse UPDATE and DELETE on audit_log, for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

TABLE = "audit_log"
REFUSAL = "审计日志只允许追加 (audit_log is append-only)"

SQLITE_CREATE = (
    f"CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
    f"CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS audit_log_no_update",
    "DROP TRIGGER IF EXISTS audit_log_no_delete",
)

POSTGRES_CREATE = (
    "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege'; END $$",
    f"DROP TRIGGER IF EXISTS audit_log_no_update ON {TABLE}",
    f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
    f"DROP TRIGGER IF EXISTS audit_log_no_delete ON {TABLE}",
    f"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
)
POSTGRES_DROP = (
    f"DROP TRIGGER IF EXISTS audit_log_no_update ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_log_no_delete ON {TABLE}",
    "DROP FUNCTION IF EXISTS audit_log_refuse_change()",
)


def _statements(connection: Connection, *, create: bool) -> tuple[str, ...]:
    name = connection.dialect.name
    if name == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    if name == "postgresql":
        return POSTGRES_CREATE if create else POSTGRES_DROP
    raise NotImplementedError(f"no audit_log guards for dialect {name}")


def create_guards(connection: Connection) -> None:
    """Install the triggers that reject UPDATE and DELETE on audit_log (idempotent)."""
    for statement in _statements(connection, create=True):
        connection.exec_driver_sql(statement)


def drop_guards(connection: Connection) -> None:
    """Remove the audit_log triggers (for a downgrade, or a test that must tamper)."""
    for statement in _statements(connection, create=False):
        connection.exec_driver_sql(statement)


def on_table_created(_table: Any, connection: Connection, **_kw: Any) -> None:
    """Install the guards whenever ``metadata.create_all`` creates audit_log."""
    create_guards(connection)

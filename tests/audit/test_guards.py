"""Append-only enforcement: the ORM refuses changes, and the database triggers refuse raw SQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, delete, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from minsheng.audit.ddl import create_guards, drop_guards
from minsheng.audit.guards import AuditLogReadOnly
from minsheng.audit.models import AuditEntry
from minsheng.audit.service import record

from .conftest import tamper, unguarded


def test_orm_refuses_to_update_an_entry(session: Session, seed: Callable[[int], list[AuditEntry]]) -> None:
    entry = seed(1)[0]
    entry.summary = "改写"
    with pytest.raises(AuditLogReadOnly):
        session.flush()
    session.rollback()


def test_orm_refuses_to_delete_an_entry(session: Session, seed: Callable[[int], list[AuditEntry]]) -> None:
    session.delete(seed(1)[0])
    with pytest.raises(AuditLogReadOnly):
        session.flush()
    session.rollback()


def test_orm_refuses_bulk_statements(session: Session, seed: Callable[[int], list[AuditEntry]]) -> None:
    seed(1)
    for statement in (
        update(AuditEntry).values(summary="x"),
        delete(AuditEntry),
        update(AuditEntry.__table__).values(summary="x"),
        delete(AuditEntry.__table__),
    ):
        with pytest.raises(AuditLogReadOnly):
            session.execute(statement)
        session.rollback()


def test_unchanged_entries_still_flush(session: Session, seed: Callable[[int], list[AuditEntry]]) -> None:
    entry = seed(1)[0]
    entry.summary = entry.summary
    record(session, actor=None, action="create", entity_type="case", entity_id=2)
    session.commit()


@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_log SET summary = 'forged'", "DELETE FROM audit_log", "UPDATE audit_log SET seq = seq"],
)
def test_triggers_refuse_raw_update_and_delete(
    engine: Engine, seed: Callable[[int], list[AuditEntry]], sql: str
) -> None:
    seed(2)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(sql))


def test_guards_can_be_dropped_and_recreated(engine: Engine, seed: Callable[[int], list[AuditEntry]]) -> None:
    seed(1)
    tamper(engine, "UPDATE audit_log SET summary = 'forged'")
    with engine.begin() as conn:
        create_guards(conn)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
    with unguarded(engine), engine.begin() as conn:
        drop_guards(conn)
        conn.execute(text("DELETE FROM audit_log"))

"""Helpers for the audit tests: seeding a chain and getting past the append-only guards to tamper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from minsheng.audit.context import AuditActor
from minsheng.audit.ddl import create_guards, drop_guards
from minsheng.audit.models import AuditEntry
from minsheng.audit.service import record

ALICE = AuditActor(user_id=7, name="张三", request_id="req-1", ip="10.0.0.7")


@contextmanager
def unguarded(engine: Engine) -> Iterator[None]:
    """Drop the triggers for the block and put them back afterwards, even if the test fails."""
    with engine.begin() as conn:
        drop_guards(conn)
    try:
        yield
    finally:
        with engine.begin() as conn:
            create_guards(conn)


def tamper(engine: Engine, sql: str, **params: object) -> None:
    """Run a raw statement against audit_log with the guards removed."""
    with unguarded(engine), engine.begin() as conn:
        conn.execute(text(sql), params)


@pytest.fixture
def seed(session: Session) -> Callable[[int], list[AuditEntry]]:
    """Append n committed entries and return them in chain order."""

    def append(n: int) -> list[AuditEntry]:
        entries = [
            record(
                session,
                actor=ALICE,
                action="update",
                entity_type="case",
                entity_id=i,
                summary=f"修改工单 {i}",
                before={"status": "open", "n": i},
                after={"status": "closed", "n": i},
            )
            for i in range(n)
        ]
        session.commit()
        return entries

    return append

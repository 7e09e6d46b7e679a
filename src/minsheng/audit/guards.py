"""ORM-level refusal to update or delete audit rows; the database triggers in ddl.py back it up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from minsheng.core.errors import PermissionDenied


class AuditLogReadOnly(PermissionDenied):
    """Raised when code tries to change or remove an audit entry."""

    default_message = "审计日志只允许追加，不能修改或删除"


_guarded_classes: set[type] = set()
_guarded_tables: set[str] = set()


def install_orm_guards(entity: type, table_name: str) -> None:
    """Refuse, in every Session, flushes and bulk statements that would change rows of the entity."""
    _guarded_classes.add(entity)
    _guarded_tables.add(table_name)
    if not event.contains(Session, "before_flush", _refuse_dirty_or_deleted):
        event.listen(Session, "before_flush", _refuse_dirty_or_deleted)
    if not event.contains(Session, "do_orm_execute", _refuse_bulk_change):
        event.listen(Session, "do_orm_execute", _refuse_bulk_change)


def _refuse_dirty_or_deleted(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    for obj in session.deleted:
        if type(obj) in _guarded_classes:
            raise AuditLogReadOnly()
    for obj in session.dirty:
        if type(obj) in _guarded_classes and session.is_modified(obj, include_collections=False):
            raise AuditLogReadOnly()


def _refuse_bulk_change(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    if any(mapper.class_ in _guarded_classes for mapper in state.all_mappers):
        raise AuditLogReadOnly()
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _guarded_tables:
        raise AuditLogReadOnly()

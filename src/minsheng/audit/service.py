"""Record writes and personal-data reads in the audit log, and search it for the viewer page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from minsheng.audit.chain import GENESIS_HASH, chain_head, compute_hash, lock_chain
from minsheng.audit.context import AuditActor, audit_context, current_actor, identify_actor, resolve_actor
from minsheng.audit.models import AuditEntry
from minsheng.audit.values import diff, sanitize, snapshot
from minsheng.core.errors import ValidationFailed
from minsheng.core.timeutil import utcnow

__all__ = [
    "READ_PERSONAL",
    "AuditActor",
    "audit_context",
    "current_actor",
    "diff",
    "identify_actor",
    "list_actions",
    "list_entity_types",
    "record",
    "record_read",
    "search_entries",
    "snapshot",
]

READ_PERSONAL = "read_personal"
MAX_PER_PAGE = 200
_SHORT = 64


def _required(name: str, value: str) -> str:
    if not value or len(value) > _SHORT:
        raise ValueError(f"audit {name} must be 1 to {_SHORT} characters, got {value!r}")
    return value


def _clip(value: str | None) -> str | None:
    return None if value is None else value[:_SHORT]


def record(
    session: Session,
    *,
    actor: AuditActor | None = None,
    action: str,
    entity_type: str,
    entity_id: str | int | None,
    summary: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry to the hash chain and flush it; the caller's unit of work commits."""
    who = resolve_actor(actor)
    entry = AuditEntry(
        actor_id=who.user_id,
        actor_name=who.name[:_SHORT],
        action=_required("action", action),
        entity_type=_required("entity_type", entity_type),
        entity_id=None if entity_id is None else _required("entity_id", str(entity_id)),
        summary=summary,
        before=sanitize(before),
        after=sanitize(after),
        request_id=_clip(who.request_id),
        ip=_clip(who.ip),
    )
    lock_chain(session)
    head = chain_head(session)
    entry.seq, entry.prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
    # Taken under the lock so that time never runs backwards along the chain.
    entry.occurred_at = utcnow()
    entry.hash = compute_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def record_read(
    session: Session,
    *,
    entity_type: str,
    entity_id: str | int | None,
    fields: Iterable[str],
    summary: str = "",
    actor: AuditActor | None = None,
) -> AuditEntry:
    """Log that personal data fields of a record were shown or exported."""
    return record(
        session,
        actor=actor,
        action=READ_PERSONAL,
        entity_type=entity_type,
        entity_id=entity_id,
        summary=summary,
        after={"fields": sorted(set(fields))},
    )


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationFailed("起止时间必须带时区", field=name)
    return value


def search_entries(
    session: Session,
    *,
    actor_id: int | None = None,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: str | int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[Sequence[AuditEntry], int]:
    """Return one page of entries, newest first, matching every given filter, and the total count."""
    conditions: list[ColumnElement[bool]] = []
    if actor_id is not None:
        conditions.append(AuditEntry.actor_id == actor_id)
    if action:
        conditions.append(AuditEntry.action == action)
    if entity_type:
        conditions.append(AuditEntry.entity_type == entity_type)
    if entity_id is not None and str(entity_id) != "":
        conditions.append(AuditEntry.entity_id == str(entity_id))
    if (start := _aware("since", since)) is not None:
        conditions.append(AuditEntry.occurred_at >= start)
    if (end := _aware("until", until)) is not None:
        conditions.append(AuditEntry.occurred_at < end)
    if text and text.strip():
        needle = text.strip()
        conditions.append(
            or_(
                AuditEntry.summary.icontains(needle, autoescape=True),
                AuditEntry.actor_name.icontains(needle, autoescape=True),
                AuditEntry.entity_id.icontains(needle, autoescape=True),
            )
        )
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    page = max(page, 1)
    total = session.execute(select(func.count()).select_from(AuditEntry).where(*conditions)).scalar_one()
    rows = (
        session.execute(
            select(AuditEntry)
            .where(*conditions)
            .order_by(AuditEntry.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        .scalars()
        .all()
    )
    return rows, total


def list_actions(session: Session) -> list[str]:
    """Return the distinct actions in the log, for the viewer's filter."""
    return list(session.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars())


def list_entity_types(session: Session) -> list[str]:
    """Return the distinct entity types in the log, for the viewer's filter."""
    query = select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type)
    return list(session.execute(query).scalars())

"""Open311 API keys: issued from the command line, shown once, stored as digests, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.audit.service import record
from minsheng.core.errors import NotFound, PermissionDenied, ValidationFailed
from minsheng.core.timeutil import utcnow
from minsheng.open311.models import Open311Key

KEY_PREFIX = "o311_"
# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
_TOUCH_INTERVAL = timedelta(minutes=1)


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def issue_key(session: Session, *, name: str, created_by: str) -> tuple[str, Open311Key]:
    """Create a key for an Open311 client and return the plain value (shown once) with its record."""
    name = name.strip()
    if not name or len(name) > 64:
        raise ValidationFailed("密钥名称必须是 1 到 64 个字符", field="name")
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    key = Open311Key(
        name=name,
        prefix=plain[: len(KEY_PREFIX) + 6],
        key_hash=_digest(plain),
        created_by=(created_by.strip() or "unknown")[:64],
    )
    session.add(key)
    session.flush()
    record(
        session,
        action="create",
        entity_type="open311_key",
        entity_id=key.id,
        summary=f"创建 Open311 密钥 {name}（{key.prefix}…）",
        after={"name": name, "prefix": key.prefix, "created_by": key.created_by},
    )
    return plain, key


def authenticate_key(session: Session, *, plain: str | None) -> Open311Key:
    """Resolve an `api_key` to its active key, refusing missing, unknown and revoked ones with 403."""
    if not plain:
        raise PermissionDenied("缺少 api_key")
    key = session.scalar(select(Open311Key).where(Open311Key.key_hash == _digest(plain)))
    if key is None or key.is_revoked:
        raise PermissionDenied("api_key 无效或已撤销")
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at > _TOUCH_INTERVAL:
        key.last_used_at = now
        session.flush()
    return key


def list_keys(session: Session) -> list[Open311Key]:
    """List every key, newest first."""
    return list(session.scalars(select(Open311Key).order_by(Open311Key.id.desc())))


def revoke_key(session: Session, *, key_id: int) -> Open311Key:
    """Revoke a key; revoking twice changes nothing."""
    key = session.get(Open311Key, key_id)
    if key is None:
        raise NotFound(f"没有编号为 {key_id} 的 Open311 密钥")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
        record(
            session,
            action="revoke",
            entity_type="open311_key",
            entity_id=key.id,
            summary=f"撤销 Open311 密钥 {key.name}（{key.prefix}…）",
        )
    return key

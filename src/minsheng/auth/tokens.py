"""API tokens: shown once, stored as SHA-256 digests, scoped and revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from minsheng.auth.models import ApiToken, User
from minsheng.core.errors import NotAuthenticated, NotFound, ValidationFailed
from minsheng.core.timeutil import utcnow

TOKEN_PREFIX = "msk_"  # noqa: S105 - a public marker, not a secret
MAX_TOKEN_DAYS = 3650
SCOPES: dict[str, str] = {
    "read": "读取数据",
    "write": "新建和修改数据",
    "intake": "提交群众诉求",
    "admin": "管理用户和部门",
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session, *, user: User, name: str, scopes: list[str], days: int | None
) -> tuple[str, ApiToken]:
    """Create a token for a user and return the plain value (shown once) with its record."""
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationFailed(f"有效期必须是 1 到 {MAX_TOKEN_DAYS} 之间的天数", field="days")
    if not name.strip() or len(name.strip()) > 64:
        raise ValidationFailed("令牌名称必须是 1 到 64 个字符", field="name")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValidationFailed(f"未知或缺少权限范围: {', '.join(unknown) or '无'}", field="scopes")
    if "admin" in scopes and not user.is_admin:
        raise ValidationFailed("只有管理员可以申请 admin 范围", field="scopes")
    secret = secrets.token_urlsafe(32)
    plain = f"{TOKEN_PREFIX}{secret}"
    token = ApiToken(
        user_id=user.id,
        name=name.strip(),
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        token_hash=_digest(plain),
        scopes=sorted(set(scopes)),
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    session.add(token)
    session.flush()
    return plain, token


def authenticate_token(session: Session, *, plain: str) -> tuple[User, ApiToken]:
    """Resolve a bearer token to its active user, rejecting revoked and expired tokens."""
    token = session.scalar(
        select(ApiToken).options(selectinload(ApiToken.user)).where(ApiToken.token_hash == _digest(plain))
    )
    now = utcnow()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        raise NotAuthenticated("API 令牌无效、已撤销或已过期")
    if not token.user.is_active:
        raise NotAuthenticated("令牌所属账户已停用")
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
        session.flush()
    return token.user, token


def list_tokens(session: Session, *, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc()))
    )


def revoke_token(session: Session, *, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens (admins may revoke anyone's)."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and not user.is_admin):
        raise NotFound("令牌不存在")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token

"""Per-request state: database session, current user, locale, request id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, selectinload
from starlette.requests import Request

from minsheng.auth.models import ApiToken, User
from minsheng.auth.tokens import authenticate_token
from minsheng.core.errors import NotAuthenticated
from minsheng.core.timeutil import utcnow


@dataclass
class RequestState:
    """What the middleware learned about a request before the route runs."""

    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    ip: str | None = None
    user: User | None = None
    token: ApiToken | None = None
    locale: str = "zh"


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def load_session_user(db: Session, request: Request, *, max_age: int) -> User | None:
    """Return the logged-in user of a cookie session, or None when it is missing, stale or revoked."""
    data = request.session
    user_id = data.get("uid")
    if not isinstance(user_id, int):
        return None
    now = utcnow().timestamp()
    if now - float(data.get("seen", 0)) > max_age:
        data.clear()
        return None
    user = db.get(User, user_id, options=[selectinload(User.department)])
    if user is None or not user.is_active:
        data.clear()
        return None
    if data.get("sv") != user.session_version:
        data.clear()
        return None
    data["seen"] = int(now)
    return user


def load_token_user(db: Session, request: Request) -> tuple[User, ApiToken] | None:
    """Return the user of a bearer token, None when there is no token, or raise for a bad one."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    plain = header[7:].strip()
    if not plain:
        raise NotAuthenticated("缺少 API 令牌")
    user, token = authenticate_token(db, plain=plain)
    loaded = db.get(User, user.id, options=[selectinload(User.department)], populate_existing=True)
    return (loaded or user), token

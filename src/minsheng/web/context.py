"""Per-request state: database session, current user, locale, request id."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, selectinload, sessionmaker
from starlette.requests import Request

from minsheng.auth.models import ApiToken, User
from minsheng.auth.tokens import authenticate_token
from minsheng.core.changes import ChangeCounter
from minsheng.core.errors import NotAuthenticated
from minsheng.core.timeutil import utcnow
from minsheng.org.models import Department

# What a cached token stands for: the token, its user and the user's department. Marking a token used
# (last_used_at, written by the lookup itself once a minute) changes nothing a request relies on.
AUTH_CHANGES = ChangeCounter(ApiToken, User, Department, ignore={"last_used_at"})


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


def bearer_token(request: Request) -> str | None:
    """Return the bearer token a request carries, None when it has none, or raise for an empty one."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    plain = header[7:].strip()
    if not plain:
        raise NotAuthenticated("缺少 API 令牌")
    return plain


@dataclass(frozen=True, slots=True)
class _Checked:
    user: User  # detached, department loaded; requests get their own copy
    token: ApiToken
    at: float
    generation: int


class TokenCache:
    """API tokens checked in the last few seconds, so a busy client is not looked up on every request.

    Entries are keyed by the token's SHA-256 digest and hold detached rows that each request merges into
    its own session. A change this process commits to a token, user or department empties the cache at
    once; another process's change is seen after at most `seconds`. Expiry is checked on every use and
    failed lookups are never kept.
    """

    def __init__(self, factory: sessionmaker[Session], *, seconds: float, size: int = 1024) -> None:
        self.factory = factory
        self.seconds = seconds
        self.size = size
        self._entries: dict[str, _Checked] = {}
        self._generation = AUTH_CHANGES.value
        self._lock = threading.Lock()

    def cached(self, plain: str) -> _Checked | None:
        """Return the still-valid entry of a token, without touching the database."""
        if self.seconds <= 0:
            return None
        if self._generation != AUTH_CHANGES.value:
            with self._lock:
                self._entries.clear()
                self._generation = AUTH_CHANGES.value
            return None
        entry = self._entries.get(_digest(plain))
        if entry is None or entry.generation != AUTH_CHANGES.value:
            return None
        expires = entry.token.expires_at
        if time.monotonic() - entry.at >= self.seconds or (expires is not None and expires <= utcnow()):
            return None
        return entry

    def check(self, plain: str) -> _Checked:
        """Authenticate a token against the database in a short transaction of its own and keep the result."""
        generation = AUTH_CHANGES.value
        with self.factory() as session:
            user, token = authenticate_token(session, plain=plain)
            loaded = session.get(
                User, user.id, options=[selectinload(User.department)], populate_existing=True
            )
            session.commit()
        entry = _Checked(user=loaded or user, token=token, at=time.monotonic(), generation=generation)
        if self.seconds > 0:
            with self._lock:
                if len(self._entries) >= self.size:
                    self._entries.pop(next(iter(self._entries)))
                self._entries[_digest(plain)] = entry
        return entry

    @staticmethod
    def attach(db: Session, entry: _Checked) -> tuple[User, ApiToken]:
        """Give the request its own copies of the token and user, bound to its session, without a query."""
        return db.merge(entry.user, load=False), db.merge(entry.token, load=False)


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()

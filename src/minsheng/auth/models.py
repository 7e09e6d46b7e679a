"""Accounts, API tokens and the login-attempt record used for throttling."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from minsheng.core.database import Base
from minsheng.core.models import TimestampMixin
from minsheng.core.timeutil import utcnow
from minsheng.org.models import Department


class Role(enum.StrEnum):
    """What a user does; a user may hold several roles."""

    admin = "admin"
    analyst = "analyst"
    dispatcher = "dispatcher"
    handler = "handler"
    supervisor = "supervisor"
    leader = "leader"


class User(TimestampMixin, Base):
    """A staff member of the office or of a coordinated department."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column()
    password_changed_at: Mapped[datetime | None] = mapped_column()
    # Bumped at logout, password change or reset and disabling: every older session cookie stops working.
    session_version: Mapped[int] = mapped_column(default=0)

    def end_sessions(self) -> None:
        """Invalidate every login session of this user."""
        self.session_version = (self.session_version or 0) + 1

    department: Mapped[Department] = relationship(lazy="raise")

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_admin(self) -> bool:
        return Role.admin in self.roles


class ApiToken(Base):
    """A revocable bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(lazy="raise")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

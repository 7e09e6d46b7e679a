"""Counts shown on the home page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.audit.models import AuditEntry
from minsheng.auth.models import ApiToken, User
from minsheng.org.models import Department, Region


def home_counts(session: Session, *, since: datetime) -> dict[str, int]:
    """Count the records an administrator wants to see at a glance."""

    def count(stmt) -> int:
        return int(session.scalar(stmt) or 0)

    return {
        "users": count(select(func.count(User.id)).where(User.is_active.is_(True))),
        "departments": count(select(func.count(Department.id)).where(Department.is_active.is_(True))),
        "regions": count(select(func.count(Region.code))),
        "audit_today": count(select(func.count(AuditEntry.id)).where(AuditEntry.occurred_at >= since)),
        "tokens": count(select(func.count(ApiToken.id)).where(ApiToken.revoked_at.is_(None))),
    }

"""ECharts options built in Python and passed to templates as data."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.audit.models import AuditEntry
from minsheng.auth.models import Role
from minsheng.auth.service import count_users_by_role
from minsheng.core.i18n import translate
from minsheng.core.timeutil import to_local, utcnow

ROLE_LABELS = {
    Role.admin: "管理员",
    Role.analyst: "分析研判",
    Role.dispatcher: "受理派单",
    Role.handler: "承办人员",
    Role.supervisor: "督办人员",
    Role.leader: "领导",
}
PALETTE = ["#1f5fae", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#6d597a"]


def roles_chart(session: Session, *, locale: str) -> dict[str, Any]:
    """Bar chart of active users per role."""
    counts = count_users_by_role(session)
    labels = [translate(ROLE_LABELS[role], locale) for role in Role]
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 40, "right": 16, "top": 16, "bottom": 30},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"type": "bar", "barMaxWidth": 36, "data": [counts.get(role, 0) for role in Role]}],
    }


def activity_chart(session: Session, *, days: int, timezone: str, locale: str) -> dict[str, Any]:
    """Line chart of audited actions per local day over the last `days` days."""
    start = utcnow() - timedelta(days=days)
    rows = session.execute(
        select(AuditEntry.occurred_at, AuditEntry.action).where(AuditEntry.occurred_at >= start)
    ).all()
    today = to_local(utcnow(), timezone).date()
    dates = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    writes: Counter[str] = Counter()
    reads: Counter[str] = Counter()
    for occurred_at, action in rows:
        key = to_local(occurred_at, timezone).date().isoformat()
        (reads if action.startswith("read") else writes)[key] += 1
    keys = [day.isoformat() for day in dates]
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [translate("数据变更", locale), translate("个人信息查看", locale)], "top": 0},
        "grid": {"left": 40, "right": 16, "top": 32, "bottom": 30},
        "xAxis": {"type": "category", "data": [day.strftime("%m-%d") for day in dates]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": translate("数据变更", locale),
                "type": "line",
                "smooth": True,
                "areaStyle": {"opacity": 0.15},
                "data": [writes[key] for key in keys],
            },
            {
                "name": translate("个人信息查看", locale),
                "type": "line",
                "smooth": True,
                "data": [reads[key] for key in keys],
            },
        ],
    }

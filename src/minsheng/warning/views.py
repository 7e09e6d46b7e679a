"""Read-side queries for the warning pages: the inbox, an alert's context, the charts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from minsheng.auth.models import User
from minsheng.core.i18n import translate
from minsheng.core.timeutil import to_local, utcnow
from minsheng.warning.models import LEVEL_NAMES, Alert, AlertStatus, WarningRule

STATUS_LABELS = {"new": "待签收", "acknowledged": "已签收", "closed": "已关闭"}
STATUS_FILTERS = {
    "open": "未关闭",
    "new": "待签收",
    "acknowledged": "已签收",
    "closed": "已关闭",
    "all": "全部",
}
DELIVERY_LABELS = {"immediate": "立即推送", "hourly": "每小时汇总", "daily": "每日汇总"}
LEVEL_CHART_COLOURS = {1: "#c0392b", 2: "#e67e22", 3: "#d4ac0d", 4: "#2e86c1"}


@dataclass(frozen=True)
class InboxFilter:
    status: str = "open"
    level: int | None = None
    delivery: str | None = None
    event_id: int | None = None


def _filtered(spec: InboxFilter) -> Select[Any]:
    statement = select(Alert)
    if spec.status == "open":
        statement = statement.where(Alert.status != AlertStatus.closed.value)
    elif spec.status in STATUS_LABELS:
        statement = statement.where(Alert.status == spec.status)
    if spec.level:
        statement = statement.where(Alert.level == spec.level)
    if spec.delivery in DELIVERY_LABELS:
        statement = statement.where(Alert.delivery == spec.delivery)
    if spec.event_id:
        statement = statement.where(Alert.event_id == spec.event_id)
    return statement


def count_alerts(session: Session, spec: InboxFilter) -> int:
    return session.scalar(select(func.count()).select_from(_filtered(spec).subquery())) or 0


def list_alerts(session: Session, spec: InboxFilter, *, limit: int = 30, offset: int = 0) -> list[Alert]:
    """Most severe first, then the latest to fire."""
    statement = _filtered(spec).order_by(Alert.level, Alert.last_triggered_at.desc(), Alert.id.desc())
    return list(session.scalars(statement.limit(limit).offset(offset)))


def open_counts_by_level(session: Session) -> dict[int, int]:
    statement = (
        select(Alert.level, func.count())
        .where(Alert.status != AlertStatus.closed.value)
        .group_by(Alert.level)
    )
    return {int(level): int(n) for level, n in session.execute(statement)}


def alerts_for_event(session: Session, event_id: int) -> list[Alert]:
    """Every alert an event raised, for its page."""
    return list_alerts(session, InboxFilter(status="all", event_id=event_id), limit=50)


def rule_names(session: Session, alerts: list[Alert]) -> dict[int, str]:
    ids = {a.rule_id for a in alerts if a.rule_id}
    if not ids:
        return {}
    return dict(
        session.execute(select(WarningRule.id, WarningRule.name).where(WarningRule.id.in_(ids))).all()
    )


def user_names(session: Session, alerts: list[Alert]) -> dict[int, str]:
    ids = {a.acknowledged_by_id for a in alerts if a.acknowledged_by_id}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def daily_chart(session: Session, *, days: int, timezone: str, locale: str) -> dict[str, Any]:
    """Stacked bars: alerts first raised per local day, by level, over the last `days` days."""
    start = utcnow() - timedelta(days=days)
    rows = session.execute(
        select(Alert.first_triggered_at, Alert.level).where(Alert.first_triggered_at >= start)
    ).all()
    today = to_local(utcnow(), timezone).date()
    dates = [(today - timedelta(days=offset)).isoformat() for offset in range(days - 1, -1, -1)]
    counts: Counter[tuple[str, int]] = Counter(
        (to_local(moment, timezone).date().isoformat(), int(level)) for moment, level in rows
    )
    return {
        "color": [LEVEL_CHART_COLOURS[level] for level in LEVEL_NAMES],
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [translate(name, locale) for name in LEVEL_NAMES.values()], "top": 0},
        "grid": {"left": 40, "right": 16, "top": 32, "bottom": 30},
        "xAxis": {"type": "category", "data": [d[5:] for d in dates]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": translate(name, locale),
                "type": "bar",
                "stack": "level",
                "barMaxWidth": 28,
                "data": [counts.get((d, level), 0) for d in dates],
            }
            for level, name in LEVEL_NAMES.items()
        ],
    }

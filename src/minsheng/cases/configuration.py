"""What the office configures for cases: the routing table, SLA policies and calendar days, all audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from minsheng.audit.service import record
from minsheng.cases.models import CalendarDay, CaseType, RoutingRule, SlaPolicy
from minsheng.cases.routing import RULE_KINDS
from minsheng.cases.schemas import PRIORITIES, clean_text
from minsheng.core.errors import Conflict, NotFound, ValidationFailed
from minsheng.org.models import Department


def _rule_snapshot(rule: RoutingRule) -> dict[str, object]:
    return {
        "kind": rule.kind,
        "pattern": rule.pattern,
        "department_id": rule.department_id,
        "priority": rule.priority,
        "is_active": rule.is_active,
    }


def list_rules(session: Session) -> list[RoutingRule]:
    """List the routing table, strongest rules first."""
    stmt = select(RoutingRule).options(selectinload(RoutingRule.department))
    return list(session.scalars(stmt.order_by(RoutingRule.kind, RoutingRule.priority.desc(), RoutingRule.id)))


def create_rule(
    session: Session, *, kind: str, pattern: str, department_id: int, priority: int
) -> RoutingRule:
    """Add a routing rule after checking its kind, pattern and department."""
    pattern = clean_text(pattern)
    if kind not in RULE_KINDS:
        raise ValidationFailed(f"规则类型只能是 {', '.join(RULE_KINDS)}", field="kind")
    if not 1 <= len(pattern) <= 128:
        raise ValidationFailed("匹配内容应为 1–128 个字符", field="pattern")
    if kind == "region" and not pattern.isdigit():
        raise ValidationFailed("地点规则填写行政区划代码（可为前缀，如 371502）", field="pattern")
    dept = session.get(Department, department_id)
    if dept is None or not dept.is_active:
        raise ValidationFailed("所选部门不存在或已停用", field="department_id")
    if not -1000 <= priority <= 1000:
        raise ValidationFailed("优先级应在 -1000 到 1000 之间", field="priority")
    duplicate = session.scalar(
        select(RoutingRule.id).where(
            RoutingRule.kind == kind,
            RoutingRule.pattern == pattern,
            RoutingRule.department_id == department_id,
        )
    )
    if duplicate is not None:
        raise Conflict("相同的规则已经存在")
    rule = RoutingRule(kind=kind, pattern=pattern, department_id=department_id, priority=priority)
    session.add(rule)
    session.flush()
    record(
        session, action="create", entity_type="routing_rule", entity_id=rule.id, after=_rule_snapshot(rule)
    )
    return rule


def _rule(session: Session, rule_id: int) -> RoutingRule:
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound("路由规则不存在")
    return rule


def set_rule_active(session: Session, *, rule_id: int, is_active: bool) -> RoutingRule:
    """Switch a routing rule on or off."""
    rule = _rule(session, rule_id)
    before = _rule_snapshot(rule)
    rule.is_active = is_active
    session.flush()
    record(
        session,
        action="update",
        entity_type="routing_rule",
        entity_id=rule.id,
        before=before,
        after=_rule_snapshot(rule),
    )
    return rule


def delete_rule(session: Session, *, rule_id: int) -> None:
    """Remove a routing rule."""
    rule = _rule(session, rule_id)
    before = _rule_snapshot(rule)
    session.delete(rule)
    session.flush()
    record(session, action="delete", entity_type="routing_rule", entity_id=rule_id, before=before)


def list_policies(session: Session) -> list[tuple[SlaPolicy, CaseType]]:
    """List SLA policies with their case types."""
    stmt = select(SlaPolicy, CaseType).join(CaseType, SlaPolicy.type_id == CaseType.id)
    return [tuple(row) for row in session.execute(stmt.order_by(CaseType.sort_order, SlaPolicy.id))]  # type: ignore[misc]


def _policy_snapshot(policy: SlaPolicy) -> dict[str, object]:
    return {
        "type_id": policy.type_id,
        "category": policy.category,
        "priority": policy.priority,
        "sign_for_hours": policy.sign_for_hours,
        "response_hours": policy.response_hours,
        "resolve_days": policy.resolve_days,
        "remind_before_hours": policy.remind_before_hours,
    }


def _check_times(
    sign_for_hours: float, response_hours: float, resolve_days: int, remind_before_hours: float
) -> None:
    if not (0 < sign_for_hours <= 240 and 0 < response_hours <= 480 and 1 <= resolve_days <= 365):
        raise ValidationFailed("时限超出范围：签收 ≤240 小时，响应 ≤480 小时，办结 1–365 个工作日")
    if sign_for_hours > response_hours:
        raise ValidationFailed("签收时限不能长于首次响应时限")
    if not 0 <= remind_before_hours <= 240:
        raise ValidationFailed("提前提醒时间应在 0–240 小时之间")


def save_policy(
    session: Session,
    *,
    policy_id: int | None,
    type_id: int,
    category: str | None,
    priority: str | None,
    sign_for_hours: float,
    response_hours: float,
    resolve_days: int,
    remind_before_hours: float,
) -> SlaPolicy:
    """Create or change an SLA policy; a type has at most one policy per (category, priority)."""
    _check_times(sign_for_hours, response_hours, resolve_days, remind_before_hours)
    if session.get(CaseType, type_id) is None:
        raise ValidationFailed("受理类型不存在", field="type_id")
    category = clean_text(category) or None
    if priority is not None and priority not in PRIORITIES:
        raise ValidationFailed("优先级无效", field="priority")
    clash = session.scalar(
        select(SlaPolicy.id).where(
            SlaPolicy.type_id == type_id,
            SlaPolicy.category.is_(None) if category is None else SlaPolicy.category == category,
            SlaPolicy.priority.is_(None) if priority is None else SlaPolicy.priority == priority,
        )
    )
    if clash is not None and clash != policy_id:
        raise Conflict("该类型已有相同分类和优先级的时限规则")
    policy = session.get(SlaPolicy, policy_id) if policy_id else SlaPolicy(type_id=type_id)
    if policy is None:
        raise NotFound("时限规则不存在")
    before = _policy_snapshot(policy) if policy_id else None
    policy.type_id, policy.category, policy.priority = type_id, category, priority
    policy.sign_for_hours, policy.response_hours = sign_for_hours, response_hours
    policy.resolve_days, policy.remind_before_hours = resolve_days, remind_before_hours
    session.add(policy)
    session.flush()
    record(
        session,
        action="update" if policy_id else "create",
        entity_type="sla_policy",
        entity_id=policy.id,
        before=before,
        after=_policy_snapshot(policy),
    )
    return policy


def list_calendar_days(session: Session) -> list[CalendarDay]:
    """List the office's own calendar entries, latest first."""
    return list(session.scalars(select(CalendarDay).order_by(CalendarDay.day.desc())))


def set_calendar_day(session: Session, *, day: date, is_workday: bool, note: str) -> CalendarDay:
    """Record a holiday or a make-up working day, replacing an earlier entry for the same day."""
    entry = session.get(CalendarDay, day) or CalendarDay(day=day)
    before = {"is_workday": entry.is_workday, "note": entry.note} if entry.is_workday is not None else None
    entry.is_workday, entry.note = is_workday, clean_text(note)[:64]
    session.add(entry)
    session.flush()
    record(
        session,
        action="update" if before else "create",
        entity_type="calendar_day",
        entity_id=day.isoformat(),
        before=before,
        after={"is_workday": is_workday, "note": entry.note},
    )
    return entry


def delete_calendar_day(session: Session, *, day: date) -> None:
    """Remove an entry so the packaged calendar decides the day again."""
    entry = session.get(CalendarDay, day)
    if entry is None:
        raise NotFound("没有这一天的日历设置")
    session.delete(entry)
    session.flush()
    record(
        session,
        action="delete",
        entity_type="calendar_day",
        entity_id=day.isoformat(),
        before={"is_workday": entry.is_workday},
    )

"""Carry out workflow actions on a case: check the rule, change the case, write the timeline and the audit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from minsheng.audit.service import record
from minsheng.auth.models import User
from minsheng.cases import deadlines
from minsheng.cases.calendar import WorkCalendar
from minsheng.cases.models import Case, CaseEvent, CasePartner, CaseType
from minsheng.cases.queries import works_for_lead_department
from minsheng.cases.schemas import ActionIn
from minsheng.cases.states import (
    ACTION_LABELS,
    RULES,
    TERMINAL,
    Action,
    CaseStatus,
    IllegalTransition,
    next_status,
)
from minsheng.core.errors import NotFound, PermissionDenied, ValidationFailed
from minsheng.org.models import Department

SATISFACTION = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
MAX_SUPERVISION = 3


@dataclass
class Step:
    """What an action did, to be written to the timeline."""

    note: str = ""
    public_note: str | None = None
    department_id: int | None = None
    data: dict[str, object] | None = None


@dataclass
class ActionContext:
    """Everything an action handler may need besides the case."""

    session: Session
    user: User | None
    data: ActionIn
    calendar: WorkCalendar
    now: datetime


def _require(value: str | None, message: str, field: str = "note") -> str:
    if not value:
        raise ValidationFailed(message, field=field)
    return value


def _department(session: Session, department_id: int | None) -> Department:
    if department_id is None:
        raise ValidationFailed("请选择承办单位", field="department_id")
    dept = session.get(Department, department_id)
    if dept is None or not dept.is_active:
        raise ValidationFailed("所选承办单位不存在或已停用", field="department_id")
    return dept


def _hand_to(ctx: ActionContext, case: Case, dept: Department, partner_ids: list[int]) -> None:
    """Give the case to a lead department with partners and start its clocks."""
    case.lead_department_id = dept.id
    case.assigned_at = ctx.now
    case.accepted_at = case.accepted_at or ctx.now
    case.signed_at = None
    case.paused_at = case.reminded_at = case.sign_urged_at = case.overdue_at = None
    ctx.session.execute(delete(CasePartner).where(CasePartner.case_id == case.id))
    for partner_id in dict.fromkeys(partner_ids):
        if partner_id != dept.id:
            _department(ctx.session, partner_id)
            ctx.session.add(CasePartner(case_id=case.id, department_id=partner_id))
    policy = deadlines.policy_for(ctx.session, case)
    deadlines.set_deadlines(case, policy=policy, calendar=ctx.calendar, start=ctx.now)


def _accept(ctx: ActionContext, case: Case) -> Step:
    case.accepted_at = ctx.now
    return Step(note=ctx.data.note, public_note="您反映的问题已受理")


def _reject(ctx: ActionContext, case: Case) -> Step:
    reason = _require(ctx.data.public_note or ctx.data.note, "请填写不予受理的理由")
    case.closed_at = ctx.now
    return Step(note=ctx.data.note, public_note=f"不予受理：{reason}")


def _assign(ctx: ActionContext, case: Case) -> Step:
    dept = _department(ctx.session, ctx.data.department_id)
    _hand_to(ctx, case, dept, ctx.data.partner_ids)
    return Step(
        note=ctx.data.note,
        public_note=f"已转交{dept.name}办理",
        department_id=dept.id,
        data={"partner_ids": ctx.data.partner_ids},
    )


def _sign_for(ctx: ActionContext, case: Case) -> Step:
    case.signed_at = ctx.now
    return Step(
        note=ctx.data.note, public_note="承办单位已签收，正在办理", department_id=case.lead_department_id
    )


def _return(ctx: ActionContext, case: Case) -> Step:
    reason = _require(ctx.data.note, "请填写退单理由")
    returned_from = case.lead_department_id
    case.lead_department_id = None
    case.signed_at = case.sign_for_due_at = case.response_due_at = case.resolve_due_at = None
    case.return_count += 1
    ctx.session.execute(delete(CasePartner).where(CasePartner.case_id == case.id))
    return Step(note=reason, department_id=returned_from)


def _transfer(ctx: ActionContext, case: Case) -> Step:
    dept = _department(ctx.session, ctx.data.department_id)
    if dept.id == case.lead_department_id:
        raise ValidationFailed("转办单位与当前承办单位相同", field="department_id")
    _hand_to(ctx, case, dept, ctx.data.partner_ids)
    return Step(note=ctx.data.note, public_note=f"已转交{dept.name}办理", department_id=dept.id)


def _request_info(ctx: ActionContext, case: Case) -> Step:
    needed = _require(ctx.data.public_note or ctx.data.note, "请说明需要来电人补充什么", "public_note")
    deadlines.pause(case, now=ctx.now)
    return Step(note=ctx.data.note, public_note=f"请补充：{needed}", department_id=case.lead_department_id)


def _resume(ctx: ActionContext, case: Case) -> Step:
    waited = deadlines.resume(case, calendar=ctx.calendar, now=ctx.now)
    return Step(
        note=ctx.data.note,
        public_note="已收到补充材料，继续办理",
        department_id=case.lead_department_id,
        data={"paused_working_seconds": round(waited)},
    )


def _reply(ctx: ActionContext, case: Case) -> Step:
    answer = _require(ctx.data.public_note, "请填写给来电人的答复", "public_note")
    case.public_reply = answer
    case.replied_at = ctx.now
    return Step(note=ctx.data.note, public_note=answer, department_id=case.lead_department_id)


def _send_back(ctx: ActionContext, case: Case) -> Step:
    reason = _require(ctx.data.note, "请填写退回重办的理由")
    case.public_reply = None
    return Step(note=reason, department_id=case.lead_department_id)


def _close(ctx: ActionContext, case: Case) -> Step:
    case.closed_at = ctx.now
    return Step(note=ctx.data.note, public_note="已办结", department_id=case.lead_department_id)


def _reopen(ctx: ActionContext, case: Case) -> Step:
    if case.lead_department_id is None:
        raise IllegalTransition("工单没有承办单位，无法重办")
    dept = _department(ctx.session, case.lead_department_id)
    partners = ctx.session.scalars(
        select(CasePartner.department_id).where(CasePartner.case_id == case.id)
    ).all()
    _hand_to(ctx, case, dept, list(partners))
    case.closed_at = case.replied_at = case.public_reply = case.rated_at = None
    case.reopen_count += 1
    return Step(note=ctx.data.note, public_note="已安排重新办理", department_id=dept.id)


def _follow_up(ctx: ActionContext, case: Case) -> Step:
    verdict = ctx.data.satisfaction
    if verdict not in SATISFACTION:
        raise ValidationFailed("请选择满意度：满意、基本满意或不满意", field="satisfaction")
    case.satisfaction, case.satisfaction_note, case.rated_at = verdict, ctx.data.note or None, ctx.now
    return Step(
        note=ctx.data.note, public_note=f"回访结果：{SATISFACTION[verdict]}", data={"satisfaction": verdict}
    )


def _request_extension(ctx: ActionContext, case: Case) -> Step:
    if ctx.data.days is None:
        raise ValidationFailed("请填写申请延期的工作日数", field="days")
    if case.extension_days_requested:
        raise IllegalTransition("已有待审批的延期申请")
    case.extension_days_requested = ctx.data.days
    case.extension_reason = _require(ctx.data.note, "请填写延期理由")
    return Step(
        note=case.extension_reason, department_id=case.lead_department_id, data={"days": ctx.data.days}
    )


def _decide_extension(ctx: ActionContext, case: Case, *, approve: bool) -> Step:
    days = case.extension_days_requested
    if not days:
        raise IllegalTransition("没有待审批的延期申请")
    if approve:
        deadlines.extend(case, calendar=ctx.calendar, days=days)
        case.reminded_at = None
    case.extension_days_requested = None
    case.extension_reason = None
    public = f"办理期限延长 {days} 个工作日" if approve else None
    return Step(note=ctx.data.note, public_note=public, data={"days": days, "approved": approve})


def _urge(ctx: ActionContext, case: Case) -> Step:
    case.urge_count += 1
    return Step(note=ctx.data.note, department_id=case.lead_department_id, data={"count": case.urge_count})


def _supervise(ctx: ActionContext, case: Case, *, escalate: bool) -> Step:
    if escalate and case.supervision_level == 0:
        raise IllegalTransition("请先督办，再提级督办")
    if not escalate and case.supervision_level > 0:
        raise IllegalTransition("工单已在督办中，如需加大力度请提级督办")
    if case.supervision_level >= MAX_SUPERVISION:
        raise IllegalTransition("已是最高督办级别")
    case.supervision_level += 1
    return Step(
        note=_require(ctx.data.note, "请填写督办意见"),
        department_id=case.lead_department_id,
        data={"level": case.supervision_level},
    )


def _merge(ctx: ActionContext, case: Case) -> Step:
    target = ctx.session.get(Case, ctx.data.target_case_id) if ctx.data.target_case_id else None
    if target is None or target.id == case.id:
        raise ValidationFailed("请选择要合并到的另一张工单", field="target_case_id")
    if target.status in TERMINAL:
        raise IllegalTransition("只能合并到仍在办理的工单")
    case.duplicate_of_id = target.id
    case.closed_at = ctx.now
    return Step(
        note=ctx.data.note,
        public_note=f"与受理编号 {target.tracking_no} 合并办理",
        data={"target_case_id": target.id, "target_tracking_no": target.tracking_no},
    )


def _refer_police(ctx: ActionContext, case: Case) -> Step:
    return Step(
        note=_require(ctx.data.note, "请填写移送的公安机关和移送材料"), public_note="已依法移送公安机关"
    )


def _notify_platform(ctx: ActionContext, case: Case) -> Step:
    case_type = ctx.session.get(CaseType, case.type_id)
    if case_type is None or case_type.code != "illegal_content":
        raise IllegalTransition("只有网络违法和不良信息举报需要通知平台处置")
    note = _require(ctx.data.note, "请填写通知的平台、处置要求和证据")
    return Step(note=note, public_note="已通知相关平台依法处置")


def _note(ctx: ActionContext, case: Case) -> Step:
    return Step(note=_require(ctx.data.note, "备注内容不能为空"))


HANDLERS: dict[Action, Callable[[ActionContext, Case], Step]] = {
    Action.accept: _accept,
    Action.reject: _reject,
    Action.assign: _assign,
    Action.sign_for: _sign_for,
    Action.return_: _return,
    Action.transfer: _transfer,
    Action.request_info: _request_info,
    Action.resume: _resume,
    Action.reply: _reply,
    Action.send_back: _send_back,
    Action.close: _close,
    Action.follow_up: _follow_up,
    Action.reopen: _reopen,
    Action.request_extension: _request_extension,
    Action.approve_extension: lambda ctx, case: _decide_extension(ctx, case, approve=True),
    Action.deny_extension: lambda ctx, case: _decide_extension(ctx, case, approve=False),
    Action.urge: _urge,
    Action.supervise: lambda ctx, case: _supervise(ctx, case, escalate=False),
    Action.escalate: lambda ctx, case: _supervise(ctx, case, escalate=True),
    Action.merge: _merge,
    Action.refer_police: _refer_police,
    Action.notify_platform: _notify_platform,
    Action.note: _note,
}


def parse_action(name: str) -> Action:
    """Turn a submitted action name into an Action, with a clear error for unknown names."""
    try:
        return Action(name)
    except ValueError:
        raise NotFound(f"没有名为 {name} 的操作") from None


def refusal(user: User, action: Action, *, leads: bool) -> str | None:
    """Say why the user may not take the action, or None when they may; `leads`: works for the lead unit."""
    rule = RULES[action]
    if not user.has_role(*rule.roles):
        return f"您的角色不能{ACTION_LABELS[action]}"
    if rule.by_department and not leads:
        return f"只有承办单位可以{ACTION_LABELS[action]}"
    return None


def check_may_act(session: Session, *, case: Case, user: User, action: Action) -> None:
    """Refuse actions outside the user's roles, and department actions outside the user's departments."""
    leads = not RULES[action].by_department or works_for_lead_department(session, user=user, case=case)
    message = refusal(user, action, leads=leads)
    if message:
        raise PermissionDenied(message)


def actor_name(user: User | None) -> str:
    """Name the actor for the timeline."""
    return user.display_name if user is not None else "来电人"


def apply_action(
    session: Session,
    *,
    case: Case,
    user: User | None,
    data: ActionIn,
    calendar: WorkCalendar,
    now: datetime,
) -> CaseEvent:
    """Carry out one action and return the timeline step it wrote; the caller has checked permissions."""
    action = parse_action(data.action)
    before = case.status
    target = next_status(CaseStatus(before), action)
    step = HANDLERS[action](ActionContext(session, user, data, calendar, now), case)
    case.status = target
    if action is Action.follow_up and data.satisfaction == "dissatisfied":
        # A dissatisfied citizen sends the case back to its department (重办).
        case.status = next_status(CaseStatus(case.status), Action.reopen)
        _reopen(ActionContext(session, user, ActionIn(action="reopen"), calendar, now), case)
    event = CaseEvent(
        case_id=case.id,
        action=action.value,
        from_status=before,
        to_status=case.status,
        actor_id=user.id if user else None,
        actor_name=actor_name(user),
        department_id=step.department_id,
        note=step.note,
        public_note=step.public_note,
        data=step.data or {},
        occurred_at=now,
    )
    session.add(event)
    session.flush()
    record(
        session,
        action=f"case.{action.value}",
        entity_type="case",
        entity_id=case.id,
        summary=f"{case.tracking_no} {ACTION_LABELS[action]}",
        before={"status": before},
        after={"status": case.status, "lead_department_id": case.lead_department_id, **(step.data or {})},
    )
    return event

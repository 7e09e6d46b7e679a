"""The case workflow as data: statuses, actions, who may take them and where they lead."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from minsheng.core.errors import Conflict


class CaseStatus(enum.StrEnum):
    """Where a case stands; the Chinese names are what 12345 centres call each stage."""

    submitted = "submitted"  # 待受理
    accepted = "accepted"  # 待派单
    assigned = "assigned"  # 待签收
    in_progress = "in_progress"  # 办理中
    waiting_citizen = "waiting_citizen"  # 待补充材料 (clock paused)
    replied = "replied"  # 已答复, awaiting review
    closed = "closed"  # 已办结
    rejected = "rejected"  # 不予受理
    merged = "merged"  # 已合并


STATUS_LABELS: dict[CaseStatus, str] = {
    CaseStatus.submitted: "待受理",
    CaseStatus.accepted: "待派单",
    CaseStatus.assigned: "待签收",
    CaseStatus.in_progress: "办理中",
    CaseStatus.waiting_citizen: "待补充材料",
    CaseStatus.replied: "已答复待审核",
    CaseStatus.closed: "已办结",
    CaseStatus.rejected: "不予受理",
    CaseStatus.merged: "已合并",
}

# What a citizen sees: the public stage of each status (Open311 maps these to open/closed).
PUBLIC_LABELS: dict[CaseStatus, str] = {
    CaseStatus.submitted: "已提交",
    CaseStatus.accepted: "已受理",
    CaseStatus.assigned: "办理中",
    CaseStatus.in_progress: "办理中",
    CaseStatus.waiting_citizen: "待您补充材料",
    CaseStatus.replied: "办理中",
    CaseStatus.closed: "已办结",
    CaseStatus.rejected: "不予受理",
    CaseStatus.merged: "已合并办理",
}

TERMINAL = frozenset({CaseStatus.closed, CaseStatus.rejected, CaseStatus.merged})
OPEN = frozenset(CaseStatus) - TERMINAL
# Statuses in which a department holds the case and its deadlines run.
WITH_DEPARTMENT = frozenset({CaseStatus.assigned, CaseStatus.in_progress, CaseStatus.waiting_citizen})


class Action(enum.StrEnum):
    """Everything a person can do to a case."""

    accept = "accept"  # 受理
    reject = "reject"  # 不予受理
    assign = "assign"  # 派单
    sign_for = "sign_for"  # 签收
    return_ = "return"  # 退单
    transfer = "transfer"  # 转办
    request_info = "request_info"  # 请来电人补充材料
    resume = "resume"  # 恢复办理
    reply = "reply"  # 答复
    send_back = "send_back"  # 审核退回重办
    close = "close"  # 办结
    follow_up = "follow_up"  # 回访
    reopen = "reopen"  # 重办
    request_extension = "request_extension"  # 延期申请
    approve_extension = "approve_extension"  # 批准延期
    deny_extension = "deny_extension"  # 驳回延期
    urge = "urge"  # 催办
    supervise = "supervise"  # 督办
    escalate = "escalate"  # 提级督办
    merge = "merge"  # 合并
    refer_police = "refer_police"  # 移送公安
    notify_platform = "notify_platform"  # 通知平台处置
    note = "note"  # 内部备注


ACTION_LABELS: dict[Action, str] = {
    Action.accept: "受理",
    Action.reject: "不予受理",
    Action.assign: "派单",
    Action.sign_for: "签收",
    Action.return_: "退单",
    Action.transfer: "转办",
    Action.request_info: "请求补充材料",
    Action.resume: "恢复办理",
    Action.reply: "答复",
    Action.send_back: "退回重办",
    Action.close: "办结",
    Action.follow_up: "回访",
    Action.reopen: "重办",
    Action.request_extension: "申请延期",
    Action.approve_extension: "批准延期",
    Action.deny_extension: "驳回延期",
    Action.urge: "催办",
    Action.supervise: "督办",
    Action.escalate: "提级督办",
    Action.merge: "合并",
    Action.refer_police: "移送公安",
    Action.notify_platform: "通知平台处置",
    Action.note: "内部备注",
}
# Steps the deadline sweep takes by itself; they appear in the timeline but cannot be chosen.
AUTOMATIC_LABELS = {"remind": "到期提醒", "urge": "自动催办", "supervise": "自动督办"}
# How each timeline step is named.
EVENT_LABELS: dict[str, str] = {"submit": "提交", **{a.value: label for a, label in ACTION_LABELS.items()}}


@dataclass(frozen=True)
class Rule:
    """The statuses an action starts from, the status it leads to (None: unchanged) and who may take it."""

    sources: frozenset[CaseStatus]
    target: CaseStatus | None
    roles: frozenset[str]
    by_department: bool = False


_DISPATCH = frozenset({"dispatcher", "admin"})
_HANDLE = frozenset({"handler", "admin"})
_SUPERVISE = frozenset({"supervisor", "leader", "admin"})
_ANY_STAFF = frozenset({"admin", "analyst", "dispatcher", "handler", "supervisor", "leader"})
_BEING_WORKED = frozenset({CaseStatus.assigned, CaseStatus.in_progress, CaseStatus.waiting_citizen})

RULES: dict[Action, Rule] = {
    Action.accept: Rule(frozenset({CaseStatus.submitted}), CaseStatus.accepted, _DISPATCH),
    Action.reject: Rule(
        frozenset({CaseStatus.submitted, CaseStatus.accepted}), CaseStatus.rejected, _DISPATCH
    ),
    Action.assign: Rule(
        frozenset({CaseStatus.submitted, CaseStatus.accepted}), CaseStatus.assigned, _DISPATCH
    ),
    Action.sign_for: Rule(frozenset({CaseStatus.assigned}), CaseStatus.in_progress, _HANDLE, True),
    Action.return_: Rule(
        frozenset({CaseStatus.assigned, CaseStatus.in_progress}), CaseStatus.accepted, _HANDLE, True
    ),
    Action.transfer: Rule(_BEING_WORKED - {CaseStatus.waiting_citizen}, CaseStatus.assigned, _DISPATCH),
    Action.request_info: Rule(frozenset({CaseStatus.in_progress}), CaseStatus.waiting_citizen, _HANDLE, True),
    Action.resume: Rule(frozenset({CaseStatus.waiting_citizen}), CaseStatus.in_progress, _HANDLE, True),
    Action.reply: Rule(frozenset({CaseStatus.in_progress}), CaseStatus.replied, _HANDLE, True),
    Action.send_back: Rule(frozenset({CaseStatus.replied}), CaseStatus.in_progress, _DISPATCH),
    Action.close: Rule(frozenset({CaseStatus.replied}), CaseStatus.closed, _DISPATCH),
    Action.follow_up: Rule(frozenset({CaseStatus.closed}), None, _DISPATCH),
    Action.reopen: Rule(frozenset({CaseStatus.closed}), CaseStatus.assigned, _DISPATCH),
    Action.request_extension: Rule(_BEING_WORKED, None, _HANDLE, True),
    Action.approve_extension: Rule(_BEING_WORKED, None, _SUPERVISE),
    Action.deny_extension: Rule(_BEING_WORKED, None, _SUPERVISE),
    Action.urge: Rule(_BEING_WORKED | {CaseStatus.replied}, None, _DISPATCH | _SUPERVISE),
    Action.supervise: Rule(_BEING_WORKED | {CaseStatus.replied}, None, _SUPERVISE),
    Action.escalate: Rule(_BEING_WORKED | {CaseStatus.replied}, None, _SUPERVISE),
    Action.merge: Rule(
        frozenset({CaseStatus.submitted, CaseStatus.accepted, CaseStatus.assigned}),
        CaseStatus.merged,
        _DISPATCH,
    ),
    Action.refer_police: Rule(frozenset({CaseStatus.in_progress}), None, _HANDLE | _DISPATCH),
    Action.notify_platform: Rule(frozenset({CaseStatus.in_progress}), None, _HANDLE | _DISPATCH),
    Action.note: Rule(frozenset(CaseStatus), None, _ANY_STAFF),
}


class IllegalTransition(Conflict):
    """The action cannot be taken on a case in its current status."""

    default_message = "当前状态下不能执行此操作"


def next_status(status: CaseStatus, action: Action) -> CaseStatus:
    """Return the status the action leads to, refusing actions the workflow does not allow here."""
    rule = RULES[action]
    if status not in rule.sources:
        raise IllegalTransition(f"工单处于“{STATUS_LABELS[status]}”状态，不能{ACTION_LABELS[action]}")
    return rule.target or status


def allowed_actions(status: CaseStatus) -> list[Action]:
    """List the actions the workflow allows from a status, in a stable order."""
    return [action for action, rule in RULES.items() if status in rule.sources]

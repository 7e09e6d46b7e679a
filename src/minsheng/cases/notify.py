"""Carry the deadline sweep's reminders, urges and supervision notices to notification channels."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from minsheng.cases.models import Case
from minsheng.channels.message import Message
from minsheng.channels.service import enqueue
from minsheng.core.settings import Settings
from minsheng.core.timeutil import UTC, format_local
from minsheng.org.models import Department
from minsheng.text.pii import mask

STEPS = {
    "remind": ("工单即将到期", "办结时限"),
    "urge": ("工单签收超时催办", "签收时限"),
    "supervise": ("工单超期督办", "办结时限"),
}


def _due(case: Case, action: str) -> datetime | None:
    return case.sign_for_due_at if action == "urge" else case.resolve_due_at


def case_message(session: Session, case: Case, *, action: str, note: str, settings: Settings) -> Message:
    """Say which case needs what by when; the title is masked and no complainant data is included."""
    heading, due_label = STEPS[action]
    department = session.get(Department, case.lead_department_id) if case.lead_department_id else None
    due = _due(case, action)
    fields = [("工单编号", case.tracking_no), ("承办单位", department.name if department else "未派单")]
    if due is not None:
        fields.append((due_label, format_local(due, settings.timezone)))
    return Message(
        title=f"【{heading}】{case.tracking_no}",
        text=f"{mask(case.title)}\n{note}",
        url=f"{settings.public_base_url.rstrip('/')}/cases/{case.id}",
        fields=tuple(fields),
    )


def notify_case_step(
    session: Session, case: Case, *, action: str, note: str, settings: Settings, now: datetime
) -> None:
    """Queue an automatic step on the channels named in `case_reminder_channel_ids`, once per due time."""
    if not settings.case_reminder_channel_ids or action not in STEPS:
        return
    due = _due(case, action)
    stamp = due.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") if due else "none"
    enqueue(
        session,
        channel_ids=settings.case_reminder_channel_ids,
        message=case_message(session, case, action=action, note=note, settings=settings),
        ref_type="case",
        ref_id=case.id,
        dedupe_key=f"case:{case.id}:{action}:{stamp}",
        now=now,
    )

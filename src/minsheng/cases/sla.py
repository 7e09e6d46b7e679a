"""The deadline sweep: remind before a case falls due, urge late sign-for, supervise overdue cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from minsheng.audit.service import record
from minsheng.cases.calendar import WorkCalendar
from minsheng.cases.deadlines import pick_policy, work_calendar
from minsheng.cases.models import Case, CaseEvent, SlaPolicy
from minsheng.cases.notify import notify_case_step
from minsheng.cases.states import WITH_DEPARTMENT, CaseStatus
from minsheng.core.settings import Settings

SYSTEM_NAME = "系统"
DEFAULT_REMIND_HOURS = 4.0


@dataclass
class SweepResult:
    """How many cases each automatic step touched."""

    reminded: int = 0
    urged: int = 0
    supervised: int = 0


def _step(
    session: Session,
    case: Case,
    action: str,
    note: str,
    now: datetime,
    data: dict[str, object],
    *,
    settings: Settings,
) -> None:
    session.add(
        CaseEvent(
            case_id=case.id,
            action=action,
            from_status=case.status,
            to_status=case.status,
            actor_name=SYSTEM_NAME,
            department_id=case.lead_department_id,
            note=note,
            data={"automatic": True, **data},
            occurred_at=now,
        )
    )
    record(
        session,
        action=f"case.auto_{action}",
        entity_type="case",
        entity_id=case.id,
        summary=f"{case.tracking_no} {note}",
        after={"status": case.status, **data},
    )
    notify_case_step(session, case, action=action, note=note, settings=settings, now=now)


def _is_due_soon(case: Case, calendar: WorkCalendar, hours: float, now: datetime) -> bool:
    due = case.resolve_due_at
    return due is not None and now < due and calendar.working_seconds_between(now, due) <= hours * 3600


def sweep_deadlines(session: Session, *, settings: Settings, now: datetime) -> SweepResult:
    """Take every automatic deadline step that is due; running it twice changes nothing more."""
    calendar = work_calendar(session, settings)
    result = SweepResult()
    candidates = session.scalars(
        select(Case)
        .where(Case.status.in_(WITH_DEPARTMENT), Case.paused_at.is_(None))
        .where(or_(Case.reminded_at.is_(None), Case.sign_urged_at.is_(None), Case.overdue_at.is_(None)))
        .order_by(Case.id)
    ).all()
    # One read of the policies serves every candidate; the sweep runs every five minutes over all open cases.
    policies = session.scalars(select(SlaPolicy)).all()
    for case in candidates:
        if (
            case.status == CaseStatus.assigned
            and case.sign_urged_at is None
            and case.sign_for_due_at
            and now > case.sign_for_due_at
        ):
            case.sign_urged_at = now
            case.urge_count += 1
            _step(
                session,
                case,
                "urge",
                "签收超时，系统自动催办",
                now,
                {"count": case.urge_count},
                settings=settings,
            )
            result.urged += 1
        if case.overdue_at is None and case.resolve_due_at and now > case.resolve_due_at:
            case.overdue_at = now
            case.supervision_level = max(case.supervision_level, 1)
            _step(
                session,
                case,
                "supervise",
                "超期未办结，系统自动督办",
                now,
                {"level": case.supervision_level},
                settings=settings,
            )
            result.supervised += 1
        elif case.reminded_at is None and case.overdue_at is None:
            policy = pick_policy(policies, case)
            hours = policy.remind_before_hours if policy else DEFAULT_REMIND_HOURS
            if _is_due_soon(case, calendar, hours, now):
                case.reminded_at = now
                _step(
                    session,
                    case,
                    "remind",
                    "即将到期，请抓紧办理",
                    now,
                    {"due": case.resolve_due_at.isoformat()},
                    settings=settings,
                )
                result.reminded += 1
    session.flush()
    return result

"""Deadlines of a case on the working-day calendar: set on assignment, paused, extended, checked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.cases.calendar import WorkCalendar, parse_office_hours
from minsheng.cases.models import CalendarDay, Case, SlaPolicy
from minsheng.cases.states import WITH_DEPARTMENT, CaseStatus
from minsheng.core.settings import Settings

DEFAULT_SLA = (2.0, 8.0, 5)


def work_calendar(session: Session, settings: Settings) -> WorkCalendar:
    """Build the office's calendar: the packaged holidays plus the office's own day entries."""
    overrides = {
        day: is_workday
        for day, is_workday in session.execute(select(CalendarDay.day, CalendarDay.is_workday))
    }
    return WorkCalendar(
        zone=ZoneInfo(settings.timezone),
        office_hours=parse_office_hours(settings.office_hours),
        overrides=overrides,
    )


def policy_for(session: Session, case: Case) -> SlaPolicy | None:
    """Load the policies of the case's type and pick the most specific one."""
    policies = session.scalars(select(SlaPolicy).where(SlaPolicy.type_id == case.type_id)).all()
    return pick_policy(policies, case)


def pick_policy(policies: Sequence[SlaPolicy], case: Case) -> SlaPolicy | None:
    """Pick the most specific of the given policies for the case's type, category and priority."""
    fitting = [
        p
        for p in policies
        if p.type_id == case.type_id
        and p.category in (None, case.category)
        and p.priority in (None, case.priority)
    ]
    if not fitting:
        return None
    return max(fitting, key=lambda p: (p.category is not None, p.priority is not None))


def set_deadlines(case: Case, *, policy: SlaPolicy | None, calendar: WorkCalendar, start: datetime) -> None:
    """Compute the sign-for, first-response and resolution deadlines from the moment of assignment."""
    sign_hours, response_hours, resolve_days = (
        (policy.sign_for_hours, policy.response_hours, policy.resolve_days) if policy else DEFAULT_SLA
    )
    case.sign_for_due_at = calendar.add_working_hours(start, sign_hours)
    case.response_due_at = calendar.add_working_hours(start, response_hours)
    case.resolve_due_at = calendar.add_working_days(start, resolve_days)


def pause(case: Case, *, now: datetime) -> None:
    """Stop the clock while the case waits on the citizen."""
    case.paused_at = now


def resume(case: Case, *, calendar: WorkCalendar, now: datetime) -> float:
    """Restart the clock, pushing every open deadline later by the working time spent waiting."""
    if case.paused_at is None:
        return 0.0
    waited = calendar.working_seconds_between(case.paused_at, now)
    if case.signed_at is None and case.sign_for_due_at:
        case.sign_for_due_at = calendar.shift(case.sign_for_due_at, waited)
    if case.replied_at is None and case.response_due_at:
        case.response_due_at = calendar.shift(case.response_due_at, waited)
    if case.resolve_due_at:
        case.resolve_due_at = calendar.shift(case.resolve_due_at, waited)
    case.paused_seconds = (case.paused_seconds or 0.0) + waited
    case.paused_at = None
    return waited


def extend(case: Case, *, calendar: WorkCalendar, days: int) -> None:
    """Move the resolution deadline by approved working days."""
    if case.resolve_due_at is not None:
        case.resolve_due_at = calendar.add_working_days(case.resolve_due_at, days)


def is_sign_overdue(case: Case, now: datetime) -> bool:
    """Tell whether the department has not signed for the case in time."""
    return (
        case.status == CaseStatus.assigned and case.sign_for_due_at is not None and now > case.sign_for_due_at
    )


def is_overdue(case: Case, now: datetime) -> bool:
    """Tell whether a case still with a department has passed its resolution deadline."""
    if case.status not in WITH_DEPARTMENT or case.resolve_due_at is None:
        return False
    moment = case.paused_at or now
    return moment > case.resolve_due_at


def closed_on_time(case: Case) -> bool | None:
    """Tell whether a closed case was replied to by its deadline (None when it has none)."""
    if case.replied_at is None or case.resolve_due_at is None:
        return None
    return case.replied_at <= case.resolve_due_at

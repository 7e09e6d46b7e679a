"""Read cases as a user may see them: scoped lists, one case, its timeline and department queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from minsheng.auth.models import User
from minsheng.auth.scoping import visible_department_ids
from minsheng.cases.models import Case, CaseEvent, CasePartner, CaseType
from minsheng.cases.states import OPEN, WITH_DEPARTMENT, CaseStatus
from minsheng.cases.tracking import parse_tracking_number
from minsheng.core.errors import NotFound
from minsheng.core.timeutil import utcnow

PAGE_SIZE = 30
VIEWS = {
    "all": "全部",
    "queue": "待受理/派单",
    "mine": "本单位在办",
    "due_soon": "即将到期",
    "overdue": "已超期",
    "supervised": "督办中",
    "closed": "已办结",
}


def scope_cases(stmt: Select[Any], *, session: Session, user: User) -> Select[Any]:
    """Restrict a case query to what the user may see: everything, or cases their departments lead or help."""
    visible = visible_department_ids(session, user)
    if visible is None:
        return stmt
    ids = sorted(visible)
    partnered = select(CasePartner.case_id).where(CasePartner.department_id.in_(ids))
    return stmt.where(or_(Case.lead_department_id.in_(ids), Case.id.in_(partnered)))


def works_for_lead_department(session: Session, *, user: User, case: Case) -> bool:
    """Tell whether the user works for the case's lead department (jurisdiction-wide roles always do)."""
    visible = visible_department_ids(session, user)
    return visible is None or case.lead_department_id in visible


def get_case(session: Session, *, case_id: int, user: User) -> Case:
    """Load one case the user may see, with its type and lead department."""
    stmt = (
        select(Case)
        .where(Case.id == case_id)
        .options(selectinload(Case.case_type), selectinload(Case.lead_department))
    )
    case = session.scalar(scope_cases(stmt, session=session, user=user))
    if case is None:
        raise NotFound("工单不存在，或您无权查看")
    return case


def get_case_by_tracking(session: Session, *, tracking_no: str) -> Case:
    """Find a case by the number a citizen typed (check character verified first)."""
    number = parse_tracking_number(tracking_no)
    case = session.scalar(
        select(Case).where(Case.tracking_no == number).options(selectinload(Case.case_type))
    )
    if case is None:
        raise NotFound("没有找到这个受理编号，请核对后重新输入")
    return case


@dataclass
class CaseFilter:
    """What a case list shows."""

    view: str = "all"
    status: str = ""
    type_code: str = ""
    department_id: int | None = None
    query: str = ""
    page: int = 1


def _apply_view(stmt: Select[Any], view: str, now: datetime) -> Select[Any]:
    if view == "queue":
        return stmt.where(Case.status.in_([CaseStatus.submitted, CaseStatus.accepted]))
    if view == "mine":
        return stmt.where(Case.status.in_(WITH_DEPARTMENT | {CaseStatus.replied}))
    if view == "due_soon":
        return stmt.where(
            Case.status.in_(WITH_DEPARTMENT), Case.resolve_due_at.between(now, now + timedelta(days=2))
        )
    if view == "overdue":
        return stmt.where(Case.status.in_(WITH_DEPARTMENT), Case.resolve_due_at < now)
    if view == "supervised":
        return stmt.where(Case.status.in_(OPEN), Case.supervision_level > 0)
    if view == "closed":
        return stmt.where(Case.status == CaseStatus.closed)
    return stmt


def list_cases(session: Session, *, user: User, filters: CaseFilter) -> tuple[list[Case], int]:
    """Return one page of the cases the user may see, newest first, and the total count."""
    now = utcnow()
    stmt = scope_cases(select(Case), session=session, user=user)
    stmt = _apply_view(stmt, filters.view, now)
    if filters.status:
        stmt = stmt.where(Case.status == filters.status)
    if filters.type_code:
        stmt = stmt.where(Case.type_id.in_(select(CaseType.id).where(CaseType.code == filters.type_code)))
    if filters.department_id:
        stmt = stmt.where(Case.lead_department_id == filters.department_id)
    if filters.query:
        like = f"%{filters.query.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(
            or_(Case.title.like(like), Case.tracking_no.like(like), Case.description.like(like))
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(filters.page, 1)
    rows = session.scalars(
        stmt.options(selectinload(Case.case_type), selectinload(Case.lead_department))
        .order_by(Case.submitted_at.desc(), Case.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return list(rows), total


def timeline(session: Session, *, case_id: int, public_only: bool = False) -> list[CaseEvent]:
    """Return the case's steps in order; the public timeline keeps only what the citizen may read."""
    stmt = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.occurred_at, CaseEvent.id)
    if public_only:
        stmt = stmt.where(CaseEvent.public_note.is_not(None))
    return list(session.scalars(stmt))


def partner_ids(session: Session, *, case_id: int) -> list[int]:
    """Return the partner departments of a case."""
    return list(session.scalars(select(CasePartner.department_id).where(CasePartner.case_id == case_id)))


def view_counts(session: Session, *, user: User) -> dict[str, int]:
    """Count the cases in each list view, for the tabs."""
    now = utcnow()
    counts = {}
    for view in VIEWS:
        stmt = _apply_view(scope_cases(select(Case.id), session=session, user=user), view, now)
        counts[view] = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return counts

"""The case engine's entry points for routes, the API and jobs: submit, act, rate and public status."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from minsheng.auth.models import User
from minsheng.cases.actions import SATISFACTION, apply_action, check_may_act, parse_action
from minsheng.cases.deadlines import work_calendar
from minsheng.cases.duplicates import DuplicateFinder
from minsheng.cases.intake import Intake, submit_case
from minsheng.cases.models import CaseEvent
from minsheng.cases.privacy import public_text
from minsheng.cases.queries import get_case, get_case_by_tracking, timeline
from minsheng.cases.routing import RoutingTable
from minsheng.cases.schemas import ActionIn, CaseSubmit
from minsheng.cases.states import PUBLIC_LABELS, CaseStatus, IllegalTransition
from minsheng.cases.tracking import query_code_matches
from minsheng.core.errors import PermissionDenied, ValidationFailed
from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.text.analysis import TextEngine


def query_key(settings: Settings) -> bytes:
    """Derive the key that digests query codes from the deployment's secret."""
    return hashlib.sha256(b"minsheng-case-query-code:" + settings.resolved_secret_key().encode()).digest()


def submit(
    session: Session,
    *,
    data: CaseSubmit,
    settings: Settings,
    engine: TextEngine,
    user: User | None = None,
    duplicates: DuplicateFinder | None = None,
    routing: RoutingTable | None = None,
) -> Intake:
    """Take in a case from the public form, an operator, the API or Open311.

    Long-running processes pass their DuplicateFinder and RoutingTable so the index of recent cases and the
    routing rules are kept between calls.
    """
    return submit_case(
        session,
        data=data,
        settings=settings,
        engine=engine,
        created_by_id=user.id if user else None,
        query_key=query_key(settings),
        duplicates=duplicates,
        routing=routing,
    )


def act(
    session: Session,
    *,
    case_id: int,
    user: User,
    data: ActionIn,
    settings: Settings,
    now: datetime | None = None,
) -> CaseEvent:
    """Let a staff member take an action on a case they may see and are entitled to act on."""
    case = get_case(session, case_id=case_id, user=user)
    check_may_act(session, case=case, user=user, action=parse_action(data.action))
    return apply_action(
        session,
        case=case,
        user=user,
        data=data,
        calendar=work_calendar(session, settings),
        now=now or utcnow(),
    )


@dataclass
class PublicStep:
    """One step of the timeline as the citizen sees it."""

    occurred_at: datetime
    text: str


@dataclass
class PublicStatus:
    """What the status page shows: never a name, a phone number or an internal note."""

    tracking_no: str
    type_name: str
    title: str
    status: str
    status_label: str
    submitted_at: datetime
    steps: list[PublicStep]
    reply: str | None
    replied_at: datetime | None
    satisfaction: str | None
    can_rate: bool


def public_status(session: Session, *, tracking_no: str) -> PublicStatus:
    """Describe a case for its public status page."""
    case = get_case_by_tracking(session, tracking_no=tracking_no)
    steps = [
        PublicStep(e.occurred_at, public_text(e.public_note))
        for e in timeline(session, case_id=case.id, public_only=True)
    ]
    return PublicStatus(
        tracking_no=case.tracking_no,
        type_name=case.case_type.name,
        title=public_text(case.title),
        status=case.status,
        status_label=PUBLIC_LABELS[CaseStatus(case.status)],
        submitted_at=case.submitted_at,
        steps=steps,
        reply=public_text(case.public_reply) if case.status == CaseStatus.closed else None,
        replied_at=case.replied_at if case.status == CaseStatus.closed else None,
        satisfaction=SATISFACTION.get(case.satisfaction or ""),
        can_rate=case.status == CaseStatus.closed and case.rated_at is None,
    )


def rate(
    session: Session,
    *,
    tracking_no: str,
    query_code: str,
    satisfaction: str,
    note: str,
    settings: Settings,
    now: datetime | None = None,
) -> CaseEvent:
    """Record the citizen's rating of a closed case; 不满意 sends it back to the department."""
    case = get_case_by_tracking(session, tracking_no=tracking_no)
    if not query_code_matches(query_code, case.query_code_hash, key=query_key(settings)):
        raise PermissionDenied("查询码不正确")
    if case.status != CaseStatus.closed:
        raise IllegalTransition("工单办结后才能评价")
    if case.rated_at is not None:
        raise IllegalTransition("您已评价过此次办理结果")
    if satisfaction not in SATISFACTION:
        raise ValidationFailed("请选择满意、基本满意或不满意", field="satisfaction")
    data = ActionIn(action="follow_up", satisfaction=satisfaction, note=note[:1000])
    return apply_action(
        session,
        case=case,
        user=None,
        data=data,
        calendar=work_calendar(session, settings),
        now=now or utcnow(),
    )

"""Hand an alert over to the case engine as a 舆情处置 case, in one click."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.audit.service import record
from minsheng.auth.models import User
from minsheng.cases import service as cases
from minsheng.cases.duplicates import DuplicateFinder
from minsheng.cases.models import Case
from minsheng.cases.schemas import CaseSubmit, ContactIn
from minsheng.core.errors import Conflict
from minsheng.core.settings import Settings
from minsheng.items.models import Item
from minsheng.text.analysis import TextEngine
from minsheng.text.pii import mask
from minsheng.warning.alerts import alert_url, get_alert
from minsheng.warning.models import LEVEL_NAMES, Alert, AlertStatus

FOLLOWUP_TYPE = "opinion_followup"
SAMPLE_ITEMS = 5
# Ⅰ级 alerts are handled as 特急, Ⅱ级 as 紧急, the rest at normal priority.
PRIORITY_BY_LEVEL = {1: "critical", 2: "urgent"}


def _samples(session: Session, alert: Alert) -> list[Item]:
    if alert.event_id is None:
        return []
    statement = (
        select(Item)
        .where(Item.event_id == alert.event_id)
        .order_by(Item.published_at.desc())
        .limit(SAMPLE_ITEMS)
    )
    return list(session.scalars(statement))


def case_text(session: Session, alert: Alert, *, settings: Settings) -> str:
    """Describe the alert for the department: why it fired and what people wrote (masked, with links)."""
    lines = [f"{LEVEL_NAMES.get(alert.level, '')}预警：{alert.title}", alert.summary]
    lines += [f"· {reason}" for reason in alert.details.get("reasons") or []]
    lines.append(f"预警详情：{alert_url(settings, alert)}")
    if alert.event_id is not None:
        lines.append(f"事件：{settings.public_base_url.rstrip('/')}/monitor/events/{alert.event_id}")
    samples = _samples(session, alert)
    if samples:
        lines.append("代表性信息：")
        for item in samples:
            excerpt = mask(item.text)[:120]
            lines.append(f"- {mask(item.title) or excerpt[:40]}：{excerpt} {item.url or ''}".rstrip())
    return "\n".join(line for line in lines if line)[:5000]


def open_case(
    session: Session,
    *,
    alert_id: int,
    user: User,
    settings: Settings,
    engine: TextEngine,
    duplicates: DuplicateFinder | None = None,
) -> Case:
    """Submit a 舆情处置 case for the alert and link the two; the alert counts as taken on."""
    alert = get_alert(session, alert_id)
    if alert.case_id is not None:
        raise Conflict("该预警已转为工单")
    data = CaseSubmit(
        type_code=FOLLOWUP_TYPE,
        channel="alert",
        title=alert.title[:200],
        description=case_text(session, alert, settings=settings),
        priority=PRIORITY_BY_LEVEL.get(alert.level, "normal"),
        contact=ContactIn(is_anonymous=True),
        external_id=f"alert-{alert.id}",
    )
    case = cases.submit(
        session, data=data, settings=settings, engine=engine, user=user, duplicates=duplicates
    ).case
    alert.case_id = case.id
    if alert.status == AlertStatus.new.value:
        alert.status = AlertStatus.acknowledged.value
        alert.acknowledged_by_id = user.id
        alert.acknowledged_at = case.submitted_at
    record(
        session,
        action="alert.open_case",
        entity_type="alert",
        entity_id=alert.id,
        summary=f"预警转工单 {case.tracking_no}",
        after={"case_id": case.id, "tracking_no": case.tracking_no},
    )
    return case

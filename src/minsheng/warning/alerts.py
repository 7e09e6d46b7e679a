"""Raise alerts once per rule and subject, notify within the cool-down rules, and let people act on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.audit.service import record
from minsheng.auth.models import User
from minsheng.channels.message import Message
from minsheng.core.errors import Conflict, NotFound
from minsheng.core.settings import Settings
from minsheng.core.timeutil import format_local, utcnow
from minsheng.warning.models import LEVEL_NAMES, Alert, AlertStatus, Delivery, WarningRule


class UnknownAlert(NotFound):
    default_message = "找不到该预警"


@dataclass(frozen=True)
class Trigger:
    """A rule (or saved search) holding for a subject at one evaluation."""

    subject_key: str
    level: int
    title: str
    summary: str
    details: dict[str, Any]
    event_id: int | None = None
    rule: WarningRule | None = None
    saved_search_id: int | None = None
    cooldown: timedelta = timedelta(hours=1)
    delivery: str = Delivery.immediate.value
    channel_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What raising came to: a new alert, a repeat inside the cool-down, a re-notified one, or nothing."""

    alert: Alert | None
    created: bool = False
    notify: bool = False


def _latest(session: Session, trigger: Trigger) -> Alert | None:
    statement = select(Alert).where(Alert.subject_key == trigger.subject_key)
    if trigger.rule is not None:
        statement = statement.where(Alert.rule_id == trigger.rule.id)
    else:
        statement = statement.where(Alert.saved_search_id == trigger.saved_search_id)
    return session.scalar(statement.order_by(Alert.id.desc()).limit(1))


def raise_alert(session: Session, trigger: Trigger, *, now: datetime) -> Outcome:
    """Create the alert, or fold the trigger into the open one for the same rule and subject.

    Inside the cool-down a repeat only updates the open alert; after it, the alert is sent again. A closed
    alert is not reopened while its cool-down lasts, so closing quiets a subject for that long.
    """
    latest = _latest(session, trigger)
    if latest is not None and latest.status == AlertStatus.closed.value:
        if now - latest.updated_at < trigger.cooldown:
            return Outcome(None)
        latest = None
    if latest is not None:
        latest.trigger_count += 1
        latest.last_triggered_at = now
        latest.details = {**latest.details, **trigger.details}
        latest.summary = trigger.summary
        if trigger.level < latest.level:
            latest.level = trigger.level
        due = latest.notified_at is not None and now - latest.notified_at >= trigger.cooldown
        return Outcome(latest, notify=due and latest.delivery == Delivery.immediate.value)
    alert = Alert(
        rule_id=trigger.rule.id if trigger.rule else None,
        saved_search_id=trigger.saved_search_id,
        event_id=trigger.event_id,
        subject_key=trigger.subject_key[:200],
        level=trigger.level,
        title=trigger.title[:300],
        summary=trigger.summary,
        details=trigger.details,
        status=AlertStatus.new.value,
        delivery=trigger.delivery,
        first_triggered_at=now,
        last_triggered_at=now,
        trigger_count=1,
    )
    session.add(alert)
    session.flush()
    record(
        session,
        action="alert.raise",
        entity_type="alert",
        entity_id=alert.id,
        summary=f"{LEVEL_NAMES.get(alert.level, alert.level)} {alert.title}",
        after={"subject": alert.subject_key, "rule_id": alert.rule_id, "level": alert.level},
    )
    return Outcome(alert, created=True, notify=trigger.delivery == Delivery.immediate.value)


def alert_url(settings: Settings, alert: Alert) -> str:
    return f"{settings.public_base_url.rstrip('/')}/monitor/alerts/{alert.id}"


def alert_message(alert: Alert, *, settings: Settings) -> Message:
    """Say what the alert is in a form every channel can carry; items are named by title, never by author."""
    reasons = alert.details.get("reasons") or []
    repeat = f"（第 {alert.trigger_count} 次触发）" if alert.trigger_count > 1 else ""
    fields = [
        ("等级", LEVEL_NAMES.get(alert.level, str(alert.level))),
        ("时间", format_local(alert.last_triggered_at, settings.timezone)),
    ]
    if alert.details.get("rule"):
        fields.append(("规则", str(alert.details["rule"])))
    return Message(
        title=f"【{LEVEL_NAMES.get(alert.level, '')}预警】{alert.title}{repeat}",
        text="\n".join([alert.summary, *(f"· {reason}" for reason in reasons)]).strip(),
        level=alert.level,
        url=alert_url(settings, alert),
        fields=tuple(fields),
    )


def notify(
    session: Session, alert: Alert, *, channel_ids: tuple[int, ...], settings: Settings, now: datetime
) -> int:
    """Queue the alert on its channels (once per trigger count) and mark it notified; returns deliveries."""
    alert.notified_at = now
    if not channel_ids:
        return 0
    from minsheng.channels.service import enqueue

    deliveries = enqueue(
        session,
        channel_ids=list(channel_ids),
        message=alert_message(alert, settings=settings),
        ref_type="alert",
        ref_id=alert.id,
        dedupe_key=f"alert:{alert.id}:{alert.trigger_count}",
        now=now,
    )
    return len(deliveries)


def get_alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise UnknownAlert()
    return alert


def acknowledge(session: Session, *, alert_id: int, user: User, note: str = "") -> Alert:
    """A person takes the alert on (签收); the note says what they will do."""
    alert = get_alert(session, alert_id)
    if alert.status != AlertStatus.new.value:
        raise Conflict("该预警已经签收或关闭")
    alert.status = AlertStatus.acknowledged.value
    alert.acknowledged_by_id = user.id
    alert.acknowledged_at = utcnow()
    alert.ack_note = note.strip()[:2000] or None
    record(
        session,
        action="alert.acknowledge",
        entity_type="alert",
        entity_id=alert.id,
        summary=f"签收预警：{alert.title}",
        after={"note": alert.ack_note},
    )
    return alert


def close(session: Session, *, alert_id: int, user: User, note: str = "") -> Alert:
    """Close the alert; the same rule stays quiet about the subject for its cool-down."""
    alert = get_alert(session, alert_id)
    if alert.status == AlertStatus.closed.value:
        raise Conflict("该预警已经关闭")
    if alert.acknowledged_by_id is None:
        alert.acknowledged_by_id, alert.acknowledged_at = user.id, utcnow()
    alert.status = AlertStatus.closed.value
    if note.strip():
        alert.ack_note = "\n".join(filter(None, [alert.ack_note, note.strip()[:2000]]))
    record(
        session,
        action="alert.close",
        entity_type="alert",
        entity_id=alert.id,
        summary=f"关闭预警：{alert.title}",
        after={"note": note.strip()[:2000] or None},
    )
    return alert

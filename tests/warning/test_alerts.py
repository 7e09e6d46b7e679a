"""Alerts: one per rule and subject, repeats folded in during the cool-down, closing quiets the subject."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from minsheng.audit.models import AuditEntry
from minsheng.core.errors import Conflict
from minsheng.core.timeutil import utcnow
from minsheng.warning.alerts import Trigger, acknowledge, alert_message, close, raise_alert
from minsheng.warning.models import Alert, AlertStatus
from minsheng.warning.rules import RuleIn, create_rule
from tests.factories import make_user


def _trigger(rule, level=3) -> Trigger:
    return Trigger(
        subject_key="event:7",
        level=level,
        title="河边化工厂异味",
        summary="近 60 分钟 12 条",
        details={"rule": rule.name, "reasons": ["负面占比 70%"]},
        rule=rule,
        cooldown=timedelta(minutes=rule.cooldown_minutes),
    )


@pytest.fixture
def rule(session):
    made = create_rule(session, data=RuleIn(name="负面升温", level=3, cooldown_minutes=30))
    session.commit()
    return made


def test_repeats_fold_in_and_renotify_after_the_cooldown(session, rule):
    now = utcnow()
    first = raise_alert(session, _trigger(rule), now=now)
    assert first.created and first.notify
    first.alert.notified_at = now
    again = raise_alert(session, _trigger(rule), now=now + timedelta(minutes=10))
    assert again.alert.id == first.alert.id and not again.created and not again.notify
    assert again.alert.trigger_count == 2
    later = raise_alert(session, _trigger(rule, level=2), now=now + timedelta(minutes=31))
    assert later.alert.id == first.alert.id and later.notify
    assert later.alert.level == 2
    session.commit()
    assert session.scalar(select(func.count()).select_from(Alert)) == 1
    assert (
        session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "alert.raise"))
        == 1
    )


def test_closing_quiets_the_subject_for_the_cooldown(session, settings, rule):
    user = make_user(session, settings, roles=["analyst"])
    now = utcnow()
    alert = raise_alert(session, _trigger(rule), now=now).alert
    session.flush()
    acknowledge(session, alert_id=alert.id, user=user, note="已联系属地核实")
    with pytest.raises(Conflict):
        acknowledge(session, alert_id=alert.id, user=user)
    close(session, alert_id=alert.id, user=user, note="已处置")
    assert alert.status == AlertStatus.closed.value
    assert "已处置" in alert.ack_note
    session.flush()
    assert raise_alert(session, _trigger(rule), now=alert.updated_at + timedelta(minutes=5)).alert is None
    fresh = raise_alert(session, _trigger(rule), now=alert.updated_at + timedelta(minutes=31))
    assert fresh.created and fresh.alert.id != alert.id


def test_message_carries_level_reasons_and_link(session, settings, rule):
    alert = raise_alert(session, _trigger(rule), now=utcnow()).alert
    message = alert_message(alert, settings=settings)
    assert message.title.startswith("【Ⅲ级预警】河边化工厂异味")
    assert "负面占比 70%" in message.text
    assert message.url.endswith(f"/monitor/alerts/{alert.id}")
    assert message.level == 3

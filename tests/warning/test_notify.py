"""Alerts reach their channels: immediate ones at once after the round, collected ones in the digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from minsheng.channels.configuration import create_channel
from minsheng.channels.models import NotificationDelivery
from minsheng.core.database import make_sessionmaker
from minsheng.core.timeutil import utcnow
from minsheng.warning.digests import due_kinds, send_digests
from minsheng.warning.evaluate import run_round
from minsheng.warning.jobs import evaluate_and_notify
from minsheng.warning.models import Alert, Delivery
from minsheng.warning.rules import RuleIn, create_rule
from tests.channels.conftest import endpoint  # noqa: F401  (fixture)
from tests.factories import read_now
from tests.items.conftest import make_source
from tests.warning.conftest import add_items, make_event


def _event_with_items(session, now):
    source = make_source(session)
    event = make_event(session, title="幸福小区停水三天", at=now, item_count=6, negative_count=5)
    add_items(session, source, at=now - timedelta(minutes=2), count=6, event=event, sentiment="negative")
    return event


def test_immediate_alert_is_sent_after_the_round(engine, session, settings, endpoint):  # noqa: F811
    now = utcnow()
    _event_with_items(session, now)
    hook = create_channel(
        session, kind="webhook", name="值班群", config={"url": endpoint.url(), "secret": "k"}
    )
    create_rule(
        session, data=RuleIn(name="负面集中", level=2, channel_ids=[hook.id], conditions={"min_items": 5})
    )
    session.commit()
    report = evaluate_and_notify(make_sessionmaker(engine), settings=settings)
    assert report.deliveries == 1
    [request] = endpoint.requests
    body = request.json()
    assert "Ⅱ级预警" in body["title"] and "幸福小区停水三天" in body["title"]
    assert request.headers["x-minsheng-signature"].startswith("t=")
    assert read_now(session, select(NotificationDelivery.status)) == "sent"
    # The next round folds the repeat into the open alert and sends nothing inside the cool-down.
    again = evaluate_and_notify(make_sessionmaker(engine), settings=settings)
    assert again.deliveries == 0 and again.alerts_repeated == 1 and len(endpoint.requests) == 1


def test_collected_alerts_go_out_once_in_the_digest(session, settings, endpoint):  # noqa: F811
    now = utcnow()
    _event_with_items(session, now)
    hook = create_channel(
        session, kind="webhook", name="值班群", config={"url": endpoint.url(), "secret": "k"}
    )
    severe_only = create_channel(
        session, kind="webhook", name="领导群", config={"url": endpoint.url(), "secret": "k"}, min_level=1
    )
    create_rule(
        session,
        data=RuleIn(
            name="负面集中",
            level=3,
            delivery=Delivery.hourly,
            channel_ids=[hook.id, severe_only.id],
            conditions={"min_items": 5},
        ),
    )
    session.commit()
    assert run_round(session, settings=settings, now=now).deliveries == 0
    assert session.scalar(select(Alert.notified_at)) is None
    queued = send_digests(session, settings=settings, now=now, kinds=[Delivery.hourly])
    assert queued == 1  # the leaders' channel only takes Ⅰ级
    delivery = session.scalar(select(NotificationDelivery))
    assert delivery.ref_type == "digest" and "每小时预警汇总：1 条" in delivery.subject
    assert "幸福小区停水三天" in delivery.body
    assert session.scalar(select(Alert.notified_at)) == now
    assert send_digests(session, settings=settings, now=now, kinds=[Delivery.hourly]) == 0
    assert session.scalar(select(func.count()).select_from(NotificationDelivery)) == 1


def test_daily_digest_only_at_its_local_hour(settings):
    eight_local = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 08:00 in Asia/Shanghai
    assert due_kinds(eight_local, settings=settings) == [Delivery.hourly, Delivery.daily]
    assert due_kinds(eight_local + timedelta(hours=1), settings=settings) == [Delivery.hourly]

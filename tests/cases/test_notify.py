"""The deadline sweep's steps reach notification channels, once per due time and without personal data."""

from __future__ import annotations

from sqlalchemy import select

from minsheng.cases.sla import sweep_deadlines
from minsheng.channels.configuration import create_channel
from minsheng.channels.models import NotificationDelivery
from tests.cases.test_sla import assigned_case, at


def deliveries(session):
    return session.scalars(select(NotificationDelivery).order_by(NotificationDelivery.id)).all()


def test_urge_is_queued_on_the_configured_channels(session, settings, world):
    channel = create_channel(
        session,
        kind="webhook",
        name="督办群",
        config={"url": "https://hooks.example.gov.cn/x", "secret": "k"},
    )
    case = assigned_case(session, settings, world, at("2026-11-23T09:00"))
    configured = settings.model_copy(update={"case_reminder_channel_ids": [channel.id]})
    sweep_deadlines(session, settings=configured, now=at("2026-11-23T11:30"))
    sweep_deadlines(session, settings=configured, now=at("2026-11-23T11:35"))
    session.commit()
    [delivery] = deliveries(session)
    assert (delivery.channel_id, delivery.ref_type, delivery.ref_id) == (channel.id, "case", case.id)
    due = case.sign_for_due_at.astimezone(at("2026-01-01T00:00").tzinfo)
    assert delivery.dedupe_key.startswith(f"case:{case.id}:urge:")
    assert delivery.subject == f"【工单签收超时催办】{case.tracking_no}"
    fields = dict(delivery.payload["fields"])
    assert fields["工单编号"] == case.tracking_no
    assert fields["承办单位"] == world.housing.name
    assert fields["签收时限"] == due.strftime("%Y-%m-%d %H:%M")
    assert delivery.payload["url"].endswith(f"/cases/{case.id}")
    everything = str(delivery.payload) + delivery.body + delivery.subject
    assert "张三" not in everything and "13912345678" not in everything


def test_without_channels_the_sweep_stays_inside_minsheng(session, settings, world):
    assigned_case(session, settings, world, at("2026-11-23T09:00"))
    assert sweep_deadlines(session, settings=settings, now=at("2026-11-23T11:30")).urged == 1
    session.commit()
    assert deliveries(session) == []


def test_titles_are_masked(session, settings, world):
    channel = create_channel(
        session,
        kind="webhook",
        name="督办群",
        config={"url": "https://hooks.example.gov.cn/x", "secret": "k"},
    )
    case = assigned_case(session, settings, world, at("2026-11-23T09:00"))
    case.title = "请回电13912345678处理路灯"
    configured = settings.model_copy(update={"case_reminder_channel_ids": [channel.id]})
    sweep_deadlines(session, settings=configured, now=at("2026-11-23T11:30"))
    session.commit()
    [delivery] = deliveries(session)
    assert "13912345678" not in delivery.body and "139****5678" in delivery.body

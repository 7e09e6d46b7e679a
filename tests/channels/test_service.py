"""Queueing and delivering on both databases: idempotence, level filter, retries, leases, jobs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from minsheng.channels import service
from minsheng.channels.configuration import create_channel
from minsheng.channels.jobs import deliver_due_messages
from minsheng.channels.message import Message
from minsheng.channels.models import NotificationDelivery
from minsheng.channels.service import (
    DELIVER_NOW_TASK,
    DELIVER_TASK,
    defer_delivery,
    deliver_due,
    enqueue,
    retry_delay,
    retry_delivery,
    send_test,
)
from minsheng.core.database import make_sessionmaker
from minsheng.jobs import make_queue
from minsheng.jobs.catalog import TASK_MODULES
from minsheng.jobs.registry import JobContext, get_spec

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ALERT = Message(title="【Ⅲ级预警】某路段积水", text="积水深约 30 厘米", level=3)


def webhook(session, endpoint, name="值班群", **extra):
    return create_channel(
        session, kind="webhook", name=name, config={"url": endpoint.url(), "secret": "k"}, **extra
    )


def deliveries(session):
    session.expire_all()
    rows = session.scalars(select(NotificationDelivery).order_by(NotificationDelivery.id)).all()
    # Detached, so reading them later never opens a transaction that would hold SQLite's write lock.
    session.expunge_all()
    session.rollback()
    return rows


@pytest.fixture
def factory(engine):
    return make_sessionmaker(engine)


def test_enqueue_filters_by_level_and_skips_disabled_channels(session, endpoint):
    severe_only = webhook(session, endpoint, "领导群", min_level=1)
    everything = webhook(session, endpoint, "值班群", min_level=4)
    off = webhook(session, endpoint, "停用群", is_enabled=False)
    ids = [severe_only.id, everything.id, off.id, 999]
    queued = enqueue(session, channel_ids=ids, message=ALERT, ref_type="alert", ref_id=5, now=T0)
    assert [d.channel_id for d in queued] == [everything.id]
    assert queued[0].next_attempt_at == T0 and queued[0].status == "pending"
    assert queued[0].payload["level"] == 3 and queued[0].subject == ALERT.title
    severe = Message(title="【Ⅰ级预警】", text="", level=1)
    assert len(enqueue(session, channel_ids=ids, message=severe, ref_type="alert")) == 2
    plain = Message(title="工单提醒", text="")
    assert len(enqueue(session, channel_ids=ids, message=plain, ref_type="case")) == 2
    assert enqueue(session, channel_ids=[], message=plain, ref_type="case") == []
    session.commit()


def test_enqueue_is_idempotent_by_dedupe_key(session, endpoint):
    a, b = webhook(session, endpoint, "甲"), webhook(session, endpoint, "乙")
    first = enqueue(session, channel_ids=[a.id], message=ALERT, ref_type="alert", dedupe_key="alert:5:1")
    session.commit()
    again = enqueue(
        session, channel_ids=[a.id, b.id], message=ALERT, ref_type="alert", dedupe_key="alert:5:1"
    )
    session.commit()
    assert again[0].id == first[0].id and again[1].channel_id == b.id
    assert again[1].dedupe_key == f"alert:5:1:{b.id}"
    assert session.scalar(select(func.count()).select_from(NotificationDelivery)) == 2


def test_due_deliveries_are_sent_and_logged(session, factory, endpoint, fast_settings):
    channel = webhook(session, endpoint)
    enqueue(session, channel_ids=[channel.id], message=ALERT, ref_type="alert", ref_id=9, now=T0)
    session.commit()
    assert deliver_due(factory, settings=fast_settings, now=T0 - timedelta(seconds=1)).claimed == 0
    result = deliver_due(factory, settings=fast_settings, now=T0)
    assert result.as_dict() == {"claimed": 1, "sent": 1, "retrying": 0, "failed": 0}
    [row] = deliveries(session)
    assert (row.status, row.attempts, row.response_code, row.sent_at) == ("sent", 1, 200, T0)
    assert row.next_attempt_at is None and row.last_error is None
    assert endpoint.requests[0].json()["ref_id"] == 9
    assert deliver_due(factory, settings=fast_settings, now=T0 + timedelta(hours=1)).claimed == 0


def test_failures_back_off_then_succeed(session, factory, endpoint, fast_settings):
    channel = webhook(session, endpoint)
    enqueue(session, channel_ids=[channel.id], message=ALERT, ref_type="alert", now=T0)
    session.commit()
    endpoint.answer((500, {"error": "boom"}), (500, {"error": "boom"}), (200, {}))
    assert deliver_due(factory, settings=fast_settings, now=T0).retrying == 1
    [row] = deliveries(session)
    assert (row.status, row.attempts, row.response_code) == ("pending", 1, 500)
    assert row.next_attempt_at == T0 + timedelta(minutes=1) and "boom" in row.last_error
    assert deliver_due(factory, settings=fast_settings, now=T0 + timedelta(seconds=59)).claimed == 0
    assert deliver_due(factory, settings=fast_settings, now=T0 + timedelta(minutes=1)).retrying == 1
    [row] = deliveries(session)
    assert row.next_attempt_at == T0 + timedelta(minutes=3)
    assert deliver_due(factory, settings=fast_settings, now=T0 + timedelta(minutes=3)).sent == 1
    [row] = deliveries(session)
    assert (row.status, row.attempts, row.response_code, row.last_error) == ("sent", 3, 200, None)
    assert len(endpoint.requests) == 3


def test_out_of_attempts_is_failed(session, factory, endpoint, fast_settings):
    channel = webhook(session, endpoint)
    [queued] = enqueue(session, channel_ids=[channel.id], message=ALERT, ref_type="alert", now=T0)
    queued.max_attempts = 2
    session.commit()
    endpoint.default = (502, {"error": "bad gateway"}, {})
    deliver_due(factory, settings=fast_settings, now=T0)
    result = deliver_due(factory, settings=fast_settings, now=T0 + timedelta(minutes=5))
    assert result.failed == 1
    [row] = deliveries(session)
    assert (row.status, row.attempts, row.response_code, row.next_attempt_at) == ("failed", 2, 502, None)
    assert "bad gateway" in row.last_error


def test_retry_delay_doubles_and_is_capped():
    assert [retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert retry_delay(30) == timedelta(hours=6)


def test_disabled_after_queueing_is_not_sent(session, factory, endpoint, fast_settings):
    channel = webhook(session, endpoint)
    enqueue(session, channel_ids=[channel.id], message=ALERT, ref_type="alert", now=T0)
    channel.is_enabled = False
    session.commit()
    assert deliver_due(factory, settings=fast_settings, now=T0).failed == 1
    [row] = deliveries(session)
    assert row.status == "failed" and row.last_error == "渠道已停用，未发送"
    assert endpoint.requests == []


def test_errors_never_reveal_secret_urls(session, factory, fast_settings):
    channel = create_channel(
        session,
        kind="wecom",
        name="企微",
        config={"url": "http://127.0.0.1:1/cgi-bin/webhook/send?key=very-secret-key"},
    )
    enqueue(session, channel_ids=[channel.id], message=ALERT, ref_type="alert", now=T0)
    session.commit()
    deliver_due(factory, settings=fast_settings, now=T0)
    [row] = deliveries(session)
    assert row.status == "pending" and row.last_error and "very-secret-key" not in row.last_error


def test_concurrent_rounds_send_each_delivery_once(session, factory, endpoint, fast_settings):
    channel = webhook(session, endpoint)
    for n in range(24):
        message = Message(title=f"消息 {n}", text="")
        enqueue(session, channel_ids=[channel.id], message=message, ref_type="alert", ref_id=n, now=T0)
    session.commit()
    endpoint.delay = 0.02
    results = []

    def run() -> None:
        results.append(deliver_due(factory, settings=fast_settings, now=T0))

    workers = [threading.Thread(target=run) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(r.sent for r in results) == 24
    delivered = [r.headers["x-minsheng-delivery"] for r in endpoint.requests]
    assert len(delivered) == len(set(delivered)) == 24
    assert {row.status for row in deliveries(session)} == {"sent"}


def test_a_stale_lease_does_not_overwrite_a_newer_attempt(session, factory, endpoint, fast_settings):
    channel = webhook(session, endpoint)
    [queued] = enqueue(session, channel_ids=[channel.id], message=ALERT, ref_type="alert", now=T0)
    session.commit()
    batch = service._claim(factory, now=T0, batch=10, lease=timedelta(seconds=0), delivery_ids=None)
    # The lease ran out and another worker took the delivery and sent it.
    assert deliver_due(factory, settings=fast_settings, now=T0).sent == 1
    late = service.DeliveryRound()
    failure = service.SendResult.failure("late")
    service._record(factory, [(batch[0], failure)], now=T0, tally=late)
    [row] = deliveries(session)
    assert (row.id, row.status, row.attempts, row.last_error) == (queued.id, "sent", 2, None)


def test_send_test_and_retry_go_through_the_log(session, factory, endpoint, fast_settings):
    channel_id = webhook(session, endpoint, is_enabled=False).id
    test = send_test(session, channel_id, now=T0)
    session.commit()
    endpoint.answer((500, {}))
    assert deliver_due(factory, settings=fast_settings, now=T0, delivery_ids=[test.id]).failed == 1
    [row] = deliveries(session)
    assert (row.ref_type, row.ref_id, row.status, row.attempts) == ("channel_test", channel_id, "failed", 1)
    assert "测试消息" in endpoint.requests[0].json()["text"]
    retry_delivery(session, row.id, now=T0 + timedelta(minutes=1))
    session.commit()
    assert deliver_due(factory, settings=fast_settings, now=T0 + timedelta(minutes=1)).sent == 1
    [row] = deliveries(session)
    assert (row.status, row.attempts, row.max_attempts) == ("sent", 2, 2)


def test_jobs_are_registered_and_deferred_in_the_callers_transaction(
    session, factory, endpoint, fast_settings
):
    assert "minsheng.channels.jobs" in TASK_MODULES
    assert get_spec(DELIVER_TASK).cron == "* * * * *"
    assert get_spec(DELIVER_NOW_TASK).cron is None
    if not fast_settings.is_sqlite:
        from minsheng.jobs.postgres import install_schema

        install_schema(fast_settings)
    queue = make_queue(fast_settings)
    try:
        channel = webhook(session, endpoint)
        session.commit()
        enqueue(session, channel_ids=[channel.id], message=ALERT, ref_type="alert")
        job_id = defer_delivery(queue, session=session)
        session.rollback()
        assert queue.get(job_id) is None
        enqueue(session, channel_ids=[channel.id], message=ALERT, ref_type="alert")
        job_id = defer_delivery(queue, session=session)
        session.commit()
        assert queue.get(job_id).task_name == DELIVER_NOW_TASK
        context = JobContext(
            settings=fast_settings, session_factory=factory, queue=queue, job_id=job_id, attempt=1
        )
        assert deliver_due_messages(context)["sent"] == 1
    finally:
        queue.close()


def test_enqueue_survives_a_concurrent_insert_of_the_same_key(session, factory, endpoint, monkeypatch):
    channel = webhook(session, endpoint)
    session.commit()
    with factory() as other:
        enqueue(other, channel_ids=[channel.id], message=ALERT, ref_type="alert", dedupe_key="k")
        other.commit()
    original = service.select
    blinded = []

    def select_missing_the_other_commit(*args, **kwargs):
        statement = original(*args, **kwargs)
        if args and args[0] is NotificationDelivery and not blinded:
            blinded.append(True)
            return statement.where(NotificationDelivery.id < 0)
        return statement

    # The first lookup misses the row, as if read just before the other transaction committed.
    monkeypatch.setattr(service, "select", select_missing_the_other_commit)
    [found] = enqueue(session, channel_ids=[channel.id], message=ALERT, ref_type="alert", dedupe_key="k")
    session.commit()
    assert blinded and found.dedupe_key == f"k:{channel.id}"
    assert session.scalar(select(func.count()).select_from(NotificationDelivery)) == 1

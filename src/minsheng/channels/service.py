"""Queue messages on channels and deliver them: claim briefly, send outside a transaction, record results."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from minsheng.channels import render
from minsheng.channels.http import describe_error, make_client, redact
from minsheng.channels.kinds import SendContext, SendResult
from minsheng.channels.message import Message
from minsheng.channels.models import Channel, DeliveryStatus, NotificationDelivery
from minsheng.channels.plugins import get_kind
from minsheng.core.database import unit_of_work
from minsheng.core.errors import MinshengError, NotFound, ValidationFailed
from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow

if TYPE_CHECKING:
    from minsheng.jobs.queue import JobQueue

log = logging.getLogger(__name__)

DELIVER_TASK = "channels.deliver_due"
DELIVER_NOW_TASK = "channels.deliver_now"
TEST_REF_TYPE = "channel_test"
RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=6)
# Deliveries are claimed a few at a time, each batch leased long enough to send it even when every
# endpoint times out, so a second worker never takes a delivery that is still being sent.
CLAIM_BATCH = 10
LEASE_FACTOR = 3
ERROR_CHARS = 1000


class UnknownChannel(NotFound):
    default_message = "通知渠道不存在"


class UnknownDelivery(NotFound):
    default_message = "发送记录不存在"


@dataclass
class DeliveryRound:
    """What one call of `deliver_due` did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"claimed": self.claimed, "sent": self.sent, "retrying": self.retrying, "failed": self.failed}


def _admits(channel: Channel, level: int | None) -> bool:
    return level is None or level <= channel.min_level


def _new_delivery(
    channel_id: int, message: Message, *, ref_type: str, ref_id: int | None, key: str | None, now: datetime
) -> NotificationDelivery:
    return NotificationDelivery(
        channel_id=channel_id,
        ref_type=ref_type,
        ref_id=ref_id,
        dedupe_key=key,
        subject=message.title[:300],
        body=message.text,
        payload=render.to_payload(message),
        status=DeliveryStatus.pending.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


def _by_key(session: Session, key: str) -> NotificationDelivery | None:
    return session.scalar(select(NotificationDelivery).where(NotificationDelivery.dedupe_key == key))


def enqueue(
    session: Session,
    *,
    channel_ids: Sequence[int],
    message: Message,
    ref_type: str,
    ref_id: int | None = None,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> list[NotificationDelivery]:
    """Queue the message once on each enabled channel whose minimum level admits it; idempotent by key.

    A `dedupe_key` is stored per channel as `f"{dedupe_key}:{channel_id}"`; a delivery already logged under
    it is returned instead of a second one. Unknown or disabled channels are skipped.
    """
    if not 1 <= len(ref_type) <= 32:
        raise ValueError(f"ref_type must be 1 to 32 characters: {ref_type!r}")
    if not channel_ids:
        return []
    now = now or utcnow()
    channels = session.scalars(
        select(Channel).where(Channel.id.in_(set(channel_ids))).order_by(Channel.id)
    ).all()
    wanted = [c for c in channels if c.is_enabled and _admits(c, message.level)]
    keys = {c.id: f"{dedupe_key}:{c.id}" if dedupe_key else None for c in wanted}
    if any(len(k or "") > 200 for k in keys.values()):
        raise ValueError("dedupe_key is too long (200 characters with the channel id)")
    given = [k for k in keys.values() if k]
    existing = (
        {
            d.dedupe_key: d
            for d in session.scalars(
                select(NotificationDelivery).where(NotificationDelivery.dedupe_key.in_(given))
            )
        }
        if given
        else {}
    )
    deliveries: list[NotificationDelivery] = []
    for channel in wanted:
        key = keys[channel.id]
        if key is not None and key in existing:
            deliveries.append(existing[key])
            continue
        delivery = _new_delivery(channel.id, message, ref_type=ref_type, ref_id=ref_id, key=key, now=now)
        if key is None:
            session.add(delivery)
            session.flush()
        else:
            # Another transaction may log the same key between our check and our insert.
            try:
                with session.begin_nested():
                    session.add(delivery)
            except IntegrityError:
                found = _by_key(session, key)
                if found is None:
                    raise
                delivery = found
        deliveries.append(delivery)
    return deliveries


def send_test(session: Session, channel_id: int, *, now: datetime | None = None) -> NotificationDelivery:
    """Queue a test message on a channel, enabled or not; it goes through the log like any delivery."""
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise UnknownChannel()
    now = now or utcnow()
    message = Message(
        title="民声通知渠道测试",
        text=f"这是一条来自民声的测试消息。收到即表示渠道“{channel.name}”配置正确。",
        fields=(("渠道", channel.name), ("时间", now.strftime("%Y-%m-%d %H:%M:%S UTC"))),
    )
    delivery = _new_delivery(
        channel.id, message, ref_type=TEST_REF_TYPE, ref_id=channel.id, key=None, now=now
    )
    # One try is enough for a test: the administrator is waiting for the answer.
    delivery.max_attempts = 1
    session.add(delivery)
    session.flush()
    return delivery


def retry_delivery(
    session: Session, delivery_id: int, *, now: datetime | None = None
) -> NotificationDelivery:
    """Give a failed delivery one more attempt, due now."""
    delivery = session.get(NotificationDelivery, delivery_id)
    if delivery is None:
        raise UnknownDelivery()
    if delivery.status != DeliveryStatus.failed.value:
        raise ValidationFailed("只能重试发送失败的记录")
    delivery.status = DeliveryStatus.pending.value
    delivery.max_attempts = delivery.attempts + 1
    delivery.next_attempt_at = now or utcnow()
    session.flush()
    return delivery


def defer_delivery(queue: JobQueue, *, session: Session | None = None) -> int | None:
    """Ask a worker to deliver due messages now rather than at the next minute; returns the job id.

    Given the session that enqueued the messages, the job is written in its transaction and runs only
    once they are committed.
    """
    import minsheng.channels.jobs  # noqa: F401  (registers the task in processes that never loaded it)

    return queue.defer(DELIVER_NOW_TASK, session=session)


def retry_delay(attempts: int) -> timedelta:
    """Return the wait after the `attempts`-th failed attempt: 1, 2, 4, 8 … minutes, at most six hours."""
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_MAX)


@dataclass(frozen=True)
class _Claimed:
    id: int
    attempts: int
    max_attempts: int
    ref_type: str
    ref_id: int | None
    message: Message
    kind: str
    config: dict[str, Any]
    is_enabled: bool


def _claim(
    session_factory: sessionmaker[Session],
    *,
    now: datetime,
    batch: int,
    lease: timedelta,
    delivery_ids: Sequence[int] | None,
) -> list[_Claimed]:
    """Take due deliveries in one short transaction, pushing their next attempt out as a lease."""
    due = NotificationDelivery
    with unit_of_work(session_factory) as session:
        query = (
            select(due.id)
            .where(due.status == DeliveryStatus.pending.value, due.next_attempt_at <= now)
            .order_by(due.next_attempt_at, due.id)
            .limit(batch)
            # PostgreSQL: a second worker skips rows this one holds; SQLite serialises writers anyway.
            .with_for_update(skip_locked=True)
        )
        if delivery_ids is not None:
            query = query.where(due.id.in_(list(delivery_ids)))
        ids = list(session.scalars(query))
        if not ids:
            return []
        session.execute(
            update(due)
            .where(due.id.in_(ids))
            .values(attempts=due.attempts + 1, next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        )
        rows = session.execute(
            select(due, Channel).join(Channel, Channel.id == due.channel_id).where(due.id.in_(ids))
        ).all()
        return [
            _Claimed(
                id=d.id,
                attempts=d.attempts,
                max_attempts=d.max_attempts,
                ref_type=d.ref_type,
                ref_id=d.ref_id,
                message=render.from_payload(d.payload or {}, subject=d.subject, body=d.body),
                kind=c.kind,
                config=dict(c.config or {}),
                is_enabled=c.is_enabled,
            )
            for d, c in sorted(rows, key=lambda row: ids.index(row[0].id))
        ]


def _send(claimed: _Claimed, *, client: Any, settings: Settings, now: datetime) -> SendResult:
    if not claimed.is_enabled and claimed.ref_type != TEST_REF_TYPE:
        return SendResult.failure("渠道已停用，未发送", permanent=True)
    kind = get_kind(claimed.kind)
    if kind is None:
        return SendResult.failure(f"未安装渠道类型 {claimed.kind}", permanent=True)
    context = SendContext(
        client=client,
        timeout=settings.channel_timeout_seconds,
        now=now,
        delivery_id=claimed.id,
        ref_type=claimed.ref_type,
        ref_id=claimed.ref_id,
    )
    try:
        config = kind.validate(claimed.config)
        result = kind.send(claimed.message, config, context)
    except MinshengError as error:
        result = SendResult.failure(f"渠道配置无效：{error.message}", permanent=True)
    except Exception as error:
        log.warning("delivery %s on %s failed: %s", claimed.id, claimed.kind, type(error).__name__)
        result = SendResult.failure(describe_error(error))
    if result.error:
        # Secret URLs and keys must not reach the log, whatever an exception or a server echoed back.
        secrets = [claimed.config.get(name) for name in kind.secret_fields]
        result = SendResult(
            ok=result.ok,
            error=redact(result.error, secrets)[:ERROR_CHARS],
            status=result.status,
            permanent=result.permanent,
        )
    return result


def _record(
    session_factory: sessionmaker[Session],
    outcomes: list[tuple[_Claimed, SendResult]],
    *,
    now: datetime,
    tally: DeliveryRound,
) -> None:
    """Write the results in one short transaction; a delivery re-claimed meanwhile is left alone."""
    due = NotificationDelivery
    with unit_of_work(session_factory) as session:
        for claimed, result in outcomes:
            values: dict[str, Any] = {"response_code": result.status, "last_error": result.error}
            if result.ok:
                values.update(status=DeliveryStatus.sent.value, sent_at=now, next_attempt_at=None)
                tally.sent += 1
            elif result.permanent or claimed.attempts >= claimed.max_attempts:
                values.update(status=DeliveryStatus.failed.value, next_attempt_at=None)
                tally.failed += 1
            else:
                values.update(next_attempt_at=now + retry_delay(claimed.attempts))
                tally.retrying += 1
            session.execute(
                update(due)
                .where(
                    due.id == claimed.id,
                    due.status == DeliveryStatus.pending.value,
                    due.attempts == claimed.attempts,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )


def deliver_due(
    session_factory: sessionmaker[Session],
    *,
    settings: Settings,
    now: datetime | None = None,
    limit: int = 100,
    delivery_ids: Sequence[int] | None = None,
) -> DeliveryRound:
    """Send up to `limit` due deliveries (or only the given ones), retrying failures with back-off.

    No transaction is open while a message is on the wire: each batch is claimed in one short unit of work
    and its results are written in another. Safe to run in several workers at once.
    """
    tally = DeliveryRound()
    lease = timedelta(seconds=max(60.0, CLAIM_BATCH * settings.channel_timeout_seconds * LEASE_FACTOR))
    with make_client(settings.channel_timeout_seconds) as client:
        while tally.claimed < limit:
            moment = now or utcnow()
            batch = _claim(
                session_factory,
                now=moment,
                batch=min(CLAIM_BATCH, limit - tally.claimed),
                lease=lease,
                delivery_ids=delivery_ids,
            )
            if not batch:
                break
            tally.claimed += len(batch)
            outcomes = [(c, _send(c, client=client, settings=settings, now=moment)) for c in batch]
            _record(session_factory, outcomes, now=now or utcnow(), tally=tally)
    return tally

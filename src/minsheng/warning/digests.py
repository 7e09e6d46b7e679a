"""Hourly and daily digests: alerts whose rules collect them go out as one message per channel."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.channels.message import Message
from minsheng.channels.models import Channel
from minsheng.core.settings import Settings
from minsheng.core.timeutil import format_local, to_local
from minsheng.warning.models import LEVEL_NAMES, Alert, AlertStatus, Delivery, WarningRule

MAX_LINES = 30
DIGEST_TITLES = {Delivery.hourly: "每小时预警汇总", Delivery.daily: "每日预警汇总"}


def due_kinds(now: datetime, *, settings: Settings) -> list[Delivery]:
    """The hourly digest goes out every hour; the daily one only at the configured local hour."""
    kinds = [Delivery.hourly]
    if to_local(now, settings.timezone).hour == settings.alert_digest_hour:
        kinds.append(Delivery.daily)
    return kinds


def _line(alert: Alert, settings: Settings) -> str:
    when = format_local(alert.last_triggered_at, settings.timezone, "%m-%d %H:%M")
    repeat = f" ×{alert.trigger_count}" if alert.trigger_count > 1 else ""
    return f"{LEVEL_NAMES.get(alert.level, '')} {alert.title}{repeat}（{when}）"


def _message(kind: Delivery, alerts: list[Alert], *, settings: Settings, now: datetime) -> Message:
    lines = [_line(alert, settings) for alert in alerts[:MAX_LINES]]
    if len(alerts) > MAX_LINES:
        lines.append(f"……另有 {len(alerts) - MAX_LINES} 条")
    return Message(
        title=f"{DIGEST_TITLES[kind]}：{len(alerts)} 条（{format_local(now, settings.timezone)}）",
        text="\n".join(lines),
        level=min(alert.level for alert in alerts),
        url=f"{settings.public_base_url.rstrip('/')}/monitor/alerts?delivery={kind.value}",
    )


def send_digests(session: Session, *, settings: Settings, now: datetime, kinds: list[Delivery]) -> int:
    """Queue one digest per channel and kind for the alerts not yet sent; returns deliveries queued."""
    from minsheng.channels.service import enqueue

    queued = 0
    for kind in kinds:
        pending = list(
            session.scalars(
                select(Alert)
                .where(
                    Alert.delivery == kind.value,
                    Alert.notified_at.is_(None),
                    Alert.status != AlertStatus.closed.value,
                )
                .order_by(Alert.level, Alert.id)
            )
        )
        if not pending:
            continue
        rules = {
            r.id: r
            for r in session.scalars(
                select(WarningRule).where(WarningRule.id.in_({a.rule_id for a in pending if a.rule_id}))
            )
        }
        per_channel: dict[int, list[Alert]] = defaultdict(list)
        for alert in pending:
            rule = rules.get(alert.rule_id) if alert.rule_id else None
            for channel_id in rule.channel_ids if rule else []:
                per_channel[channel_id].append(alert)
        channels = {
            c.id: c for c in session.scalars(select(Channel).where(Channel.id.in_(list(per_channel))))
        }
        stamp = to_local(now, settings.timezone).strftime("%Y%m%d%H")
        for channel_id, alerts in per_channel.items():
            channel = channels.get(channel_id)
            admitted = [a for a in alerts if channel is not None and a.level <= channel.min_level]
            if not admitted:
                continue
            queued += len(
                enqueue(
                    session,
                    channel_ids=[channel_id],
                    message=_message(kind, admitted, settings=settings, now=now),
                    ref_type="digest",
                    dedupe_key=f"digest:{kind.value}:{stamp}:{channel_id}",
                    now=now,
                )
            )
        for alert in pending:
            alert.notified_at = now
    return queued

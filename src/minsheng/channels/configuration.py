"""What administrators do with channels: create, change, switch, remove (all audited) and read the log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from minsheng.audit.service import record
from minsheng.channels.kinds import ChannelKind
from minsheng.channels.models import Channel, DeliveryStatus, NotificationDelivery
from minsheng.channels.plugins import get_kind
from minsheng.channels.service import UnknownChannel
from minsheng.core.errors import Conflict, ValidationFailed

MIN_LEVELS = {1: "仅Ⅰ级预警", 2: "Ⅱ级及以上预警", 3: "Ⅲ级及以上预警", 4: "全部预警"}
MASK = "******"
MAX_PER_PAGE = 200


def masked(kind: ChannelKind | None, config: Mapping[str, Any]) -> dict[str, Any]:
    """Return the configuration fit to show or audit: secrets hidden, secret URLs cut to their host."""
    secret = set(kind.secret_fields) if kind else set(config)
    shown: dict[str, Any] = {}
    for key, value in config.items():
        if key not in secret or value in (None, ""):
            shown[key] = value
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            parts = urlsplit(value)
            shown[key] = f"{parts.scheme}://{parts.hostname}/{MASK}"
        else:
            shown[key] = MASK
    return shown


def _snapshot(channel: Channel) -> dict[str, Any]:
    return {
        "name": channel.name,
        "kind": channel.kind,
        "is_enabled": channel.is_enabled,
        "min_level": channel.min_level,
        "config": masked(get_kind(channel.kind), channel.config or {}),
    }


def _kind(name: str) -> ChannelKind:
    kind = get_kind(name)
    if kind is None:
        raise ValidationFailed(f"未知的渠道类型：{name}", field="kind")
    return kind


def _clean_name(session: Session, name: str, *, channel_id: int | None = None) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 128:
        raise ValidationFailed("名称应为 1–128 个字符", field="name")
    clash = session.scalar(select(Channel.id).where(Channel.name == name, Channel.id != (channel_id or 0)))
    if clash is not None:
        raise Conflict(f"已有同名渠道：{name}")
    return name


def _clean_level(min_level: int) -> int:
    if min_level not in MIN_LEVELS:
        raise ValidationFailed("级别门槛应为 1–4", field="min_level")
    return min_level


def merge_config(
    kind: ChannelKind,
    submitted: Mapping[str, Any],
    *,
    current: Mapping[str, Any] | None = None,
    cleared: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Clean a submitted configuration; a blank secret keeps the stored one unless it is cleared."""
    merged = {spec.name: submitted.get(spec.name) for spec in kind.fields}
    for name in kind.secret_fields:
        blank = merged.get(name) in (None, "")
        if blank and current and current.get(name) and name not in cleared:
            merged[name] = current[name]
    return kind.validate(merged)


def get_channel(session: Session, channel_id: int) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise UnknownChannel()
    return channel


def create_channel(
    session: Session,
    *,
    kind: str,
    name: str,
    config: Mapping[str, Any],
    min_level: int = 4,
    is_enabled: bool = True,
) -> Channel:
    """Add a channel after its kind has checked the configuration."""
    plugin = _kind(kind)
    channel = Channel(
        name=_clean_name(session, name),
        kind=plugin.name,
        config=merge_config(plugin, config),
        min_level=_clean_level(min_level),
        is_enabled=is_enabled,
    )
    session.add(channel)
    session.flush()
    record(
        session,
        action="create",
        entity_type="notify_channel",
        entity_id=channel.id,
        summary=f"添加通知渠道 {channel.name}",
        after=_snapshot(channel),
    )
    return channel


def update_channel(
    session: Session,
    *,
    channel_id: int,
    name: str,
    config: Mapping[str, Any],
    min_level: int,
    cleared: frozenset[str] = frozenset(),
) -> Channel:
    """Change a channel's name, level threshold and configuration; its kind stays."""
    channel = get_channel(session, channel_id)
    plugin = _kind(channel.kind)
    before = _snapshot(channel)
    # Check everything before changing anything, so a refused form leaves the channel as it was.
    cleaned_name = _clean_name(session, name, channel_id=channel.id)
    cleaned_config = merge_config(plugin, config, current=channel.config or {}, cleared=cleared)
    channel.name, channel.config, channel.min_level = cleaned_name, cleaned_config, _clean_level(min_level)
    session.flush()
    record(
        session,
        action="update",
        entity_type="notify_channel",
        entity_id=channel.id,
        summary=f"修改通知渠道 {channel.name}",
        before=before,
        after=_snapshot(channel),
    )
    return channel


def set_enabled(session: Session, *, channel_id: int, is_enabled: bool) -> Channel:
    """Switch a channel on or off; messages already queued on a disabled channel are not sent."""
    channel = get_channel(session, channel_id)
    channel.is_enabled = is_enabled
    session.flush()
    record(
        session,
        action="update",
        entity_type="notify_channel",
        entity_id=channel.id,
        summary=f"{'启用' if is_enabled else '停用'}通知渠道 {channel.name}",
        after={"is_enabled": is_enabled},
    )
    return channel


def delete_channel(session: Session, *, channel_id: int) -> None:
    """Remove a channel together with its delivery log."""
    channel = get_channel(session, channel_id)
    before = _snapshot(channel)
    session.delete(channel)
    session.flush()
    record(
        session,
        action="delete",
        entity_type="notify_channel",
        entity_id=channel_id,
        summary=f"删除通知渠道 {before['name']}",
        before=before,
    )


@dataclass(frozen=True)
class ChannelSummary:
    """A channel with its latest delivery and the last day's counts, for the list page."""

    channel: Channel
    last_status: str | None
    last_at: datetime | None
    sent: int
    failed: int


def list_channels(session: Session) -> list[Channel]:
    return list(session.scalars(select(Channel).order_by(Channel.name)))


def summarise_channels(session: Session, *, since: datetime) -> list[ChannelSummary]:
    """List channels with their latest delivery and the deliveries created since a moment, by outcome."""
    channels = list_channels(session)
    latest_ids = select(func.max(NotificationDelivery.id)).group_by(NotificationDelivery.channel_id)
    latest = {
        channel_id: (status, created)
        for channel_id, status, created in session.execute(
            select(
                NotificationDelivery.channel_id, NotificationDelivery.status, NotificationDelivery.created_at
            ).where(NotificationDelivery.id.in_(latest_ids))
        )
    }
    counts: dict[tuple[int, str], int] = {
        (channel_id, status): count
        for channel_id, status, count in session.execute(
            select(NotificationDelivery.channel_id, NotificationDelivery.status, func.count())
            .where(NotificationDelivery.created_at >= since)
            .group_by(NotificationDelivery.channel_id, NotificationDelivery.status)
        )
    }
    return [
        ChannelSummary(
            channel=c,
            last_status=latest.get(c.id, (None, None))[0],
            last_at=latest.get(c.id, (None, None))[1],
            sent=counts.get((c.id, DeliveryStatus.sent.value), 0),
            failed=counts.get((c.id, DeliveryStatus.failed.value), 0),
        )
        for c in channels
    ]


def search_deliveries(
    session: Session,
    *,
    channel_id: int | None = None,
    status: str | None = None,
    ref_type: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[tuple[NotificationDelivery, str]], int]:
    """Return one page of deliveries, newest first, with their channel's name, and the total count."""
    conditions: list[ColumnElement[bool]] = []
    if channel_id is not None:
        conditions.append(NotificationDelivery.channel_id == channel_id)
    if status:
        conditions.append(NotificationDelivery.status == status)
    if ref_type:
        conditions.append(NotificationDelivery.ref_type == ref_type)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    page = max(page, 1)
    total = session.scalar(select(func.count()).select_from(NotificationDelivery).where(*conditions)) or 0
    rows = session.execute(
        select(NotificationDelivery, Channel.name)
        .join(Channel, Channel.id == NotificationDelivery.channel_id)
        .where(*conditions)
        .order_by(NotificationDelivery.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return [(delivery, name) for delivery, name in rows], total


def list_ref_types(session: Session) -> list[str]:
    """Return the distinct reference types in the log, for the filter."""
    query = select(NotificationDelivery.ref_type).distinct().order_by(NotificationDelivery.ref_type)
    return list(session.scalars(query))

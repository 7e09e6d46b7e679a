"""Events for pages and analysts: find and list them, merge, split, assess, and close the quiet ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session, selectinload

from minsheng.audit.service import record
from minsheng.auth.models import User
from minsheng.core.errors import Conflict, NotFound, ValidationFailed
from minsheng.events.cache import cached_state
from minsheng.events.clustering import fact_columns
from minsheng.events.config import DEFAULT_CONFIG, ClusterConfig
from minsheng.events.figures import add_items, group_heads, heat, reset
from minsheng.events.models import Event, EventStatus
from minsheng.events.similarity import TermStats, item_vector
from minsheng.items.models import Item
from minsheng.items.search import escape_like, region_prefix
from minsheng.sources.models import Source

LEVELS = {1: "Ⅰ级", 2: "Ⅱ级", 3: "Ⅲ级", 4: "Ⅳ级"}
MAX_ASSESSMENT = 5000
MAX_SPLIT = 2000
STATUS_LABELS = {
    EventStatus.active.value: "进行中",
    EventStatus.closed.value: "已平息",
    EventStatus.merged.value: "已合并",
}


class UnknownEvent(NotFound):
    default_message = "找不到该事件"


@dataclass(frozen=True)
class EventFilter:
    """Which events a list shows: those seen within the time range that match every given filter."""

    since: datetime | None = None
    until: datetime | None = None
    status: str | None = EventStatus.active.value
    category: str | None = None
    region_code: str | None = None


def _conditions(spec: EventFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if spec.status:
        found.append(Event.status == spec.status)
    if spec.since:
        found.append(Event.last_seen_at >= spec.since)
    if spec.until:
        found.append(Event.first_seen_at < spec.until)
    if spec.category:
        found.append(Event.category == spec.category)
    if spec.region_code:
        prefix = escape_like(region_prefix(spec.region_code))
        found.append(Event.region_code.like(prefix + "%", escape="\\"))
    return found


def list_events(session: Session, *, spec: EventFilter, limit: int = 30, offset: int = 0) -> list[Event]:
    """Return the matching events, hottest first, then most recently seen."""
    statement = (
        select(Event)
        .where(*_conditions(spec))
        .order_by(Event.heat.desc(), Event.last_seen_at.desc(), Event.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(statement))


def count_events(session: Session, *, spec: EventFilter) -> int:
    return session.scalar(select(func.count()).select_from(Event).where(*_conditions(spec))) or 0


def event_categories(session: Session) -> list[str]:
    """The categories events have, for the list's filter."""
    statement = select(Event.category).where(Event.category.is_not(None)).distinct().order_by(Event.category)
    return [value for value in session.scalars(statement) if value]


def get_event(session: Session, *, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise UnknownEvent()
    return event


def event_items(session: Session, *, event_id: int, limit: int = 30, offset: int = 0) -> list[Item]:
    """The event's items, newest first, with their sources."""
    statement = (
        select(Item)
        .options(selectinload(Item.source))
        .where(Item.event_id == event_id)
        .order_by(Item.published_at.desc(), Item.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(statement))


def representative_items(session: Session, *, event: Event, limit: int = 8) -> list[tuple[Item, int]]:
    """One item per copy group, the most copied groups first, each with the size of its group here."""
    group = func.coalesce(Item.dup_group_id, Item.id)
    rows = session.execute(
        select(func.min(Item.id), func.count())
        .where(Item.event_id == event.id)
        .group_by(group)
        .order_by(func.count().desc(), func.min(Item.id))
        .limit(limit)
    ).all()
    sizes = {first: size for first, size in rows}
    ordered = sorted(sizes, key=lambda i: (i != event.representative_item_id, -sizes[i], i))
    items = {
        item.id: item
        for item in session.scalars(
            select(Item).options(selectinload(Item.source)).where(Item.id.in_(ordered))
        )
    }
    return [(items[i], sizes[i]) for i in ordered if i in items]


def group_size(session: Session, *, item: Item) -> int:
    """How many stored items belong to the item's copy group (1 when it has none)."""
    if item.dup_group_id is None:
        return 1
    return session.scalar(select(func.count()).where(Item.dup_group_id == item.dup_group_id)) or 1


def item_event(session: Session, *, item: Item) -> tuple[Event | None, int]:
    """The event an item belongs to (following merges) and the size of its copy group, for its page."""
    event = session.get(Event, item.event_id) if item.event_id is not None else None
    for _ in range(8):
        if event is None or event.merged_into_id is None:
            break
        event = session.get(Event, event.merged_into_id)
    return event, group_size(session, item=item)


def _vectors(session: Session, rows: Sequence[Any]) -> dict[int, Any]:
    """Keyword vectors of the copy-group heads among rows, weighted by this process's window statistics."""
    state = cached_state(session)
    stats = state.terms if state is not None else TermStats()
    if state is None:
        for row in group_heads(rows):
            stats.add(row.keywords or ())
    return {row.id: item_vector(row.keywords or (), stats) for row in group_heads(rows)}


def recompute(
    session: Session, *, event: Event, now: datetime, config: ClusterConfig = DEFAULT_CONFIG
) -> None:
    """Count the event's figures again from its items (after a merge or a split)."""
    rows = session.execute(select(*fact_columns()).where(Item.event_id == event.id).order_by(Item.id)).all()
    tiers = {sid: tier for sid, tier in session.execute(select(Source.id, Source.tier))}
    vectors = _vectors(session, rows)
    kept = (event.title, event.first_seen_at, event.last_seen_at)
    reset(event)
    if not rows:
        # A merged event keeps its headline and time span for the record.
        event.title, event.first_seen_at, event.last_seen_at = kept
        event.heat = 0.0
        return
    add_items(event, rows, tiers=tiers, vectors=vectors, centroid_terms=config.centroid_terms, now=now)


def _summary(event: Event) -> dict[str, Any]:
    return {"title": event.title, "status": event.status, "item_count": event.item_count}


def _refresh_cache(session: Session, *events: Event) -> None:
    state = cached_state(session)
    if state is not None:
        for event in events:
            state.put_event_row(event)


def merge_events(
    session: Session,
    *,
    target_id: int,
    source_id: int,
    now: datetime,
    config: ClusterConfig = DEFAULT_CONFIG,
) -> Event:
    """Fold event `source_id` into `target_id`: its items move, it is marked merged, figures are recounted."""
    if target_id == source_id:
        raise ValidationFailed("不能把事件并入它自己", field="source_id")
    target = get_event(session, event_id=target_id)
    source = session.get(Event, source_id)
    if source is None:
        raise UnknownEvent(f"找不到事件 #{source_id}")
    if EventStatus.merged.value in (target.status, source.status):
        raise Conflict("已合并的事件不能再合并")
    before = {"target": _summary(target), "source": _summary(source)}
    moved = session.execute(
        update(Item)
        .where(Item.event_id == source.id)
        .values(event_id=target.id)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    session.execute(update(Event).where(Event.merged_into_id == source.id).values(merged_into_id=target.id))
    source.status = EventStatus.merged.value
    source.merged_into_id = target.id
    source.heat = 0.0
    if target.status == EventStatus.closed.value:
        target.status = EventStatus.active.value
    recompute(session, event=target, now=now, config=config)
    recompute(session, event=source, now=now, config=config)
    session.flush()
    record(
        session,
        action="merge",
        entity_type="event",
        entity_id=target.id,
        summary=f"将事件 #{source.id} 并入事件 #{target.id}，移入 {moved} 条信息",
        before=before,
        after={"target": _summary(target), "source": _summary(source), "moved": moved},
    )
    _refresh_cache(session, target, source)
    return target


def split_event(
    session: Session,
    *,
    event_id: int,
    item_ids: Sequence[int],
    now: datetime,
    config: ClusterConfig = DEFAULT_CONFIG,
) -> Event:
    """Move the chosen items, with their copies, out of an event into a new one; return the new event."""
    event = get_event(session, event_id=event_id)
    if event.status == EventStatus.merged.value:
        raise Conflict("已合并的事件不能拆分")
    chosen = list(dict.fromkeys(int(i) for i in item_ids))[:MAX_SPLIT]
    if not chosen:
        raise ValidationFailed("请先勾选要拆出的信息", field="item_ids")
    groups = set(
        session.scalars(
            select(func.coalesce(Item.dup_group_id, Item.id)).where(
                Item.event_id == event.id, Item.id.in_(chosen)
            )
        )
    )
    if not groups:
        raise ValidationFailed("勾选的信息不属于该事件", field="item_ids")
    moving = list(
        session.scalars(
            select(Item.id).where(
                Item.event_id == event.id, func.coalesce(Item.dup_group_id, Item.id).in_(groups)
            )
        )
    )
    remaining = (session.scalar(select(func.count()).where(Item.event_id == event.id)) or 0) - len(moving)
    if remaining <= 0:
        raise ValidationFailed("不能拆出事件的全部信息", field="item_ids")
    before = _summary(event)
    new = Event(
        title=event.title,
        status=EventStatus.active.value,
        first_seen_at=event.first_seen_at,
        last_seen_at=event.last_seen_at,
        keywords=[],
        places=[],
        harm_signals=[],
        sentiment_mix={},
        centroid={},
        tallies={},
    )
    session.add(new)
    session.flush()
    session.execute(
        update(Item)
        .where(Item.id.in_(moving))
        .values(event_id=new.id)
        .execution_options(synchronize_session="fetch")
    )
    recompute(session, event=new, now=now, config=config)
    recompute(session, event=event, now=now, config=config)
    session.flush()
    record(
        session,
        action="split",
        entity_type="event",
        entity_id=event.id,
        summary=f"从事件 #{event.id} 拆出 {len(moving)} 条信息，成为事件 #{new.id}",
        before=before,
        after={"event": _summary(event), "new_event": new.id, "items": sorted(moving)},
    )
    _refresh_cache(session, event, new)
    return new


def assess_event(
    session: Session, *, event_id: int, assessment: str, level: int | None, user: User, now: datetime
) -> Event:
    """Save the analyst's assessment (研判) and the level they judge, with who and when."""
    event = get_event(session, event_id=event_id)
    text = assessment.strip()
    if not text:
        raise ValidationFailed("请填写研判意见", field="assessment")
    if len(text) > MAX_ASSESSMENT:
        raise ValidationFailed(f"研判意见不能超过 {MAX_ASSESSMENT} 字", field="assessment")
    if level is not None and level not in LEVELS:
        raise ValidationFailed("研判等级应为 Ⅰ–Ⅳ 级", field="level")
    before = {"assessment": event.assessment, "assessment_level": event.assessment_level}
    event.assessment = text
    event.assessment_level = level
    event.assessed_by_id = user.id
    event.assessed_at = now
    session.flush()
    record(
        session,
        action="assess",
        entity_type="event",
        entity_id=event.id,
        summary=f"研判事件 #{event.id}" + (f"（{LEVELS[level]}）" if level else ""),
        before=before,
        after={"assessment": text, "assessment_level": level},
    )
    return event


@dataclass(frozen=True)
class QuietReport:
    """What a sweep did: events closed, and active events whose heat was brought up to date."""

    closed: list[int]
    reheated: int


def close_quiet(session: Session, *, now: datetime, quiet_hours: float) -> QuietReport:
    """Close the events with no new item for `quiet_hours` and bring the others' heat up to date.

    Heat decays with time even when nothing arrives, so the sweep recomputes it from the hourly tallies
    (no item is read). Running it twice changes nothing the second time.
    """
    cutoff = now - timedelta(hours=quiet_hours)
    closed = []
    active = session.scalars(select(Event).where(Event.status == EventStatus.active.value)).all()
    for event in active:
        if event.last_seen_at < cutoff:
            event.status = EventStatus.closed.value
            event.heat = 0.0
            closed.append(event.id)
            continue
        fresh = heat(event, now=now)
        if fresh != event.heat:
            event.heat = fresh
    session.flush()
    return QuietReport(closed=closed, reheated=len(active) - len(closed))


def assessor_name(session: Session, *, event: Event) -> str | None:
    if event.assessed_by_id is None:
        return None
    user = session.get(User, event.assessed_by_id)
    return user.display_name if user is not None else None

"""Gather, in a few grouped queries, what the rules need to know of the events that moved recently."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.events.models import Event, EventStatus
from minsheng.items.models import Item
from minsheng.items.search import text_condition
from minsheng.warning.conditions import BurstFacts, EventFacts
from minsheng.warning.models import Burst, BurstKind

# Events untouched for longer than this are not re-evaluated: nothing about them can have changed.
LOOKBACK = timedelta(hours=2)


def moving_events(session: Session, *, now: datetime, since: datetime | None = None) -> list[Event]:
    """Active events that received items since `since` (default: the last two hours)."""
    statement = select(Event).where(
        Event.status == EventStatus.active.value, Event.last_seen_at >= (since or now - LOOKBACK)
    )
    return list(session.scalars(statement.order_by(Event.id)))


def _counts(session: Session, ids: list[int], start: datetime, end: datetime) -> dict[int, int]:
    statement = (
        select(Item.event_id, func.count())
        .where(Item.event_id.in_(ids), Item.published_at >= start, Item.published_at < end)
        .group_by(Item.event_id)
    )
    return {int(event_id): int(n) for event_id, n in session.execute(statement)}


def _rumor_scores(session: Session, ids: list[int]) -> dict[int, float]:
    statement = (
        select(Item.event_id, func.max(Item.rumor_score))
        .where(Item.event_id.in_(ids))
        .group_by(Item.event_id)
    )
    return {int(event_id): float(score or 0.0) for event_id, score in session.execute(statement)}


def _bursting(session: Session, ids: list[int], *, since: datetime) -> set[int]:
    statement = select(Burst.event_id).where(
        Burst.kind == BurstKind.event.value, Burst.event_id.in_(ids), Burst.window_end >= since
    )
    return {int(event_id) for event_id in session.scalars(statement)}


def matching_events(session: Session, ids: list[int], query: str) -> set[int]:
    """Events among `ids` with at least one item containing `query`."""
    dialect = session.get_bind().dialect.name
    statement = select(Item.event_id).where(Item.event_id.in_(ids), text_condition(dialect, query)).distinct()
    return {int(event_id) for event_id in session.scalars(statement)}


def event_facts(
    session: Session,
    events: list[Event],
    *,
    now: datetime,
    windows: Iterable[int],
    burst_window: timedelta,
) -> dict[int, dict[int, EventFacts]]:
    """Facts per window length (minutes) per event id; recent/previous counts depend on the window."""
    ids = [event.id for event in events]
    if not ids:
        return {}
    rumor = _rumor_scores(session, ids)
    bursting = _bursting(session, ids, since=now - burst_window)
    result: dict[int, dict[int, EventFacts]] = {}
    for minutes in set(windows):
        window = timedelta(minutes=minutes)
        recent = _counts(session, ids, now - window, now + timedelta(seconds=1))
        previous = _counts(session, ids, now - 2 * window, now - window)
        result[minutes] = {
            event.id: EventFacts(
                event_id=event.id,
                title=event.title,
                category=event.category,
                region_codes=[p["region_code"] for p in event.places if p.get("region_code")]
                + ([event.region_code] if event.region_code else []),
                harm_signals=list(event.harm_signals or []),
                item_count=event.item_count,
                negative_count=event.negative_count,
                key_tier_count=event.key_tier_count,
                recent_items=recent.get(event.id, 0),
                previous_items=previous.get(event.id, 0),
                max_rumor_score=rumor.get(event.id, 0.0),
                bursting=event.id in bursting,
            )
            for event in events
        }
    return result


def burst_facts(session: Session, burst: Burst) -> BurstFacts:
    """Describe a burst for burst-scoped rules (an event burst carries its event's category and places)."""
    kind = BurstKind(burst.kind)
    category = burst.key if kind == BurstKind.category else None
    regions: tuple[str, ...] = (burst.key,) if kind == BurstKind.place else ()
    if kind == BurstKind.event and burst.event_id is not None:
        event = session.get(Event, burst.event_id)
        if event is not None:
            category = event.category
            regions = tuple(p["region_code"] for p in event.places if p.get("region_code"))
    return BurstFacts(
        kind=kind,
        key=burst.key,
        label=burst.label,
        observed=burst.observed,
        expected=burst.expected,
        category=category,
        region_codes=regions,
    )

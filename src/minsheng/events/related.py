"""Events related to a case: those its alerts came from, and recent ones on the same place and matter."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from minsheng.events.models import Event, EventStatus
from minsheng.items.search import escape_like, region_prefix
from minsheng.warning.models import Alert

LOOKBACK = timedelta(days=14)
CANDIDATES = 200


def related_events(
    session: Session,
    *,
    case_id: int,
    region_code: str | None,
    keywords: list[str],
    now: datetime,
    limit: int = 5,
) -> list[Event]:
    """Events linked through the case's alerts first, then recent events of its county sharing a keyword."""
    linked = set(
        session.scalars(select(Alert.event_id).where(Alert.case_id == case_id, Alert.event_id.is_not(None)))
    )
    conditions = [Event.id.in_(linked)] if linked else []
    if region_code and keywords:
        county = region_prefix(region_code[:6])
        conditions.append(
            (Event.region_code.like(escape_like(county) + "%", escape="\\"))
            & (Event.last_seen_at >= now - LOOKBACK)
            & (Event.status != EventStatus.merged.value)
        )
    if not conditions:
        return []
    candidates = session.scalars(
        select(Event).where(or_(*conditions)).order_by(Event.heat.desc()).limit(CANDIDATES)
    )
    wanted = set(keywords)
    scored = []
    for event in candidates:
        overlap = len(wanted & set(event.keywords or []))
        if event.id in linked or overlap:
            scored.append((event.id not in linked, -overlap, -event.heat, event))
    scored.sort(key=lambda row: row[:3])
    return [row[3] for row in scored[:limit]]

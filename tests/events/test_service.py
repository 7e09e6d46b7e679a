"""Analysts' operations on events: merge, split and assessment (audited), and the quiet-event sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from minsheng.audit.models import AuditEntry
from minsheng.core.database import make_sessionmaker
from minsheng.core.errors import Conflict, ValidationFailed
from minsheng.core.timeutil import utcnow
from minsheng.events.models import Event, EventStatus
from minsheng.events.service import (
    EventFilter,
    assess_event,
    close_quiet,
    count_events,
    item_event,
    list_events,
    merge_events,
    representative_items,
    split_event,
)
from minsheng.items.models import Item
from minsheng.jobs.catalog import load_task_modules
from minsheng.jobs.registry import JobContext, get_spec
from tests.events.conftest import post, store, story_posts
from tests.events.stories import STORIES
from tests.factories import make_user


def _two_events(session, sources):
    now = utcnow()
    water, _ = store(session, sources[0], story_posts("water", start=now - timedelta(hours=9)), now=now)
    school, _ = store(session, sources[1], story_posts("school", start=now - timedelta(hours=8)), now=now)
    session.commit()
    return water[0].event_id, school[0].event_id, now


def _audit(session, action):
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_merge_moves_items_and_recounts(session, sources):
    water_id, school_id, now = _two_events(session, sources)
    target = merge_events(session, target_id=water_id, source_id=school_id, now=now)
    session.commit()
    merged = session.get(Event, school_id)
    assert target.item_count == 10 and target.source_count == 2
    assert merged.status == EventStatus.merged.value and merged.merged_into_id == water_id
    assert merged.item_count == 0 and merged.heat == 0.0 and merged.title
    assert session.scalar(select(func.count()).where(Item.event_id == water_id)) == 10
    (entry,) = _audit(session, "merge")
    assert entry.entity_type == "event" and entry.entity_id == str(water_id) and entry.after["moved"] == 5
    # An item of the merged event now reports the event that holds it.
    item = session.scalar(select(Item).where(Item.title == STORIES["school"][0][0]))
    assert item_event(session, item=item) == (target, 1)

    with pytest.raises(Conflict):
        merge_events(session, target_id=water_id, source_id=school_id, now=now)
    with pytest.raises(ValidationFailed):
        merge_events(session, target_id=water_id, source_id=water_id, now=now)


def test_later_items_of_a_merged_story_go_to_the_surviving_event(session, sources):
    water_id, school_id, now = _two_events(session, sources)
    merge_events(session, target_id=water_id, source_id=school_id, now=now)
    session.commit()
    title, text = STORIES["school"][1]
    (item,), report = store(
        session, sources[2], [post(title + "（续）", text + "家长仍在等待结果。", at=now)], now=now
    )
    session.commit()
    assert item.event_id == water_id and report.updated == [water_id]


def test_split_moves_chosen_items_with_their_copies(session, sources):
    water_id, school_id, now = _two_events(session, sources)
    merge_events(session, target_id=water_id, source_id=school_id, now=now)
    title, text = STORIES["school"][0]
    (copy,), _ = store(session, sources[2], [post("转发：" + title, text, at=now)], now=now)
    session.commit()
    school_items = list(
        session.scalars(select(Item.id).where(Item.title.in_([t for t, _ in STORIES["school"]])))
    )
    new = split_event(session, event_id=water_id, item_ids=school_items, now=now)
    session.commit()
    assert new.item_count == 6 and copy.event_id == new.id
    assert session.get(Event, water_id).item_count == 5
    assert "腹泻" in new.keywords and "停水" in session.get(Event, water_id).keywords
    (entry,) = _audit(session, "split")
    assert entry.after["new_event"] == new.id and len(entry.after["items"]) == 6
    reps = representative_items(session, event=new)
    assert len(reps) == 5 and reps[0][0].id == new.representative_item_id
    assert dict((item.id, size) for item, size in reps)[copy.dup_group_id] == 2

    everything = list(session.scalars(select(Item.id).where(Item.event_id == water_id)))
    with pytest.raises(ValidationFailed):
        split_event(session, event_id=water_id, item_ids=everything, now=now)
    with pytest.raises(ValidationFailed):
        split_event(session, event_id=water_id, item_ids=[], now=now)


def test_assessment_is_saved_with_who_and_when(session, sources, settings):
    water_id, _, now = _two_events(session, sources)
    analyst = make_user(session, settings, roles=["analyst"])
    event = assess_event(
        session,
        event_id=water_id,
        assessment="居民情绪较大，建议督促供水公司。",
        level=2,
        user=analyst,
        now=now,
    )
    session.commit()
    assert (event.assessment_level, event.assessed_by_id, event.assessed_at) == (2, analyst.id, now)
    (entry,) = _audit(session, "assess")
    assert entry.after["assessment_level"] == 2
    with pytest.raises(ValidationFailed):
        assess_event(session, event_id=water_id, assessment=" ", level=None, user=analyst, now=now)
    with pytest.raises(ValidationFailed):
        assess_event(session, event_id=water_id, assessment="x", level=7, user=analyst, now=now)


def test_quiet_events_close_and_reopen_when_the_story_returns(session, sources):
    water_id, school_id, now = _two_events(session, sources)
    later = now + timedelta(hours=55)
    report = close_quiet(session, now=later, quiet_hours=48)
    session.commit()
    assert sorted(report.closed) == sorted([water_id, school_id]) and report.reheated == 0
    assert session.get(Event, water_id).status == EventStatus.closed.value
    assert close_quiet(session, now=later, quiet_hours=48).closed == []
    assert count_events(session, spec=EventFilter()) == 0
    assert {e.id for e in list_events(session, spec=EventFilter(status=None))} == {water_id, school_id}

    title, text = STORIES["water"][2]
    (item,), _ = store(session, sources[2], [post(title, text + "今天又停水了。", at=later)], now=later)
    session.commit()
    reopened = session.get(Event, water_id)
    assert item.event_id == water_id and reopened.status == EventStatus.active.value and reopened.heat > 0


def test_heat_decays_in_the_sweep_and_the_job_is_registered(session, sources, settings, engine):
    water_id, school_id, now = _two_events(session, sources)
    before = session.get(Event, water_id).heat
    close_quiet(session, now=now + timedelta(hours=10), quiet_hours=48)
    session.commit()
    assert 0 < session.get(Event, water_id).heat < before
    session.rollback()

    load_task_modules(settings)
    spec = get_spec("events.close_quiet")
    assert spec.cron == "*/10 * * * *"
    context = JobContext(
        settings=settings,
        session_factory=make_sessionmaker(engine),
        queue=None,
        job_id=1,
        attempt=1,
        tick=now + timedelta(hours=60),
    )
    assert spec.func(context) == {"closed": 2, "active": 0}
    assert spec.func(context) == {"closed": 0, "active": 0}
    assert session.get(Event, school_id).status == EventStatus.closed.value


def test_list_filters(session, sources):
    water_id, school_id, now = _two_events(session, sources)
    assert [e.id for e in list_events(session, spec=EventFilter(category="教育文体"))] == [school_id]
    assert [e.id for e in list_events(session, spec=EventFilter(region_code="371502"))] == [water_id]
    assert count_events(session, spec=EventFilter(since=now + timedelta(days=1))) == 0
    assert count_events(session, spec=EventFilter(until=now - timedelta(days=1))) == 0
    assert count_events(session, spec=EventFilter(status=EventStatus.merged.value)) == 0

"""Online clustering: copies form groups, rewordings of one story form one event, chatter stays out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from minsheng.core.database import make_engine, make_sessionmaker
from minsheng.core.timeutil import utcnow
from minsheng.events import clustering
from minsheng.events.cache import cached_state, forget_states
from minsheng.events.clustering import cluster_stored
from minsheng.events.models import Event, EventStatus
from minsheng.items.models import Item
from minsheng.items.service import store_items
from minsheng.sources.fetcher.http import FetchResult
from minsheng.sources.ingest import Fetched, store_round
from minsheng.sources.models import Source
from tests.events.conftest import (
    chatter_posts,
    event_of,
    post,
    store,
    story_posts,
    text_engine,
)
from tests.events.stories import CHATTER, STORIES


def _events_by_story(session, refs: dict[str, list[str]]) -> dict[str, set[int | None]]:
    return {name: {event_of(session, ref) for ref in group} for name, group in refs.items()}


def test_stories_become_three_events_and_chatter_waits(session, sources):
    now = utcnow()
    refs: dict[str, list[str]] = {}
    batches: dict[int, list] = {0: [], 1: [], 2: []}
    for offset, name in enumerate(STORIES):
        posts = story_posts(name, start=now - timedelta(hours=12 - offset))
        refs[name] = [p.external_id for p in posts]
        for index, item in enumerate(posts):
            batches[index % 3].append(item)
    chatter = chatter_posts(at=now - timedelta(hours=3))
    for index, item in enumerate(chatter):
        batches[index % 3].append(item)
    for index, source in enumerate(sources):
        store(session, source, batches[index], now=now)
    session.commit()

    found = _events_by_story(session, refs)
    assert all(len(ids) == 1 and None not in ids for ids in found.values()), found
    assert len({next(iter(ids)) for ids in found.values()}) == 3
    assert all(event_of(session, p.external_id) is None for p in chatter)
    assert session.scalar(select(func.count()).select_from(Event)) == 3

    water = session.get(Event, next(iter(found["water"])))
    assert water.item_count == 5 and water.source_count == 3 and water.key_tier_count == 2
    assert water.status == EventStatus.active.value
    assert {"停水", "幸福"} <= set(water.keywords)
    assert water.region_code.startswith("371502")
    assert water.places[0]["name"] == "幸福小区" and water.places[0]["count"] == 5
    assert water.category == "城乡建设"
    assert sum(water.sentiment_mix.values()) == 5 and water.negative_count == water.sentiment_mix["negative"]
    assert water.title in {title for title, _ in STORIES["water"]}
    assert water.first_seen_at < water.last_seen_at and water.heat > 0
    assert len(water.centroid) <= 64
    # Nothing here copies anything else: every item heads its own group.
    assert session.scalar(select(func.count()).where(Item.dup_group_id != Item.id)) == 0


def test_reposts_share_a_group_and_follow_their_event(session, sources):
    news, forum, weibo = sources
    now = utcnow()
    title, text = STORIES["chemical"][0]
    originals, _ = store(session, news, story_posts("chemical", start=now - timedelta(hours=8)), now=now)
    reposts, report = store(
        session,
        weibo,
        [
            post("转发：" + title, text + "//@环保志愿者: 必须严查！", at=now - timedelta(hours=1)),
            post("", "转发微博 " + text, at=now - timedelta(minutes=30)),
        ],
        now=now,
    )
    session.commit()
    event_id = originals[0].event_id
    assert event_id is not None and report.created == [] and report.updated == [event_id]
    assert report.copies == 2
    assert all(r.dup_group_id == originals[0].id and r.event_id == event_id for r in reposts)
    assert session.get(Event, event_id).item_count == 7

    lone_title, lone_text = CHATTER[1]
    (first,), _ = store(session, forum, [post(lone_title, lone_text, at=now - timedelta(hours=2))], now=now)
    (same_site,), report = store(
        session, forum, [post(lone_title, lone_text, at=now - timedelta(hours=1))], now=now
    )
    assert same_site.dup_group_id == first.id and same_site.event_id is None and report.created == []
    (elsewhere,), report = store(session, weibo, [post(lone_title, lone_text, at=now)], now=now)
    session.commit()
    # Copies on a second source make a post eventful: the whole group becomes one event.
    assert len(report.created) == 1
    assert {first.event_id, same_site.event_id, elsewhere.event_id} == {report.created[0]}
    spread = session.get(Event, report.created[0])
    assert spread.item_count == 3 and spread.source_count == 2


def test_later_batches_join_the_events_of_earlier_ones(session, sources):
    news, forum, _ = sources
    now = utcnow()
    posts = {name: story_posts(name, start=now - timedelta(hours=20)) for name in STORIES}
    store(session, news, [p for name in STORIES for p in posts[name][:2]], now=now)
    session.commit()
    created = set(session.scalars(select(Event.id)))
    assert len(created) == 3

    # A restarted process rebuilds its state from the database and carries on.
    forget_states()
    _, report = store(session, forum, [p for name in STORIES for p in posts[name][2:4]], now=now)
    assert report.created == [] and set(report.updated) == created
    _, report = store(session, forum, [posts[name][4] for name in STORIES], now=now)
    session.commit()
    assert report.created == [] and set(report.updated) == created
    assert sorted(session.scalars(select(Event.item_count))) == [5, 5, 5]
    assert sorted(session.scalars(select(Event.source_count))) == [2, 2, 2]


def test_a_rolled_back_batch_is_forgotten(session, sources):
    now = utcnow()
    store(session, sources[0], story_posts("school", start=now - timedelta(hours=5)), now=now)
    state = cached_state(session)
    assert state is not None and state.loaded and state.events
    session.rollback()
    assert not state.loaded and not state.events
    items, report = store(session, sources[0], story_posts("school", start=now - timedelta(hours=5)), now=now)
    session.commit()
    assert len(report.created) == 1 and {i.event_id for i in items} == set(report.created)
    assert session.get(Event, report.created[0]).item_count == 5


def test_another_process_sees_events_through_the_database(session, sources, db_url):
    now = utcnow()
    posts = story_posts("water", start=now - timedelta(hours=6))
    store(session, sources[0], posts[:2], now=now)
    session.commit()
    (event_id,) = session.scalars(select(Event.id))
    other_source_id = sources[1].id
    # On SQLite every transaction takes the write lock: end this one before the other process writes.
    session.rollback()

    other_engine = make_engine(db_url)
    try:
        with make_sessionmaker(other_engine)() as other:
            source = other.get(Source, other_source_id)
            _, report = store(other, source, posts[2:4], now=now)
            other.commit()
            assert report.updated == [event_id]
        _, report = store(session, sources[2], posts[4:], now=now)
        session.commit()
    finally:
        other_engine.dispose()
    assert report.updated == [event_id]
    assert session.get(Event, event_id).item_count == 5


def test_a_failing_clustering_leaves_items_stored_and_unclustered(session, sources, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(clustering, "cluster_items", broken)
    now = utcnow()
    stored = store_items(
        session, source=sources[0], items=story_posts("water", start=now), engine=text_engine(), now=now
    )
    assert cluster_stored(session, item_ids=stored.ids, now=now) is None
    session.commit()
    assert session.scalar(select(func.count()).select_from(Item)) == 5
    assert session.scalar(select(func.count()).where(Item.dup_group_id.is_not(None))) == 0


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>问政</title>{items}</channel></rss>"""
ENTRY = "<item><title>{title}</title><link>https://bbs.example/t/{n}</link><description>{text}</description></item>"


def test_an_ingest_round_clusters_what_it_stores(session, sources, settings):
    entries = "".join(
        ENTRY.format(title=title, text=text, n=n) for n, (title, text) in enumerate(STORIES["water"][:3])
    )
    fetched = Fetched(
        sources[1].id,
        result=FetchResult(200, "https://bbs.example/rss", content=RSS.format(items=entries).encode()),
    )
    sources[1].kind = "rss"
    session.commit()
    (report,) = store_round(session, [fetched], settings=settings, engine=text_engine(), now=utcnow())
    session.commit()
    assert report.ok and report.created == 3
    assert session.scalar(select(func.count()).select_from(Event)) == 1
    assert session.scalar(select(func.count()).where(Item.event_id.is_not(None))) == 3


@pytest.mark.parametrize("published_hours_ago", [200, 20_000])
def test_archive_imports_cluster_on_their_own_time(session, sources, published_hours_ago):
    now = utcnow()
    start = now - timedelta(hours=published_hours_ago)
    _, first = store(session, sources[0], story_posts("school", start=start)[:3], now=now)
    _, second = store(session, sources[1], story_posts("school", start=start)[3:], now=now)
    session.commit()
    assert len(first.created) == 1 and second.updated == first.created

"""Ingest rounds over a local server: stored Chinese text, 304s, failures recorded, nothing duplicated."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from minsheng.core.database import make_sessionmaker
from minsheng.items.models import Item
from minsheng.sources import service
from minsheng.sources.ingest import run_round
from minsheng.sources.models import Source
from minsheng.sources.schemas import SourceCreate
from minsheng.text.engine_cache import EngineCache
from tests.sources.conftest import ATOM, GBK_RSS, JSON_FEED, Route


@pytest.fixture
def ingest(engine, fetch_settings):
    factory = make_sessionmaker(engine)
    engines = EngineCache(fetch_settings)

    def run():
        return {r.name: r for r in run_round(factory, settings=fetch_settings, engines=engines)}

    return run


def _add(session, settings, name, url, kind="rss"):
    source = service.create_source(
        session, data=SourceCreate(name=name, kind=kind, url=url), settings=settings
    )
    session.commit()
    return source.id


def _make_due(session):
    session.execute(update(Source).values(next_due_at=None))
    session.commit()


def test_round_stores_feeds_and_is_idempotent(session, fetch_settings, feed_server, ingest):
    feed_server.routes["/rss"] = Route(GBK_RSS, content_type="text/xml; charset=utf-8")
    feed_server.routes["/atom"] = Route(ATOM, content_type="application/atom+xml")
    feed_server.routes["/json"] = Route(JSON_FEED, content_type="application/feed+json")
    _add(session, fetch_settings, "新闻网", feed_server.url("/rss"))
    _add(session, fetch_settings, "政务", feed_server.url("/atom"))
    _add(session, fetch_settings, "留言板", feed_server.url("/json"), kind="jsonfeed")
    reports = ingest()
    assert all(r.ok for r in reports.values()), [r.summary() for r in reports.values()]
    assert reports["新闻网"].created == 2 and reports["留言板"].created == 1
    item = session.scalar(select(Item).where(Item.external_id == "news-1"))
    assert item.title == "市住建局回应幸福小区停水问题"
    assert item.canonical_url == "http://news.example/a/1?id=1"
    assert item.category and item.sentiment and item.analysed_at
    jf = session.scalar(select(Item).where(Item.external_id == "j1"))
    assert jf.author == "网友甲" and jf.canonical_url == "http://board.example/t/1"
    session.rollback()

    assert ingest() == {}  # nothing due
    _make_due(session)
    again = ingest()
    assert sum(r.created for r in again.values()) == 0
    assert again["新闻网"].unchanged == 2
    assert session.scalar(select(func.count()).select_from(Item)) == 4


def test_not_modified_sends_validators_and_stores_nothing(session, fetch_settings, feed_server, ingest):
    feed_server.routes["/rss"] = Route(GBK_RSS, etag='"abc"')
    _add(session, fetch_settings, "新闻网", feed_server.url("/rss"))
    assert ingest()["新闻网"].created == 2
    _make_due(session)
    report = ingest()["新闻网"]
    assert report.not_modified and "304" in report.summary()
    assert feed_server.requests[-1][1]["If-None-Match"] == '"abc"'
    source = session.scalar(select(Source))
    assert source.etag == '"abc"' and source.consecutive_failures == 0


def test_failures_are_recorded_back_off_and_disable(session, fetch_settings, feed_server, ingest):
    feed_server.routes["/robots.txt"] = Route(
        b"User-agent: *\nDisallow: /secret\n", content_type="text/plain"
    )
    feed_server.routes["/broken"] = Route(b"<rss><channel><item><title>x</ti", content_type="text/xml")
    feed_server.routes["/big"] = Route(b"<rss>" + b" " * 4000 + b"</rss>")
    feed_server.routes["/rss"] = Route(GBK_RSS)
    _add(session, fetch_settings, "坏源", feed_server.url("/broken"))
    _add(session, fetch_settings, "禁止", feed_server.url("/secret/feed"))
    big_id = _add(session, fetch_settings, "超大", feed_server.url("/big"))
    session.execute(update(Source).where(Source.id == big_id).values(max_bytes=1000))
    session.commit()
    _add(session, fetch_settings, "好源", feed_server.url("/rss"))
    reports = ingest()
    assert reports["好源"].ok and reports["好源"].created == 2
    assert "格式错误" in reports["坏源"].error
    assert "robots.txt" in reports["禁止"].error
    assert "大小上限" in reports["超大"].error
    session.expire_all()
    bad = session.scalar(select(Source).where(Source.name == "坏源"))
    first_wait = bad.next_due_at - bad.last_error_at
    assert bad.consecutive_failures == 1 and "格式错误" in bad.last_error
    session.rollback()
    for _ in range(2):
        _make_due(session)
        ingest()
    session.expire_all()
    bad = session.scalar(select(Source).where(Source.name == "坏源"))
    assert bad.consecutive_failures == 3
    assert bad.next_due_at - bad.last_error_at > first_wait
    assert not bad.is_enabled and "自动停用" in bad.disabled_reason
    good = session.scalar(select(Source).where(Source.name == "好源"))
    assert good.is_enabled and good.consecutive_failures == 0 and good.last_success_at

"""The polite fetcher: robots.txt, conditional GET, size cap, redirects; and feed parsing."""

from __future__ import annotations

import gzip
import time

import pytest

from minsheng.sources.fetcher.feeds import FeedError, parse_jsonfeed, parse_rss
from minsheng.sources.fetcher.http import FetchError, FetchRequest, HostGate, PoliteFetcher
from tests.sources.conftest import ATOM, GBK_RSS, JSON_FEED, Route


def _request(url: str, **kwargs) -> FetchRequest:
    return FetchRequest(url=url, timeout_seconds=5, max_bytes=kwargs.pop("max_bytes", 100_000), **kwargs)


@pytest.fixture
def fetcher(tmp_path):
    from minsheng.core.settings import Settings

    settings = Settings(
        data_dir=tmp_path, fetch_host_delay_seconds=0.0, fetch_user_agent="MinshengBot/0.1 (test)"
    )
    with PoliteFetcher(settings) as polite:
        yield polite


def test_fetch_sends_user_agent_and_accepts_compression(feed_server, fetcher):
    feed_server.routes["/feed"] = Route(gzip.compress(GBK_RSS), headers={"Content-Encoding": "gzip"})
    result = fetcher.fetch(_request(feed_server.url("/feed")))
    assert result.content == GBK_RSS
    path, headers = feed_server.requests[-1]
    assert path == "/feed"
    assert headers["User-Agent"].startswith("MinshengBot/0.1")
    assert "br" in headers["Accept-Encoding"] and "gzip" in headers["Accept-Encoding"]
    assert feed_server.paths()[0] == "/robots.txt"


def test_conditional_get_returns_not_modified(feed_server, fetcher):
    feed_server.routes["/feed"] = Route(GBK_RSS, etag='"v1"')
    first = fetcher.fetch(_request(feed_server.url("/feed")))
    assert first.etag == '"v1"' and not first.not_modified
    second = fetcher.fetch(_request(feed_server.url("/feed"), etag=first.etag))
    assert second.not_modified and second.content == b""


def test_robots_disallow_is_respected_and_cached(feed_server, fetcher):
    feed_server.routes["/robots.txt"] = Route(
        b"User-agent: MinshengBot\nDisallow: /private/\n", content_type="text/plain"
    )
    feed_server.routes["/private/feed"] = Route(GBK_RSS)
    feed_server.routes["/public/feed"] = Route(GBK_RSS)
    with pytest.raises(FetchError, match=r"robots\.txt"):
        fetcher.fetch(_request(feed_server.url("/private/feed")))
    fetcher.fetch(_request(feed_server.url("/public/feed")))
    assert feed_server.paths().count("/robots.txt") == 1
    assert "/private/feed" not in feed_server.paths()


def test_oversized_body_is_refused(feed_server, fetcher):
    feed_server.routes["/big"] = Route(b"x" * 5000)
    with pytest.raises(FetchError, match="大小上限"):
        fetcher.fetch(_request(feed_server.url("/big"), max_bytes=1000))
    # A compressed body is judged by its decompressed size, so a small gzip bomb is stopped too.
    feed_server.routes["/bomb"] = Route(gzip.compress(b"<" * 50_000), headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="大小上限"):
        fetcher.fetch(_request(feed_server.url("/bomb"), max_bytes=1000))


def test_http_errors_and_redirect_loops_have_reasons(feed_server, fetcher):
    with pytest.raises(FetchError, match="HTTP 404"):
        fetcher.fetch(_request(feed_server.url("/missing")))
    feed_server.routes["/loop"] = Route(b"", status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="重定向"):
        fetcher.fetch(_request(feed_server.url("/loop")))
    with pytest.raises(FetchError, match="地址无效"):
        fetcher.fetch(_request("ftp://example.com/feed"))


def test_host_gate_spaces_requests_to_one_host():
    gate = HostGate(0.2)
    started = time.monotonic()
    for _ in range(3):
        with gate.turn("a.example"):
            pass
    assert time.monotonic() - started >= 0.4
    with gate.turn("b.example"):
        pass


def test_gbk_rss_declared_in_the_prolog_decodes_to_chinese():
    # The header claims UTF-8, the prolog says GBK: the prolog is what Chinese sites get right.
    items = parse_rss(GBK_RSS, content_type="text/xml; charset=utf-8", override=None)
    assert [i.title for i in items] == ["市住建局回应幸福小区停水问题", "镕基路拓宽工程开工"]
    assert items[0].text == "居民反映幸福小区停水三天，联系电话13800138000。"
    assert items[0].published_at.isoformat() == "2021-09-06T08:45:00+00:00"
    assert items[0].external_id == "news-1"


def test_encoding_override_wins():
    undeclared = GBK_RSS.replace(b' encoding="GBK"', b"")
    items = parse_rss(undeclared, content_type="text/xml; charset=utf-8", override="gbk")
    assert items[1].title == "镕基路拓宽工程开工"


def test_atom_and_json_feed():
    [atom] = parse_rss(ATOM, content_type="application/atom+xml", override=None)
    assert (atom.title, atom.text, atom.author) == (
        "全市开展燃气安全检查",
        "检查覆盖全部老旧小区。",
        "市应急管理局",
    )
    [entry] = parse_jsonfeed(JSON_FEED, content_type="application/feed+json", override=None)
    assert entry.external_id == "j1" and entry.author == "网友甲"
    assert entry.published_at.isoformat() == "2024-03-01T14:00:00+00:00"


def test_malformed_feeds_raise_clear_errors():
    with pytest.raises(FeedError, match="格式错误"):
        parse_rss(b"<html><body>not a feed", content_type="text/html", override=None)
    with pytest.raises(FeedError, match="JSON Feed"):
        parse_jsonfeed(b'{"items": [', content_type=None, override=None)
    with pytest.raises(FeedError, match="version"):
        parse_jsonfeed(b'{"items": []}', content_type=None, override=None)


PLAIN_RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>
<item><title>a &lt;b&gt;标题&lt;/b&gt; &amp; 更多</title><link>https://x.example/1?a=1&amp;b=2</link>
<dc:creator>记者甲</dc:creator><content:encoded><![CDATA[<p>全文<script>x()</script>内容</p>]]></content:encoded>
<description>摘要</description><pubDate>2024-05-01 08:00:00</pubDate></item>
<item><link>https://x.example/2</link><guid>g-2</guid><author>a@b.example (乙)</author>
<description>只有正文</description><pubDate>Wed, 01 May 2024 08:00:00 GMT</pubDate></item>
</channel></rss>""".encode()


@pytest.mark.parametrize("feed", [GBK_RSS, PLAIN_RSS], ids=["gbk", "plain"])
def test_fast_rss_path_reads_what_feedparser_reads(feed, monkeypatch):
    from minsheng.sources.fetcher import feeds

    fast = parse_rss(feed, content_type="text/xml", override=None)
    monkeypatch.setattr(feeds, "_plain_rss", lambda text: None)
    slow = parse_rss(feed, content_type="text/xml", override=None)
    assert [i.model_dump() for i in fast] == [i.model_dump() for i in slow]
    assert fast


def test_unusual_rss_goes_to_feedparser():
    from minsheng.sources.fetcher.feeds import _plain_rss

    relative = PLAIN_RSS.decode().replace("https://x.example/2", "/2")
    assert _plain_rss(relative) is None
    assert _plain_rss(PLAIN_RSS.decode().replace("</channel>", "<item><title>x</channel>")) is None
    assert _plain_rss(ATOM.decode()) is None

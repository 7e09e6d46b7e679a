"""Sitemap and html list sources over a local server: which articles are fetched, how they are read."""

from __future__ import annotations

import gzip

import pytest
from sqlalchemy import select, update

from minsheng.core.database import make_sessionmaker
from minsheng.items.models import Item
from minsheng.sources import service
from minsheng.sources.ingest import run_round
from minsheng.sources.models import Source
from minsheng.sources.schemas import SourceCreate
from minsheng.text.engine_cache import EngineCache
from tests.sources.conftest import Route

BODY = (
    "东昌府区古楼街道幸福小区近日连续停水三天，居民生活受到严重影响。市住建局表示，停水原因是供水管道老化破裂，"
    "抢修队伍已经进场施工，预计今晚恢复供水，并将对小区老旧管网进行全面排查。"
)


def page(title: str, body: str = BODY, *, charset: str = "utf-8", head: str = "") -> bytes:
    """An article page as Chinese news sites write it, encoded in `charset`."""
    html = (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>{title}_聊城新闻网</title>{head}</head><body>"
        '<div class="nav"><a href="/">首页</a> <a href="/news/">新闻</a></div>'
        f'<div class="article"><h1>{title}</h1><p>{body}</p><p>{body[::-1]}</p></div>'
        '<div class="footer">版权所有 聊城新闻网</div></body></html>'
    )
    return html.encode(charset)


def urlset(*entries: str, news: bool = False) -> bytes:
    namespaces = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{namespaces}>{"".join(entries)}</urlset>'
    ).encode()


def url_entry(loc: str, lastmod: str | None = None, extra: str = "") -> str:
    when = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    return f"<url><loc>{loc}</loc>{when}{extra}</url>"


def index(*children: tuple[str, str | None]) -> bytes:
    body = "".join(
        f"<sitemap><loc>{loc}</loc>{f'<lastmod>{when}</lastmod>' if when else ''}</sitemap>"
        for loc, when in children
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>'
    ).encode()


@pytest.fixture
def ingest(engine, fetch_settings):
    factory = make_sessionmaker(engine)
    engines = EngineCache(fetch_settings)

    def run():
        return {r.name: r for r in run_round(factory, settings=fetch_settings, engines=engines)}

    return run


def _add(session, settings, name, url, kind, **fields):
    source = service.create_source(
        session, data=SourceCreate(name=name, kind=kind, url=url, **fields), settings=settings
    )
    session.commit()
    return source.id


def _make_due(session):
    session.execute(update(Source).values(next_due_at=None))
    session.commit()


def _titles(session):
    session.expire_all()
    return {item.title: item for item in session.scalars(select(Item))}


def _pages(server):
    """The paths requested, leaving out robots.txt (each round's fetcher reads it once)."""
    return [path for path in server.paths() if path != "/robots.txt"]


def _article_requests(server):
    return [path for path in server.paths() if path.startswith("/a/")]


def test_nested_sitemap_index_and_gzip(session, fetch_settings, feed_server, ingest):
    s = feed_server
    s.routes["/sitemap.xml"] = Route(
        index((s.url("/news-index.xml"), "2024-05-02"), (s.url("/pages.xml.gz"), "2024-05-01"))
    )
    s.routes["/news-index.xml"] = Route(index((s.url("/news-1.xml"), None)))
    s.routes["/news-1.xml"] = Route(urlset(url_entry(s.url("/a/1.html"), "2024-05-02T09:00:00+08:00")))
    s.routes["/pages.xml.gz"] = Route(
        gzip.compress(urlset(url_entry(s.url("/a/2.html"), "2024-05-01"))), content_type="application/x-gzip"
    )
    s.routes["/a/1.html"] = Route(page("幸福小区停水三天"), content_type="text/html")
    s.routes["/a/2.html"] = Route(page("镕基路拓宽工程开工"), content_type="text/html")
    _add(session, fetch_settings, "站点地图", s.url("/sitemap.xml"), "sitemap")
    report = ingest()["站点地图"]
    assert report.ok and report.created == 2, report.summary()
    items = _titles(session)
    assert set(items) == {"幸福小区停水三天", "镕基路拓宽工程开工"}
    first = items["幸福小区停水三天"]
    assert "供水管道老化破裂" in first.text and "首页" not in first.text and "版权所有" not in first.text
    assert first.published_at.isoformat() == "2024-05-02T01:00:00+00:00"  # the lastmod: the page states none
    assert first.url == s.url("/a/1.html") and first.analysed_at is not None


def test_lastmod_picks_only_new_and_changed_pages(session, fetch_settings, feed_server, ingest):
    s = feed_server
    s.routes["/sitemap.xml"] = Route(
        urlset(
            url_entry(s.url("/a/1.html"), "2024-05-01T08:00:00+08:00"),
            url_entry(s.url("/a/2.html"), "2024-05-01T09:00:00+08:00"),
        )
    )
    s.routes["/a/1.html"] = Route(page("第一篇"), content_type="text/html")
    s.routes["/a/2.html"] = Route(page("第二篇"), content_type="text/html")
    s.routes["/a/3.html"] = Route(page("第三篇"), content_type="text/html")
    _add(session, fetch_settings, "站点地图", s.url("/sitemap.xml"), "sitemap")
    assert ingest()["站点地图"].created == 2
    source = session.scalar(select(Source))
    assert source.crawl_state["watermark"].startswith("2024-05-01T01:00")
    session.rollback()

    # A new page, a changed page (lastmod after our fetch) and an old page listed late (before the watermark).
    s.routes["/sitemap.xml"] = Route(
        urlset(
            url_entry(s.url("/a/1.html"), "2099-01-01T08:00:00+08:00"),
            url_entry(s.url("/a/2.html"), "2024-05-01T09:00:00+08:00"),
            url_entry(s.url("/a/3.html"), "2024-05-03T08:00:00+08:00"),
            url_entry(s.url("/a/old.html"), "2024-04-01"),
        )
    )
    s.routes["/a/1.html"] = Route(page("第一篇（更新）"), content_type="text/html")
    s.requests.clear()
    _make_due(session)
    report = ingest()["站点地图"]
    assert (report.created, report.updated) == (1, 1), report.summary()
    assert sorted(_article_requests(s)) == ["/a/1.html", "/a/3.html"]
    assert "第一篇（更新）" in _titles(session)


def test_news_sitemap_gives_title_and_publication_date(session, fetch_settings, feed_server, ingest):
    s = feed_server
    news = (
        "<news:news><news:publication><news:name>聊城日报</news:name><news:language>zh</news:language>"
        "</news:publication><news:publication_date>2024-05-03T07:30:00+08:00</news:publication_date>"
        "<news:title>古楼街道集中整治占道经营</news:title></news:news>"
    )
    s.routes["/news.xml"] = Route(urlset(url_entry(s.url("/a/n1.html"), extra=news), news=True))
    s.routes["/a/n1.html"] = Route(page("网页里的标题"), content_type="text/html")
    _add(session, fetch_settings, "新闻地图", s.url("/news.xml"), "sitemap")
    assert ingest()["新闻地图"].created == 1
    [item] = _titles(session).values()
    assert item.title == "古楼街道集中整治占道经营"
    assert item.published_at.isoformat() == "2024-05-02T23:30:00+00:00"


def test_html_list_with_selector_relative_and_offsite_links(session, fetch_settings, feed_server, ingest):
    s = feed_server
    listing = (
        '<html><head><meta charset="utf-8"></head><body><ul class="nav"><a href="/about.html">关于</a></ul>'
        '<ul class="news"><li><a class="news-title" href="/a/1.html#top">停水</a></li>'
        '<li><a class="news-title" href="../a/2.html?utm_source=x">拓宽</a></li>'
        '<li><a class="news-title" href="https://elsewhere.example/a/9.html">站外</a></li>'
        '<li><a class="news-title" href="javascript:void(0)">脚本</a></li></ul></body></html>'
    )
    s.routes["/list/index.html"] = Route(listing.encode(), content_type="text/html")
    s.routes["/a/1.html"] = Route(page("幸福小区停水三天"), content_type="text/html")
    s.routes["/a/2.html?utm_source=x"] = Route(page("镕基路拓宽工程开工"), content_type="text/html")
    s.routes["/about.html"] = Route(page("关于我们"), content_type="text/html")
    _add(
        session,
        fetch_settings,
        "新闻列表",
        s.url("/list/index.html"),
        "html",
        selector="ul.news a.news-title",
    )
    report = ingest()["新闻列表"]
    assert report.ok and report.created == 2, report.summary()
    assert set(_titles(session)) == {"幸福小区停水三天", "镕基路拓宽工程开工"}
    assert "/about.html" not in s.paths()

    s.requests.clear()
    _make_due(session)
    again = ingest()["新闻列表"]
    assert again.ok and again.created == 0
    assert _pages(s) == ["/list/index.html"]  # the list page only: no article is fetched twice


def test_gbk_article_with_wrong_header_and_failing_articles(session, fetch_settings, feed_server, ingest):
    s = feed_server
    s.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /a/private/\n", content_type="text/plain")
    links = "".join(
        f'<a class="t" href="{path}">{n}</a>'
        for n, path in enumerate(["/a/gbk.html", "/a/missing.html", "/a/empty.html", "/a/private/x.html"])
    )
    s.routes["/list"] = Route(f"<html><body>{links}</body></html>".encode(), content_type="text/html")
    # The header claims UTF-8; the page is GBK and says so in its <meta>.
    s.routes["/a/gbk.html"] = Route(
        page("镕基路拓宽工程开工", charset="gbk"), content_type="text/html; charset=utf-8"
    )
    s.routes["/a/empty.html"] = Route(b"<html><body><div><a href='/'>home</a></div></body></html>")
    s.routes["/a/private/x.html"] = Route(page("不许抓取"), content_type="text/html")
    _add(session, fetch_settings, "老站", s.url("/list"), "html", selector="a.t")
    report = ingest()["老站"]
    assert report.ok and report.created == 1, report.summary()
    assert "文章读取失败 3 篇" in report.summary()
    [item] = _titles(session).values()
    assert item.title == "镕基路拓宽工程开工" and "供水管道老化破裂" in item.text
    assert "/a/private/x.html" not in s.paths()
    source = session.scalar(select(Source))
    assert source.consecutive_failures == 0 and source.last_error is None
    reasons = {f["url"].rsplit("/", 1)[-1]: f["reason"] for f in source.crawl_state["failures"].values()}
    assert "404" in reasons["missing.html"]
    assert "正文" in reasons["empty.html"]
    assert "robots.txt" in reasons["x.html"]
    session.rollback()

    s.requests.clear()
    _make_due(session)
    assert ingest()["老站"].created == 0
    assert _pages(s) == ["/list"]  # stored and hopeless articles are both left alone


def test_per_round_cap_leaves_the_rest_for_later_rounds(session, fetch_settings, feed_server, ingest):
    s = feed_server
    entries = []
    for n in range(5):
        s.routes[f"/a/{n}.html"] = Route(page(f"第{n}篇文章"), content_type="text/html")
        entries.append(url_entry(s.url(f"/a/{n}.html"), f"2024-05-0{n + 1}"))
    s.routes["/sitemap.xml"] = Route(urlset(*entries), etag='"v1"')
    _add(session, fetch_settings, "大站", s.url("/sitemap.xml"), "sitemap", max_articles=2)
    first = ingest()["大站"]
    assert first.created == 2 and "待抓取 3 篇" in first.summary()
    assert set(_titles(session)) == {"第4篇文章", "第3篇文章"}  # newest first
    session.rollback()
    counts = []
    for _ in range(3):
        _make_due(session)
        counts.append(ingest()["大站"].created)
    assert counts == [2, 1, 0]
    assert len(_titles(session)) == 5
    assert sorted(_article_requests(s)) == sorted(f"/a/{n}.html" for n in range(5))
    # With the backlog gone the sitemap is asked for conditionally again.
    assert s.requests[-1][1].get("If-None-Match") == '"v1"'


def test_broken_sitemap_and_empty_list_fail_the_source(session, fetch_settings, feed_server, ingest):
    s = feed_server
    s.routes["/not-a-sitemap.xml"] = Route(b"<rss><channel></channel></rss>")
    s.routes["/list"] = Route(b"<html><body><p>nothing</p></body></html>", content_type="text/html")
    _add(session, fetch_settings, "坏地图", s.url("/not-a-sitemap.xml"), "sitemap")
    _add(session, fetch_settings, "空列表", s.url("/list"), "html", selector="a.news")
    reports = ingest()
    assert "不是 sitemap" in reports["坏地图"].error
    assert "没有找到文章链接" in reports["空列表"].error

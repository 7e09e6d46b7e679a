"""Reading sitemaps, list pages and article pages, without a network or a database."""

from __future__ import annotations

import gzip

import pytest

from minsheng.sources.fetcher.article import (
    ExtractionError,
    decode_page,
    extract_article,
    find_links,
    same_site,
)
from minsheng.sources.fetcher.sitemap import SitemapError, gunzip, parse_date, parse_sitemap

ARTICLE = (
    "<html><head><meta charset='gb2312'><meta name='PubDate' content='2024-05-01 08:30'>"
    "<meta name='author' content='王记者'><title>标题_网站</title></head><body>"
    "<div class='nav'><a href='/'>首页</a></div><h1>冠县开展燃气安全大检查</h1>"
    "<p>冠县清泉街道组织力量对辖区内老旧小区燃气管道进行全面检查，共排查隐患十二处，已当场整改九处，"
    "其余三处限期一周内完成整改。</p></body></html>"
)


def test_w3c_dates_without_offset_are_beijing_time():
    assert parse_date("2024-05-01").isoformat() == "2024-04-30T16:00:00+00:00"
    assert parse_date("2024-05-01T08:00:00Z").isoformat() == "2024-05-01T08:00:00+00:00"
    assert parse_date("2024-05-01 08:00").isoformat() == "2024-05-01T00:00:00+00:00"
    assert parse_date("2024-05") is not None
    assert parse_date("昨天") is None and parse_date("") is None and parse_date(None) is None


def test_sitemap_forms():
    text = parse_sitemap(
        b"https://a.example/1\n\nnot a url\nhttps://a.example/2\n", content_type=None, override=None
    )
    assert [e.url for e in text.entries] == ["https://a.example/1", "https://a.example/2"]
    gbk = (
        '<?xml version="1.0" encoding="GBK"?><urlset><url><loc>https://a.example/停水</loc>'
        "<lastmod>bogus</lastmod></url><url><loc>javascript:x</loc></url></urlset>"
    ).encode("gbk")
    [entry] = parse_sitemap(gbk, content_type="text/xml; charset=utf-8", override=None).entries
    assert entry.url == "https://a.example/停水" and entry.lastmod is None
    unescaped = b"<urlset><url><loc>https://a.example/?a=1&b=2</loc></url></urlset>"
    assert parse_sitemap(gzip.compress(unescaped), content_type=None, override=None).entries
    with pytest.raises(SitemapError, match="不是 sitemap"):
        parse_sitemap(b"<html><body>hello</body></html>", content_type=None, override=None)
    with pytest.raises(SitemapError, match="不是 sitemap"):
        parse_sitemap(b"just words", content_type=None, override=None)


def test_entities_are_not_expanded_and_gzip_bombs_stop():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><urlset><url><loc>https://a.example/&c;</loc></url></urlset>'
    )
    entries = parse_sitemap(laughs, content_type=None, override=None).entries
    assert all(len(e.url) < 100 for e in entries)
    with pytest.raises(SitemapError, match="大小上限"):
        gunzip(gzip.compress(b"<" * 100_000), max_bytes=1000)
    with pytest.raises(SitemapError, match="gzip"):
        gunzip(b"\x1f\x8b\x08\x00garbage", max_bytes=1000)


def test_page_decoding_prefers_meta_over_a_wrong_header_and_valid_utf8_over_both():
    gbk = ARTICLE.encode("gbk")
    assert "冠县" in decode_page(gbk, content_type="text/html; charset=utf-8", override=None).text
    assert "冠县" in decode_page(gbk, content_type="text/html; charset=iso-8859-1", override=None).text
    utf8 = ARTICLE.encode("utf-8")  # the <meta> still says gb2312: the bytes say otherwise
    assert "冠县" in decode_page(utf8, content_type="text/html; charset=gbk", override=None).text
    undeclared = ARTICLE.replace("<meta charset='gb2312'>", "").encode("gb18030")
    assert "冠县" in decode_page(undeclared, content_type="text/html", override=None).text


def test_article_extraction_reads_title_text_date_and_stated_author():
    article, decoded = extract_article(ARTICLE.encode("gbk"), url="http://gx.example/a/1", content_type=None)
    assert decoded.encoding == "gb18030"
    assert article.title == "冠县开展燃气安全大检查"
    assert "排查隐患十二处" in article.text and "首页" not in article.text
    assert article.published_at.isoformat() == "2024-05-01T00:30:00+00:00"
    assert article.author == "王记者"
    plain = ARTICLE.replace("<meta name='PubDate' content='2024-05-01 08:30'>", "").replace(
        "<meta name='author' content='王记者'>", ""
    )
    stated = plain.replace("<h1>", "<p>发布时间：2024年5月2日 09:15 来源：冠县融媒</p><h1>")
    article, _ = extract_article(stated.encode(), url="http://gx.example/a/2", content_type=None)
    assert article.author is None
    assert article.published_at.isoformat() == "2024-05-02T01:15:00+00:00"
    with pytest.raises(ExtractionError, match="正文"):
        extract_article(
            b"<html><body><a href='/'>x</a></body></html>", url="http://x.example/", content_type=None
        )
    with pytest.raises(ExtractionError, match="二进制"):
        extract_article(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, url="http://x.example/", content_type=None)


def test_links_resolve_against_base_and_stay_on_site():
    html = (
        "<html><head><base href='http://news.example/sub/'></head><body>"
        "<div class='item'><span>x</span><a href='1.html'>一</a></div>"
        "<div class='item'><a href='http://www.news.example/2.html'>二</a></div>"
        "<div class='item'><a href='http://m.news.example/3.html'>三</a></div>"
        "<div class='item'><a href='http://evil.example/4.html'>四</a></div>"
        "<div class='item'><a href='1.html#c'>重复</a></div></body></html>"
    )
    links = find_links(html, page_url="http://news.example/list", selector="div.item")
    assert [link.url for link in links] == [
        "http://news.example/sub/1.html",
        "http://www.news.example/2.html",
        "http://m.news.example/3.html",
    ]
    assert links[0].text == "一"
    everything = find_links(html, page_url="http://news.example/list", selector="a", follow_offsite=True)
    assert len(everything) == 4
    assert same_site("https://www.a.example/x", "http://a.example/") and not same_site(
        "http://b.example", "http://a.example"
    )

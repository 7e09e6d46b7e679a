"""The command-line contracts: sources add/list, ingest --once, items search --json, items import."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from minsheng.cli import app
from minsheng.core.settings import get_settings
from tests.sources.conftest import GBK_RSS, JSON_FEED, Route


@pytest.fixture
def run(monkeypatch, tmp_path, engine, db_url):
    monkeypatch.setenv("MINSHENG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MINSHENG_DATABASE_URL", db_url)
    monkeypatch.setenv("MINSHENG_FETCH_HOST_DELAY_SECONDS", "0")

    def invoke(*args: str):
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(args))
        finally:
            get_settings.cache_clear()

    return invoke


def test_add_ingest_search_and_import(run, feed_server, tmp_path):
    feed_server.routes["/rss"] = Route(GBK_RSS, content_type="text/xml")
    feed_server.routes["/json"] = Route(JSON_FEED, content_type="application/feed+json")
    added = run(
        "sources",
        "add",
        "--kind",
        "rss",
        "--url",
        feed_server.url("/rss"),
        "--name",
        "新闻网",
        "--tier",
        "key",
    )
    assert added.exit_code == 0, added.output
    assert "已添加信息源" in added.output and "每 10 分钟" in added.output
    assert (
        run(
            "sources", "add", "--kind", "jsonfeed", "--url", feed_server.url("/json"), "--name", "留言板"
        ).exit_code
        == 0
    )
    assert (
        run(
            "sources", "add", "--kind", "rss", "--url", feed_server.url("/gone"), "--name", "失效源"
        ).exit_code
        == 0
    )
    duplicate = run("sources", "add", "--kind", "rss", "--url", feed_server.url("/rss"), "--name", "新闻网")
    assert duplicate.exit_code == 1 and "同名" in duplicate.output
    bad = run("sources", "add", "--kind", "rss", "--url", "ftp://x", "--name", "坏地址")
    assert bad.exit_code == 1 and "http" in bad.output

    result = run("ingest", "--once")
    assert result.exit_code == 0, result.output
    assert "[成功] 新闻网: 新增 2" in result.output
    assert "[成功] 留言板: 新增 1" in result.output
    assert "[失败] 失效源: HTTP 404" in result.output

    listing = run("sources", "list")
    assert "新闻网" in listing.output and "重点" in listing.output and "HTTP 404" in listing.output

    found = run("items", "search", "停水", "--json")
    assert found.exit_code == 0, found.output
    rows = json.loads(found.output)
    assert [r["title"] for r in rows] == ["市住建局回应幸福小区停水问题"]
    row = rows[0]
    assert set(row) == {
        "id",
        "title",
        "url",
        "source",
        "published_at",
        "snippet",
        "category",
        "sentiment",
        "region_code",
    }
    assert row["source"] == "新闻网" and row["published_at"].startswith("2021-09-06T08:45")
    assert "138****8000" in row["snippet"] and "13800138000" not in found.output
    assert json.loads(run("items", "search", "水", "--json").output)[0]["id"] == row["id"]
    assert json.loads(run("items", "search", "没有这个", "--json").output) == []

    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text(
        '{"id": "x1", "url": "http://import.example/1", "title": "导入的停水消息", "text": "内容"}\n'
        "not json\n"
        '{"id": "x2", "title": "", "text": ""}\n',
        encoding="utf-8",
    )
    imported = run("items", "import", str(jsonl))
    assert imported.exit_code == 0, imported.output
    assert "新增 1" in imported.output and "第 2 行" in imported.output and "第 3 行" in imported.output
    again = run("items", "import", str(jsonl))
    assert "新增 0" in again.output and "重复 1" in again.output
    csv_file = tmp_path / "items.csv"
    csv_file.write_bytes("id,url,title,text\nc1,http://import.example/2,表格导入停水,正文\n".encode("gbk"))
    assert "新增 1" in run("items", "import", str(csv_file)).output
    titles = [r["title"] for r in json.loads(run("items", "search", "停水", "--json").output)]
    assert set(titles) == {"市住建局回应幸福小区停水问题", "导入的停水消息", "表格导入停水"}


def test_add_page_sources(run, feed_server):
    sitemap = run(
        "sources", "add", "--kind", "sitemap", "--url", feed_server.url("/sitemap.xml"), "--name", "站点地图"
    )
    assert sitemap.exit_code == 0, sitemap.output
    assert "（sitemap，每 30 分钟）" in sitemap.output
    missing = run("sources", "add", "--kind", "html", "--url", feed_server.url("/list"), "--name", "列表")
    assert missing.exit_code == 1 and "CSS 选择器" in missing.output
    broken = run(
        "sources",
        "add",
        "--kind",
        "html",
        "--url",
        feed_server.url("/list"),
        "--name",
        "列表",
        "--selector",
        "a[[",
    )
    assert broken.exit_code == 1 and "选择器无效" in broken.output
    added = run(
        "sources",
        "add",
        "--kind",
        "html",
        "--url",
        feed_server.url("/list"),
        "--name",
        "列表",
        "--selector",
        "a.news-title",
        "--max-articles",
        "5",
    )
    assert added.exit_code == 0, added.output
    listing = run("sources", "list").output
    assert "站点地图\tsitemap" in listing and "列表\thtml" in listing
    assert run("sources", "add", "--kind", "sitemap", "--name", "无地址").exit_code == 1

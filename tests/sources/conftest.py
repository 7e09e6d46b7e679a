"""A local HTTP server that serves feeds, and settings that fetch from it without pauses."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from minsheng.core.settings import Settings


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "application/xml"
    etag: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class FeedServer:
    """Serve fixed routes on 127.0.0.1; honour If-None-Match; log every request path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                if route.etag:
                    self.send_header("ETag", route.etag)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def fetch_settings(settings: Settings) -> Settings:
    """The test settings, fetching without the pause between requests to one host."""
    return settings.model_copy(update={"fetch_host_delay_seconds": 0.0, "source_disable_after_failures": 3})


GBK_RSS = """<?xml version="1.0" encoding="GBK"?>
<rss version="2.0"><channel><title>某市新闻网</title><link>http://news.example/</link>
<item><title>市住建局回应幸福小区停水问题</title><link>http://news.example/a/1?utm_source=rss&amp;id=1</link>
<guid>news-1</guid><pubDate>Mon, 06 Sep 2021 16:45:00 +0800</pubDate>
<description>&lt;p&gt;居民反映幸福小区&lt;b&gt;停水&lt;/b&gt;三天，联系电话13800138000。&lt;/p&gt;</description></item>
<item><title>镕基路拓宽工程开工</title><link>http://news.example/a/2</link><guid>news-2</guid>
<description>工程预计年底完工。</description></item>
</channel></rss>
""".encode("gbk")

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>政务动态</title><id>urn:feed</id><updated>2024-01-02T00:00:00Z</updated>
<entry><id>urn:atom:1</id><title>全市开展燃气安全检查</title><link href="http://gov.example/atom/1"/>
<updated>2024-01-02T00:00:00Z</updated><author><name>市应急管理局</name></author>
<content type="html">&lt;p&gt;检查覆盖全部老旧小区。&lt;/p&gt;</content></entry>
</feed>
""".encode()

JSON_FEED = """{"version": "https://jsonfeed.org/version/1.1", "title": "网友留言",
 "items": [{"id": "j1", "url": "http://board.example/t/1#reply", "title": "夜间施工噪音扰民",
 "content_text": "工地夜间施工，噪音很大。", "date_published": "2024-03-01T22:00:00+08:00",
 "authors": [{"name": "网友甲"}]}]}
""".encode()

"""A polite HTTP fetcher: robots.txt, one request at a time per host with a pause, conditional GET, caps."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from minsheng.core.settings import Settings
from minsheng.sources.fetcher.robots import RobotsCache

MAX_REDIRECTS = 5
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 410, 451})
CONNECT_TIMEOUT_SECONDS = 10.0


class FetchError(Exception):
    """A fetch that failed, with the reason in Chinese for the source's health record.

    `permanent` says that asking again will not help (robots.txt refusal, 404, 410, 401, 403).
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class FetchRequest:
    """What to fetch, with the validators of the last successful response."""

    url: str
    timeout_seconds: float
    max_bytes: int
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """A response: `not_modified` for a 304, otherwise the (decompressed) body and its headers."""

    status_code: int
    final_url: str
    content: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status_code == 304


class HostGate:
    """Let one request at a time reach a host, and keep a minimum pause between two requests to it."""

    def __init__(self, delay_seconds: float) -> None:
        self.delay_seconds = delay_seconds
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}
        self._guard = threading.Lock()

    @contextmanager
    def turn(self, host: str) -> Iterator[None]:
        """Wait for the host's turn, then hold it for the duration of the block."""
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            wait = self._last.get(host, -1e9) + self.delay_seconds - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                yield
            finally:
                self._last[host] = time.monotonic()


class PoliteFetcher:
    """Fetch URLs as a well-behaved crawler; safe to share between threads."""

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.user_agent = settings.fetch_user_agent
        self.gate = HostGate(settings.fetch_host_delay_seconds)
        self.robots = RobotsCache(
            ttl_seconds=settings.fetch_robots_ttl_minutes * 60, user_agent=self.user_agent
        )
        self.client = httpx.Client(
            headers={
                "User-Agent": self.user_agent,
                # httpx decodes br only when the brotli package is installed; it is a dependency.
                "Accept-Encoding": "gzip, deflate, br",
                "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
                "application/xml;q=0.9, application/json;q=0.9, text/xml;q=0.8, */*;q=0.5",
            },
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            timeout=httpx.Timeout(20.0, connect=CONNECT_TIMEOUT_SECONDS),
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> PoliteFetcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def fetch(self, request: FetchRequest) -> FetchResult:
        """Fetch one URL or raise `FetchError` saying why not."""
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"地址无效（只支持 http/https）：{request.url}")
        origin = f"{parts.scheme}://{parts.netloc}"
        with self.gate.turn(parts.netloc.lower()):
            if not self.robots.allowed(self.client, request.url, origin=origin):
                raise FetchError("robots.txt 不允许抓取该地址", permanent=True)
        with self.gate.turn(parts.netloc.lower()):
            return self._get(request)

    def _get(self, request: FetchRequest) -> FetchResult:
        headers = {}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        timeout = httpx.Timeout(
            request.timeout_seconds, connect=min(CONNECT_TIMEOUT_SECONDS, request.timeout_seconds)
        )
        try:
            with self.client.stream("GET", request.url, headers=headers, timeout=timeout) as response:
                if response.status_code == 304:
                    return FetchResult(304, str(response.url))
                if response.status_code >= 400:
                    raise FetchError(
                        f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                        permanent=response.status_code in PERMANENT_STATUSES,
                    )
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > request.max_bytes:
                    raise FetchError(_too_large(request.max_bytes))
                content = _read_capped(response, request.max_bytes)
                return FetchResult(
                    response.status_code,
                    str(response.url),
                    content=content,
                    content_type=response.headers.get("content-type"),
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                )
        except httpx.TooManyRedirects as error:
            raise FetchError(f"重定向超过 {MAX_REDIRECTS} 次") from error
        except httpx.ConnectTimeout as error:
            raise FetchError("连接超时") from error
        except httpx.TimeoutException as error:
            raise FetchError("读取超时") from error
        except httpx.HTTPError as error:
            raise FetchError(f"网络错误：{type(error).__name__} {error}".strip()) from error


def _too_large(cap: int) -> str:
    return f"内容超过大小上限 {cap // 1024} KB，已中止"


def _read_capped(response: httpx.Response, cap: int) -> bytes:
    """Read the decompressed body, aborting as soon as it passes the cap (a gzip bomb stops here too)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > cap:
            raise FetchError(_too_large(cap))
        chunks.append(chunk)
    return b"".join(chunks)

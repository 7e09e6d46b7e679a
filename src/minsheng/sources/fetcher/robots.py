"""robots.txt rules, fetched once per host and kept for a while."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from urllib.robotparser import RobotFileParser

import httpx

ROBOTS_MAX_BYTES = 512 * 1024


@dataclass
class _Entry:
    parser: RobotFileParser
    fetched: float


class RobotsCache:
    """Answer whether our user agent may fetch a URL, reading each host's robots.txt at most once per TTL."""

    def __init__(self, *, ttl_seconds: float, user_agent: str) -> None:
        self.ttl_seconds = ttl_seconds
        self.user_agent = user_agent
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def allowed(self, client: httpx.Client, url: str, *, origin: str) -> bool:
        """Tell whether robots.txt of `origin` (scheme://host[:port]) lets us fetch `url`."""
        with self._lock:
            entry = self._entries.get(origin)
        if entry is None or time.monotonic() - entry.fetched > self.ttl_seconds:
            entry = _Entry(self._load(client, origin), time.monotonic())
            with self._lock:
                self._entries[origin] = entry
        return entry.parser.can_fetch(self.user_agent, url)

    def _load(self, client: httpx.Client, origin: str) -> RobotFileParser:
        parser = RobotFileParser(f"{origin}/robots.txt")
        try:
            response = client.get(f"{origin}/robots.txt")
        except httpx.HTTPError:
            # An unreachable robots.txt says nothing; the feed request itself will report the outage.
            parser.parse([])
            return parser
        if response.status_code in (401, 403):
            # As urllib.robotparser and the major crawlers do: a protected robots.txt forbids everything.
            parser.disallow_all = True
        elif response.status_code >= 500:
            parser.disallow_all = True
        elif response.status_code >= 400:
            parser.allow_all = True
        else:
            body = response.content[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
            parser.parse(body.splitlines())
        return parser

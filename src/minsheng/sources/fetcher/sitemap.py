"""Read sitemaps: urlsets, sitemap indexes, gzip'd files, plain-text lists, and Google News entries."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from minsheng.core.timeutil import UTC, local_zone
from minsheng.sources.fetcher.feeds import FeedError, decode_feed

GZIP_MAGIC = b"\x1f\x8b"
# The sitemaps protocol caps a file at 50,000 URLs and 50 MB uncompressed.
SITEMAP_MAX_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 50_000
_PROLOG_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?")


class SitemapError(FeedError):
    """A sitemap that could not be read, with the reason in Chinese."""


@dataclass(frozen=True)
class SitemapEntry:
    """One <url> of a urlset, or one <sitemap> of an index; the news fields come from <news:news>."""

    url: str
    lastmod: datetime | None = None
    news_title: str | None = None
    news_published: datetime | None = None

    @property
    def moment(self) -> datetime | None:
        """Return the entry's freshest date: news publication or lastmod."""
        dates = [d for d in (self.lastmod, self.news_published) if d]
        return max(dates) if dates else None


@dataclass
class Sitemap:
    """What one sitemap file lists: pages (`entries`) or, for an index, further sitemaps (`children`)."""

    entries: list[SitemapEntry] = field(default_factory=list)
    children: list[SitemapEntry] = field(default_factory=list)
    truncated: bool = False


def gunzip(data: bytes, *, max_bytes: int) -> bytes:
    """Decompress a gzip body, stopping with an error once it passes `max_bytes` (a gzip bomb stops here)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as error:
        raise SitemapError(f"gzip 数据损坏：{error}") from error
    if len(out) > max_bytes:
        raise SitemapError(f"解压后超过大小上限 {max_bytes // 1024} KB，已中止")
    if not inflater.eof:
        raise SitemapError("gzip 数据不完整")
    return out


def parse_date(value: str | None) -> datetime | None:
    """Read a W3C datetime (2024-05-01, 2024-05-01T08:00+08:00, …); a time without offset is Beijing time."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        match = _DATE_RE.match(text)
        if match is None:
            return None
        try:
            moment = datetime(int(match[1]), int(match[2]), int(match[3] or 1))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone())
    return moment.astimezone(UTC)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(node: etree._Element, name: str) -> str | None:
    for child in node:
        if _local(child.tag) == name:
            return (child.text or "").strip() or None
    return None


def _news(node: etree._Element) -> tuple[str | None, datetime | None]:
    for child in node:
        if _local(child.tag) == "news":
            return _child_text(child, "title"), parse_date(_child_text(child, "publication_date"))
    return None, None


def _web_url(value: str | None) -> str | None:
    url = (value or "").strip()
    return url if url.lower().startswith(("http://", "https://")) and len(url) <= 2048 else None


def parse_sitemap(data: bytes, *, content_type: str | None, override: str | None) -> Sitemap:
    """Parse one sitemap file (already fetched; gzip'd bodies are unpacked first)."""
    if data[:2] == GZIP_MAGIC:
        data = gunzip(data, max_bytes=SITEMAP_MAX_BYTES)
    text = decode_feed(data, content_type=content_type, override=override).text.lstrip("\ufeff")
    if not text.lstrip().startswith("<"):
        return _text_sitemap(text)
    # lxml refuses a str that still declares an encoding; entities and the network stay off.
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(_PROLOG_RE.sub("", text, count=1).encode("utf-8"), parser)
    except etree.XMLSyntaxError as error:
        raise SitemapError(f"sitemap 格式错误：{error}") from error
    if root is None:
        raise SitemapError("sitemap 格式错误：没有可读的内容")
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError("不是 sitemap（根元素应为 urlset 或 sitemapindex）")
    sitemap = Sitemap()
    wanted = "url" if kind == "urlset" else "sitemap"
    target = sitemap.entries if kind == "urlset" else sitemap.children
    for node in root:
        if _local(node.tag) != wanted:
            continue
        url = _web_url(_child_text(node, "loc"))
        if url is None:
            continue
        if len(target) >= MAX_ENTRIES:
            sitemap.truncated = True
            break
        title, published = _news(node) if kind == "urlset" else (None, None)
        target.append(SitemapEntry(url, parse_date(_child_text(node, "lastmod")), title, published))
    return sitemap


def _text_sitemap(text: str) -> Sitemap:
    """Read the protocol's plain-text form: one URL a line."""
    urls = [url for line in text.splitlines() if (url := _web_url(line))]
    if not urls:
        raise SitemapError("不是 sitemap（既不是 XML，也不是每行一个网址的文本）")
    return Sitemap(
        entries=[SitemapEntry(url) for url in urls[:MAX_ENTRIES]], truncated=len(urls) > MAX_ENTRIES
    )

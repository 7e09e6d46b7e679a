"""Web pages: decode them (GBK and friends too), find the article links of a list page, extract an article."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from minsheng.sources.fetcher.sitemap import parse_date
from minsheng.text.normalize import BinaryContent, Decoded, decode

# Publication times that government and news sites state in their <meta> tags, most specific first.
DATE_METAS = (
    "article:published_time",
    "pubdate",
    "publishdate",
    "publish_date",
    "publication_date",
    "og:release_date",
    "dc.date.issued",
    "dc.date",
    "date",
    "firstpublishedtime",
)
AUTHOR_METAS = ("author", "article:author", "dc.creator", "byline")
MAX_AUTHOR = 64
MIN_TEXT = 10
_STATED_TIME_RE = re.compile(
    r"(?:发布|发表|更新)?(?:时间|日期)\s*[:：]\s*"
    r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?"
)


class ExtractionError(Exception):
    """An article page that yielded no text, with the reason in Chinese."""


@dataclass(frozen=True)
class Link:
    """An article link found on a list page, with its anchor text."""

    url: str
    text: str


@dataclass(frozen=True)
class Article:
    """What an article page says: title, main text, when it was published and (if stated) by whom.

    `published_at` is a time the page states (a <meta> or a "发布时间" line); `published_on` is only the day
    that trafilatura found, kept apart so that a more precise date from elsewhere (a news sitemap) can win.
    """

    title: str
    text: str
    published_at: datetime | None
    published_on: datetime | None
    author: str | None


def decode_page(data: bytes, *, content_type: str | None, override: str | None) -> Decoded:
    """Decode an HTML page: the override, then valid UTF-8, then <meta charset>, then the header, detection.

    Chinese sites often send a server-wide charset in the header that the page's own <meta> contradicts; bytes
    that are valid UTF-8 are UTF-8 whatever either says, since GBK text almost never is.
    """
    if override:
        return decode(data, declared=override)
    if not data.startswith(b"\xef\xbb\xbf"):
        try:
            return Decoded(data.decode("utf-8"), "utf-8", "detected")
        except UnicodeDecodeError:
            pass
    meta = _meta_charset(data[:4096])
    if meta:
        decoded = decode(data, declared=meta)
        if not decoded.lossy:
            return decoded
    return decode(data, content_type=content_type)


_META_CHARSET_RE = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.IGNORECASE)


def _meta_charset(head: bytes) -> str | None:
    match = _META_CHARSET_RE.search(head)
    return match.group(1).decode("ascii") if match else None


def same_site(url: str, base: str) -> bool:
    """Tell whether two URLs are on one site: the same host, leaving out www., or one's subdomain."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    home = (urlsplit(base).hostname or "").removeprefix("www.")
    return bool(host) and (host == home or host.endswith("." + home) or home.endswith("." + host))


def find_links(
    html: str, *, page_url: str, selector: str, follow_offsite: bool = False, limit: int = 1000
) -> list[Link]:
    """Return the article links the selector picks on a list page, absolute, in page order, each once."""
    tree = LexborHTMLParser(html)
    base_node = tree.css_first("base[href]")
    base = urljoin(page_url, base_node.attributes.get("href") or "") if base_node else page_url
    links: list[Link] = []
    seen: set[str] = set()
    for node in tree.css(selector):
        anchor = node if node.tag == "a" else node.css_first("a[href]")
        href = (anchor.attributes.get("href") or "").strip() if anchor else ""
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = urljoin(base, href).split("#", 1)[0]
        if not url.lower().startswith(("http://", "https://")) or len(url) > 2048 or url in seen:
            continue
        if not follow_offsite and not same_site(url, page_url):
            continue
        seen.add(url)
        links.append(Link(url, " ".join((anchor.text() if anchor else "").split())[:500]))
        if len(links) >= limit:
            break
    return links


@lru_cache(maxsize=1)
def _config() -> Any:
    from trafilatura.settings import use_config

    config = use_config()
    # Chinese articles say in 100 characters what trafilatura's defaults (250) expect of English ones.
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "40")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", str(MIN_TEXT))
    config.set("DEFAULT", "MIN_EXTRACTED_COMM_SIZE", "10")
    # Its timeout uses signals, which work only in the main thread; fetch threads call it too.
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    return config


def _metas(tree: LexborHTMLParser) -> dict[str, str]:
    found: dict[str, str] = {}
    for node in tree.css("meta[content]"):
        name = node.attributes.get("name") or node.attributes.get("property") or ""
        content = " ".join((node.attributes.get("content") or "").split())
        if name and content:
            found.setdefault(name.strip().lower(), content)
    return found


def _stated_time(text: str) -> datetime | None:
    """Find a "发布时间：2024-05-01 08:30" line, as Chinese article pages print it."""
    match = _STATED_TIME_RE.search(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = match.groups()
    return parse_date(f"{year}-{int(month):02d}-{int(day):02d}T{int(hour):02d}:{minute}:{second or '00'}")


def extract_article(
    data: bytes, *, url: str, content_type: str | None, override: str | None = None
) -> tuple[Article, Decoded]:
    """Decode a page and extract its article with trafilatura; raise `ExtractionError` when there is none."""
    import trafilatura

    try:
        decoded = decode_page(data, content_type=content_type, override=override)
    except BinaryContent as error:
        raise ExtractionError("不是网页（二进制内容）") from error
    html = decoded.text
    if "<" not in html:
        raise ExtractionError("不是网页（没有 HTML 标记）")
    try:
        document = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True, config=_config()
        )
    except Exception as error:
        # trafilatura and lxml raise many kinds of errors on hostile markup: skip the page, not the source.
        raise ExtractionError(f"正文提取出错：{type(error).__name__}") from error
    fields = (document.as_dict() if hasattr(document, "as_dict") else document) if document else {}
    text = (fields.get("text") or "").strip()
    if len(text) < MIN_TEXT:
        raise ExtractionError("页面没有可提取的正文")
    tree = LexborHTMLParser(html)
    metas = _metas(tree)
    title = metas.get("articletitle") or fields.get("title") or metas.get("og:title") or ""
    published = next((m for name in DATE_METAS if (m := parse_date(metas.get(name))) is not None), None)
    body = tree.body.text(separator="\n") if tree.body else ""
    published = published or _stated_time(body[:20_000])
    author = next((metas[name] for name in AUTHOR_METAS if metas.get(name)), None) or fields.get("author")
    author = author.strip() if author and len(author.strip()) <= MAX_AUTHOR else None
    article = Article(
        title=" ".join(title.split()),
        text=text,
        published_at=published,
        published_on=parse_date(fields.get("date")),
        author=author,
    )
    return article, decoded

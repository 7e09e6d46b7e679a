"""Read fetched feed bytes (RSS 0.9x/1.0/2.0, Atom, JSON Feed 1.x) into incoming items."""

from __future__ import annotations

import calendar
import json
import re
from datetime import datetime
from typing import Any

import feedparser
from feedparser.datetimes import _parse_date as feed_date
from lxml import etree
from pydantic import ValidationError

from minsheng.core.timeutil import UTC
from minsheng.items.schemas import ItemIn
from minsheng.text.normalize import BinaryContent, Decoded, decode

_PROLOG_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:\-]+)["']""")
_PROLOG_TEXT_RE = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])([A-Za-z0-9._:\-]+)(["'])""")


class FeedError(Exception):
    """A feed that could not be read, with the reason in Chinese."""


def decode_feed(data: bytes, *, content_type: str | None, override: str | None) -> Decoded:
    """Decode feed bytes: the source's override, then the XML prolog, then HTTP charset and detection."""
    try:
        if override:
            return decode(data, declared=override)
        prolog = _PROLOG_RE.search(data[:512])
        if prolog:
            decoded = decode(data, declared=prolog.group(1).decode("ascii"))
            if not decoded.lossy:
                return decoded
        return decode(data, content_type=content_type)
    except BinaryContent as error:
        raise FeedError("内容是二进制数据，不是订阅源") from error


def parse_rss(data: bytes, *, content_type: str | None, override: str | None) -> list[ItemIn]:
    """Parse RSS or Atom, decoding first: feedparser given bytes can mis-read a GBK prolog."""
    decoded = decode_feed(data, content_type=content_type, override=override)
    # Now that the text is Unicode, say so in the prolog, or feedparser would decode it a second time.
    text = _PROLOG_TEXT_RE.sub(r"\g<1>utf-8\g<3>", decoded.text, count=1)
    fast = _plain_rss(text)
    if fast is not None:
        return fast
    parsed = feedparser.parse(
        text.encode("utf-8"), response_headers={"content-type": "application/xml; charset=utf-8"}
    )
    items = _valid([_rss_entry(entry) for entry in parsed.entries])
    # A slightly broken feed whose entries could still be read is accepted; one yielding nothing is an error.
    if parsed.bozo and not items:
        reason = getattr(parsed, "bozo_exception", None) or "无法识别的格式"
        raise FeedError(f"订阅源格式错误：{reason}")
    if not parsed.version and not items:
        raise FeedError("不是 RSS 或 Atom 订阅源")
    return items


_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_PLAIN_FIELDS = {"title", "link", "guid", "pubDate", "description", "author", _CONTENT, _CREATOR}


def _plain_rss(text: str) -> list[ItemIn] | None:
    """Read a well-formed, plain RSS 2.0 feed directly, ten times faster than feedparser; None otherwise.

    Anything unusual (bad XML, relative links, xml:base, an item without a web link, elements with markup
    inside) returns None and the feed goes to feedparser, whose rules the fields here follow: guid then link
    as the id, content:encoded before description, the same date parser.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        # The prolog, if any, says utf-8 by now, which is what the bytes are.
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError:
        return None
    channel = root.find("channel") if root.tag == "rss" else None
    if channel is None or root.get("version") not in ("2.0", "0.92", "0.91"):
        return None
    raw = []
    for node in channel.findall("item"):
        fields: dict[str, str] = {}
        for child in node:
            if child.tag in _PLAIN_FIELDS:
                if len(child) or child.get(_XML_BASE):
                    return None
                fields.setdefault(child.tag, (child.text or "").strip())
        link = fields.get("link", "")
        if not link.lower().startswith(("http://", "https://")) or node.get(_XML_BASE):
            return None
        moment = feed_date(fields["pubDate"]) if fields.get("pubDate") else None
        raw.append(
            {
                "id": fields.get("guid") or link,
                "url": link,
                "title": fields.get("title", ""),
                "html": fields.get(_CONTENT) or fields.get("description", ""),
                "published_at": datetime.fromtimestamp(calendar.timegm(moment), UTC) if moment else None,
                "author": fields.get("author") or fields.get(_CREATOR),
            }
        )
    return _valid(raw)


def _rss_entry(entry: Any) -> dict[str, Any]:
    html = ""
    if entry.get("content"):
        html = entry.content[0].get("value", "")
    html = html or entry.get("summary", "")
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    return {
        "id": entry.get("id") or entry.get("link"),
        "url": entry.get("link"),
        "title": entry.get("title", ""),
        "html": html,
        "published_at": datetime.fromtimestamp(calendar.timegm(moment), UTC) if moment else None,
        "author": entry.get("author"),
    }


def parse_jsonfeed(data: bytes, *, content_type: str | None, override: str | None) -> list[ItemIn]:
    """Parse a JSON Feed 1.0 or 1.1 document."""
    decoded = decode_feed(data, content_type=content_type, override=override)
    try:
        document = json.loads(decoded.text)
    except json.JSONDecodeError as error:
        raise FeedError(f"JSON Feed 格式错误：第 {error.lineno} 行 {error.msg}") from error
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        "https://jsonfeed.org/version/1"
    ):
        raise FeedError("不是 JSON Feed 1.x（缺少 version）")
    entries = document.get("items")
    if not isinstance(entries, list):
        raise FeedError("JSON Feed 缺少 items 列表")
    return _valid([_json_entry(entry) for entry in entries if isinstance(entry, dict)])


def _json_entry(entry: dict[str, Any]) -> dict[str, Any]:
    authors = entry.get("authors") or ([entry["author"]] if isinstance(entry.get("author"), dict) else [])
    names = [a.get("name") for a in authors if isinstance(a, dict) and a.get("name")]
    return {
        "id": entry.get("id"),
        "url": entry.get("url") or entry.get("external_url"),
        "title": entry.get("title") or "",
        "text": entry.get("content_text") or "",
        "html": entry.get("content_html") or entry.get("summary") or "",
        "published_at": entry.get("date_published") or entry.get("date_modified"),
        "author": names[0] if names else None,
    }


def _valid(raw: list[dict[str, Any]]) -> list[ItemIn]:
    """Keep the entries that make sense; one broken entry does not spoil the feed."""
    items = []
    for fields in raw:
        try:
            items.append(ItemIn.model_validate(fields))
        except ValidationError:
            continue
    return items

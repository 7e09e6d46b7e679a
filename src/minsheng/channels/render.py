"""Render a message as plain text, simple HTML or a robot's Markdown dialect."""

from __future__ import annotations

from html import escape
from typing import Any

from minsheng.channels.message import Message

LEVEL_NAMES = {1: "Ⅰ级", 2: "Ⅱ级", 3: "Ⅲ级", 4: "Ⅳ级"}
# The colours China's graded warnings use: Ⅰ red, Ⅱ orange, Ⅲ yellow, Ⅳ blue.
LEVEL_COLOURS = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}
DETAIL_LINK = "查看详情"


def plain_text(message: Message) -> str:
    """Return the title, text, fields and link as plain lines."""
    lines = [message.title, ""]
    if message.text:
        lines += [message.text, ""]
    lines += [f"{label}：{value}" for label, value in message.fields]
    if message.url:
        lines += ["", f"{DETAIL_LINK}：{message.url}"]
    return "\n".join(lines).strip() + "\n"


def html(message: Message) -> str:
    """Return a small, self-contained HTML document for mail clients."""
    paragraphs = "".join(
        f"<p>{escape(part).replace(chr(10), '<br>')}</p>" for part in message.text.split("\n\n") if part
    )
    rows = "".join(
        f'<tr><th style="text-align:left;padding:2px 12px 2px 0;color:#555">{escape(label)}</th>'
        f"<td>{escape(value)}</td></tr>"
        for label, value in message.fields
    )
    table = f'<table style="border-collapse:collapse">{rows}</table>' if rows else ""
    link = f'<p><a href="{escape(message.url, quote=True)}">{DETAIL_LINK}</a></p>' if message.url else ""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(message.title)}</title></head>"
        '<body style="font-family:sans-serif;font-size:14px;line-height:1.6">'
        f'<h2 style="font-size:18px">{escape(message.title)}</h2>{paragraphs}{table}{link}</body></html>'
    )


def markdown(message: Message, *, heading: str = "####", line_break: str = "\n\n") -> str:
    """Return Markdown for chat robots: a heading, the text, bold field labels and a link."""
    parts = [f"{heading} {message.title}"]
    if message.text:
        parts.append(line_break.join(line for line in message.text.splitlines() if line.strip()))
    if message.fields:
        parts.append(line_break.join(f"**{label}**：{value}" for label, value in message.fields))
    if message.url:
        parts.append(f"[{DETAIL_LINK}]({message.url})")
    return "\n\n".join(parts)


def clip_utf8(text: str, max_bytes: int) -> str:
    """Cut text to at most `max_bytes` of UTF-8 without splitting a character."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode("utf-8", errors="ignore") + "…"


def to_payload(message: Message) -> dict[str, Any]:
    """Store a message as JSON in the delivery log."""
    return {
        "title": message.title,
        "text": message.text,
        "level": message.level,
        "url": message.url,
        "fields": [[label, value] for label, value in message.fields],
    }


def from_payload(payload: dict[str, Any], *, subject: str, body: str) -> Message:
    """Rebuild the message of a logged delivery."""
    return Message(
        title=payload.get("title") or subject,
        text=payload.get("text", body),
        level=payload.get("level"),
        url=payload.get("url"),
        fields=tuple((str(label), str(value)) for label, value in payload.get("fields") or ()),
    )

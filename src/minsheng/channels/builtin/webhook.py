"""A generic webhook: the message as JSON, signed with HMAC-SHA256 over the timestamp and the body.

The receiver checks `X-Minsheng-Signature: t=<unix seconds>,v1=<hex>` by computing
HMAC-SHA256(secret, f"{t}." + raw body) and comparing in constant time; docs/channels.md has an example.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import httpx

from minsheng.channels.hookspecs import hookimpl
from minsheng.channels.http import check_status, dump_json, post
from minsheng.channels.kinds import ChannelKind, ConfigField, SendContext, SendResult
from minsheng.channels.message import Message

SIGNATURE_HEADER = "X-Minsheng-Signature"
DELIVERY_HEADER = "X-Minsheng-Delivery"
EVENT_HEADER = "X-Minsheng-Event"
# A receiver should refuse signatures older than this, so a captured request cannot be replayed later.
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the header value signing a body at a moment: `t=<timestamp>,v1=<hex digest>`."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Check a signature header as a receiver should: the digest matches and the timestamp is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def payload(message: Message, context: SendContext) -> dict[str, Any]:
    """Return the JSON document a webhook receives."""
    return {
        "delivery_id": context.delivery_id,
        "ref_type": context.ref_type,
        "ref_id": context.ref_id,
        "title": message.title,
        "text": message.text,
        "level": message.level,
        "url": message.url,
        "fields": [{"label": label, "value": value} for label, value in message.fields],
        "sent_at": context.now.isoformat(),
    }


class WebhookKind(ChannelKind):
    name = "webhook"
    label = "通用 Webhook"
    label_en = "Generic webhook"
    fields = (
        ConfigField("url", "接收地址", "Endpoint URL", input="url"),
        ConfigField(
            "secret",
            "签名密钥",
            "Signing secret",
            secret=True,
            help="接收方用它校验 X-Minsheng-Signature 请求头",
            help_en="The receiver checks the X-Minsheng-Signature header with it",
        ),
    )

    def send(self, message: Message, config: Mapping[str, Any], context: SendContext) -> SendResult:
        body = dump_json(payload(message, context))
        headers = {
            SIGNATURE_HEADER: sign(config["secret"], int(context.now.timestamp()), body),
            EVENT_HEADER: context.ref_type or "message",
        }
        if context.delivery_id is not None:
            headers[DELIVERY_HEADER] = str(context.delivery_id)
        response: httpx.Response = post(context, config["url"], content=body, headers=headers)
        return check_status(response) or SendResult.success(response.status_code)


@hookimpl
def register_channel_kinds() -> list[ChannelKind]:
    return [WebhookKind()]

"""Feishu custom robots (飞书自定义机器人): an interactive card or a rich-text post, optionally signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from minsheng.channels import render
from minsheng.channels.hookspecs import hookimpl
from minsheng.channels.http import check_status, dump_json, json_body, post, snippet
from minsheng.channels.kinds import ChannelKind, ConfigField, SendContext, SendResult
from minsheng.channels.message import Message

# Feishu limits a request body to 20 KB.
MAX_TEXT_BYTES = 15_000


def sign(secret: str, timestamp: int) -> str:
    """Return `sign`: base64 of HMAC-SHA256 keyed with f"{timestamp}\\n{secret}" over an empty message."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def card(message: Message) -> dict[str, Any]:
    """Return a message card: coloured header by level, the text, short fields and a link button."""
    elements: list[dict[str, Any]] = []
    if message.text:
        text = render.clip_utf8(message.text, MAX_TEXT_BYTES)
        elements.append({"tag": "div", "text": {"tag": "lark_md", "content": text}})
    if message.fields:
        elements.append(
            {
                "tag": "div",
                "fields": [
                    {"is_short": True, "text": {"tag": "lark_md", "content": f"**{label}**\n{value}"}}
                    for label, value in message.fields
                ],
            }
        )
    if message.url:
        button = {
            "tag": "button",
            "text": {"tag": "plain_text", "content": render.DETAIL_LINK},
            "type": "primary",
            "url": message.url,
        }
        elements.append({"tag": "action", "actions": [button]})
    return {
        "config": {"wide_screen_mode": True},
        "header": {
            "title": {"tag": "plain_text", "content": message.title},
            "template": render.LEVEL_COLOURS.get(message.level or 0, "blue"),
        },
        "elements": elements,
    }


def post_content(message: Message) -> dict[str, Any]:
    """Return a rich-text `post`: one paragraph per line, fields, then the link."""
    lines: list[list[dict[str, str]]] = [
        [{"tag": "text", "text": line}] for line in message.text.splitlines() if line.strip()
    ]
    lines += [[{"tag": "text", "text": f"{label}：{value}"}] for label, value in message.fields]
    if message.url:
        lines.append([{"tag": "a", "text": render.DETAIL_LINK, "href": message.url}])
    return {"post": {"zh_cn": {"title": message.title, "content": lines}}}


def body(message: Message, *, style: str) -> dict[str, Any]:
    if style == "post":
        return {"msg_type": "post", "content": post_content(message)}
    return {"msg_type": "interactive", "card": card(message)}


class FeishuKind(ChannelKind):
    name = "feishu"
    label = "飞书群机器人"
    label_en = "Feishu robot"
    fields = (
        ConfigField(
            "url",
            "Webhook 地址",
            "Webhook URL",
            input="url",
            secret=True,
            help="https://open.feishu.cn/open-apis/bot/v2/hook/…",
            help_en="https://open.feishu.cn/open-apis/bot/v2/hook/…",
        ),
        ConfigField(
            "secret",
            "签名校验密钥",
            "Signing secret",
            required=False,
            secret=True,
            help="机器人安全设置开启“签名校验”时填写",
            help_en="Set when the robot's security setting 'signature' is on",
        ),
        ConfigField(
            "style",
            "消息样式",
            "Message style",
            input="choice",
            default="interactive",
            choices=(("interactive", "消息卡片", "Message card"), ("post", "富文本", "Rich text")),
        ),
    )

    def send(self, message: Message, config: Mapping[str, Any], context: SendContext) -> SendResult:
        document = body(message, style=config.get("style", "interactive"))
        if config.get("secret"):
            timestamp = int(context.now.timestamp())
            document = {"timestamp": str(timestamp), "sign": sign(config["secret"], timestamp), **document}
        response = post(context, config["url"], content=dump_json(document))
        return feishu_result(response)


def feishu_result(response: Any) -> SendResult:
    """Judge Feishu's answer: HTTP 2xx and `code` (or the older `StatusCode`) 0."""
    failed = check_status(response)
    if failed is not None:
        return failed
    answer = json_body(response)
    if answer is None:
        return SendResult.failure(
            f"飞书返回了无法解析的内容：{snippet(response)}", status=response.status_code
        )
    code = answer.get("code", answer.get("StatusCode", 0))
    if code != 0:
        message = str(answer.get("msg") or answer.get("StatusMessage") or "")[:200]
        return SendResult.failure(f"飞书返回错误 {code}：{message}", status=response.status_code)
    return SendResult.success(response.status_code)


@hookimpl
def register_channel_kinds() -> list[ChannelKind]:
    return [FeishuKind()]

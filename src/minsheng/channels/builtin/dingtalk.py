"""DingTalk group robots (钉钉自定义机器人): a Markdown message, signed when the robot uses 加签."""

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

# DingTalk documents 20,000 bytes for a message; stay well under it.
MAX_TEXT_BYTES = 18_000


def sign(secret: str, timestamp_ms: int) -> str:
    """Return the `sign` query value: base64 of HMAC-SHA256(secret, f"{timestamp}\\n{secret}")."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def body(message: Message) -> dict[str, Any]:
    """Return the robot's `markdown` message."""
    text = render.clip_utf8(render.markdown(message, line_break="  \n"), MAX_TEXT_BYTES)
    return {"msgtype": "markdown", "markdown": {"title": message.title[:64], "text": text}}


class DingTalkKind(ChannelKind):
    name = "dingtalk"
    label = "钉钉群机器人"
    label_en = "DingTalk robot"
    fields = (
        ConfigField(
            "url",
            "Webhook 地址",
            "Webhook URL",
            input="url",
            secret=True,
            help="https://oapi.dingtalk.com/robot/send?access_token=…",
            help_en="https://oapi.dingtalk.com/robot/send?access_token=…",
        ),
        ConfigField(
            "secret",
            "加签密钥",
            "Signing secret",
            required=False,
            secret=True,
            help="机器人安全设置选择“加签”时填写，以 SEC 开头",
            help_en="Set when the robot's security setting is 'sign' (starts with SEC)",
        ),
    )

    def send(self, message: Message, config: Mapping[str, Any], context: SendContext) -> SendResult:
        params: dict[str, str] = {}
        if config.get("secret"):
            timestamp = int(context.now.timestamp() * 1000)
            params = {"timestamp": str(timestamp), "sign": sign(config["secret"], timestamp)}
        response = post(context, config["url"], content=dump_json(body(message)), params=params)
        return robot_result(response, "钉钉")


def robot_result(response: Any, who: str) -> SendResult:
    """Judge a DingTalk or WeCom answer: HTTP 2xx and `errcode` 0, anything else is a failure."""
    failed = check_status(response)
    if failed is not None:
        return failed
    answer = json_body(response)
    if answer is None:
        return SendResult.failure(
            f"{who}返回了无法解析的内容：{snippet(response)}", status=response.status_code
        )
    code = answer.get("errcode", 0)
    if code != 0:
        message = str(answer.get("errmsg", ""))[:200]
        return SendResult.failure(f"{who}返回错误 {code}：{message}", status=response.status_code)
    return SendResult.success(response.status_code)


@hookimpl
def register_channel_kinds() -> list[ChannelKind]:
    return [DingTalkKind()]

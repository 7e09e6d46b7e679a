"""WeCom group robots (企业微信群机器人): a Markdown message to the robot's webhook."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minsheng.channels import render
from minsheng.channels.builtin.dingtalk import robot_result
from minsheng.channels.hookspecs import hookimpl
from minsheng.channels.http import dump_json, post
from minsheng.channels.kinds import ChannelKind, ConfigField, SendContext, SendResult
from minsheng.channels.message import Message

# WeCom refuses Markdown content over 4,096 bytes.
MAX_CONTENT_BYTES = 4096
# WeCom's Markdown colours: warning is orange, comment grey, info green.
LEVEL_FONT = {1: "warning", 2: "warning", 3: "comment", 4: "info"}


def body(message: Message) -> dict[str, Any]:
    """Return the robot's `markdown` message; the level, if any, is shown in WeCom's colour."""
    content = render.markdown(message, heading="###", line_break="\n")
    if message.level in LEVEL_FONT:
        level = render.LEVEL_NAMES[message.level]
        content = f'<font color="{LEVEL_FONT[message.level]}">{level}</font>\n{content}'
    return {"msgtype": "markdown", "markdown": {"content": render.clip_utf8(content, MAX_CONTENT_BYTES)}}


class WeComKind(ChannelKind):
    name = "wecom"
    label = "企业微信群机器人"
    label_en = "WeCom robot"
    fields = (
        ConfigField(
            "url",
            "Webhook 地址",
            "Webhook URL",
            input="url",
            secret=True,
            help="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
            help_en="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
        ),
    )

    def send(self, message: Message, config: Mapping[str, Any], context: SendContext) -> SendResult:
        response = post(context, config["url"], content=dump_json(body(message)))
        return robot_result(response, "企业微信")


@hookimpl
def register_channel_kinds() -> list[ChannelKind]:
    return [WeComKind()]

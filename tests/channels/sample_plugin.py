"""A third-party channel plugin as a package would ship it: a module with a hook implementation."""

from __future__ import annotations

from minsheng.channels.hookspecs import hookimpl
from minsheng.channels.kinds import ChannelKind, ConfigField, SendResult


class SmsKind(ChannelKind):
    name = "sms"
    label = "短信网关"
    label_en = "SMS gateway"
    fields = (ConfigField("gateway", "网关地址", "Gateway", input="url"),)

    def send(self, message, config, context):
        return SendResult.success()


@hookimpl
def register_channel_kinds():
    return [SmsKind()]

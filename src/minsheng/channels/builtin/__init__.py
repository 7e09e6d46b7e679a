"""The channel kinds that ship with Minsheng, each a plugin module of its own."""

from minsheng.channels.builtin import dingtalk, feishu, smtp, webhook, wecom

BUILTIN_MODULES = (smtp, webhook, dingtalk, wecom, feishu)

"""The hooks a channel plugin implements; the built-in kinds ship through the same hooks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from minsheng.channels.kinds import ChannelKind

PROJECT = "minsheng.channels"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_channel_kinds() -> Iterable[ChannelKind]:
    """Return the channel kinds this plugin provides.

    Each is a `minsheng.channels.kinds.ChannelKind`: its name (stored in `notify_channel.kind`), its labels
    in Chinese and English, the configuration fields it needs (secrets marked), a `validate` method that
    cleans a submitted configuration and a `send` method that delivers a `Message` and returns a
    `SendResult`. Plugins installed as packages register under the entry point group `minsheng.channels`.
    """

"""The plugin manager: built-in channel kinds, and any a package registers under `minsheng.channels`."""

from __future__ import annotations

import logging
import threading
from types import ModuleType

import pluggy

from minsheng.channels import hookspecs
from minsheng.channels.builtin import BUILTIN_MODULES
from minsheng.channels.kinds import ChannelKind, check_kind

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = hookspecs.PROJECT

_lock = threading.Lock()
_manager: pluggy.PluginManager | None = None
_kinds: dict[str, ChannelKind] | None = None


def _build_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for module in BUILTIN_MODULES:
        manager.register(module, name=f"minsheng.channels.builtin.{module.__name__.rsplit('.', 1)[-1]}")
    manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return manager


def get_plugin_manager() -> pluggy.PluginManager:
    """Return the process's plugin manager, built on first use."""
    global _manager
    with _lock:
        if _manager is None:
            _manager = _build_manager()
        return _manager


def _collect(manager: pluggy.PluginManager) -> dict[str, ChannelKind]:
    kinds: dict[str, ChannelKind] = {}
    # pluggy calls the most recently registered plugins first; reversing lets built-ins claim their names.
    for provided in reversed(manager.hook.register_channel_kinds()):
        for kind in provided or ():
            check_kind(kind)
            if kind.name in kinds:
                log.warning("channel kind %r registered twice; keeping the first", kind.name)
                continue
            kinds[kind.name] = kind
    return kinds


def channel_kinds() -> dict[str, ChannelKind]:
    """Return every available channel kind by name, built-ins first."""
    global _kinds
    manager = get_plugin_manager()
    with _lock:
        if _kinds is None:
            _kinds = _collect(manager)
        return dict(_kinds)


def get_kind(name: str) -> ChannelKind | None:
    """Return the kind of that name, or None when no installed plugin provides it."""
    return channel_kinds().get(name)


def register_plugin(plugin: object | ModuleType, *, name: str | None = None) -> None:
    """Register a plugin object or module at run time (tests, or a deployment's own module)."""
    global _kinds
    manager = get_plugin_manager()
    with _lock:
        manager.register(plugin, name=name)
        _kinds = None


def unregister_plugin(plugin: object | ModuleType) -> None:
    """Remove a plugin registered with `register_plugin`."""
    global _kinds
    manager = get_plugin_manager()
    with _lock:
        manager.unregister(plugin)
        _kinds = None

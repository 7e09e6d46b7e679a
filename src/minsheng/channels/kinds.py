"""What a channel kind is: its configuration fields, how it checks them, and how it sends a message."""

from __future__ import annotations

import abc
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import httpx

from minsheng.channels.message import Message
from minsheng.core.errors import ValidationFailed

FieldInput = Literal["text", "url", "int", "choice", "lines"]
KIND_NAME = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
_LIST_SEPARATORS = re.compile(r"[\s,;，；]+")


@dataclass(frozen=True)
class ConfigField:
    """One setting a channel kind needs, with labels in both interface languages.

    `input` decides how the admin form shows it and how it is cleaned: `text`, `url` (http or https),
    `int`, `choice` (one of `choices`, given as (value, Chinese label, English label)) or `lines` (a list,
    one per line or separated by commas). A `secret` is never shown back: the form leaves it blank and a
    blank submission keeps the stored value.
    """

    name: str
    label: str
    label_en: str
    input: FieldInput = "text"
    required: bool = True
    secret: bool = False
    default: Any = None
    choices: tuple[tuple[str, str, str], ...] = ()
    help: str = ""
    help_en: str = ""

    def display_label(self, locale: str) -> str:
        return self.label_en if locale == "en" else self.label

    def display_help(self, locale: str) -> str:
        return self.help_en if locale == "en" else self.help


@dataclass(frozen=True)
class SendResult:
    """The outcome of one attempt: `ok`, else a short reason; `status` is the HTTP (or SMTP) code.

    A `permanent` failure is not retried (the configuration is wrong, the channel is gone).
    """

    ok: bool
    error: str | None = None
    status: int | None = None
    permanent: bool = False

    @classmethod
    def success(cls, status: int | None = None) -> SendResult:
        return cls(ok=True, status=status)

    @classmethod
    def failure(cls, error: str, *, status: int | None = None, permanent: bool = False) -> SendResult:
        return cls(ok=False, error=error, status=status, permanent=permanent)


@dataclass(frozen=True)
class SendContext:
    """What a kind may use while sending: a shared HTTP client, the timeout, the moment and the delivery."""

    client: httpx.Client
    timeout: float
    now: datetime
    delivery_id: int | None = None
    ref_type: str = ""
    ref_id: int | None = None


class ChannelKind(abc.ABC):
    """A kind of channel (e-mail, webhook, a chat robot); plugins return instances from the hook.

    Subclasses set `name` (at most 16 lowercase letters, digits or underscores), `label` and `label_en`,
    and `fields`; they implement `send` and may extend `validate`.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    label_en: ClassVar[str]
    fields: ClassVar[tuple[ConfigField, ...]] = ()

    def display_label(self, locale: str) -> str:
        return self.label_en if locale == "en" else self.label

    @property
    def secret_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.secret)

    def validate(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Return the configuration cleaned to the declared fields, or raise `ValidationFailed`."""
        return clean_fields(self.fields, config)

    @abc.abstractmethod
    def send(self, message: Message, config: Mapping[str, Any], context: SendContext) -> SendResult:
        """Deliver a message with a validated configuration; report failures in the result, not by raising."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _clean_one(spec: ConfigField, value: Any) -> Any:
    label = spec.label
    if spec.input == "int":
        try:
            return int(str(value).strip())
        except ValueError:
            raise ValidationFailed(f"{label}应为整数", field=spec.name) from None
    if spec.input == "lines":
        items = value if isinstance(value, list | tuple) else _LIST_SEPARATORS.split(str(value))
        cleaned = [str(item).strip() for item in items if str(item).strip()]
        if spec.required and not cleaned:
            raise ValidationFailed(f"{label}不能为空", field=spec.name)
        return cleaned
    text = str(value).strip()
    if spec.input == "url":
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationFailed(f"{label}应为 http:// 或 https:// 开头的地址", field=spec.name)
    if spec.input == "choice" and text not in {choice[0] for choice in spec.choices}:
        raise ValidationFailed(f"{label}的取值无效", field=spec.name)
    if len(text) > 2000:
        raise ValidationFailed(f"{label}过长", field=spec.name)
    return text


def clean_fields(fields: tuple[ConfigField, ...], config: Mapping[str, Any]) -> dict[str, Any]:
    """Check required fields, coerce types and drop keys no field declares."""
    cleaned: dict[str, Any] = {}
    for spec in fields:
        value = config.get(spec.name)
        if _blank(value):
            value = spec.default
        if _blank(value):
            if spec.required:
                raise ValidationFailed(f"{spec.label}不能为空", field=spec.name)
            continue
        cleaned[spec.name] = _clean_one(spec, value)
    return cleaned


def check_kind(kind: ChannelKind) -> None:
    """Refuse a plugin's kind whose name or fields the channel table and forms cannot hold."""
    if not KIND_NAME.match(getattr(kind, "name", "")):
        raise ValueError(f"channel kind name must match {KIND_NAME.pattern}: {getattr(kind, 'name', None)!r}")
    names = [spec.name for spec in kind.fields]
    if len(names) != len(set(names)):
        raise ValueError(f"channel kind {kind.name} declares a field twice")

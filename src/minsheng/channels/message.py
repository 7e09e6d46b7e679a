"""What a notification says, independent of the channel that carries it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    """A notification: a title, a plain-text body, and optional structure channels may render richly.

    `level` is an alert level (1 = Ⅰ级, most severe … 4 = Ⅳ级) or None for messages that are not alerts;
    `url` is an absolute link back into Minsheng; `fields` are short label/value pairs (time, place, source).
    Bodies never carry complainants' personal data.
    """

    title: str
    text: str
    level: int | None = None
    url: str | None = None
    fields: tuple[tuple[str, str], ...] = field(default_factory=tuple)

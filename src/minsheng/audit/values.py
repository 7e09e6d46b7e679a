"""Turn record state into JSON that hashes the same after any round trip, with secrets masked."""

from __future__ import annotations

import base64
import dataclasses
import enum
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from sqlalchemy import inspect

MASK = "***"
# Whole underscore-separated words, so `password_hash` and `api_token` match but `tokens` (segmented words)
# and `hashtags` do not.
_SECRET_KEY = re.compile(
    r"(?:^|_)(?:password|passwd|secret|token|api_?key|private_?key|otp|credentials?|hash|digest|salt)(?:_|$)",
    re.I,
)


def format_timestamp(value: datetime) -> str:
    """Render a datetime as UTC ISO 8601 with exactly six fractional digits (naive means UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def is_secret_key(key: str) -> bool:
    """Tell whether a field name holds a secret (password or token hash, key) that must not be logged."""
    return bool(_SECRET_KEY.search(key))


def to_jsonable(value: Any) -> Any:
    """Convert a value to plain JSON types; datetimes, enums, Decimals and sets become strings or lists."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        # NaN and infinities are not JSON and PostgreSQL rejects them.
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID | PurePath):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(item) for item in value), key=repr)
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="json"))
    return str(value)


def mask_secrets(value: Any) -> Any:
    """Replace the values of secret-looking keys, at any depth, by a fixed mask."""
    if isinstance(value, Mapping):
        return {
            key: (MASK if item is not None else None) if is_secret_key(str(key)) else mask_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


def sanitize(state: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Make a before/after state JSON-safe and free of secrets."""
    if state is None:
        return None
    return mask_secrets(to_jsonable(dict(state)))


def diff(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep only the keys whose values differ; a key missing on one side appears only on the other."""
    old = dict(before or {})
    new = dict(after or {})
    changed = [key for key in {**old, **new} if key not in old or key not in new or old[key] != new[key]]
    return (
        {key: old[key] for key in changed if key in old},
        {key: new[key] for key in changed if key in new},
    )


def snapshot(obj: Any, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Capture an ORM instance's column values (all, or the named ones) for before/after."""
    names = [attr.key for attr in inspect(obj).mapper.column_attrs]
    if fields is not None:
        wanted = set(fields)
        names = [name for name in names if name in wanted]
    return {name: getattr(obj, name) for name in names}

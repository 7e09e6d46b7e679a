"""JSON conversion, secret masking, diffs and the actor context; no database needed."""

from __future__ import annotations

import contextvars
import enum
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from minsheng.audit.context import SYSTEM_ACTOR, AuditActor, audit_context, current_actor, identify_actor
from minsheng.audit.values import MASK, diff, format_timestamp, mask_secrets, sanitize, snapshot, to_jsonable
from minsheng.auth.models import User


class Colour(enum.StrEnum):
    red = "red"


class Level(enum.IntEnum):
    high = 3


def test_to_jsonable_converts_values_json_cannot_hold() -> None:
    shanghai = timezone(timedelta(hours=8))
    value = {
        "when": datetime(2024, 5, 1, 8, 0, tzinfo=shanghai),
        "day": date(2024, 5, 1),
        "colour": Colour.red,
        "level": Level.high,
        "amount": Decimal("12.50"),
        "ratio": float("nan"),
        "id": uuid.UUID(int=1),
        "tags": {"b", "a"},
        "pair": (1, 2),
        "raw": b"\x00\x01",
        3: "int key",
        "other": object,
    }
    out = to_jsonable(value)
    json.dumps(out, allow_nan=False)
    assert out["when"] == "2024-05-01T00:00:00.000000Z"
    assert out["day"] == "2024-05-01"
    assert out["colour"] == "red"
    assert out["level"] == 3
    assert out["amount"] == "12.50"
    assert out["ratio"] == "nan"
    assert out["id"] == "00000000-0000-0000-0000-000000000001"
    assert out["tags"] == ["a", "b"]
    assert out["pair"] == [1, 2]
    assert out["raw"] == "AAE="
    assert out["3"] == "int key"
    assert isinstance(out["other"], str)


def test_timestamps_have_fixed_precision() -> None:
    assert format_timestamp(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00.000000Z"
    assert format_timestamp(datetime(2024, 1, 1, 0, 0, 0, 5)) == "2024-01-01T00:00:00.000005Z"


def test_secrets_are_masked_at_any_depth() -> None:
    state = {
        "password_hash": "$argon2id$v=19$...",
        "token_hash": "ab" * 32,
        "api_token": "secret",
        "profile": {"otp_secret": "JBSWY3DP", "phone": "13800000000"},
        "tokens": ["民生", "热线"],
        "hashtags": ["#济南"],
        "salt": None,
    }
    masked = mask_secrets(state)
    assert masked["password_hash"] == MASK
    assert masked["token_hash"] == MASK
    assert masked["api_token"] == MASK
    assert masked["profile"] == {"otp_secret": MASK, "phone": "13800000000"}
    assert masked["tokens"] == ["民生", "热线"]
    assert masked["hashtags"] == ["#济南"]
    assert masked["salt"] is None


def test_snapshot_of_a_user_never_leaks_the_password_hash() -> None:
    user = User(username="zhangsan", display_name="张三", password_hash="$argon2id$secret", roles=["admin"])
    state = sanitize(snapshot(user))
    assert state is not None
    assert state["password_hash"] == MASK
    assert state["username"] == "zhangsan"
    assert set(snapshot(user, ["username", "nope"])) == {"username"}


def test_diff_keeps_only_changed_keys() -> None:
    before = {"status": "open", "title": "路灯不亮", "gone": 1}
    after = {"status": "closed", "title": "路灯不亮", "new": 2}
    assert diff(before, after) == ({"status": "open", "gone": 1}, {"status": "closed", "new": 2})
    assert diff(None, {"a": 1}) == ({}, {"a": 1})
    assert diff({"a": 1}, {"a": 1}) == ({}, {})


def test_actor_defaults_to_system_outside_a_context() -> None:
    assert current_actor() == SYSTEM_ACTOR


def test_audit_context_sets_and_restores_the_actor() -> None:
    actor = AuditActor(user_id=1, name="李四", request_id="r", ip="127.0.0.1")
    with audit_context(actor):
        assert current_actor() == actor
    assert current_actor() == SYSTEM_ACTOR


def test_identify_actor_reaches_back_from_a_copied_context() -> None:
    with audit_context(AuditActor(request_id="req-9", ip="10.1.1.1")):
        # As an auth dependency would, running in a worker thread with a copy of the request context.
        contextvars.copy_context().run(identify_actor, user_id=42, name="王五")
        assert current_actor() == AuditActor(user_id=42, name="王五", request_id="req-9", ip="10.1.1.1")

"""Recording entries: the actor, sanitised states, the chain links and searching for the viewer."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from minsheng.audit.chain import GENESIS_HASH, compute_hash, verify_chain
from minsheng.audit.context import AuditActor, audit_context
from minsheng.audit.models import AuditEntry
from minsheng.audit.service import (
    READ_PERSONAL,
    list_actions,
    list_entity_types,
    record,
    record_read,
    search_entries,
)
from minsheng.audit.values import MASK
from minsheng.core.database import make_sessionmaker
from minsheng.core.errors import ValidationFailed

from .conftest import ALICE


def test_chain_grows_and_verifies(session: Session, seed: Callable[[int], list[AuditEntry]]) -> None:
    entries = seed(5)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    result = verify_chain(session, batch_size=2)
    assert result.is_intact
    assert (result.checked, result.total, result.head_seq, result.head_hash) == (5, 5, 5, entries[-1].hash)
    assert "审计链完整" in result.describe()


def test_empty_log_is_intact(session: Session) -> None:
    result = verify_chain(session)
    assert result.is_intact
    assert (result.checked, result.head_seq, result.head_hash) == (0, 0, GENESIS_HASH)


def test_record_flushes_but_does_not_commit(engine: Engine, session: Session) -> None:
    entry = record(session, actor=None, action="create", entity_type="case", entity_id=1)
    assert entry.id is not None
    session.rollback()
    with make_sessionmaker(engine)() as other:
        assert other.scalar(select(AuditEntry.id)) is None


def test_explicit_actor_wins_over_context_which_wins_over_system(session: Session) -> None:
    in_request = AuditActor(user_id=3, name="李四", request_id="req-77", ip="192.168.1.5")
    with audit_context(in_request):
        from_context = record(session, actor=None, action="create", entity_type="case", entity_id=1)
        explicit = record(session, actor=ALICE, action="create", entity_type="case", entity_id=2)
    system = record(session, actor=None, action="run", entity_type="job", entity_id=None)
    session.commit()
    assert (from_context.actor_id, from_context.actor_name) == (3, "李四")
    assert (from_context.request_id, from_context.ip) == ("req-77", "192.168.1.5")
    assert (explicit.actor_id, explicit.request_id) == (7, "req-1")
    assert (system.actor_id, system.actor_name, system.request_id) == (None, "system", None)


def test_states_are_json_safe_and_secrets_masked(session: Session) -> None:
    entry = record(
        session,
        actor=ALICE,
        action="update",
        entity_type="user",
        entity_id=9,
        before={"password_hash": "$argon2id$old", "locked_until": None, "score": Decimal("1.5")},
        after={"password_hash": "$argon2id$new", "locked_until": datetime(2024, 5, 1, tzinfo=UTC)},
    )
    session.commit()
    session.expire_all()
    stored = session.get(AuditEntry, entry.id)
    assert stored is not None
    assert stored.before == {"password_hash": MASK, "locked_until": None, "score": "1.5"}
    assert stored.after == {"password_hash": MASK, "locked_until": "2024-05-01T00:00:00.000000Z"}
    assert verify_chain(session).is_intact


def test_record_read_logs_the_fields_shown(session: Session) -> None:
    entry = record_read(
        session, entity_type="case", entity_id=12, fields=["phone", "name", "phone"], summary="查看来电人信息"
    )
    assert entry.action == READ_PERSONAL
    assert entry.after == {"fields": ["name", "phone"]}
    assert entry.entity_id == "12"


@pytest.mark.parametrize("microsecond", [0, 1, 500_000, 999_999])
def test_hash_survives_the_database_round_trip(
    engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch, microsecond: int
) -> None:
    moment = datetime(2024, 2, 29, 23, 59, 59, microsecond, tzinfo=UTC)
    monkeypatch.setattr("minsheng.audit.service.utcnow", lambda: moment)
    before = {"when": datetime(2024, 1, 1, 8, tzinfo=UTC), "ratio": 0.1, "big": 2**62, "名称": "济南市"}
    entry = record(session, actor=ALICE, action="update", entity_type="case", entity_id="A-1", before=before)
    session.commit()
    with make_sessionmaker(engine)() as fresh:
        stored = fresh.get(AuditEntry, entry.id)
        assert stored is not None
        assert stored.occurred_at == moment
        assert compute_hash(stored) == stored.hash == entry.hash


def test_bad_input_is_refused_or_converted(session: Session) -> None:
    with pytest.raises(ValueError, match="action"):
        record(session, actor=None, action="", entity_type="case", entity_id=1)
    with pytest.raises(ValueError, match="entity_id"):
        record(session, actor=None, action="x", entity_type="case", entity_id="9" * 65)
    entry = record(
        session,
        actor=AuditActor(name="长" * 100, ip="f" * 100),
        action="import",
        entity_type="item",
        entity_id=None,
        after={"nan": float("inf"), "set": {3, 1}, 1: object()},
    )
    session.commit()
    assert len(entry.actor_name) == 64 and len(entry.ip or "") == 64
    assert entry.after is not None and entry.after["nan"] == "inf" and entry.after["set"] == [1, 3]
    assert verify_chain(session).is_intact


def _fill_for_search(session: Session) -> None:
    with audit_context(ALICE):
        record(session, actor=None, action="create", entity_type="case", entity_id=1, summary="新建工单 100%")
        record(session, actor=None, action="update", entity_type="case", entity_id=1, summary="派单给城管")
    record_read(session, entity_type="user", entity_id=5, fields=["phone"], summary="查看手机号")
    session.commit()


def test_search_filters_combine(session: Session) -> None:
    _fill_for_search(session)
    rows, total = search_entries(session, actor_id=7)
    assert total == 2 and [r.action for r in rows] == ["update", "create"]
    assert search_entries(session, action="read_personal")[1] == 1
    assert search_entries(session, entity_type="case", entity_id=1)[1] == 2
    assert search_entries(session, entity_type="case", action="create")[1] == 1
    assert search_entries(session, text="城管")[1] == 1
    assert search_entries(session, text="张三")[1] == 2
    assert search_entries(session, text="100%")[1] == 1
    assert search_entries(session, text="1_0")[1] == 0
    now = datetime.now(UTC)
    assert search_entries(session, since=now - timedelta(minutes=5), until=now + timedelta(minutes=5))[1] == 3
    assert search_entries(session, since=now + timedelta(minutes=5))[1] == 0


def test_search_pages_and_tolerates_odd_filters(session: Session) -> None:
    _fill_for_search(session)
    rows, total = search_entries(session, page=2, per_page=2)
    assert total == 3 and len(rows) == 1 and rows[0].action == "create"
    assert len(search_entries(session, page=0, per_page=0)[0]) == 1
    assert search_entries(session, action="no-such-action") == ([], 0)
    assert search_entries(session, actor_id=999, text="   ")[1] == 0
    assert search_entries(session, action="", entity_type="", entity_id="", text="")[1] == 3
    with pytest.raises(ValidationFailed):
        search_entries(session, since=datetime(2024, 1, 1))


def test_filter_choices_are_distinct_and_sorted(session: Session) -> None:
    _fill_for_search(session)
    assert list_actions(session) == ["create", "read_personal", "update"]
    assert list_entity_types(session) == ["case", "user"]

"""Tamper detection, concurrent appends and the verify command, on both databases."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import typer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from minsheng.audit.chain import (
    BreakKind,
    compute_hash,
    parse_anchor,
    verify_chain,
    verify_chain_in_transactions,
)
from minsheng.audit.cli import verify
from minsheng.audit.context import AuditActor
from minsheng.audit.models import AuditEntry
from minsheng.audit.service import record
from minsheng.core.database import make_sessionmaker
from minsheng.core.settings import get_settings

from .conftest import tamper

Seed = Callable[[int], list[AuditEntry]]


def _first_break(session: Session, engine: Engine) -> tuple[BreakKind, int, int]:
    session.expire_all()
    result = verify_chain(session, batch_size=2)
    # End the read: on SQLite every transaction holds the write lock from BEGIN IMMEDIATE.
    session.rollback()
    again = verify_chain_in_transactions(make_sessionmaker(engine), batch_size=3)
    assert result == again
    assert result.first_break is not None and not result.is_intact
    return result.first_break.kind, result.first_break.row_id, result.checked


def test_changed_content_is_detected(engine: Engine, session: Session, seed: Seed) -> None:
    entries = seed(6)
    tamper(engine, "UPDATE audit_log SET summary = '无事发生' WHERE id = :id", id=entries[3].id)
    assert _first_break(session, engine) == (BreakKind.content_changed, entries[3].id, 3)


def test_changed_json_state_is_detected(engine: Engine, session: Session, seed: Seed) -> None:
    entries = seed(3)
    tamper(
        engine,
        "UPDATE audit_log SET after = :after WHERE id = :id",
        after='{"status":"open"}',
        id=entries[1].id,
    )
    assert _first_break(session, engine)[:2] == (BreakKind.content_changed, entries[1].id)


def test_deleted_row_is_detected_at_its_successor(engine: Engine, session: Session, seed: Seed) -> None:
    entries = seed(6)
    tamper(engine, "DELETE FROM audit_log WHERE id = :id", id=entries[2].id)
    assert _first_break(session, engine) == (BreakKind.row_missing, entries[3].id, 2)


def test_deleted_first_row_is_detected(engine: Engine, session: Session, seed: Seed) -> None:
    entries = seed(3)
    tamper(engine, "DELETE FROM audit_log WHERE id = :id", id=entries[0].id)
    assert _first_break(session, engine) == (BreakKind.row_missing, entries[1].id, 0)


def test_altered_prev_hash_is_detected(engine: Engine, session: Session, seed: Seed) -> None:
    entries = seed(5)
    tamper(engine, "UPDATE audit_log SET prev_hash = :h WHERE id = :id", h="f" * 64, id=entries[4].id)
    kind, row_id, checked = _first_break(session, engine)
    assert (kind, row_id, checked) == (BreakKind.prev_hash_mismatch, entries[4].id, 4)
    brk = verify_chain(session).first_break
    assert brk is not None and (brk.expected, brk.found) == (entries[3].hash, "f" * 64)


def test_rehashed_forgery_breaks_the_next_link(engine: Engine, session: Session, seed: Seed) -> None:
    entries = seed(4)
    forged = entries[1]
    session.expunge(forged)
    forged.summary = "伪造"
    tamper(
        engine, "UPDATE audit_log SET summary = :s, hash = :h WHERE id = :id",
        s="伪造", h=compute_hash(forged), id=forged.id,
    )  # fmt: skip
    assert _first_break(session, engine) == (BreakKind.prev_hash_mismatch, entries[2].id, 2)


def test_only_the_first_of_several_breaks_is_reported(engine: Engine, session: Session, seed: Seed) -> None:
    entries = seed(8)
    tamper(engine, "DELETE FROM audit_log WHERE id = :id", id=entries[6].id)
    tamper(engine, "UPDATE audit_log SET summary = 'x' WHERE id = :id", id=entries[4].id)
    assert _first_break(session, engine)[:2] == (BreakKind.content_changed, entries[4].id)


def test_reordered_sequence_is_detected(engine: Engine, session: Session, seed: Seed) -> None:
    entries = seed(3)
    tamper(engine, "UPDATE audit_log SET seq = 0 WHERE id = :id", id=entries[2].id)
    assert _first_break(session, engine)[:2] == (BreakKind.out_of_order, entries[2].id)


def test_anchor_catches_a_cut_off_tail_the_links_cannot(engine: Engine, session: Session, seed: Seed) -> None:
    entries = seed(4)
    anchor = (4, entries[3].hash)
    assert verify_chain(session, anchor=anchor).is_intact
    session.rollback()
    tamper(engine, "DELETE FROM audit_log WHERE seq >= 3")
    assert verify_chain(session).is_intact
    brk = verify_chain(session, anchor=anchor).first_break
    assert brk is not None and (brk.kind, brk.seq, brk.found) == (BreakKind.row_missing, 4, "seq 2")


def test_anchor_with_another_hash_is_a_break(session: Session, seed: Seed) -> None:
    entries = seed(3)
    brk = verify_chain(session, anchor=(2, "a" * 64)).first_break
    assert brk is not None and (brk.kind, brk.row_id) == (BreakKind.anchor_mismatch, entries[1].id)


def test_anchor_is_parsed_strictly() -> None:
    assert parse_anchor(f" 12:{'AB' * 32} ") == (12, "ab" * 32)
    for bad in ("", "12", f"x:{'a' * 64}", "3:abc", f"3:{'g' * 64}"):
        with pytest.raises(ValueError, match="锚点"):
            parse_anchor(bad)


def test_concurrent_appends_keep_one_chain(engine: Engine, session: Session) -> None:
    factory = make_sessionmaker(engine)
    per_thread, threads_count = 15, 4
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads_count)

    def append(worker: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with factory() as own:
                    actor = AuditActor(user_id=worker, name=f"worker-{worker}")
                    record(own, actor=actor, action="update", entity_type="case", entity_id=i)
                    record(own, actor=actor, action="read_personal", entity_type="case", entity_id=i)
                    own.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = verify_chain(session, batch_size=7)
    assert result.is_intact, result.describe()
    assert result.checked == result.head_seq == per_thread * threads_count * 2
    seqs = session.scalars(select(AuditEntry.seq).order_by(AuditEntry.id)).all()
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.fixture
def cli(
    db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., tuple[int, str]]]:
    """Run the verify command against the test database."""
    monkeypatch.setenv("MINSHENG_DATABASE_URL", db_url)
    get_settings.cache_clear()
    app = typer.Typer()
    app.command()(verify)

    def run(*args: str) -> tuple[int, str]:
        outcome = CliRunner().invoke(app, ["--batch-size", "2", *args])
        return outcome.exit_code, outcome.output

    yield run
    get_settings.cache_clear()


def test_verify_command_exits_by_result(
    engine: Engine, seed: Seed, cli: Callable[..., tuple[int, str]]
) -> None:
    entries = seed(3)
    code, output = cli()
    assert code == 0, output
    assert "审计链完整" in output and f"3:{entries[-1].hash}" in output
    assert cli("--anchor", f"3:{entries[-1].hash}")[0] == 0
    assert cli("--anchor", "3:nonsense")[0] == 2
    tamper(engine, "UPDATE audit_log SET actor_name = '李四' WHERE id = :id", id=entries[1].id)
    code, output = cli()
    assert code == 1
    assert f"审计链在记录 {entries[1].id}" in output and "content_changed" in output
    assert len(output.strip().splitlines()) == 1

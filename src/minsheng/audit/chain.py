"""The hash chain: canonical hashing, serialised appends and verification in bounded batches."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, select, text
from sqlalchemy.orm import Session

from minsheng.audit.models import AuditEntry
from minsheng.audit.values import format_timestamp

GENESIS_HASH = "0" * 64
# Fixed key of the PostgreSQL advisory lock that serialises appends ("minsheng" in ASCII).
CHAIN_LOCK_KEY = 0x6D696E7368656E67
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "action",
    "entity_type",
    "entity_id",
    "summary",
    "before",
    "after",
    "request_id",
    "ip",
    "prev_hash",
)
_TABLE = AuditEntry.__table__


def canonical_content(entry: Any) -> str:
    """Serialise the hashed fields of an entry (ORM object or row) as canonical JSON."""
    content = {name: getattr(entry, name) for name in HASHED_FIELDS}
    content["occurred_at"] = format_timestamp(entry.occurred_at)
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def compute_hash(entry: Any) -> str:
    """Return the SHA-256 hex digest that chains this entry to its predecessor."""
    return hashlib.sha256(canonical_content(entry).encode("utf-8")).hexdigest()


def lock_chain(session: Session) -> None:
    """Serialise appenders until the transaction ends; SQLite's BEGIN IMMEDIATE already does it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


def chain_head(session: Session) -> tuple[int, str] | None:
    """Return the sequence number and hash of the newest entry, or None for an empty log."""
    row = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (row.seq, row.hash) if row is not None else None


class BreakKind(enum.StrEnum):
    """How a link in the chain is broken."""

    content_changed = "content_changed"
    prev_hash_mismatch = "prev_hash_mismatch"
    row_missing = "row_missing"
    out_of_order = "out_of_order"
    anchor_mismatch = "anchor_mismatch"


BREAK_LABELS = {
    BreakKind.content_changed: "内容被修改",
    BreakKind.prev_hash_mismatch: "前序哈希不符",
    BreakKind.row_missing: "记录缺失",
    BreakKind.out_of_order: "顺序错乱",
    BreakKind.anchor_mismatch: "与外部锚点不符",
}


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first broken link: the row where it shows, what was expected there and what was found."""

    kind: BreakKind
    row_id: int
    seq: int
    expected: str
    found: str


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of walking the chain: rows checked, the head reached and the first break, if any."""

    checked: int
    total: int
    head_seq: int
    head_hash: str
    first_break: ChainBreak | None

    @property
    def is_intact(self) -> bool:
        return self.first_break is None

    def describe(self) -> str:
        """Summarise the result on one line, in Chinese then English."""
        brk = self.first_break
        if brk is None:
            head = f"{self.head_seq}:{self.head_hash}"
            return (
                f"审计链完整：共校验 {self.checked} 条记录，链头 {head} / "
                f"Audit chain intact: {self.checked} rows verified, head {head}"
            )
        return (
            f"审计链在记录 {brk.row_id}（序号 {brk.seq}）处断开：{BREAK_LABELS[brk.kind]}，"
            f"期望 {brk.expected}，实际 {brk.found} / "
            f"Audit chain broken at row {brk.row_id} (seq {brk.seq}): {brk.kind.value}, "
            f"expected {brk.expected}, found {brk.found} ({self.checked} of {self.total} rows checked)"
        )


class _Walker:
    """Check rows one by one in id order against the chain state built from the rows before them."""

    def __init__(self, anchor: tuple[int, str] | None) -> None:
        self.anchor = anchor
        self.prev_hash = GENESIS_HASH
        self.next_seq = 1
        self.checked = 0
        self.last_id = 0
        self.first_break: ChainBreak | None = None

    def feed(self, row: Row[Any]) -> bool:
        self.last_id = row.id
        brk = self._check(row)
        if brk is not None:
            self.first_break = brk
            return False
        self.checked += 1
        self.prev_hash = row.hash
        self.next_seq = row.seq + 1
        return True

    def _check(self, row: Row[Any]) -> ChainBreak | None:
        def broken(kind: BreakKind, expected: object, found: object) -> ChainBreak:
            return ChainBreak(kind=kind, row_id=row.id, seq=row.seq, expected=str(expected), found=str(found))

        if row.seq > self.next_seq:
            return broken(BreakKind.row_missing, f"seq {self.next_seq}", f"seq {row.seq}")
        if row.seq < self.next_seq:
            return broken(BreakKind.out_of_order, f"seq {self.next_seq}", f"seq {row.seq}")
        if row.prev_hash != self.prev_hash:
            return broken(BreakKind.prev_hash_mismatch, self.prev_hash, row.prev_hash)
        recomputed = compute_hash(row)
        if recomputed != row.hash:
            return broken(BreakKind.content_changed, recomputed, row.hash)
        if self.anchor is not None and row.seq == self.anchor[0] and row.hash != self.anchor[1]:
            return broken(BreakKind.anchor_mismatch, self.anchor[1], row.hash)
        return None

    def finish(self) -> None:
        # An anchor beyond the head means rows were cut off the end, which the links alone cannot show.
        if self.first_break is None and self.anchor is not None and self.anchor[0] >= self.next_seq:
            self.first_break = ChainBreak(
                kind=BreakKind.row_missing,
                row_id=self.last_id,
                seq=self.anchor[0],
                expected=f"seq {self.anchor[0]}",
                found=f"seq {self.next_seq - 1}",
            )


def _batch(session: Session, after_id: int, size: int) -> Sequence[Row[Any]]:
    query = select(_TABLE).where(_TABLE.c.id > after_id).order_by(_TABLE.c.id).limit(size)
    return session.execute(query).all()


def _count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(_TABLE)).scalar_one()


def _walk(
    sessions: Callable[[], AbstractContextManager[Session]], batch_size: int, anchor: tuple[int, str] | None
) -> VerifyResult:
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    walker = _Walker(anchor)
    with sessions() as session:
        total = _count(session)
    while walker.first_break is None:
        with sessions() as session:
            rows = _batch(session, walker.last_id, batch_size)
        if not rows or not all(walker.feed(row) for row in rows):
            break
    walker.finish()
    return VerifyResult(
        checked=walker.checked,
        total=max(total, walker.checked),
        head_seq=walker.next_seq - 1,
        head_hash=walker.prev_hash,
        first_break=walker.first_break,
    )


def verify_chain(
    session: Session, *, batch_size: int = 1000, anchor: tuple[int, str] | None = None
) -> VerifyResult:
    """Recompute every hash in id order, batch by batch, and report the first broken link.

    An anchor ``(seq, hash)`` recorded outside the database must still be in the chain.
    """
    return _walk(lambda: nullcontext(session), batch_size, anchor)


def verify_chain_in_transactions(
    factory: Callable[[], Session], *, batch_size: int = 1000, anchor: tuple[int, str] | None = None
) -> VerifyResult:
    """Verify like ``verify_chain`` but in one short session per batch, so SQLite writers are not held up."""
    return _walk(factory, batch_size, anchor)


def parse_anchor(value: str) -> tuple[int, str]:
    """Parse an anchor written as ``SEQ:HASH`` (the head that ``describe`` prints)."""
    seq, _, digest = value.strip().partition(":")
    digest = digest.strip().lower()
    if not seq.strip().isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("锚点格式应为 序号:哈希（64 位十六进制）")
    return int(seq), digest

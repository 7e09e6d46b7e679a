"""Propose earlier cases a new one repeats: near-duplicate text, or the same place and category, recently."""

from __future__ import annotations

import heapq
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from minsheng.cases.models import Case
from minsheng.cases.states import CaseStatus
from minsheng.core.settings import Settings
from minsheng.text.dedupe import DuplicateIndex
from minsheng.text.dedupe_signature import Fingerprint, similarity

# Related (same place and category) cases need less textual overlap to be worth a look.
RELATED_THRESHOLD = 0.3
MAX_PROPOSALS = 5
_CANDIDATE_LIMIT = 20
_CLOSED_TO_MERGING = (CaseStatus.merged, CaseStatus.rejected)
# How long an id below the newest one is looked for again: PostgreSQL hands ids out when a row is inserted,
# not when it commits, so a slower transaction (another thread or worker process) can commit a lower id
# after a higher one was read. No submission stays uncommitted for a minute.
_GAP_SECONDS = 60.0
_MAX_GAPS = 1000
# On a first read, the newest ids not found are treated as such gaps too.
_FIRST_READ_GAPS = 64


class DuplicateFinder:
    """An in-memory MinHash index over the recent cases, brought up to date from the database on each use.

    The index only proposes candidates; every proposal is checked against the stored rows, so a stale or
    shared index can miss nothing that is in the database window and invent nothing that is not. Each
    server process keeps its own index and reads what any process has committed since its last look.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._index = DuplicateIndex(threshold=RELATED_THRESHOLD)
        self._seen: dict[int, datetime] = {}
        self._expiry: list[tuple[datetime, int]] = []
        self._gaps: dict[int, float] = {}
        self._last_id = 0

    def _refresh(self, session: Session, since: datetime) -> None:
        newest = session.scalar(select(func.max(Case.id))) or 0
        if newest < self._last_id:  # the table was emptied or restored: start over
            self._reset()
        stmt = select(Case.id, Case.submitted_at, Case.text_signature)
        first = self._last_id == 0
        if first:
            stmt = stmt.where(Case.submitted_at >= since, Case.text_signature.is_not(None))
        else:
            newer = Case.id > self._last_id
            stmt = stmt.where(or_(newer, Case.id.in_(sorted(self._gaps))) if self._gaps else newer)
        found: set[int] = set()
        for row in session.execute(stmt.order_by(Case.id)):
            found.add(row.id)
            self._gaps.pop(row.id, None)
            if row.text_signature and row.submitted_at >= since and row.id not in self._seen:
                self._index.add_signature(row.id, row.text_signature)
                self._seen[row.id] = row.submitted_at
                heapq.heappush(self._expiry, (row.submitted_at, row.id))
        clock = time.monotonic()
        start = max(newest - _FIRST_READ_GAPS, 0) if first else self._last_id
        for missing in range(start + 1, newest + 1):
            if missing not in found:
                self._gaps.setdefault(missing, clock + _GAP_SECONDS)
        for case_id in [k for k, until in self._gaps.items() if until < clock]:
            del self._gaps[case_id]
        if len(self._gaps) > _MAX_GAPS:
            for case_id in sorted(self._gaps)[: len(self._gaps) - _MAX_GAPS]:
                del self._gaps[case_id]
        self._last_id = max(self._last_id, newest)
        while self._expiry and self._expiry[0][0] < since:
            _, case_id = heapq.heappop(self._expiry)
            self._index.remove(case_id)
            del self._seen[case_id]

    def find(
        self, session: Session, *, case: Case, settings: Settings, now: datetime
    ) -> list[dict[str, object]]:
        """Return up to five earlier cases the new one may repeat, most similar first."""
        if not case.text_signature:
            return []
        since = now - timedelta(days=settings.case_duplicate_days)
        with self._lock:
            self._refresh(session, since)
            matches = [m for m in self._index.query_signature(case.text_signature) if m.key != case.id]
        # A burst of near-identical reports must not make each new one re-read all earlier ones.
        candidates = {m.key for m in matches[:_CANDIDATE_LIMIT]}
        if not candidates:
            return []
        rows = session.execute(
            select(
                Case.id,
                Case.tracking_no,
                Case.region_code,
                Case.category,
                Case.status,
                Case.submitted_at,
                Case.text_signature,
            ).where(Case.id.in_(sorted(candidates)))
        ).all()
        mine = Fingerprint.from_bytes(case.text_signature)
        found = []
        for row in rows:
            if row.status in _CLOSED_TO_MERGING or row.submitted_at < since or not row.text_signature:
                continue
            score = similarity(mine, Fingerprint.from_bytes(row.text_signature))
            related = bool(case.region_code and row.region_code == case.region_code) and bool(
                case.category and row.category == case.category
            )
            if score >= settings.case_duplicate_threshold or related:
                found.append(
                    {"case_id": row.id, "tracking_no": row.tracking_no, "similarity": round(score, 3)}
                )
        return sorted(found, key=lambda d: (-float(str(d["similarity"])), int(str(d["case_id"]))))[
            :MAX_PROPOSALS
        ]

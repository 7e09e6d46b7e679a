"""What clustering keeps in memory per database: recent copies, term counts, events and unclustered posts.

The database stays the truth. The state is rebuilt from it when a process first clusters, catches up with
what other processes stored before every batch, and is thrown away when a transaction that changed it rolls
back. Everything it proposes is checked against freshly read rows before anything is written.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.core.timeutil import utcnow
from minsheng.events.config import ClusterConfig
from minsheng.events.duplicates import DuplicateGroups
from minsheng.events.models import Event, EventStatus
from minsheng.events.similarity import (
    TermStats,
    Vector,
    cosine,
    item_vector,
    norm,
    place_agreement,
)
from minsheng.items.models import Item
from minsheng.sources.models import Source

# Terms of an event's centroid by which it can be found; the rest still count in its score.
INDEXED_TERMS = 16
CANDIDATE_MARGIN = 0.05
# A term shared by more unclustered posts than this is too common to find candidates by (its low IDF adds
# little to any score, and walking its postings would cost more than the rest of the item's work).
MAX_POSTINGS = 300
# Unclustered posts are looked up by the heaviest terms of a new post; the rest only refine the scores of
# those found, which must already reach this share of the bar.
LOOKUP_TERMS = 5
LOOKUP_SHARE = 0.5
# Re-read events changed this long before the last look, to cover clocks that differ between hosts and
# transactions that committed late.
SYNC_OVERLAP = timedelta(seconds=30)
# Look for events other processes changed at most this often.
SYNC_SECONDS = 2.0
# Read at most this many items per catch-up.
CATCH_UP_LIMIT = 20_000
LIVE_STATUSES = (EventStatus.active.value, EventStatus.closed.value)
_ITEM = "item"
_EVENT = "event"
_PENDING = "pending"


@dataclass
class EventEntry:
    """An active or recently closed event as clustering sees it."""

    id: int
    centroid: Vector
    norm: float
    region_code: str | None
    category: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    stamp: datetime | None = None
    terms: tuple[str, ...] = ()


@dataclass
class PendingGroup:
    """A copy group not in any event yet, waiting for a second similar post to start one."""

    group_id: int
    vector: Vector
    region_code: str | None
    category: str | None
    at: datetime
    sources: set[int] = field(default_factory=set)


@dataclass
class Candidate:
    score: float
    key: int


class ClusterState:
    """The in-memory side of clustering for one database, shared by the threads of a process."""

    def __init__(self, config: ClusterConfig) -> None:
        self.lock = threading.RLock()
        self.config = config
        self.reset()

    def reset(self) -> None:
        """Forget everything; the next batch rebuilds from the database."""
        with self.lock:
            self.loaded = False
            self.window = timedelta(hours=self.config.window_hours)
            self.duplicates = DuplicateGroups(threshold=self.config.duplicate_threshold, window=self.window)
            self.terms = TermStats()
            self.counted: dict[int, tuple[str, ...]] = {}
            self.events: dict[int, EventEntry] = {}
            self.event_index: dict[str, set[int]] = defaultdict(set)
            self.pending: dict[int, PendingGroup] = {}
            self.pending_index: dict[str, dict[int, float]] = defaultdict(dict)
            self.tiers: dict[int, str] = {}
            self.known_item_id = 0
            self.synced_at: datetime | None = None
            self._synced_clock = 0.0
            # Each event's `updated_at` when last taken in: a re-read row with the same stamp is skipped.
            self._event_stamps: dict[int, datetime] = {}
            self._aging: deque[tuple[float, datetime, str, int]] = deque()
            self._stamps: dict[tuple[str, int], float] = {}

    def _touch(self, kind: str, key: int, at: datetime) -> None:
        stamp = time.monotonic()
        self._stamps[(kind, key)] = stamp
        self._aging.append((stamp, at, kind, key))

    def evict(self, *, now: datetime) -> None:
        """Drop what is older than the window (unless processed moments ago) and what passes the capacity."""
        horizon = now - self.window
        keep_after = time.monotonic() - self.config.keep_seconds
        with self.lock:
            while self._aging:
                stamp, at, kind, key = self._aging[0]
                current = self._stamps.get((kind, key)) == stamp
                over = len(self.duplicates) > self.config.capacity
                if current and not over and (stamp > keep_after or at >= horizon):
                    break
                self._aging.popleft()
                if current:
                    del self._stamps[(kind, key)]
                    self._drop(kind, key)

    def _drop(self, kind: str, key: int) -> None:
        if kind == _ITEM:
            self.duplicates.forget(key)
            terms = self.counted.pop(key, None)
            if terms is not None:
                self.terms.remove(terms)
        elif kind == _EVENT:
            self.drop_event(key)
        else:
            self.drop_pending(key)

    # Items and their copy groups.

    def add_item(
        self,
        item_id: int,
        signature: bytes | None,
        *,
        group_id: int | None,
        at: datetime,
    ) -> None:
        """Index an item for copy matching."""
        self.duplicates.add(item_id, signature, group_id=group_id, at=at)
        self.known_item_id = max(self.known_item_id, item_id)
        self._touch(_ITEM, item_id, at)

    def set_group(self, item_id: int, group_id: int) -> None:
        self.duplicates.set_group(item_id, group_id)

    def count_terms(self, item_id: int, keywords: Sequence[str]) -> None:
        """Count an item in the term statistics (kept as long as the item stays in memory).

        Only posts that start something count: a post left waiting, or the first of an event. A post that
        joins an existing event does not, so a story of five hundred posts does not make its own words look
        common and weigh them down while it is being followed.
        """
        if item_id not in self.counted:
            terms = tuple(keywords)
            self.terms.add(terms)
            self.counted[item_id] = terms

    def vector(self, keywords: Iterable[str]) -> Vector:
        return item_vector(keywords, self.terms)

    # Events.

    def put_event(self, entry: EventEntry) -> None:
        """Add or refresh an event and index it by its heaviest terms."""
        with self.lock:
            self.drop_event(entry.id)
            ranked = sorted(entry.centroid.items(), key=lambda pair: -pair[1])[:INDEXED_TERMS]
            entry.terms = tuple(term for term, _ in ranked)
            for term in entry.terms:
                self.event_index[term].add(entry.id)
            self.events[entry.id] = entry
            self._touch(_EVENT, entry.id, entry.last_seen_at)

    def put_event_row(self, row: Any) -> None:
        """Refresh an event from a database row (or an `Event`); merged events are dropped."""
        stamp = getattr(row, "updated_at", None)
        if stamp is not None:
            self._event_stamps[row.id] = stamp
        if row.status not in LIVE_STATUSES:
            self.drop_event(row.id)
            return
        centroid = dict(row.centroid or {})
        self.put_event(
            EventEntry(
                id=row.id,
                centroid=centroid,
                norm=norm(centroid),
                region_code=row.region_code,
                category=row.category,
                first_seen_at=row.first_seen_at,
                last_seen_at=row.last_seen_at,
                stamp=stamp,
            )
        )

    def drop_event(self, event_id: int) -> None:
        with self.lock:
            entry = self.events.pop(event_id, None)
            if entry is None:
                return
            for term in entry.terms:
                postings = self.event_index.get(term)
                if postings is not None:
                    postings.discard(event_id)
                    if not postings:
                        del self.event_index[term]

    def adjustment(self, region_code: str | None, category: str | None, other: Any) -> float:
        """The place and category terms of a score."""
        config = self.config
        bonus = config.place_bonus * place_agreement(region_code, other.region_code)
        if category and category == other.category:
            bonus += config.category_bonus
        return bonus

    def event_candidates(
        self,
        vector: Vector,
        *,
        at: datetime,
        region_code: str | None,
        category: str | None,
        only: set[int] | None = None,
    ) -> list[Candidate]:
        """Score the events sharing a term with the vector; return the best few above a loose bar."""
        window = self.window
        partial: dict[int, float] = defaultdict(float)
        with self.lock:
            for term, weight in vector.items():
                for event_id in self.event_index.get(term, ()):
                    if only is None or event_id in only:
                        partial[event_id] += weight
            ranked = sorted(partial, key=lambda key: -partial[key])[: self.config.candidates * 4]
            found = []
            for event_id in ranked:
                entry = self.events[event_id]
                if not entry.first_seen_at - window <= at <= entry.last_seen_at + window:
                    continue
                score = cosine(vector, entry.centroid, entry.norm) + self.adjustment(
                    region_code, category, entry
                )
                found.append(Candidate(score, event_id))
        found.sort(key=lambda c: (-c.score, c.key))
        # Cached centroids may lag the database a little: read events scoring just under the bar too.
        bar = self.config.join_threshold - CANDIDATE_MARGIN
        return [c for c in found if c.score >= bar][: self.config.candidates]

    # Unclustered copy groups.

    def put_pending(self, group: PendingGroup) -> None:
        with self.lock:
            self.drop_pending(group.group_id)
            self.pending[group.group_id] = group
            for term, weight in group.vector.items():
                self.pending_index[term][group.group_id] = weight
            self._touch(_PENDING, group.group_id, group.at)

    def drop_pending(self, group_id: int) -> None:
        with self.lock:
            group = self.pending.pop(group_id, None)
            if group is None:
                return
            for term in group.vector:
                postings = self.pending_index.get(term)
                if postings is not None:
                    postings.pop(group_id, None)
                    if not postings:
                        del self.pending_index[term]

    def pending_matches(
        self,
        vector: Vector,
        *,
        at: datetime,
        region_code: str | None,
        category: str | None,
        exclude: int,
        threshold: float | None = None,
    ) -> list[Candidate]:
        """Return the unclustered groups scoring at least `threshold` (the seed threshold by default)."""
        scores: dict[int, float] = defaultdict(float)
        bar = self.config.seed_threshold if threshold is None else threshold
        # Only a score within reach of the bar is worth the place and category terms and the time check.
        reach = bar - self.config.place_bonus - self.config.category_bonus
        ranked = sorted(vector.items(), key=lambda pair: -pair[1])
        lookup, rest = ranked[:LOOKUP_TERMS], ranked[LOOKUP_TERMS:]
        with self.lock:
            for term, weight in lookup:
                postings = self.pending_index.get(term)
                if not postings or len(postings) > MAX_POSTINGS:
                    continue
                for group_id, other in postings.items():
                    scores[group_id] += weight * other
            # A group sharing little of the heaviest terms cannot reach the bar on the light ones.
            floor = reach * LOOKUP_SHARE
            for group_id in [g for g, score in scores.items() if score < floor]:
                del scores[group_id]
            for group_id in scores:
                other_vector = self.pending[group_id].vector
                scores[group_id] += sum(weight * other_vector.get(term, 0.0) for term, weight in rest)
            found = []
            for group_id, score in scores.items():
                if score < reach or group_id == exclude:
                    continue
                group = self.pending[group_id]
                if abs(group.at - at) > self.window:
                    continue
                total = score + self.adjustment(region_code, category, group)
                if total >= bar:
                    found.append(Candidate(total, group_id))
        found.sort(key=lambda c: (-c.score, c.key))
        return found

    # Loading from and catching up with the database.

    def ensure_loaded(self, session: Session, *, now: datetime, exclude: Sequence[int]) -> None:
        """Build the state from the database the first time, then catch up with other processes."""
        with self.lock:
            if not self.loaded:
                self._load(session, now=now, exclude=exclude)
                self.loaded = True
                return
        self._catch_up(session, now=now, exclude=exclude)

    def _load(self, session: Session, *, now: datetime, exclude: Sequence[int]) -> None:
        horizon = now - self.window
        self.synced_at = utcnow()
        self._synced_clock = time.monotonic()
        rows = session.execute(
            _item_columns()
            .where(Item.published_at >= horizon, Item.dup_group_id.is_not(None))
            .order_by(Item.id.desc())
            .limit(self.config.capacity)
        ).all()
        self._take_items(sorted(rows, key=lambda row: row.id), exclude=set(exclude))
        self.known_item_id = max(
            self.known_item_id,
            session.scalar(select(func.max(Item.id)).where(Item.dup_group_id.is_not(None))) or 0,
        )
        for row in session.execute(
            _event_columns().where(Event.status.in_(LIVE_STATUSES), Event.last_seen_at >= horizon)
        ):
            self.put_event_row(row)
        self.tiers = {row.id: row.tier for row in session.execute(select(Source.id, Source.tier))}

    def _catch_up(self, session: Session, *, now: datetime, exclude: Sequence[int]) -> None:
        with self.lock:
            known, since = self.known_item_id, self.synced_at
        statement = _item_columns().where(Item.id > known, Item.dup_group_id.is_not(None))
        if exclude:
            statement = statement.where(Item.id.not_in(list(exclude)))
        rows = session.execute(statement.order_by(Item.id).limit(CATCH_UP_LIMIT)).all()
        with self.lock:
            self._take_items(rows, exclude=set(exclude))
        if time.monotonic() - self._synced_clock >= SYNC_SECONDS:
            self._sync_events(session, now=now, since=since)

    def _sync_events(self, session: Session, *, now: datetime, since: datetime | None) -> None:
        """Take in the events other processes changed (or merged, or closed) since the last look."""
        wall = utcnow()
        stamps = session.execute(
            select(Event.id, Event.updated_at).where(
                Event.updated_at >= (since or wall) - SYNC_OVERLAP,
                Event.last_seen_at >= now - self.window,
            )
        ).all()
        with self.lock:
            changed = [row.id for row in stamps if self._event_stamps.get(row.id) != row.updated_at]
        found = []
        for start in range(0, len(changed), 500):
            chunk = changed[start : start + 500]
            found += session.execute(_event_columns().where(Event.id.in_(chunk))).all()
        with self.lock:
            for row in found:
                self.put_event_row(row)
            cutoff = wall - 2 * SYNC_OVERLAP
            self._event_stamps = {k: stamp for k, stamp in self._event_stamps.items() if stamp >= cutoff}
            self.synced_at = wall
            self._synced_clock = time.monotonic()

    def _take_items(self, rows: Sequence[Any], *, exclude: set[int]) -> None:
        """Index stored items; the unclustered ones become pending groups once term counts are in."""
        waiting: dict[int, list[Any]] = {}
        started: set[int] = set()
        for row in rows:
            if row.id in exclude or row.id in self.duplicates:
                continue
            self.add_item(row.id, row.signature, group_id=row.dup_group_id, at=row.published_at)
            if row.id == row.dup_group_id and (row.event_id is None or row.event_id not in started):
                self.count_terms(row.id, row.keywords or ())
                if row.event_id is not None:
                    started.add(row.event_id)
            if row.event_id is None:
                waiting.setdefault(row.dup_group_id, []).append(row)
            else:
                self.drop_pending(row.dup_group_id)
        for group_id, members in waiting.items():
            group = self.pending.get(group_id)
            if group is None:
                head = members[0]
                group = PendingGroup(
                    group_id=group_id,
                    vector=self.vector(head.keywords or ()),
                    region_code=head.region_code,
                    category=head.category,
                    at=head.published_at,
                )
            group.sources.update(row.source_id for row in members)
            self.put_pending(group)

    def tier_of(self, session: Session, source_ids: Iterable[int]) -> dict[int, str]:
        """Return the tiers of the sources, reading any this process has not seen yet."""
        wanted = set(source_ids)
        with self.lock:
            missing = wanted - self.tiers.keys()
        if missing:
            statement = select(Source.id, Source.tier).where(Source.id.in_(missing))
            found = {row.id: row.tier for row in session.execute(statement)}
            with self.lock:
                self.tiers.update(found)
        with self.lock:
            return {sid: self.tiers.get(sid, "normal") for sid in wanted}


def _item_columns() -> Any:
    return select(
        Item.id,
        Item.dup_group_id,
        Item.event_id,
        Item.source_id,
        Item.signature,
        Item.keywords,
        Item.region_code,
        Item.category,
        Item.published_at,
    )


def _event_columns() -> Any:
    return select(
        Event.id,
        Event.status,
        Event.centroid,
        Event.region_code,
        Event.category,
        Event.first_seen_at,
        Event.last_seen_at,
        Event.updated_at,
    )

"""Group stored items into near-duplicate groups and, online, into events.

Each new item first finds the copy group it belongs to (MinHash LSH over the window, verified by exact
Jaccard). A copy follows its group: into the group's event, or into waiting. An item that starts a group is
scored against the events of the window (cosine of keyword vectors plus place and category terms) and joins
the best one above `join_threshold`. Otherwise it starts an event only together with another unclustered post
scoring `seed_threshold` with it, or when its own copies come from a second source; a lone post waits
(`event_id` stays empty) until such a post arrives or the window passes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from minsheng.core.settings import Settings
from minsheng.events.cache import state_for, watch_transaction
from minsheng.events.config import DEFAULT_CONFIG, ClusterConfig
from minsheng.events.figures import add_items
from minsheng.events.models import Event, EventStatus
from minsheng.events.similarity import Vector, add_to_centroid, cosine, norm, unit
from minsheng.events.state import Candidate, ClusterState, PendingGroup
from minsheng.items.models import Item

log = logging.getLogger(__name__)

CHUNK = 500
MAX_MERGE_HOPS = 8


@dataclass
class ClusterReport:
    """What one call did: events created and updated (by id), and where its items went."""

    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    clustered: int = 0
    waiting: int = 0
    copies: int = 0

    @property
    def event_ids(self) -> list[int]:
        return [*self.created, *self.updated]


def fact_columns() -> list[Any]:
    """The item columns the event figures need, for reading items without loading them as objects."""
    return [
        Item.id,
        Item.dup_group_id,
        Item.source_id,
        Item.published_at,
        Item.sentiment,
        Item.category,
        Item.region_code,
        Item.places,
        Item.harm_signals,
        Item.keywords,
        Item.title,
        func.substr(Item.text, 1, 120).label("text"),
    ]


@dataclass
class _Draft:
    """An event being changed by this batch: its running centroid and the items it gains."""

    event: Event
    centroid: Vector
    members: list[Any] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)
    is_new: bool = False


class _Batch:
    """The decisions of one call, made in memory against freshly read events."""

    def __init__(self, session: Session, state: ClusterState, items: list[Item], now: datetime) -> None:
        self.session = session
        self.state = state
        self.config = state.config
        self.items = items
        self.now = now
        self.ids = {item.id for item in items}
        self.events: dict[int, Event] = {}
        self.drafts: dict[int, _Draft] = {}
        self.group_target: dict[int, _Draft | None] = {}
        self.external_events: dict[int, int] = {}
        self.vectors: dict[int, Vector] = {}
        self.candidates: dict[int, list[Candidate]] = {}
        self.pending_vectors: dict[int, Vector] = {}
        self.report = ClusterReport()

    # Copy groups.

    def assign_groups(self) -> None:
        """Match every item against the window's copies (and earlier items of the batch) and set its group."""
        state = self.state
        matches: dict[int, list[int]] = {}
        with state.lock:
            for item in self.items:
                matches[item.id] = state.duplicates.matches(item.signature, at=item.published_at)
                state.add_item(item.id, item.signature, group_id=None, at=item.published_at)
        outside = sorted({m for found in matches.values() for m in found if m not in self.ids})
        rows = {}
        for start in range(0, len(outside), CHUNK):
            chunk = outside[start : start + CHUNK]
            statement = select(Item.id, Item.dup_group_id, Item.event_id).where(Item.id.in_(chunk))
            rows.update({row.id: row for row in self.session.execute(statement)})
        with state.lock:
            for item in self.items:
                groups = []
                for match in matches[item.id]:
                    if match in self.ids:
                        groups.append(state.duplicates.group_of(match) or match)
                    elif match in rows:
                        row = rows[match]
                        group = row.dup_group_id or row.id
                        groups.append(group)
                        if row.event_id is not None:
                            self.external_events.setdefault(group, row.event_id)
                    else:
                        # Indexed by a transaction that never committed, or deleted since.
                        state.duplicates.forget(match)
                group = min(groups) if groups else item.id
                set_committed_value(item, "dup_group_id", group)
                state.set_group(item.id, group)
                if group != item.id:
                    self.report.copies += 1

    # Events.

    def find_candidates(self) -> None:
        """Score each item against the cached events and read the promising ones, fresh, in one query."""
        wanted = set(self.external_events.values())
        for item in self.items:
            if item.dup_group_id in self.external_events:
                continue
            vector = self.state.vector(item.keywords or ())
            self.vectors[item.id] = vector
            found = self.state.event_candidates(
                vector, at=item.published_at, region_code=item.region_code, category=item.category
            )
            self.candidates[item.id] = found
            wanted.update(c.key for c in found)
        self._load_events(wanted)

    def _load_events(self, wanted: set[int]) -> None:
        for _ in range(MAX_MERGE_HOPS):
            missing = sorted(wanted - self.events.keys())
            if not missing:
                return
            targets = set()
            for start in range(0, len(missing), CHUNK):
                chunk = missing[start : start + CHUNK]
                # Locked until commit (PostgreSQL; SQLite's writer holds the whole database already), so two
                # workers adding to one event in overlapping transactions cannot lose each other's counts.
                statement = (
                    select(Event)
                    .where(Event.id.in_(chunk))
                    .order_by(Event.id)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                )
                for event in self.session.scalars(statement):
                    self.events[event.id] = event
                    self.state.put_event_row(event)
                    if event.status == EventStatus.merged.value and event.merged_into_id:
                        targets.add(event.merged_into_id)
            for event_id in missing:
                if event_id not in self.events:
                    self.state.drop_event(event_id)
            wanted = targets

    def _live(self, event_id: int | None) -> Event | None:
        """Follow merges to the event that now holds the items; None if it is gone."""
        for _ in range(MAX_MERGE_HOPS):
            event = self.events.get(event_id) if event_id is not None else None
            if event is None or event.status != EventStatus.merged.value:
                return event
            event_id = event.merged_into_id
        return None

    def _draft(self, event: Event) -> _Draft:
        draft = self.drafts.get(id(event))
        if draft is None:
            draft = _Draft(event, dict(event.centroid or {}))
            self.drafts[id(event)] = draft
        return draft

    def _score(self, item: Item, vector: Vector, draft: _Draft) -> float:
        event = draft.event
        if not draft.is_new:
            window = self.state.window
            if not event.first_seen_at - window <= item.published_at <= event.last_seen_at + window:
                return float("-inf")
        return cosine(vector, draft.centroid, norm(draft.centroid)) + self.state.adjustment(
            item.region_code, item.category, event
        )

    def decide(self) -> None:
        """Place every item: with its copies, in the best event, in a new event, or in waiting."""
        for item in self.items:
            group = item.dup_group_id
            if group != item.id:
                self._place_copy(item, group)
            else:
                self._place(item, self.vectors[item.id], group)

    def _place_copy(self, item: Item, group: int) -> None:
        if group in self.group_target:
            target = self.group_target[group]
        else:
            target = self._draft(event) if (event := self._live(self.external_events.get(group))) else None
        if target is not None:
            self._join(target, item, None, group)
            return
        state = self.state
        waiting = state.pending.get(group)
        if waiting is None:
            vector = self.vectors.get(item.id) or state.vector(item.keywords or ())
            waiting = PendingGroup(group, vector, item.region_code, item.category, item.published_at)
        waiting.sources.add(item.source_id)
        if len(waiting.sources) < 2:
            self._wait(item, waiting)
            return
        # Copies from a second source make a post eventful: it has spread.
        self._place(item, waiting.vector, group, spread=True)

    def _place(self, item: Item, vector: Vector, group: int, *, spread: bool = False) -> None:
        best: tuple[float, _Draft] | None = None
        drafts = {id(e): self._draft(e) for c in self.candidates.get(item.id, ()) if (e := self._live(c.key))}
        # Events started earlier in this batch are not in the candidates computed before it.
        drafts.update((key, d) for key, d in self.drafts.items() if d.is_new)
        for draft in drafts.values():
            score = self._score(item, vector, draft)
            if best is None or score > best[0]:
                best = (score, draft)
        if best is not None and best[0] >= self.config.join_threshold:
            self._join(best[1], item, vector, group)
            return
        state = self.state
        similar = state.pending_matches(
            vector,
            at=item.published_at,
            region_code=item.region_code,
            category=item.category,
            exclude=group,
        )
        if not similar and not spread:
            waiting = state.pending.get(group) or PendingGroup(
                group, vector, item.region_code, item.category, item.published_at
            )
            waiting.sources.add(item.source_id)
            self._wait(item, waiting)
            return
        event = Event(
            title="",
            status=EventStatus.active.value,
            region_code=item.region_code,
            category=item.category,
            first_seen_at=item.published_at,
            last_seen_at=item.published_at,
            keywords=[],
            places=[],
            harm_signals=[],
            sentiment_mix={},
            centroid={},
            tallies={},
        )
        draft = _Draft(event, {}, is_new=True)
        self.drafts[id(event)] = draft
        self._join(draft, item, vector, group)
        for match in similar:
            self._adopt(draft, match.key)
        if not similar and group == item.id:
            self.state.count_terms(item.id, item.keywords or ())
        # Posts that waited before the event took shape may match the event though they matched no single
        # post: look once more, with the new event's centroid and the bar for joining.
        centroid = unit(draft.centroid)
        for match in state.pending_matches(
            centroid,
            at=item.published_at,
            region_code=item.region_code,
            category=item.category,
            exclude=group,
            threshold=self.config.join_threshold,
        ):
            self._adopt(draft, match.key)

    def _join(self, draft: _Draft, item: Item, vector: Vector | None, group: int) -> None:
        draft.members.append(item)
        self.report.clustered += 1
        self.group_target[group] = draft
        if group in self.state.pending and group not in self.ids:
            self._adopt(draft, group)
        elif group in self.state.pending:
            self.state.drop_pending(group)
        if vector is not None and group == item.id:
            # Pruned once when the event is written; within the batch it only guides the next items.
            draft.centroid = add_to_centroid(draft.centroid, vector)
            self.vectors[item.id] = vector

    def _adopt(self, draft: _Draft, group: int) -> None:
        """Bring a waiting group (stored earlier) into the event; its members are read after the decisions."""
        waiting = self.state.pending.get(group)
        if waiting is not None:
            self.state.drop_pending(group)
            draft.centroid = add_to_centroid(draft.centroid, waiting.vector)
            self.pending_vectors[group] = waiting.vector
        self.group_target[group] = draft
        draft.groups.append(group)

    def _wait(self, item: Item, waiting: PendingGroup) -> None:
        if item.id == waiting.group_id:
            self.state.count_terms(item.id, item.keywords or ())
        self.state.put_pending(waiting)
        self.group_target.setdefault(waiting.group_id, None)
        self.report.waiting += 1

    # Writing.

    def write(self) -> None:
        """Insert the new events, point the items at them and refresh the figures of every changed event."""
        session = self.session
        self._sweep_waiting_members()
        adopted = self._read_adopted()
        new = [d.event for d in self.drafts.values() if d.is_new and d.members]
        if new:
            session.add_all(new)
            session.flush()
        members = [m for d in self.drafts.values() for m in d.members]
        tiers = self.state.tier_of(session, {m.source_id for m in [*members, *adopted.values()]})
        created: list[Event] = []
        updated: list[Event] = []
        for draft in self.drafts.values():
            if not draft.members and not draft.groups:
                continue
            event = draft.event
            for item in draft.members:
                set_committed_value(item, "event_id", event.id)
            rows = [row for row in adopted.values() if self.group_target.get(row.dup_group_id) is draft]
            if rows:
                self._point(rows, event.id)
            vectors = {item.id: self.vectors[item.id] for item in draft.members if item.id in self.vectors}
            for row in _heads(rows):
                if row.dup_group_id in self.pending_vectors:
                    vectors[row.id] = self.pending_vectors[row.dup_group_id]
            if event.status == EventStatus.closed.value:
                event.status = EventStatus.active.value
            add_items(
                event,
                [*draft.members, *rows],
                tiers=tiers,
                vectors=vectors,
                centroid_terms=self.config.centroid_terms,
                now=self.now,
            )
            (created if draft.is_new else updated).append(event)
        # One executemany for the batch's items; they were set as committed values so the unit of work
        # does not write them again one by one.
        session.execute(
            update(Item),
            [{"id": i.id, "dup_group_id": i.dup_group_id, "event_id": i.event_id} for i in self.items],
        )
        session.flush()
        for event in [*created, *updated]:
            self.state.put_event_row(event)
        self.report.created = sorted(event.id for event in created)
        self.report.updated = sorted(event.id for event in updated)

    def _point(self, rows: list[Any], event_id: int) -> None:
        """Set the event of items stored earlier, and of their loaded copies without marking them changed."""
        ids = [row.id for row in rows]
        statement = update(Item).where(Item.id.in_(ids)).values(event_id=event_id)
        self.session.execute(statement.execution_options(synchronize_session=False))
        for item_id in ids:
            loaded = self.session.identity_map.get(Session.identity_key(Item, item_id))
            if loaded is not None:
                set_committed_value(loaded, "event_id", event_id)

    def _sweep_waiting_members(self) -> None:
        """Items of this batch that waited and whose group later joined an event follow it."""
        placed = {id(m) for d in self.drafts.values() for m in d.members}
        for item in self.items:
            draft = self.group_target.get(item.dup_group_id)
            if draft is not None and id(item) not in placed:
                draft.members.append(item)
                self.report.waiting -= 1
                self.report.clustered += 1

    def _read_adopted(self) -> dict[int, Any]:
        groups = sorted({g for d in self.drafts.values() for g in d.groups if g not in self.ids})
        found: dict[int, Any] = {}
        for start in range(0, len(groups), CHUNK):
            # Filtering event_id here rather than in SQL keeps SQLite on the dup_group_id index.
            statement = select(*fact_columns(), Item.event_id).where(
                Item.dup_group_id.in_(groups[start : start + CHUNK])
            )
            for row in self.session.execute(statement):
                if row.id not in self.ids and row.event_id is None:
                    found[row.id] = row
        return found


def _heads(rows: Iterable[Any]) -> list[Any]:
    heads: dict[int, Any] = {}
    for row in sorted(rows, key=lambda r: r.id):
        heads.setdefault(row.dup_group_id, row)
    return list(heads.values())


def cluster_items(
    session: Session, items: Sequence[Item], *, now: datetime, config: ClusterConfig = DEFAULT_CONFIG
) -> ClusterReport:
    """Put newly stored items into copy groups and events; return the events created and updated.

    Items already grouped (a re-fetch, an edited text) are left where they are. The caller commits.
    """
    todo = sorted(
        (item for item in items if item.dup_group_id is None and item.id is not None),
        key=lambda item: (item.published_at, item.id),
    )
    if not todo:
        return ClusterReport()
    state = state_for(session, config)
    state.evict(now=now)
    state.ensure_loaded(session, now=now, exclude=[item.id for item in todo])
    watch_transaction(session, state)
    batch = _Batch(session, state, todo, now)
    # One flush at the end writes each item once; the reads in between never need the batch's changes.
    with session.no_autoflush:
        batch.assign_groups()
        batch.find_candidates()
        with state.lock:
            batch.decide()
        batch.write()
    return batch.report


def stored_items(session: Session, item_ids: Sequence[int]) -> list[Item]:
    """Return the items by id, from the session's identity map when there, else in one query."""
    found: dict[int, Item] = {}
    for item_id in dict.fromkeys(item_ids):
        item = session.identity_map.get(Session.identity_key(Item, item_id))
        if item is not None:
            found[item_id] = item
    missing = [i for i in item_ids if i not in found]
    for start in range(0, len(missing), CHUNK):
        found.update(
            (i.id, i)
            for i in session.scalars(select(Item).where(Item.id.in_(missing[start : start + CHUNK])))
        )
    return [found[i] for i in dict.fromkeys(item_ids) if i in found]


def cluster_stored(
    session: Session, *, item_ids: Sequence[int], now: datetime, settings: Settings | None = None
) -> ClusterReport | None:
    """Cluster items just stored in this session; a failure is logged and leaves them unclustered.

    The items are taken from the session's identity map, so storing and clustering read them once. The
    window and quiet period come from `settings` when given.
    """
    if not item_ids:
        return ClusterReport()
    config = ClusterConfig.from_settings(settings) if settings is not None else DEFAULT_CONFIG
    items = stored_items(session, item_ids)
    try:
        with session.begin_nested():
            return cluster_items(session, items, now=now, config=config)
    except Exception:
        log.exception("clustering %d items failed; they stay unclustered", len(items))
        return None

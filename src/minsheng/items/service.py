"""Store incoming items idempotently and analyse them in batches."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached, selectinload

from minsheng.core.errors import NotFound
from minsheng.items import fts
from minsheng.items.canonical import canonical_url, url_key
from minsheng.items.models import Item, item_department
from minsheng.items.schemas import ItemIn, StoreReport
from minsheng.sources.models import Source
from minsheng.text.analysis import Analysis, TextEngine

LOOKUP_CHUNK = 400


class UnknownItem(NotFound):
    default_message = "找不到该信息"


@dataclass
class _Incoming:
    data: ItemIn
    canonical: str | None
    key: str | None
    content_hash: str


def content_hash(title: str, text: str) -> str:
    """Hash what a reader sees, ignoring whitespace, so a re-rendered page is not a change."""
    body = " ".join(title.split()) + "\n" + " ".join(text.split())
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _prepare(items: Iterable[ItemIn]) -> list[_Incoming]:
    """Compute keys and drop repeats inside the batch (the first one wins)."""
    seen: set[tuple[str, str]] = set()
    prepared = []
    for data in items:
        canonical = canonical_url(data.url) if data.url else None
        key = url_key(canonical) if canonical else None
        marks = {("url", key)} if key else set()
        if data.external_id:
            marks.add(("ext", data.external_id))
        if marks & seen:
            continue
        seen |= marks
        prepared.append(_Incoming(data, canonical, key, content_hash(data.title, data.text)))
    return prepared


def _existing(session: Session, *, source_id: int, batch: list[_Incoming]) -> tuple[dict, dict]:
    """Find stored items that match the batch by URL key or by this source's external ids."""
    by_key: dict[str, Item] = {}
    by_ext: dict[str, Item] = {}
    keys = [i.key for i in batch if i.key]
    externals = [i.data.external_id for i in batch if i.data.external_id]
    for start in range(0, max(len(keys), len(externals)), LOOKUP_CHUNK):
        key_part = keys[start : start + LOOKUP_CHUNK]
        ext_part = externals[start : start + LOOKUP_CHUNK]
        conditions = []
        if key_part:
            conditions.append(Item.url_key.in_(key_part))
        if ext_part:
            conditions.append(and_(Item.source_id == source_id, Item.external_id.in_(ext_part)))
        for item in session.scalars(select(Item).where(or_(*conditions))):
            if item.url_key:
                by_key[item.url_key] = item
            if item.source_id == source_id and item.external_id:
                by_ext[item.external_id] = item
    return by_key, by_ext


def fetched_times(session: Session, *, keys: Sequence[str]) -> dict[str, datetime]:
    """Return when each already stored URL key was first fetched (keys not stored are left out)."""
    found: dict[str, datetime] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), LOOKUP_CHUNK):
        part = unique[start : start + LOOKUP_CHUNK]
        found.update(
            session.execute(select(Item.url_key, Item.fetched_at).where(Item.url_key.in_(part))).all()
        )
    return found


def store_items(
    session: Session, *, source: Source, items: Sequence[ItemIn], engine: TextEngine, now: datetime
) -> StoreReport:
    """Insert new items, update changed ones, skip repeats; analyse what is new or changed in one batch."""
    batch = _prepare(items)
    report = StoreReport()
    by_key, by_ext = _existing(session, source_id=source.id, batch=batch)
    fresh: list[Item] = []
    changed: list[Item] = []
    for incoming in batch:
        found = (by_ext.get(incoming.data.external_id) if incoming.data.external_id else None) or (
            by_key.get(incoming.key) if incoming.key else None
        )
        if found is None:
            fresh.append(_new_item(source, incoming, now))
        elif found.content_hash != incoming.content_hash:
            _update_item(found, incoming)
            changed.append(found)
        else:
            report.unchanged += 1
            report.ids.append(found.id)
    analyse(session, [*fresh, *changed], engine=engine, now=now, flush=False)
    stored = _insert(session, fresh, source_id=source.id)
    report.unchanged += len(fresh) - len(stored)
    session.flush()
    _link_departments(session, stored, fresh=True)
    _link_departments(session, changed)
    report.created = len(stored)
    report.updated = len(changed)
    report.ids.extend(item.id for item in [*stored, *changed])
    return report


def _new_item(source: Source, incoming: _Incoming, now: datetime) -> Item:
    data = incoming.data
    return Item(
        source_id=source.id,
        external_id=data.external_id,
        url=data.url,
        canonical_url=incoming.canonical,
        url_key=incoming.key,
        content_hash=incoming.content_hash,
        title=data.title,
        text=data.text,
        author=data.author,
        # No time given means as new as our fetch; a time ahead of ours is a clock error.
        published_at=min(data.published_at or now, now),
        fetched_at=now,
        harm_signals=[],
        places=[],
        departments=[],
        keywords=[],
    )


def _update_item(item: Item, incoming: _Incoming) -> None:
    data = incoming.data
    item.title = data.title
    item.text = data.text
    item.content_hash = incoming.content_hash
    if data.author:
        item.author = data.author
    if data.published_at:
        item.published_at = min(data.published_at, item.fetched_at)


_COLUMNS = tuple(column.key for column in Item.__table__.columns if column.key != "id")


def _insert(session: Session, items: list[Item], *, source_id: int) -> list[Item]:
    """Insert new items in one statement; when a concurrent run stored one first, keep the others, skip it.

    The unit of work would insert them one row at a time on SQLite (it needs each new id back and SQLite's
    RETURNING promises no order), so they go in as one executemany, their ids are read back by key, and the
    objects join the session as persistent, which keeps them in the identity map for whatever comes next.
    """
    if not items:
        return []
    rows = []
    for item in items:
        row = {key: getattr(item, key) for key in _COLUMNS}
        for key, value in row.items():
            if key not in item.__dict__:
                # Set, not merely defaulted: an unset attribute would be expired, and re-read, once attached.
                setattr(item, key, value)
        rows.append(row)
    try:
        with session.begin_nested():
            session.execute(insert(Item.__table__), rows)
        stored = items
    except IntegrityError:
        stored = []
        for item, row in zip(items, rows, strict=True):
            try:
                with session.begin_nested():
                    session.execute(insert(Item.__table__), [row])
                stored.append(item)
            except IntegrityError:
                continue
    _attach(session, stored, source_id=source_id)
    fts.index_grams(session.connection(), [(item.id, item.title, item.text) for item in stored])
    return stored


def _attach(session: Session, items: list[Item], *, source_id: int) -> None:
    """Give inserted items their ids and make them persistent in the session without another INSERT."""
    by_key = {item.url_key: item for item in items if item.url_key}
    by_ext = {item.external_id: item for item in items if not item.url_key}
    keys, externals = list(by_key), list(by_ext)
    for start in range(0, max(len(keys), len(externals)), LOOKUP_CHUNK):
        conditions = []
        if key_part := keys[start : start + LOOKUP_CHUNK]:
            conditions.append(Item.url_key.in_(key_part))
        if ext_part := externals[start : start + LOOKUP_CHUNK]:
            conditions.append(and_(Item.source_id == source_id, Item.external_id.in_(ext_part)))
        rows = session.execute(select(Item.id, Item.url_key, Item.external_id).where(or_(*conditions)))
        for item_id, key, external in rows:
            item = by_key.get(key) if key else by_ext.get(external)
            if item is not None:
                item.id = item_id
    for item in items:
        make_transient_to_detached(item)
        session.add(item)


def analyse(
    session: Session, items: list[Item], *, engine: TextEngine, now: datetime, flush: bool = True
) -> None:
    """Run the text engine over items in one batch and keep its findings on them."""
    if not items:
        return
    results = engine.analyze_many(
        [item.text for item in items],
        titles=[item.title or None for item in items],
        published_at=[item.published_at for item in items],
    )
    for item, analysis in zip(items, results, strict=True):
        _apply(item, analysis, now)
    if flush:
        session.flush()
        _link_departments(session, items)


def _apply(item: Item, analysis: Analysis, now: datetime) -> None:
    predictions = analysis.predictions
    item.category = analysis.category.label if analysis.category else None
    item.sentiment = analysis.sentiment.label if analysis.sentiment else None
    item.emotion = predictions["emotion"].label if "emotion" in predictions else None
    rumor = predictions.get("rumor")
    item.rumor_score = dict(rumor.top_k).get("rumor") if rumor else None
    item.harm_signals = list(analysis.harm_signals)
    item.region_code = analysis.region_code
    item.places = [
        {"text": p.text, "region_code": p.region_code, "level": p.level} for p in analysis.places[:20]
    ]
    item.departments = [
        {"id": d.department_id, "name": d.name}
        for d in {d.department_id: d for d in analysis.departments}.values()
    ]
    item.keywords = [word for word, _ in analysis.keywords]
    item.signature = analysis.signature or None
    item.analysed_at = now


def _link_departments(session: Session, items: list[Item], *, fresh: bool = False) -> None:
    if not items:
        return
    if not fresh:
        ids = [item.id for item in items]
        session.execute(delete(item_department).where(item_department.c.item_id.in_(ids)))
    rows = [{"item_id": item.id, "department_id": d["id"]} for item in items for d in item.departments]
    if rows:
        session.execute(insert(item_department), rows)


def get_item(session: Session, *, item_id: int) -> Item:
    item = session.scalar(select(Item).options(selectinload(Item.source)).where(Item.id == item_id))
    if item is None:
        raise UnknownItem()
    return item

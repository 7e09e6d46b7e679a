"""Clustering quality on real messages: the Teddy Cup 2020 hot-issue pool, with silver story labels.

The pool has no event labels. Messages naming both a place and the matter of a known hot issue (the
competition's published examples: car parks sold with flats at 伊景园滨河苑, a concrete plant beside 丽发新城)
are labelled with that story; the rest are unlabelled. Over two months of messages we measure pairwise recall
(labelled pairs put in one event, among pairs within the window of each other) and pairwise precision (pairs
in one event with the same label, among pairs where both are labelled). docs/monitoring.md has the figures for
the whole pool.
"""

from __future__ import annotations

import csv
import itertools
import re
from datetime import datetime

from sqlalchemy import select

from minsheng.core.timeutil import local_zone
from minsheng.events.config import ClusterConfig
from minsheng.items.models import Item
from minsheng.items.schemas import ItemIn
from tests.conftest import SHARED, shared_missing
from tests.events.conftest import make_source, store

POOL = SHARED / "data" / "teddycup" / "hot_issue_pool.csv"
STORIES = {
    "伊景园车位": (r"伊景园|滨河苑", r"车位|捆绑|购房|职工|定向"),
    "丽发搅拌站": (r"丽发", r"搅拌"),
}
PERIODS = ((datetime(2019, 8, 10), datetime(2019, 9, 2)), (datetime(2019, 11, 25), datetime(2019, 12, 25)))
BATCH = 50


def _label(text: str) -> str | None:
    found = [
        name
        for name, (place, matter) in STORIES.items()
        if re.search(place, text) and re.search(matter, text)
    ]
    return found[0] if len(found) == 1 else None


def _moment(value: str) -> datetime | None:
    for layout in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value.strip(), layout)
        except ValueError:
            continue
    return None


def _messages() -> list[tuple[datetime, dict[str, str]]]:
    if not POOL.exists():
        shared_missing(f"{POOL} is missing")
    with POOL.open(encoding="utf-8", newline="") as handle:
        rows = [(_moment(row["time"]), row) for row in csv.DictReader(handle)]
    chosen = [(t, row) for t, row in rows if t and any(a <= t < b for a, b in PERIODS)]
    return sorted(((t.replace(tzinfo=local_zone()), row) for t, row in chosen), key=lambda pair: pair[0])


def test_silver_stories_cluster_with_high_precision(session):
    messages = _messages()
    source = make_source(session, "问政平台")
    config = ClusterConfig()
    labels: dict[int, str | None] = {}
    moments: dict[int, datetime] = {}
    for start in range(0, len(messages), BATCH):
        chunk = messages[start : start + BATCH]
        posts = [
            ItemIn(id=row["message_id"], title=row["title"], text=row["detail"], published_at=t)
            for t, row in chunk
        ]
        items, _ = store(session, source, posts, now=chunk[-1][0], config=config)
        by_ref = {item.external_id: item for item in items}
        for t, row in chunk:
            item = by_ref[row["message_id"]]
            labels[item.id] = _label(row["title"] + row["detail"])
            moments[item.id] = t
    session.commit()
    events = {row.id: row.event_id for row in session.execute(select(Item.id, Item.event_id))}
    labelled = sorted(i for i, label in labels.items() if label)
    assert len(labelled) > 60

    window = config.window_hours * 3600
    near = [
        (a, b)
        for a, b in itertools.combinations(labelled, 2)
        if labels[a] == labels[b] and abs((moments[a] - moments[b]).total_seconds()) <= window
    ]
    together = [(a, b) for a, b in near if events[a] is not None and events[a] == events[b]]
    recall = len(together) / len(near)
    both = [
        (a, b)
        for a, b in itertools.combinations(labelled, 2)
        if events[a] is not None and events[a] == events[b]
    ]
    precision = sum(labels[a] == labels[b] for a, b in both) / len(both)
    assert recall >= 0.5, recall
    assert precision >= 0.95, precision

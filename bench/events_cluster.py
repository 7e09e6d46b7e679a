"""Throughput of `cluster_items` on real messages, on one core, with SQLite.

Run: .venv/bin/python bench/events_cluster.py [--items N] [--rounds R] [--batch B]
Items are the Teddy Cup hot-issue pool (long citizen messages) and the Weibo rumour posts (short), spread over
72 hours in their own order, with one in ten reposted by another source. They are stored and analysed once
into a template database; each round copies it and clusters every item in feed-sized batches, timing
`cluster_items` only (its reads and writes included), in wall-clock and in CPU time (steadier on a shared
machine). A last round times the whole store path (text analysis, insert, clustering, commit) for the
end-to-end figure. The last line is JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
REPOST_EVERY = 10


def one_core() -> None:
    """Pin this process to one core and keep numeric libraries single-threaded."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def messages(limit: int) -> list[tuple[str, str]]:
    """(title, text) pairs from the shared data sets, alternating long messages and short posts."""
    long_rows: list[tuple[str, str]] = []
    short_rows: list[tuple[str, str]] = []
    pool = SHARED / "teddycup" / "hot_issue_pool.csv"
    posts = SHARED / "weibo_rumor" / "posts.csv"
    if pool.exists():
        with pool.open(encoding="utf-8", newline="") as handle:
            long_rows = [(row["title"], row["detail"]) for row in csv.DictReader(handle)]
    if posts.exists():
        with posts.open(encoding="utf-8", newline="") as handle:
            short_rows = [("", row["text"]) for row in csv.DictReader(handle)]
    if not (long_rows or short_rows):
        raise SystemExit(f"no data under {SHARED}")
    mixed = [row for pair in zip(long_rows, short_rows, strict=False) for row in pair]
    mixed += long_rows[len(short_rows) :] + short_rows[len(long_rows) :]
    return mixed[:limit]


def build_template(path: Path, count: int) -> int:
    """Store and analyse the items (unclustered) into a new SQLite database; return how many were stored."""
    from minsheng.core.database import make_engine, make_sessionmaker
    from minsheng.core.timeutil import utcnow
    from minsheng.items.schemas import ItemIn
    from minsheng.items.service import store_items
    from minsheng.models import Base
    from minsheng.text.analysis import TextEngine

    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    text_engine = TextEngine()
    rows = messages(count)
    now = utcnow()
    step = timedelta(hours=72) / max(1, len(rows))
    with make_sessionmaker(engine)() as session:
        sources = [_source(session, f"源{n}", "key" if n == 0 else "normal") for n in range(3)]
        for start in range(0, len(rows), 500):
            per_source: list[list[ItemIn]] = [[], [], []]
            for n, (title, text) in enumerate(rows[start : start + 500]):
                at = now - timedelta(hours=72) + (start + n) * step
                per_source[n % 2].append(ItemIn(id=f"m{start + n}", title=title, text=text, published_at=at))
                if (start + n) % REPOST_EVERY == 0:
                    copy = ItemIn(id=f"r{start + n}", title=title, text="转发微博 " + text, published_at=at)
                    per_source[2].append(copy)
            for source, batch in zip(sources, per_source, strict=True):
                store_items(session, source=source, items=batch, engine=text_engine, now=now)
            session.commit()
        total = session.execute(_count()).scalar_one()
    engine.dispose()
    return total


def _count():
    from sqlalchemy import func, select

    from minsheng.items.models import Item

    return select(func.count()).select_from(Item)


def _source(session, name: str, tier: str):
    from minsheng.sources.models import Source

    source = Source(
        name=name,
        kind="push",
        tier=tier,
        interval_minutes=30,
        timeout_seconds=10,
        max_bytes=100_000,
        is_enabled=True,
        consecutive_failures=0,
    )
    session.add(source)
    session.flush()
    return source


def cluster_round(path: Path, batch: int) -> dict[str, float]:
    """Cluster every item of a copy of the template in published order; time cluster_items only."""
    from sqlalchemy import func, select

    from minsheng.core.database import make_engine, make_sessionmaker
    from minsheng.core.timeutil import utcnow
    from minsheng.events.cache import cached_state, forget_states
    from minsheng.events.clustering import cluster_items
    from minsheng.events.models import Event
    from minsheng.items.models import Item

    forget_states()
    engine = make_engine(f"sqlite:///{path}")
    spent = cpu = 0.0
    now = utcnow()
    with make_sessionmaker(engine)() as session:
        ids = list(session.scalars(select(Item.id).order_by(Item.published_at, Item.id)))
        session.rollback()
        for start in range(0, len(ids), batch):
            items = list(session.scalars(select(Item).where(Item.id.in_(ids[start : start + batch]))))
            began, began_cpu = time.perf_counter(), time.process_time()
            cluster_items(session, items, now=now)
            spent += time.perf_counter() - began
            cpu += time.process_time() - began_cpu
            session.commit()
        state = cached_state(session)
        events = session.scalar(select(func.count()).select_from(Event))
        clustered = session.scalar(select(func.count()).where(Item.event_id.is_not(None)))
        copies = session.scalar(select(func.count()).where(Item.dup_group_id != Item.id))
        figures = {
            "items": len(ids),
            "seconds": spent,
            "cpu_seconds": cpu,
            "items_per_second": len(ids) / spent,
            "cpu_items_per_second": len(ids) / cpu,
            "events": events,
            "clustered": clustered,
            "copies": copies,
            "waiting_groups": len(state.pending) if state else 0,
        }
    engine.dispose()
    return figures


def end_to_end(count: int, batch: int, workdir: Path, *, cluster: bool = True) -> float:
    """Store (analyse, insert) and cluster the items from scratch; return items per second."""
    from minsheng.core.database import make_engine, make_sessionmaker
    from minsheng.core.timeutil import utcnow
    from minsheng.events.cache import forget_states
    from minsheng.events.clustering import cluster_stored
    from minsheng.items.schemas import ItemIn
    from minsheng.items.service import store_items
    from minsheng.models import Base
    from minsheng.text.analysis import TextEngine

    forget_states()
    engine = make_engine(f"sqlite:///{workdir / f'e2e-{cluster}.db'}")
    Base.metadata.create_all(engine)
    text_engine = TextEngine()
    text_engine.analyze("预热")
    rows = messages(count)
    now = utcnow()
    step = timedelta(hours=72) / max(1, len(rows))
    with make_sessionmaker(engine)() as session:
        source = _source(session, "源", "normal")
        session.commit()
        began = time.perf_counter()
        for start in range(0, len(rows), batch):
            data = [
                ItemIn(
                    id=f"m{start + n}",
                    title=t,
                    text=x,
                    published_at=now - timedelta(hours=72) + (start + n) * step,
                )
                for n, (t, x) in enumerate(rows[start : start + batch])
            ]
            stored = store_items(session, source=source, items=data, engine=text_engine, now=now)
            if cluster:
                cluster_stored(session, item_ids=stored.ids, now=now)
            session.commit()
        spent = time.perf_counter() - began
    engine.dispose()
    return len(rows) / spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=7000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--e2e-items", type=int, default=2000)
    args = parser.parse_args()
    one_core()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        template = workdir / "template.db"
        began = time.perf_counter()
        stored = build_template(template, args.items)
        print(f"template: {stored} items stored and analysed in {time.perf_counter() - began:.1f} s")
        rounds = []
        for number in range(args.rounds):
            copy = workdir / f"round{number}.db"
            shutil.copyfile(template, copy)
            figures = cluster_round(copy, args.batch)
            rounds.append(figures)
            print(
                f"round {number + 1}: {figures['items_per_second']:.0f} items/s "
                f"({figures['seconds'] * 1000 / figures['items']:.3f} ms/item; CPU "
                f"{figures['cpu_seconds'] * 1000 / figures['items']:.3f} ms/item), "
                f"{figures['events']} events, "
                f"{figures['clustered']} items in events, {figures['copies']} copies, "
                f"{figures['waiting_groups']} groups waiting"
            )
        rate = statistics.median(r["items_per_second"] for r in rounds)
        cpu_rate = statistics.median(r["cpu_items_per_second"] for r in rounds)
        e2e = end_to_end(args.e2e_items, args.batch, workdir)
        bare = end_to_end(args.e2e_items, args.batch, workdir, cluster=False)
        print(f"end to end (analyse, store, cluster): {e2e:.0f} items/s over {args.e2e_items} items")
        print(f"the same without clustering: {bare:.0f} items/s")
    last = rounds[-1]
    print(
        json.dumps(
            {
                "benchmark": "events_cluster",
                "items": last["items"],
                "batch": args.batch,
                "items_per_second": round(rate),
                "ms_per_item": round(1000 / rate, 3),
                "cpu_items_per_second": round(cpu_rate),
                "cpu_ms_per_item": round(1000 / cpu_rate, 3),
                "events": last["events"],
                "clustered": last["clustered"],
                "copies": last["copies"],
                "end_to_end_items_per_second": round(e2e),
                "end_to_end_without_clustering": round(bare),
            }
        )
    )


if __name__ == "__main__":
    main()

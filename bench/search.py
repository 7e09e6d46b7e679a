"""Substring search at scale: build N items of real Chinese text with bulk inserts, then time the search page.

Run:
    .venv/bin/python bench/search.py --items 1000000 --db var/bench/search-1m.db          # build, measure
    .venv/bin/python bench/search.py --items 1000000 --db var/bench/search-1m.db --reuse  # measure only
    .venv/bin/python bench/search.py --items 50000 --postgres postgresql+psycopg://postgres@127.0.0.1/SCRATCH

Texts are 30–400 characters cut from real citizen messages, Weibo posts, reviews and headlines in
../shared/data (the simulator's chatter when that is absent). Queries mix 2-, 3-, 4- and 6-character needles,
common and rare; each is timed as the items page runs it: one page of `search_items` (the UI's page size),
the capped total (`count_items`) and the facets. The last line is JSON with p50/p95 per part and per page.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CORPORA = (
    ("teddycup/bodies.csv", "detail"),
    ("teddycup/hot_issue_pool.csv", "detail"),
    ("teddycup/titles.csv", "title"),
    ("weibo_emotion/usual_eval_labeled.csv", "content"),
    ("weibo_emotion/virus_train.csv", "content"),
    ("weibo_rumor/posts.csv", "text"),
    ("review_sentiment/waimai_10k.csv", "review"),
    ("review_sentiment/ChnSentiCorp_htl_all.csv", "review"),
    ("thucnews_titles_10class/dev.csv", "text"),
)
CATEGORIES = ("城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生", None)
SENTIMENTS = ("negative", "neutral", "positive")
REGIONS = ("371502", "371503", "371521", "371522", "371524", "371525", "371526", "371581", None)
# Planted into five items each, so that "rare" queries have a known, small number of hits.
PLANTED = ("镕基路拓宽", "嵩岚小区停水", "翟庄夜市")
RARE = ("镕基", "嵩岚", "镕基路", "翟庄夜", "嵩岚小区", "翟庄夜市", "嵩岚小区停水")
COMMON = ("小区", "停水", "物业", "噪音", "公交", "投诉", "幸福", "工资", "学校", "医院")
COMMON_3 = ("停车位", "居民楼", "开发商", "公交车", "医保卡", "幼儿园")
COMMON_4 = ("物业公司", "拖欠工资", "噪音扰民", "希望政府", "小区业主", "交通拥堵")
COMMON_6 = ("有关部门处理", "希望相关部门", "严重影响居民", "小区物业管理", "新型冠状病毒", "影响周边居民")
MISSING = ("龘靐", "龘靐齉", "齉龘靐齾", "龘靐齉齾爩鱻")
PAGE_SIZE = 30
SOURCES = 20


def _sentences() -> list[str]:
    """Split the shared corpora into sentences (the simulator's chatter when they are missing)."""
    pieces: list[str] = []
    for name, column in CORPORA:
        path = SHARED / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                text = (row.get(column) or "").strip()
                for part in text.replace("！", "。").replace("？", "。").split("。"):
                    part = part.strip()
                    if 4 <= len(part) <= 200:
                        pieces.append(part + "。")
    if not pieces:
        from minsheng.demo.chatter import Chatter

        chatter = Chatter(random.Random(7))
        pieces = [chatter.background().text for _ in range(20_000)]
    return pieces


def _text(rng: random.Random, sentences: list[str]) -> str:
    target = int(rng.triangular(30, 400, 90))
    parts: list[str] = []
    size = 0
    while size < target:
        piece = rng.choice(sentences)
        parts.append(piece)
        size += len(piece)
    return "".join(parts)[:400]


def build(url: str, *, count: int, seed: int) -> None:
    """Create the schema and fill it with `count` items in bulk (search structures rebuilt at the end)."""
    from sqlalchemy import insert

    from minsheng.core.database import make_engine
    from minsheng.core.timeutil import utcnow
    from minsheng.items import fts
    from minsheng.items.models import Item
    from minsheng.models import Base
    from minsheng.sources.models import Source

    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    rng = random.Random(seed)
    sentences = _sentences()
    rare_slots = {rng.randrange(count): word for word in PLANTED for _ in range(5)}
    now = utcnow()
    is_sqlite = engine.dialect.name == "sqlite"
    started = time.perf_counter()
    with engine.begin() as conn:
        if is_sqlite:
            for statement in fts.SQLITE_DROP[:3]:
                conn.exec_driver_sql(statement)
        else:
            for index in fts.TRGM_INDEXES:
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")
        conn.execute(
            insert(Source),
            [
                {
                    "name": f"来源{n}",
                    "kind": "rss",
                    "url": f"https://s{n}.example/rss",
                    "tier": "key" if n < 4 else "normal",
                    "interval_minutes": 30,
                    "timeout_seconds": 20.0,
                    "max_bytes": 5 << 20,
                    "is_enabled": True,
                    "consecutive_failures": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(1, SOURCES + 1)
            ],
        )
    batch = 5000
    for start in range(0, count, batch):
        rows = []
        for n in range(start, min(count, start + batch)):
            body = _text(rng, sentences)
            if n in rare_slots:
                cut = rng.randrange(len(body))
                body = body[:cut] + rare_slots[n] + body[cut:]
            moment = now - timedelta(seconds=(count - n) * 30 + rng.randrange(600))
            rows.append(
                {
                    "source_id": 1 + n % SOURCES,
                    "url": f"https://s{1 + n % SOURCES}.example/a/{n}",
                    "url_key": f"{n:064x}",
                    "content_hash": f"{n:064x}",
                    "title": body[: rng.randrange(8, 30)] if rng.random() < 0.4 else "",
                    "text": body,
                    "published_at": moment,
                    "fetched_at": moment,
                    "category": rng.choice(CATEGORIES),
                    "sentiment": rng.choice(SENTIMENTS),
                    "region_code": rng.choice(REGIONS),
                    "harm_signals": [],
                    "places": [],
                    "departments": [],
                    "keywords": [],
                }
            )
        with engine.begin() as conn:
            conn.execute(insert(Item), rows)
        if start % 100_000 == 0:
            print(f"{start + len(rows):>9} items, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    with engine.begin() as conn:
        if is_sqlite:
            conn.exec_driver_sql("INSERT INTO item_fts(item_fts) VALUES ('rebuild')")
            for statement in fts.SQLITE_DDL[1:]:
                conn.exec_driver_sql(statement)
            fill_grams(conn)
            conn.exec_driver_sql("ANALYZE")
        else:
            fts.create_search_objects(conn)
            conn.exec_driver_sql("ANALYZE item")
    print(f"built {count} items in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    engine.dispose()


def fill_grams(conn: object) -> None:
    """Fill the bigram index from the stored items (the bulk insert bypassed the items service)."""
    from minsheng.items import fts

    last = 0
    while True:
        rows = conn.exec_driver_sql(  # type: ignore[attr-defined]
            "SELECT id, title, text FROM item WHERE id > ? ORDER BY id LIMIT 5000", (last,)
        ).fetchall()
        if not rows:
            return
        fts.index_grams(conn, [tuple(row) for row in rows])  # type: ignore[arg-type]
        last = rows[-1][0]


def _queries() -> list[tuple[str, str]]:
    words = [*COMMON, *COMMON_3, *COMMON_4, *COMMON_6, *RARE, *MISSING]
    return [
        (word, f"{len(word)}:{'rare' if word in RARE or word in MISSING else 'common'}") for word in words
    ]


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1), "p95_ms": round(p95 * 1000, 1)}


def measure(url: str, *, repeats: int) -> dict[str, object]:
    """Time each query as the items page runs it: one page, the total and the facets."""
    from minsheng.core.database import make_engine, make_sessionmaker
    from minsheng.items.search import ItemFilter, count_items, facets, search_items

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    parts: dict[str, list[float]] = {"search": [], "count": [], "facets": [], "page": []}
    by_query: dict[str, dict[str, float]] = {}
    with factory() as session:
        total = session.execute(__import__("sqlalchemy").text("SELECT count(*) FROM item")).scalar_one()
        for _ in range(repeats):
            for query, label in _queries():
                spec = ItemFilter(q=query)
                started = time.perf_counter()
                found = search_items(session, spec=spec, limit=PAGE_SIZE)
                searched = time.perf_counter()
                hits = count_items(session, spec=spec)
                counted = time.perf_counter()
                facets(session, spec=spec)
                done = time.perf_counter()
                parts["search"].append(searched - started)
                parts["count"].append(counted - searched)
                parts["facets"].append(done - counted)
                parts["page"].append(done - started)
                slowest = by_query.setdefault(query, {"label": label, "hits": hits, "page_ms": 0.0})
                slowest["page_ms"] = max(slowest["page_ms"], round((done - started) * 1000, 1))
                slowest["shown"] = len(found)
                session.rollback()
    engine.dispose()
    return {
        "items": total,
        "queries": len(_queries()),
        "repeats": repeats,
        **{name: _ms(values) for name, values in parts.items()},
        "per_query": by_query,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench" / "search.db")
    parser.add_argument("--postgres", help="Build and measure on this PostgreSQL URL instead (it is emptied)")
    parser.add_argument(
        "--reuse", action="store_true", help="Measure an existing database without rebuilding"
    )
    parser.add_argument("--build-only", action="store_true", help="Build the database and stop")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.postgres:
        url = args.postgres
    else:
        args.db.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{args.db.resolve()}"
    if not args.reuse:
        build(url, count=args.items, seed=args.seed)
    if args.build_only:
        return
    result = measure(url, repeats=args.repeats)
    for query, row in result["per_query"].items():  # type: ignore[union-attr]
        print(f"{row['label']:>9} {query:<10} hits {row['hits']:>8}  slowest page {row['page_ms']} ms")
    print(json.dumps({k: v for k, v in result.items() if k != "per_query"}, ensure_ascii=False))


if __name__ == "__main__":
    main()

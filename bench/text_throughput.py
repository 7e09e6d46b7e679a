"""Throughput of the full `analyze_many` path on ~250-character items, on one core.

Run: .venv/bin/python bench/text_throughput.py [--items N] [--rounds R]
The last line is JSON with `items_per_second` (median of the rounds).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ITEM_CHARS = 250


def one_core() -> None:
    """Pin this process to one core and keep numeric libraries single-threaded."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def sample_items(count: int) -> list[str]:
    """Build ~250-character items from real citizen messages (or a built-in complaint when absent)."""
    path = SHARED / "teddycup" / "bodies.csv"
    texts: list[str] = []
    if path.exists():
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                texts.append("".join(row))
    if not texts:
        texts = [
            "聊城市东昌府区古楼街道柳园路附近工地夜间施工噪音扰民，居民多次反映无果，请有关部门尽快处理。"
        ]
    joined = "".join(texts)
    span = max(1, len(joined) - ITEM_CHARS)
    return [joined[(i * ITEM_CHARS) % span :][:ITEM_CHARS] for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    one_core()
    from minsheng.org.division import jurisdiction_entries
    from minsheng.text.analysis import TextEngine
    from minsheng.text.gazetteer import Gazetteer

    engine = TextEngine(gazetteer=Gazetteer(regions=jurisdiction_entries("371500")))
    items = sample_items(args.items)
    engine.analyze_many(items[:50])
    rates = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        engine.analyze_many(items)
        rates.append(len(items) / (time.perf_counter() - start))
    median = statistics.median(rates)
    print(f"analyze_many: {median:,.0f} items/s ({ITEM_CHARS}-char items, one core, default rules)")
    print(
        json.dumps(
            {
                "items_per_second": round(median, 1),
                "item_chars": ITEM_CHARS,
                "items": len(items),
                "rounds": args.rounds,
            }
        )
    )


if __name__ == "__main__":
    main()

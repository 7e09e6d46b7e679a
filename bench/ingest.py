"""Ingest throughput: local RSS feeds through fetch, parse, analyse, store, clustering and rules.

Run: .venv/bin/python bench/ingest.py [--feeds 20] [--items 100] [--runs 3] [--profile FILE]

A local server serves `--feeds` RSS feeds of `--items` items of about 250 characters each, written by the
demo simulator's templates. Each run starts from a fresh copy of a seeded SQLite database (the demo city's
regions and departments, so the text engine sees real names), adds one source per feed and times
`sources.ingest.run_round` — what `minsheng ingest --once` does, clustering included once the events package
hooks into it — followed by one warning round when the warning package is importable.
The last line is JSON: `items_per_second` (median of the runs) and the per-phase seconds of the median run.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ITEM_CHARS = 250


def make_feeds(feeds: int, items: int, *, seed: int = 1) -> dict[str, bytes]:
    """Write RSS 2.0 feeds of simulated posts (about ITEM_CHARS characters each)."""
    from minsheng.core.timeutil import utcnow
    from minsheng.demo.chatter import Chatter

    chatter = Chatter(random.Random(seed))
    now = utcnow()
    bodies = {}
    for f in range(feeds):
        entries = []
        for n in range(items):
            text = ""
            while len(text) < ITEM_CHARS:
                text += chatter.background().text
            text = text[:ITEM_CHARS]
            title = text.split("，", 1)[0][:28]
            when = format_datetime(now - timedelta(minutes=f * items + n))
            entries.append(
                f"<item><title>{escape(title)}</title><link>http://feeds.example/{f}/{n}.html</link>"
                f"<guid>feed{f}-{n}</guid><pubDate>{when}</pubDate>"
                f"<description>{escape('<p>' + text + '</p>')}</description></item>"
            )
        bodies[f"/feed/{f}.xml"] = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>模拟新闻源 {f}</title><link>http://feeds.example/{f}</link>"
            f"{''.join(entries)}</channel></rss>"
        ).encode()
    return bodies


def make_burst_feed(items: int, *, seed: int = 7) -> bytes:
    """One feed of posts about a single story (a chemical smell by the river), all from the last minutes."""
    from minsheng.core.timeutil import utcnow
    from minsheng.demo.chatter import Chatter

    chatter = Chatter(random.Random(seed))
    now = utcnow()
    entries = []
    for n in range(items):
        post = chatter.burst("pollution")
        title = post.text.split("，", 1)[0][:28]
        entries.append(
            f"<item><title>{escape(title)}</title><link>http://burst.example/{n}.html</link>"
            f"<guid>burst-{n}</guid><pubDate>{format_datetime(now - timedelta(seconds=10 * n))}</pubDate>"
            f"<description>{escape(post.text)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>突发</title>'
        f"{''.join(entries)}</channel></rss>"
    ).encode()


def burst_to_alert(factory: Any, settings: Any, engines: Any, base: str) -> float | None:
    """Seconds from the start of the ingest round that fetches a burst to its alert being stored.

    The round is what the every-minute job does: fetch, store, cluster, then the warning round it triggers.
    """
    from sqlalchemy import select

    from minsheng.core.database import unit_of_work
    from minsheng.sources import ingest, service
    from minsheng.sources.schemas import SourceCreate
    from minsheng.warning.jobs import evaluate_and_notify
    from minsheng.warning.models import Alert
    from minsheng.warning.rules import install_default_rules

    with unit_of_work(factory) as session:
        install_default_rules(session)
        service.create_source(
            session,
            data=SourceCreate(name="突发新闻源", kind="rss", url=f"{base}/burst.xml", tier="key"),
            settings=settings,
        )
    started = time.perf_counter()
    ingest.run_round(factory, settings=settings, engines=engines)
    evaluate_and_notify(factory, settings=settings)
    elapsed = time.perf_counter() - started
    with factory() as session:
        found = session.scalars(select(Alert.title).where(Alert.event_id.is_not(None))).all()
    print(f"burst alerts: {found}", file=sys.stderr)
    return elapsed if found else None


@contextmanager
def serve(routes: dict[str, bytes]):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = routes.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class PhaseClock:
    """Add up the seconds spent inside wrapped functions, by phase."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._undo: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, name: str, phase: str) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - started

        setattr(owner, name, timed)
        self._undo.append((owner, name, original))

    def restore(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()


def seeded_database(folder: Path) -> Path:
    """Build the demo city once (regions, departments) to copy for every run."""
    from minsheng.core.settings import Settings
    from minsheng.demo.seed import build_demo

    path = folder / "seed.db"
    build_demo(Settings(database_url=f"sqlite:///{path}", data_dir=folder, secret_key="bench"))
    return path


def run_once(
    seed_db: Path, folder: Path, base: str, feeds: int, *, profile: Path | None, burst: bool = False
) -> dict[str, Any]:
    from sqlalchemy import func, select

    from minsheng.core.database import make_engine, make_sessionmaker, unit_of_work
    from minsheng.core.settings import Settings
    from minsheng.items.models import Item
    from minsheng.sources import ingest, service
    from minsheng.sources.schemas import SourceCreate
    from minsheng.text.analysis import TextEngine
    from minsheng.text.engine_cache import EngineCache

    path = folder / "run.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(seed_db, path)
    settings = Settings(
        database_url=f"sqlite:///{path}",
        data_dir=folder,
        secret_key="bench",
        fetch_host_delay_seconds=0.0,
        fetch_concurrency=4,
    )
    database = make_engine(settings.resolved_database_url)
    factory = make_sessionmaker(database)
    with unit_of_work(factory) as session:
        for f in range(feeds):
            service.create_source(
                session,
                data=SourceCreate(name=f"模拟新闻源 {f}", kind="rss", url=f"{base}/feed/{f}.xml"),
                settings=settings,
            )
    engines = EngineCache(settings)
    with factory() as session:
        engines.get(session)  # the ingest daemon keeps its engine warm between rounds
    clock = PhaseClock()
    clock.wrap(ingest, "fetch_all", "fetch")
    clock.wrap(ingest, "parse_entries", "parse")
    clock.wrap(ingest, "store_items", "store")
    clock.wrap(TextEngine, "analyze_many", "analyse")
    try:
        from minsheng.events import clustering
    except ImportError:
        clustering = None
    if clustering is not None and hasattr(clustering, "cluster_items"):
        clock.wrap(clustering, "cluster_items", "cluster")
    try:
        from minsheng.warning.evaluate import run_round as warning_round
    except ImportError:
        warning_round = None
    profiler = cProfile.Profile() if profile else None
    cpu_started = time.process_time()
    started = time.perf_counter()
    try:
        if profiler:
            profiler.enable()
        reports = ingest.run_round(factory, settings=settings, engines=engines)
        if warning_round is not None:
            rules_started = time.perf_counter()
            with unit_of_work(factory) as session:
                warning_round(session, settings=settings)
            clock.seconds["rules"] += time.perf_counter() - rules_started
        if profiler:
            profiler.disable()
    finally:
        clock.restore()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    if profiler and profile:
        profiler.dump_stats(str(profile))
    failed = [r.summary() for r in reports if not r.ok]
    if failed:
        raise SystemExit("\n".join(failed))
    with factory() as session:
        stored = session.scalar(select(func.count()).select_from(Item)) or 0
    # The items just stored are the history the burst stands out against.
    latency = burst_to_alert(factory, settings, engines, base) if burst and warning_round else None
    database.dispose()
    phases = dict(clock.seconds)
    # store_items contains the analysis; report storing without it.
    phases["store"] = phases.get("store", 0.0) - phases.get("analyse", 0.0)
    phases["other"] = elapsed - sum(phases.values())
    return {
        "items": stored,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "items_per_second": stored / elapsed,
        "phases": phases,
        "burst_to_alert_seconds": latency,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--profile", type=Path, help="Write a cProfile of the last run here and print its top"
    )
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    routes = make_feeds(args.feeds, args.items)
    routes["/burst.xml"] = make_burst_feed(40)
    results = []
    with tempfile.TemporaryDirectory(prefix="minsheng-bench-") as tmp, serve(routes) as base:
        folder = Path(tmp)
        seed_db = seeded_database(folder / "seed")
        for run in range(args.runs):
            profile = args.profile if args.profile and run == args.runs - 1 else None
            last = run == args.runs - 1
            result = run_once(seed_db, folder, base, args.feeds, profile=profile, burst=last)
            results.append(result)
            phases = ", ".join(f"{k} {v:.2f}" for k, v in result["phases"].items())
            print(
                f"run {run + 1}: {result['items']} items in {result['seconds']:.2f} s = "
                f"{result['items_per_second']:.0f} items/s, {result['cpu_seconds']:.2f} s CPU ({phases})",
                file=sys.stderr,
            )
    if args.profile:
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(30)
    median = sorted(results, key=lambda r: r["items_per_second"])[len(results) // 2]
    print(
        json.dumps(
            {
                "items_per_second": round(statistics.median(r["items_per_second"] for r in results), 1),
                "items": median["items"],
                "runs": args.runs,
                "seconds": round(median["seconds"], 3),
                # CPU time of this process (server threads included): what the round costs on an idle core.
                "cpu_seconds": round(median["cpu_seconds"], 3),
                "items_per_cpu_second": round(median["items"] / median["cpu_seconds"], 1),
                "phases_seconds": {k: round(v, 3) for k, v in median["phases"].items()},
                # Seconds from the start of the round that fetches a burst to its alert (last run).
                "burst_to_alert_seconds": (
                    round(results[-1]["burst_to_alert_seconds"], 2)
                    if results[-1]["burst_to_alert_seconds"] is not None
                    else None
                ),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()

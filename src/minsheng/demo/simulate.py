"""A synthetic stream of public posts for the demo city, with bursts that ramp up over minutes.

Everything written is marked as synthetic: it comes from the push source 模拟数据（演示） and every URL is
under the reserved host sim.invalid (RFC 2606), so no simulated post can be taken for a real one.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from minsheng.core.database import make_engine, make_sessionmaker, unit_of_work
from minsheng.core.settings import Settings
from minsheng.core.timeutil import UTC, utcnow
from minsheng.demo.chatter import BURSTS, Chatter, Post
from minsheng.items.schemas import ItemIn

SIM_SOURCE = "模拟数据（演示）"
SIM_HOST = "sim.invalid"
AUTHOR_PREFIX = "模拟用户"


@dataclass(frozen=True)
class SimPost:
    """A post placed in time, with the ids that make it idempotent to store."""

    at: datetime
    post: Post
    external_id: str
    url: str
    author: str

    def record(self) -> dict[str, str]:
        """Return the post as a line of `minsheng items import` JSONL."""
        return {
            "id": self.external_id,
            "url": self.url,
            "title": self.post.title,
            "text": self.post.text,
            "published_at": self.at.isoformat(),
            "author": self.author,
        }

    def item(self) -> ItemIn:
        return ItemIn.model_validate(self.record())


@dataclass(frozen=True)
class BurstPlan:
    """When a burst starts (minutes after the stream's start) and how its volume goes."""

    key: str
    start_minute: float

    def rate(self, minute: float) -> float:
        """Posts per minute: doubling every few minutes up to the peak, a plateau, then a fade."""
        kind = BURSTS[self.key]
        k = minute - self.start_minute
        if k < 0 or k >= kind.duration_minutes:
            return 0.0
        if k < kind.ramp_minutes:
            return kind.peak_per_minute * 2 ** ((k - kind.ramp_minutes) / 3)
        fade_from = kind.duration_minutes * 0.7
        if k < fade_from:
            return kind.peak_per_minute
        return kind.peak_per_minute * (kind.duration_minutes - k) / (kind.duration_minutes - fade_from)


@dataclass
class Simulation:
    """Background chatter at `rate` posts a minute plus the chosen bursts, deterministic for a seed."""

    start: datetime
    minutes: int
    rate: float
    bursts: Sequence[str]
    seed: int
    jurisdiction: str = "371500"
    plans: list[BurstPlan] = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.chatter = Chatter(self.rng, jurisdiction=self.jurisdiction)
        self.run_id = f"{self.start.astimezone(UTC):%Y%m%dT%H%M}-s{self.seed}"
        self._serial = 0
        # Bursts start between a tenth and half of the span, staggered, so the demo shows them one by one.
        span = max(1.0, self.minutes * 0.4)
        self.plans = [
            BurstPlan(key, self.minutes * 0.1 + span * (i + self.rng.random()) / max(1, len(self.bursts)))
            for i, key in enumerate(self.bursts)
        ]

    def _count(self, mean: float) -> int:
        """Draw a Poisson count (Knuth for small means, a rounded normal for large ones)."""
        if mean <= 0:
            return 0
        if mean > 30:
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        limit, product, count = math.exp(-mean), self.rng.random(), 0
        while product > limit:
            product *= self.rng.random()
            count += 1
        return count

    def _place(self, post: Post, at: datetime) -> SimPost:
        self._serial += 1
        n = self._serial
        return SimPost(
            at=at,
            post=post,
            external_id=f"sim-{self.run_id}-{n}",
            url=f"https://{SIM_HOST}/{self.run_id}/{post.kind}/{n}",
            author=f"{AUTHOR_PREFIX}{self.rng.randrange(10_000):04d}",
        )

    def minute(self, index: int) -> list[SimPost]:
        """Return the posts of one minute of the stream, in time order (call minutes in order)."""
        posts: list[tuple[float, Post]] = []
        for _ in range(self._count(self.rate)):
            posts.append((self.rng.random(), self.chatter.background()))
        for plan in self.plans:
            for _ in range(self._count(plan.rate(index + 0.5))):
                posts.append((self.rng.random(), self.chatter.burst(plan.key)))
        posts.sort(key=lambda pair: pair[0])
        base = self.start + timedelta(minutes=index)
        return [self._place(post, base + timedelta(seconds=int(60 * offset))) for offset, post in posts]

    def stream(self) -> Iterator[list[SimPost]]:
        """Yield the posts minute by minute."""
        for index in range(self.minutes):
            yield self.minute(index)


def parse_bursts(value: str) -> list[str]:
    """Read --bursts: `all`, `none`, or kinds separated by commas."""
    value = value.strip().lower()
    if value in ("", "none"):
        return []
    if value == "all":
        return list(BURSTS)
    kinds = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [kind for kind in kinds if kind not in BURSTS]
    if unknown:
        raise ValueError(f"未知的突发类型：{', '.join(unknown)}（可选：{', '.join(BURSTS)}，或 all）")
    return kinds


def write_jsonl(simulation: Simulation, path: Path) -> Counter[str]:
    """Write the whole stream as JSON Lines for `minsheng items import`; return the posts by kind."""
    counts: Counter[str] = Counter()
    with path.open("w", encoding="utf-8") as handle:
        for posts in simulation.stream():
            for post in posts:
                handle.write(json.dumps(post.record(), ensure_ascii=False) + "\n")
                counts[post.post.kind] += 1
    return counts


@dataclass
class WriteReport:
    """What a database run stored."""

    posts: Counter[str] = field(default_factory=Counter)
    created: int = 0
    unchanged: int = 0
    clustered: bool = False


def _store(
    factory: Any, engines: Any, settings: Settings, posts: list[SimPost], now: datetime, report: WriteReport
) -> None:
    from minsheng.events.clustering import cluster_stored
    from minsheng.items.service import store_items
    from minsheng.sources.models import SourceKind
    from minsheng.sources.service import ensure_source

    if not posts:
        return
    with unit_of_work(factory) as session:
        source = ensure_source(session, name=SIM_SOURCE, kind=SourceKind.push, settings=settings)
        stored = store_items(
            session, source=source, items=[p.item() for p in posts], engine=engines.get(session), now=now
        )
        source.last_success_at = now
        # As the push API does: the simulated posts become events the same way real ones would.
        report.clustered = (
            cluster_stored(session, item_ids=stored.ids, now=now, settings=settings) is not None
        )
    report.created += stored.created
    report.unchanged += stored.unchanged
    for post in posts:
        report.posts[post.post.kind] += 1


def write_database(
    simulation: Simulation,
    settings: Settings,
    *,
    live: bool = False,
    every_seconds: float = 5.0,
    echo: Callable[[str], None] = print,
    after_minute: Callable[[Any, datetime], None] | None = None,
) -> WriteReport:
    """Store the stream through the push path (store_items, then the events clustering).

    Without `live` the whole span is written at once, each minute stored as if fetched at its end (then
    `after_minute` runs, e.g. the warning round of that minute); with it, posts are written as their moment
    comes, one batch every few seconds, until the span ends.
    """
    # Every model, so that the clustering's relationships (events to users) can be configured.
    import minsheng.models  # noqa: F401
    from minsheng.text.engine_cache import EngineCache

    database = make_engine(settings.resolved_database_url)
    factory = make_sessionmaker(database)
    engines = EngineCache(settings)
    report = WriteReport()
    try:
        if not live:
            for index, posts in enumerate(simulation.stream()):
                moment = min(simulation.start + timedelta(minutes=index + 1), utcnow())
                _store(factory, engines, settings, posts, moment, report)
                if after_minute is not None:
                    after_minute(factory, moment)
            return report
        waiting: list[SimPost] = []
        minutes = simulation.stream()
        next_minute = 0
        while True:
            now = utcnow()
            while (
                next_minute < simulation.minutes and simulation.start + timedelta(minutes=next_minute) <= now
            ):
                waiting.extend(next(minutes))
                next_minute += 1
            due = [p for p in waiting if p.at <= now]
            waiting = [p for p in waiting if p.at > now]
            if due:
                _store(factory, engines, settings, due, now, report)
                kinds = Counter(p.post.kind for p in due)
                echo(f"{now:%H:%M:%S} 写入 {len(due)} 条：" + "，".join(f"{k} {n}" for k, n in kinds.items()))
            if next_minute >= simulation.minutes and not waiting:
                return report
            time.sleep(every_seconds)
    finally:
        database.dispose()

"""An event's figures: counts, tallies, places, title, keywords and heat, kept up to date as items join."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from minsheng.events.models import Event
from minsheng.events.similarity import Vector, add_to_centroid, cosine, norm, top_terms
from minsheng.text.pii import mask

KEY_TIER = "key"
TIER_WEIGHT = {KEY_TIER: 2.0}
HOUR_FORMAT = "%Y%m%d%H"
KEPT_HOURS = 48
HEAT_HOURS = 24
HALF_LIFE_HOURS = 6.0
GROWTH_HOURS = 6
GROWTH_LIMITS = (0.25, 4.0)
EVENT_KEYWORDS = 10
EVENT_PLACES = 8
TALLY_LIMIT = 40
TITLE_LENGTH = 80
# The representative is the copy-group head nearest the centroid, preferring key sources and titled posts.
KEY_SOURCE_PREFERENCE = 0.15
TITLE_PREFERENCE = 0.05
SENTIMENTS = ("negative", "neutral", "positive")


class ItemFacts(Protocol):
    """What an event needs to know about one of its items (an `Item` or a row with the same names)."""

    id: int
    dup_group_id: int | None
    source_id: int
    published_at: datetime
    sentiment: str | None
    category: str | None
    region_code: str | None
    places: list[dict[str, Any]]
    harm_signals: list[str]
    title: str
    text: str


def hour_key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(HOUR_FORMAT)


def hour_start(key: str) -> datetime:
    # Slicing is an order of magnitude faster than strptime, and heat reads every key of every event.
    return datetime(int(key[:4]), int(key[4:6]), int(key[6:8]), int(key[8:10]), tzinfo=UTC)


_BRACKETED = re.compile(r"^\s*(?:【[^】]{0,12}】|\[[^\]]{0,12}\]|(?:转发|转载|转|Re|RE|回复)[:：])\s*")
_SITE_TAIL = re.compile(r"\s*(?:[-_|｜—]+)\s*[^-_|｜—]{1,16}(?:网|报|新闻|日报|频道|客户端|论坛|官网)$")
_REPOST_TAIL = re.compile(r"\s*//\s*@.*$")
_HASHTAG = re.compile(r"#([^#]{1,40})#")
_URL = re.compile(r"https?://\S+")


def clean_title(title: str, text: str) -> str:
    """Make a headline of an item: drop repost marks, site names and links; else use the text's start."""
    headline = title or ""
    for _ in range(3):
        headline = _BRACKETED.sub("", headline)
    headline = _REPOST_TAIL.sub("", _URL.sub("", headline))
    headline = _SITE_TAIL.sub("", _HASHTAG.sub(r"\1", headline))
    headline = " ".join(headline.split())
    if not headline:
        body = " ".join(_REPOST_TAIL.sub("", _URL.sub("", text or "")).split())
        headline = re.split(r"(?<=[。！？!?])", body, maxsplit=1)[0][:40]
    return mask(headline[:TITLE_LENGTH]) if headline else "（无标题）"


def _bump(tally: dict[str, Any], key: str, amount: int = 1) -> None:
    tally[key] = tally.get(key, 0) + amount


def _trim(tally: dict[str, Any], limit: int = TALLY_LIMIT) -> dict[str, Any]:
    if len(tally) <= limit:
        return tally
    kept = sorted(tally.items(), key=lambda pair: -_count(pair[1]))[:limit]
    return dict(kept)


def _count(value: Any) -> int:
    return value[-1] if isinstance(value, list) else int(value)


def _majority(tally: Mapping[str, Any]) -> str | None:
    if not tally:
        return None
    # Ties go to the longer key: for regions, the more specific one.
    return max(tally.items(), key=lambda pair: (_count(pair[1]), len(pair[0]), pair[0]))[0]


def add_items(
    event: Event,
    items: Sequence[ItemFacts],
    *,
    tiers: Mapping[int, str],
    vectors: Mapping[int, Vector],
    centroid_terms: int,
    now: datetime,
) -> None:
    """Count items into the event and refresh every figure derived from the counts.

    `vectors` holds the keyword vectors of the items that stand for their copy group; only those move the
    centroid, so a post copied a hundred times does not drown the rewordings.
    """
    tallies = {key: dict(value) if isinstance(value, dict) else value for key, value in event.tallies.items()}
    for name in ("categories", "sources", "regions", "places", "harm", "hours"):
        tallies.setdefault(name, {})
    mix = dict(event.sentiment_mix or {})
    centroid = dict(event.centroid or {})
    for item in items:
        _count_item(tallies, mix, item, tiers)
        vector = vectors.get(item.id)
        if vector:
            centroid = add_to_centroid(centroid, vector)
    centroid = top_terms(centroid, centroid_terms)
    event.item_count = (event.item_count or 0) + len(items)
    event.negative_count = (event.negative_count or 0) + sum(1 for i in items if i.sentiment == "negative")
    event.key_tier_count = (event.key_tier_count or 0) + sum(
        1 for i in items if tiers.get(i.source_id) == KEY_TIER
    )
    times = [item.published_at for item in items]
    event.first_seen_at = min([event.first_seen_at, *times]) if event.first_seen_at else min(times)
    event.last_seen_at = max([event.last_seen_at, *times]) if event.last_seen_at else max(times)
    event.sentiment_mix = mix
    event.centroid = centroid
    _pick_representative(event, tallies, items, vectors, tiers)
    _derive(event, tallies, now=now)


def _count_item(
    tallies: dict[str, Any], mix: dict[str, int], item: ItemFacts, tiers: Mapping[int, str]
) -> None:
    if item.sentiment:
        _bump(mix, item.sentiment)
    if item.category:
        _bump(tallies["categories"], item.category)
    _bump(tallies["sources"], str(item.source_id))
    if item.region_code:
        _bump(tallies["regions"], item.region_code)
    for label in set(item.harm_signals or ()):
        _bump(tallies["harm"], label)
    seen: set[str] = set()
    for place in item.places or ():
        name = (place.get("text") or "").strip()
        if not name or name in seen:
            continue
        seen.add(name)
        code, count = tallies["places"].get(name, [place.get("region_code"), 0])
        tallies["places"][name] = [code or place.get("region_code"), count + 1]
    hour = tallies["hours"].get(hour_key(item.published_at), [0, 0.0])
    weight = TIER_WEIGHT.get(tiers.get(item.source_id, ""), 1.0)
    tallies["hours"][hour_key(item.published_at)] = [hour[0] + 1, hour[1] + weight]


def _pick_representative(
    event: Event,
    tallies: dict[str, Any],
    items: Sequence[ItemFacts],
    vectors: Mapping[int, Vector],
    tiers: Mapping[int, str],
) -> None:
    length = norm(event.centroid)
    best = tallies.get("rep")
    for item in items:
        vector = vectors.get(item.id)
        if not vector:
            continue
        score = (
            cosine(vector, event.centroid, length)
            + (KEY_SOURCE_PREFERENCE if tiers.get(item.source_id) == KEY_TIER else 0.0)
            + (TITLE_PREFERENCE if item.title else 0.0)
        )
        if best is None or score > best or event.representative_item_id is None:
            best = score
            event.representative_item_id = item.id
            event.title = clean_title(item.title, item.text)
    if event.representative_item_id is None and items:
        event.representative_item_id = items[0].id
        event.title = clean_title(items[0].title, items[0].text)
    tallies["rep"] = round(best, 4) if best is not None else None


def _derive(event: Event, tallies: dict[str, Any], *, now: datetime) -> None:
    """Set the fields read from the tallies: category, region, places, harm signals, keywords and heat."""
    if tallies["hours"]:
        # Keys sort as times do.
        cutoff = hour_key(hour_start(max(tallies["hours"])) - timedelta(hours=KEPT_HOURS))
        tallies["hours"] = {k: v for k, v in tallies["hours"].items() if k > cutoff}
    for name in ("categories", "regions", "places", "harm"):
        tallies[name] = _trim(tallies[name])
    event.tallies = tallies
    event.source_count = len(tallies["sources"])
    event.category = _majority(tallies["categories"])
    event.region_code = _majority(tallies["regions"])
    ranked = sorted(tallies["places"].items(), key=lambda pair: (-pair[1][1], pair[0]))[:EVENT_PLACES]
    event.places = [{"name": name, "region_code": code, "count": n} for name, (code, n) in ranked]
    event.harm_signals = [label for label, _ in sorted(tallies["harm"].items(), key=lambda p: (-p[1], p[0]))]
    event.keywords = list(top_terms(event.centroid, EVENT_KEYWORDS))
    event.heat = heat(event, now=now)


def heat(event: Event, *, now: datetime) -> float:
    """Recent volume weighted by source tier, growth and negativity (formula in docs/monitoring.md).

    volume = Σ over the last 24 h of (items, key sources counting 2) × 0.5^(age in hours / 6);
    growth = (items in the last 6 h + 1) / (items in the 6 h before + 1), kept within [0.25, 4];
    heat = volume × (1 + share of negative items) × √growth.
    """
    volume = 0.0
    last = previous = 0
    for key, (count, weighted) in (event.tallies or {}).get("hours", {}).items():
        age = max(0.0, (now - hour_start(key)).total_seconds() / 3600 - 0.5)
        if age < HEAT_HOURS:
            volume += weighted * 0.5 ** (age / HALF_LIFE_HOURS)
        if age < GROWTH_HOURS:
            last += count
        elif age < 2 * GROWTH_HOURS:
            previous += count
    if not volume:
        return 0.0
    growth = min(max((last + 1) / (previous + 1), GROWTH_LIMITS[0]), GROWTH_LIMITS[1])
    negative_share = (event.negative_count or 0) / event.item_count if event.item_count else 0.0
    return round(volume * (1 + negative_share) * math.sqrt(growth), 2)


def hourly_counts(event: Event, *, now: datetime, hours: int = HEAT_HOURS) -> list[int]:
    """Items per hour over the last `hours` hours, oldest first, from the tallies (no query)."""
    counts = [0] * hours
    start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    for key, (count, _) in (event.tallies or {}).get("hours", {}).items():
        index = int((hour_start(key) - start).total_seconds() // 3600)
        if 0 <= index < hours:
            counts[index] += count
    return counts


def growth(event: Event, *, now: datetime, hours: int = HEAT_HOURS) -> tuple[int, int]:
    """Items in the last `hours` hours and in the `hours` before them, from the tallies."""
    recent = previous = 0
    for key, (count, _) in (event.tallies or {}).get("hours", {}).items():
        age = (now - hour_start(key)).total_seconds() / 3600
        if age < hours:
            recent += count
        elif age < 2 * hours:
            previous += count
    return recent, previous


def reset(event: Event) -> None:
    """Empty an event's figures before counting its items again (after a merge or a split)."""
    event.item_count = event.negative_count = event.key_tier_count = event.source_count = 0
    event.sentiment_mix = {}
    event.centroid = {}
    event.tallies = {}
    event.places = []
    event.harm_signals = []
    event.keywords = []
    event.representative_item_id = None
    event.first_seen_at = None  # type: ignore[assignment]
    event.last_seen_at = None  # type: ignore[assignment]


def group_heads(items: Iterable[ItemFacts]) -> list[ItemFacts]:
    """One item per copy group: its earliest member present."""
    heads: dict[int, ItemFacts] = {}
    for item in sorted(items, key=lambda i: i.id):
        heads.setdefault(item.dup_group_id or item.id, item)
    return list(heads.values())

"""The pieces without a database: vectors, place agreement, copy matching, titles, heat and tallies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from minsheng.events.duplicates import DuplicateGroups
from minsheng.events.figures import add_items, clean_title, growth, heat, hour_key, hourly_counts
from minsheng.events.models import Event
from minsheng.events.similarity import TermStats, cosine, item_vector, norm, place_agreement
from minsheng.text.dedupe import signature
from tests.events.stories import STORIES

NOW = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


def test_vectors_weigh_rank_and_rarity():
    stats = TermStats()
    for _ in range(9):
        stats.add(["问题", "小区"])
    stats.add(["停水", "小区"])
    vector = item_vector(["小区", "停水", "问题"], stats)
    assert abs(norm(vector) - 1) < 1e-9
    assert vector["停水"] > vector["小区"] > vector["问题"]
    assert cosine(vector, vector, norm(vector)) == pytest.approx(1.0)
    assert cosine(vector, {}, 0.0) == 0.0
    stats.remove(["停水", "小区"])
    assert "停水" not in stats.df and stats.documents == 9


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("371502", "371502001", 1),
        ("371502001", "371502001", 1),
        ("371502001", "371503104", -1),
        ("371500", "371502", 0),
        (None, "371502", 0),
        ("371581", "371581", 1),
    ],
)
def test_place_agreement(first, second, expected):
    assert place_agreement(first, second) == expected


def test_copies_are_found_within_the_window_only():
    title, text = STORIES["water"][0]
    groups = DuplicateGroups(threshold=0.5, window=timedelta(hours=72))
    groups.add(1, signature(title + text), group_id=1, at=NOW)
    groups.add(2, signature(STORIES["chemical"][0][1]), group_id=2, at=NOW)
    groups.add(3, signature("短文"), group_id=3, at=NOW)
    repost = signature("转发：" + title + text + "//@网友: 太过分了")
    assert groups.matches(repost, at=NOW + timedelta(hours=5)) == [1]
    assert groups.matches(repost, at=NOW + timedelta(hours=80)) == []
    assert groups.matches(signature(STORIES["water"][1][1]), at=NOW) == []
    assert groups.matches(signature("短文"), at=NOW) == [3]
    assert groups.matches(b"not a signature", at=NOW) == []
    groups.forget(1)
    assert groups.matches(repost, at=NOW) == [] and len(groups) == 2


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("【转】幸福小区停水三天 - 聊城新闻网", "", "幸福小区停水三天"),
        ("转发：#幸福小区停水# 居民生活受影响", "", "幸福小区停水 居民生活受影响"),
        ("", "小区停水三天了。物业不管。", "小区停水三天了。"),
        ("联系电话13800138000的住户反映停水", "", "联系电话138****8000的住户反映停水"),
        ("", "", "（无标题）"),
    ],
)
def test_clean_title(title, text, expected):
    assert clean_title(title, text) == expected


def _facts(n: int, *, at: datetime, source: int = 1, sentiment: str = "negative"):
    return [
        SimpleNamespace(
            id=100 + i,
            dup_group_id=100 + i,
            source_id=source,
            published_at=at,
            sentiment=sentiment,
            category="城乡建设",
            region_code="371502001",
            places=[{"text": "幸福小区", "region_code": "371502001"}],
            harm_signals=["群体性"] if i == 0 else [],
            title=f"幸福小区停水 {i}",
            text="",
        )
        for i in range(n)
    ]


def _event() -> Event:
    return Event(
        title="", item_count=0, negative_count=0, key_tier_count=0, centroid={}, tallies={}, sentiment_mix={}
    )


def test_counting_items_sets_every_figure():
    event = _event()
    facts = _facts(3, at=NOW - timedelta(hours=1))
    vectors = {f.id: {"停水": 0.8, "幸福小区": 0.6} for f in facts}
    add_items(event, facts, tiers={1: "key"}, vectors=vectors, centroid_terms=64, now=NOW)
    assert (event.item_count, event.negative_count, event.key_tier_count, event.source_count) == (3, 3, 3, 1)
    assert event.places == [{"name": "幸福小区", "region_code": "371502001", "count": 3}]
    assert event.category == "城乡建设" and event.region_code == "371502001"
    assert event.harm_signals == ["群体性"] and event.keywords == ["停水", "幸福小区"]
    assert event.representative_item_id == 100 and event.title == "幸福小区停水 0"
    assert event.tallies["hours"] == {hour_key(NOW - timedelta(hours=1)): [3, 6.0]}
    more = _facts(2, at=NOW, source=2, sentiment="neutral")
    for fact in more:
        fact.id += 10
    add_items(event, more, tiers={1: "key"}, vectors={}, centroid_terms=64, now=NOW)
    assert (
        event.item_count == 5
        and event.source_count == 2
        and event.sentiment_mix == {"negative": 3, "neutral": 2}
    )
    assert event.first_seen_at == NOW - timedelta(hours=1) and event.last_seen_at == NOW


def test_heat_follows_volume_tier_growth_and_negativity():
    event = _event()
    event.item_count = 4
    event.negative_count = 2
    # Two items in the last hour (one from a key source), two twelve hours ago.
    event.tallies = {"hours": {hour_key(NOW): [2, 3.0], hour_key(NOW - timedelta(hours=12)): [2, 2.0]}}
    # Ages are taken from the middle of each hour: 0 and 12 hours.
    volume = 3.0 + 2.0 * 0.5 ** (12 / 6)
    expected = volume * (1 + 0.5) * ((2 + 1) / (0 + 1)) ** 0.5
    assert heat(event, now=NOW) == pytest.approx(round(expected, 2))
    assert heat(event, now=NOW + timedelta(days=2)) == 0.0
    assert hourly_counts(event, now=NOW)[-1] == 2 and sum(hourly_counts(event, now=NOW)) == 4
    assert growth(event, now=NOW, hours=12) == (2, 2) and growth(event, now=NOW, hours=6) == (2, 0)

"""Bursts: a window far above its baseline is found, a general rise is not, a long burst is one row."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from minsheng.core.timeutil import utcnow
from minsheng.warning import bursts
from minsheng.warning.bursts import BurstParams, judge_rates, judge_shares, tail_probability
from minsheng.warning.models import Burst, BurstKind
from tests.items.conftest import make_source
from tests.warning.conftest import add_items, make_event

PARAMS = BurstParams(
    window=timedelta(minutes=15),
    history=timedelta(hours=24),
    min_items=5,
    min_ratio=3.0,
    max_p_value=0.001,
)


def test_tail_probability_is_the_poisson_upper_tail():
    assert tail_probability(0, 2.0) == pytest.approx(1.0)
    assert tail_probability(1, 2.0) == pytest.approx(1 - 0.1353352832, rel=1e-6)
    assert tail_probability(12, 1.0) < 1e-8


def test_rates_flag_a_new_busy_key_and_spare_a_steady_one():
    # 96 windows of history: a steady key seen 6 per window, a new key with 8 items now.
    current = Counter({"steady": 7, "new": 8, "small": 3})
    baseline = Counter({"steady": 6 * 96})
    found = {f.key for f in judge_rates(BurstKind.event, current, baseline, PARAMS)}
    assert found == {"new"}


def test_shares_do_not_burst_when_all_volume_doubles():
    baseline = Counter({"交通": 300, "环境": 100})
    current = Counter({"交通": 6, "环境": 2})
    doubled = Counter({k: 2 * v for k, v in current.items()})
    assert (
        judge_shares(
            BurstKind.category, doubled, baseline, current_total=16, baseline_total=400, params=PARAMS
        )
        == []
    )
    surge = Counter({"交通": 6, "环境": 20})
    found = judge_shares(
        BurstKind.category, surge, baseline, current_total=26, baseline_total=400, params=PARAMS
    )
    assert [f.key for f in found] == ["环境"]
    assert found[0].score > 3


def test_detect_and_record_on_the_database(session):
    source = make_source(session)
    now = utcnow()
    event = make_event(session, title="河边化工厂异味", at=now)
    for hours in range(1, 24):
        add_items(
            session,
            source,
            at=now - timedelta(hours=hours),
            count=4,
            keywords=["天气", "交通"],
            category="交通运输",
            region_code="371502000000",
        )
    add_items(
        session,
        source,
        at=now - timedelta(minutes=5),
        count=12,
        keywords=["异味", "化工厂"],
        category="生态环境",
        region_code="371521000000",
        event=event,
        sentiment="negative",
    )
    add_items(session, source, at=now - timedelta(minutes=5), count=3, keywords=["天气"], category="交通运输")
    add_items(session, source, at=now - timedelta(minutes=5), count=8, keywords=["停水"], category="城乡建设")
    session.commit()

    findings = bursts.detect(session, now=now, params=PARAMS)
    kinds = {(f.kind, f.key) for f in findings}
    assert (BurstKind.event, str(event.id)) in kinds
    assert (BurstKind.keyword, "停水") in kinds
    # 异味 is the word of the bursting event: the event burst stands for it.
    assert (BurstKind.keyword, "异味") not in kinds
    assert (BurstKind.category, "生态环境") in kinds
    assert (BurstKind.place, "371521") in kinds
    assert (BurstKind.keyword, "天气") not in kinds
    assert (BurstKind.category, "交通运输") not in kinds

    stored = bursts.record(session, findings, now=now, params=PARAMS)
    labels = {b.kind: b.label for b in stored}
    assert labels["event"] == "河边化工厂异味"
    session.commit()
    # A minute later the same burst goes on: its row is extended, not repeated.
    later = now + timedelta(minutes=1)
    bursts.record(session, bursts.detect(session, now=later, params=PARAMS), now=later, params=PARAMS)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Burst)) == len(stored)
    assert {b.window_end for b in session.scalars(select(Burst))} == {later}


def test_quiet_window_finds_nothing(session):
    source = make_source(session)
    now = utcnow()
    add_items(session, source, at=now - timedelta(minutes=3), count=2, keywords=["异味"])
    session.commit()
    assert bursts.detect(session, now=now, params=PARAMS) == []


def test_an_event_steady_for_an_hour_is_not_a_burst_but_a_new_one_is(session):
    source = make_source(session)
    now = utcnow()
    steady = make_event(
        session, title="老城区停车难", at=now, first_seen_at=now - timedelta(hours=1, minutes=15)
    )
    for minutes in range(20, 75, 5):
        add_items(session, source, at=now - timedelta(minutes=minutes), count=2, event=steady)
    add_items(session, source, at=now - timedelta(minutes=5), count=7, event=steady)
    fresh = make_event(session, title="河边化工厂异味", at=now, first_seen_at=now - timedelta(minutes=6))
    add_items(session, source, at=now - timedelta(minutes=5), count=7, event=fresh)
    session.commit()
    found = {f.key for f in bursts.detect(session, now=now, params=PARAMS) if f.kind == BurstKind.event}
    assert found == {str(fresh.id)}


def test_no_bursts_until_the_history_holds_enough_items(session):
    source = make_source(session)
    now = utcnow()
    add_items(session, source, at=now - timedelta(hours=2), count=20, keywords=["天气"])
    add_items(session, source, at=now - timedelta(minutes=5), count=12, keywords=["异味"])
    session.commit()
    assert bursts.detect(session, now=now, params=PARAMS)
    patient = BurstParams(**{**PARAMS.__dict__, "min_history_items": 21})
    assert bursts.detect(session, now=now, params=patient) == []


def test_keyword_bursts_fold_into_the_event_holding_them():
    def finding(kind, key, observed):
        return bursts.Finding(kind, key, observed, 0.5, 1e-9)

    found = [
        finding(BurstKind.event, "7", 20),
        finding(BurstKind.keyword, "异味", 18),
        finding(BurstKind.keyword, "停水", 30),
        *(finding(BurstKind.keyword, f"词{n}", 10 + n) for n in range(8)),
    ]
    kept = bursts.fold_keywords(found, {"异味": (7, 17), "停水": (9, 12)})
    words = [f.key for f in kept if f.kind == BurstKind.keyword]
    assert "异味" not in words and "停水" in words and len(words) == bursts.MAX_KEYWORD_BURSTS
    assert kept[0].kind == BurstKind.event

"""A warning round end to end: bursts found, rules checked on events and bursts, saved searches watched."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from minsheng.core.timeutil import utcnow
from minsheng.warning.evaluate import run_round
from minsheng.warning.models import Alert, Burst
from minsheng.warning.rules import RuleIn, create_rule, install_default_rules, list_rules
from minsheng.warning.saved_searches import SavedSearchIn, create_saved_search
from tests.factories import make_user
from tests.items.conftest import make_source
from tests.warning.conftest import add_items, make_event


def _history(session, source, now):
    for hours in range(1, 24):
        add_items(
            session, source, at=now - timedelta(hours=hours), count=10, keywords=["天气"], category="交通运输"
        )


def test_round_raises_event_and_burst_alerts_once(session, settings):
    settings.jurisdiction_code = "371500"
    source = make_source(session, tier="key")
    now = utcnow()
    _history(session, source, now)
    event = make_event(
        session,
        title="河边化工厂异味",
        at=now,
        item_count=14,
        negative_count=11,
        key_tier_count=14,
        source_count=1,
        region_code="371521",
        places=[{"region_code": "371521102000", "name": "某镇", "count": 9}],
        category="生态环境",
    )
    add_items(
        session,
        source,
        at=now - timedelta(minutes=4),
        count=14,
        keywords=["异味"],
        event=event,
        sentiment="negative",
        category="生态环境",
        region_code="371521102000",
        text="河边化工厂异味很重",
    )
    add_items(session, source, at=now - timedelta(minutes=3), count=9, keywords=["停水"], text="小区停水")
    create_rule(
        session,
        data=RuleIn(
            name="辖区负面突发",
            level=2,
            conditions={
                "in_jurisdiction": True,
                "require_burst": True,
                "min_negative_share": 0.6,
                "query": "异味",
            },
        ),
    )
    create_rule(
        session,
        data=RuleIn(name="与本事件无关", level=1, conditions={"categories": ["交通运输"], "min_items": 5}),
    )
    create_rule(
        session,
        data=RuleIn(name="关键词突发", level=4, conditions={"scope": "burst", "burst_kinds": ["keyword"]}),
    )
    session.commit()

    report = run_round(session, settings=settings, now=now)
    session.commit()
    alerts = list(session.scalars(select(Alert).order_by(Alert.level)))
    assert [(a.level, a.subject_key) for a in alerts] == [(2, f"event:{event.id}"), (4, "burst:keyword:停水")]
    assert alerts[0].event_id == event.id
    assert "出现突发" in alerts[0].details["reasons"]
    assert report.new_bursts >= 2 and report.events_checked == 1
    assert session.scalar(select(Burst).where(Burst.kind == "event")).event_id == event.id

    again = run_round(session, settings=settings, now=now + timedelta(minutes=1))
    session.commit()
    assert again.alerts_created == [] and again.alerts_repeated == 2 and again.new_bursts == 0
    assert session.scalar(select(Alert).where(Alert.level == 2)).trigger_count == 2


def test_saved_search_alerts_on_new_matches_only(session, settings):
    user = make_user(session, settings, roles=["analyst"])
    source = make_source(session)
    now = utcnow()
    add_items(session, source, at=now - timedelta(hours=1), count=2, text="老城区停水")
    search = create_saved_search(
        session, owner=user, data=SavedSearchIn(name="停水", query="停水", alert_level=3)
    )
    session.commit()
    assert run_round(session, settings=settings, now=now).alerts_created == []
    add_items(session, source, at=now, count=3, text="幸福小区又停水了")
    add_items(session, source, at=now, count=2, text="公交线路调整")
    session.commit()
    report = run_round(session, settings=settings, now=now + timedelta(minutes=1))
    session.commit()
    alert = session.get(Alert, report.alerts_created[0])
    assert alert.saved_search_id == search.id and alert.details["new_items"] == 3 and alert.level == 3
    assert run_round(session, settings=settings, now=now + timedelta(minutes=2)).alerts_repeated == 0


def test_default_rules_install_once(session):
    first = install_default_rules(session)
    assert len(first) >= 5
    assert install_default_rules(session) == []
    assert {r.level for r in list_rules(session)} == {1, 2, 3, 4}

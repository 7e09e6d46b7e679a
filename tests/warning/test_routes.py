"""Warning pages: the inbox, acting on an alert, rules admin and saved searches, with their permissions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from minsheng.cases.catalog import install_builtin_types
from minsheng.cases.models import Case
from minsheng.core.timeutil import utcnow
from minsheng.warning.alerts import Trigger, raise_alert
from minsheng.warning.models import Alert, SavedSearch, WarningRule
from minsheng.warning.rules import RuleIn, create_rule
from tests.factories import csrf_from, detach, login, make_user, read_now
from tests.items.conftest import make_source
from tests.warning.conftest import add_items, make_event


def _alert(session) -> Alert:
    source = make_source(session)
    now = utcnow()
    event = make_event(session, title="河边化工厂异味", at=now, item_count=3)
    add_items(session, source, at=now, count=3, event=event, text="河边化工厂异味，联系13800138000")
    rule = create_rule(session, data=RuleIn(name="负面升温", level=2))
    alert = raise_alert(
        session,
        Trigger(
            subject_key=f"event:{event.id}",
            level=2,
            title=event.title,
            summary="近 60 分钟 3 条",
            details={"rule": rule.name, "reasons": ["负面占比 70%"]},
            event_id=event.id,
            rule=rule,
        ),
        now=now,
    ).alert
    session.commit()
    detach(session, alert)
    return alert


def test_inbox_and_alert_pages_for_readers_only(client, session, settings):
    alert = _alert(session)
    leader = make_user(session, settings, roles=["leader"])
    handler = make_user(session, settings, roles=["handler"])
    session.commit()
    login(client, handler.username)
    assert client.get("/monitor/alerts").status_code == 403
    client.cookies.clear()
    login(client, leader.username)
    inbox = client.get("/monitor/alerts")
    assert inbox.status_code == 200 and "河边化工厂异味" in inbox.text and "Ⅱ级" in inbox.text
    assert "data-chart" in inbox.text
    page = client.get(f"/monitor/alerts/{alert.id}")
    assert page.status_code == 200 and "负面占比 70%" in page.text
    assert "alert-actions" not in page.text  # a leader reads, analysts act
    assert client.get("/monitor/alerts/99999").status_code == 404
    event_page = client.get(f"/monitor/events/{alert.event_id}")
    assert event_page.status_code == 200 and 'id="event-alerts"' in event_page.text
    assert f"/monitor/alerts/{alert.id}" in event_page.text
    assert client.get("/monitor/alerts", params={"status": "closed", "level": "9"}).status_code == 200


def test_acknowledge_open_case_and_close(client, session, settings):
    install_builtin_types(session)
    alert = _alert(session)
    analyst = make_user(session, settings, roles=["analyst"])
    session.commit()
    login(client, analyst.username)
    token = csrf_from(client, f"/monitor/alerts/{alert.id}")
    refused = client.post(f"/monitor/alerts/{alert.id}/acknowledge", data={"note": "x"})
    assert refused.status_code == 403
    done = client.post(
        f"/monitor/alerts/{alert.id}/acknowledge",
        data={"csrf_token": token, "note": "已通知属地核实"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    again = client.post(f"/monitor/alerts/{alert.id}/acknowledge", data={"csrf_token": token})
    assert again.status_code == 409 and "已经签收" in again.text
    opened = client.post(
        f"/monitor/alerts/{alert.id}/case", data={"csrf_token": token}, follow_redirects=False
    )
    assert opened.status_code == 303 and opened.headers["location"].startswith("/cases/")
    case_page = client.get(opened.headers["location"])
    assert case_page.status_code == 200 and 'id="case-related"' in case_page.text
    assert f"/monitor/events/{alert.event_id}" in case_page.text
    case = session.scalar(select(Case).where(Case.channel == "alert"))
    detach(session, case)
    assert case.title == "河边化工厂异味" and case.priority == "urgent"
    assert "13800138000" not in case.description and "/monitor/alerts/" in case.description
    assert client.post(f"/monitor/alerts/{alert.id}/case", data={"csrf_token": token}).status_code == 409
    client.post(f"/monitor/alerts/{alert.id}/close", data={"csrf_token": token, "note": "已处置"})
    assert read_now(session, select(Alert.status).where(Alert.id == alert.id)) == "closed"


def test_rules_admin_creates_validates_toggles_and_deletes(client, session, admin):
    login(client, "root")
    token = csrf_from(client, "/admin/warning/rules/new")
    bad = client.post(
        "/admin/warning/rules/new",
        data={
            "csrf_token": token,
            "name": "坏规则",
            "level": "2",
            "region_codes": "abc",
            "min_negative_share": "150",
        },
    )
    assert bad.status_code == 422 and "地区代码" in bad.text and "负面占比" in bad.text
    assert 'value="坏规则"' in bad.text
    created = client.post(
        "/admin/warning/rules/new",
        data={
            "csrf_token": token,
            "name": "辖区环境突发",
            "level": "2",
            "scope": "event",
            "categories": "生态环境、城乡建设",
            "harm_signals": ["fraud", "drugs"],
            "in_jurisdiction": "1",
            "min_items": "8",
            "min_negative_share": "60",
            "window_minutes": "30",
            "delivery": "hourly",
            "cooldown_minutes": "120",
            "is_enabled": "1",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    rule = session.scalar(select(WarningRule).where(WarningRule.name == "辖区环境突发"))
    detach(session, rule)
    assert rule.level == 2 and rule.delivery == "hourly" and rule.cooldown_minutes == 120
    assert rule.conditions["categories"] == ["生态环境", "城乡建设"]
    assert rule.conditions["min_negative_share"] == 0.6 and rule.conditions["harm_signals"] == [
        "fraud",
        "drugs",
    ]
    listing = client.get("/admin/warning/rules").text
    assert "辖区环境突发" in listing and "负面占比 ≥ 60%" in listing
    edit = client.get(f"/admin/warning/rules/{rule.id}")
    assert 'value="60"' in edit.text and "生态环境、城乡建设" in edit.text
    client.post(f"/admin/warning/rules/{rule.id}/toggle", data={"csrf_token": token, "enabled": "0"})
    assert read_now(session, select(WarningRule.is_enabled).where(WarningRule.id == rule.id)) is False
    client.post("/admin/warning/rules/defaults", data={"csrf_token": token})
    assert "辖区重大突发舆情" in client.get("/admin/warning/rules").text
    client.post(f"/admin/warning/rules/{rule.id}/delete", data={"csrf_token": token})
    assert read_now(session, select(WarningRule.id).where(WarningRule.id == rule.id)) is None


def test_rules_admin_is_for_admins(client, session, settings):
    analyst = make_user(session, settings, roles=["analyst"])
    session.commit()
    login(client, analyst.username)
    assert client.get("/admin/warning/rules").status_code == 403


def test_saved_searches_belong_to_their_owner(client, session, settings):
    first = make_user(session, settings, roles=["analyst"])
    second = make_user(session, settings, roles=["analyst"])
    source = make_source(session)
    add_items(session, source, at=utcnow() - timedelta(hours=1), count=1, text="停水")
    session.commit()
    login(client, first.username)
    assert 'id="save-search"' in client.get("/monitor/items", params={"q": "停水"}).text
    assert 'id="save-search"' not in client.get("/monitor/items").text
    token = csrf_from(client, "/monitor/searches")
    empty = client.post("/monitor/searches", data={"csrf_token": token, "name": "空"})
    assert empty.status_code == 422
    saved = client.post(
        "/monitor/searches",
        data={"csrf_token": token, "q": "停水", "category": "城乡建设", "alert_level": "3", "bogus": "x"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    search = session.scalar(select(SavedSearch))
    detach(session, search)
    assert search.name == "停水" and search.filters == {"category": "城乡建设"} and search.alert_level == 3
    assert "停水" in client.get("/monitor/searches").text
    client.cookies.clear()
    login(client, second.username)
    token = csrf_from(client, "/monitor/searches")
    assert "停水" not in client.get("/monitor/searches").text
    assert client.post(f"/monitor/searches/{search.id}/delete", data={"csrf_token": token}).status_code == 403

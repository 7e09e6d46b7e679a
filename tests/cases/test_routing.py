"""The routing table a server keeps between submissions follows every change to the rules."""

from __future__ import annotations

from sqlalchemy import select

from minsheng.auth.tokens import issue_token
from minsheng.cases.models import RoutingRule
from minsheng.cases.routing import ROUTING_CHANGES, RoutingTable, suggest_departments
from tests.factories import csrf_from, detach, login, make_user, read_now

NOISE = "楼下烧烤店每晚噪音扰民到凌晨，家里窗户都不敢开，请相关部门处理。"


def _reasons(suggestions) -> set[str]:
    return {reason for suggestion in suggestions for reason in suggestion.reasons}


def _submit(client, plain: str) -> set[str]:
    body = {
        "type_code": "complaint",
        "description": NOISE,
        "contact": {"name": "张三", "phone": "13912345678"},
    }
    response = client.post("/api/v1/cases", json=body, headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 201, response.text
    return {reason for d in response.json()["suggestions"]["departments"] for reason in d["reasons"]}


def test_a_rule_an_administrator_adds_or_switches_off_routes_the_next_submission(
    client, session, settings, world
):
    admin = make_user(session, settings, roles=["admin"], department=world.housing)
    plain, _ = issue_token(session, user=world.dispatcher, name="hotline", scopes=["intake"], days=30)
    session.commit()
    detach(session, admin, world.transport)
    assert "关键词: 噪音" not in _submit(client, plain)

    login(client, admin.username)
    token = csrf_from(client, "/admin/cases")
    rule = {
        "csrf_token": token,
        "kind": "keyword",
        "pattern": "噪音",
        "department_id": str(world.transport.id),
    }
    assert client.post("/admin/cases/rules", data=rule, follow_redirects=False).status_code == 303
    assert "关键词: 噪音" in _submit(client, plain)

    rule_id = read_now(session, select(RoutingRule.id).where(RoutingRule.pattern == "噪音"))
    switched = client.post(f"/admin/cases/rules/{rule_id}/toggle", data={"csrf_token": token, "active": "0"})
    assert switched.status_code in (200, 303)
    assert "关键词: 噪音" not in _submit(client, plain)


def test_a_rule_changed_in_this_process_is_seen_at_once(session, world):
    table = RoutingTable(check_seconds=3600)
    analysis = world.engine.analyze(NOISE)
    assert "关键词: 噪音" not in _reasons(suggest_departments(session, analysis, table=table))
    before = ROUTING_CHANGES.value
    rule = RoutingRule(kind="keyword", pattern="噪音", department_id=world.transport.id, priority=5)
    session.add(rule)
    session.flush()
    assert ROUTING_CHANGES.value != before
    session.commit()
    assert "关键词: 噪音" in _reasons(suggest_departments(session, analysis, table=table))
    rule.is_active = False
    session.commit()
    assert "关键词: 噪音" not in _reasons(suggest_departments(session, analysis, table=table))


def test_a_rule_changed_by_another_process_is_seen_after_the_check_interval(session, world):
    session.add(RoutingRule(kind="keyword", pattern="噪音", department_id=world.transport.id, priority=5))
    session.commit()
    analysis = world.engine.analyze(NOISE)
    patient, eager = RoutingTable(check_seconds=3600), RoutingTable(check_seconds=0)
    for table in (patient, eager):
        assert "关键词: 噪音" in _reasons(suggest_departments(session, analysis, table=table))
    before = ROUTING_CHANGES.value
    # Written without the ORM, as another process would: only the tables' counts and times tell.
    session.execute(
        RoutingRule.__table__.update().where(RoutingRule.pattern == "噪音").values(is_active=False)
    )
    session.commit()
    assert ROUTING_CHANGES.value == before
    assert "关键词: 噪音" in _reasons(suggest_departments(session, analysis, table=patient))
    assert "关键词: 噪音" not in _reasons(suggest_departments(session, analysis, table=eager))
    session.execute(RoutingRule.__table__.delete().where(RoutingRule.pattern == "噪音"))
    session.commit()
    assert "关键词: 噪音" not in _reasons(suggest_departments(session, analysis, table=eager))


def test_the_kept_table_suggests_what_a_fresh_read_suggests(session, world):
    table = RoutingTable()
    for text in (
        NOISE,
        "5路公交车早高峰经常晚点",
        "小区物业长期不作为，市住建局不管",
        "市交通局和市住建局都不回复",
    ):
        analysis = world.engine.analyze(text)
        assert suggest_departments(session, analysis, table=table) == suggest_departments(session, analysis)

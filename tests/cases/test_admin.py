from datetime import date

import pytest
from sqlalchemy import select

from minsheng.audit.models import AuditEntry
from minsheng.cases import configuration
from minsheng.cases.models import CalendarDay, CaseType, RoutingRule, SlaPolicy
from minsheng.core.errors import Conflict, ValidationFailed
from tests.factories import csrf_from, login, make_user, read_now


def test_rules_are_checked_and_audited(session, world):
    rule = configuration.create_rule(
        session, kind="keyword", pattern=" 噪音 ", department_id=world.housing.id, priority=5
    )
    assert rule.pattern == "噪音"
    with pytest.raises(Conflict):
        configuration.create_rule(
            session, kind="keyword", pattern="噪音", department_id=world.housing.id, priority=0
        )
    with pytest.raises(ValidationFailed):
        configuration.create_rule(
            session, kind="magic", pattern="x", department_id=world.housing.id, priority=0
        )
    with pytest.raises(ValidationFailed, match="区划代码"):
        configuration.create_rule(
            session, kind="region", pattern="东昌府", department_id=world.housing.id, priority=0
        )
    configuration.set_rule_active(session, rule_id=rule.id, is_active=False)
    configuration.delete_rule(session, rule_id=rule.id)
    session.commit()
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "routing_rule")).all()
    assert actions == ["create", "update", "delete"]


def test_policies_are_one_per_type_category_and_priority(session, world):
    complaint = session.scalar(select(CaseType).where(CaseType.code == "complaint"))
    urgent = configuration.save_policy(
        session,
        policy_id=None,
        type_id=complaint.id,
        category=None,
        priority="urgent",
        sign_for_hours=1,
        response_hours=4,
        resolve_days=3,
        remind_before_hours=2,
    )
    with pytest.raises(Conflict):
        configuration.save_policy(
            session,
            policy_id=None,
            type_id=complaint.id,
            category=None,
            priority="urgent",
            sign_for_hours=1,
            response_hours=4,
            resolve_days=3,
            remind_before_hours=2,
        )
    with pytest.raises(ValidationFailed, match="签收时限不能长于"):
        configuration.save_policy(
            session,
            policy_id=urgent.id,
            type_id=complaint.id,
            category=None,
            priority="urgent",
            sign_for_hours=9,
            response_hours=4,
            resolve_days=3,
            remind_before_hours=2,
        )
    configuration.save_policy(
        session,
        policy_id=urgent.id,
        type_id=complaint.id,
        category=None,
        priority="urgent",
        sign_for_hours=1,
        response_hours=4,
        resolve_days=2,
        remind_before_hours=2,
    )
    session.commit()
    assert session.get(SlaPolicy, urgent.id).resolve_days == 2


def test_admin_page_manages_rules_policies_and_days(client, session, settings, world):
    admin = make_user(session, settings, roles=["admin"], department=world.housing)
    session.commit()
    login(client, admin.username)
    page = client.get("/admin/cases")
    assert page.status_code == 200 and "物业" in page.text and "投诉" in page.text
    token = csrf_from(client, "/admin/cases")
    added = client.post(
        "/admin/cases/rules",
        data={
            "csrf_token": token,
            "kind": "keyword",
            "pattern": "噪音",
            "department_id": str(world.housing.id),
            "priority": "3",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    bad = client.post(
        "/admin/cases/rules",
        data={"csrf_token": token, "kind": "keyword", "pattern": "", "department_id": str(world.housing.id)},
    )
    assert bad.status_code == 422
    day = client.post(
        "/admin/cases/calendar",
        data={"csrf_token": token, "day": "2027-01-01", "is_workday": "0", "note": "元旦"},
        follow_redirects=False,
    )
    assert day.status_code == 303
    assert (
        read_now(session, select(CalendarDay.is_workday).where(CalendarDay.day == date(2027, 1, 1))) is False
    )
    assert client.post("/admin/cases/calendar", data={"csrf_token": token, "day": "soon"}).status_code == 422
    assert read_now(session, select(RoutingRule.priority).where(RoutingRule.pattern == "噪音")) == 3
    assert client.post("/admin/cases/rules/99999999999/delete", data={"csrf_token": token}).status_code == 422


def test_only_admins_configure(client, world):
    login(client, world.dispatcher.username)
    assert client.get("/admin/cases").status_code == 403

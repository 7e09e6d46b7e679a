import re

import pytest
from sqlalchemy import select

from minsheng.audit.models import AuditEntry
from minsheng.auth.tokens import issue_token
from minsheng.cases.models import Case, CaseContact
from tests.factories import csrf_from, detach, login, read_now


@pytest.fixture
def world(world, session):
    """The world detached from the test's session, so reading it never holds SQLite's write lock."""
    detach(
        session,
        world.housing,
        world.transport,
        world.dispatcher,
        world.handler,
        world.other_handler,
        world.supervisor,
        world.analyst,
    )
    return world


DESCRIPTION = "东昌府区古楼街道某小区物业不作为，电梯坏了两个月没人修，老人上下楼很困难。"


def report(client, type_code="complaint", **fields):
    token = csrf_from(client, f"/report/{type_code}")
    data = {"csrf_token": token, "description": DESCRIPTION, "name": "张三", "phone": "13912345678"}
    data.update(fields)
    return client.post(f"/report/{type_code}", data=data)


def test_public_pages_need_no_login(client, world):
    index = client.get("/report")
    assert index.status_code == 200 and "举报" in index.text and "投诉" in index.text
    assert "舆情处置" not in index.text  # internal types are not offered to the public
    assert client.get("/report/opinion_followup").status_code == 404
    assert client.get("/track").status_code == 200


def test_a_citizen_reports_and_follows_the_case(client, session, world):
    response = report(client)
    assert response.status_code == 201
    number = re.search(r'id="tracking-no">([^<]+)<', response.text).group(1)
    code = re.search(r'id="query-code">(\d{6})<', response.text).group(1)
    status = client.get("/track", params={"no": number})
    assert status.status_code == 200 and "已提交" in status.text
    assert "张三" not in status.text and "13912345678" not in status.text
    case_id = read_now(session, select(Case.id).where(Case.tracking_no == number))
    assert read_now(session, select(CaseContact.name).where(CaseContact.case_id == case_id)) == "张三"
    wrong = client.post(
        "/track/rate",
        data={
            "csrf_token": csrf_from(client, "/track"),
            "no": number,
            "query_code": code,
            "satisfaction": "satisfied",
        },
    )
    assert wrong.status_code == 409 and "办结后才能评价" in wrong.text


def test_a_bad_report_keeps_what_was_typed_and_says_what_is_wrong(client, world):
    response = report(client, phone="12345", description=DESCRIPTION)
    assert response.status_code == 422
    assert "手机号" in response.text and "电梯坏了两个月" in response.text


def test_the_honeypot_and_hostile_fields(client, session, world):
    assert report(client, website="http://spam.example").status_code == 400
    assert read_now(session, select(Case.id)) is None
    hostile = report(client, title="<script>alert(1)</script>")
    assert hostile.status_code == 201
    number = re.search(r'id="tracking-no">([^<]+)<', hostile.text).group(1)
    page = client.get("/track", params={"no": number})
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


def test_garbage_tracking_numbers_get_a_clear_answer(client, world):
    response = client.get("/track", params={"no": "not-a-number"})
    assert response.status_code == 422 and "受理编号格式不正确" in response.text


def test_anonymous_tip(client, session, world):
    response = report(
        client,
        "illegal_content",
        anonymous="on",
        name="",
        phone="",
        description="某网站冒充客服实施网络诈骗",
        attr_harm_kind="fraud",
        attr_url="http://fake.example",
    )
    assert response.status_code == 201


def staff_client(client, user):
    login(client, user.username)
    return client


def test_dispatcher_assigns_the_suggested_department_and_handler_replies(client, session, world, settings):
    number = re.search(r'id="tracking-no">([^<]+)<', report(client).text).group(1)
    case_id = read_now(session, select(Case.id).where(Case.tracking_no == number))
    staff_client(client, world.dispatcher)
    listing = client.get("/cases", params={"view": "queue"})
    assert number in listing.text
    page = client.get(f"/cases/{case_id}")
    assert "市住房和城乡建设局" in page.text and "派给该单位" in page.text
    assert "张三" not in page.text and "139****5678" in page.text
    token = csrf_from(client, f"/cases/{case_id}")
    done = client.post(
        f"/cases/{case_id}/actions",
        data={"csrf_token": token, "action": "assign", "department_id": str(world.housing.id)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    refused = client.post(f"/cases/{case_id}/actions", data={"csrf_token": token, "action": "close"})
    assert refused.status_code == 409 and "不能办结" in refused.text
    client.post("/logout", data={"csrf_token": token})

    staff_client(client, world.other_handler)
    assert client.get(f"/cases/{case_id}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_from(client, "/cases")})

    staff_client(client, world.handler)
    assert number in client.get("/cases", params={"view": "mine"}).text
    token = csrf_from(client, f"/cases/{case_id}")
    for data in ({"action": "sign_for"}, {"action": "reply", "public_note": "已督促物业维修电梯。"}):
        assert (
            client.post(
                f"/cases/{case_id}/actions", data={"csrf_token": token, **data}, follow_redirects=False
            ).status_code
            == 303
        )
    assert read_now(session, select(Case.status).where(Case.id == case_id)) == "replied"


def test_revealing_the_contact_needs_a_reason_and_is_audited(client, session, world):
    number = re.search(r'id="tracking-no">([^<]+)<', report(client).text).group(1)
    case_id = read_now(session, select(Case.id).where(Case.tracking_no == number))
    staff_client(client, world.dispatcher)
    token = csrf_from(client, f"/cases/{case_id}")
    assert (
        client.post(f"/cases/{case_id}/contact", data={"csrf_token": token, "reason": ""}).status_code == 422
    )
    shown = client.post(f"/cases/{case_id}/contact", data={"csrf_token": token, "reason": "回访核实"})
    assert shown.status_code == 200 and "13912345678" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    entry = read_now(session, select(AuditEntry.summary).where(AuditEntry.action == "read_personal"))
    assert entry and "回访核实" in entry


def test_analysts_cannot_reveal_contacts(client, session, world):
    number = re.search(r'id="tracking-no">([^<]+)<', report(client).text).group(1)
    case_id = read_now(session, select(Case.id).where(Case.tracking_no == number))
    staff_client(client, world.analyst)
    token = csrf_from(client, f"/cases/{case_id}")
    assert (
        client.post(f"/cases/{case_id}/contact", data={"csrf_token": token, "reason": "好奇"}).status_code
        == 403
    )


def test_staff_pages_need_login_and_ids_are_checked(client, world):
    assert client.get("/cases", follow_redirects=False).status_code in (303, 401)
    staff_client(client, world.dispatcher)
    assert client.get("/cases/99999999999").status_code == 422
    assert client.get("/cases/424242").status_code == 404


def test_operator_registers_a_phone_call(client, session, world):
    staff_client(client, world.dispatcher)
    token = csrf_from(client, "/cases/new")
    response = client.post(
        "/cases/new",
        data={
            "csrf_token": token,
            "type_code": "help",
            "channel": "phone",
            "priority": "urgent",
            "description": "独居老人家中停水两天，请求帮助",
            "name": "王五",
            "phone": "0635-8123456",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert read_now(session, select(Case.channel, Case.priority)) == ("phone", "urgent")


def test_the_api_takes_lists_and_acts(client, session, world, settings):
    plain, _ = issue_token(
        session, user=world.dispatcher, name="hotline", scopes=["intake", "read", "write"], days=30
    )
    session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    body = {
        "type_code": "complaint",
        "description": DESCRIPTION,
        "external_id": "crm-1",
        "contact": {"name": "张三", "phone": "13912345678"},
    }
    created = client.post("/api/v1/cases", json=body, headers=headers)
    assert created.status_code == 201, created.text
    payload = created.json()
    assert payload["suggestions"]["departments"][0]["name"] == "市住房和城乡建设局"
    repeat = client.post("/api/v1/cases", json=body, headers=headers)
    assert repeat.status_code == 409 and payload["tracking_no"] in repeat.text
    listed = client.get("/api/v1/cases", headers=headers).json()
    assert [c["tracking_no"] for c in listed] == [payload["tracking_no"]]
    assert "contact" not in listed[0] and listed[0]["channel"] == "api"
    act = client.post(
        f"/api/v1/cases/{payload['id']}/actions",
        headers=headers,
        json={"action": "assign", "department_id": world.housing.id},
    )
    assert act.status_code == 201 and act.json()["to_status"] == "assigned"
    detail = client.get(f"/api/v1/cases/{payload['id']}", headers=headers).json()
    assert [s["action"] for s in detail["timeline"]] == ["submit", "assign"]
    assert client.get("/api/v1/cases/99999999999", headers=headers).status_code == 422
    assert client.get("/api/v1/cases/4242", headers=headers).status_code == 404
    assert client.get("/api/v1/case-types", headers=headers).json()[0]["code"] == "complaint"


def test_the_api_refuses_tokens_without_the_scope(client, session, world):
    plain, _ = issue_token(session, user=world.dispatcher, name="ro", scopes=["read"], days=30)
    session.commit()
    body = {
        "type_code": "complaint",
        "description": DESCRIPTION,
        "contact": {"name": "张三", "phone": "13912345678"},
    }
    assert (
        client.post("/api/v1/cases", json=body, headers={"Authorization": f"Bearer {plain}"}).status_code
        == 403
    )

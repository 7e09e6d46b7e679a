"""Submitting through Open311 and reading service requests back: mapping, filters, paging and privacy."""

from datetime import timedelta

from sqlalchemy import select

from minsheng.audit.models import AuditEntry
from minsheng.cases.models import Case, CaseContact
from minsheng.core.timeutil import utcnow
from minsheng.open311.models import Open311Request
from tests.factories import PASSWORD, login, make_user
from tests.open311.conftest import NAME, PHONE, check_schema, report


def _submit(client, key, **fields) -> str:
    response = report(client, key, **fields)
    assert response.status_code == 200, response.text
    return response.json()[0]["service_request_id"]


def _case(session, number: str) -> Case:
    session.expire_all()
    return session.scalar(select(Case).where(Case.tracking_no == number))


def _ids(client, query: str = "") -> list[str]:
    response = client.get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 200, response.text
    check_schema("service_requests", response.json())
    return [r["service_request_id"] for r in response.json()]


def test_a_submission_becomes_an_open311_case_with_contact_kept_apart(client, session, o311):
    number = _submit(
        client,
        o311.key,
        device_id="device-1",
        address_id="A-778",
        **{"attribute[ignored]": "x"},
    )
    case = _case(session, number)
    assert (case.channel, case.status, case.place_text) == ("open311", "submitted", "东昌府区柳园路88号")
    contact = session.get(CaseContact, case.id)
    assert (contact.name, contact.phone, contact.email) == ("张三丰", PHONE, "zhang@example.com")
    extra = session.scalar(select(Open311Request).where(Open311Request.case_id == case.id))
    assert (extra.device_id, extra.address_id) == ("device-1", "A-778")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "case.submit"))
    assert entry.actor_name == "open311:测试客户端" and "open311" in entry.summary


def test_anonymous_only_where_the_type_allows_it(client, session, o311):
    fields = {
        "service_code": "illegal_content",
        "first_name": "",
        "last_name": "",
        "phone": "",
        "email": "",
        "attribute[harm_kind]": "fraud",
        "attribute[url]": "https://scam.example.com",
        "attribute[platform]": "",
    }
    number = _submit(client, o311.key, **fields)
    case = _case(session, number)
    assert case.attributes == {"harm_kind": "fraud", "url": "https://scam.example.com"}
    assert session.get(CaseContact, case.id).is_anonymous
    session.rollback()  # on SQLite an open transaction holds the app's write lock
    refused = report(client, o311.key, first_name="", last_name="", phone="", email="")
    assert refused.status_code == 400 and "不接受匿名" in refused.json()[0]["description"]


def test_english_names_and_dates_as_datetimes(client, session, o311):
    number = _submit(
        client,
        o311.key,
        service_code="data_breach",
        first_name="Li",
        last_name="Lei",
        **{"attribute[organisation]": "某科技公司", "attribute[discovered_on]": "2026-11-22T23:30:00Z"},
    )
    case = _case(session, number)
    assert session.get(CaseContact, case.id).name == "Li Lei"
    assert case.attributes["discovered_on"] == "2026-11-23"  # 07:30 in Shanghai


def test_no_personal_data_in_any_get_response(client, session, o311):
    number = _submit(client, o311.key, description=f"我是{NAME[0]}{NAME[1]}，电话 {PHONE}，楼道灯坏了很久")
    stored = _case(session, number).description
    session.rollback()
    created = report(client, o311.key).json()[0]
    bodies = [
        client.get("/open311/v2/requests.json").text,
        client.get("/open311/v2/requests.xml").text,
        client.get(f"/open311/v2/requests/{number}.json").text,
        client.get(f"/open311/v2/requests/{number}.xml").text,
        client.get(f"/open311/v2/tokens/{created['token']}.json").text,
        client.get("/open311/v2/services.json").text,
    ]
    for body in bodies:
        for secret in (PHONE, "张三丰", "三丰", "zhang@example.com", "acct"):
            assert secret not in body
    one = client.get(f"/open311/v2/requests/{number}.json").json()[0]
    assert "139****5678" in one["description"] and "楼道灯" in one["description"]
    assert "张三丰" in stored and PHONE in stored  # kept as given for the office


def test_status_mapping_department_and_expected_time(client, session, o311):
    numbers = [_submit(client, o311.key) for _ in range(4)]
    cases = {c.tracking_no: c for c in session.scalars(select(Case).where(Case.tracking_no.in_(numbers)))}
    for number, status in zip(numbers, ["in_progress", "closed", "rejected", "merged"], strict=True):
        case = cases[number]
        case.status = status
        case.lead_department_id = o311.housing.id
        case.resolve_due_at = utcnow() + timedelta(days=3)
    session.commit()
    listed = {r["service_request_id"]: r for r in client.get("/open311/v2/requests.json").json()}
    assert [listed[n]["status"] for n in numbers] == ["open", "closed", "closed", "closed"]
    assert [listed[n]["status_notes"].split("：")[0] for n in numbers] == [
        "办理中",
        "已办结",
        "不予受理",
        "已合并办理",
    ]
    assert listed[numbers[0]]["agency_responsible"] == "市住房和城乡建设局"
    assert listed[numbers[0]]["expected_datetime"].endswith("+08:00")
    assert _ids(client, "status=open") == [numbers[0]]
    assert sorted(_ids(client, "status=closed")) == sorted(numbers[1:])
    assert len(_ids(client, "status=open,closed")) == 4


def test_filters_dates_and_paging(client, session, o311):
    old = _submit(client, o311.key)
    help_case = _submit(client, o311.key, service_code="help")
    recent = [_submit(client, o311.key) for _ in range(3)]
    case = _case(session, old)
    case.submitted_at = utcnow() - timedelta(days=100)
    session.commit()

    everything = _ids(client)
    assert old not in everything and len(everything) == 4  # the default window is the last 90 days
    assert everything[0] == recent[-1]  # newest first
    assert _ids(client, "service_code=help") == [help_case]
    assert sorted(_ids(client, "service_code=help,complaint")) == sorted([help_case, *recent])
    start = (utcnow() - timedelta(days=101)).date().isoformat()
    assert old in _ids(client, f"start_date={start}")
    end = (utcnow() - timedelta(days=99)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(client, f"end_date={end}") == [old]
    assert _ids(client, f"start_date={start}&end_date={end}") == [old]

    ids = f"service_request_id={old},{help_case},not-a-number"
    assert sorted(_ids(client, ids + "&service_code=complaint&status=closed")) == sorted([old, help_case])
    assert _ids(client, f"service_request_id={old.lower().replace('-', '')}") == [old]

    assert _ids(client, "page_size=2") == everything[:2]
    assert _ids(client, "page_size=2&page=2") == everything[2:4]
    assert _ids(client, "page_size=2&page=3") == []


def test_empty_parameters_count_as_absent(client, o311):
    numbers = [_submit(client, o311.key) for _ in range(2)]
    query = (
        "service_request_id=&service_code=&start_date=&end_date=&status=&page=&page_size=&jurisdiction_id="
    )
    assert sorted(_ids(client, query)) == sorted(numbers)
    ok = report(client, o311.key, email="", device_id="", account_id="", media_url="", address_id="")
    assert ok.status_code == 200 and ok.json()[0]["account_id"] is None


def test_posting_needs_no_cookie_session_yet_csrf_still_guards_forms(client, session, settings, o311):
    assert report(client, o311.key).status_code == 200  # no session, no CSRF token
    user = make_user(session, settings, roles=["dispatcher"])
    session.commit()
    login(client, user.username, PASSWORD)
    with_cookie = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": o311.key,
            "service_code": "complaint",
            "lat": "36.4",
            "long": "115.9",
            "description": "路灯不亮已经三天了",
            "first_name": "三",
            "last_name": "李",
            "phone": PHONE,
        },
    )
    assert with_cookie.status_code == 200, with_cookie.text
    created = _case(session, with_cookie.json()[0]["service_request_id"])
    assert created.created_by_id is None  # the key submits, not the logged-in browser
    session.rollback()
    refused = client.post("/report/complaint", data={"description": "没有令牌的表单提交"})
    assert refused.status_code == 403


def test_revoked_keys_are_refused(client, session, o311):
    from minsheng.open311.keys import list_keys, revoke_key

    assert report(client, o311.key).status_code == 200
    key = list_keys(session)[0]
    session.refresh(key)
    assert key.last_used_at is not None
    revoke_key(session, key_id=key.id)
    session.commit()
    assert report(client, o311.key).status_code == 403

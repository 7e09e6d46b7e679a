from __future__ import annotations

from sqlalchemy import func, select

from minsheng.audit.models import AuditEntry
from tests.factories import csrf_from, login, make_department


def test_audit_viewer_filters_and_details(client, admin, session):
    login(client, "root")
    token = csrf_from(client, "/admin/departments/new")
    for code, name in (("A1", "市甲局"), ("B2", "市乙局")):
        client.post("/admin/departments/new", data={"csrf_token": token, "code": code, "name": name})
    page = client.get("/audit?entity_type=department").text
    assert "新建部门 市甲局" in page and "新建部门 市乙局" in page and "root 登录" not in page
    assert "市乙局" not in client.get("/audit?q=市甲局").text.split("audit-table")[1]
    assert "共 0 条" in client.get("/audit?since=2001-01-01&until=2001-01-02").text

    session.expire_all()
    entry_id = session.scalar(select(AuditEntry.id).where(AuditEntry.summary == "新建部门 市甲局"))
    session.rollback()
    detail = client.get(f"/audit/{entry_id}", headers={"HX-Request": "true"})
    assert "市甲局" in detail.text and "<html" not in detail.text
    session.expire_all()
    reads = session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "read_personal"))
    session.rollback()
    assert reads == 1


def test_audit_viewer_checks_the_chain(client, admin, session):
    make_department(session, name="市丙局")
    session.commit()
    login(client, "root")
    fragment = client.get("/audit/verify", headers={"HX-Request": "true"}).text
    assert "alert-success" in fragment


def test_audit_viewer_rejects_bad_dates_and_ids(client, admin):
    login(client, "root")
    assert client.get("/audit?since=not-a-date").status_code == 422
    assert client.get("/audit/999999").status_code == 404

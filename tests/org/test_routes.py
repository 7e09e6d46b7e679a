from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from minsheng.audit.models import AuditEntry
from minsheng.org.models import Department, Region
from tests.factories import csrf_from, login, make_department, read_now


def test_create_department_from_the_form(client, admin, session):
    login(client, "root")
    token = csrf_from(client, "/admin/departments/new")
    response = client.post(
        "/admin/departments/new",
        data={
            "csrf_token": token,
            "code": "JXW",
            "name": "市经济和信息化委员会",
            "aliases": "市经信委、经信委",
            "parent_id": "",
            "region_code": "",
            "sort_order": "3",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    aliases = read_now(session, select(Department.aliases).where(Department.code == "JXW"))
    assert aliases == ["市经信委", "经信委"]
    assert (
        read_now(session, select(func.count(AuditEntry.id)).where(AuditEntry.entity_type == "department"))
        == 1
    )
    assert "市经济和信息化委员会" in client.get("/admin/departments?q=经信委").text


def test_alias_conflict_is_explained_and_nothing_saved(client, admin, session):
    make_department(session, name="市经济和信息化委员会", code="JXW", aliases=["市经信委"])
    session.commit()
    login(client, "root")
    token = csrf_from(client, "/admin/departments/new")
    response = client.post(
        "/admin/departments/new",
        data={"csrf_token": token, "code": "X1", "name": "另一个委员会", "aliases": "市经信委"},
    )
    assert response.status_code == 422
    assert "alert-error" in response.text and 'value="另一个委员会"' in response.text
    assert read_now(session, select(func.count(Department.id)).where(Department.code == "X1")) == 0


def test_import_preview_then_apply_gbk_csv(client, admin, session):
    login(client, "root")
    token = csrf_from(client, "/admin/departments/import")
    content = (
        "编码,名称,简称/别名,上级编码,行政区划代码,启用\n"
        "JTJ,市交通运输局,市交通局,,,是\n"
        "JTJ-1,市交通运输局运输科,,JTJ,,是\n"
    )
    files = {"file": ("部门.csv", content.encode("gbk"), "text/csv")}
    preview = client.post(
        "/admin/departments/import", data={"csrf_token": token, "mode": "preview"}, files=files
    )
    assert preview.status_code == 200 and "预览结果" in preview.text
    assert read_now(session, select(func.count(Department.id)).where(Department.code.like("JTJ%"))) == 0
    applied = client.post(
        "/admin/departments/import", data={"csrf_token": token, "mode": "apply"}, files=files
    )
    assert "导入完成" in applied.text
    assert read_now(session, select(func.count(Department.id)).where(Department.code.like("JTJ%"))) == 2


def test_import_rejects_a_bad_file(client, admin):
    login(client, "root")
    token = csrf_from(client, "/admin/departments/import")
    files = {"file": ("notes.txt", b"\x00\x01garbage", "application/octet-stream")}
    response = client.post(
        "/admin/departments/import", data={"csrf_token": token, "mode": "apply"}, files=files
    )
    assert response.status_code == 422
    assert "alert-error" in response.text or "error-message" in response.text


def test_export_xlsx_reimports(client, admin, session):
    make_department(session, name="市城市管理局", code="CGJ", aliases=["市城管局"])
    session.commit()
    login(client, "root")
    response = client.get("/admin/departments/export?format=xlsx")
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("编码", "名称")
    assert any(row[0] == "CGJ" and "市城管局" in str(row[2]) for row in rows[1:])
    assert client.get("/admin/departments/export?format=pdf").status_code == 422


def test_deactivate_department(client, admin, session):
    dept_id = make_department(session, name="市旧机构").id
    session.commit()
    login(client, "root")
    token = csrf_from(client, f"/admin/departments/{dept_id}")
    client.post(f"/admin/departments/{dept_id}/active", data={"csrf_token": token, "is_active": "false"})
    assert read_now(session, select(Department.is_active).where(Department.id == dept_id)) is False


def test_regions_page_loads_the_jurisdiction(client, admin, session):
    login(client, "root")
    assert "载入行政区划" in client.get("/admin/regions").text
    client.post("/admin/regions/load", data={"csrf_token": csrf_from(client, "/admin/regions")})
    assert read_now(session, select(func.count(Region.code)).where(Region.level == 3)) == 8
    page = client.get("/admin/regions?code=371502").text
    assert "东昌府区" in page and "古楼街道" in page
    assert "东昌府区" in client.get("/admin/regions?q=东昌府").text


def test_department_api_resolves_aliases(client, admin, session):
    import re

    make_department(session, name="市经济和信息化委员会", code="JXW", aliases=["市经信委"])
    session.commit()
    login(client, "root")
    page = client.post(
        "/account/tokens",
        data={"csrf_token": csrf_from(client, "/account/tokens"), "name": "t", "scopes": ["read"]},
    )
    plain = re.search(r'id="new-token">([^<]+)<', page.text).group(1).strip()
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/departments/resolve?name=市经信委", headers=headers).json()["code"] == "JXW"
    missing = client.get("/api/v1/departments/resolve?name=不存在的局", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NotFound"


def test_delete_department_only_when_unreferenced(client, admin, session):
    empty_id = make_department(session, name="市临时机构").id
    session.commit()
    login(client, "root")
    token = csrf_from(client, "/admin/departments")
    used = client.post(f"/admin/departments/{admin.department_id}/delete", data={"csrf_token": token})
    assert used.status_code == 409 and "无法删除" in used.text
    gone = client.post(
        f"/admin/departments/{empty_id}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert gone.status_code == 303
    assert read_now(session, select(func.count(Department.id)).where(Department.id == empty_id)) == 0
    assert read_now(session, select(AuditEntry.action).where(AuditEntry.action == "delete")) == "delete"

from __future__ import annotations

import re

from sqlalchemy import select

from minsheng.audit.models import AuditEntry
from minsheng.auth.models import ApiToken, User
from tests.factories import PASSWORD, csrf_from, login, make_department, make_user, read_now


def _actions(session) -> list[tuple[str, str]]:
    """Read the audit log and end the transaction (on SQLite it holds the write lock the app needs)."""
    session.expire_all()
    actions = [(e.action, e.entity_type) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    session.rollback()
    return actions


def test_admin_creates_edits_disables_and_resets_a_user(client, admin, session):
    dept_id = make_department(session, name="市交通运输局", aliases=["市交通局"]).id
    session.commit()
    login(client, "root")
    token = csrf_from(client, "/admin/users/new")
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "wangfang",
            "display_name": "王芳",
            "password": "Strong-Pass-2026",
            "department_id": str(dept_id),
            "email": "wf@example.org",
            "phone": "13900000000",
            "roles": ["handler"],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    user_id, roles = read_now(session, select(User.id, User.roles).where(User.username == "wangfang"))
    assert roles == ["handler"]

    response = client.post(
        f"/admin/users/{user_id}",
        data={
            "csrf_token": token,
            "display_name": "王芳芳",
            "department_id": str(dept_id),
            "roles": ["handler", "supervisor"],
            "email": "",
            "phone": "",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert read_now(session, select(User.roles).where(User.id == user_id)) == ["handler", "supervisor"]

    page = client.post(f"/admin/users/{user_id}/reset-password", data={"csrf_token": token})
    new_password = re.search(r'id="new-password">([^<]+)<', page.text).group(1)
    client.post(f"/admin/users/{user_id}/active", data={"csrf_token": token, "is_active": "false"})
    assert read_now(session, select(User.is_active).where(User.id == user_id)) is False
    assert ("create", "user") in _actions(session)
    assert ("reset_password", "user") in _actions(session)
    assert ("disable", "user") in _actions(session)
    assert len(new_password) >= 12


def test_invalid_user_form_keeps_input_and_explains(client, admin, session):
    login(client, "root")
    token = csrf_from(client, "/admin/users/new")
    response = client.post(
        "/admin/users/new",
        data={
            "csrf_token": token,
            "username": "bad name!",
            "display_name": "<b>x</b>",
            "password": "short",
            "department_id": "1",
            "roles": ["handler"],
        },
    )
    assert response.status_code == 422
    assert "&lt;b&gt;x&lt;/b&gt;" in response.text  # escaped, not rendered
    assert "alert-error" in response.text


def test_viewing_a_user_is_an_audited_read_of_personal_data(client, admin, session, settings):
    other_id = make_user(session, settings, roles=["handler"]).id
    session.commit()
    login(client, "root")
    assert "13800138000" in client.get(f"/admin/users/{other_id}").text
    assert ("read_personal", "user") in _actions(session)


def test_disabling_a_user_ends_their_session(client, admin, session, settings, engine):
    from starlette.testclient import TestClient

    from minsheng.web.app import create_app

    victim_id = make_user(session, settings, roles=["handler"], username="zhou").id
    session.commit()
    with TestClient(create_app(settings, run_jobs=False)) as other:
        login(other, "zhou")
        assert other.get("/", follow_redirects=False).status_code == 200
        login(client, "root")
        token = csrf_from(client, "/")
        client.post(f"/admin/users/{victim_id}/active", data={"csrf_token": token, "is_active": "false"})
        assert other.get("/", follow_redirects=False).status_code == 303


def test_password_change_flow(client, session, settings):
    make_user(session, settings, roles=["analyst"], username="xu")
    session.commit()
    login(client, "xu")
    token = csrf_from(client, "/account/password")
    bad = client.post(
        "/account/password",
        data={"csrf_token": token, "current": PASSWORD, "new": "Newer-Pass-77", "confirm": "Different-77"},
    )
    assert bad.status_code == 422
    ok = client.post(
        "/account/password",
        data={"csrf_token": token, "current": PASSWORD, "new": "Newer-Pass-77", "confirm": "Newer-Pass-77"},
    )
    assert ok.status_code == 200 and "密码已修改" in ok.text
    assert client.get("/", follow_redirects=False).status_code == 200


def test_api_token_issue_use_scope_and_revoke(client, session, settings):
    make_user(session, settings, roles=["analyst"], username="tang")
    session.commit()
    login(client, "tang")
    token = csrf_from(client, "/account/tokens")
    page = client.post(
        "/account/tokens", data={"csrf_token": token, "name": "热线对接", "days": "30", "scopes": ["read"]}
    )
    plain = re.search(r'id="new-token">([^<]+)<', page.text).group(1).strip()
    assert read_now(session, select(ApiToken.token_hash)) != plain

    client.cookies.clear()
    headers = {"Authorization": f"Bearer {plain}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json()["username"] == "tang"
    assert client.get("/api/v1/departments", headers=headers).status_code == 200
    assert client.get("/api/v1/users", headers=headers).status_code == 403

    token_id = read_now(session, select(ApiToken.id))
    login(client, "tang")
    client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(client, "/account/tokens")}
    )
    client.cookies.clear()
    revoked = client.get("/api/v1/me", headers=headers)
    assert revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "NotAuthenticated"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer msk_forged"}).status_code == 401


def test_admin_token_lists_users_over_the_api(client, admin, session):
    login(client, "root")
    page = client.post(
        "/account/tokens",
        data={"csrf_token": csrf_from(client, "/account/tokens"), "name": "ops", "scopes": ["read", "admin"]},
    )
    plain = re.search(r'id="new-token">([^<]+)<', page.text).group(1).strip()
    client.cookies.clear()
    listing = client.get("/api/v1/users", headers={"Authorization": f"Bearer {plain}"}).json()
    assert listing["total"] == 1 and listing["items"][0]["username"] == "root"
    assert "password_hash" not in listing["items"][0]

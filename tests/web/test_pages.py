from __future__ import annotations

import pytest

from minsheng.web.middleware import SECURITY_HEADERS
from tests.factories import csrf_from, login, make_user


def test_pages_require_login(client):
    response = client.get("/admin/users", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/users"


def test_login_page_is_chinese_and_carries_security_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "登录" in response.text and 'lang="zh-CN"' in response.text
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
        assert response.headers[name] == SECURITY_HEADERS[name]
    assert response.headers["X-Request-ID"]


def test_home_shows_real_counts(client, admin, session, settings):
    make_user(session, settings, roles=["handler"])
    session.commit()
    login(client, "root")
    page = client.get("/").text
    assert 'class="stat-value">2<' in page  # root and the handler
    assert "data-chart" in page


def test_post_without_csrf_token_is_refused(client, admin):
    response = client.post("/login", data={"username": "root", "password": "x"})
    assert response.status_code == 403
    assert "页面已过期" in response.text


def test_csrf_token_from_another_session_is_refused(client, admin, engine, settings):
    from starlette.testclient import TestClient

    from minsheng.web.app import create_app

    with TestClient(create_app(settings, run_jobs=False)) as other:
        foreign = csrf_from(other)
    csrf_from(client)
    response = client.post("/login", data={"username": "root", "password": "x", "csrf_token": foreign})
    assert response.status_code == 403


def test_wrong_password_shows_error_and_counts(client, admin, session):
    token = csrf_from(client)
    response = client.post("/login", data={"username": "root", "password": "wrong", "csrf_token": token})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    session.expire_all()
    session.refresh(admin)
    assert admin.failed_logins == 1


def test_open_redirect_after_login_is_blocked(client, admin):
    token = csrf_from(client)
    response = client.post(
        "/login",
        data={
            "username": "root",
            "password": "Correct-Horse-42",
            "csrf_token": token,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_handler_cannot_open_admin_pages(client, session, settings):
    make_user(session, settings, roles=["handler"], username="worker")
    session.commit()
    login(client, "worker")
    for path in ("/admin/users", "/admin/departments", "/admin/regions", "/audit"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "没有权限" in response.text


def test_errors_render_as_json_for_api_and_fragment_for_htmx(client, admin):
    assert client.get("/api/v1/me").json()["error"]["code"] == "NotAuthenticated"
    login(client, "root")
    fragment = client.get("/admin/users/99999", headers={"HX-Request": "true"})
    assert fragment.status_code == 404
    assert fragment.text.startswith('<div class="alert alert-error"')
    page = client.get("/admin/users/99999")
    assert "<html" in page.text and "用户不存在" in page.text
    as_json = client.get("/admin/users/99999", headers={"Accept": "application/json"})
    assert as_json.json()["error"]["message"] == "用户不存在"


def test_invalid_ids_are_clean_errors(client, admin):
    login(client, "root")
    assert client.get("/admin/users/abc").status_code == 422
    assert client.get("/admin/departments/-1").status_code == 404


def test_english_can_be_switched_on(client, admin):
    login(client, "root")
    token = csrf_from(client, "/")
    client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token})
    page = client.get("/").text
    assert 'lang="en"' in page and "Dashboard" in page and "Sign out" in page


def test_oversized_body_is_refused(client, settings):
    response = client.post(
        "/login",
        content=b"x" * (settings.max_body_mb * 1024 * 1024 + 1),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_health(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/components", "/account/tokens", "/account/password"])
def test_personal_pages_render(client, admin, path):
    login(client, "root")
    assert client.get(path).status_code == 200


def test_streamed_oversized_body_is_refused(client, settings):
    def chunks():
        for _ in range(settings.max_body_mb + 2):
            yield b"x" * (1024 * 1024)

    csrf_from(client)
    response = client.post(
        "/login", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413


def test_bearer_token_is_ignored_on_pages(client, admin, session):
    from minsheng.auth.tokens import issue_token

    plain, _ = issue_token(session, user=admin, name="read only", scopes=["read"], days=30)
    session.commit()
    response = client.post(
        "/account/tokens",
        data={"name": "escalate", "scopes": ["admin"]},
        headers={"Authorization": f"Bearer {plain}"},
        follow_redirects=False,
    )
    assert response.status_code == 403  # no cookie session: CSRF refuses before anything else
    page = client.get("/account/tokens", headers={"Authorization": f"Bearer {plain}"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_logout_ends_the_session_even_for_a_replayed_cookie(client, admin):
    login(client, "root")
    cookie = client.cookies.get("minsheng_session")
    client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
    client.cookies.set("minsheng_session", cookie)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_one_time_password_must_be_changed_first(client, admin, session, settings):
    from minsheng.auth.service import reset_password

    temporary = reset_password(session, user=admin)
    session.commit()
    login(client, "root", temporary)
    response = client.get("/admin/users", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/account/password"
    assert client.get("/account/password").status_code == 200


def test_unknown_login_name_is_not_written_to_the_audit_log(client, admin, session):
    from sqlalchemy import select

    from minsheng.audit.models import AuditEntry

    token = csrf_from(client)
    client.post("/login", data={"username": "MySecretPassw0rd", "password": "x", "csrf_token": token})
    client.post("/login", data={"username": "root", "password": "x", "csrf_token": token})
    session.expire_all()
    summaries = list(session.scalars(select(AuditEntry.summary).where(AuditEntry.action == "login_failed")))
    session.rollback()
    assert summaries == ["登录失败: 未知用户名", "登录失败: root"]

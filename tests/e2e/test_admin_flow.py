"""Browser tests: what an administrator and a handler actually see and do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).resolve().parents[2] / "test-results"


def _login(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_admin_creates_department_and_user_and_sees_them_in_audit_log(page: Page, live_server, people):
    base = live_server.url
    _login(page, base, "admin")
    expect(page.locator("h1.page-title")).to_have_text("工作台")
    expect(page.locator(".chart svg").first).to_be_visible()

    page.get_by_role("link", name="部门管理").click()
    page.get_by_role("link", name="新建部门").click()
    page.get_by_label("编码").fill("JXW")
    page.get_by_label("全称").fill("市经济和信息化委员会")
    page.get_by_label("简称/别名").fill("市经信委、经信委")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#departments-table")).to_contain_text("市经济和信息化委员会")
    expect(page.locator("#departments-table")).to_contain_text("市经信委、经信委")

    page.get_by_role("link", name="用户管理").click()
    page.get_by_role("link", name="新建用户").click()
    page.get_by_label("用户名").fill("liqiang")
    page.get_by_label("姓名").fill("李强")
    page.get_by_label("所属部门").select_option(label="市经济和信息化委员会")
    page.get_by_label("电子邮箱").fill("liqiang@example.org")
    page.get_by_label("初始密码").fill("Strong-Pass-2026")
    page.get_by_label("承办人员").check()
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".alert-success")).to_contain_text("用户已创建")

    page.get_by_role("link", name="审计日志").click()
    table = page.locator("#audit-table")
    expect(table).to_contain_text("新建部门 市经济和信息化委员会")
    expect(table).to_contain_text("创建用户 liqiang")
    expect(table).to_contain_text("查看用户 liqiang 的联系方式")
    page.get_by_role("button", name="校验哈希链").click()
    expect(page.locator("#verify-result .alert-success")).to_be_visible()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "audit.png"), full_page=True)


def test_wrong_password_locks_the_account(page: Page, live_server, people):
    base = live_server.url
    for _ in range(live_server.settings.login_max_failures - 1):
        _login(page, base, "handler", "not-the-password")
        expect(page.locator(".alert-error")).to_contain_text("用户名或密码错误")
    _login(page, base, "handler", "not-the-password")
    expect(page.locator(".alert-error")).to_contain_text("账户已临时锁定")
    _login(page, base, "handler")
    expect(page.locator(".alert-error")).to_contain_text("账户已临时锁定")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_handler_cannot_open_admin_pages(page: Page, live_server, people):
    base = live_server.url
    _login(page, base, "handler")
    expect(page.locator("h1.page-title")).to_have_text("工作台")
    expect(page.locator("nav.nav")).not_to_contain_text("用户管理")
    for path in ("/admin/users", "/admin/departments", "/audit"):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 403
        expect(page.locator(".error-message")).to_contain_text("没有权限")


def test_interface_switches_to_english(page: Page, live_server, people):
    base = live_server.url
    _login(page, base, "admin")
    page.get_by_role("button", name="English").click()
    expect(page.locator("h1.page-title")).to_have_text("Dashboard")
    expect(page.get_by_role("link", name="Audit log")).to_be_visible()
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("h1.page-title")).to_have_text("工作台")

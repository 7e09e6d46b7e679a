"""Browser test: a policy document from upload to assigned cases and an indicator's status."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from minsheng.cases.catalog import install_builtin_types
from minsheng.core.settings import Settings
from tests.e2e.test_admin_flow import SHOTS, _login
from tests.factories import make_department, make_user
from tests.plans.conftest import SEED_002, UNLISTED, seed_units

pytestmark = pytest.mark.e2e


@pytest.fixture
def office(session: Session, settings: Settings) -> None:
    install_builtin_types(session)
    center = make_department(session, name="市委网信办", code="WXB")
    made = {}
    for n, name in enumerate(seed_units(SEED_002)):
        if name not in UNLISTED:
            made[name] = make_department(session, name=f"{name}全称", code=f"U{n:03d}", aliases=[name])
    make_user(session, settings, roles=["supervisor"], username="supervisor", department=center)
    make_user(session, settings, roles=["handler"], username="handler", department=made["市经信委"])
    session.commit()


def test_plan_from_upload_to_cases_and_indicator_status(page: Page, live_server, office):
    base = live_server.url
    _login(page, base, "supervisor")
    page.get_by_role("link", name="规划任务").click()
    page.get_by_role("link", name="导入规划文件").click()
    page.get_by_label("文件").set_input_files(str(SEED_002))
    page.get_by_role("button", name="识别").click()

    expect(page.locator("#plan-document mark.hl-task")).to_have_count(34)
    unknown = page.locator("#plan-unknown-units")
    expect(unknown).to_contain_text(UNLISTED[0])
    unknown.get_by_label(UNLISTED[0]).select_option(label="市发改委全称")
    unknown.get_by_label(UNLISTED[1]).select_option(label=f"新建部门：{UNLISTED[1]}")
    first_target = page.locator("#target-row-0")
    first_target.get_by_label("目标年份").fill("2030")
    first_target.get_by_label("基期值").fill("50")
    page.screenshot(path=str(SHOTS / "plan-review.png"), full_page=True)
    page.get_by_role("button", name="确认导入").click()

    expect(page.locator(".alert-success")).to_contain_text("规划已导入")
    tasks = page.locator("#plan-tasks")
    expect(tasks).to_contain_text("大力推进智能制造")
    expect(tasks).to_contain_text("市经信委全称")
    expect(tasks).to_contain_text("待签收")
    expect(tasks).to_contain_text(UNLISTED[1])
    page.screenshot(path=str(SHOTS / "plan-page.png"), full_page=True)

    page.locator("#plan-indicators").get_by_role("link", name="固定宽带家庭普及率").click()
    expect(page.locator("#indicator-summary")).to_contain_text("数据不足")
    page.locator("#measurement-form").get_by_label("数值").fill("68")
    page.locator("#measurement-form").get_by_role("button", name="报送").click()
    expect(page.locator("#indicator-summary")).to_contain_text("进度正常")
    expect(page.locator(".chart svg").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "plan-indicator.png"), full_page=True)
    page.get_by_role("button", name="退出登录").click()

    _login(page, base, "handler")
    page.get_by_role("link", name="规划任务").click()
    page.locator("#plans-table a").first.click()
    tasks = page.locator("#plan-tasks")
    expect(tasks).to_contain_text("大力推进智能制造")
    expect(tasks).not_to_contain_text("推进农业生产精准化智能化")
    tasks.get_by_role("link", name="大力推进智能制造").click()
    page.get_by_label("报送期间").fill("2026年第四季度")
    page.get_by_label("进展情况").fill("已建成3个数字化车间。")
    page.get_by_role("button", name="报送").click()
    expect(page.locator("#task-reports")).to_contain_text("已建成3个数字化车间")
    page.locator("#task-summary a.mono").click()
    expect(page.locator("#case-summary")).to_contain_text("督办任务")

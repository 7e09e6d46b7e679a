"""Browser test: a citizen's complaint from the public form to the rated reply."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from minsheng.cases.catalog import install_builtin_types
from minsheng.cases.models import RoutingRule
from minsheng.core.settings import Settings
from tests.e2e.test_admin_flow import SHOTS, _login
from tests.factories import make_department, make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def hotline(session: Session, settings: Settings) -> None:
    install_builtin_types(session)
    center = make_department(session, name="市12345热线服务中心", code="RX")
    housing = make_department(session, name="市住房和城乡建设局", code="ZJJ", aliases=["市住建局"])
    make_department(session, name="市交通运输局", code="JTJ")
    session.add(RoutingRule(kind="keyword", pattern="物业", department_id=housing.id, priority=10))
    make_user(session, settings, roles=["dispatcher"], username="dispatcher", department=center)
    make_user(session, settings, roles=["handler"], username="handler", department=housing)
    session.commit()


def _logout(page: Page) -> None:
    page.get_by_role("button", name="退出登录").click()


def test_complaint_to_rated_reply(page: Page, live_server, hotline):
    base = live_server.url
    page.goto(f"{base}/report")
    page.get_by_role("link", name="投诉").first.click()
    page.get_by_label("情况描述").fill("古楼街道某小区物业不作为，电梯坏了两个月没人修，老人上下楼很困难。")
    page.get_by_label("地点").fill("东昌府区古楼街道")
    page.get_by_label("姓名").fill("张三")
    page.get_by_label("联系电话").fill("13912345678")
    page.get_by_role("button", name="提交").click()
    expect(page.locator("#report-done")).to_contain_text("提交成功")
    number = page.locator("#tracking-no").inner_text()
    code = page.locator("#query-code").inner_text()
    page.screenshot(path=str(SHOTS / "case-submitted.png"))

    _login(page, base, "dispatcher")
    page.get_by_role("link", name="工单", exact=True).click()
    page.get_by_role("link", name=number).click()
    suggestions = page.locator("#case-suggestions")
    expect(suggestions).to_contain_text("市住房和城乡建设局")
    expect(page.locator("#case-contact")).to_contain_text("139****5678")
    suggestions.get_by_role("button", name="派给该单位").first.click()
    expect(page.locator(".alert-success")).to_contain_text("派单")
    expect(page.locator("#case-summary")).to_contain_text("待签收")
    _logout(page)

    _login(page, base, "handler")
    page.goto(f"{base}/cases?view=mine")
    page.get_by_role("link", name=number).click()
    page.locator("details[data-action=sign_for] summary").click()
    page.locator("details[data-action=sign_for]").get_by_role("button", name="签收").click()
    expect(page.locator("#case-summary")).to_contain_text("办理中")
    page.locator("details[data-action=reply] summary").click()
    page.get_by_label("给来电人的答复").fill("已约谈物业公司，电梯已于本周修复。")
    page.locator("details[data-action=reply]").get_by_role("button", name="答复").click()
    expect(page.locator("#case-summary")).to_contain_text("已答复待审核")
    page.screenshot(path=str(SHOTS / "case-replied.png"), full_page=True)
    _logout(page)

    _login(page, base, "dispatcher")
    page.goto(f"{base}/cases?view=mine")
    page.get_by_role("link", name=number).click()
    page.locator("details[data-action=close] summary").click()
    page.locator("details[data-action=close]").get_by_role("button", name="办结").click()
    expect(page.locator("#case-summary")).to_contain_text("已办结")
    _logout(page)

    page.goto(f"{base}/track")
    page.get_by_label("受理编号").fill(number)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#case-reply")).to_contain_text("电梯已于本周修复")
    expect(page.locator("#case-status")).not_to_contain_text("张三")
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator(".alert-success")).to_contain_text("感谢您的评价")
    expect(page.locator("#case-status")).to_contain_text("您的评价：满意")

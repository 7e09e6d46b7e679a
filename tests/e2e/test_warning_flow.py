"""Browser test: an admin sets a rule, a burst raises an alert, an analyst takes it on and opens a case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from minsheng.cases.catalog import install_builtin_types
from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.warning.evaluate import run_round
from tests.e2e.test_admin_flow import SHOTS, _login
from tests.factories import make_department, make_user
from tests.items.conftest import make_source
from tests.warning.conftest import add_items, make_event

pytestmark = pytest.mark.e2e


@pytest.fixture
def office(session: Session, settings: Settings) -> None:
    install_builtin_types(session)
    center = make_department(session, name="市委网信办", code="WXB")
    make_user(session, settings, roles=["admin"], username="admin", department=center)
    make_user(session, settings, roles=["analyst"], username="analyst", department=center)
    session.commit()


def _burst(session: Session, settings: Settings) -> None:
    """A quiet day, then fourteen angry posts about one smell by the river in five minutes."""
    source = make_source(session, tier="key")
    now = utcnow()
    for hours in range(1, 24):
        add_items(session, source, at=now - timedelta(hours=hours), count=10, keywords=["天气"])
    event = make_event(
        session, title="河边化工厂刺鼻异味", at=now, item_count=14, negative_count=12, key_tier_count=14
    )
    add_items(
        session,
        source,
        at=now - timedelta(minutes=4),
        count=14,
        keywords=["异味"],
        event=event,
        sentiment="negative",
        text="河边化工厂刺鼻异味，晚上更严重",
    )
    session.commit()
    run_round(session, settings=settings, now=now)
    session.commit()


def test_rule_burst_alert_acknowledge_and_case(page: Page, live_server, office, session, settings):
    base = live_server.url
    _login(page, base, "admin")
    page.get_by_role("link", name="预警规则").click()
    page.get_by_role("link", name="新建规则").click()
    form = page.locator("#rule-form")
    form.get_by_label("规则名称").fill("重点源负面突发")
    form.get_by_label("预警等级").select_option(label="Ⅱ级")
    form.get_by_label("负面占比不低于（%）").fill("60")
    form.get_by_label("有重点信息源参与").check()
    form.get_by_label("事件正在突发").check()
    form.get_by_role("button", name="保存").click()
    expect(page.locator("#rules-table")).to_contain_text("重点源负面突发")
    expect(page.locator("#rules-table")).to_contain_text("负面占比 ≥ 60%")

    _burst(session, settings)
    page.context.clear_cookies()
    _login(page, base, "analyst")
    page.get_by_role("link", name="预警中心").click()
    expect(page.locator("#bursts")).to_contain_text("河边化工厂刺鼻异味")
    table = page.locator("#alerts-table")
    expect(table).to_contain_text("Ⅱ级")
    page.screenshot(path=str(SHOTS / "alert-inbox.png"), full_page=True)
    table.get_by_role("link", name="河边化工厂刺鼻异味").click()
    expect(page.locator("dl.facts")).to_contain_text("出现突发")
    page.get_by_label("签收说明").fill("已通知属地街道核实")
    page.get_by_role("button", name="签收").click()
    expect(page.locator("#alert-status")).to_have_text("已签收")
    page.get_by_role("button", name="转为舆情处置工单").click()
    expect(page.locator("h1.page-title")).to_contain_text("工单")
    expect(page.locator("body")).to_contain_text("舆情处置")
    page.screenshot(path=str(SHOTS / "alert-case.png"), full_page=True)

import io

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from sqlalchemy import select

from minsheng.plans.bulletin import build_bulletin, bulletin_workbook
from minsheng.plans.bulletin_docx import CJK_FONT, bulletin_docx
from minsheng.plans.models import AppraisalRule
from tests.factories import csrf_from, login, read_now
from tests.plans.scenes import WINDOW, build_scene

QUERY = "start=2026-01-01&end=2026-06-30"
RULE_FORM = {
    "on_time_weight": "50",
    "target_weight": "30",
    "report_weight": "20",
    "overdue_deduction": "2",
    "supervision_deduction": "1",
    "deduction_cap": "20",
    "report_cycle": "quarter",
    "report_grace_days": "10",
}


def document_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.fixture
def scene(session, settings):
    return build_scene(session, settings)


@pytest.fixture
def names(scene, session):
    """Plain values of the scene, with the test's session emptied so it never holds SQLite's write lock."""
    values = {
        "plan_id": scene.plan.id,
        "title": scene.plan.title,
        "supervisor": scene.supervisor.username,
        "handler": scene.handler.username,
        "outsider": scene.outsider.username,
    }
    session.expunge_all()
    session.rollback()
    return values


def test_bulletin_lists_tasks_indicators_and_scores(session, scene):
    bulletin = build_bulletin(session, plan=scene.plan, user=scene.supervisor, window=WINDOW)
    assert len(bulletin.tasks) == 6 and len(bulletin.indicators) == 3
    assert dict(bulletin.summary)["超期未办结"] == "1"
    overdue = next(t for t in bulletin.tasks if "已超期" in t.status)
    assert (
        "督办2级" in overdue.status
        and overdue.lead_unit == "市经信局"
        and overdue.progress.startswith("2026")
    )
    text = document_text(bulletin_docx(bulletin))
    assert "数字经济三年行动方案" in text and "市经信局" in text and "2026年01月01日至2026年06月30日" in text
    document = docx.Document(io.BytesIO(bulletin_docx(bulletin)))
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == CJK_FONT
    book = openpyxl.load_workbook(io.BytesIO(bulletin_workbook(bulletin)))
    assert book.sheetnames == ["任务", "指标", "考核得分"]
    scores = book["考核得分"]
    assert [scores.cell(row=r, column=2).value for r in range(3, 7)] == [
        "市统计局",
        "市发改委",
        "市经信局",
        "市财政局",
    ]
    assert scores.cell(row=5, column=9).value == 40.3
    # A handler's bulletin lists only the tasks of their own department.
    mine = build_bulletin(session, plan=scene.plan, user=scene.handler, window=WINDOW)
    assert {t.lead_unit for t in mine.tasks} == {"市经信局"}


def test_appraisal_page_and_rule_form(client, session, names):
    plan_id = names["plan_id"]
    login(client, names["handler"])
    page = client.get(f"/plans/{plan_id}/appraisal?{QUERY}")
    assert page.status_code == 200 and "市经信局" in page.text and 'id="rule-form"' not in page.text
    token = csrf_from(client, f"/plans/{plan_id}/appraisal")
    refused = client.post(f"/plans/{plan_id}/appraisal/rule", data=RULE_FORM | {"csrf_token": token})
    assert refused.status_code == 403
    client.cookies.clear()

    login(client, names["supervisor"])
    page = client.get(f"/plans/{plan_id}/appraisal?{QUERY}")
    assert page.status_code == 200 and 'id="appraisal-table"' in page.text and 'id="rule-form"' in page.text
    assert "data-chart=" in page.text and "市统计局" in page.text
    assert f"/plans/{plan_id}/appraisal" in client.get(f"/plans/{plan_id}").text
    token = csrf_from(client, f"/plans/{plan_id}/appraisal")
    wrong = client.post(
        f"/plans/{plan_id}/appraisal/rule", data=RULE_FORM | {"report_weight": "10", "csrf_token": token}
    )
    assert wrong.status_code == 422 and "三项权重之和必须为 100" in wrong.text
    saved = client.post(
        f"/plans/{plan_id}/appraisal/rule", data=RULE_FORM | {"csrf_token": token}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert (
        read_now(session, select(AppraisalRule.on_time_weight).where(AppraisalRule.plan_id == plan_id)) == 50
    )


def test_bulletin_downloads_follow_plan_visibility(client, names):
    plan_id = names["plan_id"]
    login(client, names["supervisor"])
    word = client.get(f"/plans/{plan_id}/bulletin.docx?{QUERY}")
    assert word.status_code == 200 and "attachment" in word.headers["content-disposition"]
    text = document_text(word.content)
    assert names["title"] in text and "市发改委" in text
    excel = client.get(f"/plans/{plan_id}/bulletin.xlsx?{QUERY}")
    assert openpyxl.load_workbook(io.BytesIO(excel.content)).sheetnames == ["任务", "指标", "考核得分"]
    client.cookies.clear()
    login(client, names["outsider"])
    assert client.get(f"/plans/{plan_id}/bulletin.docx").status_code == 404
    assert client.get(f"/plans/{plan_id}/bulletin.xlsx").status_code == 404

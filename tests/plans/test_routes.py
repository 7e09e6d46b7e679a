import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from minsheng.cases.models import Case
from minsheng.plans.models import Indicator, Measurement, Plan, PlanTask, ProgressReport
from tests.factories import csrf_from, detach, login, read_now
from tests.plans.conftest import SEED_002, UNLISTED


@pytest.fixture
def office(office, session):
    """The office detached from the test's session, so reading it never holds SQLite's write lock."""
    detach(
        session,
        office.economy,
        office.reform,
        office.supervisor,
        office.leader,
        office.handler,
        office.other_handler,
    )
    return office


class FormFields(HTMLParser):
    """Collect what a browser would submit from one form: inputs, checked boxes, selected options."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.fields, self.select = form_id, False, {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif self.inside and tag == "input" and a.get("name") and a.get("type") not in ("file", "submit"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields[a["name"]] = a.get("value") or ("on" if a.get("type") == "checkbox" else "")
        elif self.inside and tag == "select":
            self.select = a.get("name")
            self.fields.setdefault(self.select, "")
        elif self.inside and tag == "option" and self.select and "selected" in a:
            self.fields[self.select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def form_of(html, form_id):
    parser = FormFields(form_id)
    parser.feed(html)
    return parser.fields


def upload(client, path=SEED_002):
    token = csrf_from(client, "/plans/import")
    files = {"file": (path.name, path.read_bytes(), "text/plain")}
    return client.post("/plans/import", data={"csrf_token": token}, files=files)


def unit_index(fields, name):
    return next(k.split("-")[1] for k, v in fields.items() if k.endswith("-name") and v == name)


def test_only_plan_roles_import(client, office):
    login(client, office.handler.username)
    assert client.get("/plans/import").status_code == 403
    assert client.get("/plans").status_code == 200


def test_review_marks_the_document_and_lists_unknown_units(client, office):
    login(client, office.supervisor.username)
    page = upload(client)
    assert page.status_code == 200, page.text[:3000]
    assert page.text.count('class="hl-task" id="src-task-') == 34 and 'id="src-target-0"' in page.text
    unknown = page.text[page.text.index('id="plan-unknown-units"') :]
    assert all(name in unknown for name in UNLISTED)
    assert "市经信委(全称)" in page.text  # resolved through the alias


def test_pasted_text_is_escaped(client, office):
    login(client, office.supervisor.username)
    token = csrf_from(client, "/plans/import")
    hostile = (
        "<script>alert(1)</script>关于推进工作的通知\n"
        "一、加强领导。（牵头单位：市经信委；配合单位：<b>某局</b>）\n"
    )
    page = client.post(
        "/plans/import", data={"csrf_token": token, "text": hostile}, files={"file": ("", b"")}
    )
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;" in page.text
    assert "<b>某局</b>" not in page.text


def test_bad_files_are_refused_in_chinese(client, office):
    login(client, office.supervisor.username)
    token = csrf_from(client, "/plans/import")
    page = client.post(
        "/plans/import",
        data={"csrf_token": token},
        files={"file": ("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1xx")},
    )
    assert page.status_code == 422 and "旧版 Word" in page.text


def test_confirm_creates_the_plan_and_its_cases(client, session, office):
    login(client, office.supervisor.username)
    fields = form_of(upload(client).text, "plan-review")
    fields["action"] = "confirm"
    refused = client.post("/plans/review", data=fields)
    assert refused.status_code == 422 and "尚未对应到部门" in refused.text
    assert read_now(session, select(func.count()).select_from(Plan)) == 0
    fields[f"unit-{unit_index(fields, UNLISTED[0])}-choice"] = str(office.reform.id)
    fields[f"unit-{unit_index(fields, UNLISTED[1])}-choice"] = "new"
    fields["task-0-deadline"] = "2030-06-30"
    fields["task-1-remove"] = "on"
    fields["target-0-baseline"] = "50"
    done = client.post("/plans/review", data=fields, follow_redirects=False)
    assert done.status_code == 303, done.text[:2000]
    plan_id = int(re.search(r"/plans/(\d+)", done.headers["location"]).group(1))
    assert read_now(session, select(func.count()).select_from(PlanTask)) == 33
    assert read_now(session, select(func.count()).select_from(Case).where(Case.channel == "plan")) == 33
    assert (
        read_now(session, select(PlanTask.deadline).where(PlanTask.sort_order == 0)).isoformat()
        == "2030-06-30"
    )
    assert read_now(session, select(Indicator.baseline_value).where(Indicator.sort_order == 0)) == 50
    page = client.get(f"/plans/{plan_id}")
    assert "待签收" in page.text and "2030-06-30" in page.text and "数据不足" in page.text


def _confirmed_plan(client, office):
    login(client, office.supervisor.username)
    fields = form_of(upload(client).text, "plan-review")
    for name in UNLISTED:
        fields[f"unit-{unit_index(fields, name)}-choice"] = "new"
    fields["action"] = "confirm"
    done = client.post("/plans/review", data=fields, follow_redirects=False)
    client.post("/logout", data={"csrf_token": csrf_from(client, "/plans")})
    return int(re.search(r"/plans/(\d+)", done.headers["location"]).group(1))


def test_handlers_see_their_tasks_and_report_progress(client, session, office):
    plan_id = _confirmed_plan(client, office)
    login(client, office.handler.username)
    page = client.get(f"/plans/{plan_id}")
    assert page.status_code == 200 and "大力推进智能制造" in page.text
    assert "推进农业生产精准化智能化" not in page.text  # led by 市农委 with other partners
    task_id = int(re.search(r'href="/plans/tasks/(\d+)"', page.text).group(1))
    token = csrf_from(client, f"/plans/tasks/{task_id}")
    empty = client.post(
        f"/plans/tasks/{task_id}/progress", data={"csrf_token": token, "period": "", "text": ""}
    )
    assert empty.status_code == 422
    sent = client.post(
        f"/plans/tasks/{task_id}/progress",
        data={"csrf_token": token, "period": "2026年第四季度", "text": "已建成3个数字化车间"},
    )
    assert sent.status_code == 200 and "已建成3个数字化车间" in sent.text
    assert read_now(session, select(ProgressReport.period)) == "2026年第四季度"


def test_indicator_page_records_values_and_keeps_the_override_reason(client, session, office):
    plan_id = _confirmed_plan(client, office)
    indicator_id = read_now(
        session, select(Indicator.id).where(Indicator.plan_id == plan_id, Indicator.sort_order == 0)
    )
    login(client, office.leader.username)
    page = client.get(f"/plans/indicators/{indicator_id}")
    assert page.status_code == 200 and "data-chart=" in page.text and "markLine" in page.text
    token = csrf_from(client, f"/plans/indicators/{indicator_id}")
    bad = client.post(
        f"/plans/indicators/{indicator_id}/measurements",
        data={"csrf_token": token, "measured_on": "2024-01-01", "value": "abc"},
    )
    assert bad.status_code == 422
    client.post(
        f"/plans/indicators/{indicator_id}/measurements",
        data={"csrf_token": token, "measured_on": "2024-01-01", "value": "1000000"},
    )
    assert read_now(session, select(Measurement.value)) == 1000000
    page = client.get(f"/plans/indicators/{indicator_id}")
    assert "已达标" in page.text
    no_reason = client.post(
        f"/plans/indicators/{indicator_id}/status", data={"csrf_token": token, "status": "moderate"}
    )
    assert no_reason.status_code == 422 and "理由" in no_reason.text
    client.post(
        f"/plans/indicators/{indicator_id}/status",
        data={"csrf_token": token, "status": "moderate", "reason": "数据待核实"},
    )
    page = client.get(f"/plans/indicators/{indicator_id}")
    assert "进度偏慢" in page.text and "数据待核实" in page.text
    client.post("/logout", data={"csrf_token": token})
    login(client, office.other_handler.username)
    # 市财政局 has tasks in this plan, so it sees the indicator, but only the responsible unit reports values.
    page = client.get(f"/plans/indicators/{indicator_id}")
    assert (
        page.status_code == 200
        and 'id="measurement-form"' not in page.text
        and 'id="status-form"' not in page.text
    )
    token = csrf_from(client, f"/plans/indicators/{indicator_id}")
    sent = {"csrf_token": token, "measured_on": "2024-01-01", "value": "1"}
    assert client.post(f"/plans/indicators/{indicator_id}/measurements", data=sent).status_code == 403

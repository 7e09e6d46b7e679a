import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from minsheng.cases import service
from minsheng.cases.schemas import ActionIn, CaseSubmit, ContactIn
from minsheng.cases.statistics import case_report
from tests.factories import detach, login

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def run_case(session, settings, world, *, department, outcome, satisfaction=None):
    intake = service.submit(
        session,
        data=CaseSubmit(
            type_code="complaint",
            description="张三反映小区路灯不亮，电话13912345678",
            place_text="东昌府区",
            contact=ContactIn(name="张三", phone="13912345678"),
        ),
        settings=settings,
        engine=world.engine,
    )
    case = intake.case

    def act(user, action, when, **fields):
        service.act(
            session,
            case_id=case.id,
            user=user,
            data=ActionIn(action=action, **fields),
            settings=settings,
            now=when,
        )

    act(world.dispatcher, "assign", at("2026-11-02T09:00"), department_id=department.id)
    if outcome == "assigned":
        return case
    handler = world.handler if department is world.housing else world.other_handler
    act(handler, "sign_for", at("2026-11-02T10:00") if outcome != "late" else at("2026-11-03T10:00"))
    if outcome == "returned":
        act(handler, "return", at("2026-11-03T11:00"), note="非本单位职责")
        return case
    act(
        handler,
        "reply",
        at("2026-11-05T10:00") if outcome != "late" else at("2026-11-30T10:00"),
        public_note="已处理",
    )
    act(world.dispatcher, "close", at("2026-11-30T11:00"))
    if satisfaction:
        service.rate(
            session,
            tracking_no=case.tracking_no,
            query_code=intake.query_code,
            satisfaction=satisfaction,
            note="",
            settings=settings,
        )
    return case


@pytest.fixture
def figures(session, settings, world):
    run_case(session, settings, world, department=world.housing, outcome="done", satisfaction="satisfied")
    run_case(session, settings, world, department=world.housing, outcome="late", satisfaction="dissatisfied")
    run_case(session, settings, world, department=world.housing, outcome="assigned")
    run_case(session, settings, world, department=world.transport, outcome="returned")
    session.commit()


def test_rates_per_department(session, settings, world, figures):
    now = datetime.now(SH)
    report = case_report(
        session,
        user=world.dispatcher,
        grouping="department",
        start=now - timedelta(days=1),
        end=now + timedelta(days=1),
        zone="Asia/Shanghai",
    )
    rows = {r["key"]: r for r in report.rows}
    housing = rows["市住房和城乡建设局"]
    # The dissatisfied case was reopened, so only one of the three is closed now.
    assert housing["received"] == 3 and housing["assigned"] == 3 and housing["closed"] == 1
    assert housing["close_on_time_rate"] == 1.0
    assert housing["satisfaction_rate"] == 0.5
    assert housing["response_rate"] == pytest.approx(1 / 3, abs=1e-4)  # the reopened case awaits signing
    returned = rows["未分配"]
    assert returned["return_rate"] == 1.0
    assert report.total["received"] == 4


def test_a_handler_counts_only_their_department(session, settings, world, figures):
    now = datetime.now(SH)
    report = case_report(
        session,
        user=world.other_handler,
        grouping="type",
        start=now - timedelta(days=1),
        end=now + timedelta(days=1),
        zone="Asia/Shanghai",
    )
    assert report.total["received"] == 0


def test_statistics_page_workbook_and_open_data(client, session, settings, world, figures):
    detach(session, world.dispatcher)
    login(client, world.dispatcher.username)
    page = client.get("/statistics/cases")
    assert page.status_code == 200 and "市住房和城乡建设局" in page.text and "data-chart" in page.text
    for by in ("category", "region", "type", "month", "nonsense"):
        assert client.get("/statistics/cases", params={"by": by}).status_code == 200
    assert client.get("/statistics/cases", params={"start": "2026-13-01"}).status_code == 422
    assert (
        client.get("/statistics/cases", params={"start": "2026-11-30", "end": "2026-11-01"}).status_code
        == 422
    )
    book = client.get("/statistics/cases.xlsx")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet["A2"].value == "分组" and sheet["B2"].value == "受理量"
    anonymous = client.__class__(client.app)
    opened = anonymous.get("/open-data/cases.csv")
    assert opened.status_code == 200
    rows = list(csv.DictReader(io.StringIO(opened.text.lstrip("\ufeff"))))
    assert len(rows) == 1 and rows[0]["county_code"] in ("371502", "")
    assert "张三" not in opened.text and "13912345678" not in opened.text and "路灯" not in opened.text
    assert anonymous.get("/open-data/cases.json").json()[0]["type"] == "complaint"
    assert anonymous.get("/open-data/cases.xml").status_code == 422

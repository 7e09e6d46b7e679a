from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from minsheng.cases import service
from minsheng.cases.models import CaseEvent
from minsheng.cases.schemas import ActionIn, CaseSubmit, ContactIn
from minsheng.cases.sla import sweep_deadlines
from minsheng.jobs.catalog import TASK_MODULES
from minsheng.jobs.registry import get_spec
from tests.factories import detach, login

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def assigned_case(session, settings, world, when):
    case = service.submit(
        session,
        data=CaseSubmit(
            type_code="complaint",
            description="路灯坏了很久没人修，晚上出行不安全",
            contact=ContactIn(name="张三", phone="13912345678"),
        ),
        settings=settings,
        engine=world.engine,
    ).case
    service.act(
        session,
        case_id=case.id,
        user=world.dispatcher,
        data=ActionIn(action="assign", department_id=world.housing.id),
        settings=settings,
        now=when,
    )
    session.commit()
    return case


def automatic_steps(session, case):
    return session.scalars(
        select(CaseEvent.action)
        .where(CaseEvent.case_id == case.id, CaseEvent.actor_name == "系统")
        .order_by(CaseEvent.id)
    ).all()


def test_late_sign_for_is_urged_once(session, settings, world):
    case = assigned_case(session, settings, world, at("2026-11-23T09:00"))
    assert sweep_deadlines(session, settings=settings, now=at("2026-11-23T10:00")).urged == 0
    result = sweep_deadlines(session, settings=settings, now=at("2026-11-23T11:30"))
    again = sweep_deadlines(session, settings=settings, now=at("2026-11-23T11:35"))
    session.commit()
    assert (result.urged, again.urged) == (1, 0)
    assert case.urge_count == 1 and automatic_steps(session, case) == ["urge"]


def test_reminder_before_due_then_supervision_when_overdue(session, settings, world):
    case = assigned_case(session, settings, world, at("2026-11-23T09:00"))  # due 2026-12-07 17:30
    service.act(
        session,
        case_id=case.id,
        user=world.handler,
        data=ActionIn(action="sign_for"),
        settings=settings,
        now=at("2026-11-23T09:10"),
    )
    assert sweep_deadlines(session, settings=settings, now=at("2026-12-04T17:00")).reminded == 0
    assert sweep_deadlines(session, settings=settings, now=at("2026-12-07T14:00")).reminded == 1
    assert sweep_deadlines(session, settings=settings, now=at("2026-12-07T15:00")).reminded == 0
    overdue = sweep_deadlines(session, settings=settings, now=at("2026-12-08T09:00"))
    assert overdue.supervised == 1 and case.supervision_level == 1
    assert sweep_deadlines(session, settings=settings, now=at("2026-12-09T09:00")).supervised == 0
    session.commit()
    assert automatic_steps(session, case) == ["remind", "supervise"]


def test_paused_cases_are_left_alone(session, settings, world):
    case = assigned_case(session, settings, world, at("2026-11-23T09:00"))
    service.act(
        session, case_id=case.id, user=world.handler, data=ActionIn(action="sign_for"), settings=settings
    )
    service.act(
        session,
        case_id=case.id,
        user=world.handler,
        data=ActionIn(action="request_info", public_note="请补充地址"),
        settings=settings,
    )
    result = sweep_deadlines(session, settings=settings, now=at("2027-01-10T09:00"))
    assert (result.reminded, result.urged, result.supervised) == (0, 0, 0)


def test_the_sweep_is_a_scheduled_job():
    assert "minsheng.cases.jobs" in TASK_MODULES
    __import__("minsheng.cases.jobs")
    assert get_spec("cases.sweep_deadlines").cron == "*/5 * * * *"


def test_supervision_board_shows_overdue_work_and_extension_requests(session, settings, world):
    from minsheng.cases.board import supervision_board

    late = assigned_case(session, settings, world, at("2026-11-02T09:00"))
    service.act(
        session,
        case_id=late.id,
        user=world.handler,
        data=ActionIn(action="sign_for"),
        settings=settings,
        now=at("2026-11-02T10:00"),
    )
    asking = assigned_case(session, settings, world, at("2026-11-20T09:00"))
    service.act(
        session,
        case_id=asking.id,
        user=world.handler,
        data=ActionIn(action="request_extension", days=5, note="需要协调多个部门"),
        settings=settings,
    )
    session.commit()
    board = supervision_board(session, user=world.supervisor, now=at("2026-11-23T10:00"))
    housing = next(d for d in board.departments if d.name == "市住房和城乡建设局")
    assert (housing.open, housing.overdue, housing.extensions) == (2, 1, 1)
    assert [c.id for c in board.most_overdue] == [late.id]
    assert [c.id for c in board.extension_requests] == [asking.id]
    assert supervision_board(session, user=world.other_handler, now=at("2026-11-23T10:00")).departments == []


def test_board_page(client, session, world):
    detach(session, world.supervisor, world.handler)
    login(client, world.supervisor.username)
    page = client.get("/cases/board")
    assert page.status_code == 200 and "督办看板" in page.text and "data-chart" in page.text
    home = client.get("/")
    assert 'id="case-counts"' in home.text
    client.cookies.clear()
    login(client, world.handler.username)
    assert client.get("/cases/board").status_code == 403

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from minsheng.audit.models import AuditEntry
from minsheng.cases import service
from minsheng.cases.models import Case, CaseEvent
from minsheng.cases.schemas import ActionIn, CaseSubmit, ContactIn
from minsheng.cases.states import IllegalTransition
from minsheng.core.errors import NotFound, PermissionDenied, ValidationFailed

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def new_case(session, settings, world, **changes):
    data = {
        "type_code": "complaint",
        "description": "小区物业不作为，楼道堆满杂物存在消防隐患，请相关部门处理。",
        "contact": ContactIn(name="张三", phone="13912345678"),
    }
    data.update(changes)
    intake = service.submit(session, data=CaseSubmit(**data), settings=settings, engine=world.engine)
    session.commit()
    return intake


def act(session, settings, case, user, action, now=None, **fields):
    event = service.act(
        session,
        case_id=case.id,
        user=user,
        data=ActionIn(action=action, **fields),
        settings=settings,
        now=now,
    )
    session.commit()
    return event


def test_the_whole_life_of_a_complaint(session, settings, world):
    intake = new_case(session, settings, world)
    case = intake.case
    act(session, settings, case, world.dispatcher, "accept")
    act(
        session,
        settings,
        case,
        world.dispatcher,
        "assign",
        department_id=world.housing.id,
        partner_ids=[world.transport.id],
        now=at("2026-09-30T10:00"),
    )
    assert case.status == "assigned"
    assert case.sign_for_due_at == at("2026-09-30T12:00")
    assert case.resolve_due_at == at("2026-10-20T17:30")  # 10 working days across National Day
    act(session, settings, case, world.handler, "sign_for", now=at("2026-09-30T11:00"))
    act(
        session,
        settings,
        case,
        world.handler,
        "reply",
        public_note="已督促物业清理楼道杂物。",
        now=at("2026-10-09T10:00"),
    )
    act(session, settings, case, world.dispatcher, "close", now=at("2026-10-09T11:00"))
    status = service.public_status(session, tracking_no=case.tracking_no.lower())
    assert status.status_label == "已办结"
    assert status.reply == "已督促物业清理楼道杂物。"
    assert status.can_rate
    texts = " ".join(step.text for step in status.steps)
    assert "市住房和城乡建设局" in texts and "张三" not in texts
    service.rate(
        session,
        tracking_no=case.tracking_no,
        query_code=intake.query_code,
        satisfaction="satisfied",
        note="谢谢",
        settings=settings,
    )
    session.commit()
    assert case.satisfaction == "satisfied" and case.status == "closed"
    actions = session.scalars(
        select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    ).all()
    assert actions == ["submit", "accept", "assign", "sign_for", "reply", "close", "follow_up"]
    audited = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "case")).all()
    assert audited == ["case.submit", *(f"case.{a}" for a in actions[1:])]


def test_a_dissatisfied_citizen_sends_the_case_back(session, settings, world):
    intake = new_case(session, settings, world)
    case = intake.case
    act(session, settings, case, world.dispatcher, "assign", department_id=world.housing.id)
    act(session, settings, case, world.handler, "sign_for")
    act(session, settings, case, world.handler, "reply", public_note="已处理")
    act(session, settings, case, world.dispatcher, "close")
    with pytest.raises(PermissionDenied):
        service.rate(
            session,
            tracking_no=case.tracking_no,
            query_code="999999" if intake.query_code != "999999" else "000000",
            satisfaction="satisfied",
            note="",
            settings=settings,
        )
    service.rate(
        session,
        tracking_no=case.tracking_no,
        query_code=intake.query_code,
        satisfaction="dissatisfied",
        note="根本没处理",
        settings=settings,
    )
    session.commit()
    assert case.status == "assigned" and case.reopen_count == 1
    assert case.lead_department_id == world.housing.id and case.replied_at is None
    with pytest.raises(IllegalTransition):
        service.rate(
            session,
            tracking_no=case.tracking_no,
            query_code=intake.query_code,
            satisfaction="satisfied",
            note="",
            settings=settings,
        )


def test_only_the_right_roles_and_departments_may_act(session, settings, world):
    case = new_case(session, settings, world).case
    with pytest.raises(PermissionDenied):
        act(session, settings, case, world.analyst, "assign", department_id=world.housing.id)
    with pytest.raises(NotFound):  # a handler cannot even see an unassigned case
        act(session, settings, case, world.handler, "sign_for")
    act(session, settings, case, world.dispatcher, "assign", department_id=world.housing.id)
    with pytest.raises(NotFound):
        act(session, settings, case, world.other_handler, "sign_for")
    with pytest.raises(IllegalTransition):
        act(session, settings, case, world.handler, "reply", public_note="x")
    with pytest.raises(NotFound):
        act(session, settings, case, world.dispatcher, "fly")


def test_a_partner_department_sees_but_cannot_sign(session, settings, world):
    case = new_case(session, settings, world).case
    act(
        session,
        settings,
        case,
        world.dispatcher,
        "assign",
        department_id=world.housing.id,
        partner_ids=[world.transport.id],
    )
    act(session, settings, case, world.other_handler, "note", note="配合单位已了解情况")
    with pytest.raises(PermissionDenied, match="承办单位"):
        act(session, settings, case, world.other_handler, "sign_for")


def test_return_and_transfer(session, settings, world):
    case = new_case(session, settings, world).case
    act(session, settings, case, world.dispatcher, "assign", department_id=world.housing.id)
    with pytest.raises(ValidationFailed, match="退单理由"):
        act(session, settings, case, world.handler, "return")
    act(session, settings, case, world.handler, "return", note="不属于本单位职责")
    assert case.status == "accepted" and case.lead_department_id is None and case.return_count == 1
    act(session, settings, case, world.dispatcher, "assign", department_id=world.housing.id)
    with pytest.raises(ValidationFailed, match="相同"):
        act(session, settings, case, world.dispatcher, "transfer", department_id=world.housing.id)
    act(session, settings, case, world.dispatcher, "transfer", department_id=world.transport.id)
    assert case.status == "assigned" and case.lead_department_id == world.transport.id


def test_waiting_on_the_citizen_stops_the_clock(session, settings, world):
    case = new_case(session, settings, world).case
    act(
        session,
        settings,
        case,
        world.dispatcher,
        "assign",
        department_id=world.housing.id,
        now=at("2026-11-23T09:00"),
    )
    due = case.resolve_due_at
    act(session, settings, case, world.handler, "sign_for", now=at("2026-11-23T09:30"))
    act(
        session,
        settings,
        case,
        world.handler,
        "request_info",
        public_note="请提供楼栋号",
        now=at("2026-11-23T10:00"),
    )
    assert case.status == "waiting_citizen"
    act(session, settings, case, world.handler, "resume", now=at("2026-11-24T10:00"))
    # One full working day (7 hours) passed while waiting, so the deadline moves one working day.
    assert case.paused_seconds == 7 * 3600
    assert due == at("2026-12-07T17:30") and case.resolve_due_at == at("2026-12-08T17:30")


def test_extension_needs_a_supervisor(session, settings, world):
    case = new_case(session, settings, world).case
    act(
        session,
        settings,
        case,
        world.dispatcher,
        "assign",
        department_id=world.housing.id,
        now=at("2026-11-23T09:00"),
    )
    act(session, settings, case, world.handler, "request_extension", days=3, note="需要现场勘查")
    with pytest.raises(IllegalTransition, match="待审批"):
        act(session, settings, case, world.handler, "request_extension", days=3, note="再申请")
    with pytest.raises(PermissionDenied):
        act(session, settings, case, world.handler, "approve_extension")
    act(session, settings, case, world.supervisor, "approve_extension")
    assert case.resolve_due_at == at("2026-12-10T17:30")
    with pytest.raises(IllegalTransition, match="没有待审批"):
        act(session, settings, case, world.supervisor, "approve_extension")


def test_urge_then_supervise_then_escalate(session, settings, world):
    case = new_case(session, settings, world).case
    act(session, settings, case, world.dispatcher, "assign", department_id=world.housing.id)
    act(session, settings, case, world.dispatcher, "urge", note="请尽快签收")
    with pytest.raises(IllegalTransition, match="先督办"):
        act(session, settings, case, world.supervisor, "escalate", note="x")
    act(session, settings, case, world.supervisor, "supervise", note="限期办理")
    act(session, settings, case, world.supervisor, "escalate", note="提级")
    assert (case.urge_count, case.supervision_level) == (1, 2)
    with pytest.raises(PermissionDenied):
        act(session, settings, case, world.dispatcher, "supervise", note="x")


def test_merging_a_duplicate_closes_it_into_the_other(session, settings, world):
    first = new_case(session, settings, world).case
    second = new_case(session, settings, world).case
    with pytest.raises(ValidationFailed):
        act(session, settings, second, world.dispatcher, "merge", target_case_id=second.id)
    act(session, settings, second, world.dispatcher, "merge", target_case_id=first.id)
    assert second.status == "merged" and second.duplicate_of_id == first.id
    status = service.public_status(session, tracking_no=second.tracking_no)
    assert first.tracking_no in status.steps[-1].text


def test_platform_notice_only_for_illegal_content(session, settings, world):
    case = new_case(session, settings, world).case
    act(session, settings, case, world.dispatcher, "assign", department_id=world.housing.id)
    act(session, settings, case, world.handler, "sign_for")
    with pytest.raises(IllegalTransition):
        act(session, settings, case, world.handler, "notify_platform", note="x")
    tip = new_case(
        session,
        settings,
        world,
        type_code="illegal_content",
        description="某网站提供网络赌博服务",
        attributes={"harm_kind": "gambling", "url": "http://bet.example"},
        contact=ContactIn(is_anonymous=True),
    ).case
    act(session, settings, tip, world.dispatcher, "assign", department_id=world.housing.id)
    act(session, settings, tip, world.handler, "sign_for")
    act(session, settings, tip, world.handler, "notify_platform", note="已通知平台删除，证据截图存档")
    act(session, settings, tip, world.handler, "refer_police", note="移送市公安局网安支队")
    steps = service.public_status(session, tracking_no=tip.tracking_no).steps
    assert any("公安" in s.text for s in steps)


def test_case_count_is_unchanged_by_refused_actions(session, settings, world):
    case = new_case(session, settings, world).case
    with pytest.raises(IllegalTransition):
        act(session, settings, case, world.dispatcher, "close")
    session.rollback()
    assert session.scalar(select(Case.status).where(Case.id == case.id)) == "submitted"

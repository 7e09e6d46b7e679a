import pytest
from sqlalchemy import select

from minsheng.audit.models import AuditEntry
from minsheng.cases import service
from minsheng.cases.models import Case, CaseContact, CaseEvent
from minsheng.cases.schemas import CaseSubmit, ContactIn
from minsheng.core.errors import Conflict, NotFound, ValidationFailed

COMPLAINT = (
    "东昌府区古楼街道某小区物业长期不作为，电梯坏了两个月没人修，老人上下楼非常困难，"
    "多次找物业公司都推脱，请住建部门督促解决。联系电话13912345678。"
)


def complaint(**changes):
    values = {
        "type_code": "complaint",
        "description": COMPLAINT,
        "contact": ContactIn(name="张三", phone="139 1234 5678", id_number="371502199001011234"),
    }
    values.update(changes)
    return CaseSubmit(**values)


def test_a_complaint_is_stored_with_a_number_a_suggestion_and_a_public_first_step(session, settings, world):
    intake = service.submit(session, data=complaint(), settings=settings, engine=world.engine)
    session.commit()
    case = intake.case
    assert case.status == "submitted"
    assert len(intake.query_code) == 6
    assert case.title.startswith("东昌府区古楼街道")
    suggested = case.suggestions["departments"]
    assert suggested[0]["name"] == "市住房和城乡建设局"
    assert any("物业" in reason for reason in suggested[0]["reasons"])
    assert 0 < suggested[0]["confidence"] <= 1
    contact = session.get(CaseContact, case.id)
    assert contact.phone == "13912345678"
    steps = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert [s.action for s in steps] == ["submit"]
    assert case.tracking_no in steps[0].public_note
    logged = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "case")).all()
    assert [e.action for e in logged] == ["case.submit"]
    # The audit entry names the case, never the complainant.
    assert "张三" not in str(logged[0].after) and "139" not in str(logged[0].after)


def test_anonymous_reports_are_taken_only_where_the_type_allows(session, settings, world):
    anonymous = ContactIn(is_anonymous=True, name="会被丢弃", phone="13912345678")
    with pytest.raises(ValidationFailed, match="不接受匿名"):
        service.submit(session, data=complaint(contact=anonymous), settings=settings, engine=world.engine)
    tip = CaseSubmit(
        type_code="illegal_content",
        description="某网站冒充银行客服进行网络诈骗，诱导转账",
        attributes={"harm_kind": "fraud", "url": "http://fake-bank.example"},
        contact=anonymous,
    )
    case = service.submit(session, data=tip, settings=settings, engine=world.engine).case
    session.commit()
    stored = session.get(CaseContact, case.id)
    assert stored.is_anonymous and stored.name is None and stored.phone is None


def test_type_specific_fields_are_checked(session, settings, world):
    base = {
        "type_code": "illegal_content",
        "description": "某网站传播赌博信息，请查处",
        "contact": ContactIn(is_anonymous=True),
    }
    with pytest.raises(ValidationFailed, match="举报类型"):
        service.submit(
            session, data=CaseSubmit(**base, attributes={"url": "x"}), settings=settings, engine=world.engine
        )
    with pytest.raises(ValidationFailed, match="取值无效"):
        service.submit(
            session,
            data=CaseSubmit(**base, attributes={"harm_kind": "nonsense", "url": "x"}),
            settings=settings,
            engine=world.engine,
        )
    breach = CaseSubmit(
        type_code="data_breach",
        description="某公司客户信息在网上被公开售卖",
        attributes={"organisation": "某公司", "affected_count": "abc"},
        contact=ContactIn(name="李四", phone="0635-8123456"),
    )
    with pytest.raises(ValidationFailed, match="应为数字"):
        service.submit(session, data=breach, settings=settings, engine=world.engine)


@pytest.mark.parametrize(
    ("contact", "message"),
    [({"name": "", "phone": "13912345678"}, "姓名"), ({"name": "王五"}, "联系电话")],
)
def test_a_named_report_needs_a_name_and_a_phone(session, settings, world, contact, message):
    with pytest.raises(ValidationFailed, match=message):
        service.submit(
            session, data=complaint(contact=ContactIn(**contact)), settings=settings, engine=world.engine
        )


def test_hostile_or_malformed_input_is_refused_or_cleaned():
    with pytest.raises(ValueError, match="手机号"):
        ContactIn(name="x", phone="12345")
    with pytest.raises(ValueError):
        CaseSubmit(type_code="complaint", description="短", contact=ContactIn(name="a", phone="13912345678"))
    with pytest.raises(ValueError):
        CaseSubmit(type_code="complaint", description="x" * 5001)
    cleaned = CaseSubmit(type_code="complaint", description="路灯\u202e不亮\x00了很久了", title="<b>标题</b>")
    assert cleaned.description == "路灯不亮了很久了"
    assert cleaned.title == "<b>标题</b>"  # kept as typed; templates escape it


def test_unknown_type_and_repeated_external_ids_are_refused(session, settings, world):
    with pytest.raises(NotFound):
        service.submit(session, data=complaint(type_code="nope"), settings=settings, engine=world.engine)
    data = complaint(channel="api", external_id="ext-1")
    first = service.submit(session, data=data, settings=settings, engine=world.engine).case
    with pytest.raises(Conflict, match=first.tracking_no):
        service.submit(session, data=data, settings=settings, engine=world.engine)


def test_a_repeat_complaint_is_proposed_as_a_duplicate(session, settings, world):
    first = service.submit(session, data=complaint(), settings=settings, engine=world.engine).case
    other = complaint(description="市交通局的5路公交车长期晚点，早高峰等车超过半小时，希望增加班次。")
    service.submit(session, data=other, settings=settings, engine=world.engine)
    repeat = complaint(description=COMPLAINT.replace("两个月", "三个月").replace("非常困难", "很困难"))
    second = service.submit(session, data=repeat, settings=settings, engine=world.engine).case
    session.commit()
    duplicates = second.suggestions["duplicates"]
    assert [d["case_id"] for d in duplicates] == [first.id]
    assert duplicates[0]["similarity"] >= 0.5
    assert session.scalar(select(Case.id).where(Case.id == first.id)) == first.id


def test_internal_channels_carry_no_citizen_contact(session, settings, world):
    task = CaseSubmit(
        type_code="supervision_task",
        channel="plan",
        description="大力推进智能制造，建设数字化车间",
        contact=ContactIn(is_anonymous=True),
    )
    case = service.submit(session, data=task, settings=settings, engine=world.engine).case
    session.commit()
    assert case.channel == "plan" and session.get(CaseContact, case.id).is_anonymous
    # The same task from a public channel still needs someone to answer to.
    with pytest.raises(ValidationFailed, match="不接受匿名"):
        service.submit(
            session, data=task.model_copy(update={"channel": "web"}), settings=settings, engine=world.engine
        )

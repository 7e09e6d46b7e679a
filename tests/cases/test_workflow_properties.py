"""No sequence of actions, by anyone, leaves a case in an impossible state."""

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from minsheng.cases import service
from minsheng.cases.models import CaseEvent
from minsheng.cases.schemas import ActionIn, CaseSubmit, ContactIn
from minsheng.cases.states import RULES, WITH_DEPARTMENT, Action, CaseStatus, allowed_actions, next_status
from minsheng.core.errors import MinshengError

ACTORS = ("dispatcher", "handler", "other_handler", "supervisor", "analyst")
STEPS = st.lists(
    st.tuples(
        st.sampled_from(list(Action)),
        st.sampled_from(ACTORS),
        st.sampled_from(["satisfied", "dissatisfied", None]),
        st.booleans(),
    ),
    max_size=14,
)


def check_invariants(case) -> None:
    status = CaseStatus(case.status)
    if status in WITH_DEPARTMENT or status is CaseStatus.replied:
        assert case.lead_department_id is not None and case.resolve_due_at is not None
    if status in (CaseStatus.submitted, CaseStatus.accepted):
        assert case.lead_department_id is None
    if status in (CaseStatus.in_progress, CaseStatus.waiting_citizen, CaseStatus.replied):
        assert case.signed_at is not None
    assert (case.paused_at is not None) == (status is CaseStatus.waiting_citizen)
    if status in (CaseStatus.replied, CaseStatus.closed):
        assert case.replied_at is not None and case.public_reply
    if status in (CaseStatus.closed, CaseStatus.rejected, CaseStatus.merged):
        assert case.closed_at is not None
    if status is CaseStatus.merged:
        assert case.duplicate_of_id is not None
    if case.rated_at is not None:
        assert status is CaseStatus.closed
    assert 0 <= case.supervision_level <= 3


def test_the_rule_table_is_closed_and_every_status_can_move_or_is_final():
    for status in CaseStatus:
        moves = [a for a in allowed_actions(status) if RULES[a].target is not None]
        assert moves or status in (CaseStatus.rejected, CaseStatus.merged)
        for action in allowed_actions(status):
            assert next_status(status, action) in CaseStatus


def test_random_action_sequences_never_reach_an_illegal_state(session, settings, world):
    users = {
        "dispatcher": world.dispatcher,
        "handler": world.handler,
        "other_handler": world.other_handler,
        "supervisor": world.supervisor,
        "analyst": world.analyst,
    }
    other = service.submit(
        session,
        data=CaseSubmit(
            type_code="complaint",
            description="另一张工单，用于合并测试",
            contact=ContactIn(name="李四", phone="13800000000"),
        ),
        settings=settings,
        engine=world.engine,
    ).case
    session.commit()

    @hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(STEPS)
    def run(steps):
        case = service.submit(
            session,
            data=CaseSubmit(
                type_code="complaint",
                description="路灯不亮，晚上出行不安全",
                contact=ContactIn(name="张三", phone="13912345678"),
            ),
            settings=settings,
            engine=world.engine,
        ).case
        session.commit()
        done = 1
        for action, actor, verdict, use_other_department in steps:
            data = ActionIn(
                action=action.value,
                note="说明",
                public_note="答复内容",
                department_id=(world.transport if use_other_department else world.housing).id,
                days=2,
                satisfaction=verdict,
                target_case_id=other.id,
            )
            try:
                service.act(session, case_id=case.id, user=users[actor], data=data, settings=settings)
            except MinshengError:
                session.rollback()
                session.refresh(case)
                continue
            session.commit()
            done += 1
            check_invariants(case)
        events = session.scalar(select(func.count()).where(CaseEvent.case_id == case.id))
        assert events == done
        session.rollback()

    run()

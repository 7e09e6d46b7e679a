from datetime import date

import pytest
from sqlalchemy import func, select

from minsheng.audit.models import AuditEntry
from minsheng.cases.models import Case, CasePartner
from minsheng.core.errors import NotFound, PermissionDenied, ValidationFailed
from minsheng.org.models import Department
from minsheng.plans import tracking
from minsheng.plans.extract import extract_plan
from minsheng.plans.models import Indicator, Measurement, Plan, PlanTask, ProgressReport
from minsheng.plans.reading import read_plan_file
from minsheng.plans.review import draft_of, review_of
from minsheng.plans.schemas import NEW_DEPARTMENT, MeasurementIn, ProgressIn, StatusOverrideIn
from minsheng.plans.service import confirm_plan, resolve_units
from tests.plans.conftest import SEED_002, SEEDS, UNLISTED, seed_units


def reviewed(path, **choices):
    review = review_of(extract_plan(read_plan_file(path)), source_name=path.name)
    review.unit_choices.update(choices)
    draft, errors = draft_of(review)
    assert errors == []
    return draft


def confirm(session, settings, office, draft, user=None):
    plan = confirm_plan(
        session, draft=draft, settings=settings, engine=office.engine, user=user or office.supervisor
    )
    session.commit()
    return plan


def test_units_resolve_by_alias_and_unknown_names_are_kept(session, office):
    found, unknown = resolve_units(session, ["市经信委", "市经信委（全称）", "聊城供电公司"])
    assert found["市经信委"].id == found["市经信委（全称）"].id == office.economy.id
    assert unknown == ["聊城供电公司"]


def test_unmapped_units_stop_confirmation(session, settings, office):
    draft = reviewed(SEED_002)
    with pytest.raises(ValidationFailed, match="聊城供电公司"):
        confirm_plan(session, draft=draft, settings=settings, engine=office.engine, user=office.supervisor)


def test_confirming_seed_002_opens_an_assigned_case_per_task(session, settings, office):
    draft = reviewed(SEED_002, **{UNLISTED[0]: str(office.reform.id), UNLISTED[1]: NEW_DEPARTMENT})
    draft.tasks[0].deadline = date(2030, 6, 30)
    plan = confirm(session, settings, office, draft)
    tasks = session.scalars(
        select(PlanTask).where(PlanTask.plan_id == plan.id).order_by(PlanTask.sort_order)
    ).all()
    assert len(tasks) == 34 and all(task.case_id for task in tasks)
    first = session.get(Case, tasks[0].case_id)
    assert first.channel == "plan" and first.status == "assigned"
    assert first.lead_department_id == office.economy.id
    partners = set(session.scalars(select(CasePartner.department_id).where(CasePartner.case_id == first.id)))
    assert office.reform.id in partners and len(partners) == 2
    assert first.resolve_due_at.date() in (date(2030, 6, 30), date(2030, 7, 1))  # 23:59 local is 15:59 UTC
    assert "大力推进智能制造" in first.title
    # The mapped name is learned as an alias; the created department exists under the name as written.
    session.refresh(office.reform)
    assert UNLISTED[0] in office.reform.aliases
    assert session.scalar(select(Department.code).where(Department.name == UNLISTED[1])).startswith("PLAN")
    assert (
        session.scalar(select(func.count()).select_from(Indicator).where(Indicator.plan_id == plan.id)) == 30
    )
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"plan.confirm", "case.submit", "case.assign", "create", "update"} <= actions


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_every_seed_imports_and_confirms(session, settings, office, name):
    path = SEEDS / name
    choices = {unit: NEW_DEPARTMENT for unit in resolve_units(session, seed_units(path))[1]}
    plan = confirm(session, settings, office, reviewed(path, **choices))
    assert session.get(Plan, plan.id).title


def test_handlers_see_only_their_departments_tasks(session, settings, office):
    draft = reviewed(SEED_002, **{UNLISTED[0]: NEW_DEPARTMENT, UNLISTED[1]: NEW_DEPARTMENT})
    plan = confirm(session, settings, office, draft)
    mine = tracking.plan_tasks(session, plan_id=plan.id, user=office.handler)
    assert mine and all(
        v.task.lead_department_id == office.economy.id or office.economy.name in v.partners for v in mine
    )
    assert len(tracking.plan_tasks(session, plan_id=plan.id, user=office.leader)) == 34
    assert [p.id for p in tracking.list_plans(session, user=office.handler)] == [plan.id]
    report = tracking.submit_progress(
        session,
        task_id=mine[0].task.id,
        user=office.handler,
        data=ProgressIn(period="2026年第四季度", text="已完成调研"),
    )
    assert report.department_id == office.economy.id
    others = {v.task.id for v in tracking.plan_tasks(session, plan_id=plan.id, user=office.other_handler)}
    hidden = next(
        v.task.id
        for v in tracking.plan_tasks(session, plan_id=plan.id, user=office.leader)
        if v.task.id not in others
    )
    with pytest.raises(NotFound, match="无权查看"):
        tracking.submit_progress(
            session, task_id=hidden, user=office.other_handler, data=ProgressIn(period="Q4", text="x")
        )
    assert session.scalar(select(func.count()).select_from(ProgressReport)) == 1


def test_measurements_status_and_override(session, settings, office):
    draft = reviewed(SEED_002, **{UNLISTED[0]: NEW_DEPARTMENT, UNLISTED[1]: NEW_DEPARTMENT})
    plan = confirm(session, settings, office, draft)
    indicator = session.scalars(select(Indicator).where(Indicator.plan_id == plan.id)).first()
    indicator.baseline_value, indicator.baseline_on, indicator.target_year = 10.0, date(2020, 1, 1), 2030
    indicator.target_value, indicator.comparator, indicator.per_year, indicator.is_growth = (
        110.0,
        ">=",
        False,
        False,
    )
    session.commit()
    today = date(2025, 1, 1)
    with pytest.raises(PermissionDenied):
        tracking.record_measurement(
            session,
            indicator_id=indicator.id,
            user=office.handler,
            data=MeasurementIn(measured_on=today, value=1),
            today=today,
        )
    tracking.record_measurement(
        session,
        indicator_id=indicator.id,
        user=office.supervisor,
        data=MeasurementIn(measured_on=today, value=33),
        today=today,
    )
    view = tracking.get_indicator(session, indicator_id=indicator.id, user=office.leader, today=today)
    assert view.computed.status == "on_track" and view.status == "on_track"
    with pytest.raises(ValidationFailed, match="理由"):
        tracking.override_status(
            session,
            indicator_id=indicator.id,
            user=office.leader,
            data=StatusOverrideIn(status="off_track"),
            today=today,
        )
    tracking.override_status(
        session,
        indicator_id=indicator.id,
        user=office.leader,
        data=StatusOverrideIn(status="off_track", reason="统计口径调整，实际进度不足"),
        today=today,
    )
    session.commit()
    view = tracking.get_indicator(session, indicator_id=indicator.id, user=office.leader, today=today)
    assert view.status == "off_track" and view.computed.status == "on_track"
    assert view.indicator.override_reason == "统计口径调整，实际进度不足"
    assert session.scalar(select(func.count()).select_from(Measurement)) == 1
    assert {"indicator.measure", "indicator.override"} <= set(session.scalars(select(AuditEntry.action)))

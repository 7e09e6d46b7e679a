"""Follow confirmed plans: what each user may see, task and indicator status, measurements and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from minsheng.audit.service import record
from minsheng.auth.models import User
from minsheng.auth.scoping import visible_department_ids
from minsheng.cases.models import Case
from minsheng.core.errors import NotFound, PermissionDenied, ValidationFailed
from minsheng.core.timeutil import utcnow
from minsheng.org.models import Department
from minsheng.plans.assessment import Assessment, Point, Status, assess
from minsheng.plans.models import Indicator, Measurement, Plan, PlanTask, PlanTaskPartner, ProgressReport
from minsheng.plans.schemas import MeasurementIn, ProgressIn, StatusOverrideIn

# Roles that confirm plans and judge their indicators.
PLAN_ROLES = ("admin", "supervisor", "leader")


def scope_tasks(stmt: Select, *, session: Session, user: User) -> Select:
    """Restrict a task query to tasks the user's departments lead or help with."""
    visible = visible_department_ids(session, user)
    if visible is None:
        return stmt
    ids = sorted(visible)
    partnered = select(PlanTaskPartner.task_id).where(PlanTaskPartner.department_id.in_(ids))
    return stmt.where(or_(PlanTask.lead_department_id.in_(ids), PlanTask.id.in_(partnered)))


def _visible_plan_ids(session: Session, user: User) -> Select | None:
    visible = visible_department_ids(session, user)
    if visible is None:
        return None
    tasks = scope_tasks(select(PlanTask.plan_id), session=session, user=user)
    indicators = select(Indicator.plan_id).where(Indicator.department_id.in_(sorted(visible)))
    return tasks.union(indicators)


def list_plans(session: Session, *, user: User) -> list[Plan]:
    """List the plans the user may see, newest first: all, or those with work for their departments."""
    stmt = select(Plan).order_by(Plan.created_at.desc(), Plan.id.desc())
    ids = _visible_plan_ids(session, user)
    if ids is not None:
        stmt = stmt.where(Plan.id.in_(ids))
    return list(session.scalars(stmt))


def get_plan(session: Session, *, plan_id: int, user: User) -> Plan:
    """Load a plan the user may see."""
    stmt = select(Plan).where(Plan.id == plan_id)
    ids = _visible_plan_ids(session, user)
    if ids is not None:
        stmt = stmt.where(Plan.id.in_(ids))
    plan = session.scalar(stmt)
    if plan is None:
        raise NotFound("规划不存在，或您无权查看")
    return plan


@dataclass
class TaskView:
    """A task with its case and its partners' names, for lists."""

    task: PlanTask
    case: Case | None
    partners: list[str] = field(default_factory=list)


def plan_tasks(session: Session, *, plan_id: int, user: User) -> list[TaskView]:
    """List the plan's tasks the user may see, with their cases and partner units."""
    stmt = (
        select(PlanTask)
        .where(PlanTask.plan_id == plan_id)
        .options(selectinload(PlanTask.lead_department))
        .order_by(PlanTask.sort_order, PlanTask.id)
    )
    tasks = list(session.scalars(scope_tasks(stmt, session=session, user=user)))
    case_ids = [task.case_id for task in tasks if task.case_id]
    found = session.scalars(select(Case).where(Case.id.in_(case_ids))) if case_ids else []
    case_of = {case.id: case for case in found}
    names: dict[int, list[str]] = {}
    rows = session.execute(
        select(PlanTaskPartner.task_id, Department.name)
        .join(Department, Department.id == PlanTaskPartner.department_id)
        .where(PlanTaskPartner.task_id.in_([task.id for task in tasks]))
        .order_by(PlanTaskPartner.id)
    )
    for task_id, name in rows:
        names.setdefault(task_id, []).append(name)
    return [TaskView(task, case_of.get(task.case_id or 0), names.get(task.id, [])) for task in tasks]


def get_task(session: Session, *, task_id: int, user: User) -> TaskView:
    """Load one task the user may see with its case and partners."""
    plan_id = session.scalar(
        scope_tasks(select(PlanTask.plan_id).where(PlanTask.id == task_id), session=session, user=user)
    )
    views = [] if plan_id is None else plan_tasks(session, plan_id=plan_id, user=user)
    view = next((view for view in views if view.task.id == task_id), None)
    if view is None:
        raise NotFound("任务不存在，或您无权查看")
    return view


def progress_reports(session: Session, *, task_id: int) -> list[tuple[ProgressReport, str]]:
    """List a task's progress reports, newest first, with the reporting department's name."""
    rows = session.execute(
        select(ProgressReport, Department.name)
        .outerjoin(Department, Department.id == ProgressReport.department_id)
        .where(ProgressReport.task_id == task_id)
        .order_by(ProgressReport.submitted_at.desc(), ProgressReport.id.desc())
    )
    return [(report, name or "") for report, name in rows]


def submit_progress(session: Session, *, task_id: int, user: User, data: ProgressIn) -> ProgressReport:
    """Record a department's progress report on a task it leads or helps with."""
    view = get_task(session, task_id=task_id, user=user)
    report = ProgressReport(
        task_id=view.task.id,
        period=data.period,
        text=data.text,
        department_id=user.department_id,
        submitted_by_id=user.id,
        submitted_at=utcnow(),
    )
    session.add(report)
    session.flush()
    record(
        session,
        action="plan.progress",
        entity_type="plan_task",
        entity_id=view.task.id,
        summary=f"任务 {view.task.task_no} {view.task.title[:40]} 报送进展（{data.period}）",
        after={"period": data.period, "report_id": report.id},
    )
    return report


@dataclass
class IndicatorView:
    """An indicator with its measurements and its status, computed and as shown."""

    indicator: Indicator
    measurements: list[Measurement]
    computed: Assessment

    @property
    def status(self) -> str:
        return self.indicator.status_override or self.computed.status


def _baseline(indicator: Indicator) -> Point | None:
    if indicator.baseline_value is None or indicator.baseline_on is None:
        return None
    return Point(indicator.baseline_on, indicator.baseline_value)


def assess_indicator(indicator: Indicator, measurements: list[Measurement], *, today: date) -> Assessment:
    """Compute an indicator's status from its baseline and measurements."""
    return assess(
        target=indicator.target_value,
        comparator=indicator.comparator,
        target_year=indicator.target_year,
        baseline=_baseline(indicator),
        points=[Point(m.measured_on, m.value) for m in measurements],
        per_year=indicator.per_year or indicator.is_growth,
        today=today,
    )


def plan_indicators(session: Session, *, plan_id: int, today: date) -> list[IndicatorView]:
    """List a plan's indicators with measurements and status."""
    indicators = list(
        session.scalars(
            select(Indicator)
            .where(Indicator.plan_id == plan_id)
            .options(selectinload(Indicator.department))
            .order_by(Indicator.sort_order, Indicator.id)
        )
    )
    measured: dict[int, list[Measurement]] = {}
    if indicators:
        for m in session.scalars(
            select(Measurement)
            .where(Measurement.indicator_id.in_([i.id for i in indicators]))
            .order_by(Measurement.measured_on, Measurement.id)
        ):
            measured.setdefault(m.indicator_id, []).append(m)
    return [
        IndicatorView(i, measured.get(i.id, []), assess_indicator(i, measured.get(i.id, []), today=today))
        for i in indicators
    ]


def get_indicator(session: Session, *, indicator_id: int, user: User, today: date) -> IndicatorView:
    """Load an indicator of a plan the user may see."""
    plan_id = session.scalar(select(Indicator.plan_id).where(Indicator.id == indicator_id))
    if plan_id is None:
        raise NotFound("指标不存在")
    get_plan(session, plan_id=plan_id, user=user)
    views = plan_indicators(session, plan_id=plan_id, today=today)
    return next(view for view in views if view.indicator.id == indicator_id)


def may_measure(session: Session, *, indicator: Indicator, user: User) -> bool:
    """Tell whether the user may report values: office-wide staff, or the indicator's own department."""
    visible = visible_department_ids(session, user)
    return visible is None or indicator.department_id in visible


def record_measurement(
    session: Session, *, indicator_id: int, user: User, data: MeasurementIn, today: date
) -> Measurement:
    """Store a measured value of an indicator."""
    view = get_indicator(session, indicator_id=indicator_id, user=user, today=today)
    if not may_measure(session, indicator=view.indicator, user=user):
        raise PermissionDenied("只有指标的责任单位可以报送监测数据")
    if data.measured_on > today:
        raise ValidationFailed("监测日期不能晚于今天", field="measured_on")
    measurement = Measurement(
        indicator_id=indicator_id,
        measured_on=data.measured_on,
        value=data.value,
        note=data.note,
        department_id=user.department_id,
        recorded_by_id=user.id,
        recorded_at=utcnow(),
    )
    session.add(measurement)
    session.flush()
    record(
        session,
        action="indicator.measure",
        entity_type="plan_indicator",
        entity_id=indicator_id,
        summary=f"{view.indicator.name[:40]} {data.measured_on.isoformat()} 监测值 {data.value:g}",
        after={"measured_on": data.measured_on.isoformat(), "value": data.value, "note": data.note},
    )
    return measurement


def override_status(
    session: Session, *, indicator_id: int, user: User, data: StatusOverrideIn, today: date
) -> Indicator:
    """Set or clear a person's status for an indicator; a set status needs its reason, and both are kept."""
    if not user.has_role(*PLAN_ROLES):
        raise PermissionDenied("只有管理员、督办人员和领导可以调整指标状态")
    indicator = get_indicator(session, indicator_id=indicator_id, user=user, today=today).indicator
    if data.status and data.status not in {s.value for s in Status if s is not Status.no_data}:
        raise ValidationFailed("请选择有效的状态", field="status")
    if data.status and not data.reason:
        raise ValidationFailed("请填写调整状态的理由", field="reason")
    before = {"status_override": indicator.status_override, "reason": indicator.override_reason}
    indicator.status_override = data.status or None
    indicator.override_reason = data.reason or None
    indicator.override_by_id = user.id
    indicator.override_at = utcnow()
    session.flush()
    record(
        session,
        action="indicator.override",
        entity_type="plan_indicator",
        entity_id=indicator.id,
        summary=f"{indicator.name[:40]} 状态{'调整为 ' + data.status if data.status else '恢复自动计算'}",
        before=before,
        after={"status_override": indicator.status_override, "reason": indicator.override_reason},
    )
    return indicator


def set_indicator_department(
    session: Session, *, indicator_id: int, user: User, department_id: int | None, today: date
) -> Indicator:
    """Name the department that reports an indicator's values."""
    if not user.has_role(*PLAN_ROLES):
        raise PermissionDenied("只有管理员、督办人员和领导可以指定责任单位")
    indicator = get_indicator(session, indicator_id=indicator_id, user=user, today=today).indicator
    if department_id is not None and session.get(Department, department_id) is None:
        raise ValidationFailed("所选单位不存在", field="department_id")
    before = {"department_id": indicator.department_id}
    indicator.department_id = department_id
    session.flush()
    record(
        session,
        action="indicator.update",
        entity_type="plan_indicator",
        entity_id=indicator.id,
        summary=f"{indicator.name[:40]} 责任单位变更",
        before=before,
        after={"department_id": department_id},
    )
    return indicator

"""Confirm a reviewed plan: resolve its units, store it, and run each task as a 督办任务 case."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.audit.service import record
from minsheng.auth.models import User
from minsheng.cases import service as cases
from minsheng.cases.actions import apply_action
from minsheng.cases.deadlines import work_calendar
from minsheng.cases.duplicates import DuplicateFinder
from minsheng.cases.models import Case
from minsheng.cases.schemas import ActionIn, CaseSubmit, ContactIn
from minsheng.core.errors import Conflict, ValidationFailed
from minsheng.core.settings import Settings
from minsheng.core.timeutil import local_zone, utcnow
from minsheng.org.models import Department
from minsheng.org.schemas import DepartmentCreate, DepartmentUpdate
from minsheng.org.service import DepartmentChange, create_department, update_department
from minsheng.plans.models import Indicator, Plan, PlanTask, PlanTaskPartner
from minsheng.plans.schemas import NEW_DEPARTMENT, PlanDraft, TaskDraft
from minsheng.plans.units import match_units
from minsheng.text.analysis import TextEngine

TASK_CASE_TYPE = "supervision_task"
_MAX_PARTNERS = 20


def unit_directory(session: Session) -> tuple[dict[str, str], dict[str, Department]]:
    """Map every active department's name and aliases to its code, and codes to departments."""
    directory: dict[str, str] = {}
    by_code: dict[str, Department] = {}
    departments = session.scalars(
        select(Department).where(Department.is_active).order_by(Department.sort_order, Department.id)
    )
    for dept in departments:
        by_code[dept.code] = dept
        directory[dept.name] = dept.code
        for alias in dept.aliases or []:
            directory.setdefault(alias, dept.code)
    return directory, by_code


def resolve_units(session: Session, names: Iterable[str]) -> tuple[dict[str, Department], list[str]]:
    """Resolve unit names to departments by name, alias or close spelling; return the unmatched too."""
    directory, by_code = unit_directory(session)
    found = match_units(list(dict.fromkeys(names)), directory)
    return {match.name: by_code[match.code] for match in found.matched}, found.unknown


def _new_code(session: Session) -> str:
    taken = set(session.scalars(select(Department.code).where(Department.code.like("PLAN%"))))
    return next(code for n in itertools.count(1) if (code := f"PLAN{n:03d}") not in taken)


def _audit_department(session: Session, change: DepartmentChange, summary: str) -> None:
    record(
        session,
        action=change.action,
        entity_type="department",
        entity_id=change.department.id,
        summary=summary,
        before=change.before,
        after=change.after,
    )


def _apply_choice(session: Session, name: str, choice: str) -> Department | None:
    """Create the department a reviewer asked for, or learn the name as an alias of the chosen one."""
    if choice == NEW_DEPARTMENT:
        change = create_department(session, data=DepartmentCreate(code=_new_code(session), name=name))
        _audit_department(session, change, f"导入规划时新建部门 {name}")
        return change.department
    dept = session.get(Department, int(choice)) if choice.isdigit() else None
    if dept is None or not dept.is_active:
        return None
    try:
        with session.begin_nested():
            change = update_department(
                session, department_id=dept.id, data=DepartmentUpdate(aliases=[*(dept.aliases or []), name])
            )
        _audit_department(session, change, f"导入规划时将“{name}”记为 {dept.name} 的别名")
    except Conflict:
        # The name already belongs to another department's labels: map this plan only, learn nothing.
        pass
    return dept


def departments_for(session: Session, draft: PlanDraft) -> dict[str, Department]:
    """Resolve every unit of the draft's tasks, applying the reviewer's choices for unknown names."""
    names = [name for task in draft.tasks for name in task.lead_units + task.partner_units]
    resolved, unknown = resolve_units(session, names)
    missing = []
    for name in unknown:
        dept = _apply_choice(session, name, draft.unit_choices.get(name, ""))
        if dept is None:
            missing.append(name)
        else:
            resolved[name] = dept
    if missing:
        raise ValidationFailed(f"以下单位尚未对应到部门：{'、'.join(missing)}", field="units")
    return resolved


def _end_of_day(day: date, settings: Settings) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=local_zone(settings.timezone)).astimezone(UTC)


def _case_text(plan: Plan, task: TaskDraft) -> tuple[str, str]:
    heading = " ".join(filter(None, [task.task_no, task.title]))
    units = f"牵头单位：{'、'.join(task.lead_units)}"
    if task.partner_units:
        units += f"；配合单位：{'、'.join(task.partner_units)}"
    description = "\n".join(filter(None, [f"《{plan.title}》", heading, task.body, units]))
    return heading[:200], description[:5000]


def _open_case(
    session: Session,
    *,
    plan: Plan,
    task: PlanTask,
    draft: TaskDraft,
    partners: list[int],
    settings: Settings,
    engine: TextEngine,
    user: User,
    duplicates: DuplicateFinder | None,
) -> Case:
    """Submit the task as a case, assign it to the lead unit with its partners, and set its deadline."""
    title, description = _case_text(plan, draft)
    data = CaseSubmit(
        type_code=TASK_CASE_TYPE,
        channel="plan",
        title=title,
        description=description,
        contact=ContactIn(is_anonymous=True),
        external_id=f"plan-task-{task.id}",
    )
    case = cases.submit(
        session, data=data, settings=settings, engine=engine, user=user, duplicates=duplicates
    ).case
    # Confirming a plan is the assignment itself, decided by whoever may confirm plans (supervisor, leader),
    # so the dispatcher-only check of the case page does not apply here.
    apply_action(
        session,
        case=case,
        user=user,
        data=ActionIn(
            action="assign",
            department_id=task.lead_department_id,
            partner_ids=partners[:_MAX_PARTNERS],
            note=f"规划任务：{plan.title}"[:5000],
        ),
        calendar=work_calendar(session, settings),
        now=utcnow(),
    )
    if task.deadline is not None:
        # The document's own deadline replaces the type's default resolve time.
        case.resolve_due_at = _end_of_day(task.deadline, settings)
    return case


def confirm_plan(
    session: Session,
    *,
    draft: PlanDraft,
    settings: Settings,
    engine: TextEngine,
    user: User,
    duplicates: DuplicateFinder | None = None,
) -> Plan:
    """Store the plan, its tasks (each opened as an assigned case) and its indicators."""
    units = departments_for(session, draft)
    plan = Plan(
        title=draft.title,
        authority=draft.authority,
        doc_number=draft.doc_number,
        signed_on=draft.signed_on,
        published_on=draft.published_on,
        source_name=draft.source_name,
        text=draft.text,
        created_by_id=user.id,
    )
    session.add(plan)
    session.flush()
    for order, item in enumerate(draft.tasks):
        lead = units[item.lead_units[0]]
        # Further lead units share the lead's work; the case engine has one lead department.
        partners = [units[name].id for name in item.lead_units[1:] + item.partner_units]
        partners = [dept_id for dept_id in dict.fromkeys(partners) if dept_id != lead.id]
        task = PlanTask(
            plan_id=plan.id,
            sort_order=order,
            task_no=item.task_no,
            title=item.title,
            body=item.body,
            section=item.section,
            unit_names={"lead": item.lead_units, "partner": item.partner_units},
            lead_department_id=lead.id,
            deadline=item.deadline,
        )
        session.add(task)
        session.flush()
        session.add_all(PlanTaskPartner(task_id=task.id, department_id=dept_id) for dept_id in partners)
        case = _open_case(
            session,
            plan=plan,
            task=task,
            draft=item,
            partners=partners,
            settings=settings,
            engine=engine,
            user=user,
            duplicates=duplicates,
        )
        task.case_id = case.id
    baseline_on = draft.signed_on or draft.published_on or utcnow().date()
    for order, target in enumerate(draft.targets):
        session.add(
            Indicator(
                plan_id=plan.id,
                sort_order=order,
                name=target.indicator,
                comparator=target.comparator,
                target_value=target.value,
                unit=target.unit,
                target_year=target.year,
                per_year=target.per_year,
                is_growth=target.growth,
                quote=target.quote,
                baseline_value=target.baseline,
                baseline_on=baseline_on if target.baseline is not None else None,
            )
        )
    session.flush()
    record(
        session,
        action="plan.confirm",
        entity_type="plan",
        entity_id=plan.id,
        summary=f"确认规划《{plan.title}》：任务 {len(draft.tasks)} 项，指标 {len(draft.targets)} 个",
        after={"title": plan.title, "tasks": len(draft.tasks), "indicators": len(draft.targets)},
    )
    return plan


def task_counts(session: Session, plan_ids: list[int]) -> dict[int, int]:
    """Count each plan's tasks."""
    rows = session.execute(
        select(PlanTask.plan_id, func.count())
        .where(PlanTask.plan_id.in_(plan_ids))
        .group_by(PlanTask.plan_id)
    )
    return {plan_id: count for plan_id, count in rows}

"""A plan with hand-made tasks, cases, reports and indicators, its appraisal worked out by hand."""

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.auth.models import User
from minsheng.cases.models import Case, CaseType
from minsheng.core.settings import Settings
from minsheng.org.models import Department
from minsheng.plans.appraisal import Window
from minsheng.plans.models import Indicator, Measurement, Plan, PlanTask, ProgressReport
from tests.factories import make_department, make_user

ZONE = "Asia/Shanghai"
NOW = datetime(2026, 7, 15, 4, 0, tzinfo=UTC)
WINDOW = Window(date(2026, 1, 1), date(2026, 6, 30), NOW, ZONE)
_numbers = itertools.count(1)


def noon(day: date) -> datetime:
    """Noon in Beijing on a day, in UTC."""
    return datetime.combine(day, time(4), tzinfo=UTC)


def end_of(day: date) -> datetime:
    """23:59 in Beijing on a day, in UTC: how plan deadlines are stored."""
    return datetime.combine(day, time(15, 59), tzinfo=UTC)


@dataclass
class Scene:
    """A plan with hand-made tasks, reports and indicators for four departments, and its staff."""

    plan: Plan
    a: Department
    b: Department
    c: Department
    e: Department
    supervisor: User
    handler: User
    outsider: User


def add_task(
    session, plan, dept, *, due, status="in_progress", replied=None, level=0, opened=date(2026, 1, 5)
):
    case_type = session.scalar(select(CaseType).where(CaseType.code == "supervision_task"))
    n = next(_numbers)
    case = Case(
        tracking_no=f"AP{n:06d}",
        type_id=case_type.id,
        channel="plan",
        status=status,
        title=f"任务{n}",
        description="",
        lead_department_id=dept.id,
        submitted_at=noon(opened),
        assigned_at=noon(opened),
        resolve_due_at=end_of(due),
        replied_at=noon(replied) if replied else None,
        closed_at=noon(replied) if status == "closed" else None,
        supervision_level=level,
    )
    session.add(case)
    session.flush()
    task = PlanTask(
        plan_id=plan.id, task_no=f"（{n}）", title=f"任务{n}", lead_department_id=dept.id, case_id=case.id
    )
    session.add(task)
    session.flush()
    return task


def report(session, task, dept, period, submitted):
    session.add(
        ProgressReport(
            task_id=task.id,
            period=period,
            text=f"{period}进展",
            department_id=dept.id,
            submitted_at=noon(submitted),
        )
    )


def add_indicator(session, plan, dept, *, value=None):
    indicator = Indicator(plan_id=plan.id, name=f"指标{next(_numbers)}", target_value=70, target_year=2030)
    indicator.department_id = dept.id
    session.add(indicator)
    session.flush()
    if value is not None:
        session.add(Measurement(indicator_id=indicator.id, measured_on=date(2026, 3, 1), value=value))
    return indicator


def build_scene(session: Session, settings: Settings) -> Scene:
    session.add(CaseType(code="supervision_task", name="督办任务", is_public=False))
    center = make_department(session, name="督查室", code="DCS")
    a = make_department(session, name="市经信局", code="JXJ")
    b = make_department(session, name="市发改委", code="FGW")
    c = make_department(session, name="市统计局", code="TJJ")
    e = make_department(session, name="市财政局", code="CZJ")
    plan = Plan(title="数字经济三年行动方案", created_at=noon(date(2026, 1, 5)))
    session.add(plan)
    session.flush()
    # 市经信局: one task on time, one answered late, one open past its deadline and escalated twice.
    t1 = add_task(session, plan, a, due=date(2026, 3, 31), status="closed", replied=date(2026, 3, 20))
    t2 = add_task(session, plan, a, due=date(2026, 5, 31), status="closed", replied=date(2026, 6, 5))
    t3 = add_task(session, plan, a, due=date(2026, 6, 15), level=2)
    add_task(session, plan, a, due=date(2026, 12, 31), opened=date(2026, 7, 1))
    report(session, t1, a, "2026年第一季度", date(2026, 4, 8))
    report(session, t2, a, "2026年第一季度", date(2026, 4, 20))
    report(session, t2, a, "近期进展", date(2026, 7, 5))
    report(session, t3, a, "2026Q1", date(2026, 3, 15))
    # A partner's report does not count for the lead unit.
    report(session, t3, b, "2026年第二季度", date(2026, 7, 1))
    add_indicator(session, plan, a, value=75)
    add_indicator(session, plan, a)
    # 市发改委: its only task closed on time, one of two quarterly reports sent, no indicator.
    t5 = add_task(session, plan, b, due=date(2026, 4, 30), status="closed", replied=date(2026, 4, 29))
    report(session, t5, b, "2026年第一季度", date(2026, 4, 5))
    # 市统计局: only an indicator, achieved.
    add_indicator(session, plan, c, value=80)
    # 市财政局: a task not yet due, opened after the last owed period: nothing to judge.
    add_task(session, plan, e, due=date(2026, 12, 31), opened=date(2026, 7, 10))
    scene = Scene(
        plan=plan,
        a=a,
        b=b,
        c=c,
        e=e,
        supervisor=make_user(session, settings, roles=["supervisor"], department=center),
        handler=make_user(session, settings, roles=["handler"], department=a),
        outsider=make_user(session, settings, roles=["handler"]),
    )
    session.commit()
    return scene

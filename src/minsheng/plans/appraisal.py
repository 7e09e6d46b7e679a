"""Score a plan's departments (考核): tasks closed on time, targets attained, reports on time, deductions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.audit.service import record
from minsheng.auth.models import User
from minsheng.cases.models import Case
from minsheng.cases.states import TERMINAL, CaseStatus
from minsheng.core.errors import PermissionDenied
from minsheng.core.timeutil import to_local
from minsheng.org.models import Department
from minsheng.plans.assessment import Status
from minsheng.plans.models import AppraisalRule, Plan, PlanTask, ProgressReport
from minsheng.plans.periods import Period, periods_ending_between, report_period
from minsheng.plans.schemas import AppraisalRuleIn
from minsheng.plans.tracking import PLAN_ROLES, plan_indicators

RULE_FIELDS = (
    "on_time_weight",
    "target_weight",
    "report_weight",
    "overdue_deduction",
    "supervision_deduction",
    "deduction_cap",
    "report_cycle",
    "report_grace_days",
)
DEFAULT_RULE = AppraisalRuleIn(
    on_time_weight=40,
    target_weight=30,
    report_weight=30,
    overdue_deduction=2,
    supervision_deduction=1,
    deduction_cap=20,
    report_cycle="quarter",
    report_grace_days=10,
)
ATTAINED = frozenset({Status.achieved, Status.on_track})


def rule_for(session: Session, *, plan_id: int) -> AppraisalRule:
    """Return the plan's stored rule, or an unsaved one with the default weights."""
    stored = session.scalar(select(AppraisalRule).where(AppraisalRule.plan_id == plan_id))
    return stored or AppraisalRule(plan_id=plan_id, **DEFAULT_RULE.model_dump())


def _values(rule: AppraisalRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in RULE_FIELDS}


def update_rule(session: Session, *, plan: Plan, user: User, data: AppraisalRuleIn) -> AppraisalRule:
    """Store a plan's appraisal weights and deductions, and audit the change."""
    if not user.has_role(*PLAN_ROLES):
        raise PermissionDenied("只有管理员、督办人员和领导可以修改考核规则")
    rule = rule_for(session, plan_id=plan.id)
    before = _values(rule)
    for name, value in data.model_dump().items():
        setattr(rule, name, value)
    rule.updated_by_id = user.id
    session.add(rule)
    session.flush()
    after = _values(rule)
    record(
        session,
        action="plan.appraisal_rule",
        entity_type="plan",
        entity_id=plan.id,
        summary=(
            f"《{plan.title[:40]}》考核规则：权重 {rule.on_time_weight}/{rule.target_weight}/"
            f"{rule.report_weight}，扣分上限 {rule.deduction_cap:g}"
        ),
        before=before,
        after=after,
    )
    return rule


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class DepartmentScore:
    """A department's counts, the component rates and points, deductions and total."""

    department_id: int
    name: str
    tasks_due: int = 0
    tasks_on_time: int = 0
    indicators: int = 0
    indicators_attained: int = 0
    reports_expected: int = 0
    reports_on_time: int = 0
    overdue: int = 0
    supervision_levels: int = 0
    points: dict[str, float | None] = field(default_factory=dict)
    deduction: float = 0.0
    total: float | None = None

    @property
    def on_time_rate(self) -> float | None:
        return _share(self.tasks_on_time, self.tasks_due)

    @property
    def target_rate(self) -> float | None:
        return _share(self.indicators_attained, self.indicators)

    @property
    def report_rate(self) -> float | None:
        return _share(self.reports_on_time, self.reports_expected)

    def finish(self, rule: AppraisalRule) -> None:
        """Weigh the rates into points, spreading the weight of a component with nothing to judge."""
        parts = {
            "on_time": (rule.on_time_weight, self.on_time_rate),
            "target": (rule.target_weight, self.target_rate),
            "report": (rule.report_weight, self.report_rate),
        }
        # A department with no task due yet should not lose that weight: the other components carry it.
        judged = sum(weight for weight, rate in parts.values() if rate is not None)
        self.points = {
            name: None if rate is None or not judged else round(weight * rate * 100 / judged, 1)
            for name, (weight, rate) in parts.items()
        }
        raw = self.overdue * rule.overdue_deduction + self.supervision_levels * rule.supervision_deduction
        self.deduction = round(min(rule.deduction_cap, raw), 1)
        if judged:
            earned = sum(weight * rate for weight, rate in parts.values() if rate is not None) * 100 / judged
            self.total = round(max(0.0, earned - self.deduction), 1)


@dataclass(frozen=True, slots=True)
class Window:
    """The appraisal period [start, end] in local dates, and the moment it is judged at."""

    start: date
    end: date
    now: datetime
    zone: str

    @property
    def today(self) -> date:
        return to_local(self.now, self.zone).date()

    def day(self, moment: datetime) -> date:
        """Return the local date of a stored UTC moment."""
        return to_local(moment, self.zone).date()


def _count_task(score: DepartmentScore, case: Case, window: Window) -> None:
    due = case.resolve_due_at
    closed = case.status == CaseStatus.closed
    ended = case.closed_at if case.status in TERMINAL else None
    active = ended is None or window.day(ended) >= window.start
    if active and window.day(case.submitted_at) <= window.end:
        score.supervision_levels += case.supervision_level
    if due is None or not window.start <= window.day(due) <= window.end:
        return
    if case.status in TERMINAL and not closed:
        return
    # An open task not yet at its deadline has not failed; a task closed early counts in its favour.
    if not closed and due >= window.now:
        return
    score.tasks_due += 1
    score.tasks_on_time += bool(closed and case.replied_at and case.replied_at <= due)
    # Overdue means the department itself answered late, not that the office's review came after the deadline.
    score.overdue += case.replied_at is None or case.replied_at > due


def _expected_periods(task_start: date, task_end: date | None, periods: list[Period]) -> list[Period]:
    return [p for p in periods if task_start <= p.last and (task_end is None or task_end >= p.first)]


def _count_reports(
    score: DepartmentScore,
    *,
    opened: date,
    ended: date | None,
    reports: list[ProgressReport],
    periods: list[Period],
    rule: AppraisalRule,
    window: Window,
) -> None:
    grace = timedelta(days=rule.report_grace_days)
    on_time: set[Period] = set()
    for report in reports:
        submitted = window.day(report.submitted_at)
        period = report_period(
            report.period, submitted, cycle=rule.report_cycle, grace_days=rule.report_grace_days
        )
        if submitted <= period.last + grace:
            on_time.add(period)
    for period in _expected_periods(opened, ended, periods):
        score.reports_expected += 1
        score.reports_on_time += period in on_time


def score_departments(
    session: Session, *, plan: Plan, rule: AppraisalRule, window: Window
) -> list[DepartmentScore]:
    """Score every department leading a task or answering for an indicator of the plan, best first."""
    rows = session.execute(
        select(PlanTask, Case).outerjoin(Case, Case.id == PlanTask.case_id).where(PlanTask.plan_id == plan.id)
    ).all()
    reports: dict[int, list[ProgressReport]] = {}
    if rows:
        for report in session.scalars(
            select(ProgressReport).where(ProgressReport.task_id.in_([task.id for task, _ in rows]))
        ):
            reports.setdefault(report.task_id, []).append(report)
    indicators = plan_indicators(session, plan_id=plan.id, today=window.today)
    ids = {task.lead_department_id for task, _ in rows}
    ids |= {view.indicator.department_id for view in indicators if view.indicator.department_id}
    named = select(Department.id, Department.name).where(Department.id.in_(ids))
    names: dict[int, str] = {dept_id: name for dept_id, name in session.execute(named)} if ids else {}
    scores = {dept_id: DepartmentScore(dept_id, names.get(dept_id, "")) for dept_id in ids}
    # Only periods whose reporting deadline has passed are owed.
    grace = timedelta(days=rule.report_grace_days)
    periods = [
        p
        for p in periods_ending_between(window.start, window.end, rule.report_cycle)
        if p.last + grace < window.today
    ]
    for task, case in rows:
        score = scores[task.lead_department_id]
        if case is not None:
            _count_task(score, case, window)
        opened = window.day(case.submitted_at if case else plan.created_at)
        ended = window.day(case.closed_at) if case and case.closed_at and case.status in TERMINAL else None
        own = [r for r in reports.get(task.id, []) if r.department_id == task.lead_department_id]
        _count_reports(
            score, opened=opened, ended=ended, reports=own, periods=periods, rule=rule, window=window
        )
    for view in indicators:
        if view.indicator.department_id:
            score = scores[view.indicator.department_id]
            score.indicators += 1
            score.indicators_attained += view.status in ATTAINED
    for score in scores.values():
        score.finish(rule)
    return sorted(scores.values(), key=lambda s: (s.total is None, -(s.total or 0), s.name))


def score_chart(scores: list[DepartmentScore], *, translate_label: Callable[[str], str]) -> dict[str, object]:
    """Build ECharts options: a bar of each department's total score, best first."""
    ranked = [s for s in scores if s.total is not None][:30]
    return {
        "color": ["#1f5fae"],
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 24, "top": 24, "bottom": 80},
        "xAxis": {
            "type": "category",
            "data": [s.name for s in ranked],
            "axisLabel": {"interval": 0, "rotate": 30},
        },
        "yAxis": {"type": "value", "min": 0, "max": 100},
        "series": [
            {
                "name": translate_label("总分"),
                "type": "bar",
                "barMaxWidth": 32,
                "label": {"show": True, "position": "top"},
                "data": [s.total for s in ranked],
            }
        ],
    }

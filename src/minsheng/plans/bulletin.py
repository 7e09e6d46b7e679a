"""Gather a plan's progress bulletin (进展通报): tasks, indicators and scores; write it as a workbook."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.auth.models import User
from minsheng.cases.states import OPEN, STATUS_LABELS, CaseStatus
from minsheng.plans import tracking
from minsheng.plans.appraisal import ATTAINED, DepartmentScore, Window, rule_for, score_departments
from minsheng.plans.assessment import STATUS_LABELS as INDICATOR_LABELS
from minsheng.plans.models import Plan, ProgressReport
from minsheng.plans.schemas import COMPARATORS

_PROGRESS_CHARS = 150


@dataclass(frozen=True, slots=True)
class TaskLine:
    """A task as the bulletin lists it."""

    number: str
    title: str
    lead_unit: str
    status: str
    deadline: str
    progress: str


@dataclass(frozen=True, slots=True)
class IndicatorLine:
    """An indicator as the bulletin lists it."""

    name: str
    target: str
    latest: str
    status: str
    department: str


@dataclass
class Bulletin:
    """Everything a bulletin shows, ready to write in any format."""

    plan: Plan
    start: date
    end: date
    issued_on: date
    tasks: list[TaskLine] = field(default_factory=list)
    indicators: list[IndicatorLine] = field(default_factory=list)
    scores: list[DepartmentScore] = field(default_factory=list)
    summary: list[tuple[str, str]] = field(default_factory=list)

    @property
    def period(self) -> str:
        return f"{self.start:%Y年%m月%d日}至{self.end:%Y年%m月%d日}"


def _latest_reports(session: Session, task_ids: list[int]) -> dict[int, ProgressReport]:
    latest: dict[int, ProgressReport] = {}
    if task_ids:
        for report in session.scalars(
            select(ProgressReport)
            .where(ProgressReport.task_id.in_(task_ids))
            .order_by(ProgressReport.submitted_at, ProgressReport.id)
        ):
            latest[report.task_id] = report
    return latest


def _task_line(view: tracking.TaskView, report: ProgressReport | None, window: Window) -> TaskLine:
    case = view.case
    if case is None:
        status = "未派发"
    else:
        status = STATUS_LABELS[CaseStatus(case.status)]
        if case.status in OPEN and case.resolve_due_at and case.resolve_due_at < window.now:
            status += "（已超期）"
        if case.supervision_level:
            status += f"（督办{case.supervision_level}级）"
    if view.task.deadline:
        deadline = view.task.deadline.isoformat()
    elif case and case.resolve_due_at:
        deadline = window.day(case.resolve_due_at).isoformat()
    else:
        deadline = ""
    progress = f"{report.period}：{report.text}"[:_PROGRESS_CHARS] if report else "尚未报送"
    return TaskLine(
        number=view.task.task_no,
        title=view.task.title,
        lead_unit=view.task.lead_department.name,
        status=status,
        deadline=deadline,
        progress=progress,
    )


def _indicator_line(view: tracking.IndicatorView) -> IndicatorLine:
    i = view.indicator
    year = f"{i.target_year}年 " if i.target_year else ""
    latest = f"{view.measurements[-1].value:g}{i.unit}" if view.measurements else "—"
    return IndicatorLine(
        name=i.name,
        target=f"{year}{COMPARATORS.get(i.comparator, '')} {i.target_value:g}{i.unit}",
        latest=latest,
        status=INDICATOR_LABELS[view.status],
        department=i.department.name if i.department else "",
    )


def build_bulletin(session: Session, *, plan: Plan, user: User, window: Window) -> Bulletin:
    """Assemble the bulletin of a plan for a period: the user's visible tasks, all indicators and scores."""
    views = tracking.plan_tasks(session, plan_id=plan.id, user=user)
    latest = _latest_reports(session, [view.task.id for view in views])
    indicators = tracking.plan_indicators(session, plan_id=plan.id, today=window.today)
    scores = score_departments(session, plan=plan, rule=rule_for(session, plan_id=plan.id), window=window)
    cases = [view.case for view in views if view.case]
    overdue = sum(1 for c in cases if c.status in OPEN and c.resolve_due_at and c.resolve_due_at < window.now)
    totals = [s.total for s in scores if s.total is not None]
    summary = [
        ("任务总数", str(len(views))),
        ("已办结", str(sum(1 for c in cases if c.status == CaseStatus.closed))),
        ("超期未办结", str(overdue)),
        ("督办中", str(sum(1 for c in cases if c.supervision_level and c.status in OPEN))),
        ("量化指标", str(len(indicators))),
        ("已达标或进度正常", str(sum(1 for v in indicators if v.status in ATTAINED))),
        ("参与考核单位", str(len(scores))),
        ("平均得分", f"{sum(totals) / len(totals):.1f}" if totals else "—"),
    ]
    return Bulletin(
        plan=plan,
        start=window.start,
        end=window.end,
        issued_on=window.today,
        tasks=[_task_line(view, latest.get(view.task.id), window) for view in views],
        indicators=[_indicator_line(view) for view in indicators],
        scores=scores,
        summary=summary,
    )


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 4)


TASK_COLUMNS = ("序号", "任务", "牵头单位", "状态", "完成时限", "最新进展")
INDICATOR_COLUMNS = ("指标", "目标", "最新值", "状态", "责任单位")
SCORE_COLUMNS = (
    "排名",
    "单位",
    "按时办结率",
    "目标达成率",
    "报送及时率",
    "超期任务",
    "督办级次",
    "扣分",
    "总分",
)


def _sheet(sheet: Worksheet, title: str, columns: tuple[str, ...], widths: tuple[int, ...]) -> None:
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(list(columns))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = width


def bulletin_workbook(bulletin: Bulletin) -> bytes:
    """Write the bulletin as a workbook with sheets for tasks, indicators and scores."""
    book = Workbook()
    heading = f"《{bulletin.plan.title}》进展通报（{bulletin.period}）"
    tasks = book.active
    tasks.title = "任务"
    _sheet(tasks, heading, TASK_COLUMNS, (8, 40, 20, 18, 12, 60))
    for t in bulletin.tasks:
        tasks.append([t.number, t.title, t.lead_unit, t.status, t.deadline, t.progress])
    indicators = book.create_sheet("指标")
    _sheet(indicators, heading, INDICATOR_COLUMNS, (40, 24, 14, 12, 20))
    for i in bulletin.indicators:
        indicators.append([i.name, i.target, i.latest, i.status, i.department])
    scores = book.create_sheet("考核得分")
    _sheet(scores, heading, SCORE_COLUMNS, (8, 24, 12, 12, 12, 10, 10, 8, 8))
    for rank, s in enumerate(bulletin.scores, start=1):
        scores.append(
            [
                rank,
                s.name,
                _percent(s.on_time_rate),
                _percent(s.target_rate),
                _percent(s.report_rate),
                s.overdue,
                s.supervision_levels,
                s.deduction,
                s.total,
            ]
        )
    for column in ("C", "D", "E"):
        for cell in scores[column][2:]:
            cell.number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

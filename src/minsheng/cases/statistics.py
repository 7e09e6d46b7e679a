"""Case statistics by department, category, place, type and period: volumes, the three rates and timeliness.

Definitions (docs/cases.md): 按时签收率 = signed by the sign-for deadline / signed;
按时办结率 = replied by the resolution deadline / closed; 响应率 = signed / assigned;
解决率 = closed / assigned; 满意率 = (满意 + 基本满意) / rated; 退单率 = returned at least once / assigned;
重复投诉率 = merged into another case / received.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from statistics import mean

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.auth.models import User
from minsheng.cases.models import Case, CaseType
from minsheng.cases.queries import scope_cases
from minsheng.cases.states import CaseStatus
from minsheng.core.timeutil import to_local
from minsheng.org.models import Department

GROUPINGS = {"department": "承办单位", "category": "分类", "region": "地区", "type": "类型", "month": "月份"}
_UNKNOWN = "未分配"


@dataclass
class Row:
    """The figures of one group."""

    key: str
    received: int = 0
    assigned: int = 0
    signed: int = 0
    signed_on_time: int = 0
    closed: int = 0
    closed_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    returned: int = 0
    merged: int = 0
    hours: list[float] = field(default_factory=list)

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    def as_dict(self) -> dict[str, object]:
        """Return the counts and the derived rates (None where the base is zero)."""
        return {
            "key": self.key,
            "received": self.received,
            "assigned": self.assigned,
            "closed": self.closed,
            "sign_on_time_rate": self._share(self.signed_on_time, self.signed),
            "close_on_time_rate": self._share(self.closed_on_time, self.closed),
            "response_rate": self._share(self.signed, self.assigned),
            "resolution_rate": self._share(self.closed, self.assigned),
            "satisfaction_rate": self._share(self.satisfied, self.rated),
            "return_rate": self._share(self.returned, self.assigned),
            "repeat_rate": self._share(self.merged, self.received),
            "average_hours": round(mean(self.hours), 1) if self.hours else None,
        }


def _add(row: Row, case: Case) -> None:
    row.received += 1
    row.merged += case.status == CaseStatus.merged
    if case.assigned_at is None:
        return
    row.assigned += 1
    row.returned += case.return_count > 0
    if case.signed_at is not None:
        row.signed += 1
        row.signed_on_time += case.sign_for_due_at is None or case.signed_at <= case.sign_for_due_at
    if case.status == CaseStatus.closed and case.closed_at is not None:
        row.closed += 1
        row.closed_on_time += bool(
            case.replied_at and (case.resolve_due_at is None or case.replied_at <= case.resolve_due_at)
        )
        row.hours.append((case.closed_at - case.assigned_at).total_seconds() / 3600)
    if case.satisfaction:
        row.rated += 1
        row.satisfied += case.satisfaction in ("satisfied", "basically_satisfied")


@dataclass
class Report:
    """Grouped figures with a total row."""

    grouping: str
    rows: list[dict[str, object]]
    total: dict[str, object]


def _key_function(
    grouping: str, departments: dict[int, str], types: dict[int, str], zone: str
) -> Callable[[Case], str]:
    if grouping == "department":
        return lambda c: departments.get(c.lead_department_id or 0, _UNKNOWN)
    if grouping == "category":
        return lambda c: c.category or "未分类"
    if grouping == "region":
        return lambda c: (c.region_code or "")[:6] or "未识别"
    if grouping == "type":
        return lambda c: types.get(c.type_id, "")
    return lambda c: to_local(c.submitted_at, zone).strftime("%Y-%m")


def summarise(cases: Iterable[Case], key: Callable[[Case], str]) -> tuple[list[Row], Row]:
    """Group cases and count each group, with a total."""
    groups: dict[str, Row] = defaultdict(lambda: Row(""))
    total = Row("合计")
    for case in cases:
        name = key(case)
        row = groups[name]
        row.key = name
        _add(row, case)
        _add(total, case)
    return sorted(groups.values(), key=lambda r: (-r.received, r.key)), total


def case_report(
    session: Session, *, user: User, grouping: str, start: datetime, end: datetime, zone: str
) -> Report:
    """Compute the statistics of the cases received in [start, end) that the user may see."""
    if grouping not in GROUPINGS:
        grouping = "department"
    stmt = scope_cases(select(Case), session=session, user=user).where(
        Case.submitted_at >= start, Case.submitted_at < end
    )
    departments = {row.id: row.name for row in session.execute(select(Department.id, Department.name))}
    types = {row.id: row.name for row in session.execute(select(CaseType.id, CaseType.name))}
    rows, total = summarise(session.scalars(stmt), _key_function(grouping, departments, types, zone))
    return Report(grouping=grouping, rows=[r.as_dict() for r in rows], total=total.as_dict())


COLUMNS = [
    ("key", "分组"),
    ("received", "受理量"),
    ("assigned", "派单量"),
    ("closed", "办结量"),
    ("sign_on_time_rate", "按时签收率"),
    ("close_on_time_rate", "按时办结率"),
    ("response_rate", "响应率"),
    ("resolution_rate", "解决率"),
    ("satisfaction_rate", "满意率"),
    ("return_rate", "退单率"),
    ("repeat_rate", "重复投诉率"),
    ("average_hours", "平均办理时长（小时）"),
]
RATE_COLUMNS = frozenset(k for k, _ in COLUMNS if k.endswith("_rate"))


def report_chart(report: Report, *, translate_label: Callable[[str], str]) -> dict[str, object]:
    """Bar chart of volumes with the satisfaction and on-time rates as lines on a percentage axis."""
    rows = report.rows[:20]
    names = [str(r["key"]) for r in rows]

    def percent(key: str) -> list[float | None]:
        return [None if r[key] is None else round(float(str(r[key])) * 100, 1) for r in rows]

    received, closed = translate_label("受理量"), translate_label("办结量")
    satisfied, on_time = translate_label("满意率"), translate_label("按时办结率")
    return {
        "color": ["#1f5fae", "#2a9d8f", "#e76f51", "#e9c46a"],
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [received, closed, satisfied, on_time], "top": 0},
        "grid": {"left": 48, "right": 48, "top": 36, "bottom": 60},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"interval": 0, "rotate": 30}},
        "yAxis": [
            {"type": "value", "minInterval": 1},
            {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
        ],
        "series": [
            {"name": received, "type": "bar", "data": [r["received"] for r in rows], "barMaxWidth": 28},
            {"name": closed, "type": "bar", "data": [r["closed"] for r in rows], "barMaxWidth": 28},
            {"name": satisfied, "type": "line", "yAxisIndex": 1, "data": percent("satisfaction_rate")},
            {"name": on_time, "type": "line", "yAxisIndex": 1, "data": percent("close_on_time_rate")},
        ],
    }

"""The supervisor's board: open, overdue and supervised cases per department, and pending extensions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from minsheng.auth.models import User
from minsheng.cases.deadlines import is_overdue, is_sign_overdue
from minsheng.cases.models import Case
from minsheng.cases.queries import scope_cases
from minsheng.cases.states import OPEN, WITH_DEPARTMENT, CaseStatus
from minsheng.org.models import Department


@dataclass
class DepartmentLoad:
    """One department's open work."""

    name: str
    open: int = 0
    overdue: int = 0
    sign_overdue: int = 0
    supervised: int = 0
    extensions: int = 0


@dataclass
class Board:
    """Everything the board shows."""

    departments: list[DepartmentLoad]
    extension_requests: list[Case] = field(default_factory=list)
    most_overdue: list[Case] = field(default_factory=list)


def supervision_board(session: Session, *, user: User, now: datetime) -> Board:
    """Gather open cases the user may see, per lead department, with the requests awaiting a decision."""
    stmt = scope_cases(select(Case), session=session, user=user).where(
        Case.status.in_(list(OPEN - {CaseStatus.submitted, CaseStatus.accepted}))
    )
    cases = list(
        session.scalars(stmt.options(selectinload(Case.lead_department), selectinload(Case.case_type)))
    )
    names = {d.id: d.name for d in session.scalars(select(Department))}
    loads: dict[int, DepartmentLoad] = defaultdict(lambda: DepartmentLoad(""))
    for case in cases:
        if case.lead_department_id is None:
            continue
        load = loads[case.lead_department_id]
        load.name = names.get(case.lead_department_id, "")
        load.open += 1
        load.overdue += is_overdue(case, now)
        load.sign_overdue += is_sign_overdue(case, now)
        load.supervised += case.supervision_level > 0
        load.extensions += bool(case.extension_days_requested)
    overdue = [c for c in cases if c.status in WITH_DEPARTMENT and is_overdue(c, now)]
    return Board(
        departments=sorted(loads.values(), key=lambda d: (-d.overdue, -d.open, d.name)),
        extension_requests=[c for c in cases if c.extension_days_requested],
        most_overdue=sorted(overdue, key=lambda c: c.resolve_due_at or now)[:20],
    )


def board_chart(board: Board, *, labels: dict[str, str]) -> dict[str, object]:
    """Stacked bars of on-time and overdue open cases per department."""
    rows = board.departments[:15]
    return {
        "color": ["#2a9d8f", "#e76f51", "#e9c46a"],
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [labels["on_time"], labels["overdue"], labels["supervised"]], "top": 0},
        "grid": {"left": 140, "right": 24, "top": 32, "bottom": 24},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": [r.name for r in rows], "inverse": True},
        "series": [
            {
                "name": labels["on_time"],
                "type": "bar",
                "stack": "open",
                "data": [r.open - r.overdue for r in rows],
            },
            {"name": labels["overdue"], "type": "bar", "stack": "open", "data": [r.overdue for r in rows]},
            {"name": labels["supervised"], "type": "bar", "data": [r.supervised for r in rows]},
        ],
    }

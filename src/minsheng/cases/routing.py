"""Suggest the responsible department from the text engine's reading and the office's routing table."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.cases.models import RoutingRule
from minsheng.core.changes import ChangeCounter
from minsheng.org.models import Department
from minsheng.text.analysis import Analysis

RULE_KINDS = {"category": "分类", "region": "地点", "keyword": "关键词"}
# A keyword the office chose is the strongest evidence, a named department the weakest: people name the
# department they are angry with, which is often, but not always, the one that must act.
KEYWORD_WEIGHT = 0.9
REGION_WEIGHT = 0.6
MENTION_WEIGHT = 0.45
TOP_K = 3
# Rules and department names change by an administrator's hand; intake reads them on every submission.
ROUTING_CHANGES = ChangeCounter(RoutingRule, Department)


@dataclass
class DepartmentSuggestion:
    """A department proposed for a case, with a confidence in [0, 1] and the evidence behind it."""

    department_id: int
    name: str
    confidence: float
    reasons: list[str] = field(default_factory=list)


def _add(found: dict[int, DepartmentSuggestion], dept_id: int, name: str, score: float, reason: str) -> None:
    current = found.get(dept_id)
    if current is None:
        found[dept_id] = DepartmentSuggestion(dept_id, name, round(score, 4), [reason])
        return
    # Independent pieces of evidence reinforce each other (noisy-or).
    current.confidence = round(1 - (1 - current.confidence) * (1 - score), 4)
    current.reasons.append(reason)


def _rule_matches(kind: str, pattern: str, analysis: Analysis, categories: dict[str, float]) -> float | None:
    pattern = pattern.strip()
    if kind == "category":
        return categories.get(pattern)
    if kind == "region":
        codes = {p.region_code for p in analysis.places if p.region_code}
        if analysis.region_code:
            codes.add(analysis.region_code)
        return REGION_WEIGHT if any(code.startswith(pattern) for code in codes) else None
    if kind == "keyword":
        return KEYWORD_WEIGHT if pattern and pattern in analysis.text else None
    return None


@dataclass(frozen=True)
class RoutingData:
    """The active rules, strongest first, as (kind, pattern, department id, department name), and the
    names of the active departments by id."""

    rules: list[tuple[str, str, int, str]]
    departments: dict[int, str]


def read_routing(session: Session) -> RoutingData:
    """Read the active routing rules and departments from the database."""
    rules = session.execute(
        select(RoutingRule.kind, RoutingRule.pattern, Department.id, Department.name)
        .join(Department, RoutingRule.department_id == Department.id)
        .where(RoutingRule.is_active, Department.is_active)
        .order_by(RoutingRule.priority.desc(), RoutingRule.id)
    ).all()
    departments = session.execute(select(Department.id, Department.name).where(Department.is_active)).all()
    return RoutingData(
        rules=[(kind, pattern, dept_id, name) for kind, pattern, dept_id, name in rules],
        departments={dept_id: name for dept_id, name in departments},
    )


class RoutingTable:
    """Keep the routing data of one process, read again only when it may have changed.

    A change committed in this process is seen by the next submission; one committed by another process (a
    second server worker, the command line) within `check_seconds`, found by comparing the row counts and
    newest change times of the rules and departments.
    """

    def __init__(self, *, check_seconds: float = 5.0) -> None:
        self.check_seconds = check_seconds
        self._data: RoutingData | None = None
        self._generation = -1
        self._stamp: tuple[object, ...] | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    @staticmethod
    def _stamp_of(session: Session) -> tuple[object, ...]:
        rules = session.execute(select(func.count(), func.max(RoutingRule.updated_at))).one()
        departments = session.execute(select(func.count(), func.max(Department.updated_at))).one()
        return (*rules, *departments)

    def get(self, session: Session) -> RoutingData:
        """Return the current routing data."""
        data = self._data
        if (
            data is not None
            and self._generation == ROUTING_CHANGES.value
            and time.monotonic() - self._checked < self.check_seconds
        ):
            return data
        with self._lock:
            # Read the counter first: a change committed while we read moves it and forces another read.
            generation = ROUTING_CHANGES.value
            stamp = self._stamp_of(session)
            if self._data is None or generation != self._generation or stamp != self._stamp:
                self._data = read_routing(session)
            self._generation, self._stamp, self._checked = generation, stamp, time.monotonic()
            return self._data


def suggest_departments(
    session: Session, analysis: Analysis, *, table: RoutingTable | None = None
) -> list[DepartmentSuggestion]:
    """Rank departments for a case by the routing table, the predicted category and named departments.

    Long-running processes pass their RoutingTable so the rules are not read again for every case.
    """
    prediction = analysis.predictions.get("category")
    categories = dict(prediction.top_k) if prediction else {}
    data = table.get(session) if table is not None else read_routing(session)
    found: dict[int, DepartmentSuggestion] = {}
    for kind, pattern, dept_id, dept_name in data.rules:
        score = _rule_matches(kind, pattern, analysis, categories)
        if score:
            _add(found, dept_id, dept_name, score, f"{RULE_KINDS.get(kind, kind)}: {pattern}")
    for dept_id in sorted({m.department_id for m in analysis.departments}):
        dept_name = data.departments.get(dept_id)
        if dept_name is not None:
            _add(found, dept_id, dept_name, MENTION_WEIGHT, f"文中提及: {dept_name}")
    ranked = sorted(found.values(), key=lambda s: (-s.confidence, s.name))
    return ranked[:TOP_K]


def as_json(suggestions: list[DepartmentSuggestion]) -> list[dict[str, object]]:
    """Return suggestions as plain data for storage on the case."""
    return [asdict(s) for s in suggestions]

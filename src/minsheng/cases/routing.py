"""Suggest the responsible department from the text engine's reading and the office's routing table."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.cases.models import RoutingRule
from minsheng.org.models import Department
from minsheng.text.analysis import Analysis

RULE_KINDS = {"category": "分类", "region": "地点", "keyword": "关键词"}
# A keyword the office chose is the strongest evidence, a named department the weakest: people name the
# department they are angry with, which is often, but not always, the one that must act.
KEYWORD_WEIGHT = 0.9
REGION_WEIGHT = 0.6
MENTION_WEIGHT = 0.45
TOP_K = 3


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


def suggest_departments(session: Session, analysis: Analysis) -> list[DepartmentSuggestion]:
    """Rank departments for a case by the routing table, the predicted category and named departments."""
    prediction = analysis.predictions.get("category")
    categories = dict(prediction.top_k) if prediction else {}
    rules = session.execute(
        select(RoutingRule.kind, RoutingRule.pattern, Department.id, Department.name)
        .join(Department, RoutingRule.department_id == Department.id)
        .where(RoutingRule.is_active, Department.is_active)
        .order_by(RoutingRule.priority.desc(), RoutingRule.id)
    ).all()
    found: dict[int, DepartmentSuggestion] = {}
    for kind, pattern, dept_id, dept_name in rules:
        score = _rule_matches(kind, pattern, analysis, categories)
        if score:
            _add(found, dept_id, dept_name, score, f"{RULE_KINDS.get(kind, kind)}: {pattern}")
    mentioned = {m.department_id for m in analysis.departments}
    if mentioned:
        named = select(Department.id, Department.name).where(
            Department.id.in_(mentioned), Department.is_active
        )
        for dept_id, dept_name in session.execute(named):
            _add(found, dept_id, dept_name, MENTION_WEIGHT, f"文中提及: {dept_name}")
    ranked = sorted(found.values(), key=lambda s: (-s.confidence, s.name))
    return ranked[:TOP_K]


def as_json(suggestions: list[DepartmentSuggestion]) -> list[dict[str, object]]:
    """Return suggestions as plain data for storage on the case."""
    return [asdict(s) for s in suggestions]

"""Take in a new case from any channel: validate, read it, suggest a department and spot duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minsheng.audit.service import record
from minsheng.cases.duplicates import DuplicateFinder
from minsheng.cases.models import Case, CaseContact, CaseEvent, CaseType
from minsheng.cases.routing import RoutingTable, as_json, suggest_departments
from minsheng.cases.schemas import CaseSubmit, check_attributes, check_contact
from minsheng.cases.states import CaseStatus
from minsheng.cases.tracking import hash_query_code, new_query_code, new_tracking_number
from minsheng.core.errors import Conflict, NotFound
from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.text.analysis import Analysis, TextEngine

# Work raised inside the office (plan tasks, alerts) has no citizen behind it to contact.
INTERNAL_CHANNELS = frozenset({"plan", "alert"})


@dataclass
class Intake:
    """A stored case and the query code the citizen must keep (shown once, stored only as a digest)."""

    case: Case
    query_code: str


def get_case_type(session: Session, code: str) -> CaseType:
    """Return an active case type by code."""
    case_type = session.scalar(select(CaseType).where(CaseType.code == code, CaseType.is_active))
    if case_type is None:
        raise NotFound(f"没有名为 {code} 的受理类型")
    return case_type


def list_case_types(session: Session, *, public_only: bool = False) -> list[CaseType]:
    """List the active case types in display order."""
    stmt = select(CaseType).where(CaseType.is_active).order_by(CaseType.sort_order, CaseType.id)
    if public_only:
        stmt = stmt.where(CaseType.is_public)
    return list(session.scalars(stmt))


# Intake stores the category alone of the classifiers' answers; the other tasks would be computed for nothing.
INTAKE_TASKS = ("category",)


def _apply_analysis(
    session: Session, case: Case, analysis: Analysis, routing: RoutingTable | None = None
) -> None:
    prediction = analysis.predictions.get("category")
    categories = [
        {"label": label, "probability": round(p, 4)} for label, p in (prediction.top_k if prediction else [])
    ]
    if not case.category and categories and prediction and prediction.source == "model":
        case.category = str(categories[0]["label"])
    case.region_code = case.region_code or analysis.region_code
    case.text_signature = analysis.signature or None
    case.suggestions = {
        "categories": categories,
        "category_source": prediction.source if prediction else None,
        "departments": as_json(suggest_departments(session, analysis, table=routing)),
        "places": [p.text for p in analysis.places][:10],
        "keywords": [k for k, _ in analysis.keywords][:8],
    }


def submit_case(
    session: Session,
    *,
    data: CaseSubmit,
    settings: Settings,
    engine: TextEngine,
    created_by_id: int | None = None,
    query_key: bytes,
    duplicates: DuplicateFinder | None = None,
    routing: RoutingTable | None = None,
) -> Intake:
    """Store a new case with its contact apart, its reading of the text and its first timeline step."""
    now = utcnow()
    text = "\n".join(filter(None, [data.place_text or "", data.description]))
    # Read the text before the first statement: on SQLite that statement takes the write lock, which other
    # submissions wait for, so the transaction should hold it for database work only.
    analysis = engine.analyze_many([text], titles=[data.title], published_at=[now], tasks=INTAKE_TASKS)[0]
    case_type = get_case_type(session, data.type_code)
    if data.channel not in INTERNAL_CHANNELS:
        check_contact(case_type, data.contact)
    attributes = check_attributes(case_type, data.attributes)
    if data.external_id:
        existing = session.scalar(
            select(Case).where(Case.channel == data.channel, Case.external_id == data.external_id)
        )
        if existing is not None:
            raise Conflict(f"外部编号 {data.external_id} 已提交过，受理编号 {existing.tracking_no}")
    code = new_query_code()
    case = Case(
        tracking_no=new_tracking_number(now),
        query_code_hash=hash_query_code(code, key=query_key),
        type_id=case_type.id,
        channel=data.channel,
        status=CaseStatus.submitted,
        priority=data.priority,
        title=data.title,
        description=data.description,
        category=data.category,
        place_text=data.place_text,
        latitude=data.latitude,
        longitude=data.longitude,
        attributes=attributes,
        external_id=data.external_id,
        submitted_at=now,
        created_by_id=created_by_id,
    )
    _apply_analysis(session, case, analysis, routing)
    # Looked for before the case is stored, so the row is written once, suggestions complete.
    finder = duplicates or DuplicateFinder()
    case.suggestions = {
        **case.suggestions,
        "duplicates": finder.find(session, case=case, settings=settings, now=now),
    }
    _insert_with_unique_number(session, case, now)
    session.add(CaseContact(case_id=case.id, **data.contact.model_dump()))
    session.add(
        CaseEvent(
            case_id=case.id,
            action="submit",
            to_status=CaseStatus.submitted,
            actor_id=created_by_id,
            actor_name="来电人" if created_by_id is None else "",
            public_note=f"您的{case_type.name}已提交，受理编号 {case.tracking_no}",
            data={"channel": data.channel},
            occurred_at=now,
        )
    )
    session.flush()
    record(
        session,
        action="case.submit",
        entity_type="case",
        entity_id=case.id,
        summary=f"{case_type.name} {case.tracking_no}（{data.channel}）",
        after={"tracking_no": case.tracking_no, "type": case_type.code, "channel": data.channel},
    )
    return Intake(case=case, query_code=code)


def _insert_with_unique_number(session: Session, case: Case, now: datetime) -> None:
    # 32^5 numbers a day make a clash rare; a savepoint lets us draw again without losing the transaction.
    for _ in range(5):
        try:
            with session.begin_nested():
                session.add(case)
                session.flush()
            return
        except IntegrityError:
            case.tracking_no = new_tracking_number(now)
    raise Conflict("受理编号生成失败，请重试")

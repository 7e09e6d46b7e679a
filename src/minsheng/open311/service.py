"""GeoReport v2 documents built from cases: discovery, services, service definitions and requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from minsheng.cases.intake import get_case_type, list_case_types
from minsheng.cases.models import Case, CaseContact, CaseEvent, CaseType, SlaPolicy
from minsheng.cases.privacy import public_text
from minsheng.cases.states import OPEN, PUBLIC_LABELS, TERMINAL, CaseStatus
from minsheng.cases.tracking import parse_tracking_number
from minsheng.core.errors import MinshengError, NotFound, ValidationFailed
from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.open311.models import Open311Request

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this interface last changed in a way clients should notice (discovery's `changeset`).
CHANGESET = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
MEDIA_TYPES = ["text/xml", "application/json"]
WINDOW = timedelta(days=90)
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_IDS = 100

DATATYPES = {"text": "string", "number": "number", "date": "datetime", "choice": "singlevaluelist"}
DATATYPE_DESCRIPTIONS = {
    "string": "文字，最多 500 字",
    "number": "数字",
    "datetime": "日期，如 2026-11-23（也可给出 ISO 8601 时间）",
    "singlevaluelist": "从 values 中选择一项，提交其 key",
}
# Groups and search words for the built-in types; types an office adds fall back to their name.
_GROUPS = {
    "complaint": ("群众诉求", "投诉, 服务, 经营行为"),
    "help": ("群众诉求", "求助, 困难"),
    "consultation": ("群众诉求", "咨询, 政策, 办事流程"),
    "suggestion": ("群众诉求", "建议, 意见"),
    "illegal_content": ("网络举报", "举报, 诈骗, 赌博, 色情, 谣言, 侵权, 个人信息"),
    "security_incident": ("网络安全", "网络安全, 安全事件"),
    "data_breach": ("网络安全", "数据泄露, 个人信息"),
}


def isotime(value: datetime | None, zone: ZoneInfo) -> str | None:
    """Format a stored time as ISO 8601 with the office's offset, e.g. 2026-11-23T10:00:00+08:00."""
    if value is None:
        return None
    return value.astimezone(zone).isoformat(timespec="seconds")


def discovery(*, url: str, settings: Settings) -> dict[str, Any]:
    """Describe this server for Open311 service discovery."""
    zone = ZoneInfo(settings.timezone)
    changeset = isotime(CHANGESET, zone)
    return {
        "changeset": changeset,
        "contact": settings.open311_contact,
        "key_service": settings.open311_key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": changeset,
                "type": "production",
                "formats": MEDIA_TYPES,
            }
        ],
    }


def public_type(session: Session, code: str) -> CaseType:
    """Return an active public case type, the only kind offered as a service."""
    try:
        case_type = get_case_type(session, code)
    except NotFound:
        case_type = None
    if case_type is None or not case_type.is_public:
        raise NotFound(f"没有 service_code 为 {code[:32]} 的服务")
    return case_type


def services(session: Session) -> list[dict[str, Any]]:
    """List one service per active public case type."""
    found = []
    for t in list_case_types(session, public_only=True):
        group, keywords = _GROUPS.get(t.code, ("群众诉求", t.name))
        found.append(
            {
                "service_code": t.code,
                "service_name": t.name,
                "description": t.description,
                "metadata": bool(t.fields),
                "type": "realtime",
                "keywords": keywords,
                "group": group,
            }
        )
    return found


def _attribute(spec: dict[str, Any], order: int) -> dict[str, Any]:
    datatype = DATATYPES.get(str(spec.get("kind", "text")), "string")
    attribute: dict[str, Any] = {
        "variable": True,
        "code": spec["code"],
        "datatype": datatype,
        "required": bool(spec.get("required")),
        "datatype_description": DATATYPE_DESCRIPTIONS[datatype],
        "order": order,
        "description": spec["label"],
    }
    if datatype == "singlevaluelist":
        attribute["values"] = [{"key": c["key"], "name": c["name"]} for c in spec.get("choices", [])]
    return attribute


def service_definition(session: Session, *, service_code: str) -> dict[str, Any]:
    """Describe the type-specific fields of one service as Open311 attributes."""
    case_type = public_type(session, service_code)
    return {
        "service_code": case_type.code,
        "attributes": [_attribute(spec, order) for order, spec in enumerate(case_type.fields, start=1)],
    }


def resolve_days(session: Session, type_ids: set[int]) -> dict[int, int]:
    """Return each type's default resolution deadline in working days."""
    rows = session.execute(
        select(SlaPolicy.type_id, SlaPolicy.resolve_days).where(
            SlaPolicy.type_id.in_(type_ids), SlaPolicy.category.is_(None), SlaPolicy.priority.is_(None)
        )
    )
    return {type_id: days for type_id, days in rows}


def service_notice(days: int | None) -> str:
    """Say what happens next, in the words of the 12345 centres."""
    if days is None:
        return "我们将尽快受理并派交承办单位办理"
    return f"我们将尽快受理并派交承办单位办理，一般在 {days} 个工作日内办结"


@dataclass
class RequestQuery:
    """What GET requests asked for; `ids` overrides every other filter, as the specification says."""

    ids: list[str] | None = None
    service_codes: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: set[str] | None = None
    page: int = 1
    page_size: int = PAGE_SIZE


def window(start: datetime | None, end: datetime | None, *, now: datetime) -> tuple[datetime, datetime]:
    """Fill in the 90-day search window the specification prescribes and refuse wider ones."""
    if start is None and end is None:
        return now - WINDOW, now
    if start is None:
        assert end is not None
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if start > end:
        raise ValidationFailed("start_date 不能晚于 end_date", field="start_date")
    if end - start > WINDOW:
        raise ValidationFailed("start_date 与 end_date 的间隔不能超过 90 天", field="end_date")
    return start, end


def _tracking_numbers(ids: list[str]) -> list[str]:
    if len(ids) > MAX_IDS:
        raise ValidationFailed(f"一次最多查询 {MAX_IDS} 个 service_request_id", field="service_request_id")
    numbers = []
    for value in ids:
        try:
            numbers.append(parse_tracking_number(value))
        except MinshengError:
            continue  # a malformed id names no request; the others are still answered
    return numbers


def _public_cases() -> Select[tuple[Case]]:
    return (
        select(Case)
        .join(CaseType, Case.type_id == CaseType.id)
        .where(CaseType.is_public)
        .options(selectinload(Case.case_type), selectinload(Case.lead_department))
    )


def find_requests(session: Session, *, query: RequestQuery, settings: Settings) -> list[dict[str, Any]]:
    """Return one page of public service requests, newest first."""
    stmt = _public_cases()
    if query.ids is not None:
        stmt = stmt.where(Case.tracking_no.in_(_tracking_numbers(query.ids)))
    else:
        start, end = window(query.start, query.end, now=utcnow())
        stmt = stmt.where(Case.submitted_at >= start, Case.submitted_at <= end)
        if query.service_codes is not None:
            stmt = stmt.where(CaseType.code.in_(query.service_codes))
        if query.statuses == {"open"}:
            stmt = stmt.where(Case.status.in_(sorted(OPEN)))
        elif query.statuses == {"closed"}:
            stmt = stmt.where(Case.status.in_(sorted(TERMINAL)))
    cases = session.scalars(
        stmt.order_by(Case.submitted_at.desc(), Case.id.desc())
        .limit(query.page_size)
        .offset((query.page - 1) * query.page_size)
    ).all()
    return describe_cases(session, list(cases), settings=settings)


def find_request(session: Session, *, service_request_id: str, settings: Settings) -> dict[str, Any]:
    """Return one public service request; a malformed id is simply one that does not exist."""
    numbers = _tracking_numbers([service_request_id])
    case = session.scalar(_public_cases().where(Case.tracking_no.in_(numbers))) if numbers else None
    if case is None:
        raise NotFound(f"没有编号为 {service_request_id[:32]} 的服务请求")
    return describe_cases(session, [case], settings=settings)[0]


def _last_public_notes(session: Session, case_ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(CaseEvent.case_id, CaseEvent.public_note)
        .where(CaseEvent.case_id.in_(case_ids), CaseEvent.public_note.is_not(None))
        .order_by(CaseEvent.occurred_at, CaseEvent.id)
    )
    return {case_id: note for case_id, note in rows if note}


def _contact_values(session: Session, case_ids: list[int]) -> dict[int, list[str]]:
    # Read only to strike the reporter's own details from free text; nothing read here is ever shown.
    contacts = session.scalars(select(CaseContact).where(CaseContact.case_id.in_(case_ids)))
    return {
        c.case_id: [v for v in (c.name, c.phone, c.email, c.id_number, c.address) if v and len(v) >= 2]
        for c in contacts
    }


def scrub(text: str | None, known: list[str]) -> str | None:
    """Mask personal data in text shown to anyone, the reporter's own name and numbers included."""
    if not text:
        return None
    masked = public_text(text)
    for value in sorted(known, key=len, reverse=True):
        masked = masked.replace(value, value[0] + "*" * (len(value) - 1))
    return masked


def describe_cases(session: Session, cases: list[Case], *, settings: Settings) -> list[dict[str, Any]]:
    """Turn cases into GeoReport service requests without any personal data."""
    if not cases:
        return []
    ids = [c.id for c in cases]
    zone = ZoneInfo(settings.timezone)
    notes = _last_public_notes(session, ids)
    known = _contact_values(session, ids)
    extras = {
        r.case_id: r for r in session.scalars(select(Open311Request).where(Open311Request.case_id.in_(ids)))
    }
    days = resolve_days(session, {c.type_id for c in cases})
    documents = []
    for case in cases:
        status = CaseStatus(case.status)
        own = known.get(case.id, [])
        note = scrub(notes.get(case.id), own)
        extra = extras.get(case.id)
        documents.append(
            {
                "service_request_id": case.tracking_no,
                "status": "closed" if status in TERMINAL else "open",
                "status_notes": f"{PUBLIC_LABELS[status]}：{note}" if note else PUBLIC_LABELS[status],
                "service_name": case.case_type.name,
                "service_code": case.case_type.code,
                "description": scrub(case.description, own),
                "agency_responsible": case.lead_department.name if case.lead_department else None,
                "service_notice": service_notice(days.get(case.type_id)),
                "requested_datetime": isotime(case.submitted_at, zone),
                "updated_datetime": isotime(case.updated_at, zone),
                "expected_datetime": isotime(case.resolve_due_at, zone),
                "address": scrub(case.place_text, own),
                "address_id": extra.address_id if extra else None,
                "zipcode": None,
                "lat": case.latitude,
                "long": case.longitude,
                "media_url": extra.media_url if extra else None,
            }
        )
    return documents


def find_token(session: Session, *, token: str) -> dict[str, Any]:
    """Map a token handed out on submission to its service request id."""
    row = session.execute(
        select(Open311Request.token, Case.tracking_no)
        .join(Case, Case.id == Open311Request.case_id)
        .where(Open311Request.token == token[:64])
    ).first()
    if row is None:
        raise NotFound(f"没有这个 token：{token[:32]}")
    return {"service_request_id": row.tracking_no, "token": row.token}

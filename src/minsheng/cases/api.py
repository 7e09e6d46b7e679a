"""JSON API for cases: submit (intake scope), list and read (read scope), act (write scope)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from minsheng.auth.models import User
from minsheng.cases import service
from minsheng.cases.forms import duplicates_of, engine_of, routing_of
from minsheng.cases.intake import list_case_types
from minsheng.cases.models import Case, CaseEvent
from minsheng.cases.privacy import public_text
from minsheng.cases.queries import VIEWS, CaseFilter, get_case, list_cases, timeline
from minsheng.cases.schemas import ActionIn, CaseSubmit
from minsheng.cases.states import STATUS_LABELS, CaseStatus
from minsheng.core.errors import ValidationFailed
from minsheng.core.settings import Settings
from minsheng.web.deps import AppSettings, DbSession, require_role

router = APIRouter(prefix="/api/v1", tags=["cases"])
Reader = Annotated[User, Depends(require_role(scope="read"))]
Submitter = Annotated[User, Depends(require_role(scope="intake"))]
Writer = Annotated[User, Depends(require_role(scope="write"))]
# Ids beyond 32 bits cannot exist; refusing them early keeps PostgreSQL from raising on the cast.
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class CaseRead(BaseModel):
    """A case as the API shows it: personal data masked in the text, no contact details."""

    id: int
    tracking_no: str
    type_id: int
    channel: str
    status: str
    status_label: str
    priority: str
    title: str
    description: str
    category: str | None
    place_text: str | None
    region_code: str | None
    lead_department_id: int | None
    submitted_at: datetime
    sign_for_due_at: datetime | None
    resolve_due_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    supervision_level: int
    satisfaction: str | None
    suggestions: dict[str, Any]

    @classmethod
    def of(cls, case: Case) -> CaseRead:
        return cls(
            **{name: getattr(case, name) for name in cls.model_fields if hasattr(case, name)}
            | {
                "title": public_text(case.title),
                "description": public_text(case.description),
                "status_label": STATUS_LABELS[CaseStatus(case.status)],
            }
        )


class EventRead(BaseModel):
    """One timeline step."""

    action: str
    from_status: str | None
    to_status: str | None
    actor_name: str
    department_id: int | None
    note: str
    public_note: str | None
    occurred_at: datetime

    @classmethod
    def of(cls, event: CaseEvent) -> EventRead:
        return cls(**{name: getattr(event, name) for name in cls.model_fields})


class CaseDetail(CaseRead):
    timeline: list[EventRead]


class Submitted(BaseModel):
    """The stored case; `query_code` is returned once and is needed to rate the reply."""

    id: int
    tracking_no: str
    query_code: str
    status: str
    suggestions: dict[str, Any]


class CaseTypeRead(BaseModel):
    code: str
    name: str
    description: str
    is_public: bool
    allows_anonymous: bool
    fields: list[dict[str, Any]]


@router.get("/case-types", response_model=list[CaseTypeRead])
def case_types(db: DbSession, user: Reader) -> list[CaseTypeRead]:
    """List the active case types with their type-specific fields."""
    return [CaseTypeRead.model_validate(t, from_attributes=True) for t in list_case_types(db)]


@router.post("/cases", response_model=Submitted, status_code=201)
async def submit(
    request: Request, db: DbSession, settings: AppSettings, user: Submitter, body: CaseSubmit
) -> Submitted:
    """Submit a case; a repeated `external_id` is refused with 409 and the earlier tracking number."""
    # The work runs in the thread pool; this endpoint is a coroutine only so that FastAPI checks the answer
    # here rather than in a second trip to the pool while the transaction waits to commit.
    return await run_in_threadpool(_submit, request, db, settings, user, body)


def _submit(request: Request, db: Session, settings: Settings, user: User, body: CaseSubmit) -> Submitted:
    # The channel is the API's to set: internal channels (plan, alert) skip the contact check.
    data = body.model_copy(update={"channel": "api"})
    intake = service.submit(
        db,
        data=data,
        settings=settings,
        engine=engine_of(request, db),
        duplicates=duplicates_of(request),
        routing=routing_of(request),
        user=user,
    )
    case = intake.case
    return Submitted(
        id=case.id,
        tracking_no=case.tracking_no,
        query_code=intake.query_code,
        status=case.status,
        suggestions=case.suggestions,
    )


@router.get("/cases", response_model=list[CaseRead])
def cases(
    db: DbSession,
    user: Reader,
    view: str = "all",
    status: str = "",
    type: str = "",
    q: str = "",
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
) -> list[CaseRead]:
    """List the cases the token's user may see, newest first, 30 a page."""
    if view not in VIEWS:
        raise ValidationFailed(f"view 只能是 {', '.join(VIEWS)}", field="view")
    found, _ = list_cases(
        db, user=user, filters=CaseFilter(view=view, status=status, type_code=type, query=q, page=page)
    )
    return [CaseRead.of(c) for c in found]


@router.get("/cases/{case_id}", response_model=CaseDetail)
def case(db: DbSession, user: Reader, case_id: CaseId) -> CaseDetail:
    """Read one case with its timeline."""
    found = get_case(db, case_id=case_id, user=user)
    steps = [EventRead.of(e) for e in timeline(db, case_id=found.id)]
    return CaseDetail(**CaseRead.of(found).model_dump(), timeline=steps)


@router.post("/cases/{case_id}/actions", response_model=EventRead, status_code=201)
def act(db: DbSession, settings: AppSettings, user: Writer, case_id: CaseId, body: ActionIn) -> EventRead:
    """Take a workflow action on a case (the same rules as the case page)."""
    return EventRead.of(service.act(db, case_id=case_id, user=user, data=body, settings=settings))

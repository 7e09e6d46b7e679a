"""Staff pages: case lists by view, operator entry, the case page with its actions and the contact reveal."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from minsheng.auth.models import User
from minsheng.cases import service
from minsheng.cases.actions import RULES, SATISFACTION, refusal
from minsheng.cases.attachments import add_attachment, list_attachments, read_attachment
from minsheng.cases.board import board_chart, supervision_board
from minsheng.cases.deadlines import is_overdue, is_sign_overdue
from minsheng.cases.forms import (
    describe,
    duplicates_of,
    engine_of,
    read_form,
    routing_of,
    submission_from_form,
)
from minsheng.cases.importing import COLUMNS as IMPORT_COLUMNS
from minsheng.cases.importing import import_cases
from minsheng.cases.intake import get_case_type, list_case_types
from minsheng.cases.models import CaseContact
from minsheng.cases.privacy import ContactView, masked_contact, reveal_contact
from minsheng.cases.queries import (
    PAGE_SIZE,
    VIEWS,
    CaseFilter,
    get_case,
    list_cases,
    partner_ids,
    timeline,
    view_counts,
    works_for_lead_department,
)
from minsheng.cases.schemas import PRIORITIES, ActionIn
from minsheng.cases.states import (
    ACTION_LABELS,
    AUTOMATIC_LABELS,
    EVENT_LABELS,
    STATUS_LABELS,
    CaseStatus,
    allowed_actions,
)
from minsheng.core.errors import MinshengError
from minsheng.core.i18n import translate
from minsheng.core.timeutil import utcnow
from minsheng.events.related import related_events
from minsheng.org.service import list_departments
from minsheng.org.tabular import MAX_TABLE_BYTES
from minsheng.web.deps import AppSettings, CurrentUser, DbSession, render, require_role

router = APIRouter(prefix="/cases")
Operator = Annotated[User, Depends(require_role("dispatcher", "admin"))]
Overseer = Annotated[User, Depends(require_role("supervisor", "leader", "dispatcher", "admin"))]
OPERATOR_CHANNELS = ("phone", "web")
BOARD_LABELS = {"on_time": "未超期", "overdue": "已超期", "supervised": "督办中"}
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", response_class=HTMLResponse)
def cases_page(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    view: str = "all",
    status: str = "",
    type: str = "",
    q: str = "",
    page: int = 1,
) -> HTMLResponse:
    """List the cases the user may see, by view (queue, mine, due soon, overdue ...)."""
    view = view if view in VIEWS else "all"
    status = status if status in STATUS_LABELS else ""
    filters = CaseFilter(
        view=view, status=status, type_code=type[:32], query=q[:100], page=max(1, min(page, 10**6))
    )
    cases, total = list_cases(db, user=user, filters=filters)
    now = utcnow()
    context = {
        "cases": cases,
        "total": total,
        "page": filters.page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "views": VIEWS,
        "view": view,
        "counts": view_counts(db, user=user),
        "status": status,
        "type": type,
        "q": q,
        "types": list_case_types(db),
        "status_labels": STATUS_LABELS,
        "overdue": {c.id for c in cases if is_overdue(c, now) or is_sign_overdue(c, now)},
        "base_query": urlencode({"view": view, "status": status, "type": type, "q": q}),
    }
    return render(request, "cases/list.html", context)


@router.get("/new", response_class=HTMLResponse)
def new_case_page(request: Request, db: DbSession, user: Operator, type: str = "complaint") -> HTMLResponse:
    """Show the operator's form for a phone call."""
    case_type = get_case_type(db, type)
    context = {"case_type": case_type, "types": list_case_types(db), "form": {}, "error": None}
    return render(request, "cases/new.html", context)


@router.post("/new", response_class=HTMLResponse)
async def new_case(request: Request, db: DbSession, settings: AppSettings, user: Operator) -> Response:
    """Store a case taken on the phone."""
    form = await read_form(request)
    case_type = get_case_type(db, form.get("type_code", "complaint")[:32])
    try:
        channel = form.get("channel") if form.get("channel") in OPERATOR_CHANNELS else "phone"
        data = submission_from_form(form, case_type, channel=channel)
        intake = service.submit(
            db,
            data=data,
            settings=settings,
            engine=engine_of(request, db),
            duplicates=duplicates_of(request),
            routing=routing_of(request),
            user=user,
        )
    except (MinshengError, ValidationError) as exc:
        context = {"case_type": case_type, "types": list_case_types(db), "form": form, "error": describe(exc)}
        return render(request, "cases/new.html", context, status_code=422)
    return RedirectResponse(f"/cases/{intake.case.id}?created={intake.query_code}", status_code=303)


@router.get("/board", response_class=HTMLResponse)
def board_page(request: Request, db: DbSession, user: Overseer) -> HTMLResponse:
    """Show open work per department, overdue cases and extension requests awaiting a decision."""
    board = supervision_board(db, user=user, now=utcnow())
    locale = request.state.ctx.locale
    labels = {key: translate(text, locale) for key, text in BOARD_LABELS.items()}
    context = {
        "board": board,
        "chart_options": board_chart(board, labels=labels),
        "status_labels": STATUS_LABELS,
    }
    return render(request, "cases/board.html", context)


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, user: Operator) -> HTMLResponse:
    """Show the import form with the expected columns."""
    return render(request, "cases/import.html", {"columns": IMPORT_COLUMNS, "outcome": None, "error": None})


@router.post("/import", response_class=HTMLResponse)
async def import_upload(
    request: Request, db: DbSession, settings: AppSettings, user: Operator
) -> HTMLResponse:
    """Import cases from an uploaded CSV or XLSX file and report row by row."""
    form = await request.form()
    upload_file = form.get("file")
    context: dict[str, Any] = {"columns": IMPORT_COLUMNS, "outcome": None, "error": None}
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        context["error"] = "请选择要导入的 CSV 或 Excel 文件"
        return render(request, "cases/import.html", context, status_code=422)
    content = await upload_file.read(MAX_TABLE_BYTES + 1)
    if len(content) > MAX_TABLE_BYTES:
        context["error"] = f"文件不能超过 {MAX_TABLE_BYTES // 1024 // 1024} MB"
        return render(request, "cases/import.html", context, status_code=413)
    try:
        outcome = import_cases(
            db,
            content=content,
            filename=upload_file.filename,
            settings=settings,
            engine=engine_of(request, db),
            user=user,
            duplicates=duplicates_of(request),
        )
    except MinshengError as exc:
        context["error"] = exc.message
        return render(request, "cases/import.html", context, status_code=exc.status_code)
    context["outcome"] = outcome
    # Rows that failed are reported, the good ones are kept: commit even when some rows were refused.
    request.state.force_commit = True
    return render(request, "cases/import.html", context, status_code=200 if outcome.created else 422)


def _case_context(
    db: DbSession, user: User, case_id: CaseId, *, contact: ContactView | None = None, **extra: Any
) -> dict[str, Any]:
    case = get_case(db, case_id=case_id, user=user)
    # Decided once for the page, not once per action: the department tree is read for it.
    leads = works_for_lead_department(db, user=user, case=case)
    actions = [a for a in allowed_actions(CaseStatus(case.status)) if refusal(user, a, leads=leads) is None]
    partners = partner_ids(db, case_id=case.id)
    departments = list_departments(db, is_active=True)
    now = utcnow()
    return {
        "case": case,
        "events": timeline(db, case_id=case.id),
        "contact": contact or masked_contact(db.get(CaseContact, case.id)),
        "actions": actions,
        "action_labels": ACTION_LABELS,
        "event_labels": EVENT_LABELS,
        "automatic_labels": AUTOMATIC_LABELS,
        "rules": RULES,
        "status_labels": STATUS_LABELS,
        "priorities": PRIORITIES,
        "satisfaction": SATISFACTION,
        "departments": departments,
        "department_names": {d.id: d.name for d in departments},
        "partners": partners,
        "attachments": list_attachments(db, case_id=case.id),
        "is_overdue": is_overdue(case, now),
        "is_sign_overdue": is_sign_overdue(case, now),
        "related_events": related_events(
            db,
            case_id=case.id,
            region_code=case.region_code,
            keywords=list((case.suggestions or {}).get("keywords") or []),
            now=now,
        )
        if user.has_role("admin", "analyst", "leader", "supervisor", "dispatcher")
        else [],
        "error": None,
        **extra,
    }


@router.get("/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, db: DbSession, user: CurrentUser, case_id: CaseId, created: str = "", done: str = ""
) -> HTMLResponse:
    """Show a case: details, suggestions, masked contact, timeline and the actions the user may take."""
    context = _case_context(db, user, case_id, created=created if created.isdigit() else "", done=done)
    return render(request, "cases/detail.html", context)


@router.post("/{case_id}/actions", response_class=HTMLResponse)
async def case_action(
    request: Request, db: DbSession, settings: AppSettings, user: CurrentUser, case_id: CaseId
) -> Response:
    """Take an action on the case and come back to its page."""
    form = await read_form(request)
    try:
        data = ActionIn(
            action=form.get("action", ""),
            note=form.get("note", ""),
            public_note=form.get("public_note") or None,
            department_id=int(form["department_id"]) if form.get("department_id", "").isdigit() else None,
            partner_ids=[int(v) for v in (await request.form()).getlist("partner_ids") if str(v).isdigit()],
            days=int(form["days"]) if form.get("days", "").isdigit() else None,
            satisfaction=form.get("satisfaction") or None,
            target_case_id=int(form["target_case_id"]) if form.get("target_case_id", "").isdigit() else None,
        )
        # A savepoint undoes a half-done action, so the page shown with the error is the case as stored.
        with db.begin_nested():
            event = service.act(db, case_id=case_id, user=user, data=data, settings=settings)
    except (MinshengError, ValidationError) as exc:
        status = exc.status_code if isinstance(exc, MinshengError) else 422
        context = _case_context(db, user, case_id, error=describe(exc))
        return render(request, "cases/detail.html", context, status_code=status)
    return RedirectResponse(f"/cases/{case_id}?done={event.action}", status_code=303)


@router.post("/{case_id}/contact", response_class=HTMLResponse)
async def reveal(request: Request, db: DbSession, user: CurrentUser, case_id: CaseId) -> Response:
    """Show the complainant's real contact details to an entitled user, with the reason recorded."""
    form = await read_form(request)
    case = get_case(db, case_id=case_id, user=user)
    try:
        contact = reveal_contact(db, case=case, user=user, reason=form.get("reason", ""))
    except MinshengError as exc:
        return render(
            request,
            "cases/detail.html",
            _case_context(db, user, case_id, error=exc.message),
            status_code=exc.status_code,
        )
    # The read was audited; keep the page uncached so the details do not linger in the browser.
    response = render(request, "cases/detail.html", _case_context(db, user, case_id, contact=contact))
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/{case_id}/attachments", response_class=HTMLResponse)
async def upload(
    request: Request, db: DbSession, settings: AppSettings, user: CurrentUser, case_id: CaseId
) -> Response:
    """Attach files to a case the user may see."""
    case = get_case(db, case_id=case_id, user=user)
    form = await request.form()
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    if not files:
        context = _case_context(db, user, case_id, error="请选择要上传的文件")
        return render(request, "cases/detail.html", context, status_code=422)
    try:
        with db.begin_nested():
            for upload_file in files:
                content = await upload_file.read(settings.case_attachment_mb * 1024 * 1024 + 1)
                add_attachment(
                    db,
                    case=case,
                    filename=upload_file.filename or "",
                    content=content,
                    settings=settings,
                    user_id=user.id,
                )
    except MinshengError as exc:
        context = _case_context(db, user, case_id, error=exc.message)
        return render(request, "cases/detail.html", context, status_code=exc.status_code)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/{case_id}/attachments/{attachment_id}")
def download(
    db: DbSession, settings: AppSettings, user: CurrentUser, case_id: CaseId, attachment_id: CaseId
) -> Response:
    """Send an attachment as a download, never rendered inline."""
    case = get_case(db, case_id=case_id, user=user)
    attachment, content = read_attachment(db, case=case, attachment_id=attachment_id, settings=settings)
    quoted = quote(attachment.filename)
    return Response(
        content,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quoted}",
            "Cache-Control": "no-store",
        },
    )

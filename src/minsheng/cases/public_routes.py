"""Pages for the public, without an account: report, look up the status, rate the reply."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse

from minsheng.cases import service
from minsheng.cases.attachments import add_attachment
from minsheng.cases.forms import (
    HONEYPOT,
    describe,
    duplicates_of,
    engine_of,
    read_form,
    routing_of,
    submission_from_form,
)
from minsheng.cases.intake import get_case_type, list_case_types
from minsheng.cases.models import CaseType
from minsheng.core.errors import MinshengError, NotFound, ValidationFailed
from minsheng.web.deps import AppSettings, DbSession, render
from minsheng.web.ratelimit import rate_limit

router = APIRouter()
Limited = Depends(rate_limit("public"))
MAX_PUBLIC_FILES = 3


def _public_type(db: DbSession, code: str) -> CaseType:
    case_type = get_case_type(db, code)
    if not case_type.is_public:
        raise NotFound("没有这个受理类型")
    return case_type


@router.get("/report", response_class=HTMLResponse)
def report_index(request: Request, db: DbSession) -> HTMLResponse:
    """Let the citizen pick what kind of matter they report."""
    return render(request, "cases/public_index.html", {"types": list_case_types(db, public_only=True)})


@router.get("/report/{type_code}", response_class=HTMLResponse)
def report_form(request: Request, db: DbSession, type_code: str) -> HTMLResponse:
    """Show the report form of one case type."""
    case_type = _public_type(db, type_code)
    return render(request, "cases/public_form.html", {"case_type": case_type, "form": {}, "error": None})


@router.post("/report/{type_code}", response_class=HTMLResponse, dependencies=[Limited])
async def report_submit(
    request: Request, db: DbSession, settings: AppSettings, type_code: str
) -> HTMLResponse:
    """Store the report and show the tracking number and query code once."""
    case_type = _public_type(db, type_code)
    form = await read_form(request)
    if form.get(HONEYPOT):
        return render(
            request,
            "cases/public_form.html",
            {"case_type": case_type, "form": {}, "error": "提交失败，请稍后再试"},
            status_code=400,
        )
    uploads = [f for f in (await request.form()).getlist("files") if isinstance(f, UploadFile) and f.filename]
    try:
        if len(uploads) > MAX_PUBLIC_FILES:
            raise ValidationFailed(f"最多上传 {MAX_PUBLIC_FILES} 个附件")
        data = submission_from_form(form, case_type, channel="web")
        intake = service.submit(
            db,
            data=data,
            settings=settings,
            engine=engine_of(request, db),
            duplicates=duplicates_of(request),
            routing=routing_of(request),
        )
        for upload in uploads:
            content = await upload.read(settings.case_attachment_mb * 1024 * 1024 + 1)
            add_attachment(
                db,
                case=intake.case,
                filename=upload.filename or "",
                content=content,
                settings=settings,
                user_id=None,
            )
    except (MinshengError, ValidationError) as exc:
        context = {"case_type": case_type, "form": form, "error": describe(exc)}
        return render(request, "cases/public_form.html", context, status_code=422)
    context = {"case": intake.case, "case_type": case_type, "query_code": intake.query_code}
    return render(request, "cases/public_done.html", context, status_code=201)


# Limited like submissions, so tracking numbers cannot be guessed by brute force.
@router.get("/track", response_class=HTMLResponse, dependencies=[Limited])
def track(request: Request, db: DbSession, no: str = "") -> HTMLResponse:
    """Look up a case by its tracking number and show its public timeline and reply."""
    if not no.strip():
        return render(request, "cases/public_track.html", {"no": "", "status": None, "error": None})
    try:
        status = service.public_status(db, tracking_no=no)
    except MinshengError as exc:
        context = {"no": no, "status": None, "error": exc.message}
        return render(request, "cases/public_track.html", context, status_code=exc.status_code)
    return render(
        request, "cases/public_track.html", {"no": status.tracking_no, "status": status, "error": None}
    )


@router.post("/track/rate", response_class=HTMLResponse, dependencies=[Limited])
async def rate(request: Request, db: DbSession, settings: AppSettings) -> HTMLResponse:
    """Record the citizen's satisfaction with the reply."""
    form = await read_form(request)
    number = form.get("no", "")
    try:
        service.rate(
            db,
            tracking_no=number,
            query_code=form.get("query_code", ""),
            satisfaction=form.get("satisfaction", ""),
            note=form.get("note", ""),
            settings=settings,
        )
        status = service.public_status(db, tracking_no=number)
    except MinshengError as exc:
        try:
            status = service.public_status(db, tracking_no=number)
        except MinshengError:
            status = None
        context = {"no": number, "status": status, "error": exc.message}
        return render(request, "cases/public_track.html", context, status_code=exc.status_code)
    return render(
        request, "cases/public_track.html", {"no": number, "status": status, "rated": True, "error": None}
    )

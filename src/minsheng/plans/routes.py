"""Plan pages: import and review a document, the plan list, a plan, a task with its reports, an indicator."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from minsheng.auth.models import User
from minsheng.cases.forms import describe, duplicates_of, engine_of
from minsheng.cases.states import STATUS_LABELS
from minsheng.core.errors import MinshengError
from minsheng.core.i18n import translate
from minsheng.core.timeutil import local_zone, to_local, utcnow
from minsheng.org.models import Department
from minsheng.plans import tracking
from minsheng.plans.appraisal import Window, rule_for, score_chart, score_departments, update_rule
from minsheng.plans.assessment import STATUS_KINDS, Point, indicator_chart
from minsheng.plans.assessment import STATUS_LABELS as INDICATOR_LABELS
from minsheng.plans.bulletin import build_bulletin, bulletin_workbook
from minsheng.plans.bulletin_docx import bulletin_docx
from minsheng.plans.extract import extract_plan
from minsheng.plans.reading import MAX_DOCUMENT_BYTES, PlanImportError, read_pasted, read_plan_bytes
from minsheng.plans.review import Review, draft_of, highlighted, review_from_form, review_of
from minsheng.plans.schemas import (
    COMPARATORS,
    NEW_DEPARTMENT,
    REPORT_CYCLES,
    AppraisalRuleIn,
    MeasurementIn,
    ProgressIn,
    StatusOverrideIn,
)
from minsheng.plans.service import confirm_plan, resolve_units, task_counts
from minsheng.plans.units import split_unit_names
from minsheng.web.deps import AppSettings, CurrentUser, DbSession, render, require_role

router = APIRouter(prefix="/plans")
PlanManager = Annotated[User, Depends(require_role(*tracking.PLAN_ROLES))]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_MAX_FIELDS = 20000


async def _form(request: Request) -> dict[str, str]:
    # A long plan's review form has a dozen fields per task and target, beyond Starlette's default of 1000.
    form = await request.form(max_fields=_MAX_FIELDS, max_part_size=MAX_DOCUMENT_BYTES)
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _status(error: Exception) -> int:
    return error.status_code if isinstance(error, MinshengError) else 422


def _today(request: Request) -> Any:
    return utcnow().astimezone(local_zone(request.app.state.settings.timezone)).date()


def _departments(db: DbSession) -> list[Department]:
    return list(
        db.scalars(
            select(Department).where(Department.is_active).order_by(Department.sort_order, Department.id)
        )
    )


def _review_page(
    request: Request, db: DbSession, review: Review, *, errors: list[str], status_code: int = 200
) -> HTMLResponse:
    resolved, unknown = resolve_units(db, review.kept_unit_names())
    context = {
        "review": review,
        "document": highlighted(review),
        "resolved": {name: dept.name for name, dept in resolved.items()},
        "unknown": unknown,
        "departments": _departments(db),
        "comparators": COMPARATORS,
        "new_department": NEW_DEPARTMENT,
        "split": split_unit_names,
        "errors": errors,
    }
    return render(request, "plans/review.html", context, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def plans_page(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    """List the plans the user may see."""
    plans = tracking.list_plans(db, user=user)
    counts = task_counts(db, [plan.id for plan in plans])
    return render(request, "plans/list.html", {"plans": plans, "counts": counts})


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, user: PlanManager) -> HTMLResponse:
    """Show the form to upload or paste a policy document."""
    return render(request, "plans/import.html", {"error": None, "max_mb": MAX_DOCUMENT_BYTES // 1024 // 1024})


@router.post("/import", response_class=HTMLResponse)
async def import_document(request: Request, db: DbSession, user: PlanManager) -> HTMLResponse:
    """Read an uploaded or pasted document and show what was extracted for review."""
    form = await request.form(max_fields=100, max_part_size=MAX_DOCUMENT_BYTES)
    upload = form.get("file")
    pasted = form.get("text")
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            name = upload.filename[:200]
            text = read_plan_bytes(await upload.read(MAX_DOCUMENT_BYTES + 1), name=name)
        elif isinstance(pasted, str) and pasted.strip():
            name, text = "粘贴的文本", read_pasted(pasted)
        else:
            raise PlanImportError("请选择文件或粘贴文件内容")
    except PlanImportError as error:
        context = {"error": error.message, "max_mb": MAX_DOCUMENT_BYTES // 1024 // 1024}
        return render(request, "plans/import.html", context, status_code=error.status_code)
    return _review_page(request, db, review_of(extract_plan(text), source_name=name), errors=[])


@router.post("/review", response_class=HTMLResponse)
async def review(request: Request, db: DbSession, settings: AppSettings, user: PlanManager) -> Response:
    """Show the edited review again, or confirm it: store the plan and open a case for each task."""
    form = await _form(request)
    reviewed = review_from_form(form)
    if form.get("action") != "confirm":
        return _review_page(request, db, reviewed, errors=[])
    draft, errors = draft_of(reviewed)
    if draft is None:
        return _review_page(request, db, reviewed, errors=errors, status_code=422)
    try:
        plan = confirm_plan(
            db,
            draft=draft,
            settings=settings,
            engine=engine_of(request, db),
            user=user,
            duplicates=duplicates_of(request),
        )
    except (MinshengError, ValidationError) as error:
        db.rollback()
        return _review_page(request, db, reviewed, errors=[describe(error)], status_code=422)
    return RedirectResponse(f"/plans/{plan.id}?created=1", status_code=303)


@router.get("/{plan_id}", response_class=HTMLResponse)
def plan_page(
    request: Request, db: DbSession, user: CurrentUser, plan_id: ItemId, created: str = ""
) -> HTMLResponse:
    """Show a plan: its tasks with their cases and deadlines, its indicators with their status."""
    plan = tracking.get_plan(db, plan_id=plan_id, user=user)
    context = {
        "plan": plan,
        "tasks": tracking.plan_tasks(db, plan_id=plan.id, user=user),
        "indicators": tracking.plan_indicators(db, plan_id=plan.id, today=_today(request)),
        "case_labels": STATUS_LABELS,
        "indicator_labels": INDICATOR_LABELS,
        "status_kinds": STATUS_KINDS,
        "comparators": COMPARATORS,
        "created": created == "1",
    }
    return render(request, "plans/detail.html", context)


def _task_context(db: DbSession, user: User, task_id: int, **extra: Any) -> dict[str, Any]:
    view = tracking.get_task(db, task_id=task_id, user=user)
    plan = tracking.get_plan(db, plan_id=view.task.plan_id, user=user)
    reports = tracking.progress_reports(db, task_id=view.task.id)
    context = {"view": view, "plan": plan, "reports": reports, "case_labels": STATUS_LABELS, "error": None}
    return context | extra


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_page(request: Request, db: DbSession, user: CurrentUser, task_id: ItemId) -> HTMLResponse:
    """Show a task with its case and its progress reports, and the form to report progress."""
    return render(request, "plans/task.html", _task_context(db, user, task_id))


@router.post("/tasks/{task_id}/progress", response_class=HTMLResponse)
async def report_progress(request: Request, db: DbSession, user: CurrentUser, task_id: ItemId) -> Response:
    """Store a progress report on a task of the user's department."""
    form = await _form(request)
    try:
        data = ProgressIn(period=form.get("period", ""), text=form.get("text", ""))
        tracking.submit_progress(db, task_id=task_id, user=user, data=data)
    except (MinshengError, ValidationError) as error:
        db.rollback()
        context = _task_context(db, user, task_id, error=describe(error), form=form)
        return render(request, "plans/task.html", context, status_code=_status(error))
    return RedirectResponse(f"/plans/tasks/{task_id}?reported=1", status_code=303)


def _indicator_context(
    request: Request, db: DbSession, user: User, indicator_id: int, **extra: Any
) -> dict[str, Any]:
    today = _today(request)
    view = tracking.get_indicator(db, indicator_id=indicator_id, user=user, today=today)
    indicator = view.indicator
    baseline = (
        Point(indicator.baseline_on, indicator.baseline_value)
        if indicator.baseline_value is not None and indicator.baseline_on is not None
        else None
    )
    locale = request.state.ctx.locale
    chart = indicator_chart(
        name=indicator.name,
        unit=indicator.unit,
        target=indicator.target_value,
        points=[Point(m.measured_on, m.value) for m in view.measurements],
        baseline=baseline,
        target_label=translate("目标值", locale),
    )
    context = {
        "view": view,
        "plan": tracking.get_plan(db, plan_id=indicator.plan_id, user=user),
        "chart_options": chart,
        "labels": INDICATOR_LABELS,
        "status_kinds": STATUS_KINDS,
        "comparators": COMPARATORS,
        "may_measure": tracking.may_measure(db, indicator=indicator, user=user),
        "may_judge": user.has_role(*tracking.PLAN_ROLES),
        "departments": _departments(db),
        "today": today.isoformat(),
        "error": None,
    }
    return context | extra


@router.get("/indicators/{indicator_id}", response_class=HTMLResponse)
def indicator_page(request: Request, db: DbSession, user: CurrentUser, indicator_id: ItemId) -> HTMLResponse:
    """Show an indicator's series against its target line, its status and the forms to update it."""
    return render(request, "plans/indicator.html", _indicator_context(request, db, user, indicator_id))


async def _indicator_write(
    request: Request, db: DbSession, user: User, indicator_id: int, write: Any
) -> Response:
    form = await _form(request)
    try:
        write(form)
    except (MinshengError, ValidationError) as error:
        db.rollback()
        context = _indicator_context(request, db, user, indicator_id, error=describe(error), form=form)
        return render(request, "plans/indicator.html", context, status_code=_status(error))
    return RedirectResponse(f"/plans/indicators/{indicator_id}?saved=1", status_code=303)


@router.post("/indicators/{indicator_id}/measurements", response_class=HTMLResponse)
async def add_measurement(
    request: Request, db: DbSession, user: CurrentUser, indicator_id: ItemId
) -> Response:
    """Record a measured value."""

    def write(form: dict[str, str]) -> None:
        data = MeasurementIn.model_validate(
            {"measured_on": form.get("measured_on"), "value": form.get("value"), "note": form.get("note", "")}
        )
        tracking.record_measurement(
            db, indicator_id=indicator_id, user=user, data=data, today=_today(request)
        )

    return await _indicator_write(request, db, user, indicator_id, write)


@router.post("/indicators/{indicator_id}/status", response_class=HTMLResponse)
async def set_status(request: Request, db: DbSession, user: PlanManager, indicator_id: ItemId) -> Response:
    """Override the computed status with a reason, or go back to the computed one."""

    def write(form: dict[str, str]) -> None:
        data = StatusOverrideIn(status=form.get("status", ""), reason=form.get("reason", ""))
        tracking.override_status(db, indicator_id=indicator_id, user=user, data=data, today=_today(request))

    return await _indicator_write(request, db, user, indicator_id, write)


@router.post("/indicators/{indicator_id}/department", response_class=HTMLResponse)
async def set_department(
    request: Request, db: DbSession, user: PlanManager, indicator_id: ItemId
) -> Response:
    """Name the department that reports the indicator."""

    def write(form: dict[str, str]) -> None:
        value = form.get("department_id", "")
        department_id = int(value) if value.isdigit() else None
        tracking.set_indicator_department(
            db, indicator_id=indicator_id, user=user, department_id=department_id, today=_today(request)
        )

    return await _indicator_write(request, db, user, indicator_id, write)


def _window(request: Request, start: str, end: str) -> Window:
    """Read the appraisal period from the query, by default from 1 January to today."""
    zone = request.app.state.settings.timezone
    now = utcnow()
    today = to_local(now, zone).date()

    def day(text: str, default: date) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return default

    first, last = day(start, date(today.year, 1, 1)), day(end, today)
    return Window(min(first, last), max(first, last), now, zone)


def _appraisal_context(
    request: Request, db: DbSession, user: User, plan_id: int, window: Window, **extra: Any
) -> dict[str, Any]:
    plan = tracking.get_plan(db, plan_id=plan_id, user=user)
    rule = rule_for(db, plan_id=plan.id)
    scores = score_departments(db, plan=plan, rule=rule, window=window)
    locale = request.state.ctx.locale
    context = {
        "plan": plan,
        "rule": rule,
        "scores": scores,
        "chart_options": score_chart(scores, translate_label=lambda text: translate(text, locale)),
        "cycles": REPORT_CYCLES,
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "may_edit": user.has_role(*tracking.PLAN_ROLES),
        "form": {},
        "error": None,
    }
    return context | extra


@router.get("/{plan_id}/appraisal", response_class=HTMLResponse)
def appraisal_page(
    request: Request, db: DbSession, user: CurrentUser, plan_id: ItemId, start: str = "", end: str = ""
) -> HTMLResponse:
    """Rank the plan's departments by their appraisal score for a period, with the rule that scores them."""
    context = _appraisal_context(request, db, user, plan_id, _window(request, start, end))
    return render(request, "plans/appraisal.html", context)


@router.post("/{plan_id}/appraisal/rule", response_class=HTMLResponse)
async def save_rule(request: Request, db: DbSession, user: PlanManager, plan_id: ItemId) -> Response:
    """Change the plan's appraisal weights and deductions."""
    form = await _form(request)
    plan = tracking.get_plan(db, plan_id=plan_id, user=user)
    try:
        update_rule(db, plan=plan, user=user, data=AppraisalRuleIn.model_validate(form))
    except (MinshengError, ValidationError) as error:
        db.rollback()
        window = _window(request, "", "")
        # The rule's validators name the field in their own (Chinese) messages.
        message = str(error.errors()[0]["msg"]) if isinstance(error, ValidationError) else describe(error)
        message = message.removeprefix("Value error, ")
        context = _appraisal_context(request, db, user, plan_id, window, error=message, form=form)
        return render(request, "plans/appraisal.html", context, status_code=_status(error))
    return RedirectResponse(f"/plans/{plan_id}/appraisal?saved=1", status_code=303)


def _download(content: bytes, *, filename: str, media_type: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )


@router.get("/{plan_id}/bulletin.docx")
def bulletin_word(
    request: Request, db: DbSession, user: CurrentUser, plan_id: ItemId, start: str = "", end: str = ""
) -> Response:
    """Download the plan's progress bulletin as a Word document."""
    plan = tracking.get_plan(db, plan_id=plan_id, user=user)
    bulletin = build_bulletin(db, plan=plan, user=user, window=_window(request, start, end))
    return _download(
        bulletin_docx(bulletin),
        filename=f"{plan.title[:60]}-进展通报.docx",
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )


@router.get("/{plan_id}/bulletin.xlsx")
def bulletin_excel(
    request: Request, db: DbSession, user: CurrentUser, plan_id: ItemId, start: str = "", end: str = ""
) -> Response:
    """Download the plan's progress bulletin as a workbook of tasks, indicators and scores."""
    plan = tracking.get_plan(db, plan_id=plan_id, user=user)
    bulletin = build_bulletin(db, plan=plan, user=user, window=_window(request, start, end))
    return _download(
        bulletin_workbook(bulletin),
        filename=f"{plan.title[:60]}-进展通报.xlsx",
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

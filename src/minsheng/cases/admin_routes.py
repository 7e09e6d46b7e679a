"""Administration of the routing table, the SLA policies and the office's calendar days."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from minsheng.cases import configuration
from minsheng.cases.forms import read_form
from minsheng.cases.intake import list_case_types
from minsheng.cases.routing import RULE_KINDS
from minsheng.cases.schemas import PRIORITIES
from minsheng.core.errors import MinshengError, ValidationFailed
from minsheng.org.service import list_departments
from minsheng.web.deps import AdminUser, DbSession, render

router = APIRouter(prefix="/admin/cases")
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _page(
    request: Request, db: DbSession, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    departments = list_departments(db, is_active=True)
    context = {
        "rules": configuration.list_rules(db),
        "policies": configuration.list_policies(db),
        "days": configuration.list_calendar_days(db),
        "types": list_case_types(db),
        "departments": departments,
        "rule_kinds": RULE_KINDS,
        "priorities": PRIORITIES,
        "error": error,
        "saved": request.query_params.get("saved") == "1",
    }
    return render(request, "cases/admin.html", context, status_code=status_code)


def _number(form: dict[str, str], name: str, kind: type[int] | type[float], label: str) -> float:
    try:
        return kind(form.get(name, "").strip())
    except ValueError:
        raise ValidationFailed(f"{label}应为数字", field=name) from None


def _done() -> RedirectResponse:
    return RedirectResponse("/admin/cases?saved=1", status_code=303)


@router.get("", response_class=HTMLResponse)
def admin_page(request: Request, db: DbSession, admin: AdminUser) -> HTMLResponse:
    """Show the routing table, the SLA policies and the calendar entries."""
    return _page(request, db)


@router.post("/rules", response_class=HTMLResponse)
async def add_rule(request: Request, db: DbSession, admin: AdminUser) -> Response:
    """Add a routing rule."""
    form = await read_form(request)
    try:
        configuration.create_rule(
            db,
            kind=form.get("kind", ""),
            pattern=form.get("pattern", ""),
            department_id=int(_number(form, "department_id", int, "部门")),
            priority=int(_number(form, "priority", int, "优先级") if form.get("priority") else 0),
        )
    except MinshengError as exc:
        return _page(request, db, error=exc.message, status_code=exc.status_code)
    return _done()


@router.post("/rules/{rule_id}/toggle")
async def toggle_rule(request: Request, db: DbSession, admin: AdminUser, rule_id: RowId) -> Response:
    """Switch a rule on or off."""
    form = await read_form(request)
    configuration.set_rule_active(db, rule_id=rule_id, is_active=form.get("active") == "1")
    return _done()


@router.post("/rules/{rule_id}/delete")
def remove_rule(db: DbSession, admin: AdminUser, rule_id: RowId) -> Response:
    """Delete a rule."""
    configuration.delete_rule(db, rule_id=rule_id)
    return _done()


@router.post("/policies", response_class=HTMLResponse)
async def save_policy(request: Request, db: DbSession, admin: AdminUser) -> Response:
    """Create or change an SLA policy."""
    form = await read_form(request)
    try:
        configuration.save_policy(
            db,
            policy_id=int(form["policy_id"]) if form.get("policy_id", "").isdigit() else None,
            type_id=int(_number(form, "type_id", int, "受理类型")),
            category=form.get("category") or None,
            priority=form.get("priority") or None,
            sign_for_hours=_number(form, "sign_for_hours", float, "签收时限"),
            response_hours=_number(form, "response_hours", float, "响应时限"),
            resolve_days=int(_number(form, "resolve_days", int, "办结时限")),
            remind_before_hours=_number(form, "remind_before_hours", float, "提前提醒"),
        )
    except MinshengError as exc:
        return _page(request, db, error=exc.message, status_code=exc.status_code)
    return _done()


@router.post("/calendar", response_class=HTMLResponse)
async def set_day(request: Request, db: DbSession, admin: AdminUser) -> Response:
    """Record a holiday or a make-up working day."""
    form = await read_form(request)
    try:
        day = date.fromisoformat(form.get("day", ""))
    except ValueError:
        return _page(request, db, error="日期格式应为 2027-01-01", status_code=422)
    configuration.set_calendar_day(
        db, day=day, is_workday=form.get("is_workday") == "1", note=form.get("note", "")
    )
    return _done()


@router.post("/calendar/{day}/delete")
def delete_day(db: DbSession, admin: AdminUser, day: str) -> Response:
    """Remove a calendar entry."""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise ValidationFailed("日期格式应为 2027-01-01") from None
    configuration.delete_calendar_day(db, day=parsed)
    return _done()

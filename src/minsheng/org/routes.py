"""Department administration pages (list, create, edit, activate, import, export) and the regions page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, UploadFile
from pydantic import ValidationError
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from minsheng.audit.service import record
from minsheng.core.errors import MinshengError, ValidationFailed
from minsheng.org import service
from minsheng.org.models import Region
from minsheng.org.regions import list_child_regions, load_regions, region_ancestors, search_regions
from minsheng.org.schemas import DepartmentCreate, DepartmentUpdate, describe_validation_error
from minsheng.org.service import DepartmentChange, department_snapshot
from minsheng.org.tabular import MAX_TABLE_BYTES, TableFormat
from minsheng.org.transfer import export_departments, import_departments
from minsheng.web.deps import AdminUser, AppSettings, DbSession, render

router = APIRouter(prefix="/admin")
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FIELDS = ("code", "name", "aliases", "parent_id", "region_code", "sort_order")


def _audit(db: DbSession, change: DepartmentChange, summary: str) -> None:
    record(
        db,
        action=change.action,
        entity_type="department",
        entity_id=change.department.id,
        summary=summary,
        before=change.before,
        after=change.after,
    )


@router.get("/departments", response_class=HTMLResponse)
def departments_page(
    request: Request, db: DbSession, admin: AdminUser, q: str = "", status: str = ""
) -> HTMLResponse:
    """Show departments as a tree, or as a filtered list when searching."""
    is_active = {"active": True, "inactive": False}.get(status)
    context: dict[str, object] = {"q": q, "status": status}
    if q:
        context["matches"] = service.list_departments(db, query=q, is_active=is_active)
    else:
        context["tree"] = service.department_tree(db, is_active=is_active)
    return render(request, "org/departments.html", context)


def _form_context(db: DbSession, **extra: object) -> dict[str, object]:
    return {"parents": service.list_departments(db, is_active=True), **extra}


def _form_values(form: dict[str, str]) -> dict[str, object]:
    values: dict[str, object] = {key: form.get(key, "").strip() for key in FIELDS}
    values["parent_id"] = int(str(values["parent_id"])) if str(values["parent_id"]).isdigit() else None
    values["region_code"] = values["region_code"] or None
    values["sort_order"] = (
        int(str(values["sort_order"])) if str(values["sort_order"]).lstrip("-").isdigit() else 0
    )
    return values


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return describe_validation_error(error)
    return error.message if isinstance(error, MinshengError) else "输入有误"


@router.get("/departments/new", response_class=HTMLResponse)
def new_department_page(request: Request, db: DbSession, admin: AdminUser) -> HTMLResponse:
    return render(request, "org/department_form.html", _form_context(db, form={}, editing=None))


@router.post("/departments/new", response_class=HTMLResponse)
async def create_department(request: Request, db: DbSession, admin: AdminUser) -> Response:
    """Create a department from the form."""
    raw = {key: str(value) for key, value in (await request.form()).items()}
    values = _form_values(raw)
    try:
        change = service.create_department(db, data=DepartmentCreate.model_validate(values))
    except (ValidationError, MinshengError) as error:
        return render(
            request,
            "org/department_form.html",
            _form_context(db, form=raw, editing=None, error=_error_text(error)),
            status_code=422,
        )
    _audit(db, change, f"新建部门 {change.department.name}")
    return RedirectResponse("/admin/departments?saved=1", status_code=303)


@router.get("/departments/export")
def export(db: DbSession, admin: AdminUser, format: str = "xlsx") -> Response:
    """Download all departments as XLSX or CSV in the import format."""
    try:
        fmt = TableFormat(format)
    except ValueError as error:
        raise ValidationFailed("导出格式只支持 csv 或 xlsx") from error
    content = export_departments(db, fmt=fmt)
    record(db, action="export", entity_type="department", entity_id=None, summary=f"导出部门 ({fmt.value})")
    return Response(
        content,
        media_type=EXPORT_TYPES[fmt.value],
        headers={"Content-Disposition": f'attachment; filename="departments.{fmt.value}"'},
    )


@router.get("/departments/import", response_class=HTMLResponse)
def import_page(request: Request, admin: AdminUser) -> HTMLResponse:
    return render(request, "org/import.html", {})


@router.post("/departments/import", response_class=HTMLResponse)
async def import_file(
    request: Request,
    db: DbSession,
    admin: AdminUser,
    file: UploadFile,
    mode: Annotated[str, Form()] = "preview",
) -> HTMLResponse:
    """Preview or apply a CSV/XLSX department import."""
    content = await file.read(MAX_TABLE_BYTES + 1)
    if len(content) > MAX_TABLE_BYTES:
        raise ValidationFailed("文件过大（最大 5 MB）", field="file")
    report = import_departments(
        db,
        content=content,
        filename=file.filename or "upload",
        dry_run=mode == "preview",
        skip_invalid=mode == "apply_valid",
    )
    for change in report.changes:
        _audit(db, change, f"导入部门 {change.department.name}")
    return render(request, "org/import.html", {"report": report, "mode": mode, "filename": file.filename})


@router.get("/departments/{department_id}", response_class=HTMLResponse)
def edit_department_page(
    request: Request, db: DbSession, admin: AdminUser, department_id: int
) -> HTMLResponse:
    dept = service.get_department(db, department_id=department_id)
    form = {**department_snapshot(dept), "aliases": "、".join(dept.aliases or [])}
    return render(request, "org/department_form.html", _form_context(db, form=form, editing=dept))


@router.post("/departments/{department_id}", response_class=HTMLResponse)
async def update_department(
    request: Request, db: DbSession, admin: AdminUser, department_id: int
) -> Response:
    """Save changes to a department."""
    dept = service.get_department(db, department_id=department_id)
    raw = {key: str(value) for key, value in (await request.form()).items()}
    try:
        change = service.update_department(
            db, department_id=dept.id, data=DepartmentUpdate.model_validate(_form_values(raw))
        )
    except (ValidationError, MinshengError) as error:
        return render(
            request,
            "org/department_form.html",
            _form_context(db, form=raw, editing=dept, error=_error_text(error)),
            status_code=422,
        )
    if change.is_changed:
        _audit(db, change, f"修改部门 {change.department.name}")
    return RedirectResponse("/admin/departments?saved=1", status_code=303)


@router.post("/departments/{department_id}/active")
def set_active(
    db: DbSession, admin: AdminUser, department_id: int, is_active: Annotated[bool, Form()]
) -> Response:
    """Activate or deactivate a department."""
    change = service.set_department_active(db, department_id=department_id, is_active=is_active)
    if change.is_changed:
        _audit(db, change, f"{'启用' if is_active else '停用'}部门 {change.department.name}")
    return RedirectResponse(f"/admin/departments/{department_id}", status_code=303)


@router.post("/departments/{department_id}/delete")
def delete(db: DbSession, admin: AdminUser, department_id: int) -> Response:
    """Delete a department that nothing refers to (otherwise it should be deactivated)."""
    snapshot = service.delete_department(db, department_id=department_id)
    record(
        db,
        action="delete",
        entity_type="department",
        entity_id=department_id,
        summary=f"删除部门 {snapshot['name']}",
        before=snapshot,
    )
    return RedirectResponse("/admin/departments?saved=1", status_code=303)


@router.get("/regions", response_class=HTMLResponse)
def regions_page(
    request: Request, db: DbSession, admin: AdminUser, settings: AppSettings, code: str = "", q: str = ""
) -> HTMLResponse:
    """Browse the jurisdiction's regions level by level, or search them by name."""
    if db.scalar(select(func.count(Region.code))) == 0:
        return render(request, "org/regions.html", {"empty": True, "root": settings.jurisdiction_code})
    if q:
        return render(
            request, "org/regions.html", {"path": [], "children": search_regions(db, query=q), "q": q}
        )
    root = code or settings.jurisdiction_code
    return render(
        request,
        "org/regions.html",
        {"path": region_ancestors(db, code=root), "children": list_child_regions(db, code=root), "q": ""},
    )


@router.post("/regions/load")
def load(db: DbSession, admin: AdminUser, settings: AppSettings) -> Response:
    """Load (or refresh) the jurisdiction's regions from the packaged division data."""
    report = load_regions(db, root_code=settings.jurisdiction_code)
    record(
        db,
        action="load",
        entity_type="region",
        entity_id=report.root_code,
        summary=f"载入行政区划: 新增 {len(report.created)}, 更新 {len(report.updated)}",
    )
    return RedirectResponse("/admin/regions", status_code=303)

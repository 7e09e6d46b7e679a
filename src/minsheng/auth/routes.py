"""Login, logout, one's own password and API tokens, and the user administration pages."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from minsheng.audit.context import AuditActor
from minsheng.audit.service import record, record_read
from minsheng.auth import service
from minsheng.auth.models import Role
from minsheng.auth.schemas import UserCreate, UserUpdate
from minsheng.auth.tokens import SCOPES, issue_token, list_tokens, revoke_token
from minsheng.core.errors import MinshengError, ValidationFailed
from minsheng.core.timeutil import utcnow
from minsheng.org.service import list_departments
from minsheng.web.charts import ROLE_LABELS
from minsheng.web.deps import AdminUser, AppSettings, CurrentUser, DbSession, OptionalUser, render
from minsheng.web.ratelimit import rate_limit

router = APIRouter()


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlparse(target).netloc:
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(rate_limit("public"))])
def login_page(request: Request, user: OptionalUser, next: str = "/") -> Response:
    """Show the login form (or go home when already logged in)."""
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "auth/login.html", {"next": _safe_next(next)})


@router.post("/login", dependencies=[Depends(rate_limit("login"))])
def login(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check credentials, start a session and record the login."""
    try:
        user = service.authenticate(db, username=username, password=password, settings=settings)
    except MinshengError as error:
        known = service.find_user_id(db, username=username)
        # An unknown name is often a password typed in the wrong box, so it is never written to the log.
        record(
            db,
            action="login_failed",
            entity_type="user",
            entity_id=known,
            summary=f"登录失败: {username[:64]}" if known is not None else "登录失败: 未知用户名",
        )
        request.state.force_commit = True
        return render(
            request,
            "auth/login.html",
            {"error": error.message, "username": username, "next": _safe_next(next)},
            status_code=error.status_code,
        )
    request.session.clear()
    request.session.update({"uid": user.id, "sv": user.session_version, "seen": int(utcnow().timestamp())})
    ctx = request.state.ctx
    record(
        db,
        action="login",
        entity_type="user",
        entity_id=user.id,
        summary=f"{user.username} 登录",
        actor=AuditActor(user_id=user.id, name=user.username, request_id=ctx.request_id, ip=ctx.ip),
    )
    target = "/account/password" if user.must_change_password else _safe_next(next)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, db: DbSession, user: OptionalUser) -> Response:
    """End the session."""
    if user is not None:
        user.end_sessions()
        record(db, action="logout", entity_type="user", entity_id=user.id, summary=f"{user.username} 退出")
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, user: CurrentUser) -> HTMLResponse:
    return render(request, "auth/password.html", {})


@router.post("/account/password", response_class=HTMLResponse, dependencies=[Depends(rate_limit("login"))])
def change_password(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    settings: AppSettings,
    current: Annotated[str, Form(max_length=256)],
    new: Annotated[str, Form(max_length=256)],
    confirm: Annotated[str, Form(max_length=256)],
) -> Response:
    """Change one's own password and keep the current session valid."""
    if new != confirm:
        raise ValidationFailed("两次输入的新密码不一致", field="confirm")
    service.change_password(db, user=user, current=current, new=new, settings=settings)
    request.session["sv"] = user.session_version
    record(db, action="change_password", entity_type="user", entity_id=user.id, summary="修改本人密码")
    return render(request, "auth/password.html", {"saved": True})


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    """List one's API tokens."""
    return render(request, "auth/tokens.html", {"tokens": list_tokens(db, user_id=user.id), "scopes": SCOPES})


@router.post("/account/tokens", response_class=HTMLResponse)
async def create_token(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    """Issue a token and show its value once."""
    form = await request.form()
    days_raw = str(form.get("days") or "").strip()
    days = int(days_raw) if days_raw.isdigit() else request.app.state.settings.api_token_days
    if days_raw and not days_raw.isdigit():
        raise ValidationFailed("有效期必须是 1 到 3650 之间的天数", field="days")
    plain, token = issue_token(
        db,
        user=user,
        name=str(form.get("name") or "").strip() or "API",
        scopes=[str(s) for s in form.getlist("scopes")],
        days=days,
    )
    record(
        db,
        action="create",
        entity_type="api_token",
        entity_id=token.id,
        summary=f"创建 API 令牌 {token.name}",
        after={"name": token.name, "scopes": token.scopes},
    )
    return render(
        request,
        "auth/tokens.html",
        {"tokens": list_tokens(db, user_id=user.id), "scopes": SCOPES, "new_token": plain},
    )


@router.post("/account/tokens/{token_id}/revoke")
def revoke(request: Request, db: DbSession, user: CurrentUser, token_id: int) -> Response:
    """Revoke a token immediately."""
    token = revoke_token(db, user=user, token_id=token_id)
    record(
        db,
        action="revoke",
        entity_type="api_token",
        entity_id=token.id,
        summary=f"撤销 API 令牌 {token.name}",
    )
    return RedirectResponse("/account/tokens", status_code=303)


def _user_form_context(db: DbSession, **extra: object) -> dict[str, object]:
    return {
        "departments": list_departments(db, is_active=True),
        "roles": list(Role),
        "role_labels": ROLE_LABELS,
        **extra,
    }


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(
    request: Request, db: DbSession, admin: AdminUser, q: str = "", role: str = "", status: str = ""
) -> HTMLResponse:
    """List accounts with filters."""
    is_active = {"active": True, "disabled": False}.get(status)
    users = service.list_users(db, query=q or None, role=role or None, is_active=is_active)
    return render(
        request,
        "auth/users.html",
        {
            "users": users,
            "q": q,
            "role": role,
            "status": status,
            "roles": list(Role),
            "role_labels": ROLE_LABELS,
        },
    )


@router.get("/admin/users/new", response_class=HTMLResponse)
def new_user_page(request: Request, db: DbSession, admin: AdminUser) -> HTMLResponse:
    return render(request, "auth/user_form.html", _user_form_context(db, form={}, editing=None))


@router.post("/admin/users/new", response_class=HTMLResponse)
async def create_user(request: Request, db: DbSession, admin: AdminUser, settings: AppSettings) -> Response:
    """Create an account from the admin form."""
    form = await request.form()
    values = {
        key: str(form.get(key) or "").strip()
        for key in ("username", "display_name", "password", "department_id", "email", "phone")
    }
    roles = [str(r) for r in form.getlist("roles")]
    try:
        data = UserCreate(
            username=values["username"],
            display_name=values["display_name"],
            password=values["password"],
            roles=roles,
            department_id=int(values["department_id"] or 0),
            email=values["email"] or None,
            phone=values["phone"] or None,
        )
        user = service.create_user(db, data=data, settings=settings)
    except (ValidationError, MinshengError, ValueError) as error:
        message = _first_error(error)
        return render(
            request,
            "auth/user_form.html",
            _user_form_context(db, form={**values, "roles": roles}, editing=None, error=message),
            status_code=422,
        )
    record(
        db,
        action="create",
        entity_type="user",
        entity_id=user.id,
        summary=f"创建用户 {user.username}",
        after=service.user_snapshot(user),
    )
    return RedirectResponse(f"/admin/users/{user.id}?created=1", status_code=303)


def _first_error(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    if isinstance(error, MinshengError):
        return error.message
    return "输入有误"


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(request: Request, db: DbSession, admin: AdminUser, user_id: int) -> HTMLResponse:
    """Show and edit one account; its contact details are personal data, so the view is audited."""
    user = service.get_user(db, user_id)
    record_read(
        db,
        entity_type="user",
        entity_id=user.id,
        fields=["email", "phone"],
        summary=f"查看用户 {user.username} 的联系方式",
    )
    form = {**service.user_snapshot(user)}
    return render(
        request,
        "auth/user_form.html",
        _user_form_context(db, form=form, editing=user, created=request.query_params.get("created")),
    )


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
async def update_user(request: Request, db: DbSession, admin: AdminUser, user_id: int) -> Response:
    """Save changes to an account's name, roles, department and contact details."""
    user = service.get_user(db, user_id)
    before = service.user_snapshot(user)
    form = await request.form()
    try:
        data = UserUpdate(
            display_name=str(form.get("display_name") or "").strip() or None,
            roles=[str(r) for r in form.getlist("roles")],
            department_id=int(str(form.get("department_id") or 0)) or None,
            email=str(form.get("email") or "").strip() or None,
            phone=str(form.get("phone") or "").strip() or None,
        )
        if user.id == admin.id and "admin" not in (data.roles or []):
            raise ValidationFailed("不能移除自己的管理员角色")
        service.update_user(db, user=user, data=data)
    except (ValidationError, MinshengError, ValueError) as error:
        return render(
            request,
            "auth/user_form.html",
            _user_form_context(
                db,
                form={
                    **before,
                    **{k: str(v) for k, v in form.items() if k != "roles"},
                    "roles": form.getlist("roles"),
                },
                editing=user,
                error=_first_error(error),
            ),
            status_code=422,
        )
    record(
        db,
        action="update",
        entity_type="user",
        entity_id=user.id,
        summary=f"修改用户 {user.username}",
        before=before,
        after=service.user_snapshot(user),
    )
    return RedirectResponse(f"/admin/users/{user.id}?saved=1", status_code=303)


@router.post("/admin/users/{user_id}/active")
def toggle_active(
    db: DbSession, admin: AdminUser, user_id: int, is_active: Annotated[bool, Form()]
) -> Response:
    """Enable or disable an account."""
    user = service.get_user(db, user_id)
    before = service.user_snapshot(user)
    service.set_active(db, user=user, is_active=is_active, acting_user_id=admin.id)
    record(
        db,
        action="enable" if is_active else "disable",
        entity_type="user",
        entity_id=user.id,
        summary=f"{'启用' if is_active else '停用'}用户 {user.username}",
        before=before,
        after=service.user_snapshot(user),
    )
    return RedirectResponse(f"/admin/users/{user.id}", status_code=303)


@router.post("/admin/users/{user_id}/reset-password", response_class=HTMLResponse)
def reset_password(request: Request, db: DbSession, admin: AdminUser, user_id: int) -> HTMLResponse:
    """Set a one-time password and show it to the administrator once."""
    user = service.get_user(db, user_id)
    password = service.reset_password(db, user=user)
    record_read(
        db,
        entity_type="user",
        entity_id=user.id,
        fields=["email", "phone"],
        summary=f"查看用户 {user.username} 的联系方式",
    )
    record(
        db,
        action="reset_password",
        entity_type="user",
        entity_id=user.id,
        summary=f"重置用户 {user.username} 的密码",
    )
    return render(
        request,
        "auth/user_form.html",
        _user_form_context(db, form=service.user_snapshot(user), editing=user, new_password=password),
    )

"""Typed dependencies used by every route: the request's session, user, settings and page rendering."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse

from minsheng.auth.models import User
from minsheng.core.errors import NotAuthenticated, PermissionDenied
from minsheng.core.settings import Settings


# The dependencies below only read what the middleware put on the request, so they are coroutines: FastAPI
# would otherwise hand each plain function to the thread pool, a round trip per dependency and request.
async def _db(request: Request) -> Session:
    return request.state.db


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


# Pages a user with a one-time password may still open.
PASSWORD_CHANGE_PATHS = frozenset({"/account/password", "/logout", "/lang"})


class PasswordChangeRequired(PermissionDenied):
    default_message = "请先修改一次性密码"


def _user_of(request: Request) -> User:
    user = request.state.ctx.user
    if user is None:
        raise NotAuthenticated()
    if user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise PasswordChangeRequired()
    return user


async def _current_user(request: Request) -> User:
    return _user_of(request)


async def _optional_user(request: Request) -> User | None:
    return request.state.ctx.user


DbSession = Annotated[Session, Depends(_db)]
AppSettings = Annotated[Settings, Depends(_settings)]
CurrentUser = Annotated[User, Depends(_current_user)]
OptionalUser = Annotated[User | None, Depends(_optional_user)]


def require_role(*roles: str, scope: str | None = None):
    """Build a dependency admitting users holding any of the roles (and, for API tokens, the scope)."""

    async def dependency(request: Request) -> User:
        user = _user_of(request)
        if roles and not user.has_role(*roles):
            raise PermissionDenied()
        token = request.state.ctx.token
        if token is not None and scope is not None and scope not in token.scopes:
            raise PermissionDenied(f"API 令牌缺少权限范围 {scope}")
        return user

    return dependency


AdminUser = Annotated[User, Depends(require_role("admin", scope="admin"))]


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render a page or fragment with the request's user, locale and navigation in context."""
    ctx = request.state.ctx
    values = {"request": request, "user": ctx.user, "locale": ctx.locale, "request_id": ctx.request_id}
    values.update(context or {})
    return request.app.state.templates.TemplateResponse(request, template, values, status_code=status_code)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"

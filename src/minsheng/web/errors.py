"""One error handler: an HTML page, an HTMX fragment or JSON, by what the client asked for."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from minsheng.core.errors import MinshengError, NotAuthenticated, ValidationFailed
from minsheng.core.i18n import translate
from minsheng.web.deps import PasswordChangeRequired, is_htmx, render
from minsheng.web.middleware import SECURITY_HEADERS

log = logging.getLogger(__name__)

HTTP_MESSAGES = {404: "未找到所请求的页面", 405: "不支持的请求方法", 413: "提交的内容过大"}

# Renders an error (status, translated message) in a format some path prefix prescribes, e.g. Open311's.
ErrorRenderer = Callable[[Request, int, str], Response]


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


async def render_error(request: Request, error: MinshengError) -> Response:
    """Render a domain error for the kind of client that made the request."""
    status = error.status_code
    locale = request.state.ctx.locale if hasattr(request.state, "ctx") else "zh"
    message = translate(error.message, locale)
    prescribed = _prescribed_renderer(request)
    if prescribed is not None:
        return prescribed(request, status, message)
    if wants_json(request):
        body = {"error": {"code": type(error).__name__, "message": message, "field": error.field}}
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(body, status_code=status, headers=headers)
    if isinstance(error, NotAuthenticated) and request.method == "GET" and not is_htmx(request):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if isinstance(error, PasswordChangeRequired) and request.method == "GET" and not is_htmx(request):
        return RedirectResponse("/account/password", status_code=303)
    if is_htmx(request):
        response = render(
            request, "_error_fragment.html", {"message": message, "status": status}, status_code=status
        )
        if isinstance(error, NotAuthenticated):
            response.headers["HX-Redirect"] = "/login"
        return response
    return render(request, "error.html", {"message": message, "status": status}, status_code=status)


def _prescribed_renderer(request: Request) -> ErrorRenderer | None:
    """Return the renderer registered for the request's path prefix in `app.state.error_renderers`."""
    renderers: dict[str, ErrorRenderer] = getattr(request.app.state, "error_renderers", {})
    path = request.url.path
    return next((renderer for prefix, renderer in renderers.items() if path.startswith(prefix)), None)


def _domain_cause(error: BaseException) -> MinshengError | None:
    """Find a domain error behind a wrapped one (exception chains and groups)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error.__cause__, error.__context__]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, MinshengError):
            return current
        pending.extend([current.__cause__, current.__context__])
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
    return None


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through render_error."""

    @app.exception_handler(MinshengError)
    async def _domain(request: Request, error: MinshengError) -> Response:
        return await render_error(request, error)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> Response:
        first = error.errors()[0] if error.errors() else {}
        field = ".".join(str(part) for part in first.get("loc", ())[1:]) or None
        detail = f"{field}: {first.get('msg', '')}" if field else "输入有误"
        return await render_error(request, ValidationFailed(f"输入有误（{detail}）", field=field))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        # FastAPI turns any failure while reading the body into a 400; keep the domain error behind it.
        cause = _domain_cause(error)
        if cause is not None:
            return await render_error(request, cause)
        wrapped = MinshengError(HTTP_MESSAGES.get(error.status_code, str(error.detail)))
        wrapped.status_code = error.status_code
        return await render_error(request, wrapped)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("unhandled error", exc_info=error)
        wrapped = MinshengError("服务器内部错误，请稍后再试")
        wrapped.status_code = 500
        response = await render_error(request, wrapped)
        # This response leaves through Starlette's outermost handler, outside the headers middleware.
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        ctx = getattr(request.state, "ctx", None)
        if ctx is not None:
            response.headers["X-Request-ID"] = ctx.request_id
        return response

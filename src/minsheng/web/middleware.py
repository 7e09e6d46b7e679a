"""Request middleware: unit of work, authentication, locale, security headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response

from minsheng.audit.service import AuditActor, audit_context
from minsheng.core.errors import MinshengError
from minsheng.core.i18n import pick_locale
from minsheng.web.context import RequestState, client_ip, load_session_user, load_token_user

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    ),
}

Handler = Callable[[Request], Awaitable[Response]]


class SecurityHeadersMiddleware(BaseHTTPMiddleware):
    """Add the security headers every response carries."""

    async def dispatch(self, request: Request, call_next: Handler) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.app.state.settings.cookie_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


class UnitOfWorkMiddleware(BaseHTTPMiddleware):
    """Open one database session per request, identify the user, commit on success, roll back otherwise."""

    async def dispatch(self, request: Request, call_next: Handler) -> Response:
        if request.url.path.startswith("/static/"):
            return await call_next(request)
        app_state = request.app.state
        settings = app_state.settings
        state = RequestState(ip=client_ip(request))
        request.state.ctx = state
        db = app_state.session_factory()
        request.state.db = db
        try:
            try:
                await run_in_threadpool(self._identify, request, state, settings.session_max_age)
                # End the identifying transaction now: on SQLite it holds the write lock, which must not
                # stay taken while the request body is still arriving.
                await run_in_threadpool(db.commit)
            except MinshengError as error:
                await run_in_threadpool(db.rollback)
                return await app_state.render_error(request, error)
            chosen = request.session.get("lang") if "session" in request.scope else None
            state.locale = pick_locale(
                (state.user.locale if state.user else None) or chosen, settings.default_locale
            )
            actor = AuditActor(
                user_id=state.user.id if state.user else None,
                name=state.user.username if state.user else "anonymous",
                request_id=state.request_id,
                ip=state.ip,
            )
            with audit_context(actor):
                response = await call_next(request)
            if response.status_code < 400 or getattr(request.state, "force_commit", False):
                await run_in_threadpool(db.commit)
            else:
                await run_in_threadpool(db.rollback)
        except BaseException:
            await run_in_threadpool(db.rollback)
            raise
        finally:
            await run_in_threadpool(db.close)
        response.headers["X-Request-ID"] = state.request_id
        return response

    @staticmethod
    def _identify(request: Request, state: RequestState, max_age: int) -> None:
        db = request.state.db
        # Bearer tokens are for the JSON API only; pages (token management included) need a cookie session.
        if request.url.path.startswith("/api/"):
            found = load_token_user(db, request)
            if found is not None:
                state.user, state.token = found
            return
        if "session" in request.scope:
            state.user = load_session_user(db, request, max_age=max_age)

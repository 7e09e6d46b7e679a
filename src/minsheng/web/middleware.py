"""Request middleware: unit of work, authentication, locale, security headers.

Both are plain ASGI middleware rather than Starlette's BaseHTTPMiddleware, which runs the rest of the app in a
separate task and streams its response through a memory channel, costing time on every request.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minsheng.audit.service import AuditActor, audit_context
from minsheng.core.errors import MinshengError
from minsheng.core.i18n import pick_locale
from minsheng.web.context import RequestState, TokenCache, bearer_token, client_ip, load_session_user

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


class SecurityHeadersMiddleware:
    """Add the security headers every response carries."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = scope["app"].state.settings.cookie_secure

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if secure:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class UnitOfWorkMiddleware:
    """Open one database session per request, identify the user, commit on success, roll back otherwise.

    The work is committed when the route sends its response's status line, before the client can see it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        app_state = scope["app"].state
        settings = app_state.settings
        state = RequestState(ip=client_ip(request))
        request.state.ctx = state
        db: Session = app_state.session_factory()
        request.state.db = db
        ended = False

        async def end(commit: bool) -> None:
            nonlocal ended
            ended = True
            if db.in_transaction():
                await run_in_threadpool(_end, db, commit)
            else:
                db.close()

        try:
            try:
                await _identify(request, state, db, app_state.api_tokens, settings.session_max_age)
            except MinshengError as error:
                await end(commit=False)
                response = await app_state.render_error(request, error)
                await response(scope, receive, send)
                return
            chosen = request.session.get("lang") if "session" in scope else None
            state.locale = pick_locale(
                (state.user.locale if state.user else None) or chosen, settings.default_locale
            )
            actor = AuditActor(
                user_id=state.user.id if state.user else None,
                name=state.user.username if state.user else "anonymous",
                request_id=state.request_id,
                ip=state.ip,
            )

            async def send_after_commit(message: Message) -> None:
                if message["type"] == "http.response.start" and not ended:
                    status = message["status"]
                    await end(commit=status < 400 or getattr(request.state, "force_commit", False))
                    MutableHeaders(scope=message)["X-Request-ID"] = state.request_id
                await send(message)

            with audit_context(actor):
                await self.app(scope, receive, send_after_commit)
        finally:
            if not ended:
                await end(commit=False)
            elif db.in_transaction():
                # Used again while the body streamed: nothing written then is kept, as before.
                await run_in_threadpool(_end, db, False)


async def _identify(
    request: Request, state: RequestState, db: Session, tokens: TokenCache, max_age: int
) -> None:
    # Bearer tokens are for the JSON API only; pages (token management included) need a cookie session.
    if request.url.path.startswith("/api/"):
        plain = bearer_token(request)
        if plain is None:
            return
        checked = tokens.cached(plain) or await run_in_threadpool(tokens.check, plain)
        state.user, state.token = tokens.attach(db, checked)
        return
    if "session" in request.scope:
        await run_in_threadpool(_identify_session, request, state, db, max_age)


def _identify_session(request: Request, state: RequestState, db: Session, max_age: int) -> None:
    try:
        state.user = load_session_user(db, request, max_age=max_age)
        # End the identifying transaction now: on SQLite it holds the write lock, which must not stay taken
        # while the request body is still arriving.
        db.commit()
    except BaseException:
        db.rollback()
        raise


def _end(db: Session, commit: bool) -> None:
    try:
        if commit:
            db.commit()
        else:
            db.rollback()
    finally:
        db.close()

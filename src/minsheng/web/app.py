"""The application factory: the engine and everything else is built here, never at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from fastapi import Depends, FastAPI
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minsheng.audit.routes import router as audit_router
from minsheng.auth.api import router as auth_api_router
from minsheng.auth.routes import router as auth_router
from minsheng.cases.admin_routes import router as cases_admin_router
from minsheng.cases.api import router as cases_api_router
from minsheng.cases.duplicates import DuplicateFinder
from minsheng.cases.public_routes import router as public_cases_router
from minsheng.cases.routes import router as cases_router
from minsheng.cases.routing import RoutingTable
from minsheng.cases.statistics_routes import router as case_statistics_router
from minsheng.channels.routes import router as channels_router
from minsheng.core.database import make_engine, make_sessionmaker
from minsheng.core.errors import MinshengError
from minsheng.core.settings import Settings, get_settings
from minsheng.events.routes import router as events_router
from minsheng.items.api import router as items_api_router
from minsheng.items.routes import router as items_router
from minsheng.open311.routes import router as open311_router
from minsheng.open311.serialize import render_error as render_open311_error
from minsheng.org.api import router as org_api_router
from minsheng.org.routes import router as org_router
from minsheng.plans.routes import router as plans_router
from minsheng.sources.routes import router as sources_router
from minsheng.text.engine_cache import EngineCache
from minsheng.warning.admin_routes import router as warning_admin_router
from minsheng.warning.routes import router as warning_router
from minsheng.web.context import TokenCache
from minsheng.web.csrf import verify_csrf
from minsheng.web.errors import install_error_handlers, render_error
from minsheng.web.middleware import SecurityHeadersMiddleware, UnitOfWorkMiddleware
from minsheng.web.ratelimit import RateLimiter
from minsheng.web.routes import router as web_router
from minsheng.web.templating import build_templates

log = logging.getLogger(__name__)


class BodySizeLimit:
    """Refuse request bodies larger than the configured size, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _too_large(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _too_large(send)


class _BodyTooLarge(MinshengError):
    """A streamed body passed the size limit (raised while a route reads it, rendered as 413)."""

    status_code = 413
    default_message = "提交的内容过大"


async def _too_large(send: Send) -> None:
    body = '{"error":{"code":"TooLarge","message":"提交的内容过大"}}'.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings | None = None, *, run_jobs: bool | None = None) -> FastAPI:
    """Build the web application for the given settings (the environment's by default)."""
    settings = settings or get_settings()
    engine = make_engine(settings.resolved_database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if run_jobs if run_jobs is not None else (settings.is_sqlite and settings.jobs_inprocess):
            from minsheng.jobs.worker import start_inprocess_worker

            worker = start_inprocess_worker(settings)
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            engine.dispose()

    app = FastAPI(
        title="民声 Minsheng",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(verify_csrf)],
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_sessionmaker(engine)
    app.state.templates = build_templates(settings.timezone)
    app.state.rate_limiter = RateLimiter(settings)
    app.state.text_engines = EngineCache(settings)
    app.state.case_duplicates = DuplicateFinder()
    app.state.case_routing = RoutingTable()
    app.state.api_tokens = TokenCache(app.state.session_factory, seconds=settings.api_token_cache_seconds)
    app.state.render_error = render_error
    # Open311 clients expect the specification's <errors> document, whatever they send as Accept.
    app.state.error_renderers = {"/open311/": render_open311_error}

    app.add_middleware(UnitOfWorkMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie="minsheng_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_mb * 1024 * 1024)
    install_error_handlers(app)

    app.mount("/static", StaticFiles(directory=str(files("minsheng") / "web" / "static")), name="static")
    routers = (web_router, auth_router, org_router, audit_router, auth_api_router, org_api_router)
    case_routers = (
        public_cases_router,
        case_statistics_router,
        cases_router,
        cases_api_router,
        cases_admin_router,
    )
    for router in (*routers, *case_routers):
        app.include_router(router)
    app.include_router(open311_router)
    app.include_router(plans_router)
    for router in (sources_router, items_router, items_api_router, events_router):
        app.include_router(router)
    for router in (warning_router, warning_admin_router):
        app.include_router(router)
    app.include_router(channels_router)
    return app

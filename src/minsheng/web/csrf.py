"""CSRF protection for cookie sessions: a per-session token required on every unsafe request."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request

from minsheng.core.errors import MinshengError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FIELD = "csrf_token"
HEADER = "x-csrf-token"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


class CsrfFailed(MinshengError):
    status_code = 403
    default_message = "页面已过期或来源不可信，请刷新后重试"


def csrf_exempt(endpoint: Endpoint) -> Endpoint:
    """Mark an endpoint that authenticates by a key in the request and never acts on the cookie session."""
    endpoint.csrf_exempt = True  # type: ignore[attr-defined]
    return endpoint


def _is_exempt(request: Request) -> bool:
    return getattr(request.scope.get("endpoint"), "csrf_exempt", False) is True


def csrf_token(request: Request) -> str:
    """Return the session's CSRF token, creating it on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def verify_csrf(request: Request) -> None:
    """Reject unsafe requests that lack the session's token; bearer-token API calls carry no cookie risk."""
    if request.method in SAFE_METHODS:
        return
    ctx = getattr(request.state, "ctx", None)
    if ctx is not None and ctx.token is not None:
        return
    if _is_exempt(request):
        return
    expected = request.session.get("csrf")
    if not expected:
        # Refuse before reading the body: a request without a session never had a form from us.
        raise CsrfFailed()
    sent = request.headers.get(HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(FIELD)
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise CsrfFailed()

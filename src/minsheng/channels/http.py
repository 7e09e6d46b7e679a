"""Posting to webhooks: bounded time, no redirects to another host, and errors free of secrets."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from minsheng.channels.kinds import SendContext, SendResult

USER_AGENT = "Minsheng-Notifier/0.1"
MAX_REDIRECTS = 3
SNIPPET_CHARS = 200
# Only these keep the method and body; a 301/302/303 would turn the POST into a GET.
_BODY_PRESERVING = frozenset({307, 308})


def make_client(timeout: float) -> httpx.Client:
    """Build the client one delivery round shares: redirects are handled by `post`, never automatically."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


def _origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    parts = urlsplit(str(url))
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def post(
    context: SendContext,
    url: str,
    *,
    content: bytes,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST the body, following at most three 307/308 redirects and only to the same scheme, host and port."""
    all_headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    # httpx's `params=` would replace the query a robot URL already carries (its access token); merge instead.
    target = httpx.URL(url).copy_merge_params(dict(params)) if params else httpx.URL(url)
    for _ in range(MAX_REDIRECTS + 1):
        response = context.client.post(target, content=content, headers=all_headers, timeout=context.timeout)
        if not response.is_redirect:
            return response
        location = response.headers.get("location", "")
        next_url = urljoin(str(response.request.url), location)
        if response.status_code not in _BODY_PRESERVING or _origin(next_url) != _origin(url):
            raise RedirectRefused(response.status_code, next_url)
        target = httpx.URL(next_url)
    raise RedirectRefused(response.status_code, str(response.request.url))


class RedirectRefused(Exception):
    """The endpoint answered with a redirect that is not followed."""

    def __init__(self, status: int, location: str) -> None:
        self.status = status
        parts = urlsplit(location)
        super().__init__(f"对方要求重定向到 {parts.scheme}://{parts.hostname or ''}，未跟随")


def dump_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def snippet(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:SNIPPET_CHARS]


def check_status(response: httpx.Response) -> SendResult | None:
    """Return a failure for a non-2xx answer, None when the status is fine."""
    if response.is_success:
        return None
    return SendResult.failure(
        f"HTTP {response.status_code}：{snippet(response)}", status=response.status_code
    )


def json_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def describe_error(error: BaseException) -> str:
    """Say what went wrong in one line; network errors name their type, never the URL."""
    if isinstance(error, RedirectRefused):
        return str(error)
    if isinstance(error, httpx.TimeoutException):
        return f"请求超时（{type(error).__name__}）"
    if isinstance(error, httpx.HTTPError):
        return f"网络错误（{type(error).__name__}）：{error}"
    return f"{type(error).__name__}：{error}"


def redact(text: str, secrets: Iterable[Any]) -> str:
    """Blank out every secret value (and the query and path of secret URLs) that appears in a text."""
    for secret in secrets:
        if not isinstance(secret, str) or len(secret) < 4:
            continue
        text = text.replace(secret, "***")
        parts = urlsplit(secret)
        if parts.query and len(parts.query) >= 4:
            text = text.replace(parts.query, "***")
        if parts.path and len(parts.path) > 8:
            text = text.replace(parts.path, "/***")
    return text

"""Per-client rate limits on login and public endpoints, backed by the `limits` library."""

from __future__ import annotations

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import Request

from minsheng.core.errors import TooManyRequests
from minsheng.core.settings import Settings


class RateLimiter:
    """Named limits ("login", "public") checked against the client's IP."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))
        self._limits = {
            "login": parse(settings.login_rate_limit),
            "public": parse(settings.public_rate_limit),
        }

    def hit(self, name: str, key: str) -> bool:
        return self._limiter.hit(self._limits[name], name, key)


def rate_limit(name: str):
    """Build a dependency that enforces the named limit for the calling client."""

    def dependency(request: Request) -> None:
        limiter: RateLimiter = request.app.state.rate_limiter
        ip = request.client.host if request.client else "unknown"
        if not limiter.hit(name, ip):
            raise TooManyRequests()

    return dependency

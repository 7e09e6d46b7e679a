from __future__ import annotations

from starlette.testclient import TestClient

from minsheng.web.app import create_app
from tests.factories import csrf_from


def test_login_is_rate_limited_per_client(engine, settings):
    limited = settings.model_copy(update={"login_rate_limit": "3/minute"})
    with TestClient(create_app(limited, run_jobs=False)) as client:
        token = csrf_from(client)
        codes = [
            client.post("/login", data={"username": "x", "password": "y", "csrf_token": token}).status_code
            for _ in range(4)
        ]
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429


def test_public_pages_are_rate_limited(engine, settings):
    limited = settings.model_copy(update={"public_rate_limit": "2/minute"})
    with TestClient(create_app(limited, run_jobs=False)) as client:
        codes = [client.get("/login").status_code for _ in range(3)]
    assert codes == [200, 200, 429]

"""API tokens are checked once and kept a few seconds, never past a revocation, a disabled user or expiry."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from minsheng.auth.models import ApiToken, User
from minsheng.auth.tokens import issue_token
from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.web import context
from tests.factories import make_user, read_now


@pytest.fixture
def serve(engine: Engine, settings: Settings) -> Iterator:
    """Start the app with a given token cache time."""
    from minsheng.web.app import create_app

    clients: list[TestClient] = []

    def start(seconds: float) -> TestClient:
        app = create_app(settings.model_copy(update={"api_token_cache_seconds": seconds}), run_jobs=False)
        client = TestClient(app, base_url="http://testserver").__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def token(session, settings) -> tuple[str, int, int]:
    """A read token of an analyst: (plain value, token id, user id)."""
    user = make_user(session, settings, roles=["analyst"], username="tang")
    plain, record = issue_token(session, user=user, name="热线对接", scopes=["read"], days=30)
    session.commit()
    ids = (plain, record.id, user.id)
    session.rollback()
    return ids


def _me(client: TestClient, plain: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code


def _counting_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = context.authenticate_token

    def counting(session, *, plain):
        seen.append(plain)
        return real(session, plain=plain)

    monkeypatch.setattr(context, "authenticate_token", counting)
    return seen


def test_a_checked_token_is_not_looked_up_again_while_fresh(serve, token, monkeypatch):
    lookups = _counting_lookups(monkeypatch)
    client = serve(60)
    assert [_me(client, token[0]) for _ in range(3)] == [200, 200, 200]
    assert len(lookups) == 1
    uncached = serve(0)
    assert [_me(uncached, token[0]) for _ in range(2)] == [200, 200]
    assert len(lookups) == 3


def test_a_token_revoked_in_this_process_is_refused_at_once(serve, token, session):
    client = serve(60)
    assert _me(client, token[0]) == 200
    session.get(ApiToken, token[1]).revoked_at = utcnow()
    session.commit()
    assert _me(client, token[0]) == 401


def test_a_user_disabled_in_this_process_is_refused_at_once(serve, token, session):
    client = serve(60)
    assert _me(client, token[0]) == 200
    session.get(User, token[2]).is_active = False
    session.commit()
    assert _me(client, token[0]) == 401


def test_a_revocation_by_another_process_is_honoured_within_the_cache_time(serve, token, session):
    client = serve(0.5)
    assert _me(client, token[0]) == 200
    # Written without the ORM, as another process would: this process hears nothing of it.
    session.execute(ApiToken.__table__.update().values(revoked_at=utcnow()))
    session.commit()
    time.sleep(0.6)
    assert _me(client, token[0]) == 401
    assert _me(serve(0), token[0]) == 401


def test_a_cached_token_is_refused_once_it_expires(serve, token, session):
    client = serve(60)
    session.execute(ApiToken.__table__.update().values(expires_at=utcnow() + timedelta(seconds=1)))
    session.commit()
    assert _me(client, token[0]) == 200
    time.sleep(1.1)
    assert _me(client, token[0]) == 401


def test_marking_a_token_used_keeps_the_cache(serve, token, session, monkeypatch):
    lookups = _counting_lookups(monkeypatch)
    client = serve(60)
    session.execute(ApiToken.__table__.update().values(last_used_at=utcnow() - timedelta(minutes=5)))
    session.commit()
    assert _me(client, token[0]) == 200
    assert read_now(session, select(ApiToken.last_used_at)) > utcnow() - timedelta(minutes=1)
    assert _me(client, token[0]) == 200
    assert len(lookups) == 1

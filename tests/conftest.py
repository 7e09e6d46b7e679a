"""Fixtures shared by the whole suite: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from minsheng.auth.models import User
from minsheng.core.database import make_engine, make_sessionmaker
from minsheng.core.settings import Settings
from minsheng.models import Base

POSTGRES_URL = os.environ.get(
    "MINSHENG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_missing(message: str) -> NoReturn:
    """Skip a test whose data in ../shared is absent; in CI the data must be there, so fail instead."""
    if IN_CI:
        pytest.fail(f"{message} (CI runs with ../shared beside the repository)")
    pytest.skip(message)


def _postgres_available() -> bool:
    try:
        engine = make_engine(POSTGRES_URL, pool_pre_ping=False)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _private_database_url() -> Iterator[str]:
    """Create a throw-away database for this run so parallel runs never share tables."""
    base = make_url(POSTGRES_URL)
    name = f"minsheng_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of this run's private PostgreSQL database."""
    if not _postgres_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    yield from _private_database_url()


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """One PostgreSQL engine for the run, with the schema created from the models."""
    engine = make_engine(postgres_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database with the current schema, on each backend in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    engine = request.getfixturevalue("postgres_engine")
    _truncate_all(engine)
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    if db_url.startswith("sqlite"):
        Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session the test commits itself; the database is thrown away afterwards."""
    factory = make_sessionmaker(engine)
    with factory() as sess:
        yield sess


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-not-for-production",
        login_rate_limit="1000/minute",
        public_rate_limit="1000/minute",
        jobs_inprocess=False,
    )


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """The app served in-process over the test database."""
    from minsheng.web.app import create_app

    app = create_app(settings, run_jobs=False)
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def admin(session: Session, settings: Settings) -> User:
    """An administrator account named `root` with the factories' password."""
    from tests.factories import make_user

    user = make_user(session, settings, roles=["admin"], username="root")
    session.commit()
    return user


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run browser tests last: Playwright's sync API keeps an event loop running in the main thread."""
    items.sort(key=lambda item: "/e2e/" in str(item.path).replace("\\", "/"))

"""Small builders for test data that go through the real services."""

from __future__ import annotations

import itertools
import re

from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from minsheng.auth.models import User
from minsheng.auth.schemas import UserCreate
from minsheng.auth.service import create_user
from minsheng.core.settings import Settings
from minsheng.org.models import Department
from minsheng.org.schemas import DepartmentCreate
from minsheng.org.service import create_department

PASSWORD = "Correct-Horse-42"
_counter = itertools.count(1)


def make_department(
    session: Session,
    *,
    name: str | None = None,
    code: str | None = None,
    aliases: list[str] | None = None,
    parent_id: int | None = None,
) -> Department:
    n = next(_counter)
    change = create_department(
        session,
        data=DepartmentCreate(
            code=code or f"D{n:03d}", name=name or f"测试部门{n}", aliases=aliases or [], parent_id=parent_id
        ),
    )
    return change.department


def make_user(
    session: Session,
    settings: Settings,
    *,
    roles: list[str],
    department: Department | None = None,
    username: str | None = None,
    password: str = PASSWORD,
) -> User:
    department = department or make_department(session)
    n = next(_counter)
    return create_user(
        session,
        settings=settings,
        data=UserCreate(
            username=username or f"user{n}",
            display_name=f"测试用户{n}",
            password=password,
            roles=roles,
            department_id=department.id,
            email=f"user{n}@example.org",
            phone="13800138000",
        ),
    )


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(client: TestClient, path: str = "/login") -> str:
    """Fetch a page and return the CSRF token embedded in its forms."""
    match = CSRF_RE.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_from(client)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def read_now(session: Session, statement):
    """Run one query on fresh data and end the transaction (on SQLite it would hold the app's write lock)."""
    session.expire_all()
    row = session.execute(statement).first()
    session.rollback()
    return None if row is None else (row[0] if len(row) == 1 else tuple(row))


def detach(session: Session, *objects: object) -> None:
    """Load the objects, detach them and end the transaction, so they never hold SQLite's write lock."""
    for item in objects:
        session.refresh(item)
    session.expunge_all()
    session.rollback()

"""Build (or refresh) the demo deployment: regions, departments with aliases, one user per role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.audit.context import AuditActor, audit_context
from minsheng.audit.service import record
from minsheng.auth.models import User
from minsheng.auth.passwords import generate_password, hash_password
from minsheng.auth.service import user_snapshot
from minsheng.bootstrap import load_jurisdiction_regions, upgrade_database
from minsheng.core.database import make_engine, make_sessionmaker, unit_of_work
from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.demo.cases import seed_cases
from minsheng.demo.departments import DEPARTMENTS, USERS
from minsheng.demo.monitoring import seed_monitoring
from minsheng.org.models import Department
from minsheng.org.schemas import DepartmentCreate, DepartmentUpdate
from minsheng.org.service import create_department, department_snapshot, update_department

DEMO_ACTOR = AuditActor(user_id=None, name="demo-seed")


@dataclass(frozen=True, slots=True)
class DemoLogin:
    role: str
    username: str
    password: str
    department: str


def build_demo(settings: Settings, *, stream_minutes: int = 0) -> list[DemoLogin]:
    """Migrate, load the jurisdiction's regions and seed the demo city; return fresh logins.

    With `stream_minutes`, the monitoring side gets that many minutes of simulated posts (once per database),
    judged by the starting warning rules minute by minute, so the hot list and alerts are live from the start.
    """
    upgrade_database(settings)
    with audit_context(DEMO_ACTOR):
        load_jurisdiction_regions(settings)
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session, audit_context(DEMO_ACTOR):
            departments = _seed_departments(session)
            logins = _seed_users(session, departments)
            users = {u.username: u for u in session.scalars(select(User))}
            seed_cases(session, settings, users)
    finally:
        engine.dispose()
    with audit_context(DEMO_ACTOR):
        seed_monitoring(settings, minutes=stream_minutes)
    return logins


def _seed_departments(session: Session) -> dict[str, Department]:
    by_code = {dept.code: dept for dept in session.scalars(select(Department))}
    for code, name, aliases, parent_code, region_code in DEPARTMENTS:
        parent_id = by_code[parent_code].id if parent_code else None
        existing = by_code.get(code)
        if existing is None:
            change = create_department(
                session,
                data=DepartmentCreate(
                    code=code,
                    name=name,
                    aliases=aliases,
                    parent_id=parent_id,
                    region_code=region_code,
                    sort_order=len(by_code),
                ),
            )
        else:
            change = update_department(
                session,
                department_id=existing.id,
                data=DepartmentUpdate(
                    name=name, aliases=aliases, parent_id=parent_id, region_code=region_code, is_active=True
                ),
            )
            if not change.is_changed:
                continue
        by_code[code] = change.department
        record(
            session,
            actor=None,
            action=change.action,
            entity_type="department",
            entity_id=change.department.id,
            summary=f"演示数据: {name}",
            before=change.before,
            after=department_snapshot(change.department),
        )
    return by_code


def _seed_users(session: Session, departments: dict[str, Department]) -> list[DemoLogin]:
    logins = []
    for username, display_name, roles, dept_code in USERS:
        password = generate_password()
        user = session.scalar(select(User).where(func.lower(User.username) == username))
        before = user_snapshot(user) if user else None
        if user is None:
            user = User(
                username=username,
                display_name=display_name,
                password_hash="",
                roles=roles,
                department_id=departments[dept_code].id,
            )
            session.add(user)
        user.display_name, user.roles = display_name, roles
        user.department_id, user.is_active = departments[dept_code].id, True
        user.password_hash = hash_password(password)
        user.password_changed_at, user.failed_logins, user.locked_until = utcnow(), 0, None
        user.end_sessions()
        session.flush()
        record(
            session,
            actor=None,
            action="create" if before is None else "reset_password",
            entity_type="user",
            entity_id=user.id,
            summary=f"演示账户 {username}",
            before=before,
            after=user_snapshot(user),
        )
        logins.append(DemoLogin(roles[0], username, password, departments[dept_code].name))
    return logins

"""Cross-domain set-up steps used by the CLI: schema upgrades and first accounts."""

from __future__ import annotations

from pydantic import ValidationError

from minsheng.audit.service import record
from minsheng.auth.passwords import generate_password
from minsheng.auth.schemas import UserCreate
from minsheng.auth.service import create_user, user_snapshot
from minsheng.core import migrate
from minsheng.core.database import make_engine, make_sessionmaker, unit_of_work
from minsheng.core.errors import MinshengError
from minsheng.core.settings import Settings
from minsheng.org.regions import RegionLoadReport, load_regions
from minsheng.org.service import resolve_department


def upgrade_database(settings: Settings, *, revision: str = "head") -> None:
    """Migrate the schema; on PostgreSQL also install the job engine's schema."""
    engine = make_engine(settings.resolved_database_url)
    try:
        migrate.upgrade(engine, revision)
    finally:
        engine.dispose()
    if not settings.is_sqlite:
        from minsheng.jobs.postgres import install_schema

        install_schema(settings)


def create_user_account(
    settings: Settings,
    *,
    username: str,
    department: str,
    roles: list[str],
    display_name: str,
    password: str | None,
) -> str:
    """Create an account for the CLI; return the password used (generated when none is given)."""
    plain = password or generate_password()
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            dept = resolve_department(session, department)
            if dept is None:
                raise ValueError(f"找不到部门 {department}")
            try:
                user = create_user(
                    session,
                    settings=settings,
                    data=UserCreate(
                        username=username,
                        display_name=display_name,
                        password=plain,
                        roles=roles,
                        department_id=dept.id,
                    ),
                )
            except MinshengError as error:
                raise ValueError(error.message) from error
            except ValidationError as error:
                raise ValueError(error.errors()[0]["msg"]) from error
            record(
                session,
                action="create",
                entity_type="user",
                entity_id=user.id,
                summary=f"命令行创建用户 {username}",
                after=user_snapshot(user),
            )
    finally:
        engine.dispose()
    return plain


def load_jurisdiction_regions(settings: Settings) -> RegionLoadReport:
    """Load or refresh the jurisdiction's regions and log the load."""
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            report = load_regions(session, root_code=settings.jurisdiction_code)
            if report.created or report.updated:
                record(
                    session,
                    action="load",
                    entity_type="region",
                    entity_id=report.root_code,
                    summary=f"载入行政区划: 新增 {len(report.created)}, 更新 {len(report.updated)}",
                )
    finally:
        engine.dispose()
    return report

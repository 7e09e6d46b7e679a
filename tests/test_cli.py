"""The `minsheng` commands, run as a user would, against the database in MINSHENG_DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from minsheng.audit.ddl import drop_guards
from minsheng.audit.models import AuditEntry
from minsheng.auth.models import User
from minsheng.cases.models import Case
from minsheng.cli import app
from minsheng.core.database import make_engine, make_sessionmaker
from minsheng.core.settings import get_settings
from minsheng.events.models import Event
from minsheng.items.models import Item
from minsheng.org.models import Region
from minsheng.warning.models import Alert, WarningRule


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    def invoke(*args: str, url: str | None = None):
        monkeypatch.setenv("MINSHENG_DATA_DIR", str(tmp_path / "data"))
        if url:
            monkeypatch.setenv("MINSHENG_DATABASE_URL", url)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(args))
        finally:
            get_settings.cache_clear()

    return invoke


def test_db_upgrade_then_user_create_then_verify_on_sqlite(run, tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = run("db", "upgrade", url=url)
    assert result.exit_code == 0, result.output
    assert "数据库已升级" in result.output
    assert run("regions", "load", url=url).exit_code == 0
    demo_dept = make_engine(url)
    with demo_dept.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO department (code, name, aliases, is_active, sort_order, created_at, "
                "updated_at) VALUES ('WXB', '市委网信办', '[\"网信办\"]', 1, 0, '2026-01-01', '2026-01-01')"
            )
        )
    result = run("user", "create", "--username", "ops", "--department", "网信办", "--role", "admin", url=url)
    assert result.exit_code == 0, result.output
    assert "初始密码" in result.output
    result = run("audit", "verify", url=url)
    assert result.exit_code == 0 and "审计链完整" in result.output
    demo_dept.dispose()


def test_user_create_reports_bad_input(run, engine, db_url):
    result = run(
        "user", "create", "--username", "x y", "--department", "不存在", "--role", "admin", url=db_url
    )
    assert result.exit_code == 1
    assert "找不到部门" in result.output


def test_audit_verify_finds_tampering(run, engine, db_url, session):
    from tests.factories import make_department

    make_department(session, name="市甲局")
    make_department(session, name="市乙局")
    session.commit()
    from minsheng.audit.service import record

    for n in range(3):
        record(session, action="update", entity_type="test", entity_id=n, summary=f"第{n}条")
    session.commit()
    assert run("audit", "verify", url=db_url).exit_code == 0
    with engine.begin() as conn:
        drop_guards(conn)
        conn.execute(text("UPDATE audit_log SET summary = '篡改' WHERE seq = 2"))
    result = run("audit", "verify", url=db_url)
    assert result.exit_code == 1
    assert "序号 2" in result.output and "content_changed" in result.output


def test_demo_builds_a_city_with_every_role(run, tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = run("demo", "--no-serve", "--stream-minutes", "30", url=url)
    assert result.exit_code == 0, result.output
    for role in ("admin", "analyst", "dispatcher", "handler", "supervisor", "leader"):
        assert role in result.output
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(func.count(User.id))) == 7
        assert session.scalar(select(func.count(Region.code)).where(Region.level == 4)) > 100
        assert session.scalar(select(func.count(AuditEntry.id))) > 20
        stages = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
        assert stages == {"submitted": 1, "assigned": 1, "replied": 1, "closed": 1}
        first = session.scalar(select(Case).where(Case.status == "submitted"))
        assert first.suggestions["departments"][0]["name"] == "市住房和城乡建设局"
        # The monitoring side: simulated posts grouped into events, starting rules, and alerts from them.
        streamed = session.scalar(select(func.count(Item.id)))
        assert streamed > 300
        assert session.scalar(select(func.count(Event.id))) > 3
        assert session.scalar(select(func.count(WarningRule.id))) >= 5
        assert session.scalar(select(func.count(Alert.id))) > 0
    engine.dispose()
    again = run("demo", "--no-serve", "--stream-minutes", "30", url=url)
    assert again.exit_code == 0
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(func.count(Case.id))) == 4
        # The stream is written once per database.
        assert session.scalar(select(func.count(Item.id))) == streamed
    engine.dispose()
    assert again.output.split("admin")[2].split()[0] != result.output.split("admin")[2].split()[0]


def test_settings_command_hides_the_secret(run, monkeypatch):
    monkeypatch.setenv("MINSHENG_SECRET_KEY", "very-secret-value")
    result = run("settings")
    assert "MINSHENG_SECRET_KEY=***" in result.output and "very-secret-value" not in result.output


def test_serve_starts_worker_processes_from_the_app_factory(run, monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    assert run("serve", "--workers", "3", "--port", "8123").exit_code == 0
    assert run("serve").exit_code == 0
    assert run("serve", "--workers", "0").exit_code != 0
    (factory, several), (app, one) = calls
    assert factory == "minsheng.web.app:create_app" and several["factory"] and several["workers"] == 3
    assert several["port"] == 8123 and several["log_level"] == "info"
    assert not isinstance(app, str) and "workers" not in one

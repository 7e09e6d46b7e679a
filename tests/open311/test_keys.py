"""Open311 keys from the command line, and a freshly migrated database serving the built-in services."""

from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from minsheng.audit.models import AuditEntry
from minsheng.cli import app
from minsheng.core import migrate
from minsheng.core.database import make_engine, make_sessionmaker, unit_of_work
from minsheng.core.settings import Settings, get_settings
from minsheng.open311.keys import KEY_PREFIX, authenticate_key, issue_key
from minsheng.open311.models import Open311Key
from minsheng.web.app import create_app
from tests.open311.conftest import report


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str, engine):
    def invoke(*args: str):
        monkeypatch.setenv("MINSHENG_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("MINSHENG_DATABASE_URL", db_url)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, ["open311", "key", *args])
        finally:
            get_settings.cache_clear()

    return invoke


def test_create_prints_the_key_last_then_list_and_revoke(run, session):
    created = run("create", "--name", "随手拍小程序")
    assert created.exit_code == 0, created.output
    plain = created.output.strip().splitlines()[-1]
    assert plain.startswith(KEY_PREFIX) and len(plain) > 40
    key = authenticate_key(session, plain=plain)
    assert key.name == "随手拍小程序" and key.created_by.startswith("cli")
    assert plain not in key.key_hash
    key_id = key.id
    session.rollback()

    listed = run("list")
    assert listed.exit_code == 0 and "随手拍小程序" in listed.output and "有效" in listed.output
    assert plain not in listed.output

    revoked = run("revoke", str(key_id))
    assert revoked.exit_code == 0, revoked.output
    assert "已撤销" in run("list").output
    session.expire_all()
    assert session.get(Open311Key, key_id).revoked_at is not None
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "open311_key")))
    assert actions == {"create", "revoke"}
    session.rollback()


def test_bad_names_and_unknown_ids_fail_cleanly(run):
    assert run("create", "--name", " ").exit_code == 1
    assert run("revoke", "999").exit_code == 1
    assert "还没有" in run("list").output


def test_a_migrated_database_offers_the_builtin_services_and_takes_requests(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    settings = Settings(
        database_url=url, data_dir=tmp_path / "data", secret_key="test-secret", jobs_inprocess=False
    )
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        plain, _ = issue_key(session, name="迁移测试", created_by="pytest")
    engine.dispose()
    with TestClient(create_app(settings, run_jobs=False)) as client:
        services = client.get("/open311/v2/services.json").json()
        assert len(services) == 7 and "supervision_task" not in {s["service_code"] for s in services}
        assert report(client, plain).status_code == 200
        assert len(client.get("/open311/v2/requests.json").json()) == 1

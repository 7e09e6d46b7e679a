from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from minsheng.core.settings import Settings, settings_reference

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_every_setting_is_documented(name):
    field = Settings.model_fields[name]
    assert field.description and len(field.description) > 15, f"{name} needs a description"
    assert f"`MINSHENG_{name.upper()}`" in DOCS.read_text(encoding="utf-8"), (
        f"{name} missing from docs/settings.md"
    )


def test_settings_page_is_current():
    assert DOCS.read_text(encoding="utf-8") == settings_reference(), (
        "run: minsheng settings --markdown > docs/settings.md"
    )


def test_environment_overrides_and_sqlite_default(monkeypatch, tmp_path):
    monkeypatch.setenv("MINSHENG_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve() / 'minsheng.db'}"
    assert settings.is_sqlite
    monkeypatch.setenv("MINSHENG_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert not Settings().is_sqlite


def test_secret_key_is_generated_once_and_kept(tmp_path):
    settings = Settings(data_dir=tmp_path)
    key = settings.resolved_secret_key()
    assert len(key) > 40
    assert Settings(data_dir=tmp_path).resolved_secret_key() == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_bad_values_are_rejected():
    with pytest.raises(ValidationError):
        Settings(default_locale="fr")
    with pytest.raises(ValidationError):
        Settings(session_max_age="soon")

from __future__ import annotations

import re
from pathlib import Path

from minsheng.core.i18n import catalogue, pick_locale, translate

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "minsheng"
TEMPLATE_CALL = re.compile(r"""_\(\s*(["'])(.+?)\1""")
PYTHON_CALL = re.compile(r"""translate\(\s*(["'])(.+?)\1""")


def _interface_strings() -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.rglob("*.html"):
        found.update(m.group(2) for m in TEMPLATE_CALL.finditer(path.read_text(encoding="utf-8")))
    for path in PACKAGE.rglob("*.py"):
        found.update(m.group(2) for m in PYTHON_CALL.finditer(path.read_text(encoding="utf-8")))
    return found


def test_every_interface_string_has_an_english_translation():
    strings = _interface_strings()
    assert len(strings) > 100
    missing = sorted(strings - set(catalogue("en")))
    assert not missing, f"add to core/locales/en.json: {missing}"


def test_placeholders_survive_translation():
    english = catalogue("en")
    for source, target in english.items():
        assert set(re.findall(r"{\w+}", source)) == set(re.findall(r"{\w+}", target)), source


def test_translate_and_locale_choice():
    assert translate("登录", "en") == "Sign in"
    assert translate("登录", "zh") == "登录"
    assert translate("共 {n} 条", "en", n=3) == "3 entries"
    assert translate("一句没有译文的话", "en") == "一句没有译文的话"
    assert pick_locale("en", "zh") == "en"
    assert pick_locale("fr", "zh") == "zh"
    assert pick_locale(None, "zh") == "zh"

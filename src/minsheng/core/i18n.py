"""Interface strings: Simplified Chinese is the source language, English is a catalogue."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LOCALES = ("zh", "en")
LOCALE_NAMES = {"zh": "简体中文", "en": "English"}
_CATALOGUE_DIR = Path(__file__).parent / "locales"


@lru_cache
def catalogue(locale: str) -> dict[str, str]:
    """Load the translation table for a locale (Chinese needs none)."""
    path = _CATALOGUE_DIR / f"{locale}.json"
    if locale == "zh" or not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def translate(message: str, locale: str, **values: object) -> str:
    """Translate a Chinese message into the locale, filling `{name}` placeholders."""
    text = catalogue(locale).get(message, message) if locale != "zh" else message
    return text.format(**values) if values else text


def pick_locale(chosen: str | None, default: str) -> str:
    """Use the user's chosen locale when it is supported, else the deployment default."""
    return chosen if chosen in LOCALES else default

"""Jinja2 environment: each domain's templates folder, translations, local time, CSRF tokens."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader, pass_context
from markupsafe import Markup
from starlette.requests import Request

from minsheng.core.i18n import LOCALE_NAMES, translate
from minsheng.core.timeutil import format_local
from minsheng.text.pii import mask
from minsheng.web.csrf import csrf_token

DOMAINS_WITH_TEMPLATES = (
    "web",
    "auth",
    "org",
    "audit",
    "cases",
    "plans",
    "sources",
    "items",
    "events",
    "warning",
    "channels",
)


@pass_context
def _gettext(context: Any, message: str, **values: object) -> str:
    request: Request | None = context.get("request")
    locale = request.state.ctx.locale if request is not None and hasattr(request.state, "ctx") else "zh"
    return translate(message, locale, **values)


@pass_context
def _csrf_input(context: Any) -> Markup:
    token = csrf_token(context["request"])
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(token)


def _chart_json(options: dict[str, Any]) -> str:
    """Serialise chart options for a data attribute; autoescape handles the quoting."""
    return json.dumps(options, ensure_ascii=False, separators=(",", ":"))


def build_templates(timezone: str) -> Jinja2Templates:
    """Build the template environment used by every page."""
    loaders = [
        FileSystemLoader(str(files("minsheng") / domain / "templates")) for domain in DOMAINS_WITH_TEMPLATES
    ]
    templates = Jinja2Templates(directory=str(files("minsheng") / "web" / "templates"))
    env = templates.env
    env.loader = ChoiceLoader(loaders)
    env.autoescape = True
    env.globals.update(_=_gettext, csrf_input=_csrf_input, csrf_token=csrf_token, locale_names=LOCALE_NAMES)
    env.filters["localtime"] = lambda value, fmt="%Y-%m-%d %H:%M": format_local(value, timezone, fmt)
    env.filters["chart_json"] = _chart_json
    env.filters["mask_pii"] = lambda value: mask(value) if value else ""
    return templates

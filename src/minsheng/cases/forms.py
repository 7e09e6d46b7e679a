"""Turn submitted HTML forms into case inputs, and validation failures into one readable message."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request

from minsheng.cases.duplicates import DuplicateFinder
from minsheng.cases.models import CaseType
from minsheng.cases.routing import RoutingTable
from minsheng.cases.schemas import CaseSubmit, ContactIn
from minsheng.core.errors import MinshengError, ValidationFailed
from minsheng.text.analysis import TextEngine

FIELD_LABELS = {
    "description": "情况描述",
    "title": "标题",
    "place_text": "地点",
    "phone": "联系电话",
    "name": "姓名",
    "email": "电子邮箱",
    "id_number": "证件号码",
    "address": "联系地址",
    "priority": "优先级",
    "latitude": "纬度",
    "longitude": "经度",
}
# Bots fill every field they see; people never see this one.
HONEYPOT = "website"


def describe(error: Exception) -> str:
    """Say what is wrong with a submission in one sentence."""
    if isinstance(error, MinshengError):
        return error.message
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        field = str(first["loc"][-1]) if first["loc"] else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        return f"{FIELD_LABELS.get(field, field)}: {message}" if field else message
    return "提交内容有误"


def _float(value: str) -> float | None:
    try:
        return float(value) if value.strip() else None
    except ValueError:
        raise ValidationFailed("经纬度应为数字") from None


def submission_from_form(form: dict[str, str], case_type: CaseType, *, channel: str) -> CaseSubmit:
    """Build a case submission from form fields (attributes are posted as attr_<code>)."""
    attributes: dict[str, Any] = {
        str(spec["code"]): form.get(f"attr_{spec['code']}", "") for spec in case_type.fields
    }
    contact = ContactIn(
        is_anonymous=form.get("anonymous") == "on",
        name=form.get("name") or None,
        phone=form.get("phone") or None,
        email=form.get("email") or None,
        id_number=form.get("id_number") or None,
        address=form.get("address") or None,
        wants_reply=form.get("no_reply") != "on",
    )
    return CaseSubmit(
        type_code=case_type.code,
        title=form.get("title", ""),
        description=form.get("description", ""),
        place_text=form.get("place_text") or None,
        latitude=_float(form.get("latitude", "")),
        longitude=_float(form.get("longitude", "")),
        priority=form.get("priority") or "normal",
        attributes=attributes,
        contact=contact,
        channel=channel,
    )


async def read_form(request: Request) -> dict[str, str]:
    """Read a posted form as plain strings (uploads are not accepted here)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def duplicates_of(request: Request) -> DuplicateFinder:
    """Return the app's index of recent cases, kept between requests."""
    return request.app.state.case_duplicates


def routing_of(request: Request) -> RoutingTable:
    """Return the app's routing rules, kept between requests until they change."""
    return request.app.state.case_routing


def engine_of(request: Request, session: Any) -> TextEngine:
    """Return the app's text engine, current with the deployment's departments and regions."""
    return request.app.state.text_engines.get(session)

"""Turn an Open311 POST into a case submission: location, attributes, contact and anonymity."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.orm import Session

from minsheng.cases import service as cases
from minsheng.cases.models import Case, CaseType
from minsheng.cases.schemas import CaseSubmit, ContactIn
from minsheng.core.errors import NotFound, ValidationFailed
from minsheng.core.settings import Settings
from minsheng.open311.models import Open311Key, Open311Request
from minsheng.open311.params import Params, parse_moment
from minsheng.open311.service import public_type, resolve_days, service_notice
from minsheng.text.analysis import TextEngine

_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
_CJK = re.compile(r"[\u3400-\u9fff]")
# Where our intake's field names are Open311 parameters with other names.
_PARAMS = {
    "name": "first_name / last_name",
    "phone": "phone",
    "email": "email",
    "contact": "first_name, last_name, phone",
    "description": "description",
    "place_text": "address_string",
    "latitude": "lat",
    "longitude": "long",
}


@dataclass
class Submission:
    """A case taken in through Open311, with what the POST response reports."""

    case: Case
    token: str
    notice: str
    account_id: str | None


def _attributes(params: Params, case_type: CaseType, zone: ZoneInfo) -> dict[str, Any]:
    given: dict[str, list[str]] = {}
    for name, value in params.items():
        match = _ATTRIBUTE.match(name)
        if match:
            given.setdefault(match.group(1), []).append(value)
    attributes: dict[str, Any] = {}
    for spec in case_type.fields:
        code = str(spec["code"])
        values = given.get(code)
        if not values:
            continue
        if len(values) > 1:
            raise ValidationFailed(f"attribute[{code}] 只能有一个取值", field=code)
        value = values[0]
        if spec.get("kind") == "date" and "T" in value:
            value = (
                parse_moment(value, zone=zone, name=f"attribute[{code}]").astimezone(zone).date().isoformat()
            )
        attributes[code] = value
    return attributes


def _full_name(first: str | None, last: str | None) -> str | None:
    if _CJK.search((first or "") + (last or "")):
        return (last or "") + (first or "") or None  # 姓在前
    return " ".join(part for part in (first, last) if part) or None


def _contact(params: Params, case_type: CaseType) -> ContactIn:
    name = _full_name(params.get("first_name", max_length=32), params.get("last_name", max_length=32))
    phone = params.get("phone", max_length=32)
    email = params.get("email", max_length=255)
    if not (name or phone or email):
        if not case_type.allows_anonymous:
            raise ValidationFailed(f"“{case_type.name}”不接受匿名提交，请留下姓名和联系电话", field="contact")
        return ContactIn(is_anonymous=True)
    return ContactIn(name=name, phone=phone, email=email)


def _media_url(params: Params) -> str | None:
    url = params.get("media_url", max_length=500)
    if url is not None and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        raise ValidationFailed("media_url 应为 http 或 https 网址", field="media_url")
    return url


def _location(params: Params) -> tuple[float | None, float | None, str | None, str | None]:
    lat = params.number("lat", low=-90, high=90)
    long = params.number("long", low=-180, high=180)
    address = params.get("address_string", max_length=200)
    address_id = params.get("address_id", max_length=64)
    if (lat is None) != (long is None):
        raise ValidationFailed("lat 和 long 须同时提供", field="lat")
    if lat is None and address is None and address_id is None:
        raise ValidationFailed("请提供位置：lat 和 long、address_string 或 address_id", field="lat")
    return lat, long, address, address_id


def _reworded(error: ValidationError | ValidationFailed) -> ValidationFailed:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        field = str(first["loc"][-1]) if first["loc"] else None
        message = str(first["msg"]).removeprefix("Value error, ")
    else:
        field, message = error.field, error.message
    param = _PARAMS.get(field or "")
    if param is None and field:
        param = field if field.startswith("attribute[") else f"attribute[{field}]"
    return ValidationFailed(f"{message}（{param}）" if param else message, field=field)


def submit_request(
    session: Session, *, params: Params, key: Open311Key, settings: Settings, engine: TextEngine
) -> Submission:
    """Store an Open311 service request as a case, with its token and the fields cases do not keep."""
    code = params.get("service_code", max_length=64)
    if code is None:
        raise ValidationFailed("缺少 service_code", field="service_code")
    try:
        case_type = public_type(session, code)
    except NotFound as error:
        raise ValidationFailed(f"service_code {code} 无效", field="service_code") from error
    lat, long, address, address_id = _location(params)
    media_url = _media_url(params)
    device_id = params.get("device_id", max_length=128)
    account_id = params.get("account_id", max_length=128)
    description = params.get("description")
    if description is None:
        raise ValidationFailed("缺少 description：请描述要反映的情况", field="description")
    try:
        data = CaseSubmit(
            type_code=case_type.code,
            description=description,
            place_text=address,
            latitude=lat,
            longitude=long,
            attributes=_attributes(params, case_type, ZoneInfo(settings.timezone)),
            contact=_contact(params, case_type),
            channel="open311",
        )
        intake = cases.submit(session, data=data, settings=settings, engine=engine)
    except (ValidationError, ValidationFailed) as error:
        raise _reworded(error) from error
    extra = Open311Request(
        case_id=intake.case.id,
        key_id=key.id,
        token=secrets.token_hex(16),
        address_id=address_id,
        media_url=media_url,
        device_id=device_id,
        account_id=account_id,
    )
    session.add(extra)
    session.flush()
    days = resolve_days(session, {case_type.id}).get(case_type.id)
    notice = f"{service_notice(days)}。受理编号 {intake.case.tracking_no}"
    return Submission(case=intake.case, token=extra.token, notice=notice, account_id=extra.account_id)

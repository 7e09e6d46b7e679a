"""Input shapes of case intake and actions, validated the same way for the form, the API and Open311."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from minsheng.cases.models import CaseType
from minsheng.core.errors import ValidationFailed

PRIORITIES = {"normal": "一般", "urgent": "紧急", "critical": "特急"}
CHANNELS = {
    "web": "网站",
    "phone": "电话",
    "api": "接口",
    "open311": "Open311",
    "import": "批量导入",
    "alert": "舆情预警",
    "plan": "规划任务",
}
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
# Control characters other than newline and tab never belong in what people type into a form.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str | None) -> str:
    """Normalise to NFC, drop control and bidi characters and trim."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", value or "")).strip()


def clean_phone(value: str | None) -> str | None:
    """Accept a mainland mobile or landline number in common spellings; reject anything else."""
    if not value or not value.strip():
        return None
    compact = re.sub(r"[\s()（）]", "", unicodedata.normalize("NFKC", value)).removeprefix("+86")
    if _MOBILE.match(compact) or _LANDLINE.match(compact):
        return compact
    raise ValueError("请填写正确的手机号或座机号（如 13800000000 或 0635-8888888）")


class ContactIn(BaseModel):
    """Who reported, as much as they chose to say."""

    model_config = ConfigDict(str_max_length=255)

    is_anonymous: bool = False
    name: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=255)
    id_number: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=255)
    wants_reply: bool = True

    @field_validator("name", "email", "id_number", "address")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return clean_text(value) or None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return clean_phone(value)

    @model_validator(mode="after")
    def _anonymous_keeps_nothing(self) -> ContactIn:
        if self.is_anonymous:
            self.name = self.phone = self.email = self.id_number = self.address = None
            self.wants_reply = False
        return self


class CaseSubmit(BaseModel):
    """A new case from any channel."""

    type_code: str = Field(max_length=32)
    title: str = Field(default="", max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    category: str | None = Field(default=None, max_length=64)
    place_text: str | None = Field(default=None, max_length=200)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    priority: str = "normal"
    attributes: dict[str, Any] = Field(default_factory=dict)
    contact: ContactIn = Field(default_factory=ContactIn)
    channel: str = "web"
    external_id: str | None = Field(default=None, max_length=64)

    @field_validator("title", "description", "place_text", "category")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return clean_text(value) if value is not None else None

    @field_validator("description")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if len(value) < 5:
            raise ValueError("请把情况描述得具体一些（至少 5 个字）")
        return value

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: str) -> str:
        if value not in PRIORITIES:
            raise ValueError(f"优先级只能是 {', '.join(PRIORITIES)}")
        return value

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        if value not in CHANNELS:
            raise ValueError(f"渠道只能是 {', '.join(CHANNELS)}")
        return value

    @model_validator(mode="after")
    def _default_title(self) -> CaseSubmit:
        if not self.title:
            first_line = self.description.splitlines()[0]
            self.title = first_line[:30] + ("…" if len(first_line) > 30 else "")
        return self


def check_contact(case_type: CaseType, contact: ContactIn) -> None:
    """Require a name and a way to reach the citizen unless the type takes anonymous reports."""
    if contact.is_anonymous:
        if not case_type.allows_anonymous:
            raise ValidationFailed(f"“{case_type.name}”不接受匿名提交，请留下姓名和联系电话", field="contact")
        return
    if not contact.name:
        raise ValidationFailed("请填写姓名", field="name")
    if not contact.phone:
        raise ValidationFailed("请填写联系电话，以便承办单位联系您", field="phone")


def _check_value(spec: dict[str, Any], value: Any) -> Any:
    label, kind = spec["label"], spec.get("kind", "text")
    if kind == "choice":
        keys = {c["key"] for c in spec.get("choices", [])}
        if value not in keys:
            raise ValidationFailed(f"“{label}”的取值无效", field=spec["code"])
        return value
    if kind == "number":
        try:
            return float(value) if "." in str(value) else int(str(value))
        except ValueError:
            raise ValidationFailed(f"“{label}”应为数字", field=spec["code"]) from None
    if kind == "date":
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValidationFailed(f"“{label}”应为日期（如 2026-11-23）", field=spec["code"]) from None
    text = clean_text(str(value))
    if len(text) > 500:
        raise ValidationFailed(f"“{label}”过长", field=spec["code"])
    return text


def check_attributes(case_type: CaseType, attributes: dict[str, Any]) -> dict[str, Any]:
    """Validate the type-specific fields: required ones present, choices known, numbers and dates parsed."""
    cleaned: dict[str, Any] = {}
    for spec in case_type.fields:
        code = str(spec["code"])
        value = attributes.get(code)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.get("required"):
                raise ValidationFailed(f"请填写“{spec['label']}”", field=code)
            continue
        cleaned[code] = _check_value(spec, value)
    return cleaned


class ActionIn(BaseModel):
    """An action on a case with what it needs: a note, a department, days or a rating."""

    action: str
    note: str = Field(default="", max_length=5000)
    public_note: str | None = Field(default=None, max_length=5000)
    department_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    partner_ids: list[int] = Field(default_factory=list, max_length=20)
    days: int | None = Field(default=None, ge=1, le=60)
    satisfaction: str | None = None
    target_case_id: int | None = Field(default=None, ge=1, le=2**31 - 1)

    @field_validator("note", "public_note")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return clean_text(value) if value is not None else None

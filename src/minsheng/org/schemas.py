"""Input and output shapes of departments, with the text normalisation every entry point shares."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from minsheng.org.division import UnknownRegionError, normalize_region_code

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
ALIAS_SEPARATORS = re.compile(r"[、;,]")
FIELD_LABELS = {
    "code": "编码",
    "name": "名称",
    "aliases": "简称/别名",
    "parent_id": "上级部门",
    "parent_code": "上级编码",
    "region_code": "行政区划代码",
    "is_active": "启用",
    "sort_order": "排序",
}


def normalize_text(value: str) -> str:
    """Fold full-width forms to half-width (NFKC), collapse whitespace and trim."""
    return " ".join(unicodedata.normalize("NFKC", value).split())


def split_aliases(value: str | list[str] | None) -> list[str]:
    """Split aliases on 、 ; , (full- or half-width), normalise them and drop blanks and repeats."""
    if value is None:
        return []
    parts = ALIAS_SEPARATORS.split(normalize_text(value)) if isinstance(value, str) else value
    aliases: list[str] = []
    for part in parts:
        alias = normalize_text(str(part))
        if alias and alias not in aliases:
            aliases.append(alias)
    return aliases


def _clean_code(value: str) -> str:
    code = normalize_text(value)
    if not CODE_PATTERN.match(code):
        raise ValueError("编码只能包含字母、数字、点、下划线和连字符，且以字母或数字开头")
    return code


def _clean_region_code(value: str | None) -> str | None:
    if value is None or not normalize_text(value):
        return None
    try:
        return normalize_region_code(normalize_text(value))
    except UnknownRegionError as exc:
        raise ValueError(exc.message) from exc


def _clean_aliases(value: Any) -> list[str]:
    aliases = split_aliases(value)
    if any(len(alias) > 128 for alias in aliases):
        raise ValueError("每个简称/别名最多 128 个字符")
    return aliases


class DepartmentCreate(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=128)
    aliases: list[str] = Field(default_factory=list)
    parent_id: int | None = None
    region_code: str | None = None
    is_active: bool = True
    sort_order: int = 0

    _code = field_validator("code")(_clean_code)
    _region = field_validator("region_code")(_clean_region_code)
    _aliases = field_validator("aliases", mode="before")(_clean_aliases)

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> Any:
        return normalize_text(value) if isinstance(value, str) else value


class DepartmentUpdate(BaseModel):
    """Fields to change; a field left out stays as it is, and parent_id or region_code set to None clear."""

    code: str | None = Field(default=None, min_length=1, max_length=32)
    name: str | None = Field(default=None, min_length=1, max_length=128)
    aliases: list[str] | None = None
    parent_id: int | None = None
    region_code: str | None = None
    is_active: bool | None = None
    sort_order: int | None = None

    _region = field_validator("region_code")(_clean_region_code)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        return None if value is None else _clean_code(value)

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> Any:
        return normalize_text(value) if isinstance(value, str) else value

    @field_validator("aliases", mode="before")
    @classmethod
    def _aliases(cls, value: Any) -> list[str] | None:
        return None if value is None else _clean_aliases(value)


class DepartmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    aliases: list[str]
    parent_id: int | None
    region_code: str | None
    is_active: bool
    sort_order: int
    created_at: datetime
    updated_at: datetime


_ERROR_TEMPLATES = {
    "missing": "{label}不能为空",
    "string_too_short": "{label}不能为空",
    "string_too_long": "{label}过长（最多 {max_length} 个字符）",
    "int_parsing": "{label}应为整数",
    "int_type": "{label}应为整数",
    "bool_parsing": "{label}应为“是”或“否”",
    "bool_type": "{label}应为“是”或“否”",
    "string_type": "{label}应为文本",
    "list_type": "{label}应为列表",
}


def describe_validation_error(exc: ValidationError) -> str:
    """Render a Pydantic validation error as one Chinese sentence fit for a user."""
    messages: list[str] = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        label = FIELD_LABELS.get(field, field)
        if error["type"] == "value_error":
            message = f"{label}：{error['ctx']['error']}"
        else:
            template = _ERROR_TEMPLATES.get(error["type"], "{label}格式不正确")
            message = template.format(label=label, **error.get("ctx", {}))
        if message not in messages:
            messages.append(message)
    return "；".join(messages)

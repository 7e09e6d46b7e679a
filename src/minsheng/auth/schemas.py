"""Input and output shapes of users and API tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from minsheng.auth.models import Role

USERNAME_PATTERN = r"^[A-Za-z0-9_.\-]{2,64}$"


def _known_roles(roles: list[str]) -> list[str]:
    unknown = [role for role in roles if role not in Role.__members__]
    if unknown:
        raise ValueError(f"未知角色: {', '.join(unknown)}")
    return sorted(set(roles), key=list(Role.__members__).index)


class UserCreate(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN)
    display_name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    roles: list[str] = Field(min_length=1)
    department_id: int
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=32)

    _roles = field_validator("roles")(_known_roles)

    @field_validator("display_name", "username")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class UserUpdate(BaseModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=64)
    roles: list[str] | None = None
    department_id: int | None = None
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=32)

    @field_validator("roles")
    @classmethod
    def _roles(cls, roles: list[str] | None) -> list[str] | None:
        if roles is None:
            return None
        if not roles:
            raise ValueError("至少需要一个角色")
        return _known_roles(roles)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    roles: list[str]
    department_id: int
    is_active: bool
    last_login_at: datetime | None


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    scopes: list[str] = Field(min_length=1)
    days: int | None = Field(default=None, ge=1, le=3650)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

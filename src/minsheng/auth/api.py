"""JSON API for accounts: who am I, and the user list for administrators."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from minsheng.auth import service
from minsheng.auth.schemas import UserRead
from minsheng.web.deps import AdminUser, CurrentUser, DbSession

router = APIRouter(prefix="/api/v1", tags=["auth"])


class MeRead(UserRead):
    department_name: str
    scopes: list[str] | None = None


class UserList(BaseModel):
    items: list[UserRead]
    total: int


@router.get("/me", response_model=MeRead)
def me(user: CurrentUser) -> MeRead:
    """Return the calling account."""
    return MeRead(**UserRead.model_validate(user).model_dump(), department_name=user.department.name)


@router.get("/users", response_model=UserList)
def users(db: DbSession, admin: AdminUser, q: str | None = None, role: str | None = None) -> UserList:
    """List accounts (administrators with the admin scope)."""
    items = [UserRead.model_validate(u) for u in service.list_users(db, query=q, role=role)]
    return UserList(items=items, total=len(items))

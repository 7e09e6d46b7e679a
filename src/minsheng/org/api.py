"""JSON API for departments and regions (read scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from minsheng.auth.models import User
from minsheng.core.errors import NotFound
from minsheng.org import service
from minsheng.org.regions import list_child_regions, search_regions
from minsheng.org.schemas import DepartmentRead
from minsheng.web.deps import DbSession, require_role

router = APIRouter(prefix="/api/v1", tags=["org"])
Reader = Annotated[User, Depends(require_role(scope="read"))]


class RegionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    short_name: str
    level: int
    parent_code: str | None


@router.get("/departments", response_model=list[DepartmentRead])
def departments(
    db: DbSession, user: Reader, q: str | None = None, active: bool | None = None
) -> list[DepartmentRead]:
    """List departments, optionally filtered by text and state."""
    return [DepartmentRead.model_validate(d) for d in service.list_departments(db, query=q, is_active=active)]


@router.get("/departments/resolve", response_model=DepartmentRead)
def resolve(db: DbSession, user: Reader, name: str) -> DepartmentRead:
    """Find the department a name, code or alias refers to (市经信委 → 市经济和信息化委员会)."""
    dept = service.resolve_department(db, name)
    if dept is None:
        raise NotFound(f"找不到部门 {name}")
    return DepartmentRead.model_validate(dept)


@router.get("/regions", response_model=list[RegionRead])
def regions(db: DbSession, user: Reader, q: str | None = None, parent: str | None = None) -> list[RegionRead]:
    """Search regions by name, or list the children of a region (the top level without a parent)."""
    found = search_regions(db, query=q) if q else list_child_regions(db, code=parent)
    return [RegionRead.model_validate(r) for r in found]

"""Departments: creation, changes, activation, lookup by name or alias, and the department tree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minsheng.core.errors import Conflict, NotFound, ValidationFailed
from minsheng.org.models import Department, Region
from minsheng.org.schemas import DepartmentCreate, DepartmentUpdate, normalize_text

Snapshot = dict[str, object]


@dataclass(slots=True)
class DepartmentChange:
    """A department write with the before/after snapshots an audit row stores (before is None on create)."""

    action: str
    department: Department
    before: Snapshot | None
    after: Snapshot

    @property
    def is_changed(self) -> bool:
        return self.before != self.after


@dataclass(slots=True)
class DepartmentNode:
    """A department with its sub-departments, for tree views."""

    department: Department
    children: list[DepartmentNode] = field(default_factory=list)


def department_snapshot(dept: Department) -> Snapshot:
    """Return the audited view of a department."""
    return {
        "id": dept.id,
        "code": dept.code,
        "name": dept.name,
        "aliases": list(dept.aliases or []),
        "parent_id": dept.parent_id,
        "region_code": dept.region_code,
        "is_active": dept.is_active,
        "sort_order": dept.sort_order,
    }


def get_department(session: Session, *, department_id: int) -> Department:
    """Return a department by id, or raise NotFound."""
    dept = session.get(Department, department_id) if isinstance(department_id, int) else None
    if dept is None:
        raise NotFound("部门不存在")
    return dept


def get_department_by_code(session: Session, *, code: str) -> Department:
    """Return a department by its code, or raise NotFound."""
    dept = session.scalar(select(Department).where(Department.code == normalize_text(code)))
    if dept is None:
        raise NotFound(f"编码为 {code} 的部门不存在")
    return dept


def check_labels(others: Iterable[tuple[str, list[str]]], *, name: str, aliases: list[str]) -> None:
    """Raise Conflict when the name or an alias is already one of the other departments' names or aliases."""
    for other_name, other_aliases in others:
        if name == other_name:
            raise Conflict(f"部门名称“{name}”已存在", field="name")
        if name in other_aliases:
            raise Conflict(f"部门名称“{name}”已是“{other_name}”的简称/别名", field="name")
        for alias in aliases:
            if alias == other_name:
                raise Conflict(f"简称/别名“{alias}”与部门“{other_name}”的名称相同", field="aliases")
            if alias in other_aliases:
                raise Conflict(f"简称/别名“{alias}”已被部门“{other_name}”使用", field="aliases")


def _other_labels(session: Session, department_id: int | None) -> list[tuple[str, list[str]]]:
    statement = select(Department)
    if department_id is not None:
        statement = statement.where(Department.id != department_id)
    return [(dept.name, list(dept.aliases or [])) for dept in session.scalars(statement)]


def _own_aliases(name: str, aliases: list[str]) -> list[str]:
    # An alias equal to the department's own name adds nothing to resolution.
    return [alias for alias in aliases if alias != name]


def _check_code(session: Session, *, code: str, department_id: int | None) -> None:
    other = session.scalar(select(Department.id).where(Department.code == code))
    if other is not None and other != department_id:
        raise Conflict(f"部门编码“{code}”已存在", field="code")


def _check_region(session: Session, region_code: str | None) -> None:
    if region_code is not None and session.get(Region, region_code) is None:
        raise ValidationFailed(
            f"行政区划代码 {region_code} 不在已加载的辖区内（可先运行区划加载）", field="region_code"
        )


def _check_parent(session: Session, *, department_id: int | None, parent_id: int | None) -> None:
    """Reject a missing parent and a parent that is the department itself or one of its descendants."""
    seen: set[int] = set()
    current = parent_id
    while current is not None and current not in seen:
        if current == department_id:
            raise ValidationFailed("上级部门不能是本部门或其下级部门", field="parent_id")
        parent = session.get(Department, current)
        if parent is None:
            raise ValidationFailed("上级部门不存在", field="parent_id")
        seen.add(current)
        current = parent.parent_id


def create_department(session: Session, *, data: DepartmentCreate) -> DepartmentChange:
    """Create a department after checking code, name, aliases, parent and region."""
    aliases = _own_aliases(data.name, data.aliases)
    _check_code(session, code=data.code, department_id=None)
    check_labels(_other_labels(session, None), name=data.name, aliases=aliases)
    _check_parent(session, department_id=None, parent_id=data.parent_id)
    _check_region(session, data.region_code)
    dept = Department(
        code=data.code,
        name=data.name,
        aliases=aliases,
        parent_id=data.parent_id,
        region_code=data.region_code,
        is_active=data.is_active,
        sort_order=data.sort_order,
    )
    session.add(dept)
    session.flush()
    return DepartmentChange("create", dept, None, department_snapshot(dept))


def update_department(session: Session, *, department_id: int, data: DepartmentUpdate) -> DepartmentChange:
    """Change the fields given in data after the same checks as creation."""
    dept = get_department(session, department_id=department_id)
    before = department_snapshot(dept)
    changes = data.model_dump(exclude_unset=True)
    for attr in ("code", "name", "aliases", "is_active", "sort_order"):
        # These columns cannot be empty, so None means "leave as is".
        if changes.get(attr, ...) is None:
            changes.pop(attr)
    name = changes.get("name", dept.name)
    aliases = _own_aliases(name, changes.get("aliases", list(dept.aliases or [])))
    if "code" in changes:
        _check_code(session, code=changes["code"], department_id=dept.id)
    check_labels(_other_labels(session, dept.id), name=name, aliases=aliases)
    if "parent_id" in changes:
        _check_parent(session, department_id=dept.id, parent_id=changes["parent_id"])
    if "region_code" in changes:
        _check_region(session, changes["region_code"])
    changes["aliases"] = aliases
    for attr, value in changes.items():
        if getattr(dept, attr) != value:
            setattr(dept, attr, value)
    session.flush()
    return DepartmentChange("update", dept, before, department_snapshot(dept))


def set_department_active(session: Session, *, department_id: int, is_active: bool) -> DepartmentChange:
    """Activate or deactivate a department; its history and sub-departments stay as they are."""
    dept = get_department(session, department_id=department_id)
    before = department_snapshot(dept)
    dept.is_active = is_active
    session.flush()
    action = "activate" if is_active else "deactivate"
    return DepartmentChange(action, dept, before, department_snapshot(dept))


def deactivate_department(session: Session, *, department_id: int) -> DepartmentChange:
    """Deactivate a department so it no longer receives new work."""
    return set_department_active(session, department_id=department_id, is_active=False)


def activate_department(session: Session, *, department_id: int) -> DepartmentChange:
    """Activate a department again."""
    return set_department_active(session, department_id=department_id, is_active=True)


def list_departments(
    session: Session,
    *,
    is_active: bool | None = None,
    query: str | None = None,
    parent_id: int | None = None,
    top_level: bool = False,
) -> list[Department]:
    """List departments by sort order, filtered by state, parent and text over name, code and aliases."""
    statement = select(Department).order_by(Department.sort_order, Department.code)
    if is_active is not None:
        statement = statement.where(Department.is_active.is_(is_active))
    if top_level:
        statement = statement.where(Department.parent_id.is_(None))
    elif parent_id is not None:
        statement = statement.where(Department.parent_id == parent_id)
    departments = list(session.scalars(statement))
    text = normalize_text(query or "").casefold()
    if not text:
        return departments
    # Aliases are a JSON list (stored escaped), so text matching happens here rather than in SQL.
    return [
        dept
        for dept in departments
        if any(text in label.casefold() for label in (dept.name, dept.code, *(dept.aliases or [])))
    ]


def department_tree(session: Session, *, is_active: bool | None = None) -> list[DepartmentNode]:
    """Return the departments as a forest; a child whose parent is filtered out becomes a root."""
    departments = list_departments(session, is_active=is_active)
    nodes = {dept.id: DepartmentNode(dept) for dept in departments}
    roots: list[DepartmentNode] = []
    for dept in departments:
        parent = nodes.get(dept.parent_id) if dept.parent_id is not None else None
        (parent.children if parent is not None else roots).append(nodes[dept.id])
    return roots


def resolve_department(session: Session, name: str) -> Department | None:
    """Find a department by exact name, code or alias (市经信委 → 市经济和信息化委员会), active ones first."""
    text = normalize_text(name)
    if not text:
        return None
    for column in (Department.name, Department.code):
        dept = session.scalar(
            select(Department).where(column == text).order_by(Department.is_active.desc(), Department.id)
        )
        if dept is not None:
            return dept
    matches = [dept for dept in session.scalars(select(Department)) if text in (dept.aliases or [])]
    matches.sort(key=lambda dept: (not dept.is_active, dept.id))
    return matches[0] if matches else None


def delete_department(session: Session, *, department_id: int) -> Snapshot:
    """Delete a department nothing refers to; return its last snapshot for the audit log."""
    dept = get_department(session, department_id=department_id)
    if session.scalar(select(Department.id).where(Department.parent_id == dept.id).limit(1)) is not None:
        raise Conflict("该部门下还有下级部门，无法删除；可改为停用")
    snapshot = department_snapshot(dept)
    try:
        with session.begin_nested():
            session.delete(dept)
            session.flush()
    except IntegrityError as error:
        raise Conflict("该部门仍被用户或其他记录引用，无法删除；可改为停用") from error
    return snapshot

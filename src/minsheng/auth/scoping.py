"""The one place that decides which departments' records a user may see."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from minsheng.auth.models import Role, User
from minsheng.org.models import Department

T = TypeVar("T", bound=tuple[Any, ...])

# Roles whose work spans the whole jurisdiction rather than one department.
JURISDICTION_WIDE_ROLES = frozenset({Role.admin, Role.analyst, Role.dispatcher, Role.supervisor, Role.leader})


def visible_department_ids(session: Session, user: User) -> set[int] | None:
    """Return the departments whose records the user may read, or None for all of them."""
    if any(role in JURISDICTION_WIDE_ROLES for role in user.roles):
        return None
    rows = session.execute(select(Department.id, Department.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for dept_id, parent_id in rows:
        children.setdefault(parent_id, []).append(dept_id)
    visible = {user.department_id}
    frontier = [user.department_id]
    while frontier:
        current = frontier.pop()
        for child in children.get(current, []):
            if child not in visible:
                visible.add(child)
                frontier.append(child)
    return visible


def scope_to_user(
    stmt: Select[T], *, session: Session, user: User, department_column: InstrumentedAttribute[Any]
) -> Select[T]:
    """Restrict a query to rows whose department the user may see (own department and its units)."""
    visible = visible_department_ids(session, user)
    if visible is None:
        return stmt
    return stmt.where(department_column.in_(sorted(visible)))

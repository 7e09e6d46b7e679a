"""Import and export departments as CSV or XLSX with Chinese column headers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from minsheng.core.errors import Conflict
from minsheng.org.models import Department, Region
from minsheng.org.schemas import DepartmentCreate, describe_validation_error, normalize_text
from minsheng.org.service import DepartmentChange, check_labels, department_snapshot
from minsheng.org.tabular import InvalidTable, TableFormat, map_header, read_table, write_table

# The first name of each column is the header an export writes.
HEADER_NAMES = {
    "code": ("编码", "部门编码", "单位编码", "代码", "code"),
    "name": ("名称", "部门名称", "单位名称", "name"),
    "aliases": ("简称/别名", "别名/简称", "简称", "别名", "简称别名", "aliases", "alias"),
    "parent_code": ("上级编码", "上级部门编码", "上级单位编码", "parent_code", "parent"),
    "region_code": ("行政区划代码", "区划代码", "行政区划", "region_code", "region"),
    "is_active": ("启用", "是否启用", "active", "is_active", "enabled"),
}
REQUIRED_COLUMNS = ("code", "name")
ALIAS_JOINER = "、"
_TRUE = frozenset({"是", "启用", "有效", "y", "yes", "true", "1"})
_FALSE = frozenset({"否", "停用", "禁用", "无效", "n", "no", "false", "0"})


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one row of an import file (row numbers count the header as row 1)."""

    row: int
    message: str
    code: str | None = None


@dataclass(slots=True)
class ImportReport:
    """The outcome of an import: codes created, updated and unchanged, row errors and audited changes."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False
    changes: list[DepartmentChange] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        return not self.errors


@dataclass(slots=True)
class _Row:
    number: int
    code: str
    values: dict[str, Any]


def export_departments(session: Session, *, fmt: TableFormat) -> bytes:
    """Write every department with the import columns, so the file re-imports unchanged."""
    departments = list(session.scalars(select(Department).order_by(Department.sort_order, Department.code)))
    codes = {dept.id: dept.code for dept in departments}
    rows = [
        [
            dept.code,
            dept.name,
            ALIAS_JOINER.join(dept.aliases or []),
            codes.get(dept.parent_id, "") if dept.parent_id is not None else "",
            dept.region_code or "",
            "是" if dept.is_active else "否",
        ]
        for dept in departments
    ]
    return write_table([names[0] for names in HEADER_NAMES.values()], rows, fmt=fmt, title="部门")


def import_departments(
    session: Session, *, content: bytes, filename: str, dry_run: bool = False, skip_invalid: bool = False
) -> ImportReport:
    """Upsert departments by code from a CSV or XLSX file and report what changed and which rows failed.

    With errors the whole file is rejected unless ``skip_invalid`` is set, in which case the valid rows are
    written. ``dry_run`` computes the same report without writing anything.
    """
    table = read_table(content, filename)
    columns = map_header(table[0], names=HEADER_NAMES, required=REQUIRED_COLUMNS)
    report = ImportReport(dry_run=dry_run)
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        row = _parse_row(number, cells, columns, report)
        if row is None:
            continue
        if row.code in seen:
            report.errors.append(RowError(number, f"编码 {row.code} 与第 {seen[row.code]} 行重复", row.code))
            continue
        seen[row.code] = number
        rows.append(row)
    if not rows and not report.errors:
        raise InvalidTable("文件中没有数据行")

    existing = {dept.code: dept for dept in session.scalars(select(Department))}
    rows = _validate(session, rows, existing, report)
    report.errors.sort(key=lambda error: error.row)
    # Writing inside a savepoint lets a dry run or a rejected file report exactly what would have changed.
    savepoint = session.begin_nested()
    try:
        changes = _apply(session, rows, existing)
    except BaseException as exc:
        savepoint.rollback()
        if isinstance(exc, IntegrityError):
            raise Conflict("导入的数据与现有部门冲突（如两个部门互换名称或编码），请分两次导入") from exc
        raise
    for change in changes:
        code = change.department.code
        if change.before is None:
            report.created.append(code)
        elif change.is_changed:
            report.updated.append(code)
        else:
            report.unchanged.append(code)
    if dry_run or (report.errors and not skip_invalid):
        savepoint.rollback()
    else:
        savepoint.commit()
        report.changes = [change for change in changes if change.is_changed]
        report.applied = True
    return report


def _parse_row(number: int, cells: list[str], columns: dict[str, int], report: ImportReport) -> _Row | None:
    raw = {column: (cells[index] if index < len(cells) else "") for column, index in columns.items()}
    code = normalize_text(raw["code"]) or None
    fields: dict[str, Any] = {"code": raw["code"], "name": raw["name"]}
    if "aliases" in raw:
        fields["aliases"] = raw["aliases"]
    if "region_code" in raw:
        fields["region_code"] = raw["region_code"] or None
    if raw.get("is_active"):
        active = normalize_text(raw["is_active"]).casefold()
        if active not in _TRUE | _FALSE:
            report.errors.append(RowError(number, "“启用”列应填写“是”或“否”", code))
            return None
        fields["is_active"] = active in _TRUE
    try:
        data = DepartmentCreate(**fields)
    except ValidationError as exc:
        report.errors.append(RowError(number, describe_validation_error(exc), code))
        return None
    values = data.model_dump(include={"name", *fields} - {"code"})
    if "parent_code" in raw:
        values["parent_code"] = normalize_text(raw["parent_code"]) or None
    return _Row(number, data.code, values)


def _final_state(rows: list[_Row], existing: dict[str, Department]) -> dict[str, dict[str, Any]]:
    """Return every department as it would be after the import, keyed by code."""
    codes = {dept.id: code for code, dept in existing.items()}
    state = {
        code: {
            "name": dept.name,
            "aliases": list(dept.aliases or []),
            "parent_code": codes.get(dept.parent_id) if dept.parent_id is not None else None,
        }
        for code, dept in existing.items()
    }
    for row in rows:
        base = state.get(row.code, {"aliases": [], "parent_code": None})
        state[row.code] = {**base, **row.values}
        state[row.code]["aliases"] = [a for a in state[row.code]["aliases"] if a != state[row.code]["name"]]
    return state


def _validate(
    session: Session, rows: list[_Row], existing: dict[str, Department], report: ImportReport
) -> list[_Row]:
    """Drop rows that clash with each other or the database, repeating until the rest are consistent."""
    wanted_regions = {row.values["region_code"] for row in rows if row.values.get("region_code")}
    known_regions = set(session.scalars(select(Region.code).where(Region.code.in_(wanted_regions))))
    while True:
        errors = _row_errors(rows, existing, known_regions)
        if not errors:
            return rows
        report.errors.extend(errors.values())
        rows = [row for row in rows if row.number not in errors]


def _row_errors(
    rows: list[_Row], existing: dict[str, Department], known_regions: set[str]
) -> dict[int, RowError]:
    state = _final_state(rows, existing)
    position = {row.code: index for index, row in enumerate(rows)}
    owners: dict[str, set[str]] = defaultdict(set)
    for code, record in state.items():
        for label in (record["name"], *record["aliases"]):
            owners[label].add(code)
    errors: dict[int, RowError] = {}

    def fail(row: _Row, message: str) -> None:
        errors.setdefault(row.number, RowError(row.number, message, row.code))

    for index, row in enumerate(rows):
        record = state[row.code]
        rivals = {
            code
            for label in (record["name"], *record["aliases"])
            for code in owners[label]
            # A clash between two rows of the file is reported on the later one only.
            if code != row.code and position.get(code, -1) < index
        }
        try:
            check_labels(
                [(state[c]["name"], state[c]["aliases"]) for c in sorted(rivals)],
                name=record["name"],
                aliases=record["aliases"],
            )
        except Conflict as exc:
            fail(row, exc.message)
        region = row.values.get("region_code")
        if region and region not in known_regions:
            fail(row, f"行政区划代码 {region} 不在已加载的辖区内")
        parent = record["parent_code"]
        if parent is not None and parent not in state:
            fail(row, f"上级编码 {parent} 不存在（文件和系统中都没有该编码）")
        elif _has_cycle(row.code, state):
            fail(row, "上级编码形成循环：部门不能是自己或自己下级部门的下级")
    return errors


def _has_cycle(code: str, state: dict[str, dict[str, Any]]) -> bool:
    seen = {code}
    current = state[code]["parent_code"]
    while current is not None and current in state:
        if current in seen:
            return True
        seen.add(current)
        current = state[current]["parent_code"]
    return False


def _apply(session: Session, rows: list[_Row], existing: dict[str, Department]) -> list[DepartmentChange]:
    """Write the rows, fields first and parents once every department in the file has an id."""
    before = {row.code: department_snapshot(existing[row.code]) for row in rows if row.code in existing}
    departments = dict(existing)
    for row in rows:
        dept = departments.get(row.code)
        if dept is None:
            dept = departments[row.code] = Department(code=row.code, aliases=[])
            session.add(dept)
        for attr, value in row.values.items():
            if attr != "parent_code":
                setattr(dept, attr, value)
        dept.aliases = [alias for alias in dept.aliases or [] if alias != dept.name]
    session.flush()
    for row in rows:
        if "parent_code" in row.values:
            parent = row.values["parent_code"]
            departments[row.code].parent_id = departments[parent].id if parent is not None else None
    session.flush()
    return [
        DepartmentChange(
            "import_update" if row.code in before else "import_create",
            departments[row.code],
            before.get(row.code),
            department_snapshot(departments[row.code]),
        )
        for row in rows
    ]

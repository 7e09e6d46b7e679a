"""Import cases from CSV or XLSX (a hotline's call log): one submission per row, errors reported by row."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy.orm import Session

from minsheng.auth.models import User
from minsheng.cases.duplicates import DuplicateFinder
from minsheng.cases.forms import describe
from minsheng.cases.intake import list_case_types
from minsheng.cases.schemas import CaseSubmit, ContactIn
from minsheng.cases.service import submit
from minsheng.core.errors import MinshengError
from minsheng.core.settings import Settings
from minsheng.org.tabular import map_header, read_table
from minsheng.text.analysis import TextEngine

COLUMNS: dict[str, list[str]] = {
    "type": ["类型", "type", "受理类型"],
    "title": ["标题", "title"],
    "description": ["内容", "description", "诉求内容", "情况描述"],
    "place": ["地点", "place", "地址"],
    "name": ["姓名", "name", "来电人"],
    "phone": ["电话", "phone", "联系电话"],
    "external_id": ["外部编号", "external_id", "原编号"],
    "priority": ["优先级", "priority"],
}
MAX_ROWS = 5000
_PRIORITY_NAMES = {"一般": "normal", "紧急": "urgent", "特急": "critical"}


@dataclass
class ImportOutcome:
    """How many rows became cases and why the others did not."""

    created: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def _row_submission(values: dict[str, str], types: dict[str, str]) -> CaseSubmit:
    type_text = values.get("type", "").strip() or "complaint"
    return CaseSubmit(
        type_code=types.get(type_text, type_text),
        title=values.get("title", ""),
        description=values.get("description", ""),
        place_text=values.get("place") or None,
        priority=_PRIORITY_NAMES.get(
            values.get("priority", "").strip(), values.get("priority", "").strip() or "normal"
        ),
        contact=ContactIn(name=values.get("name") or None, phone=values.get("phone") or None),
        channel="import",
        external_id=values.get("external_id") or None,
    )


def import_cases(
    session: Session,
    *,
    content: bytes,
    filename: str,
    settings: Settings,
    engine: TextEngine,
    user: User,
    duplicates: DuplicateFinder | None = None,
) -> ImportOutcome:
    """Submit every row; a bad row is skipped with its reason and the others still go in."""
    rows = read_table(content, filename)
    if not rows:
        return ImportOutcome(errors=[(1, "文件是空的")])
    columns = map_header(rows[0], names=COLUMNS, required=["description"])
    if len(rows) - 1 > MAX_ROWS:
        return ImportOutcome(errors=[(1, f"一次最多导入 {MAX_ROWS} 行，请拆分文件")])
    types = {t.name: t.code for t in list_case_types(session)}
    finder = duplicates or DuplicateFinder()
    outcome = ImportOutcome()
    for line, row in enumerate(rows[1:], start=2):
        values = {key: (row[index] if index < len(row) else "").strip() for key, index in columns.items()}
        if not any(values.values()):
            continue
        try:
            with session.begin_nested():
                data = _row_submission(values, types)
                intake = submit(
                    session, data=data, settings=settings, engine=engine, user=user, duplicates=finder
                )
            outcome.created.append(intake.case.tracking_no)
        except (MinshengError, ValidationError) as exc:
            outcome.errors.append((line, describe(exc)))
    return outcome

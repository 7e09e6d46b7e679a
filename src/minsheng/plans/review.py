"""The review page's data: rows from an extraction or a posted form, the highlighted document, the draft."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup, escape
from pydantic import ValidationError

from minsheng.cases.forms import describe
from minsheng.plans.extract import PlanExtraction
from minsheng.plans.schemas import PlanDraft, TargetDraft, TaskDraft
from minsheng.plans.units import split_unit_names

MAX_ROWS = 500
_JOIN = "、"


@dataclass
class TaskRow:
    """A task row of the review form, as strings so a bad entry is shown back as typed."""

    task_no: str = ""
    title: str = ""
    lead: str = ""
    partner: str = ""
    deadline: str = ""
    section: str = ""
    offset: int = 0
    quote_start: int = 0
    quote_end: int = 0
    removed: bool = False


@dataclass
class TargetRow:
    """A target row of the review form."""

    indicator: str = ""
    comparator: str = ">="
    value: str = ""
    unit: str = ""
    year: str = ""
    baseline: str = ""
    per_year: bool = False
    growth: bool = False
    quote: str = ""
    offset: int = 0
    removed: bool = False


@dataclass
class Review:
    """Everything the review page shows and posts back."""

    text: str
    source_name: str = ""
    title: str = ""
    authority: str = ""
    doc_number: str = ""
    signed_on: str = ""
    published_on: str = ""
    tasks: list[TaskRow] = field(default_factory=list)
    targets: list[TargetRow] = field(default_factory=list)
    unit_choices: dict[str, str] = field(default_factory=dict)

    def kept_unit_names(self) -> list[str]:
        """Return every unit name of the tasks still kept, in order of appearance."""
        names: list[str] = []
        for row in self.tasks:
            if not row.removed:
                for name in split_unit_names(row.lead) + split_unit_names(row.partner):
                    if name not in names:
                        names.append(name)
        return names


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def _number(value: float | int) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def review_of(extraction: PlanExtraction, *, source_name: str) -> Review:
    """Lay out an extraction as review rows; units a task only names as 责任单位 lead in turn of writing."""
    tasks = []
    for task in extraction.tasks:
        lead, partner = list(task.lead_units), list(task.partner_units)
        if not lead and task.responsible_units:
            lead, partner = task.responsible_units[:1], task.responsible_units[1:] + partner
        tasks.append(
            TaskRow(
                task_no=task.task_no,
                title=task.title[:200],
                lead=_JOIN.join(lead),
                partner=_JOIN.join(partner),
                section=task.section[:200],
                offset=task.offset,
                quote_start=task.quote_offset,
                quote_end=task.quote_offset + len(task.quote),
            )
        )
    targets = [
        TargetRow(
            indicator=target.indicator[:200],
            comparator=target.comparator if target.comparator in (">=", "=", "~", "<=") else ">=",
            value=_number(target.value),
            unit=target.unit,
            year=str(target.year or ""),
            per_year=target.per_year,
            growth=target.growth,
            quote=target.quote,
            offset=target.offset,
        )
        for target in extraction.targets
    ]
    return Review(
        text=extraction.text,
        source_name=source_name,
        title=(extraction.title or "")[:200],
        authority=extraction.authority or "",
        doc_number=extraction.doc_number or "",
        signed_on=_iso(extraction.signed_on),
        published_on=_iso(extraction.published_on),
        tasks=tasks,
        targets=targets,
    )


def _int(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def review_from_form(form: dict[str, str]) -> Review:
    """Read the review form back: rows by index, removal boxes and the choices for unknown units."""
    review = Review(
        # Browsers send line breaks in form values as CRLF; the offsets count the text's own LF breaks.
        text=form.get("text", "").replace("\r\n", "\n"),
        source_name=form.get("source_name", ""),
        title=form.get("title", ""),
        authority=form.get("authority", ""),
        doc_number=form.get("doc_number", ""),
        signed_on=form.get("signed_on", ""),
        published_on=form.get("published_on", ""),
    )
    for index in range(min(_int(form.get("task_count")), MAX_ROWS)):
        prefix = f"task-{index}-"
        review.tasks.append(
            TaskRow(
                task_no=form.get(prefix + "task_no", ""),
                title=form.get(prefix + "title", ""),
                lead=form.get(prefix + "lead", ""),
                partner=form.get(prefix + "partner", ""),
                deadline=form.get(prefix + "deadline", ""),
                section=form.get(prefix + "section", ""),
                offset=_int(form.get(prefix + "offset")),
                quote_start=_int(form.get(prefix + "quote_start")),
                quote_end=_int(form.get(prefix + "quote_end")),
                removed=form.get(prefix + "remove") == "on",
            )
        )
    for index in range(min(_int(form.get("target_count")), MAX_ROWS)):
        prefix = f"target-{index}-"
        review.targets.append(
            TargetRow(
                indicator=form.get(prefix + "indicator", ""),
                comparator=form.get(prefix + "comparator", ">="),
                value=form.get(prefix + "value", ""),
                unit=form.get(prefix + "unit", ""),
                year=form.get(prefix + "year", ""),
                baseline=form.get(prefix + "baseline", ""),
                per_year=form.get(prefix + "per_year") == "on",
                growth=form.get(prefix + "growth") == "on",
                quote=form.get(prefix + "quote", ""),
                offset=_int(form.get(prefix + "offset")),
                removed=form.get(prefix + "remove") == "on",
            )
        )
    for index in range(min(_int(form.get("unit_count")), MAX_ROWS)):
        name = form.get(f"unit-{index}-name", "")
        if name:
            review.unit_choices[name] = form.get(f"unit-{index}-choice", "")
    return review


def _row_error(label: str, error: Exception) -> str:
    return f"{label}：{describe(error)}"


def _optional_date(value: str, label: str, errors: list[str]) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append(f"{label}：日期格式应为 2026-12-31")
        return None


def _optional_float(value: str) -> float | None:
    return float(value.replace(",", "")) if value.strip() else None


def draft_of(review: Review) -> tuple[PlanDraft | None, list[str]]:
    """Validate the reviewed rows into a draft, or return every problem found in Chinese."""
    errors: list[str] = []
    tasks: list[TaskDraft] = []
    for number, row in enumerate(review.tasks, start=1):
        if row.removed:
            continue
        label = f"第 {number} 项任务{f'（{row.task_no}）' if row.task_no else ''}"
        if not split_unit_names(row.lead):
            errors.append(f"{label}：请填写牵头单位")
            continue
        body_end = row.quote_start if row.offset <= row.quote_start <= len(review.text) else row.offset
        try:
            tasks.append(
                TaskDraft(
                    task_no=row.task_no,
                    title=row.title,
                    body=review.text[row.offset : body_end].strip(),
                    section=row.section,
                    lead_units=split_unit_names(row.lead),
                    partner_units=split_unit_names(row.partner),
                    deadline=_optional_date(row.deadline, label, errors),
                )
            )
        except ValidationError as error:
            errors.append(_row_error(label, error))
    targets: list[TargetDraft] = []
    for number, row in enumerate(review.targets, start=1):
        if row.removed:
            continue
        label = f"第 {number} 个目标"
        try:
            targets.append(
                TargetDraft(
                    indicator=row.indicator,
                    comparator=row.comparator,
                    value=float(row.value.replace(",", "")),
                    unit=row.unit,
                    year=int(row.year) if row.year.strip() else None,
                    baseline=_optional_float(row.baseline),
                    per_year=row.per_year,
                    growth=row.growth,
                    quote=row.quote,
                )
            )
        except ValueError as error:
            message = (
                describe(error) if isinstance(error, ValidationError) else "目标值、年份和基期值应为数字"
            )
            errors.append(f"{label}：{message}")
    try:
        draft = PlanDraft(
            title=review.title,
            authority=review.authority or None,
            doc_number=review.doc_number or None,
            signed_on=_optional_date(review.signed_on, "成文日期", errors),
            published_on=_optional_date(review.published_on, "发布日期", errors),
            source_name=review.source_name[:200],
            text=review.text,
            tasks=tasks,
            targets=targets,
            unit_choices=review.unit_choices,
        )
    except ValidationError as error:
        errors.append(_row_error("文件信息", error))
        return None, errors
    return (None, errors) if errors else (draft, errors)


def highlighted(review: Review) -> Markup:
    """Return the document as escaped HTML with unit blocks and target quotes marked by row."""
    text = review.text
    spans: list[tuple[int, int, str, str]] = []
    for index, row in enumerate(review.tasks):
        if 0 <= row.quote_start < row.quote_end <= len(text):
            spans.append((row.quote_start, row.quote_end, "hl-task", f"src-task-{index}"))
    for index, target in enumerate(review.targets):
        end = target.offset + len(target.quote)
        if target.quote and text[target.offset : end] == target.quote:
            spans.append((target.offset, end, "hl-target", f"src-target-{index}"))
    parts: list[Markup] = []
    cursor = 0
    for start, end, kind, anchor in sorted(spans):
        # Overlapping marks cannot nest in HTML; the first one keeps the shared text.
        if start < cursor:
            continue
        parts.append(escape(text[cursor:start]))
        parts.append(Markup('<mark class="{}" id="{}">{}</mark>').format(kind, anchor, text[start:end]))
        cursor = end
    parts.append(escape(text[cursor:]))
    return Markup("").join(parts)

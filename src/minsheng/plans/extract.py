"""Extract a policy document's metadata, outline, assigned tasks and numeric targets in one call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from minsheng.plans.metadata import read_metadata
from minsheng.plans.structure import Heading, outline
from minsheng.plans.targets import Target, find_targets
from minsheng.plans.tasks import Task, find_tasks
from minsheng.plans.units import find_unit_blocks

__all__ = ["PlanExtraction", "extract_plan", "target_record", "task_record"]


@dataclass(frozen=True, slots=True)
class PlanExtraction:
    """Everything read from one policy document; offsets index into `text`."""

    text: str
    title: str | None
    authority: str | None
    doc_number: str | None
    signed_on: date | None
    published_on: date | None
    headings: list[Heading]
    tasks: list[Task]
    targets: list[Target]

    @property
    def dates(self) -> dict[str, date | None]:
        """Return the signing (成文) and publication (发布) dates."""
        return {"signed_on": self.signed_on, "published_on": self.published_on}


def extract_plan(text: str) -> PlanExtraction:
    """Read the title, authority, number, dates, headings, tasks and targets of a policy text."""
    meta = read_metadata(text)
    structure = outline(text)
    blocks = find_unit_blocks(text)
    excluded = [(block.start, block.end) for block in blocks]
    return PlanExtraction(
        text=text,
        title=meta.title,
        authority=meta.authority,
        doc_number=meta.doc_number,
        signed_on=meta.signed_on,
        published_on=meta.published_on,
        headings=structure.headings,
        tasks=find_tasks(text, structure, blocks),
        targets=find_targets(text, structure, excluded=excluded),
    )


def target_record(target: Target, *, doc: str) -> dict[str, Any]:
    """Return a target as a record with the gold field names first, then offset and value_max."""
    return {
        "doc": doc,
        "indicator": target.indicator,
        "value": target.value,
        "unit": target.unit,
        "comparator": target.comparator,
        "year": target.year,
        "per_year": target.per_year,
        "growth": target.growth,
        "quote": target.quote,
        "section": target.section,
        "offset": target.offset,
        "value_max": target.value_max,
    }


def task_record(task: Task, *, doc: str) -> dict[str, Any]:
    """Return a task as a record with the gold field names first, then body, offsets and section."""
    return {
        "doc": doc,
        "task_no": task.task_no,
        "title": task.title,
        "lead_units": task.lead_units,
        "partner_units": task.partner_units,
        "responsible_units": task.responsible_units,
        "quote": task.quote,
        "body": task.body,
        "offset": task.offset,
        "quote_offset": task.quote_offset,
        "section": task.section,
    }

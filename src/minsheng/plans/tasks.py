"""Turn unit blocks into assigned tasks: the numbered item each block closes, with its units."""

from __future__ import annotations

import re
from dataclasses import dataclass

from minsheng.plans.structure import Outline
from minsheng.plans.units import UnitBlock

__all__ = ["Task", "find_tasks"]

_SENTENCE_END_RE = re.compile(r"[。！？；;\n]")
_TITLE_STRIP = " \u3000\xa0:：;；,，。"


@dataclass(frozen=True, slots=True)
class Task:
    """An assigned task: its number and title as written, its units, and where it is written."""

    task_no: str
    title: str
    lead_units: list[str]
    partner_units: list[str]
    responsible_units: list[str]
    quote: str
    body: str
    offset: int
    quote_offset: int
    section: str


def find_tasks(text: str, outline: Outline, blocks: list[UnitBlock]) -> list[Task]:
    """Attach each unit block to the numbered item it closes and return one task per block."""
    tasks = []
    previous_end: dict[int, int] = {}
    for block in blocks:
        heading = outline.heading_at(block.start)
        key = heading.start if heading else -1
        if heading is not None and key not in previous_end:
            number, title, start = heading.number, heading.title, heading.start
        else:
            # A second block under one heading (一是…（牵头单位…）二是…) or a block before any heading:
            # the task is the sentence the block closes.
            start = max(previous_end.get(key, 0), _sentence_start(text, block.start))
            number = heading.number if heading else ""
            title = _first_sentence(text[start : block.start])
        previous_end[key] = block.end
        tasks.append(
            Task(
                task_no=number,
                title=title,
                lead_units=block.lead_units,
                partner_units=block.partner_units,
                responsible_units=block.responsible_units,
                quote=block.quote,
                body=text[start : block.start].strip(),
                offset=start,
                quote_offset=block.start,
                section=" > ".join(outline.section_path(block.start)[:-1]),
            )
        )
    return tasks


def _sentence_start(text: str, position: int) -> int:
    ends = [match.end() for match in _SENTENCE_END_RE.finditer(text, 0, position)]
    # The block itself usually follows the sentence's 。; the task is the sentence before it.
    if ends and ends[-1] == position and len(ends) > 1:
        return ends[-2]
    return ends[-1] if ends else 0


def _first_sentence(text: str) -> str:
    text = text.strip(_TITLE_STRIP)
    match = _SENTENCE_END_RE.search(text)
    return (text[: match.start()] if match else text).strip(_TITLE_STRIP)

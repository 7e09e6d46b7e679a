"""The `minsheng plans` commands: read a policy document and show its tasks and numeric targets."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from minsheng.plans.extract import PlanExtraction, extract_plan, target_record, task_record
from minsheng.plans.reading import PlanImportError, read_plan_bytes, read_plan_file

plans_app = typer.Typer(help="Policy documents: extract tasks and numeric targets.", no_args_is_help=True)

_COMPARATOR_WORDS = {">=": "不低于", "<=": "不超过", "~": "约", "=": ""}
_ROLE_WORDS = (("lead_units", "牵头"), ("partner_units", "配合"), ("responsible_units", "责任"))


@plans_app.command("extract")
def extract_command(
    file: Annotated[str, typer.Argument(help="Policy document (.txt, .docx, .pdf), or - for standard input")],
    as_json: Annotated[
        bool, typer.Option("--json", help='Print one JSON object {"targets": [...], "tasks": [...]}')
    ] = False,
) -> None:
    """Extract the assigned tasks and numeric targets of a policy document."""
    name = "stdin" if file == "-" else Path(file).name
    try:
        text = (
            read_plan_bytes(sys.stdin.buffer.read(), name=name) if file == "-" else read_plan_file(Path(file))
        )
    except PlanImportError as error:
        typer.secho(f"导入失败: {error.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from error
    extraction = extract_plan(text)
    if as_json:
        records = {
            "targets": [target_record(target, doc=name) for target in extraction.targets],
            "tasks": [task_record(task, doc=name) for task in extraction.tasks],
        }
        typer.echo(json.dumps(records, ensure_ascii=False))
        return
    typer.echo(summary(extraction, name=name))


def summary(extraction: PlanExtraction, *, name: str) -> str:
    """Describe an extraction in Chinese for a person reading a terminal."""
    lines = [f"文件: {name}"]
    for label, value in (
        ("标题", extraction.title),
        ("发文机关", extraction.authority),
        ("文号", extraction.doc_number),
        ("成文日期", extraction.signed_on),
        ("发布日期", extraction.published_on),
    ):
        if value:
            lines.append(f"{label}: {value}")
    lines.append(
        f"标题层级: {len(extraction.headings)} 个, 任务: {len(extraction.tasks)} 项, "
        f"目标: {len(extraction.targets)} 个"
    )
    if extraction.tasks:
        lines.append("")
        lines.append("任务分解:")
    for task in extraction.tasks:
        roles = "; ".join(
            f"{word}: {'、'.join(getattr(task, field))}"
            for field, word in _ROLE_WORDS
            if getattr(task, field)
        )
        lines.append(f"  {task.task_no} {task.title}（{roles}）")
    if extraction.targets:
        lines.append("")
        lines.append("量化目标:")
    for target in extraction.targets:
        when = f"{target.year}年 " if target.year else ""
        every = "每年 " if target.per_year else ""
        comparator = _COMPARATOR_WORDS.get(target.comparator, target.comparator)
        lines.append(
            f"  {when}{every}{target.indicator}: {comparator}{target.value}{target.unit}  「{target.quote}」"
        )
    return "\n".join(lines)

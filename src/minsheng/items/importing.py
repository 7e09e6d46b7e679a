"""Read items from a JSONL or CSV file (UTF-8, GBK or GB18030) for `minsheng items import`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from minsheng.items.schemas import ItemIn
from minsheng.text.normalize import decode

COLUMNS = ("id", "url", "title", "text", "html", "published_at", "author")


@dataclass
class ImportBatch:
    """The valid items of a file and, by line, why the others were refused."""

    items: list[ItemIn] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _records(text: str, *, is_csv: bool) -> Iterator[tuple[int, dict[str, object] | str]]:
    if is_csv:
        reader = csv.DictReader(io.StringIO(text))
        for row in reader:
            yield reader.line_num, {k.strip(): v for k, v in row.items() if k and v not in (None, "")}
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, f"不是合法的 JSON：{error.msg}"
            continue
        yield number, record if isinstance(record, dict) else "每行应是一个 JSON 对象"


def read_items(path: Path) -> ImportBatch:
    """Read every record of a file; the format follows the extension (.csv, else JSON Lines)."""
    text = decode(path.read_bytes()).text.lstrip("\ufeff")
    is_csv = path.suffix.lower() == ".csv"
    batch = ImportBatch()
    for number, record in _records(text, is_csv=is_csv):
        if isinstance(record, str):
            batch.errors.append((number, record))
            continue
        try:
            batch.items.append(ItemIn.model_validate({k: record.get(k) for k in COLUMNS if k in record}))
        except ValidationError as error:
            batch.errors.append((number, _describe(error)))
    return batch

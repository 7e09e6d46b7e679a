"""Read labelled texts from CSV files in UTF-8, UTF-8 with BOM or GBK."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

# A single field may be a whole pasted document; csv's default 128 KB limit would reject it.
csv.field_size_limit(64 * 1024 * 1024)


class DataError(ValueError):
    """The CSV file cannot be used as labelled training or evaluation data."""


def decode(raw: bytes) -> str:
    """Decode CSV bytes as UTF-8 (with or without BOM), falling back to GB18030, a superset of GBK."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError as error:
            raise DataError("文件编码无法识别，请使用 UTF-8 或 GBK") from error


def parse_columns(value: str | Sequence[str]) -> list[str]:
    """Split a comma-separated column list, dropping blanks."""
    parts = value.split(",") if isinstance(value, str) else list(value)
    columns = [p.strip() for p in parts if p.strip()]
    if not columns:
        raise DataError("至少需要指定一个文本列")
    return columns


def read_labelled_csv(
    path: Path, text_columns: str | Sequence[str], label_column: str
) -> tuple[list[str], list[str]]:
    """Return (texts, labels); several text columns are joined with a newline, unlabelled rows skipped."""
    columns = parse_columns(text_columns)
    if not path.is_file():
        raise DataError(f"找不到文件: {path}")
    content = decode(path.read_bytes())
    if not content.strip():
        raise DataError(f"文件为空: {path}")
    reader = csv.DictReader(io.StringIO(content, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in [*columns, label_column] if c not in header]
    if missing:
        raise DataError(f"缺少列: {', '.join(missing)}（文件中的列: {', '.join(header)}）")
    texts: list[str] = []
    labels: list[str] = []
    for row in reader:
        label = (row.get(label_column) or "").strip()
        if not label:
            continue
        parts = [(row.get(c) or "").strip() for c in columns]
        texts.append("\n".join(p for p in parts if p))
        labels.append(label)
    if not texts:
        raise DataError(f"文件中没有带标签的数据行: {path}")
    return texts, labels


def write_labelled_csv(path: Path, texts: Sequence[str], labels: Sequence[str]) -> None:
    """Write texts and labels as a UTF-8 CSV with the columns text and label."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(zip(texts, labels, strict=True))

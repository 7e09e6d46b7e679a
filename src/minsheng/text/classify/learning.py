"""Train a task's model into the store and retrain it from user corrections."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from minsheng.core.settings import Settings
from minsheng.text.classify.dataset import read_labelled_csv, write_labelled_csv
from minsheng.text.classify.model import CVReport, train
from minsheng.text.classify.store import (
    ModelStoreError,
    VersionInfo,
    current_version,
    read_meta,
    set_current,
    store_version,
    task_dir,
)

CORRECTIONS_FILE = "corrections.jsonl"
TRAINING_COPY = "training.csv"


@dataclass(frozen=True)
class TrainOutcome:
    """A newly stored version, its CV report and whether it became current."""

    version: VersionInfo
    report: CVReport
    seconds: float
    promoted: bool
    previous_macro_f1: float | None = None


def train_task(
    task: str,
    texts: list[str],
    labels: list[str],
    settings: Settings,
    *,
    source: dict[str, Any] | None = None,
    folds: int = 5,
    force: bool = True,
    original: tuple[list[str], list[str]] | None = None,
    corrections_used: int = 0,
    n_jobs: int = 2,
) -> TrainOutcome:
    """Train a version of the task, keep a copy of its original training data, promote it if not worse."""
    classifier, report, seconds = train(texts, labels, folds=folds, n_jobs=n_jobs)
    original_texts, original_labels = original or (texts, labels)
    meta = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_size": len(texts),
        "cv": report.as_dict(),
        "train_seconds": round(seconds, 1),
        "training_data": {**(source or {}), "copy": TRAINING_COPY, "corrections_used": corrections_used},
    }
    previous = _current_macro_f1(task, settings)
    promoted = force or previous is None or report.macro_f1 >= previous
    info = store_version(task, classifier, meta, settings, make_current=False)
    version_dir = task_dir(task, settings) / info.version
    write_labelled_csv(version_dir / TRAINING_COPY, original_texts, original_labels)
    if promoted:
        set_current(task, info.version, settings)
    return TrainOutcome(
        version=VersionInfo(info.version, promoted, info.meta),
        report=report,
        seconds=seconds,
        promoted=promoted,
        previous_macro_f1=previous,
    )


def train_task_from_csv(
    task: str,
    path: Path,
    text_columns: list[str],
    label_column: str,
    settings: Settings,
    *,
    folds: int = 5,
) -> TrainOutcome:
    """Train the task from a CSV file, recording the file and its column configuration."""
    texts, labels = read_labelled_csv(path, text_columns, label_column)
    source = {"path": str(path.resolve()), "text_columns": text_columns, "label_column": label_column}
    return train_task(task, texts, labels, settings, source=source, folds=folds)


def _current_macro_f1(task: str, settings: Settings) -> float | None:
    version = current_version(task, settings)
    if version is None:
        return None
    return float(read_meta(task_dir(task, settings) / version)["cv"]["macro_f1"])


def add_correction(task: str, text: str, label: str, settings: Settings) -> int:
    """Record a user's corrected label for a text and return how many corrections the task now has."""
    if not text.strip() or not label.strip():
        raise ValueError("纠正的文本和标签都不能为空")
    root = task_dir(task, settings)
    root.mkdir(parents=True, exist_ok=True)
    record = {"text": text, "label": label.strip(), "at": datetime.now(UTC).isoformat(timespec="seconds")}
    with (root / CORRECTIONS_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(read_corrections(task, settings))


def read_corrections(task: str, settings: Settings) -> list[tuple[str, str]]:
    """Return the task's corrections as (text, label), the latest label winning for a repeated text."""
    path = task_dir(task, settings) / CORRECTIONS_FILE
    if not path.is_file():
        return []
    latest: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            latest[record["text"]] = record["label"]
    return list(latest.items())


def retrain(task: str, settings: Settings, *, force: bool = False, folds: int = 5) -> TrainOutcome:
    """Retrain on the current version's training data plus corrections; promote it unless CV got worse."""
    version = current_version(task, settings)
    if version is None:
        raise ModelStoreError(f"任务 {task} 还没有训练过的模型，无法增量训练")
    version_dir = task_dir(task, settings) / version
    meta = read_meta(version_dir)
    texts, labels = read_labelled_csv(version_dir / TRAINING_COPY, ["text"], "label")
    corrected = dict(read_corrections(task, settings))
    known = set(texts)
    merged_texts = texts + [t for t in corrected if t not in known]
    merged_labels = [corrected.get(t, y) for t, y in zip(texts, labels, strict=True)]
    merged_labels += [corrected[t] for t in merged_texts[len(texts) :]]
    skipped = {"copy", "corrections_used", "retrained_from"}
    source = {k: v for k, v in meta.get("training_data", {}).items() if k not in skipped}
    return train_task(
        task,
        merged_texts,
        merged_labels,
        settings,
        source={**source, "retrained_from": version},
        folds=folds,
        force=force,
        original=(texts, labels),
        corrections_used=len(corrected),
    )

"""Versioned model store under the data directory, with integrity checks before unpickling."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib

from minsheng.core.settings import Settings
from minsheng.text.classify.model import TextClassifier

MODEL_FILE = "model.joblib"
META_FILE = "meta.json"
CURRENT_FILE = "current"
_TASK = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_VERSION = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}$")


class ModelStoreError(ValueError):
    """A model is missing, tampered with or outside the model store."""


@dataclass(frozen=True)
class StoredModel:
    """A loaded model with its version and metadata."""

    classifier: TextClassifier
    version: str
    meta: dict[str, Any]


@dataclass(frozen=True)
class VersionInfo:
    """One stored version of a task's model."""

    version: str
    is_current: bool
    meta: dict[str, Any]


def models_root(settings: Settings) -> Path:
    """Return the directory holding every task's models."""
    return settings.data_dir / "models"


def task_dir(task: str, settings: Settings) -> Path:
    """Return a task's directory, refusing names that could escape the store."""
    if not _TASK.match(task):
        raise ModelStoreError(f"任务名不合法: {task!r}（小写字母、数字、下划线）")
    return models_root(settings) / task


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_model_dir(classifier: TextClassifier, directory: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Write the classifier and its metadata (with the model file's SHA-256) into a directory."""
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / MODEL_FILE
    joblib.dump(classifier, model_path, compress=3)
    full = {
        **meta,
        "labels": classifier.labels,
        "model": classifier.model_name,
        "feature_config": classifier.featurizer.config(),
        "sha256": sha256_file(model_path),
    }
    (directory / META_FILE).write_text(json.dumps(full, ensure_ascii=False, indent=2), encoding="utf-8")
    return full


def read_meta(directory: Path) -> dict[str, Any]:
    """Read a model directory's metadata."""
    path = directory / META_FILE
    if not path.is_file():
        raise ModelStoreError(f"模型目录缺少 {META_FILE}: {directory}")
    return json.loads(path.read_text(encoding="utf-8"))


def load_model_dir(directory: Path) -> tuple[TextClassifier, dict[str, Any]]:
    """Load a model directory after checking the model file against the SHA-256 in its metadata."""
    meta = read_meta(directory)
    model_path = directory / MODEL_FILE
    if not model_path.is_file():
        raise ModelStoreError(f"模型目录缺少 {MODEL_FILE}: {directory}")
    if sha256_file(model_path) != meta.get("sha256"):
        raise ModelStoreError(f"模型文件校验失败（SHA-256 不符），拒绝加载: {model_path}")
    classifier = joblib.load(model_path)
    if not isinstance(classifier, TextClassifier):
        raise ModelStoreError(f"模型文件内容不是文本分类器: {model_path}")
    return classifier, meta


def _inside_store(path: Path, settings: Settings) -> Path:
    resolved = path.resolve()
    if not resolved.is_relative_to(models_root(settings).resolve()):
        raise ModelStoreError(f"只能从数据目录的模型库加载模型: {path}")
    return resolved


def new_version_name(sha256: str) -> str:
    """Name a version by the UTC time (to the microsecond, so names sort by age) and its model's hash."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{sha256[:8]}"


def store_version(
    task: str, classifier: TextClassifier, meta: dict[str, Any], settings: Settings, *, make_current: bool
) -> VersionInfo:
    """Save a classifier as a new version of the task, optionally making it current."""
    root = task_dir(task, settings)
    staging = root / f".staging-{os.getpid()}"
    full = save_model_dir(classifier, staging, {"task": task, **meta})
    version = new_version_name(full["sha256"])
    target = root / version
    if target.exists():
        raise ModelStoreError(f"版本已存在: {version}")
    staging.rename(target)
    if make_current:
        set_current(task, version, settings)
    return VersionInfo(version=version, is_current=make_current, meta=full)


def current_version(task: str, settings: Settings) -> str | None:
    """Return the version the task's current pointer names, if any."""
    pointer = task_dir(task, settings) / CURRENT_FILE
    if not pointer.is_file():
        return None
    version = pointer.read_text(encoding="utf-8").strip()
    if not _VERSION.match(version):
        raise ModelStoreError(f"current 指针内容不合法: {version!r}")
    return version


def set_current(task: str, version: str, settings: Settings) -> None:
    """Point the task's current model at a stored version."""
    root = task_dir(task, settings)
    if not _VERSION.match(version) or not (root / version / META_FILE).is_file():
        raise ModelStoreError(f"任务 {task} 没有版本 {version}")
    temporary = root / f".{CURRENT_FILE}.tmp"
    temporary.write_text(version + "\n", encoding="utf-8")
    os.replace(temporary, root / CURRENT_FILE)


def list_versions(task: str, settings: Settings) -> list[VersionInfo]:
    """List the task's stored versions, oldest first."""
    root = task_dir(task, settings)
    if not root.is_dir():
        return []
    current = current_version(task, settings)
    names = sorted(p.name for p in root.iterdir() if p.is_dir() and _VERSION.match(p.name))
    return [VersionInfo(name, name == current, read_meta(root / name)) for name in names]


def rollback(task: str, settings: Settings, version: str | None = None) -> str:
    """Make an older version current: the named one, or else the one stored before the current."""
    if version is None:
        names = [v.version for v in list_versions(task, settings)]
        current = current_version(task, settings)
        older = [n for n in names if current is None or n < current]
        if not older:
            raise ModelStoreError(f"任务 {task} 没有更早的版本可以回滚")
        version = older[-1]
    set_current(task, version, settings)
    return version


def load_version(task: str, version: str, settings: Settings) -> StoredModel:
    """Load one stored version of a task after checking its path and hash."""
    if not _VERSION.match(version):
        raise ModelStoreError(f"版本名不合法: {version!r}")
    directory = _inside_store(task_dir(task, settings) / version, settings)
    classifier, meta = load_model_dir(directory)
    return StoredModel(classifier=classifier, version=version, meta=meta)


def load_model(task: str, settings: Settings) -> StoredModel | None:
    """Load the task's current model, or return None when none has been trained."""
    version = current_version(task, settings)
    return None if version is None else load_version(task, version, settings)

"""Trainable text classifiers with calibrated probabilities, a versioned model store and rule defaults."""

from minsheng.text.classify.classifiers import Classifiers
from minsheng.text.classify.dataset import DataError, read_labelled_csv
from minsheng.text.classify.learning import (
    TrainOutcome,
    add_correction,
    read_corrections,
    retrain,
    train_task,
    train_task_from_csv,
)
from minsheng.text.classify.model import (
    CVReport,
    Prediction,
    TextClassifier,
    TrainingError,
    cross_validate,
    evaluate,
    train,
)
from minsheng.text.classify.rules import DEFAULT_TASKS, default_rules
from minsheng.text.classify.store import (
    ModelStoreError,
    StoredModel,
    VersionInfo,
    current_version,
    list_versions,
    load_model,
    load_model_dir,
    load_version,
    rollback,
    save_model_dir,
)

__all__ = [
    "DEFAULT_TASKS",
    "CVReport",
    "Classifiers",
    "DataError",
    "ModelStoreError",
    "Prediction",
    "StoredModel",
    "TextClassifier",
    "TrainOutcome",
    "TrainingError",
    "VersionInfo",
    "add_correction",
    "cross_validate",
    "current_version",
    "default_rules",
    "evaluate",
    "list_versions",
    "load_model",
    "load_model_dir",
    "load_version",
    "read_corrections",
    "read_labelled_csv",
    "retrain",
    "rollback",
    "save_model_dir",
    "train",
    "train_task",
    "train_task_from_csv",
]

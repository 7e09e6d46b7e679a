"""One entry point: each task's trained current model, or its authored default rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from minsheng.core.settings import Settings
from minsheng.text.classify.model import Prediction
from minsheng.text.classify.rules import DEFAULT_TASKS, default_rules
from minsheng.text.classify.store import StoredModel, load_model, models_root


@dataclass
class Classifiers:
    """The classifiers of one deployment, loaded once and shared by the text engine."""

    models: dict[str, StoredModel] = field(default_factory=dict)

    @classmethod
    def load(cls, settings: Settings) -> Classifiers:
        """Load the current model of every task that has one in the data directory."""
        root = models_root(settings)
        names = set(DEFAULT_TASKS)
        if root.is_dir():
            names |= {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
        models = {}
        for task in sorted(names):
            stored = load_model(task, settings)
            if stored is not None:
                models[task] = stored
        return cls(models)

    def tasks(self) -> list[str]:
        """List the tasks that can be predicted: the built-in defaults and every trained task."""
        return sorted(set(DEFAULT_TASKS) | set(self.models))

    def source(self, task: str) -> str:
        """Say where a task's predictions come from: a model version or the default rules."""
        stored = self.models.get(task)
        return f"model:{stored.version}" if stored else "default-rules"

    def predict(self, task: str, texts: Sequence[str], *, k: int = 3) -> list[Prediction]:
        """Classify texts for a task with its trained model, else with its default rules."""
        stored = self.models.get(task)
        if stored is not None:
            return stored.classifier.predict(texts, k=k, source=f"model:{stored.version}")
        if task not in DEFAULT_TASKS:
            raise KeyError(f"未知的分类任务: {task}")
        rules = default_rules(task)
        return rules.predict(texts) if task == "harm" else rules.predict(texts, k=k)

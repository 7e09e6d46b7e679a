"""Benchmark the text classifiers: 5-fold CV against a char TF-IDF + LinearSVC baseline, speed, rule defaults.

Run: .venv/bin/python bench/text_classify.py [--datasets teddycup,weibo_rumor,weibo_emotion]
The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from minsheng.text.classify import default_rules, train

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FOLDS = 5


def _rows(path: Path, text_columns: list[str], label: str) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts = ["\n".join(r[c] for c in text_columns if r.get(c)) for r in rows]
    return texts, [r[label] for r in rows]


def load(name: str) -> tuple[list[str], list[str]]:
    """Load one evaluation dataset as (texts, labels)."""
    parts: list[tuple[Path, list[str], str]]
    if name == "teddycup":
        parts = [
            (DATA / "teddycup/titles.csv", ["title"], "label"),
            (DATA / "teddycup/bodies.csv", ["detail"], "label"),
        ]
    elif name == "weibo_rumor":
        parts = [(DATA / "weibo_rumor/posts.csv", ["text"], "label")]
    else:
        parts = [(p, ["content"], "label") for p in sorted((DATA / "weibo_emotion").glob("*.csv"))]
    texts: list[str] = []
    labels: list[str] = []
    for path, columns, label in parts:
        t, y = _rows(path, columns, label)
        texts += t
        labels += y
    return texts, labels


def baseline_cv(texts: list[str], labels: list[str]) -> dict[str, float]:
    """Score the char TF-IDF + LinearSVC baseline on the same stratified folds."""
    x, y = np.array(texts, dtype=object), np.array(labels, dtype=object)
    f1s, accs = [], []
    for train_idx, test_idx in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(x, y):
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        model = LinearSVC().fit(vectorizer.fit_transform(x[train_idx]), y[train_idx])
        predicted = model.predict(vectorizer.transform(x[test_idx]))
        f1s.append(f1_score(y[test_idx], predicted, average="macro"))
        accs.append(accuracy_score(y[test_idx], predicted))
    return {"macro_f1": round(float(np.mean(f1s)), 4), "accuracy": round(float(np.mean(accs)), 4)}


def texts_of_length(texts: list[str], length: int = 250, count: int = 3000) -> list[str]:
    """Build `count` texts of exactly `length` characters by concatenating consecutive dataset texts."""
    stream = "".join(texts)
    return [stream[(i * length) % (len(stream) - length) :][:length] for i in range(count)]


def throughput(predict, texts: list[str]) -> float:
    """Return texts per second of a batch predict call (best of three)."""
    predict(texts[:50])
    best = min(_timed(predict, texts) for _ in range(3))
    return round(len(texts) / best)


def _timed(predict, texts: list[str]) -> float:
    started = time.perf_counter()
    predict(texts)
    return time.perf_counter() - started


def rules_score(task: str, texts: list[str], labels: list[str]) -> dict[str, float]:
    """Score a task's default rules against the dataset labels."""
    rules = default_rules(task)
    predicted = [p.label for p in rules.predict(texts)]
    return {
        "macro_f1": round(float(f1_score(labels, predicted, average="macro", labels=sorted(set(labels)))), 4),
        "accuracy": round(float(accuracy_score(labels, predicted)), 4),
        "texts_per_second": throughput(rules.predict, texts_of_length(texts)),
    }


RULE_TASKS = {"teddycup": "category", "weibo_rumor": "rumor", "weibo_emotion": "emotion"}


def main() -> None:
    """Run the benchmark and print a table per dataset, then one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default="teddycup,weibo_rumor,weibo_emotion")
    args = parser.parse_args()
    results = {}
    for name in args.datasets.split(","):
        texts, labels = load(name)
        classifier, report, train_seconds = train(texts, labels, folds=FOLDS, n_jobs=2)
        sample = texts_of_length(texts)
        results[name] = {
            "n": len(texts),
            "classes": len(set(labels)),
            "ours": report.as_dict(),
            "baseline_char_svm": baseline_cv(texts, labels),
            "train_seconds": round(train_seconds, 1),
            "predict_texts_per_second_250_chars": throughput(classifier.predict, sample),
            "default_rules": {"task": RULE_TASKS[name], **rules_score(RULE_TASKS[name], texts, labels)},
        }
        r = results[name]
        print(f"== {name}: {r['n']} texts, {r['classes']} classes")
        print(f"  ours      macro-F1 {report.macro_f1:.4f}  accuracy {report.accuracy:.4f}  ({report.model})")
        print(
            f"  baseline  macro-F1 {r['baseline_char_svm']['macro_f1']:.4f}  accuracy "
            f"{r['baseline_char_svm']['accuracy']:.4f}  (char 1-3 TF-IDF + LinearSVC)"
        )
        rules = r["default_rules"]
        print(
            f"  rules     macro-F1 {rules['macro_f1']:.4f}  accuracy {rules['accuracy']:.4f}"
            f"  ({rules['texts_per_second']} texts/s)"
        )
        print(
            f"  train {r['train_seconds']} s (CV + final fit, 2 jobs); predict "
            f"{r['predict_texts_per_second_250_chars']} texts/s of 250 chars, one process",
            flush=True,
        )
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()

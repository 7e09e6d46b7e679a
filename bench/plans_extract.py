"""Measure the plan importer: target and task-unit precision/recall/F1 on the gold, and import every document.

Run: .venv/bin/python bench/plans_extract.py [--shared PATH] [--verbose]

Target matching rule: a predicted target matches a gold target when both come from the same document, the
values are equal, the units are equal after folding full-width characters, and the two quotes overlap in the
document by at least half of the shorter quote (so both point at the same written number; the annotators'
quotes and ours may start or end a word apart). Each gold target matches at most one prediction. Indicator,
comparator, year, per_year and growth are then reported as agreement rates over the matched pairs.

Task-unit matching rule: tasks are paired on (document, task number) with full-width brackets folded; every
(task, role, unit name) triple counts once, roles being lead, partner and responsible. Precision and recall
are over those triples, so a missed task costs recall and an invented one costs precision.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from minsheng.plans.extract import extract_plan, target_record, task_record
from minsheng.plans.reading import PlanImportError, read_plan_file
from minsheng.text.normalize import fold_width

ROOT = Path(__file__).resolve().parents[1]
GOLD_TARGET_DOCS = ("002_bf5513cba8292f79.txt", "003_775ed6d9f15a3fe1.txt")
GOLD_TASK_DOCS = ("002_bf5513cba8292f79.txt",)
ROLES = ("lead_units", "partner_units", "responsible_units")


def _scores(hits: int, predicted: int, gold: int) -> dict[str, float]:
    precision = hits / predicted if predicted else 0.0
    recall = hits / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _unit(unit: str) -> str:
    return fold_width(unit).replace("（", "(").replace("）", ")")


def _spans(text: str, quote: str) -> list[tuple[int, int]]:
    spans, start = [], text.find(quote)
    while start >= 0:
        spans.append((start, start + len(quote)))
        start = text.find(quote, start + 1)
    return spans


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    shared = min(a[1], b[1]) - max(a[0], b[0])
    return max(0, shared) / max(1, min(a[1] - a[0], b[1] - b[0]))


def match_targets(
    predicted: list[dict[str, Any]], gold: list[dict[str, Any]], texts: dict[str, str]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Pair predictions with gold targets by document, value, unit and overlapping quotes."""
    candidates = []
    for p_index, guess in enumerate(predicted):
        guess_span = (guess["offset"], guess["offset"] + len(guess["quote"]))
        for g_index, truth in enumerate(gold):
            if guess["doc"] != truth["doc"] or float(guess["value"]) != float(truth["value"]):
                continue
            if _unit(guess["unit"]) != _unit(truth["unit"]):
                continue
            best = max(
                (_overlap(guess_span, span) for span in _spans(texts[truth["doc"]], truth["quote"])),
                default=0,
            )
            if best >= 0.5:
                candidates.append((best, p_index, g_index))
    pairs, used_p, used_g = [], set(), set()
    for _, p_index, g_index in sorted(candidates, reverse=True):
        if p_index not in used_p and g_index not in used_g:
            used_p.add(p_index)
            used_g.add(g_index)
            pairs.append((predicted[p_index], gold[g_index]))
    return pairs


def _agreement(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, float]:
    if not pairs:
        return {}
    rates = {}
    for field in ("comparator", "year", "per_year", "growth"):
        rates[field] = round(sum(p[field] == g[field] for p, g in pairs) / len(pairs), 4)
    similar = sum(fuzz.partial_ratio(p["indicator"], g["indicator"]) >= 60 for p, g in pairs)
    rates["indicator"] = round(similar / len(pairs), 4)
    return rates


def task_triples(records: list[dict[str, Any]]) -> set[tuple[str, str, str, str]]:
    """Return (doc, task number, role, unit) for every unit named in every task."""
    return {
        (record["doc"], fold_width(record["task_no"]), role, name)
        for record in records
        for role in ROLES
        for name in record[role]
    }


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(shared: Path, *, verbose: bool = False) -> dict[str, Any]:
    """Score targets and task units against the gold annotations under `shared`."""
    gold_dir = shared / "data" / "policy_gold"
    gold_targets = _read_jsonl(gold_dir / "targets.jsonl")
    gold_tasks = _read_jsonl(gold_dir / "tasks.jsonl")
    texts, predicted_targets, predicted_tasks = {}, [], []
    for name in GOLD_TARGET_DOCS:
        text = read_plan_file(shared / "seeds" / name)
        texts[name] = text
        extraction = extract_plan(text)
        predicted_targets += [target_record(target, doc=name) for target in extraction.targets]
        if name in GOLD_TASK_DOCS:
            predicted_tasks += [task_record(task, doc=name) for task in extraction.tasks]
    pairs = match_targets(predicted_targets, gold_targets, texts)
    predicted_units, gold_units = task_triples(predicted_tasks), task_triples(gold_tasks)
    gold_numbers = {(t["doc"], fold_width(t["task_no"])) for t in gold_tasks}
    found_numbers = {(t["doc"], fold_width(t["task_no"])) for t in predicted_tasks}
    if verbose:
        _show_misses(predicted_targets, gold_targets, pairs, predicted_units, gold_units)
    return {
        "targets": {
            **_scores(len(pairs), len(predicted_targets), len(gold_targets)),
            "predicted": len(predicted_targets),
            "gold": len(gold_targets),
            "matched": len(pairs),
            "agreement": _agreement(pairs),
        },
        "task_units": {
            **_scores(len(predicted_units & gold_units), len(predicted_units), len(gold_units)),
            "predicted": len(predicted_units),
            "gold": len(gold_units),
        },
        "tasks": _scores(len(found_numbers & gold_numbers), len(found_numbers), len(gold_numbers)),
    }


def _show_misses(
    predicted: list[dict[str, Any]],
    gold: list[dict[str, Any]],
    pairs: list[tuple[dict[str, Any], dict[str, Any]]],
    predicted_units: set[tuple[str, str, str, str]],
    gold_units: set[tuple[str, str, str, str]],
) -> None:
    matched_p = {id(p) for p, _ in pairs}
    matched_g = {id(g) for _, g in pairs}
    for record in predicted:
        if id(record) not in matched_p:
            print(f"  多出 {record['doc'][:3]} {record['value']}{record['unit']} 「{record['quote']}」")
    for record in gold:
        if id(record) not in matched_g:
            print(f"  漏掉 {record['doc'][:3]} {record['value']}{record['unit']} 「{record['quote']}」")
    for p, g in pairs:
        differing = [f for f in ("comparator", "year", "per_year", "growth") if p[f] != g[f]]
        if differing:
            print(f"  字段不同 {g['quote']}: " + ", ".join(f"{f} {p[f]!r}≠{g[f]!r}" for f in differing))
    for triple in sorted(predicted_units - gold_units):
        print("  多出单位", triple)
    for triple in sorted(gold_units - predicted_units):
        print("  漏掉单位", triple)


def import_all(shared: Path) -> dict[str, Any]:
    """Import and extract every policy document and seed, timing each; report failures."""
    files = sorted((shared / "data" / "policy_documents").glob("*")) + sorted((shared / "seeds").glob("*"))
    failures, seconds, chars, targets, tasks = {}, [], 0, 0, 0
    for path in files:
        started = time.perf_counter()
        try:
            extraction = extract_plan(read_plan_file(path))
        except PlanImportError as error:
            failures[path.name] = error.message
            continue
        seconds.append(time.perf_counter() - started)
        chars += len(extraction.text)
        targets += len(extraction.targets)
        tasks += len(extraction.tasks)
    total = sum(seconds)
    return {
        "files": len(files),
        "imported": len(files) - len(failures),
        "failures": failures,
        "seconds_total": round(total, 3),
        "ms_per_document_max": round(1000 * max(seconds, default=0), 1),
        "chars_per_second": int(chars / total) if total else 0,
        "targets_found": targets,
        "tasks_found": tasks,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared/ folder")
    parser.add_argument("--verbose", action="store_true", help="list every miss and extra")
    args = parser.parse_args()
    result = evaluate(args.shared, verbose=args.verbose)
    for name in ("targets", "task_units", "tasks"):
        scores = result[name]
        print(f"{name:<11} P {scores['precision']:.4f}  R {scores['recall']:.4f}  F1 {scores['f1']:.4f}")
    print(f"matched-target field agreement: {result['targets']['agreement']}")
    result["import"] = import_all(args.shared)
    imported = result["import"]
    print(
        f"import: {imported['imported']}/{imported['files']} files in {imported['seconds_total']} s "
        f"(slowest {imported['ms_per_document_max']} ms), {imported['targets_found']} targets, "
        f"{imported['tasks_found']} tasks"
    )
    for name, message in imported["failures"].items():
        print(f"  failed: {name}: {message}")
    print(json.dumps(result, ensure_ascii=False))
    return 0 if not imported["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())

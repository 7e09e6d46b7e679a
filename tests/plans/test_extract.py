from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from minsheng.plans.extract import extract_plan
from minsheng.plans.reading import read_plan_file
from tests.conftest import SHARED, shared_missing

BENCH = Path(__file__).resolve().parents[2] / "bench" / "plans_extract.py"
ALL_DOCUMENTS = sorted((SHARED / "data" / "policy_documents").glob("*")) + sorted(
    (SHARED / "seeds").glob("*")
)


def _bench():
    spec = importlib.util.spec_from_file_location("plans_extract_bench", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shared_documents_are_there() -> None:
    if not ALL_DOCUMENTS:
        shared_missing("shared policy documents are not available")


@pytest.mark.parametrize("path", ALL_DOCUMENTS, ids=lambda path: path.name[:24])
def test_every_shared_document_imports_and_extracts(path: Path) -> None:
    started = time.perf_counter()
    extraction = extract_plan(read_plan_file(path))
    assert extraction.text.strip()
    assert time.perf_counter() - started < 5


def test_extraction_of_a_seed_has_metadata_headings_tasks_and_targets() -> None:
    path = SHARED / "seeds" / "003_775ed6d9f15a3fe1.txt"
    if not path.exists():
        shared_missing("shared seed documents are not available")
    extraction = extract_plan(read_plan_file(path))
    assert (extraction.title, extraction.doc_number) == (
        "关于加快推进互联网应用的实施计划",
        "绍政发〔2016〕27号",
    )
    assert extraction.dates["signed_on"].isoformat() == "2016-06-28"
    assert len(extraction.headings) == 30
    assert len(extraction.tasks) == 12
    assert extraction.tasks[5].lead_units == ["市政府办公室〈市智慧办〉"]


def test_gold_scores_stay_above_the_measured_level() -> None:
    if not (SHARED / "data" / "policy_gold" / "targets.jsonl").exists():
        shared_missing("shared gold annotations are not available")
    result = _bench().evaluate(SHARED)
    # Measured 1.0 on both (bench/plans_extract.py); the margin absorbs a rule change that trades one miss.
    assert result["targets"]["precision"] >= 0.97
    assert result["targets"]["recall"] >= 0.97
    assert result["targets"]["f1"] >= 0.97
    assert result["task_units"]["f1"] >= 0.98
    assert result["targets"]["agreement"]["year"] >= 0.95
    assert result["targets"]["agreement"]["comparator"] >= 0.95

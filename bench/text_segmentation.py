"""Score minsheng.text.segment on the SIGHAN 2005 PKU test gold and time segmentation and normalisation.

Run: .venv/bin/python bench/text_segmentation.py [path/to/pku_test_gold.utf8]
Scoring is the SIGHAN standard: a predicted word is correct when its character span equals a gold word's span.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from minsheng.text.normalize import fold_width, normalize_for_analysis
from minsheng.text.segment import Segmenter

GOLD = Path(__file__).resolve().parents[2] / "shared" / "data" / "sighan2005" / "pku_test_gold.utf8"


def spans(words: list[str]) -> set[tuple[int, int]]:
    """Return the (start, end) character span of each word, ignoring whitespace tokens."""
    result = set()
    position = 0
    for word in words:
        if word.strip():
            result.add((position, position + len(word)))
        position += len(word)
    return result


def score(lines: list[list[str]], cut: Callable[[str], list[str]]) -> tuple[float, float, float, float]:
    """Return precision, recall, F1 and characters per second of `cut` on gold-segmented lines."""
    correct = predicted = expected = chars = 0
    elapsed = 0.0
    for gold in lines:
        raw = "".join(gold)
        started = time.perf_counter()
        # fold_width maps one character to one, so spans on the folded text are spans on the raw text.
        tokens = [t for t in cut(fold_width(raw)) if t.strip()]
        elapsed += time.perf_counter() - started
        ours, theirs = spans(tokens), spans(gold)
        correct += len(ours & theirs)
        predicted += len(ours)
        expected += len(theirs)
        chars += len(raw)
    precision, recall = correct / predicted, correct / expected
    return precision, recall, 2 * precision * recall / (precision + recall), chars / elapsed


def normalize_speed(text: str) -> float:
    """Return characters per second of normalize_for_analysis on `text`."""
    started = time.perf_counter()
    normalize_for_analysis(text)
    return len(text) / (time.perf_counter() - started)


def main() -> None:
    gold_path = Path(sys.argv[1]) if len(sys.argv) > 1 else GOLD
    lines = [line.split() for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    corpus = "\n".join("".join(words) for words in lines)
    print(f"gold: {gold_path} ({len(lines)} lines, {len(corpus):,} characters)")

    plain = Segmenter(use_domain_lexicon=False)
    p, r, f, _ = score(lines, plain.cut)
    print(f"rjieba dictionary only:      P={p:.4f} R={r:.4f} F1={f:.4f}")
    segmenter = Segmenter()
    p, r, f, speed = score(lines, segmenter.cut)
    print(f"with domain lexicon:         P={p:.4f} R={r:.4f} F1={f:.4f}  {speed:,.0f} chars/s (line by line)")

    big = corpus * 20
    started = time.perf_counter()
    segmenter.cut(big)
    bulk = len(big) / (time.perf_counter() - started)
    print(f"segment one {len(big):,}-character text: {bulk:,.0f} chars/s")
    normalize_for_analysis("预热")
    print(f"normalize_for_analysis, simplified text: {normalize_speed(big):,.0f} chars/s")
    wide = normalize_speed(big.replace("1", "１"))
    print(f"normalize_for_analysis, with full-width digits: {wide:,.0f} chars/s")
    print(
        f"normalize_for_analysis, traditional text: {normalize_speed(big.replace('国', '國')):,.0f} chars/s"
    )
    print(
        json.dumps(
            {
                "precision": round(p, 4),
                "recall": round(r, 4),
                "f1": round(f, 4),
                "chars_per_second": round(speed),
            }
        )
    )


if __name__ == "__main__":
    main()

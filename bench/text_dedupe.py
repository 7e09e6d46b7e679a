"""Near-duplicate benchmark: precision, recall and speed of DuplicateIndex on Weibo rumour posts.

Run: .venv/bin/python bench/text_dedupe.py
The CED posts carry no repost text, so positives are variants planted from real posts (reposts with "//@user:"
chains, character edits, traditional script, punctuation, truncation); negatives are pairs of different posts,
half of them nearest neighbours by character TF-IDF. Pairs that difflib rates as near-copies (ratio >= 0.5)
are natural duplicates in the data set and are left out of the negatives. Prints a table, then one JSON line.
"""

from __future__ import annotations

import csv
import difflib
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from opencc_pyo3 import OpenCC
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neighbors import NearestNeighbors

from minsheng.text.dedupe import MIN_SHINGLES, DuplicateIndex
from minsheng.text.dedupe_signature import fingerprint_many

POSTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "weibo_rumor" / "posts.csv"
THRESHOLDS = (0.3, 0.5, 0.7)
SOURCES = 800
RANDOM_NEGATIVES = 2000
SEED = 7
NATURAL_DUPLICATE_RATIO = 0.5
_PUNCTUATION = re.compile(r"[，。！？：；、,.!?:;]")
_NON_WORD = re.compile(r"[\W_]+")
_TO_TRADITIONAL = OpenCC("s2t")


def load_posts() -> list[str]:
    with POSTS.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


def edit(text: str, rng: random.Random, pool: str) -> str:
    chars = list(text)
    for _ in range(max(1, min(4, len(chars) // 50))):
        position = rng.randrange(len(chars))
        action = rng.choice(("insert", "delete", "replace"))
        if action == "insert":
            chars.insert(position, rng.choice(pool))
        elif action == "delete" and len(chars) > 1:
            del chars[position]
        else:
            chars[position] = rng.choice(pool)
    return "".join(chars)


def repost_prefix(text: str, rng: random.Random, pool: str) -> str:
    return f"转发微博//@用户{rng.randrange(10**6)}:{text}"


def repost_chain(text: str, rng: random.Random, pool: str) -> str:
    return f"//@小{rng.choice(pool)}: 轉發微博 //@路人{rng.randrange(999)}：{text} @朋友{rng.randrange(99)}"


def repost_comment(text: str, rng: random.Random, pool: str) -> str:
    comment = rng.choice(("太可怕了！", "真的假的？", "转起来", "求辟谣"))
    return f"{comment}//@网友{rng.randrange(10**4)}:{text}"


def traditional(text: str, rng: random.Random, pool: str) -> str:
    return _TO_TRADITIONAL.convert(text)


def punctuation(text: str, rng: random.Random, pool: str) -> str:
    changed = _PUNCTUATION.sub(lambda m: rng.choice((" ", "～", "…", "!!", "")), text)
    return f"{changed} [哈哈] http://t.cn/{rng.randrange(10**8):x}"


def truncate(text: str, rng: random.Random, pool: str) -> str:
    return text[: max(1, int(len(text) * 0.8))]


def combined(text: str, rng: random.Random, pool: str) -> str:
    return repost_prefix(traditional(edit(text, rng, pool), rng, pool), rng, pool)


VARIANTS: dict[str, Callable[[str, random.Random, str], str]] = {
    "repost_prefix": repost_prefix,
    "repost_chain": repost_chain,
    "repost_comment": repost_comment,
    "edit": edit,
    "traditional": traditional,
    "punctuation": punctuation,
    "truncate_80": truncate,
    "combined": combined,
}


def difflib_ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _NON_WORD.sub("", a), _NON_WORD.sub("", b), autojunk=False).ratio()


def build_pairs(
    posts: list[str],
) -> tuple[list[str], list[tuple[int, int, str]], list[tuple[int, int, str]], int]:
    rng = random.Random(SEED)
    pool = "".join(sorted(set("".join(posts)) - set(" \n\t")))
    eligible = [i for i, text in enumerate(posts) if len(_NON_WORD.sub("", text)) >= 15]
    sources = rng.sample(eligible, SOURCES)
    docs = list(posts)
    positives = []
    names = list(VARIANTS)
    for n, source in enumerate(sources):
        kind = names[n % len(names)]
        docs.append(VARIANTS[kind](posts[source], rng, pool))
        positives.append((source, len(docs) - 1, kind))

    candidates: list[tuple[int, int, str]] = []
    while len(candidates) < RANDOM_NEGATIVES:
        a, b = rng.sample(range(len(posts)), 2)
        candidates.append((a, b, "random"))
    matrix = TfidfVectorizer(analyzer="char", ngram_range=(2, 2)).fit_transform(posts)
    _, neighbours = NearestNeighbors(n_neighbors=2, metric="cosine").fit(matrix).kneighbors(matrix[sources])
    candidates += [
        (s, int(row[1] if row[0] == s else row[0]), "topical")
        for s, row in zip(sources, neighbours, strict=True)
    ]
    negatives, natural = [], 0
    for a, b, kind in candidates:
        if posts[a] == posts[b] or difflib_ratio(posts[a], posts[b]) >= NATURAL_DUPLICATE_RATIO:
            natural += 1
        else:
            negatives.append((a, b, kind))
    return docs, positives, negatives, natural


def exhaustive_pairs(docs: list[str], threshold: float) -> set[tuple[int, int]]:
    """Find every pair at or above threshold by exact Jaccard over all pairs, to check what LSH misses."""
    fingerprints = fingerprint_many(docs)
    rows, cols = [], []
    for i, fingerprint in enumerate(fingerprints):
        if not fingerprint.is_blank and fingerprint.count >= MIN_SHINGLES:
            rows += [i] * fingerprint.shingles.size
            cols += fingerprint.shingles.tolist()
    _, col_ids = np.unique(np.array(cols, dtype=np.uint32), return_inverse=True)
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, col_ids)), shape=(len(docs), col_ids.max() + 1)
    )
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    inter = sparse.triu(matrix @ matrix.T, k=1).tocoo()
    jaccard = inter.data / (sizes[inter.row] + sizes[inter.col] - inter.data)
    keep = jaccard >= threshold - 1e-9
    return set(zip(inter.row[keep].tolist(), inter.col[keep].tolist(), strict=True))


def evaluate(docs, positives, negatives, threshold: float) -> dict[str, object]:
    index = DuplicateIndex(threshold=threshold)
    start = time.perf_counter()
    index.add_many(enumerate(docs))
    index_seconds = time.perf_counter() - start
    start = time.perf_counter()
    found = {(a, b) for a, b, _ in index.pairs()}
    pairs_seconds = time.perf_counter() - start

    def predicted(a: int, b: int) -> bool:
        return (min(a, b), max(a, b)) in found

    tp = sum(predicted(a, b) for a, b, _ in positives)
    fp = sum(predicted(a, b) for a, b, _ in negatives)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / len(positives)
    by_kind = Counter(kind for a, b, kind in positives if predicted(a, b))
    totals = Counter(kind for _, _, kind in positives)

    truth = exhaustive_pairs(docs, threshold)
    hashed = {i for i, f in enumerate(fingerprint_many(docs)) if f.count >= MIN_SHINGLES}
    below_threshold = {(a, b) for a, b in found if a in hashed and b in hashed} - truth

    originals = DuplicateIndex(threshold=threshold)
    originals.add_many(enumerate(docs[: len(docs) - len(positives)]))
    variants = docs[len(docs) - len(positives) :]
    start = time.perf_counter()
    for text in variants:
        originals.query(text)
    query_seconds = time.perf_counter() - start
    return {
        "threshold": threshold,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4) if tp else 0.0,
        "false_positives": fp,
        "recall_by_kind": {kind: round(by_kind[kind] / totals[kind], 3) for kind in VARIANTS},
        "lsh_recall_vs_exhaustive": round(len(truth & found) / len(truth), 4) if truth else 1.0,
        "exhaustive_pairs": len(truth),
        "reported_pairs_below_threshold": len(below_threshold),
        "index_docs_per_s": round(len(docs) / index_seconds),
        "pairs_docs_per_s": round(len(docs) / pairs_seconds),
        "query_docs_per_s": round(len(variants) / query_seconds),
    }


def main() -> None:
    posts = load_posts()
    docs, positives, negatives, natural = build_pairs(posts)
    results = [evaluate(docs, positives, negatives, threshold) for threshold in THRESHOLDS]
    negative_kinds = Counter(kind for _, _, kind in negatives)
    print(f"{len(docs)} docs: {len(posts)} posts + {len(positives)} planted variants")
    print(
        f"{len(positives)} positive pairs, {len(negatives)} negative pairs {dict(negative_kinds)}, "
        f"{natural} natural duplicates left out"
    )
    columns = {
        "threshold": 9,
        "precision": 9,
        "recall": 6,
        "f1": 6,
        "false_positives": 15,
        "lsh_recall_vs_exhaustive": 24,
        "index_docs_per_s": 16,
        "query_docs_per_s": 16,
    }
    print(" ".join(name.ljust(width) for name, width in columns.items()))
    for r in results:
        print(" ".join(str(r[name]).ljust(width) for name, width in columns.items()))
        print("  recall by kind:", r["recall_by_kind"])
    summary = {
        "docs": len(docs),
        "positive_pairs": len(positives),
        "negative_pairs": len(negatives),
        "negative_pairs_by_kind": dict(negative_kinds),
        "natural_duplicates_excluded": natural,
        "results": results,
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()

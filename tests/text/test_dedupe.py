from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pytest
from opencc_pyo3 import OpenCC

from minsheng.text.dedupe import DuplicateIndex, Match, normalize, signature
from minsheng.text.dedupe_signature import MAX_SHINGLES, Fingerprint, fingerprint_many, similarity
from tests.conftest import SHARED, shared_missing

POSTS = SHARED / "data" / "weibo_rumor" / "posts.csv"


def shingles(text: str) -> set[str]:
    norm = normalize(text)
    return {norm[i : i + 3] for i in range(len(norm) - 2)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


@pytest.fixture(scope="module")
def posts() -> list[str]:
    if not POSTS.exists():
        shared_missing("shared Weibo rumour data is not available")
    with POSTS.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    # Long posts that share little text with each other (checked by brute force, not by the index under test),
    # so any pair found among them is one a test planted.
    chosen: list[str] = []
    chosen_grams: list[set[str]] = []
    for text in texts:
        grams = shingles(text)
        if len(grams) >= 40 and all(jaccard(grams, other) < 0.2 for other in chosen_grams):
            chosen.append(text)
            chosen_grams.append(grams)
        if len(chosen) == 300:
            break
    return chosen


@pytest.fixture(scope="module")
def corpus(posts: list[str]) -> DuplicateIndex:
    index = DuplicateIndex()
    index.add_many(enumerate(posts))
    return index


def exact_jaccard(a: str, b: str) -> float:
    return jaccard(shingles(a), shingles(b))


def test_normalize_strips_repost_boilerplate_urls_and_script() -> None:
    text = "转发微博//@张三: 人間慘劇：今天下午14點 http://t.cn/zjKyD4R [蜡烛] @李四 "
    assert normalize(text) == "人间惨剧今天下午14点"


def test_planted_copies_are_found(posts: list[str], corpus: DuplicateIndex) -> None:
    to_traditional = OpenCC("s2t")
    for key, text in list(enumerate(posts))[:60]:
        variants = [
            f"转发微博//@路人甲:{text}",
            f"太可怕了//@网友: 轉發微博 //@乙：{to_traditional.convert(text)}",
            text.replace("，", " ").replace("。", "!!") + " http://t.cn/abc123 [哈哈]",
            text[:5] + "啊" + text[6:],
        ]
        for variant in variants:
            assert key in [match.key for match in corpus.query(variant)], variant


def test_unrelated_posts_are_not_grouped(corpus: DuplicateIndex) -> None:
    assert corpus.groups() == []


def test_reposts_form_one_group_per_original(posts: list[str]) -> None:
    index = DuplicateIndex()
    index.add_many((f"orig-{i}", text) for i, text in enumerate(posts[:50]))
    index.add_many((f"repost-{i}", f"转发微博//@用户{i}:{posts[i]}") for i in range(10))
    index.add_many((f"chain-{i}", f"顶//@用户{i}://@用户{i + 1}:{posts[i]}") for i in range(10))
    assert sorted(index.groups()) == sorted([[f"orig-{i}", f"repost-{i}", f"chain-{i}"] for i in range(10)])


def test_threshold_is_respected_exactly(posts: list[str]) -> None:
    base = posts[0]
    cuts = range(len(base) // 3, len(base), max(1, len(base) // 12))
    for threshold in (0.3, 0.5, 0.7):
        index = DuplicateIndex(threshold=threshold)
        index.add_many((cut, base[:cut]) for cut in cuts)
        for match in index.query(base):
            assert match.similarity >= threshold
            assert match.similarity == pytest.approx(exact_jaccard(base, base[: match.key]))
        expected = {cut for cut in cuts if exact_jaccard(base, base[:cut]) >= threshold}
        assert {match.key for match in index.query(base)} == expected


def test_query_orders_most_similar_first(posts: list[str]) -> None:
    index = DuplicateIndex(threshold=0.3)
    text = posts[1]
    index.add_many([("half", text[: len(text) // 2]), ("whole", text), ("most", text[:-3])])
    matches = index.query(text)
    assert [match.key for match in matches] == ["whole", "most", "half"]
    assert matches[0] == Match("whole", 1.0)


def test_remove_and_replace(posts: list[str]) -> None:
    index = DuplicateIndex()
    index.add_many([(1, posts[0]), (2, posts[0]), (3, "短文本")])
    index.remove(1)
    assert [match.key for match in index.query(posts[0])] == [2]
    index.remove(3)
    assert index.query("短文本") == []
    index.add(2, posts[1])
    assert index.query(posts[0]) == []
    assert len(index) == 1
    with pytest.raises(KeyError):
        index.remove(99)


def test_persistence_round_trip(tmp_path: Path, posts: list[str], corpus: DuplicateIndex) -> None:
    corpus.add_many([("copy", "//@某人:" + posts[0]), ("short-a", "顶！"), ("short-b", "顶"), ("blank", " ")])
    try:
        restored = DuplicateIndex.from_bytes(corpus.to_bytes())
        assert len(restored) == len(corpus)
        assert restored.threshold == corpus.threshold and restored.num_perm == corpus.num_perm
        assert sorted(map(str, restored.groups()[0])) == ["0", "copy"]
        assert restored.query("顶") == [Match("short-a", 1.0), Match("short-b", 1.0)]
        corpus.save(tmp_path / "index.bin")
        loaded = DuplicateIndex.load(tmp_path / "index.bin")
        assert loaded.query(posts[5]) == corpus.query(posts[5])
    finally:
        for key in ("copy", "short-a", "short-b", "blank"):
            corpus.remove(key)


def test_rebuild_from_stored_signatures(posts: list[str]) -> None:
    index = DuplicateIndex()
    index.add_signatures((i, signature(text)) for i, text in enumerate(posts[:20]))
    assert index.query(posts[3])[0] == Match(3, 1.0)
    with pytest.raises(ValueError, match="permutations"):
        index.add_signature("other", signature(posts[0], num_perm=64))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"MD",
        b"XX" + bytes(30),
        signature("一段足够长的文本用于测试签名")[:-1],
        b"MSDEDUPE\x01\xff\xff\xff\x00",
    ],
)
def test_malformed_bytes_are_rejected(data: bytes) -> None:
    with pytest.raises(ValueError):
        DuplicateIndex.from_bytes(data) if data.startswith(b"MSDEDUPE") else Fingerprint.from_bytes(data)


def test_corrupt_index_metadata_is_rejected() -> None:
    data = DuplicateIndex().to_bytes()
    with pytest.raises(ValueError):
        DuplicateIndex.from_bytes(data[:-2] + b"!}")
    with pytest.raises(ValueError):
        DuplicateIndex.from_bytes(data + b"\x00")


def test_blank_and_short_texts_do_not_match_everything() -> None:
    index = DuplicateIndex(threshold=0.3)
    index.add_many(
        [("empty", ""), ("space", " \n\t "), ("punct", "！！！"), ("a", "好的"), ("b", "好的。"), ("c", "好")]
    )
    assert index.query("") == []
    assert index.query("   ") == []
    assert [match.key for match in index.query("好的！")] == ["a", "b"]
    assert index.query("好的呀") == []
    assert index.groups() == [["a", "b"]]


def test_short_text_does_not_match_long_text_containing_it(posts: list[str]) -> None:
    index = DuplicateIndex(threshold=0.3)
    index.add("long", posts[0])
    assert index.query(posts[0][:6]) == []


def test_ten_megabyte_text_finishes_quickly() -> None:
    rng = np.random.default_rng(1)
    text = "".join(map(chr, rng.integers(0x4E00, 0x9FA5, 10_000_000).tolist()))
    index = DuplicateIndex()
    start = time.perf_counter()
    index.add("huge", text)
    matches = index.query(text[: len(text) * 9 // 10])
    assert time.perf_counter() - start < 10
    assert matches[0].key == "huge" and matches[0].similarity == pytest.approx(0.9, abs=0.03)


def test_sampled_similarity_estimates_jaccard() -> None:
    rng = np.random.default_rng(2)
    text = "".join(map(chr, rng.integers(0x4E00, 0x9FA5, 60_000).tolist()))
    whole, part = fingerprint_many([text, text[:30_000]])
    assert whole.is_sampled and part.is_sampled
    assert similarity(whole, part) == pytest.approx(0.5, abs=0.05)
    assert len(signature(text)) < 4 * (MAX_SHINGLES + 200)


@pytest.mark.parametrize("key", [None, 1.5, b"k", ("a",), True])
def test_keys_must_be_str_or_int(key: object) -> None:
    with pytest.raises(TypeError):
        DuplicateIndex().add(key, "一段足够长的文本用于测试")  # type: ignore[arg-type]


def test_text_must_be_str() -> None:
    with pytest.raises(TypeError):
        DuplicateIndex().add("k", b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs", [{"threshold": 0}, {"threshold": 1.5}, {"num_perm": 1}, {"min_shingles": 0}]
)
def test_bad_settings_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        DuplicateIndex(**kwargs)

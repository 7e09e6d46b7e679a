from __future__ import annotations

import time

import pytest

from minsheng.text.segment import Segmenter, default_stopwords, domain_lexicon
from tests.conftest import SHARED, shared_missing

GOLD = SHARED / "data" / "sighan2005" / "pku_test_gold.utf8"
COMPLAINT = "我们在古楼街道反映噪音扰民问题，拨打12345热线后，网信办督办了工单。"


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter(["古楼街道", ("王小明", "nr")])


def test_domain_lexicon_and_user_words(segmenter: Segmenter) -> None:
    assert len(domain_lexicon()) >= 300
    assert segmenter.cut(COMPLAINT) == [
        "我们", "在", "古楼街道", "反映", "噪音扰民", "问题", "，", "拨打", "12345热线", "后", "，",
        "网信办", "督办", "了", "工单", "。",
    ]  # fmt: skip
    assert ("王小明", "nr") in segmenter.tag("王小明说个人信息泄露了")


def test_user_words_do_not_leak_between_segmenters(segmenter: Segmenter) -> None:
    other = Segmenter(use_domain_lexicon=False)
    assert segmenter.has_word("古楼街道")
    assert not other.has_word("古楼街道")
    assert "古楼街道" not in other.cut(COMPLAINT)
    other.add_words(["  ", "", "两个 词"])
    assert not other.has_word("两个 词")


def test_words_drop_punctuation_and_stopwords(segmenter: Segmenter) -> None:
    assert "的" in default_stopwords()
    assert segmenter.words(COMPLAINT) == [
        "古楼街道", "反映", "噪音扰民", "拨打", "12345热线", "网信办", "督办", "工单",
    ]  # fmt: skip
    assert "".join(segmenter.cut(COMPLAINT)) == COMPLAINT


def test_search_tokens_are_lower_case_index_terms(segmenter: Segmenter) -> None:
    tokens = segmenter.search_tokens("某APP存在个人信息泄露！ Hello")
    assert "app" in tokens
    assert "hello" in tokens
    assert "个人信息泄露" in tokens and "信息" in tokens
    assert "！" not in tokens and " " not in tokens


def test_bad_input(segmenter: Segmenter) -> None:
    assert segmenter.cut("") == []
    assert segmenter.words("") == []
    assert segmenter.search_tokens("，。！  ") == []
    assert segmenter.cut("网信\ud800办") == ["网信", "\ufffd", "办"]


def test_sighan_pku_f1(segmenter: Segmenter) -> None:
    if not GOLD.exists():
        shared_missing("shared SIGHAN 2005 data is not available")
    lines = [line.split() for line in GOLD.read_text(encoding="utf-8").splitlines()[:400] if line.strip()]
    correct = predicted = expected = 0
    for gold in lines:
        ours = [t for t in segmenter.cut("".join(gold)) if t.strip()]
        spans = []
        for words in (ours, gold):
            position, found = 0, set()
            for word in words:
                found.add((position, position + len(word)))
                position += len(word)
            spans.append(found)
        correct += len(spans[0] & spans[1])
        predicted += len(spans[0])
        expected += len(spans[1])
    precision, recall = correct / predicted, correct / expected
    assert 2 * precision * recall / (precision + recall) > 0.78


def test_ten_megabyte_text_is_cut_quickly(segmenter: Segmenter) -> None:
    text = COMPLAINT * (10_000_000 // len(COMPLAINT.encode()) + 1)
    started = time.perf_counter()
    words = segmenter.words(text)
    assert time.perf_counter() - started < 10
    assert words[:2] == ["古楼街道", "反映"]

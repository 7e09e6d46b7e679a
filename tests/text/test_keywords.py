from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from minsheng.core.errors import ValidationFailed
from minsheng.text.keywords import BackgroundModel, key_phrases, keywords
from minsheng.text.normalize import normalize_for_analysis
from minsheng.text.segment import Segmenter
from tests.conftest import SHARED, shared_missing

BODIES = SHARED / "data" / "teddycup" / "bodies.csv"
COMPLAINT = (
    "古楼街道某小区附近工地夜间施工，噪音很大，严重影响居民休息。多次向古楼街道反映，至今没有处理。"
    "请城管部门尽快处理工地噪音扰民问题。"
)


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


@pytest.fixture(scope="module")
def bodies() -> list[str]:
    if not BODIES.exists():
        shared_missing("shared Teddy Cup data is not available")
    with BODIES.open(encoding="utf-8", newline="") as handle:
        return [row["detail"] for row in csv.DictReader(handle)][:1500]


def test_keywords_without_a_model_prefer_repeated_content_words(segmenter: Segmenter) -> None:
    ranked = [word for word, _ in keywords(COMPLAINT, segmenter=segmenter, top_k=5)]
    assert ranked[:4] == ["古楼", "街道", "工地", "处理"]
    assert all(word not in segmenter.stopwords for word in ranked)
    assert keywords("", segmenter=segmenter) == []
    assert keywords("，。！的了", segmenter=segmenter) == []


def test_background_model_demotes_words_common_in_the_deployment(
    segmenter: Segmenter, bodies: list[str]
) -> None:
    model = BackgroundModel.fit(bodies, segmenter)
    assert model.documents == len(bodies)
    text = "小区物业乱收停车费，业主多次投诉物业，希望有关部门查处物业乱收费。"
    plain = dict(keywords(text, segmenter=segmenter, top_k=20))
    fitted = dict(keywords(text, model=model, segmenter=segmenter, top_k=20))
    assert model.idf("小区") < model.idf("停车费")
    assert fitted["停车费"] > fitted["小区"]
    assert plain["小区"] == plain["停车费"]
    assert next(iter(fitted)) == "物业"


def test_background_model_updates_and_round_trips(segmenter: Segmenter, tmp_path: Path) -> None:
    model = BackgroundModel.fit(["网络诈骗案件高发", "个人信息泄露引发网络诈骗"], segmenter)
    model.update(["古楼街道噪音扰民"])
    assert (model.documents, model.df["网络诈骗"], model.df["噪音扰民"]) == (3, 2, 1)
    path = tmp_path / "background.json"
    model.save(path)
    assert json.loads(path.read_text(encoding="utf-8"))["df"]["网络诈骗"] == 2
    loaded = BackgroundModel.load(path, segmenter)
    assert (loaded.documents, loaded.df) == (model.documents, model.df)
    loaded.update(["网络诈骗"])
    assert loaded.df["网络诈骗"] == 3
    loaded.prune(min_df=2)
    assert "噪音扰民" not in loaded.df
    path.write_text('{"format": "pickle"}', encoding="utf-8")
    with pytest.raises(ValidationFailed):
        BackgroundModel.load(path)
    with pytest.raises(ValueError, match="segmenter"):
        BackgroundModel().update(["文本"])


def test_key_phrases_join_adjacent_words() -> None:
    segmenter = Segmenter(use_domain_lexicon=False)
    phrases = key_phrases(COMPLAINT, segmenter=segmenter, top_k=5)
    assert "古楼街道" in phrases
    assert any("噪音" in phrase and len(phrase) > 2 for phrase in phrases)
    assert key_phrases("", segmenter=segmenter) == []
    assert key_phrases("的了吗", segmenter=segmenter) == []


def test_key_phrases_on_a_real_message(segmenter: Segmenter, bodies: list[str]) -> None:
    text = max(bodies[:200], key=len)
    phrases = key_phrases(text, segmenter=segmenter, top_k=5)
    assert 1 <= len(phrases) <= 5
    assert all(phrase in normalize_for_analysis(text) for phrase in phrases)


def test_keywords_and_phrases_on_a_long_text(segmenter: Segmenter, bodies: list[str]) -> None:
    text = "\n".join(bodies[:1500])
    started = time.perf_counter()
    assert len(keywords(text, segmenter=segmenter)) == 10
    assert len(key_phrases(text, segmenter=segmenter)) == 5
    assert time.perf_counter() - started < 10

"""Text classifiers: training, calibrated prediction, the versioned store, corrections and rule defaults."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minsheng.core.settings import Settings
from minsheng.text.classify import (
    Classifiers,
    DataError,
    ModelStoreError,
    TextClassifier,
    TrainingError,
    add_correction,
    current_version,
    default_rules,
    list_versions,
    load_model,
    read_corrections,
    read_labelled_csv,
    retrain,
    rollback,
    train,
    train_task,
)
from minsheng.text.classify.features import TextFeaturizer, word_tokens
from minsheng.text.classify.store import MODEL_FILE, load_model_dir, task_dir
from minsheng.text.cli import text_app
from tests.conftest import SHARED

TITLES = SHARED / "data" / "teddycup" / "titles.csv"


@pytest.fixture(scope="module")
def teddy() -> tuple[list[str], list[str]]:
    """600 real titles from the Teddy Cup messages, 7 categories."""
    texts, labels = read_labelled_csv(TITLES, "title", "label")
    return texts[:600], labels[:600]


@pytest.fixture(scope="module")
def trained(teddy: tuple[list[str], list[str]]) -> TextClassifier:
    classifier, report, _ = train(*teddy, folds=3, n_jobs=1)
    assert report.macro_f1 > 0.5
    return classifier


@pytest.fixture
def store(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def _write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_predict_gives_calibrated_probabilities_and_ordered_top_k(trained: TextClassifier) -> None:
    texts = ["小区物业乱收费，业主多次反映无人处理", "孩子入学学位分配不公平", "", "医保报销比例太低"]
    predictions = trained.predict(texts, k=3)
    assert len(predictions) == 4
    for prediction in predictions:
        assert prediction.top_k[0] == (prediction.label, prediction.probability)
        probabilities = [p for _, p in prediction.top_k]
        assert probabilities == sorted(probabilities, reverse=True)
    proba = trained.predict_proba(texts)
    assert proba.shape == (4, 7)
    assert proba.sum(axis=1) == pytest.approx(1.0)
    assert predictions[1].label == "教育文体"
    assert trained.predict([]) == []


def test_word_tokens_are_assigned_to_their_own_text() -> None:
    docs, tokens = word_tokens(["小区噪音扰民", "医保报销", "孩子 入学"])
    assert docs.tolist() == [0, 0, 0, 1, 1, 2, 2]
    assert tokens == ["小区", "噪音", "扰民", "医保", "报销", "孩子", "入学"]


def test_featurizer_learns_words_and_word_bigrams() -> None:
    featurizer = TextFeaturizer().fit(["小区噪音扰民严重", "小区噪音扰民", "医保报销太慢", "医保报销比例"])
    assert {"小区", "噪音", "医保", "报销"} <= set(featurizer.words)
    assert len(featurizer.bigrams) >= 2


def test_ten_megabyte_text_is_classified(trained: TextClassifier) -> None:
    prediction = trained.predict(["小区噪音扰民" * 1_750_000])[0]
    assert prediction.label in trained.labels


def test_store_versions_rollback_and_classifiers(store: Settings, teddy: tuple[list[str], list[str]]) -> None:
    assert load_model("category", store) is None
    assert Classifiers.load(store).source("category") == "default-rules"
    first = train_task("category", *teddy, store, folds=2, n_jobs=1)
    assert first.promoted and current_version("category", store) == first.version.version
    meta = first.version.meta
    assert meta["training_size"] == 600 and set(meta["labels"]) == set(teddy[1])
    assert meta["cv"]["macro_f1"] > 0 and len(meta["sha256"]) == 64
    second = train_task("category", *teddy, store, folds=2, n_jobs=1)
    assert [v.version for v in list_versions("category", store)] == sorted(
        [first.version.version, second.version.version]
    )
    assert rollback("category", store) == min(first.version.version, second.version.version)
    loaded = load_model("category", store)
    assert loaded is not None and loaded.version == current_version("category", store)
    classifiers = Classifiers.load(store)
    assert classifiers.source("category").startswith("model:")
    predictions = classifiers.predict("category", ["公交车班次太少"])
    assert predictions[0].source == f"model:{loaded.version}"
    assert "category" in classifiers.tasks() and "harm" in classifiers.tasks()


def test_tampered_model_is_refused(store: Settings, teddy: tuple[list[str], list[str]]) -> None:
    outcome = train_task("rumor", *teddy, store, folds=2, n_jobs=1)
    model_file = task_dir("rumor", store) / outcome.version.version / MODEL_FILE
    model_file.write_bytes(model_file.read_bytes() + b"x")
    with pytest.raises(ModelStoreError, match="SHA-256"):
        load_model("rumor", store)
    with pytest.raises(ModelStoreError):
        task_dir("../escape", store)


def test_corrections_feed_retraining(store: Settings, teddy: tuple[list[str], list[str]]) -> None:
    with pytest.raises(ModelStoreError):
        retrain("category", store)
    first = train_task("category", *teddy, store, folds=2, n_jobs=1)
    text = "高铁站出租车拒载严重"
    assert add_correction("category", text, "交通运输", store) == 1
    assert add_correction("category", text, "交通运输", store) == 1
    assert read_corrections("category", store) == [(text, "交通运输")]
    outcome = retrain("category", store, force=True, folds=2)
    assert outcome.promoted and outcome.version.version != first.version.version
    training = outcome.version.meta["training_data"]
    assert training["corrections_used"] == 1 and training["retrained_from"] == first.version.version
    assert outcome.version.meta["training_size"] == 601


def test_default_rules_on_real_looking_sentences() -> None:
    category = default_rules("category").predict(
        ["小区物业乱收费，开发商延期交房", "工厂夜间偷排废水，河道黑臭", "公交线路调整后班次太少"]
    )
    assert [p.label for p in category] == ["城乡建设", "环境保护", "交通运输"]
    assert all(p.source == "default-rules" for p in category)
    sentiment = default_rules("sentiment").predict(
        [
            "各级人民政府要认真贯彻落实本意见，加强组织领导，完善工作机制，确保各项任务落到实处，推动高质量发展。",
            "物业不作为，噪音扰民多次投诉石沉大海，严重影响休息！",
            "感谢交警同志及时处理，服务非常周到，点赞！",
            "办事人员态度不好，我很不满意",
        ]
    )
    assert [p.label for p in sentiment] == ["neutral", "negative", "positive", "negative"]
    emotion = default_rules("emotion").predict(["今天好开心哈哈哈", "太可怕了，好害怕出门", "明天上午开会"])
    assert [p.label for p in emotion] == ["happy", "fear", "neutral"]
    rumor = default_rules("rumor").predict(
        ["震惊！内部消息，转疯了，即将删除速看", "市气象台发布明日天气预报"]
    )
    assert [p.label for p in rumor] == ["rumor", "non-rumor"]
    harm = default_rules("harm").predict(
        ["兼职刷单日赚五百，另有网赌百家乐", "出售公民信息，身份证号110101199003071234", "今天天气很好"]
    )
    assert set(harm[0].labels) == {"fraud", "gambling"}
    assert "leaked_personal_data" in harm[1].labels
    assert harm[2].label == "none" and harm[2].labels == ()


def test_training_rejects_bad_data() -> None:
    with pytest.raises(TrainingError, match="2 个"):
        train(["甲", "乙", "丙"], ["a", "a", "a"], folds=2)
    with pytest.raises(TrainingError):
        train(["甲", "乙", "丙"], ["a", "a", "b"], folds=2)


def test_csv_reading_errors_and_encodings(tmp_path: Path) -> None:
    gbk = _write_csv(
        tmp_path / "gbk.csv", [["标题", "正文", "类别"], ["路灯坏了", "好几天", "城乡建设"]], "gbk"
    )
    assert read_labelled_csv(gbk, "标题,正文", "类别") == (["路灯坏了\n好几天"], ["城乡建设"])
    bom = tmp_path / "bom.csv"
    bom.write_text("text,label\n噪音,环境保护\n", encoding="utf-8-sig")
    assert read_labelled_csv(bom, "text", "label") == (["噪音"], ["环境保护"])
    with pytest.raises(DataError, match="缺少列"):
        read_labelled_csv(bom, "body", "label")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="为空"):
        read_labelled_csv(empty, "text", "label")


def test_cli_train_and_evaluate(tmp_path: Path, teddy: tuple[list[str], list[str]]) -> None:
    data = _write_csv(
        tmp_path / "train.csv",
        [["title", "note", "label"], *[[t, "", y] for t, y in zip(*teddy, strict=True)]],
    )
    out = tmp_path / "model"
    runner = CliRunner()
    trained = runner.invoke(
        text_app,
        f"train --task category --data {data} --text title,note --label label --out {out} --folds 2".split(),
    )
    assert trained.exit_code == 0, trained.output
    assert "macro-F1" in trained.output
    evaluated = runner.invoke(
        text_app, f"evaluate --model {out} --data {data} --text title --label label".split()
    )
    assert evaluated.exit_code == 0, evaluated.output
    result = json.loads(evaluated.output.strip().splitlines()[-1])
    assert result["n"] == 600 and 0.8 < result["macro_f1"] <= 1 and 0.8 < result["accuracy"] <= 1
    assert set(result["per_class"]) == set(teddy[1])
    assert set(result["per_class"]["城乡建设"]) == {"precision", "recall", "f1", "support"}
    _, meta = load_model_dir(out)
    assert meta["training_data"]["text_columns"] == ["title", "note"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["title", "label"], ["路灯坏了", "城乡建设"], ["噪音扰民", "城乡建设"]], "至少需要 2 个"),
        ([["title", "label"], ["路灯坏了", "城乡建设"]], "至少需要 2 个"),
        ([["body", "label"], ["路灯坏了", "城乡建设"]], "缺少列"),
        ([["title", "label"]], "没有带标签"),
    ],
)
def test_cli_train_reports_bad_input(tmp_path: Path, rows: list[list[str]], message: str) -> None:
    data = _write_csv(tmp_path / "bad.csv", rows)
    result = CliRunner().invoke(
        text_app,
        f"train --task category --data {data} --text title --label label --out {tmp_path / 'm'}".split(),
    )
    assert result.exit_code == 1
    assert message in result.output

"""The one-call analysis over a deployment's own names, and its CLI."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from minsheng.cli import app
from minsheng.org.regions import load_regions
from minsheng.text.analysis import Analysis, TextEngine, analyze, analyze_many
from minsheng.text.gazetteer import Gazetteer
from tests.factories import make_department

SHANGHAI = ZoneInfo("Asia/Shanghai")
COMPLAINT = (
    "东昌府区古楼街道柳园路工地夜间施工噪音扰民，已向市住建局反映多次无果。"
    "联系人电话13800138000，昨天晚上十点还在施工，罚款五千元也没用。"
)


@pytest.fixture
def text_engine(session):
    load_regions(session, root_code="371500")
    make_department(session, name="市住房和城乡建设局", code="ZJJ", aliases=["市住建局"])
    session.flush()
    return TextEngine(gazetteer=Gazetteer.from_session(session))


def test_analysis_finds_places_departments_dates_and_masks_phones(text_engine):
    result = text_engine.analyze(COMPLAINT, published_at=datetime(2026, 11, 23, 9, tzinfo=SHANGHAI))
    assert isinstance(result, Analysis)
    assert result.region_code is not None and result.region_code.startswith("371502")
    assert [d.code for d in result.departments] == ["ZJJ"]
    assert any(d.first_day == date(2026, 11, 22) for d in result.dates)
    assert any(q.value == 5000 for q in result.quantities)
    assert "13800138000" not in result.masked_text and "138****8000" in result.masked_text
    assert "13800138000" not in json.dumps(result.to_dict(), ensure_ascii=False)
    assert result.category is not None and result.category.label == "城乡建设"
    assert result.sentiment is not None and result.sentiment.label == "negative"
    assert result.key_phrases and result.keywords
    assert result.signature


def test_batch_matches_single_and_flags_fraud(text_engine):
    texts = [COMPLAINT, "有人冒充公安局打电话，让我把钱转到安全账户，说是涉嫌洗钱。"]
    batch = text_engine.analyze_many(texts)
    assert [a.category.label for a in batch] == [text_engine.analyze(t).category.label for t in texts]
    assert "fraud" in batch[1].harm_signals
    assert batch[0].key_phrases == []  # phrases are opt-in on the batch path


@pytest.mark.parametrize("text", ["", "   ", "\ud800孤立代理", "好" * 5_000_000])
def test_bad_or_extreme_input_gives_a_result(text):
    result = analyze(text)
    assert isinstance(result, Analysis)


def test_mismatched_batch_arguments_are_refused():
    with pytest.raises(ValueError):
        analyze_many(["一", "二"], titles=["只有一个标题"])
    with pytest.raises(TypeError):
        analyze_many([b"bytes are not text"])


def test_cli_analyze_reads_stdin_and_prints_json(monkeypatch, tmp_path):
    monkeypatch.setenv("MINSHENG_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["text", "analyze", "--published-at", "2026-11-23T08:00:00+08:00"],
        input=COMPLAINT.encode("gb18030"),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.strip().splitlines()[-1])
    assert data["predictions"]["category"]["label"] == "城乡建设"
    assert {m["kind"] for m in data["personal_data"]} >= {"mobile"}
    assert runner.invoke(app, ["text", "analyze"], input=b"").exit_code == 1
    assert runner.invoke(app, ["text", "analyze"], input=b"\x89PNG\r\n\x1a\n" + bytes(2000)).exit_code == 1
    assert runner.invoke(app, ["text", "analyze", "--published-at", "yesterday"], input="文本").exit_code == 1

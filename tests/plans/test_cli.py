from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

from minsheng.cli import app
from tests.conftest import SHARED, shared_missing

SEED = SHARED / "seeds" / "002_bf5513cba8292f79.txt"
TARGET_FIELDS = {
    "doc": str,
    "indicator": str,
    "value": (int, float),
    "unit": str,
    "comparator": str,
    "per_year": bool,
    "growth": bool,
    "quote": str,
    "section": str,
}
TASK_FIELDS = ("doc", "task_no", "title", "lead_units", "partner_units", "responsible_units", "quote")


def _run(*args: str, stdin: bytes | None = None):
    return CliRunner().invoke(app, ["plans", "extract", *args], input=stdin)


@pytest.fixture
def seed() -> Path:
    if not SEED.exists():
        shared_missing("shared seed documents are not available")
    return SEED


def test_json_output_is_one_object_with_the_gold_field_names(seed: Path) -> None:
    result = _run(str(seed), "--json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    assert set(records) == {"targets", "tasks"}
    assert len(records["targets"]) == 30
    assert len(records["tasks"]) == 34
    for target in records["targets"]:
        for field, kind in TARGET_FIELDS.items():
            assert isinstance(target[field], kind), (field, target)
        assert target["year"] is None or isinstance(target["year"], int)
        assert target["doc"] == seed.name
    for task in records["tasks"]:
        assert all(field in task for field in TASK_FIELDS)
        assert all(isinstance(task[role], list) for role in TASK_FIELDS[3:6])
    first = records["tasks"][0]
    assert (first["task_no"], first["title"], first["lead_units"]) == ("1", "大力推进智能制造", ["市经信委"])
    assert "“" in result.output, "Chinese must not be escaped"


def test_summary_is_readable_chinese(seed: Path) -> None:
    result = _run(str(seed))
    assert result.exit_code == 0, result.output
    assert "发文机关: 聊城市人民政府" in result.output
    assert "任务分解:" in result.output
    assert "28 “互联网+”政务服务（牵头: 市政务服务中心管理办公室; 配合: 市发改委、市经信委）" in result.output
    assert "2020年 固定宽带家庭普及率: 70%" in result.output


def test_docx_with_a_table_through_the_cli(tmp_path: Path) -> None:
    document = Document()
    document.add_paragraph("一、重点任务")
    document.add_paragraph(
        "1．建设智慧农业。到2020年，建成智慧农业示范综合区10个。（牵头单位：市农业局；配合单位：市科技局）"
    )
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "指标"
    table.cell(0, 1).text = "农产品网络销售额达100亿元"
    buffer = io.BytesIO()
    document.save(buffer)
    path = tmp_path / "计划.docx"
    path.write_bytes(buffer.getvalue())
    records = json.loads(_run(str(path), "--json").output)
    assert [(t["indicator"], t["value"], t["unit"], t["year"]) for t in records["targets"]] == [
        ("智慧农业示范综合区", 10, "个", 2020),
        ("农产品网络销售额", 100, "亿元", 2020),
    ]
    assert records["tasks"][0]["lead_units"] == ["市农业局"]
    assert records["tasks"][0]["doc"] == "计划.docx"


def test_pasted_text_on_standard_input() -> None:
    result = _run("-", "--json", stdin="移动互联网用户普及率达到75%。".encode())
    assert json.loads(result.output)["targets"][0]["doc"] == "stdin"


@pytest.mark.parametrize(
    ("content", "message"), [(b"", "是空的"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "二进制")]
)
def test_unreadable_files_exit_with_a_chinese_message(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    result = _run(str(path), "--json")
    assert result.exit_code == 1
    assert "导入失败" in result.output and message in result.output

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from minsheng.plans.metadata import read_metadata
from minsheng.plans.structure import deadline_year, outline
from tests.conftest import SHARED, shared_missing

SEEDS = SHARED / "seeds"
DOCUMENTS = SHARED / "data" / "policy_documents"


def _read(path: Path) -> str:
    if not path.exists():
        shared_missing("shared policy documents are not available")
    return path.read_text(encoding="utf-8")


def test_outline_numbers_the_seed_tasks_as_written() -> None:
    text = _read(SEEDS / "002_bf5513cba8292f79.txt")
    headings = outline(text).headings
    items = [h.number for h in headings if h.rank == 4]
    assert items == ["1", "2", "3"] + [str(n) for n in range(1, 29)]
    safeguards = [h for h in headings if h.rank == 3 and headings[h.parent].title == "保障措施"]
    assert [h.number for h in safeguards] == ["(一)", "(二)", "(三)", "(四)", "(五)", "(六)"]
    assert safeguards[1].title == "强化人才培养力度"


def test_section_path_and_title_up_to_the_first_full_stop() -> None:
    text = _read(SEEDS / "002_bf5513cba8292f79.txt")
    structure = outline(text)
    offset = text.index("建成10个数字化装备制造中心")
    assert structure.section(offset) == "1.大力推进智能制造"
    assert structure.section_path(offset) == ["三、主要任务", "(一)“互联网+”制造", "1.大力推进智能制造"]


def test_full_width_markers_nest_by_style_not_by_position() -> None:
    text = (
        "一、总体要求\n（一）发展目标\n1．基础设施\n（1）宽带网络\n①城市\n——农村\n二、主要任务\n1、建设平台"
    )
    headings = outline(text).headings
    assert [(h.marker, h.number, h.title) for h in headings] == [
        ("一、", "一", "总体要求"),
        ("（一）", "（一）", "发展目标"),
        ("1．", "1", "基础设施"),
        ("（1）", "（1）", "宽带网络"),
        ("①", "①", "城市"),
        ("——", "——", "农村"),
        ("二、", "二", "主要任务"),
        ("1、", "1", "建设平台"),
    ]
    assert [h.parent for h in headings] == [None, 0, 1, 2, 3, 4, None, 6]


def test_numbers_and_dates_are_not_headings() -> None:
    text = "2020年底前完成\n1.5亿元用于建设\n12345热线\n一是推进生产智能化"
    assert outline(text).headings == []


def test_a_to_year_opening_a_section_governs_its_items() -> None:
    text = _read(SEEDS / "002_bf5513cba8292f79.txt")
    structure = outline(text)
    assert structure.governing_year(text.index("固定宽带家庭普及率")) == 2020
    assert structure.governing_year(text.index("每年培育20家")) is None


def test_a_to_year_opening_the_next_paragraph_governs_it() -> None:
    text = _read(SEEDS / "003_775ed6d9f15a3fe1.txt")
    structure = outline(text)
    assert structure.governing_year(text.index("信息经济增加值")) == 2020
    assert structure.governing_year(text.index("打造互联网众创基地10家")) is None


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("到2020年，建成10个", 2020),
        ("到2020年建成农村服务点", 2020),
        ("2018年底基本实现", 2018),
        ("力争2025年前完成", 2025),
        ("2020年，全市", 2020),
        ("《山东省“互联网+”行动计划(2016-2018年)》", None),
        ("2017年5月23日", None),
        ("2018年度省基金", None),
        ("1995年我国共发生", None),
    ],
)
def test_deadline_year(text: str, year: int | None) -> None:
    assert deadline_year(text) == year


def test_metadata_of_a_seed_with_a_metadata_table() -> None:
    meta = read_metadata(_read(SEEDS / "003_775ed6d9f15a3fe1.txt"))
    assert meta.title == "关于加快推进互联网应用的实施计划"
    assert meta.authority == "绍兴市人民政府"
    assert meta.doc_number == "绍政发〔2016〕27号"
    assert meta.signed_on == date(2016, 6, 28)
    assert meta.published_on == date(2016, 6, 29)


def test_metadata_ignores_document_numbers_cited_in_brackets() -> None:
    meta = read_metadata(_read(SEEDS / "002_bf5513cba8292f79.txt"))
    assert meta.doc_number is None
    assert meta.authority == "聊城市人民政府"
    assert meta.signed_on == date(2017, 5, 23)
    assert meta.published_on == date(2017, 5, 31)


def test_metadata_joins_a_title_wrapped_over_lines() -> None:
    meta = read_metadata(_read(DOCUMENTS / "002.txt"))
    assert (
        meta.title == "国务院办公厅关于有效发挥政府性融资担保基金作用切实支持小微企业和“三农”发展的指导意见"
    )
    assert meta.doc_number == "国办发〔2019〕6号"
    assert meta.authority == "国务院办公厅"


def test_metadata_reads_a_signature_date_in_chinese_numerals() -> None:
    meta = read_metadata(_read(DOCUMENTS / "051.txt"))
    assert meta.signed_on == date(1997, 2, 4)
    assert meta.authority == "国务院办公厅"

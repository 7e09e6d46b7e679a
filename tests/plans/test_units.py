from __future__ import annotations

import pytest

from minsheng.plans.units import find_unit_blocks, match_units, split_unit_names


def _only(text: str) -> tuple[list[str], list[str], list[str]]:
    blocks = find_unit_blocks(text)
    assert len(blocks) == 1, blocks
    block = blocks[0]
    assert text[block.start : block.end] == block.quote
    return block.lead_units, block.partner_units, block.responsible_units


@pytest.mark.parametrize(
    "text",
    [
        "推广应用工业机器人3000台(套)。(牵头单位:市经信委;配合单位:市发改委、市科技局)",
        "推广应用工业机器人3000台（套）。（牵头单位：市经信委；配合单位：市发改委、市科技局）",
        "推广应用工业机器人。（牵头部门：市经信委，配合单位：市发改委，市科技局。）",
    ],
)
def test_lead_and_partner_units_in_either_width(text: str) -> None:
    assert _only(text) == (["市经信委"], ["市发改委", "市科技局"], [])


def test_responsible_units_after_a_lead_unit_are_partners() -> None:
    text = "打造互联网众创基地10家。(牵头单位:市科技局,责任单位:市发改委、市经信委、市人力社保局等)"
    assert _only(text) == (["市科技局"], ["市发改委", "市经信委", "市人力社保局"], [])


def test_responsible_units_alone() -> None:
    assert _only("实现县级供销社电子商务平台全覆盖。(责任部门:市交通局)") == ([], [], ["市交通局"])


def test_other_labelled_fields_end_the_unit_list() -> None:
    text = "允许开展业务。（负责部门：人民银行、外汇局，适用范围：福建自贸试验区）"
    assert _only(text) == ([], [], ["人民银行", "外汇局"])


def test_unlabelled_lead_and_partner_form() -> None:
    text = "建立指标体系。（生态环境部牵头，国家发展改革委、工业和信息化部参与）"
    assert _only(text) == (["生态环境部"], ["国家发展改革委", "工业和信息化部"], [])


def test_unlabelled_responsible_form_ends_a_sentence() -> None:
    text = "加大贴息力度。（人力资源社会保障部、财政部等有关部门和单位按职责分工负责）"
    assert _only(text) == ([], [], ["人力资源社会保障部", "财政部"])


def test_units_split_on_commas_between_groups_and_keep_brackets() -> None:
    text = "（责任单位：黄埔区、天河区人民政府，市工业和信息化局、市政府办公室〈市智慧办〉）"
    assert _only(text)[2] == ["黄埔区", "天河区人民政府", "市工业和信息化局", "市政府办公室〈市智慧办〉"]


@pytest.mark.parametrize(
    "text",
    [
        "（此件公开发布）",
        "推广信息物理系统(CPS)应用。",
        "（各有关部门负责的事项，见附件。）",
        "（含）以上的企业",
    ],
)
def test_ordinary_brackets_are_not_unit_blocks(text: str) -> None:
    assert find_unit_blocks(text) == []


def test_split_unit_names_drops_a_trailing_etc_only() -> None:
    assert split_unit_names("市公安局、市交通局、市质监局等") == ["市公安局", "市交通局", "市质监局"]
    assert split_unit_names("人民银行等部门") == ["人民银行"]
    assert split_unit_names("市等级评定中心") == ["市等级评定中心"]


DIRECTORY = {
    "市经济和信息化委员会": "jxw",
    "市经信委": "jxw",
    "市发展和改革委员会": "fgw",
    "市发改委": "fgw",
    "市智慧城市建设办公室": "zhb",
    "市智慧办": "zhb",
    "市商务局": "swj",
}


def test_match_units_by_alias_fuzzy_and_bracketed_alias_and_keep_unknown() -> None:
    result = match_units(
        ["市经信委", "市发改委 ", "市经济和信息化委", "市政府办公室〈市智慧办〉", "聊城供电公司"], DIRECTORY
    )
    assert [(m.name, m.code) for m in result.matched] == [
        ("市经信委", "jxw"),
        ("市发改委 ", "fgw"),
        ("市经济和信息化委", "jxw"),
        ("市政府办公室〈市智慧办〉", "zhb"),
    ]
    assert result.matched[0].score == 100.0
    assert result.matched[2].score < 100.0
    assert result.unknown == ["聊城供电公司"]


def test_match_units_refuses_a_tie_between_two_departments() -> None:
    result = match_units(["市商贸局"], {"市商务局": "swj", "市商业局": "syj"}, min_score=70)
    assert result.matched == []
    assert result.unknown == ["市商贸局"]


def test_match_units_with_an_empty_directory_keeps_every_name() -> None:
    assert match_units(["市农委"], {}).unknown == ["市农委"]

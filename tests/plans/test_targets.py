from __future__ import annotations

from pathlib import Path

import pytest

from minsheng.plans.extract import extract_plan
from minsheng.plans.targets import Target
from tests.conftest import SHARED, shared_missing

SEEDS = SHARED / "seeds"


def _targets(text: str) -> list[Target]:
    return extract_plan(text).targets


def _seed(name: str) -> str:
    path = SEEDS / name
    if not path.exists():
        shared_missing("shared seed documents are not available")
    return path.read_text(encoding="utf-8")


def _one(text: str) -> Target:
    found = _targets(text)
    assert len(found) == 1, found
    return found[0]


def test_level_target_reads_indicator_comparator_and_governing_year() -> None:
    text = "(二)发展目标。到2020年,互联网深度融合。\n1.基础支撑。全市政务信息网上公开率达到95%以上,公众满意。"
    target = _one(text)
    assert (target.indicator, target.value, target.unit, target.comparator, target.year) == (
        "政务信息网上公开率",
        95,
        "%",
        ">=",
        2020,
    )
    assert target.quote == "政务信息网上公开率达到95%以上"
    assert text[target.offset : target.offset + len(target.quote)] == target.quote
    assert target.section == "1.基础支撑"


def test_full_width_and_ascii_punctuation_read_alike() -> None:
    ascii_text = "固定宽带家庭普及率达到70%,移动互联网用户普及率达到75%;城区Wi-Fi全覆盖。"
    wide_text = "固定宽带家庭普及率达到７０％，移动互联网用户普及率达到75%；城区Wi-Fi全覆盖。"
    for text in (ascii_text, wide_text):
        assert [(t.indicator, t.value, t.unit) for t in _targets(text)] == [
            ("固定宽带家庭普及率", 70, "%"),
            ("移动互联网用户普及率", 75, "%"),
        ]


def test_counts_before_and_after_their_noun() -> None:
    text = (
        "到2020年,建设和改造10个智慧工厂和30个智慧车间,打造互联网众创基地10家,推广应用工业机器人3000台(套)。"
    )
    assert [(t.indicator, t.value, t.unit, t.quote) for t in _targets(text)] == [
        ("智慧工厂", 10, "个", "建设和改造10个智慧工厂"),
        ("智慧车间", 30, "个", "30个智慧车间"),
        ("互联网众创基地", 10, "家", "打造互联网众创基地10家"),
        ("工业机器人", 3000, "台(套)", "推广应用工业机器人3000台(套)"),
    ]
    assert {t.year for t in _targets(text)} == {2020}


def test_multiplier_stays_in_the_unit() -> None:
    assert [
        (t.value, t.unit) for t in _targets("连通业务部门22.5万个视频监控和管理数据。交易额超过2.6万亿元。")
    ] == [
        (22.5, "万个"),
        (2.6, "万亿元"),
    ]


def test_chinese_numeral_bandwidth_counts() -> None:
    found = _targets("全市所有中小学实现千兆到校、百兆到班和办公室。推进千兆光网建设。")
    assert [(t.value, t.unit, t.quote) for t in found] == [
        (1000, "兆", "全市所有中小学实现千兆到校"),
        (100, "兆", "百兆到班和办公室"),
    ]


def test_a_threshold_qualifying_the_counted_thing_is_not_a_target() -> None:
    target = _one("到2020年,培育年交易额10亿元以上电商企业7家。")
    assert (target.indicator, target.value, target.unit) == ("年交易额10亿元以上电商企业", 7, "家")


def test_every_year_quantities_and_growth_rates() -> None:
    found = _targets(
        "每年组织各类“互联网+”培训100场次,参训10000人次。全社会电子商务交易额超过2.6万亿元,年均增长25%左右。"
    )
    assert [(t.indicator, t.per_year, t.growth, t.comparator) for t in found] == [
        ("“互联网+”培训", True, False, "="),
        ("参训", True, False, "="),
        ("全社会电子商务交易额", False, False, ">="),
        ("全社会电子商务交易额年均增长", True, True, "~"),
    ]


@pytest.mark.parametrize(
    ("text", "comparator"),
    [
        ("至少建设1处电子商务产业园区(集聚区)。", ">="),
        ("合作机构担保金额占比不得低于80%。", ">="),
        ("审批时限压缩至5个工作日以内。", "<="),
        ("不良贷款率控制在3%以下。", "<="),
        ("增速保持在8%左右。", "~"),
        ("建成农村服务点1000个以上。", ">="),
        ("培育100余家龙头企业。", ">="),
        ("两化融合发展水平指数达到70。", "="),
    ],
)
def test_comparators(text: str, comparator: str) -> None:
    assert _one(text).comparator == comparator


@pytest.mark.parametrize(
    ("text", "indicator"),
    [
        ("到2025年，覆盖率提高到百分之九十。", "覆盖率"),
        ("共享率达到80%。", "共享率"),
        ("新增就业人数达到10万人。", "新增就业人数"),
        ("全国性工业互联网试点示范项目新增15个。", "全国性工业互联网试点示范项目"),
        ("新增边缘计算节点12套。", "边缘计算节点"),
    ],
)
def test_indicators_keep_nouns_that_start_like_verbs_or_scopes(text: str, indicator: str) -> None:
    assert _one(text).indicator == indicator


def test_ranges_keep_both_ends() -> None:
    target = _one("培育5-10家龙头企业。")
    assert (target.value, target.value_max, target.comparator) == (5, 10, ">=")


@pytest.mark.parametrize(
    "text",
    [
        "到2020年，聚焦四个重点领域，实施十大专项行动计划。",
        "深化“五个一批”“两化”融合示范试点建设，实施百家企业信息化“登高”计划。",
        "推进4G/5G网络、IPv6和移动O2O应用，建设柯桥F5创意园。",
        "整合12345热线，实现统一接听。",
        "根据《国务院关于积极推进“互联网+”行动的指导意见》(国发〔2015〕40号)要求。",
        "2018年底基本实现县级供销社电子商务平台全覆盖。",
        "发布日期:2017-05-31，2017年5月23日印发。",
        "实现城市管理24小时监控，一个视图掌握城市全貌。",
        "推进三大智能化物流园区建设，解决“最后一公里”问题。",
        "围绕6个重点领域，部署12项重点任务。",
        "截至2018年底，全市已建成5G基站1万个。",
        "对年营业收入5000万元以上的企业，给予最高100万元奖励。",
        "奖励标准为5万元/项。",
        "每引进1名人才给予奖励。",
    ],
)
def test_non_targets_are_skipped(text: str) -> None:
    assert _targets(text) == []


def test_unit_blocks_are_not_read_for_numbers() -> None:
    assert _targets("(牵头单位:市12345热线办;配合单位:市第3中学)") == []


def test_seed_quotes_are_exact_substrings_at_their_offsets() -> None:
    for name in ("002_bf5513cba8292f79.txt", "003_775ed6d9f15a3fe1.txt"):
        text = _seed(name)
        for target in _targets(text):
            assert text[target.offset : target.offset + len(target.quote)] == target.quote
            assert target.quote


def test_seed_targets_carry_year_and_section() -> None:
    text = _seed("002_bf5513cba8292f79.txt")
    by_quote = {t.quote: t for t in _targets(text)}
    assert by_quote["建成10个绿色智慧住区(社区)"].year == 2018
    assert by_quote["建成10个绿色智慧住区(社区)"].section == "15.推进绿色智慧住区(社区)建设"
    assert by_quote["至少建设1处电子商务产业园区(集聚区)"].year is None
    assert by_quote["互联网出口带宽超过2T"].year == 2020


def test_every_shared_document_yields_targets_with_valid_fields() -> None:
    paths = sorted((SHARED / "data" / "policy_documents").glob("*.txt")) + sorted(SEEDS.glob("*.txt"))
    if not paths:
        shared_missing("shared policy documents are not available")
    for path in paths:
        text = Path(path).read_text(encoding="utf-8")
        for target in _targets(text):
            assert target.comparator in {">=", "<=", "=", "~"}
            assert target.indicator and target.unit is not None
            assert text[target.offset : target.offset + len(target.quote)] == target.quote


FULL_WIDTH = str.maketrans({",": "，", ":": "：", ";": "；", "(": "（", ")": "）"})


@pytest.mark.parametrize("name", ["002_bf5513cba8292f79.txt", "003_775ed6d9f15a3fe1.txt"])
def test_a_seed_rewritten_in_full_width_punctuation_reads_the_same(name: str) -> None:
    text = _seed(name)
    ascii_found = extract_plan(text)
    wide_found = extract_plan(text.translate(FULL_WIDTH))

    def targets(extraction):
        return [
            (t.value, t.unit.translate(FULL_WIDTH), t.comparator, t.year, t.per_year)
            for t in extraction.targets
        ]

    def tasks(extraction):
        return [
            (t.task_no.translate(FULL_WIDTH), t.lead_units, t.partner_units, t.responsible_units)
            for t in extraction.tasks
        ]

    assert targets(wide_found) == targets(ascii_found)
    assert tasks(wide_found) == tasks(ascii_found)

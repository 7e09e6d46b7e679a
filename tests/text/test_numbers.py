from __future__ import annotations

import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from minsheng.text.numbers import Quantity, find_dates, find_quantities

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday.
PUBLISHED = datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)


def values(text: str) -> list[tuple[str, int | float, str, str | None, bool]]:
    return [(q.text, q.value, q.kind, q.unit, q.is_approximate) for q in find_quantities(text)]


def test_money_counts_and_percentages() -> None:
    text = "项目共投入三百五十万元，惠及两千余人，覆盖率达百分之三十，同比增长30%，另发放1.5万元补贴。"
    assert values(text) == [
        ("三百五十万元", 3500000, "money", "CNY", False),
        ("两千余人", 2000, "number", "人", True),
        ("百分之三十", 30, "percent", "%", False),
        ("30%", 30, "percent", "%", False),
        ("1.5万元", 15000, "money", "CNY", False),
    ]


def test_quantity_offsets_point_into_the_original_text() -> None:
    text = "罚款１２００元，涉案金额3.5亿元，约1,200户，拨打12345热线"
    found = find_quantities(text)
    assert [text[q.start : q.end] for q in found] == [q.text for q in found]
    assert [q.value for q in found] == [1200, 350000000, 1200, 12345]
    assert found[0] == Quantity("１２００元", 2, 7, 1200, "money", "CNY")


def test_quantities_skip_dates_and_determiners() -> None:
    assert find_quantities("2026年11月23日，一个问题，统一处理，万一出事，2026-11-23 10:30") == []
    assert find_quantities("") == []


def test_absolute_dates() -> None:
    text = "2026年11月23日、11月20日、2026-11-23、十一月二十三日、二〇二五年十二月、2024年"
    found = [(d.text, d.first_day, d.last_day) for d in find_dates(text, reference=PUBLISHED)]
    assert found == [
        ("2026年11月23日", date(2026, 11, 23), date(2026, 11, 23)),
        ("11月20日", date(2026, 11, 20), date(2026, 11, 20)),
        ("2026-11-23", date(2026, 11, 23), date(2026, 11, 23)),
        ("十一月二十三日", date(2026, 11, 23), date(2026, 11, 23)),
        ("二〇二五年十二月", date(2025, 12, 1), date(2025, 12, 31)),
        ("2024年", date(2024, 1, 1), date(2024, 12, 31)),
    ]


def test_month_day_without_year_looks_back_across_new_year() -> None:
    january = datetime(2027, 1, 5, tzinfo=SHANGHAI)
    assert find_dates("12月30日发生", reference=january)[0].date == date(2026, 12, 30)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("今天", date(2026, 11, 25), None),
        ("昨天", date(2026, 11, 24), None),
        ("前天", date(2026, 11, 23), None),
        ("明天", date(2026, 11, 26), None),
        ("上周三", date(2026, 11, 18), None),
        ("本周五", date(2026, 11, 27), None),
        ("上周", date(2026, 11, 16), date(2026, 11, 22)),
        ("本月", date(2026, 11, 1), date(2026, 11, 30)),
        ("上个月", date(2026, 10, 1), date(2026, 10, 31)),
        ("3天前", date(2026, 11, 22), None),
        ("三个月前", date(2026, 8, 25), None),
        ("近7天", date(2026, 11, 19), date(2026, 11, 25)),
        ("今年", date(2026, 1, 1), date(2026, 12, 31)),
        ("去年", date(2025, 1, 1), date(2025, 12, 31)),
        ("今年3月", date(2026, 3, 1), date(2026, 3, 31)),
    ],
)
def test_relative_dates(text: str, first: date, last: date | None) -> None:
    (mention,) = find_dates(f"居民反映{text}有噪音", reference=PUBLISHED)
    assert (mention.text, mention.first_day, mention.last_day) == (text, first, last or first)
    assert mention.is_range == (last is not None)


def test_reference_is_read_in_shanghai_time() -> None:
    # 17:00 UTC on the 24th is already 01:00 on the 25th in Shanghai.
    late = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    assert find_dates("昨天", reference=late)[0].date == date(2026, 11, 24)


def test_dates_skip_lookalikes_and_impossible_days() -> None:
    assert find_dates("目前天气晴好，今日头条报道", reference=PUBLISHED) == []
    assert find_dates("2026年2月30日、13月5日", reference=PUBLISHED) == []
    assert find_dates("", reference=PUBLISHED) == []


def test_ten_megabytes_is_scanned_quickly() -> None:
    text = "2026年11月23日，投入三百五十万元，惠及两千余人。居民反映噪音问题，希望尽快处理。" * 74_000
    started = time.perf_counter()
    assert len(find_dates(text, reference=PUBLISHED)) == 74_000
    assert len(find_quantities(text)) == 148_000
    assert time.perf_counter() - started < 10

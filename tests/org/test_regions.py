"""Loading the jurisdiction's regions from the vendored division files, and querying them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.core.errors import MinshengError, NotFound
from minsheng.core.settings import Settings
from minsheng.org.division import (
    DivisionDataMissingError,
    UnknownRegionError,
    jurisdiction_entries,
    normalize_region_code,
    short_region_name,
)
from minsheng.org.models import Region
from minsheng.org.regions import (
    get_region,
    list_child_regions,
    load_regions,
    region_ancestors,
    region_path,
    search_regions,
)

LIAOCHENG_TOTAL = 146  # 山东省 + 聊城市 + 8 counties + 136 townships and streets


@pytest.fixture
def loaded(session: Session, settings: Settings) -> Session:
    load_regions(session, root_code=settings.jurisdiction_code)
    session.commit()
    return session


@pytest.mark.parametrize(
    ("name", "level", "short"),
    [
        ("山东省", 1, "山东"),
        ("新疆维吾尔自治区", 1, "新疆"),
        ("香港特别行政区", 1, "香港"),
        ("聊城市", 2, "聊城"),
        ("恩施土家族苗族自治州", 2, "恩施"),
        ("东昌府区", 3, "东昌府"),
        ("莘县", 3, "莘县"),
        ("冠县", 3, "冠县"),
        ("临清市", 3, "临清"),
        ("浦东新区", 3, "浦东"),
        ("清新区", 3, "清新"),
        ("围场满族蒙古族自治县", 3, "围场"),
        ("鄂伦春自治旗", 3, "鄂伦春"),
        ("古楼街道", 4, "古楼"),
        ("沙镇镇", 4, "沙镇"),
        ("于家务回族乡", 4, "于家务"),
        ("聊城经济技术开发区", 4, "聊城经济技术开发区"),
        ("香江光彩大市场服务中心", 4, "香江光彩大市场服务中心"),
    ],
)
def test_short_region_name(name: str, level: int, short: str) -> None:
    assert short_region_name(name, level) == short


def test_normalize_region_code() -> None:
    assert normalize_region_code("11") == "110000"
    assert normalize_region_code("1101") == "110100"
    assert normalize_region_code("371502") == "371502"
    assert normalize_region_code("371502001") == "371502001"
    with pytest.raises(UnknownRegionError):
        normalize_region_code("37150")


def test_placeholders_are_skipped() -> None:
    beijing = jurisdiction_entries("110000")
    assert "110100" not in {entry.code for entry in beijing}
    dongcheng = next(entry for entry in beijing if entry.code == "110101")
    assert dongcheng.parent_code == "110000"


def test_load_liaocheng(loaded: Session) -> None:
    assert loaded.scalar(select(func.count()).select_from(Region)) == LIAOCHENG_TOTAL
    counties = list_child_regions(loaded, code="371500")
    assert len(counties) == 8
    assert all(region.level == 3 for region in counties)
    dongchangfu = get_region(loaded, code="371502")
    assert (dongchangfu.name, dongchangfu.short_name, dongchangfu.level) == ("东昌府区", "东昌府", 3)
    assert get_region(loaded, code="371522").short_name == "莘县"
    streets = list_child_regions(loaded, code="371502")
    gulou = next(region for region in streets if region.name == "古楼街道")
    assert (gulou.code, gulou.short_name, gulou.level) == ("371502001", "古楼", 4)
    assert [r.code for r in region_ancestors(loaded, code="371502001")] == [
        "370000",
        "371500",
        "371502",
        "371502001",
    ]
    assert region_path(loaded, code="371502") == "山东省 / 聊城市 / 东昌府区"
    assert [r.code for r in list_child_regions(loaded)] == ["370000"]
    assert get_region(loaded, code="37").level == 1


def test_reload_is_idempotent(loaded: Session, settings: Settings) -> None:
    again = load_regions(loaded, root_code=settings.jurisdiction_code)
    assert (again.created, again.updated, again.unchanged) == ([], [], LIAOCHENG_TOTAL)
    assert not loaded.dirty and not loaded.new
    loaded.commit()
    assert loaded.scalar(select(func.count()).select_from(Region)) == LIAOCHENG_TOTAL


def test_reload_repairs_changed_rows(loaded: Session) -> None:
    get_region(loaded, code="371502").short_name = "错"
    loaded.commit()
    report = load_regions(loaded, root_code="371500")
    assert report.updated == ["371502"]
    assert get_region(loaded, code="371502").short_name == "东昌府"


def test_first_load_reports_created(session: Session) -> None:
    report = load_regions(session, root_code="371502")
    assert report.created[:3] == ["370000", "371500", "371502"]
    assert report.total == 3 + 24
    assert report.unchanged == 0


@pytest.mark.parametrize("code", ["999999", "abc", "371502001", "110100"])
def test_bad_root_code(session: Session, code: str) -> None:
    with pytest.raises(UnknownRegionError) as caught:
        load_regions(session, root_code=code)
    assert isinstance(caught.value, MinshengError)
    assert code in caught.value.message


def test_missing_division_files(session: Session, tmp_path: Path) -> None:
    with pytest.raises(DivisionDataMissingError) as caught:
        load_regions(session, root_code="371500", division_dir=tmp_path)
    assert "vendor_assets" in caught.value.message
    assert "provinces.json" in caught.value.message


def test_search_regions(loaded: Session) -> None:
    assert search_regions(loaded, query="东昌府")[0].code == "371502"
    assert search_regions(loaded, query="莘县")[0].code == "371522"
    assert search_regions(loaded, query="古楼")[0].code == "371502001"
    assert [r.code for r in search_regions(loaded, query="3715", level=3)][:1] == ["371502"]
    assert search_regions(loaded, query="聊城", level=4) == []
    assert search_regions(loaded, query="  ") == []
    assert search_regions(loaded, query="100%") == []


def test_unknown_region_lookup(loaded: Session) -> None:
    with pytest.raises(NotFound):
        get_region(loaded, code="110101")
    with pytest.raises(NotFound):
        region_path(loaded, code="bad")

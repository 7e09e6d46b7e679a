"""Places and departments found in complaint texts, from plain records and from the database."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.orm import Session

from minsheng.org.division import jurisdiction_entries
from minsheng.org.regions import load_regions
from minsheng.text.gazetteer import DepartmentRecord, Gazetteer, RegionRecord
from minsheng.text.local_places import LEVEL_LOCAL, find_local_places
from minsheng.text.places import place_blocklist
from tests.factories import make_department

DEPARTMENTS = [
    DepartmentRecord(1, "JXW", "聊城市经济和信息化委员会", ("市经信委", "经信委")),
    DepartmentRecord(2, "GA", "聊城市公安局", ("市公安局", "公安局")),
    DepartmentRecord(3, "DCF-GA", "东昌府区公安分局", ("公安局",)),
]
# Two counties with a township of the same name, and a development zone known by a code.
TWIN_TOWNS = [
    RegionRecord("370000", "山东省", "山东", 1),
    RegionRecord("371500", "聊城市", "聊城", 2, "370000"),
    RegionRecord("371521", "阳谷县", "阳谷", 3, "371500"),
    RegionRecord("371522", "莘县", "莘县", 3, "371500"),
    RegionRecord("371521101", "张庄镇", "张庄", 4, "371521"),
    RegionRecord("371522101", "张庄镇", "张庄", 4, "371522"),
    RegionRecord("371522102", "A3区", "A3", 4, "371522"),
    RegionRecord("371522103", "古城镇", "古城", 4, "371522"),
    RegionRecord("371522104", "贾镇", "贾镇", 4, "371522"),
]


@pytest.fixture(scope="module")
def liaocheng() -> Gazetteer:
    return Gazetteer(regions=jurisdiction_entries("371500"), departments=DEPARTMENTS)


def _regions(gazetteer: Gazetteer, text: str) -> list[tuple[str, str | None]]:
    return [(m.text, m.region_code) for m in gazetteer.find_regions(text)]


def test_full_and_short_names_resolve_to_codes_and_paths(liaocheng: Gazetteer) -> None:
    text = "我家住在聊城市东昌府区柳园街道，楼下烧烤摊每天吵到半夜。茌平的朋友也遇到过。"
    mentions = liaocheng.find_regions(text)
    assert [(m.text, m.region_code, m.level) for m in mentions] == [
        ("聊城市", "371500", 2),
        ("东昌府区", "371502", 3),
        ("柳园街道", "371502002", 4),
        ("茌平", "371503", 3),
    ]
    assert mentions[2].path == ("山东省", "聊城市", "东昌府区", "柳园街道")
    assert all(text[m.start : m.end] == m.text and m.kind == "region" for m in mentions)
    assert _regions(liaocheng, "东昌府的路灯坏了") == [("东昌府", "371502")]


def test_longest_name_wins(liaocheng: Gazetteer) -> None:
    assert _regions(liaocheng, "东昌府区") == [("东昌府区", "371502")]
    assert _regions(liaocheng, "聊城市") == [("聊城市", "371500")]


def test_blocklisted_and_single_character_short_forms_are_not_places(liaocheng: Gazetteer) -> None:
    assert {"新区", "大桥", "古城", "人和"} <= place_blocklist()
    assert _regions(liaocheng, "高新区新建了一座大桥，古城人和谐相处，新城面貌一新") == []
    assert _regions(liaocheng, "新区街道和古城镇") == [("新区街道", "371502003"), ("古城镇", "371522104")]
    one_char = Gazetteer(regions=[RegionRecord("110101", "东城区", "东", 3)])
    assert _regions(one_char, "东边的路") == []


def test_ambiguous_township_needs_its_county_in_the_text() -> None:
    gazetteer = Gazetteer(regions=TWIN_TOWNS)
    assert _regions(gazetteer, "张庄镇的垃圾没人清运") == [("张庄镇", None)]
    assert _regions(gazetteer, "莘县张庄镇的垃圾没人清运") == [("莘县", "371522"), ("张庄镇", "371522101")]
    assert _regions(gazetteer, "张庄的垃圾没人清运，阳谷县也不管") == [
        ("张庄", "371521101"),
        ("阳谷县", "371521"),
    ]
    # Both counties named: the one named before the township wins.
    text = "阳谷县的事办完了，莘县张庄镇的还没有"
    assert _regions(gazetteer, text)[-1] == ("张庄镇", "371522101")
    # A city does not tell two of its counties apart.
    assert _regions(gazetteer, "聊城张庄镇") == [("聊城", "371500"), ("张庄镇", None)]
    unresolved = gazetteer.find_regions("张庄镇")[0]
    assert (unresolved.level, unresolved.path) == (4, ())


def test_short_code_names_need_context() -> None:
    gazetteer = Gazetteer(regions=TWIN_TOWNS)
    assert _regions(gazetteer, "A3区停车难") == [("A3区", "371522102")]
    assert _regions(gazetteer, "A3停车难") == [("A3", None)]
    assert _regions(gazetteer, "莘县A3停车难") == [("莘县", "371522"), ("A3", "371522102")]


def test_places_below_township_attach_to_the_nearest_region(liaocheng: Gazetteer) -> None:
    text = "阳谷县阿城镇李海务村的道路坏了好几年。东昌府区柳园路88号门口污水横流，星光花园小区物业不管。"
    places = [(m.text, m.kind, m.region_code) for m in liaocheng.find_places(text)]
    assert places == [
        ("阳谷县", "region", "371521"),
        ("阿城镇", "region", "371521103"),
        ("李海务村", "village", "371521103"),
        ("东昌府区", "region", "371502"),
        ("柳园路88号", "address", "371502"),
        ("星光花园小区", "residential", "371502"),
    ]
    village = liaocheng.find_places(text)[2]
    assert village.level == LEVEL_LOCAL
    assert village.path == ("山东省", "聊城市", "阳谷县", "阿城镇", "李海务村")


def test_standalone_local_places_and_common_words() -> None:
    found = [
        (p.text, p.kind) for p in find_local_places("我家住在幸福家园社区，和平路与向阳路交叉口经常堵车")
    ]
    assert found == [("幸福家园社区", "community"), ("和平路", "road"), ("向阳路", "road")]
    assert find_local_places("我们小区门口的马路太窄了，今天我路过农村，这个小区不行") == []
    gazetteer = Gazetteer(regions=[])
    standalone = gazetteer.find_places("星光花园小区停水三天")
    assert [(m.text, m.region_code, m.path) for m in standalone] == [
        ("星光花园小区", None, ("星光花园小区",))
    ]


def test_locate_returns_the_most_specific_region(liaocheng: Gazetteer) -> None:
    assert liaocheng.locate("聊城市东昌府区柳园街道星光花园小区停水") == "371502002"
    assert liaocheng.locate("古楼街道和柳园街道都停水了") == "371502"
    assert liaocheng.locate("古楼街道和临清新华路街道都停水了") == "371500"
    assert liaocheng.locate("楼下烧烤摊每天吵到半夜") is None
    assert liaocheng.region_path("371581") == ("山东省", "聊城市", "临清市")
    assert liaocheng.region_path("999999") == ()


def test_departments_by_name_and_alias(liaocheng: Gazetteer) -> None:
    text = "向市经信委反映后，聊城市经济和信息化委员会回复说已转东昌府区公安分局，市公安局也知情。"
    found = [(m.text, m.department_id, m.code) for m in liaocheng.find_departments(text)]
    assert found == [
        ("市经信委", 1, "JXW"),
        ("聊城市经济和信息化委员会", 1, "JXW"),
        ("东昌府区公安分局", 3, "DCF-GA"),
        ("市公安局", 2, "GA"),
    ]
    # 公安局 is an alias of two departments, so on its own it names neither.
    assert liaocheng.find_departments("找公安局") == []
    mention = liaocheng.find_departments("经信委")[0]
    assert (mention.start, mention.end, mention.name) == (0, 3, "聊城市经济和信息化委员会")


def test_empty_and_degenerate_input(liaocheng: Gazetteer) -> None:
    assert liaocheng.find_places("") == []
    assert liaocheng.find_departments("") == []
    assert liaocheng.locate("") is None
    empty = Gazetteer()
    assert empty.find_places("聊城市东昌府区") == []
    assert empty.find_departments("市经信委") == []
    assert liaocheng.find_places("1234567890" * 1000) == []


def test_ten_megabytes_stay_linear(liaocheng: Gazetteer) -> None:
    """A guard against quadratic blow-up on huge inputs, not a speed figure (see bench/text_gazetteer.py)."""
    text = "反映东昌府区柳园街道星光花园小区3号楼供暖不热，请市经信委协调。" * 330_000
    assert len(text) > 10_000_000
    started = time.perf_counter()
    regions = liaocheng.find_regions(text)
    departments = liaocheng.find_departments(text)
    assert time.perf_counter() - started < 120
    assert len(regions) == 660_000
    assert len(departments) == 330_000


def test_province_gazetteer_builds_quickly() -> None:
    entries = jurisdiction_entries("370000")
    started = time.perf_counter()
    gazetteer = Gazetteer(regions=entries)
    assert time.perf_counter() - started < 2
    assert gazetteer.region_count == len(entries)
    # 东城街道 exists in five Shandong counties; 山东 does not say which, 聊城 (one of them) does.
    assert _regions(gazetteer, "山东东城街道") == [("山东", "370000"), ("东城街道", None)]
    assert _regions(gazetteer, "聊城东城街道")[-1] == ("东城街道", "371502009")


def test_from_session_reads_regions_and_active_departments(session: Session) -> None:
    load_regions(session, root_code="371500")
    active = make_department(session, name="聊城市经济和信息化委员会", code="JXW", aliases=["市经信委"])
    retired = make_department(session, name="聊城市物价局", code="WJJ", aliases=["市物价局"])
    retired.is_active = False
    session.flush()
    gazetteer = Gazetteer.from_session(session)
    assert gazetteer.region_count == 146
    assert gazetteer.department_count == 1
    text = "阳谷县阿城镇的企业向市经信委和市物价局反映用电问题"
    assert [(m.text, m.region_code) for m in gazetteer.find_regions(text)] == [
        ("阳谷县", "371521"),
        ("阿城镇", "371521103"),
    ]
    assert [(m.text, m.department_id) for m in gazetteer.find_departments(text)] == [("市经信委", active.id)]
    assert gazetteer.locate(text) == "371521103"


def test_database_and_plain_records_agree(session: Session, liaocheng: Gazetteer) -> None:
    load_regions(session, root_code="371500")
    session.commit()
    from_db = Gazetteer.from_session(session)
    texts = [
        "我家住在聊城市东昌府区柳园街道星光花园小区，楼下烧烤摊每天吵到半夜。",
        "茌平韩屯镇胡屯村村民反映自来水发黄，临清新华路街道也一样。",
        "冠县东古城镇和莘县古城镇的道路都坏了，柳园路88号门口污水横流。",
    ]
    for text in texts:
        assert from_db.find_places(text) == liaocheng.find_places(text)
        assert from_db.locate(text) == liaocheng.locate(text)

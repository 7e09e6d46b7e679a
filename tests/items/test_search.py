"""Search returns exactly what a brute-force substring scan returns, for short and long queries alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert

from minsheng.core.timeutil import utcnow
from minsheng.items.models import item_department
from minsheng.items.search import ItemFilter, count_items, facets, search_items, snippet
from tests.factories import make_department
from tests.items.conftest import make_item, make_source

CORPUS = [
    ("市住建局回应幸福小区停水问题", "居民反映停水三天，住建局称正在抢修。"),
    ("停车难", "老城区停车位紧张"),
    ("水", "幸福路积水严重"),
    ("夜间施工噪音扰民", "工地夜间施工，噪音很大，市民投诉12345。"),
    ("PM2.5 超标", "空气质量 AQI 升高，Pm2.5 浓度上升"),
    ("折扣 100% 真实", "标题里有百分号和下划线 a_b"),
    ('引号 "测试" 标题', "正文含有 'single' 和 \"double\" 引号"),
    ("燃气安全检查", "全市开展燃气安全大检查，覆盖老旧小区"),
    ("", "只有正文的停水通知"),
    ("镕基路拓宽", "道路拓宽工程"),
]
QUERIES = [
    "水",
    "停",
    "镕",
    "噪",
    "%",
    "_",
    '"',
    "a",
    "P",
    "停水",
    "小区",
    "pm",
    "PM",
    "a_",
    "0%",
    "引号",
    "12",
    "停水问题",
    "住建局",
    "幸福小区",
    "pm2.5",
    "PM2.5 浓度",
    "a_b",
    "100%",
    '"测试"',
    "'single'",
    "燃气安全",
    "老旧小区",
    "不存在的词",
    "12345",
    "施工，噪音",
    "AQI 升高",
]


def _brute_force(query: str) -> set[int]:
    needle = query.lower()
    return {i for i, (title, text) in enumerate(CORPUS) if needle in title.lower() or needle in text.lower()}


@pytest.fixture
def corpus(session):
    source = make_source(session)
    ids = [make_item(session, source, title=t, text=x).id for t, x in CORPUS]
    session.commit()
    return ids


@pytest.mark.parametrize("query", QUERIES)
def test_search_equals_brute_force_substring(session, corpus, query):
    found = {corpus.index(item.id) for item in search_items(session, spec=ItemFilter(q=query), limit=100)}
    assert found == _brute_force(query), query
    assert count_items(session, spec=ItemFilter(q=query)) == len(found)


def test_updates_and_deletes_keep_the_index_in_step(session, corpus):
    from minsheng.items.models import Item

    item = session.get(Item, corpus[0])
    item.title = "改过的标题"
    item.text = "完全不同的内容"
    session.delete(session.get(Item, corpus[7]))
    session.commit()
    assert [i.id for i in search_items(session, spec=ItemFilter(q="改过的"))] == [corpus[0]]
    assert search_items(session, spec=ItemFilter(q="幸福小区")) == []
    assert search_items(session, spec=ItemFilter(q="燃气安全")) == []


def test_filters_and_facets(session):
    key = make_source(session, name="重点源", tier="key")
    normal = make_source(session, name="一般源")
    dept = make_department(session, name="市住房和城乡建设局")
    a = make_item(
        session, key, title="停水通知一", sentiment="negative", region_code="371502", category="城乡建设"
    )
    make_item(session, normal, title="停水通知二", sentiment="neutral", region_code="371600", days_ago=10)
    make_item(session, normal, title="停电通知", sentiment="negative", region_code="371521")
    session.execute(insert(item_department), [{"item_id": a.id, "department_id": dept.id}])
    session.commit()

    def ids(**kwargs):
        return [i.title for i in search_items(session, spec=ItemFilter(**kwargs))]

    assert ids(q="停水", tier="key") == ["停水通知一"]
    assert sorted(ids(sentiment="negative")) == ["停水通知一", "停电通知"]
    assert sorted(ids(region_code="371500")) == ["停水通知一", "停电通知"]
    assert ids(department_id=dept.id) == ["停水通知一"]
    assert ids(q="停水", since=utcnow() - timedelta(days=2)) == ["停水通知一"]
    assert ids(source_id=normal.id, until=utcnow() - timedelta(days=5)) == ["停水通知二"]
    counts = facets(session, spec=ItemFilter(q="通知"))
    assert dict(counts["sentiment"]) == {"negative": 2, "neutral": 1}
    assert dict(counts["source"]) == {f"{key.id}:重点源": 1, f"{normal.id}:一般源": 2}


def test_snippet_masks_escapes_then_marks():
    cut = snippet("<b>停水</b>，联系电话13800138000", "停水")
    assert str(cut.html) == "&lt;b&gt;<mark>停水</mark>&lt;/b&gt;，联系电话138****8000"
    assert cut.plain == "<b>停水</b>，联系电话138****8000"
    assert "…" in snippet("甲" * 200 + "乙" + "丙" * 200, "乙").plain


def test_text_search_reads_only_its_newest_hits(session, corpus, monkeypatch):
    from minsheng.items import search

    monkeypatch.setattr(search, "HIT_CAP", 2)
    monkeypatch.setattr(search, "FACET_SAMPLE", 2)
    spec = ItemFilter(q="水")
    assert count_items(session, spec=spec) == 2
    matching = sorted((corpus[i] for i in _brute_force("水")), reverse=True)
    assert [item.id for item in search_items(session, spec=spec, limit=10)] == matching  # newest first
    assert [item.id for item in search_items(session, spec=spec, limit=1, offset=1)] == matching[1:2]
    assert sum(n for _, n in facets(session, spec=spec)["source"]) == 2
    assert count_items(session, spec=ItemFilter(q="停水")) == 2
    assert count_items(session, spec=ItemFilter()) == len(CORPUS)  # browsing is not capped


def test_two_character_index_follows_edits_and_deletes(session, corpus):
    from minsheng.items.models import Item

    item = session.get(Item, corpus[1])  # "停车难"
    item.text = "老城区停水了"
    session.commit()
    assert corpus[1] in {i.id for i in search_items(session, spec=ItemFilter(q="停水"))}
    assert corpus[1] not in {i.id for i in search_items(session, spec=ItemFilter(q="车位"))}
    session.delete(item)
    session.commit()
    assert corpus[1] not in {i.id for i in search_items(session, spec=ItemFilter(q="停水"))}

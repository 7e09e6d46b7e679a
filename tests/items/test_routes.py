"""Pages and the push API."""

from __future__ import annotations

from sqlalchemy import func, select

from minsheng.auth.tokens import issue_token
from minsheng.items.models import Item
from tests.factories import login, make_user
from tests.items.conftest import make_item, make_source


def test_pages_render_for_analysts_and_refuse_others(client, session, settings):
    source = make_source(session, name="新闻网", tier="key")
    item = make_item(
        session, source, title="停水<b>通知</b>", text="电话13800138000，停水三天", sentiment="negative"
    )
    analyst = make_user(session, settings, roles=["analyst"])
    handler = make_user(session, settings, roles=["handler"])
    session.commit()
    login(client, handler.username)
    assert client.get("/monitor/items").status_code == 403
    client.post("/logout", data={"csrf_token": ""})
    client.cookies.clear()
    login(client, analyst.username)
    page = client.get("/monitor/items", params={"q": "停水"})
    assert page.status_code == 200
    assert "<mark>停水</mark>" in page.text and "138****8000" in page.text and "13800138000" not in page.text
    assert "停水&lt;b&gt;通知&lt;/b&gt;" in page.text
    assert (
        client.get("/monitor/items", params={"q": "水", "tier": "key", "since": "2000-01-01"}).status_code
        == 200
    )
    detail = client.get(f"/monitor/items/{item.id}")
    assert detail.status_code == 200 and "138****8000" in detail.text and "新闻网" in detail.text
    assert client.get("/monitor/items/999999").status_code == 404
    sources = client.get("/monitor/sources")
    assert sources.status_code == 200 and "新闻网" in sources.text


def test_sources_page_adds_and_toggles(client, session, admin):
    login(client, "root")
    page = client.get("/monitor/sources")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/monitor/sources",
        data={
            "csrf_token": token,
            "name": "政务网",
            "kind": "rss",
            "url": "https://gov.example/rss",
            "tier": "key",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    bad = client.post(
        "/monitor/sources", data={"csrf_token": token, "name": "x", "kind": "rss", "url": "nope"}
    )
    assert bad.status_code == 422 and "http" in bad.text
    listing = client.get("/monitor/sources").text
    assert "政务网" in listing and "待抓取" in listing
    html_source = {"csrf_token": token, "name": "列表页", "kind": "html", "url": "https://gov.example/list"}
    refused = client.post("/monitor/sources", data=html_source)
    assert refused.status_code == 422 and "CSS 选择器" in refused.text
    added = client.post(
        "/monitor/sources",
        data={**html_source, "selector": "ul.news a", "max_articles": "10", "follow_offsite": "1"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert "ul.news a" in client.get("/monitor/sources").text
    from minsheng.sources.models import Source

    source_id = session.scalar(select(Source.id).where(Source.name == "政务网"))
    session.rollback()
    client.post(f"/monitor/sources/{source_id}/toggle", data={"csrf_token": token})
    assert "已停用" in client.get("/monitor/sources").text


def test_push_api_is_idempotent_by_sender_id(client, session, settings):
    analyst = make_user(session, settings, roles=["analyst"])
    make_source(session, name="推送源", kind="push")
    write, _ = issue_token(session, user=analyst, name="push", scopes=["write"], days=30)
    read, _ = issue_token(session, user=analyst, name="ro", scopes=["read"], days=30)
    session.commit()
    body = {
        "source": "推送源",
        "items": [
            {"id": "p1", "title": "网友反映停水", "text": "小区停水", "published_at": "2024-05-01 08:00:00"},
            {"id": "p2", "url": "https://bbs.example/t/2?utm_source=x", "html": "<p>路灯<b>不亮</b></p>"},
        ],
    }
    assert (
        client.post("/api/v1/items", json=body, headers={"Authorization": f"Bearer {read}"}).status_code
        == 403
    )
    first = client.post("/api/v1/items", json=body, headers={"Authorization": f"Bearer {write}"})
    assert first.status_code == 200, first.text
    assert first.json()["created"] == 2
    again = client.post("/api/v1/items", json=body, headers={"Authorization": f"Bearer {write}"})
    assert again.json()["created"] == 0 and again.json()["unchanged"] == 2
    body["items"][0]["text"] = "小区停水已恢复"
    changed = client.post("/api/v1/items", json=body, headers={"Authorization": f"Bearer {write}"})
    assert changed.json()["updated"] == 1
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Item)) == 2
    pushed = session.scalar(select(Item).where(Item.external_id == "p1"))
    assert pushed.published_at.isoformat() == "2024-05-01T00:00:00+00:00"
    assert session.scalar(select(Item.text).where(Item.external_id == "p2")) == "路灯不亮"
    session.rollback()
    unknown = client.post(
        "/api/v1/items", json={**body, "source": "没有"}, headers={"Authorization": f"Bearer {write}"}
    )
    assert unknown.status_code == 422 and "推送源" in unknown.text

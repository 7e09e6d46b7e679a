"""Event pages: who may read and write, forms with CSRF, the Word report, and the item page's event link."""

from __future__ import annotations

import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from docx import Document
from sqlalchemy import select

from minsheng.audit.models import AuditEntry
from minsheng.auth.tokens import issue_token
from minsheng.core.timeutil import utcnow
from minsheng.events.models import Event, EventStatus
from minsheng.events.routes import _event_context, register_event_context
from minsheng.items.models import Item
from tests.events.conftest import make_source, store, story_posts
from tests.events.stories import STORIES
from tests.factories import csrf_from, detach, login, make_user, read_now


@pytest.fixture
def events(session, sources):
    now = utcnow()
    water, _ = store(session, sources[0], story_posts("water", start=now - timedelta(hours=9)), now=now)
    school, _ = store(session, sources[1], story_posts("school", start=now - timedelta(hours=8)), now=now)
    session.commit()
    ids = water[0].event_id, school[0].event_id, water[0].id
    session.rollback()
    return ids


def test_readers_see_the_hot_list_and_the_event(client, session, settings, events):
    water_id, _, item_id = events
    leader = make_user(session, settings, roles=["leader"])
    handler = make_user(session, settings, roles=["handler"])
    session.commit()
    detach(session, leader, handler)

    login(client, handler.username)
    assert client.get("/monitor/events").status_code == 403
    assert client.get(f"/monitor/events/{water_id}").status_code == 403
    client.cookies.clear()

    login(client, leader.username)
    listing = client.get("/monitor/events")
    assert listing.status_code == 200
    water_title = read_now(session, select(Event.title).where(Event.id == water_id))
    assert water_title in listing.text and "事件/热点" in listing.text and "data-chart" in listing.text
    assert client.get("/monitor/events", params={"status": "all", "category": "城乡建设"}).status_code == 200
    filtered = client.get("/monitor/events", params={"region": "371581"})
    assert water_title not in filtered.text

    page = client.get(f"/monitor/events/{water_id}")
    assert page.status_code == 200
    assert water_title in page.text and "幸福小区" in page.text and "传播趋势" in page.text
    # Readers who may not write get no forms.
    assert "/merge" not in page.text and "/assessment" not in page.text
    assert client.get("/monitor/events/999999").status_code == 404

    item_page = client.get(f"/monitor/items/{item_id}")
    assert item_page.status_code == 200 and f'href="/monitor/events/{water_id}"' in item_page.text

    fragment = client.get(f"/monitor/events/{water_id}/items", headers={"HX-Request": "true"})
    assert (
        fragment.status_code == 200 and 'id="event-items"' in fragment.text and "<html" not in fragment.text
    )


def test_analysts_merge_split_and_assess_with_csrf(client, session, settings, events):
    water_id, school_id, _ = events
    analyst = make_user(session, settings, roles=["analyst"])
    session.commit()
    detach(session, analyst)
    login(client, analyst.username)
    page = client.get(f"/monitor/events/{water_id}")
    assert "/merge" in page.text and "split-form" in page.text
    token = csrf_from(client, f"/monitor/events/{water_id}")

    refused = client.post(f"/monitor/events/{water_id}/merge", data={"source_id": str(school_id)})
    assert refused.status_code == 403
    assert read_now(session, select(Event.status).where(Event.id == school_id)) == EventStatus.active.value

    merged = client.post(
        f"/monitor/events/{water_id}/merge",
        data={"source_id": f"#{school_id}", "csrf_token": token},
        follow_redirects=False,
    )
    assert merged.status_code == 303
    assert read_now(session, select(Event.item_count).where(Event.id == water_id)) == 10
    again = client.post(
        f"/monitor/events/{water_id}/merge", data={"source_id": str(school_id), "csrf_token": token}
    )
    assert again.status_code == 409 and "已合并" in again.text

    school_titles = [title for title, _ in STORIES["school"]]
    chosen = [str(i) for i in read_all(session, select(Item.id).where(Item.title.in_(school_titles)))]
    split = client.post(
        f"/monitor/events/{water_id}/split",
        data={"item_id": chosen, "csrf_token": token},
        follow_redirects=False,
    )
    assert split.status_code == 303
    new_id = int(split.headers["location"].split("/")[-1].split("?")[0])
    assert read_now(session, select(Event.item_count).where(Event.id == new_id)) == 5
    empty = client.post(f"/monitor/events/{water_id}/split", data={"csrf_token": token})
    assert empty.status_code == 422 and "勾选" in empty.text

    saved = client.post(
        f"/monitor/events/{water_id}/assessment",
        data={"assessment": "群众反映集中，建议约谈供水公司。", "level": "2", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert read_now(session, select(Event.assessment_level).where(Event.id == water_id)) == 2
    actions = set(read_all(session, select(AuditEntry.action).where(AuditEntry.entity_type == "event")))
    assert {"merge", "split", "assess"} <= actions

    handler = make_user(session, settings, roles=["supervisor"])
    session.commit()
    detach(session, handler)
    client.cookies.clear()
    login(client, handler.username)
    token = csrf_from(client, f"/monitor/events/{water_id}")
    forbidden = client.post(
        f"/monitor/events/{water_id}/assessment", data={"assessment": "x", "csrf_token": token}
    )
    assert forbidden.status_code == 403


def test_the_upward_report_opens_in_word_and_is_audited(client, session, settings, events):
    water_id, _, _ = events
    analyst = make_user(session, settings, roles=["analyst"])
    session.commit()
    detach(session, analyst)
    login(client, analyst.username)
    token = csrf_from(client, f"/monitor/events/{water_id}")
    client.post(
        f"/monitor/events/{water_id}/assessment",
        data={"assessment": "研判：影响范围限于一个小区，已在处置。", "level": "4", "csrf_token": token},
    )
    response = client.get(f"/monitor/events/{water_id}/report.docx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    title = read_now(session, select(Event.title).where(Event.id == water_id))
    assert title in text and "影响范围限于一个小区" in text and "Ⅳ级" in text
    assert settings.office_name in text and "幸福小区" in text
    assert "时段" in cells and STORIES["water"][0][0][:8] in cells
    assert document.inline_shapes  # the volume chart
    exports = read_all(session, select(AuditEntry.entity_id).where(AuditEntry.action == "export"))
    assert exports == [str(water_id)]


def test_other_domains_add_to_the_event_page(client, session, settings, events):
    water_id, _, _ = events
    analyst = make_user(session, settings, roles=["analyst"])
    session.commit()
    detach(session, analyst)

    def alerts(db, event):
        alert = SimpleNamespace(
            id=1,
            level=2,
            title=f"事件 #{event.id} 热度突增",
            details={},
            last_triggered_at=utcnow(),
            status="new",
            case_id=None,
        )
        return {"event_alerts": [alert], "alert_levels": {2: "Ⅱ级"}}

    register_event_context(alerts)
    try:
        login(client, analyst.username)
        page = client.get(f"/monitor/events/{water_id}")
        assert 'id="event-alerts"' in page.text and f"事件 #{water_id} 热度突增" in page.text
    finally:
        _event_context.remove(alerts)
    assert 'id="event-alerts"' not in client.get(f"/monitor/events/{water_id}").text


def test_pushed_items_are_clustered(client, session, settings):
    analyst = make_user(session, settings, roles=["analyst"])
    make_source(session, "推送源")
    token, _ = issue_token(session, user=analyst, name="push", scopes=["write"], days=30)
    session.commit()
    now = utcnow()
    body = {
        "source": "推送源",
        "items": [
            {
                "id": f"w{i}",
                "title": title,
                "text": text,
                "published_at": (now - timedelta(hours=5 - i)).isoformat(),
            }
            for i, (title, text) in enumerate(STORIES["chemical"])
        ],
    }
    response = client.post("/api/v1/items", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert read_all(session, select(Event.item_count)) == [5]


def read_all(session, statement):
    session.expire_all()
    values = list(session.scalars(statement))
    session.rollback()
    return values

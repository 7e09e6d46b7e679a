"""The admin pages: who may use them, CSRF, audited changes, secrets kept out of the HTML, test sends."""

from __future__ import annotations

from sqlalchemy import select

from minsheng.audit.models import AuditEntry
from minsheng.channels.configuration import create_channel
from minsheng.channels.message import Message
from minsheng.channels.models import Channel, NotificationDelivery
from minsheng.channels.service import enqueue
from tests.factories import csrf_from, login, make_user, read_now

TOKEN = "dt-access-token-0123456789"
SIGNING = "SEC-signing-secret-abcdef"


def dingtalk_form(endpoint, token: str, **extra: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "kind": "dingtalk",
        "name": "应急值班群",
        "min_level": "2",
        "is_enabled": "1",
        "cfg_url": endpoint.url(f"/robot/send?access_token={TOKEN}"),
        "cfg_secret": SIGNING,
        **extra,
    }


def assert_no_secrets(html: str) -> None:
    assert TOKEN not in html and SIGNING not in html


def test_only_admins_see_the_pages(client, session, settings):
    dispatcher = make_user(session, settings, roles=["dispatcher"])
    session.commit()
    login(client, dispatcher.username)
    token = csrf_from(client, "/")
    for path in ("/admin/channels", "/admin/channels/deliveries", "/admin/channels/new?kind=smtp"):
        assert client.get(path).status_code == 403
    assert client.post("/admin/channels/new", data={"csrf_token": token, "kind": "smtp"}).status_code == 403
    assert "/admin/channels" not in client.get("/").text


def test_admin_creates_edits_and_removes_a_channel_without_seeing_secrets(client, admin, session, endpoint):
    login(client, admin.username)
    listing = client.get("/admin/channels")
    assert (
        listing.status_code == 200
        and "钉钉群机器人" in listing.text
        and 'href="/admin/channels"' in listing.text
    )
    form_page = client.get("/admin/channels/new?kind=dingtalk")
    assert form_page.status_code == 200 and 'name="cfg_secret"' in form_page.text
    token = csrf_from(client, "/admin/channels")

    assert (
        client.post(
            "/admin/channels/new", data={**dingtalk_form(endpoint, token), "csrf_token": ""}
        ).status_code
        == 403
    )
    bad = client.post("/admin/channels/new", data=dingtalk_form(endpoint, token, cfg_url="not a url"))
    assert bad.status_code == 422 and "http" in bad.text and SIGNING not in bad.text
    created = client.post("/admin/channels/new", data=dingtalk_form(endpoint, token), follow_redirects=False)
    assert created.status_code == 303
    channel_id = read_now(session, select(Channel.id).where(Channel.name == "应急值班群"))
    config = read_now(session, select(Channel.config).where(Channel.id == channel_id))
    assert config == {"url": endpoint.url(f"/robot/send?access_token={TOKEN}"), "secret": SIGNING}

    assert_no_secrets(client.get("/admin/channels").text)
    edit = client.get(f"/admin/channels/{channel_id}")
    assert edit.status_code == 200 and "已设置，留空则保持不变" in edit.text
    assert_no_secrets(edit.text)

    # Blank secrets keep the stored ones; a ticked box clears the optional signing secret.
    kept = client.post(
        f"/admin/channels/{channel_id}",
        data={"csrf_token": token, "name": "应急值班群", "min_level": "1", "cfg_url": "", "cfg_secret": ""},
        follow_redirects=False,
    )
    assert kept.status_code == 303
    assert read_now(session, select(Channel.config).where(Channel.id == channel_id))["secret"] == SIGNING
    assert read_now(session, select(Channel.min_level).where(Channel.id == channel_id)) == 1
    client.post(
        f"/admin/channels/{channel_id}",
        data={"csrf_token": token, "name": "应急值班群", "min_level": "1", "clear_secret": "1"},
    )
    cleared = read_now(session, select(Channel.config).where(Channel.id == channel_id))
    assert "secret" not in cleared and TOKEN in cleared["url"]

    assert client.post(f"/admin/channels/{channel_id}/toggle", data={"csrf_token": token}).status_code == 200
    assert read_now(session, select(Channel.is_enabled).where(Channel.id == channel_id)) is False

    audits = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "notify_channel").order_by(AuditEntry.id)
    ).all()
    session.expunge_all()
    session.rollback()
    assert [a.action for a in audits] == ["create", "update", "update", "update"]
    for entry in audits:
        assert TOKEN not in str(entry.before) + str(entry.after)
        assert SIGNING not in str(entry.before) + str(entry.after)

    assert client.post(f"/admin/channels/{channel_id}/delete", data={"csrf_token": token}).status_code == 200
    assert read_now(session, select(Channel.id).where(Channel.id == channel_id)) is None
    assert read_now(session, select(AuditEntry.action).order_by(AuditEntry.id.desc())) == "delete"


def test_send_test_and_the_delivery_log(client, admin, session, endpoint):
    channel = create_channel(
        session, kind="webhook", name="对接系统", config={"url": endpoint.url(), "secret": SIGNING}
    )
    other = create_channel(
        session, kind="wecom", name="企微群", config={"url": endpoint.url(f"/send?key={TOKEN}")}
    )
    enqueue(
        session, channel_ids=[other.id], message=Message(title="旧预警", text=""), ref_type="alert", ref_id=3
    )
    session.commit()
    login(client, admin.username)
    token = csrf_from(client, "/admin/channels")

    sent = client.post(f"/admin/channels/{channel.id}/test", data={"csrf_token": token})
    assert sent.status_code == 200 and "已发送" in sent.text and "民声通知渠道测试" in sent.text
    assert endpoint.requests[-1].headers["x-minsheng-event"] == "channel_test"
    endpoint.answer((500, {"error": "down"}))
    failed = client.post(f"/admin/channels/{channel.id}/test", data={"csrf_token": token})
    assert "发送失败" in failed.text and "HTTP 500" in failed.text
    assert_no_secrets(failed.text)

    log = client.get("/admin/channels/deliveries")
    assert log.status_code == 200 and "旧预警" in log.text and "重新发送" in log.text
    assert_no_secrets(log.text)
    only_alerts = client.get("/admin/channels/deliveries?ref_type=alert")
    assert "旧预警" in only_alerts.text and "民声通知渠道测试" not in only_alerts.text
    only_failed = client.get(f"/admin/channels/deliveries?channel_id={channel.id}&status=failed")
    assert only_failed.text.count("HTTP 500") == 1 and "旧预警" not in only_failed.text
    assert client.get("/admin/channels/deliveries?page=99").status_code == 200

    failed_id = read_now(
        session, select(NotificationDelivery.id).where(NotificationDelivery.status == "failed")
    )
    retried = client.post(f"/admin/channels/deliveries/{failed_id}/retry", data={"csrf_token": token})
    assert retried.status_code == 200 and "已发送" in retried.text
    row = read_now(
        session,
        select(NotificationDelivery.status, NotificationDelivery.attempts).where(
            NotificationDelivery.id == failed_id
        ),
    )
    assert row == ("sent", 2)
    again = client.post(f"/admin/channels/deliveries/{failed_id}/retry", data={"csrf_token": token})
    assert again.status_code == 422
    actions = read_now(session, select(AuditEntry.action).where(AuditEntry.action == "notify_delivery.retry"))
    assert actions == "notify_delivery.retry"


def test_the_list_shows_last_status_and_daily_counts(client, admin, session, endpoint):
    channel = create_channel(
        session, kind="webhook", name="计数", config={"url": endpoint.url(), "secret": "k"}
    )
    session.commit()
    login(client, admin.username)
    token = csrf_from(client, "/admin/channels")
    client.post(f"/admin/channels/{channel.id}/test", data={"csrf_token": token})
    endpoint.answer((500, {}))
    client.post(f"/admin/channels/{channel.id}/test", data={"csrf_token": token})
    page = client.get("/admin/channels")
    assert f'deliveries?channel_id={channel.id}&status=sent">1</a> / <a' in page.text
    assert f'deliveries?channel_id={channel.id}&status=failed">1</a>' in page.text
    assert "发送失败" in page.text


def test_english_interface(client, admin):
    login(client, admin.username)
    token = csrf_from(client, "/admin/channels")
    client.post("/lang", data={"csrf_token": token, "lang": "en", "next": "/admin/channels"})
    page = client.get("/admin/channels")
    assert "Notification channels" in page.text and "DingTalk robot" in page.text
    form = client.get("/admin/channels/new?kind=smtp")
    assert "SMTP server" in form.text and "Recipients" in form.text

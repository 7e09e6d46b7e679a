"""The built-in channel kinds against local fakes: request formats, signatures and failure detection."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.metadata
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import ClassVar

import pytest

from minsheng.channels import plugins
from minsheng.channels.builtin import dingtalk, feishu, webhook, wecom
from minsheng.channels.hookspecs import hookimpl
from minsheng.channels.http import make_client
from minsheng.channels.kinds import SendContext, SendResult
from minsheng.channels.message import Message
from minsheng.channels.plugins import channel_kinds, get_kind, register_plugin, unregister_plugin
from minsheng.core.errors import ValidationFailed
from tests.channels import sample_plugin
from tests.channels.conftest import SMTP_PASSWORD, SMTP_USER
from tests.channels.sample_plugin import SmsKind

NOW = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
MESSAGE = Message(
    title="【Ⅱ级预警】东昌府区幸福小区连续停水",
    text="近一小时相关信息 37 条，负面占比 80%。\n涉及 12 个信息源。",
    level=2,
    url="https://minsheng.example.gov.cn/monitor/alerts/7",
    fields=(("等级", "Ⅱ级"), ("时间", "2026-11-23 10:30")),
)


@pytest.fixture
def context() -> Iterator[SendContext]:
    with make_client(3.0) as client:
        yield SendContext(client=client, timeout=3.0, now=NOW, delivery_id=41, ref_type="alert", ref_id=7)


def send(kind_name: str, config: dict, context: SendContext, message: Message = MESSAGE) -> SendResult:
    kind = get_kind(kind_name)
    return kind.send(message, kind.validate(config), context)


def test_builtin_kinds_declare_labels_and_secret_fields():
    kinds = channel_kinds()
    assert list(kinds) == ["smtp", "webhook", "dingtalk", "wecom", "feishu"]
    assert kinds["dingtalk"].display_label("zh") == "钉钉群机器人"
    assert kinds["dingtalk"].display_label("en") == "DingTalk robot"
    assert set(kinds["smtp"].secret_fields) == {"password"}
    # Robot webhook URLs carry their access token, so they are secrets too.
    assert set(kinds["dingtalk"].secret_fields) == {"url", "secret"}
    assert set(kinds["webhook"].secret_fields) == {"secret"}


class ImpostorPlugin:
    class Impostor(SmsKind):
        name = "smtp"

    @hookimpl
    def register_channel_kinds(self):
        return [self.Impostor()]


def test_plugins_add_kinds_but_cannot_take_a_builtin_name():
    sms, impostor = sample_plugin, ImpostorPlugin()
    register_plugin(sms)
    register_plugin(impostor)
    try:
        assert isinstance(get_kind("sms"), SmsKind)
        assert get_kind("smtp").label == "电子邮件（SMTP）"
    finally:
        unregister_plugin(sms)
        unregister_plugin(impostor)
    assert get_kind("sms") is None


class _Distribution:
    """Just enough of an installed distribution for pluggy's entry-point loader."""

    metadata: ClassVar[dict[str, str]] = {"name": "minsheng-sms"}
    version = "1.0"
    entry_points = (
        importlib.metadata.EntryPoint(name="sms", value="tests.channels.sample_plugin", group="x"),
        importlib.metadata.EntryPoint(
            name="sms", value="tests.channels.sample_plugin", group="minsheng.channels"
        ),
    )


def test_packages_register_through_the_entry_point_group(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: [_Distribution()])
    manager = plugins._build_manager()
    kinds = plugins._collect(manager)
    assert "sms" in kinds and "smtp" in kinds
    assert manager.get_plugin("sms") is sample_plugin


def test_configuration_is_checked_by_declared_fields():
    smtp = get_kind("smtp")
    with pytest.raises(ValidationFailed, match="SMTP 服务器不能为空"):
        smtp.validate({"sender": "a@example.org", "recipients": "b@example.org"})
    with pytest.raises(ValidationFailed, match="邮箱地址无效"):
        smtp.validate({"host": "mail", "sender": "a@example.org", "recipients": "not-an-address"})
    with pytest.raises(ValidationFailed, match="端口应为整数"):
        smtp.validate({"host": "mail", "port": "abc", "sender": "a@example.org", "recipients": "b@x.org"})
    cleaned = smtp.validate(
        {"host": "mail", "port": "25", "sender": "a@example.org", "recipients": "b@x.org，c@x.org\nd@x.org"}
    )
    assert cleaned["port"] == 25 and cleaned["security"] == "starttls"
    assert cleaned["recipients"] == ["b@x.org", "c@x.org", "d@x.org"]
    with pytest.raises(ValidationFailed, match="http"):
        get_kind("webhook").validate({"url": "ftp://x", "secret": "k"})
    with pytest.raises(ValidationFailed, match="取值无效"):
        get_kind("feishu").validate({"url": "https://x/hook", "style": "poster"})
    assert "extra" not in get_kind("webhook").validate({"url": "https://x/h", "secret": "k", "extra": 1})


def test_smtp_delivers_a_chinese_subject_with_text_and_html(smtp_server):
    kind = get_kind("smtp")
    config = kind.validate(
        {
            "host": smtp_server.host,
            "port": str(smtp_server.port),
            "security": "none",
            "username": SMTP_USER,
            "password": SMTP_PASSWORD,
            "sender": "alerts@minsheng.example.gov.cn",
            "recipients": "duty@example.gov.cn\nleader@example.gov.cn",
        }
    )
    with make_client(3.0) as client:
        result = kind.send(MESSAGE, config, SendContext(client=client, timeout=3.0, now=NOW))
    assert result == SendResult.success(250)
    [(sender, recipients, mail)] = smtp_server.mailbox.envelopes
    assert sender == "alerts@minsheng.example.gov.cn"
    assert recipients == ["duty@example.gov.cn", "leader@example.gov.cn"]
    assert mail["Subject"] == MESSAGE.title
    assert mail.get_content_type() == "multipart/alternative"
    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "负面占比 80%" in plain and "等级：Ⅱ级" in plain and MESSAGE.url in plain
    assert "<h2" in html and "东昌府区幸福小区连续停水" in html and f'href="{MESSAGE.url}"' in html


def test_smtp_reports_a_refused_login_and_an_unreachable_server(smtp_server):
    kind = get_kind("smtp")
    base = {
        "host": smtp_server.host,
        "port": str(smtp_server.port),
        "security": "none",
        "sender": "alerts@example.gov.cn",
        "recipients": "duty@example.gov.cn",
    }
    with make_client(3.0) as client:
        context = SendContext(client=client, timeout=3.0, now=NOW)
        refused = kind.send(
            MESSAGE, kind.validate({**base, "username": SMTP_USER, "password": "wrong"}), context
        )
        assert not refused.ok and refused.status == 535
        closed = kind.send(MESSAGE, kind.validate({**base, "port": "1"}), context)
        assert not closed.ok and "SMTP 发送失败" in closed.error
    assert smtp_server.mailbox.envelopes == []


def test_webhook_signature_verifies_over_timestamp_and_body(endpoint, context):
    result = send("webhook", {"url": endpoint.url(), "secret": "shared-secret"}, context)
    assert result == SendResult.success(200)
    [request] = endpoint.requests
    header = request.headers["x-minsheng-signature"]
    timestamp = int(NOW.timestamp())
    assert header.startswith(f"t={timestamp},v1=")
    expected = hmac.new(b"shared-secret", f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert header == f"t={timestamp},v1={expected}"
    assert webhook.verify("shared-secret", header, request.body, now=timestamp + 60)
    assert not webhook.verify("other-secret", header, request.body, now=timestamp)
    assert not webhook.verify("shared-secret", header, request.body + b" ", now=timestamp)
    assert not webhook.verify("shared-secret", header, request.body, now=timestamp + 3600)
    assert request.headers["x-minsheng-delivery"] == "41"
    assert request.headers["x-minsheng-event"] == "alert"
    document = request.json()
    assert document["title"] == MESSAGE.title and document["level"] == 2
    assert document["fields"][0] == {"label": "等级", "value": "Ⅱ级"}
    assert (document["delivery_id"], document["ref_type"], document["ref_id"]) == (41, "alert", 7)


def test_webhook_server_errors_fail_with_their_status(endpoint, context):
    endpoint.answer((503, {"error": "maintenance"}))
    result = send("webhook", {"url": endpoint.url(), "secret": "k"}, context)
    assert not result.ok and result.status == 503 and "maintenance" in result.error


def test_dingtalk_signs_the_query_and_sends_markdown(endpoint, context):
    url = endpoint.url("/robot/send") + "?access_token=tok123"
    result = send("dingtalk", {"url": url, "secret": "SECabc"}, context)
    assert result.ok
    [request] = endpoint.requests
    timestamp = request.query["timestamp"]
    assert timestamp == str(int(NOW.timestamp() * 1000))
    digest = hmac.new(b"SECabc", f"{timestamp}\nSECabc".encode(), hashlib.sha256).digest()
    assert request.query["sign"] == base64.b64encode(digest).decode()
    assert request.query["access_token"] == "tok123"
    document = request.json()
    assert document["msgtype"] == "markdown"
    assert document["markdown"]["title"] == MESSAGE.title
    assert document["markdown"]["text"].startswith(f"#### {MESSAGE.title}")
    assert f"[查看详情]({MESSAGE.url})" in document["markdown"]["text"]


def test_dingtalk_without_secret_sends_no_signature(endpoint, context):
    assert send("dingtalk", {"url": endpoint.url("/robot/send?access_token=t")}, context).ok
    assert set(endpoint.requests[0].query) == {"access_token"}


def test_dingtalk_errcode_is_a_failure(endpoint, context):
    endpoint.answer((200, {"errcode": 310000, "errmsg": "sign not match"}))
    result = send("dingtalk", {"url": endpoint.url("/robot/send?access_token=t"), "secret": "SEC1"}, context)
    assert not result.ok and result.status == 200
    assert "310000" in result.error and "sign not match" in result.error
    endpoint.answer((200, b"<html>gateway</html>"))
    assert "无法解析" in send("dingtalk", {"url": endpoint.url()}, context).error


def test_wecom_sends_markdown_and_checks_errcode(endpoint, context):
    assert send("wecom", {"url": endpoint.url("/cgi-bin/webhook/send?key=k1")}, context).ok
    document = endpoint.requests[0].json()
    assert document["msgtype"] == "markdown"
    assert document["markdown"]["content"].startswith('<font color="warning">Ⅱ级</font>\n### ')
    endpoint.answer((200, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    result = send("wecom", {"url": endpoint.url("/cgi-bin/webhook/send?key=k1")}, context)
    assert not result.ok and "93000" in result.error


def test_wecom_content_stays_under_its_byte_limit():
    long = Message(title="标题", text="长" * 5000)
    assert len(wecom.body(long)["markdown"]["content"].encode()) <= wecom.MAX_CONTENT_BYTES


def test_feishu_signs_the_body_and_sends_a_card(endpoint, context):
    result = send("feishu", {"url": endpoint.url("/open-apis/bot/v2/hook/abc"), "secret": "fs-key"}, context)
    assert result.ok
    document = endpoint.requests[0].json()
    timestamp = document["timestamp"]
    assert timestamp == str(int(NOW.timestamp()))
    key = f"{timestamp}\nfs-key".encode()
    assert document["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert document["msg_type"] == "interactive"
    card = document["card"]
    assert card["header"]["title"]["content"] == MESSAGE.title and card["header"]["template"] == "orange"
    assert card["elements"][-1]["actions"][0]["url"] == MESSAGE.url


def test_feishu_post_style_and_error_codes(endpoint, context):
    config = {"url": endpoint.url("/open-apis/bot/v2/hook/abc"), "style": "post"}
    endpoint.answer((200, {"StatusCode": 0, "StatusMessage": "success", "code": 0, "msg": "success"}))
    assert send("feishu", config, context).ok
    document = endpoint.requests[0].json()
    assert "sign" not in document and document["msg_type"] == "post"
    post = document["content"]["post"]["zh_cn"]
    assert post["title"] == MESSAGE.title
    assert post["content"][-1] == [{"tag": "a", "text": "查看详情", "href": MESSAGE.url}]
    endpoint.answer((200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}))
    failed = send("feishu", config, context)
    assert not failed.ok and "19021" in failed.error
    endpoint.answer((200, {"StatusCode": 9499, "StatusMessage": "Bad Request"}))
    assert "9499" in send("feishu", config, context).error


def test_redirects_are_followed_only_to_the_same_host(endpoint, context):
    endpoint.answer((307, {}, {"Location": "/moved"}))
    assert send("webhook", {"url": endpoint.url(), "secret": "k"}, context).ok
    assert [r.path for r in endpoint.requests] == ["/hook", "/moved"]
    endpoint.answer((307, {}, {"Location": f"http://localhost:{endpoint.port}/elsewhere"}))
    with pytest.raises(Exception, match="重定向"):
        send("webhook", {"url": endpoint.url(), "secret": "k"}, context)
    endpoint.answer((302, {}, {"Location": "/moved"}))
    with pytest.raises(Exception, match="重定向"):
        send("webhook", {"url": endpoint.url(), "secret": "k"}, context)
    assert len(endpoint.requests) == 4


def test_signatures_match_the_documented_recipes():
    # The recipes as DingTalk and Feishu publish them, against our helpers.
    timestamp_ms = int(time.time() * 1000)
    digest = hmac.new(b"SECx", f"{timestamp_ms}\nSECx".encode(), digestmod=hashlib.sha256).digest()
    assert dingtalk.sign("SECx", timestamp_ms) == base64.b64encode(digest).decode()
    timestamp = timestamp_ms // 1000
    digest = hmac.new(f"{timestamp}\nfsx".encode(), digestmod=hashlib.sha256).digest()
    assert feishu.sign("fsx", timestamp) == base64.b64encode(digest).decode()

"""E-mail through an SMTP server: plain text with an HTML alternative, UTF-8 subject."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable, Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from email_validator import EmailNotValidError, validate_email

from minsheng.channels import render
from minsheng.channels.hookspecs import hookimpl
from minsheng.channels.kinds import ChannelKind, ConfigField, SendContext, SendResult
from minsheng.channels.message import Message
from minsheng.core.errors import ValidationFailed

SECURITY_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def _valid_address(value: str, field: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationFailed(f"邮箱地址无效：{value}", field=field) from None


class SmtpKind(ChannelKind):
    name = "smtp"
    label = "电子邮件（SMTP）"
    label_en = "E-mail (SMTP)"
    fields = (
        ConfigField("host", "SMTP 服务器", "SMTP server"),
        ConfigField(
            "security",
            "加密方式",
            "Encryption",
            input="choice",
            default="starttls",
            choices=(
                ("starttls", "STARTTLS", "STARTTLS"),
                ("ssl", "SSL/TLS", "SSL/TLS"),
                ("none", "不加密（仅限内网）", "None (internal networks only)"),
            ),
        ),
        ConfigField(
            "port",
            "端口",
            "Port",
            input="int",
            required=False,
            help="留空按加密方式取 587、465 或 25",
            help_en="Blank means 587, 465 or 25 by encryption",
        ),
        ConfigField("username", "用户名", "Username", required=False),
        ConfigField("password", "密码或授权码", "Password or app code", required=False, secret=True),
        ConfigField("sender", "发件人", "From address"),
        ConfigField(
            "recipients",
            "收件人",
            "Recipients",
            input="lines",
            help="每行一个邮箱地址",
            help_en="One address per line",
        ),
    )

    def validate(self, config: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = super().validate(config)
        cleaned["sender"] = _valid_address(cleaned["sender"], "sender")
        cleaned["recipients"] = [_valid_address(r, "recipients") for r in cleaned["recipients"]]
        port = cleaned.get("port")
        if port is not None and not 1 <= port <= 65535:
            raise ValidationFailed("端口应在 1–65535 之间", field="port")
        if cleaned.get("password") and not cleaned.get("username"):
            raise ValidationFailed("填写密码时也要填写用户名", field="username")
        return cleaned

    def send(self, message: Message, config: Mapping[str, Any], context: SendContext) -> SendResult:
        email = build_email(message, sender=config["sender"], recipients=config["recipients"])
        security = config.get("security", "starttls")
        port = config.get("port") or SECURITY_PORTS[security]
        try:
            with _connect(config["host"], port, security, context.timeout) as server:
                if config.get("username"):
                    server.login(config["username"], config.get("password", ""))
                refused = server.send_message(email)
        except smtplib.SMTPResponseException as error:
            detail = (
                error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else ""
            )
            return SendResult.failure(f"SMTP {error.smtp_code}：{detail[:200]}", status=error.smtp_code)
        except smtplib.SMTPRecipientsRefused as error:
            return SendResult.failure(f"收件人全部被拒绝：{', '.join(error.recipients)}")
        except (smtplib.SMTPException, OSError) as error:
            return SendResult.failure(f"SMTP 发送失败（{type(error).__name__}）：{error}")
        if refused:
            return SendResult.failure(f"部分收件人被拒绝：{', '.join(refused)}", status=250)
        return SendResult.success(250)


def _connect(host: str, port: int, security: str, timeout: float) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if security == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    server = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if security == "starttls":
            server.starttls(context=context)
    except BaseException:
        server.close()
        raise
    return server


def build_email(message: Message, *, sender: str, recipients: Iterable[str]) -> EmailMessage:
    """Build a multipart/alternative mail: plain text first, then HTML, all UTF-8."""
    email = EmailMessage()
    email["Subject"] = message.title
    email["From"] = Address(addr_spec=sender)
    email["To"] = ", ".join(recipients)
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    email.set_content(render.plain_text(message), charset="utf-8")
    email.add_alternative(render.html(message), subtype="html", charset="utf-8")
    return email


@hookimpl
def register_channel_kinds() -> list[ChannelKind]:
    return [SmtpKind()]

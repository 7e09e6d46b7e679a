"""Local stand-ins for the outside world: an HTTP endpoint that scripts its answers and an SMTP server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from minsheng.core.settings import Settings

ROBOT_OK = {"errcode": 0, "errmsg": "ok"}


@dataclass
class Request:
    """One request the fake endpoint received."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Endpoint:
    """A webhook receiver on 127.0.0.1: records requests and answers from a script, then with `default`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.script: deque[tuple[int, Any, dict[str, str]]] = deque()
        self.default: tuple[int, Any, dict[str, str]] = (200, ROBOT_OK, {})
        self.delay = 0.0
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                parts = urlsplit(self.path)
                with endpoint.lock:
                    endpoint.requests.append(
                        Request(
                            path=parts.path,
                            query={k: v[0] for k, v in parse_qs(parts.query).items()},
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=body,
                        )
                    )
                    status, answer, headers = (
                        endpoint.script.popleft() if endpoint.script else endpoint.default
                    )
                if endpoint.delay:
                    time.sleep(endpoint.delay)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/hook") -> str:
        return self.base + path

    def answer(self, *answers: tuple[int, Any] | tuple[int, Any, dict[str, str]]) -> None:
        """Queue answers for the next requests: (status, JSON body or bytes[, headers])."""
        for item in answers:
            self.script.append((item[0], item[1], item[2] if len(item) > 2 else {}))


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    fake = Endpoint()
    thread = threading.Thread(target=fake.httpd.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.httpd.shutdown()
    fake.httpd.server_close()


class Mailbox:
    """What the fake SMTP server received."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SMTP_USER, SMTP_PASSWORD = "notifier", "s3cret-app-code"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 that accepts LOGIN/PLAIN auth without TLS (tests only)."""
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield SmtpServer("127.0.0.1", port, mailbox)
    controller.stop()


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"channel_timeout_seconds": 3.0})

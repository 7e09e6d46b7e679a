"""A real server on a free local port and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from minsheng.core.settings import Settings
from minsheng.web.app import create_app
from tests.conftest import IN_CI
from tests.factories import make_department, make_user

CHROMIUM = os.environ.get("MINSHENG_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    "--no-first-run",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    settings: Settings


@pytest.fixture
def live_server(engine: Engine, settings: Settings) -> Iterator[LiveServer]:
    """Serve the app over HTTP from a background thread for the duration of a test."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, run_jobs=False), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    yield LiveServer(url=f"http://127.0.0.1:{port}", settings=settings)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the run (the Debian package, never a downloaded build)."""
    if shutil.which(CHROMIUM) is None and not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"chromium is required in CI but missing at {CHROMIUM}")
        pytest.skip("chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1360, "height": 900}
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def people(session: Session, settings: Settings) -> dict[str, str]:
    """An administrator and a handler in two departments."""
    office = make_department(session, name="市委网信办", code="WXB", aliases=["网信办"])
    housing = make_department(session, name="市住房和城乡建设局", code="ZJJ", aliases=["市住建局"])
    make_user(session, settings, roles=["admin"], username="admin", department=office)
    make_user(session, settings, roles=["handler"], username="handler", department=housing)
    session.commit()
    return {"admin": "admin", "handler": "handler"}

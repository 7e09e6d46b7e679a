"""Foundation benchmarks: audit append and verify throughput, login cost, page latency.

Run: .venv/bin/python bench/bench_foundation.py [--postgres URL]
Prints medians of repeated runs; the reference machine has 2 cores.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from minsheng.audit.chain import verify_chain
from minsheng.audit.service import record
from minsheng.auth.passwords import hash_password, verify_password
from minsheng.bootstrap import create_user_account
from minsheng.core import migrate
from minsheng.core.database import make_engine, make_sessionmaker, unit_of_work
from minsheng.core.settings import Settings
from minsheng.org.schemas import DepartmentCreate
from minsheng.org.service import create_department

ROUNDS = 5
warnings.filterwarnings("ignore", message="Using `httpx`")


def median_seconds(action: Callable[[], object], rounds: int = ROUNDS) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def bench_audit(url: str, label: str, rows: int = 2000) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)

    def append_batch() -> None:
        with unit_of_work(factory) as session:
            for i in range(rows // 10):
                record(
                    session,
                    action="update",
                    entity_type="bench",
                    entity_id=i,
                    summary="基准测试",
                    before={"n": i},
                    after={"n": i + 1},
                )

    def append_single() -> None:
        with unit_of_work(factory) as session:
            record(session, action="update", entity_type="bench", entity_id=1, summary="单条")

    batch = median_seconds(append_batch)
    single = median_seconds(append_single, rounds=50)
    with factory() as session:
        total = session.scalar(text("select count(*) from audit_log"))
        verify = median_seconds(lambda: verify_chain(session))
    print(f"[{label}] audit append, {rows // 10} rows per transaction: {rows // 10 / batch:,.0f} rows/s")
    print(f"[{label}] audit append, one row per transaction: {single * 1000:.2f} ms")
    print(f"[{label}] audit verify over {total:,} rows: {total / verify:,.0f} rows/s")
    engine.dispose()


def bench_passwords() -> None:
    digest = hash_password("Correct-Horse-42")
    print(
        f"argon2id hash: {median_seconds(lambda: hash_password('Correct-Horse-42')) * 1000:.1f} ms; "
        f"verify: {median_seconds(lambda: verify_password(digest, 'Correct-Horse-42')) * 1000:.1f} ms"
    )


def bench_pages(data_dir: Path) -> None:
    from starlette.testclient import TestClient

    from minsheng.web.app import create_app

    settings = Settings(data_dir=data_dir, login_rate_limit="1000/minute")
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    with unit_of_work(make_sessionmaker(engine)) as session:
        create_department(session, data=DepartmentCreate(code="WXB", name="市委网信办"))
    create_user_account(
        settings,
        username="bench",
        department="WXB",
        roles=["admin"],
        display_name="基准",
        password="Correct-Horse-42",
    )
    with TestClient(create_app(settings, run_jobs=False)) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"username": "bench", "password": "Correct-Horse-42", "csrf_token": token})
        for path in ("/", "/admin/users", "/audit"):
            latency = median_seconds(lambda p=path: client.get(p), rounds=30)
            print(f"GET {path}: {latency * 1000:.1f} ms (in-process, SQLite)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="PostgreSQL URL of an empty scratch database to include")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_passwords()
        bench_audit(f"sqlite:///{tmp}/audit.db", "sqlite")
        if args.postgres:
            bench_audit(args.postgres, "postgresql")
        bench_pages(Path(tmp) / "pages")


if __name__ == "__main__":
    main()

"""Intake benchmark: case submissions through the public JSON API, classification and routing included.

Run: .venv/bin/python bench/intake.py [--requests N] [--clients C] [--workers W] [--postgres URL]
A real server (`minsheng serve`, W worker processes, started apart from the clients so that they do not share
its interpreter) on a free port, a migrated database with the demo city's departments, regions and routing
table, and C clients posting ~250-character complaints with an intake-scoped API token. With --postgres the
run uses a scratch database created on that server and dropped afterwards (the given one if it may not create
databases). Prints submissions per second, latency percentiles and the server's CPU time per submission per
round, then the median round; the reference machine has 2 cores. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import make_url, text
from sqlalchemy.exc import SQLAlchemyError

from minsheng.audit.context import SYSTEM_ACTOR, audit_context
from minsheng.auth.models import User
from minsheng.auth.tokens import issue_token
from minsheng.bootstrap import load_jurisdiction_regions, upgrade_database
from minsheng.cases.catalog import install_builtin_types
from minsheng.cases.models import RoutingRule
from minsheng.core.database import make_engine, make_sessionmaker, unit_of_work
from minsheng.core.settings import Settings
from minsheng.demo.cases import ROUTING
from minsheng.demo.departments import USERS
from minsheng.demo.seed import _seed_departments, _seed_users

warnings.filterwarnings("ignore")
ROUNDS = 3
PLACES = ["东昌府区古楼街道", "临清市", "冠县", "东昌府区柳园街道", "阳谷县", "茌平区"]
MATTERS = [
    "小区物业长期不作为，电梯坏了两个月没人修，老人上下楼非常困难，多次找物业公司都推脱",
    "5路公交车早高峰经常晚点半小时以上，车上拥挤，希望增加班次并调整发车间隔",
    "楼下烧烤店油烟直排，晚上噪音扰民到凌晨，家里窗户都不敢开，请环保部门处理",
    "单位拖欠工资三个月，多次讨要无果，请人社部门帮助协调解决",
    "学校周边占道经营严重，放学时段交通拥堵，存在安全隐患",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare(settings: Settings) -> str:
    upgrade_database(settings)
    with audit_context(SYSTEM_ACTOR):
        load_jurisdiction_regions(settings)
    engine = make_engine(settings.resolved_database_url)
    with unit_of_work(make_sessionmaker(engine)) as session, audit_context(SYSTEM_ACTOR):
        install_builtin_types(session)
        departments = _seed_departments(session)
        _seed_users(session, departments)
        for kind, pattern, code, priority in ROUTING:
            session.add(
                RoutingRule(kind=kind, pattern=pattern, department_id=departments[code].id, priority=priority)
            )
        dispatcher = session.query(User).filter(User.username == USERS[2][0]).one()
        plain, _ = issue_token(session, user=dispatcher, name="bench", scopes=["intake"], days=1)
    engine.dispose()
    return plain


def _body(rng: random.Random, n: int) -> dict[str, object]:
    text = f"{rng.choice(PLACES)}{rng.choice(MATTERS)}。"
    text = (text * 3)[:240] + f"（编号{n}）"
    return {
        "type_code": "complaint",
        "description": text,
        "place_text": rng.choice(PLACES),
        "contact": {"name": "测试", "phone": f"139{rng.randrange(10**8):08d}"},
    }


def _round(base: str, token: str, requests: int, clients: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    bodies = [_body(rng, seed * 100_000 + i) for i in range(requests)]
    latencies: list[float] = []
    lock = threading.Lock()
    local = threading.local()

    def post(body: dict[str, object]) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
        started = time.perf_counter()
        response = client.post("/api/v1/cases", json=body)
        elapsed = time.perf_counter() - started
        if response.status_code != 201:
            raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
        with lock:
            latencies.append(elapsed)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(post, bodies))
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "submissions_per_second": requests / wall,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


@contextmanager
def _scratch_database(url: str) -> Iterator[str]:
    """Yield a fresh database on the server of url, dropped afterwards; url itself if none can be made."""
    name = f"minsheng_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError:
        admin.dispose()
        yield url
        return
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its descendants so far; 0 where /proc is missing."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        process = int(entry.parent.name)
        parents[process] = int(fields[1])
        used[process] = int(fields[11]) + int(fields[12])
    children: dict[int, list[int]] = {}
    for process, parent in parents.items():
        children.setdefault(parent, []).append(process)
    total, pending = 0, [pid]
    while pending:
        process = pending.pop()
        total += used.get(process, 0)
        pending.extend(children.get(process, []))
    return total / tick


def _start_server(settings: Settings, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MINSHENG_DATA_DIR": str(settings.data_dir),
        "MINSHENG_DATABASE_URL": settings.database_url,
        "MINSHENG_SECRET_KEY": "bench",
        "MINSHENG_PUBLIC_RATE_LIMIT": "1000000/minute",
        "MINSHENG_JOBS_INPROCESS": "false",
        "MINSHENG_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "minsheng.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start within a minute")


def _bench(args: argparse.Namespace, database_url: str, tmp: Path) -> list[dict[str, float]]:
    settings = Settings(
        data_dir=tmp,
        database_url=database_url,
        secret_key="bench",
        public_rate_limit="1000000/minute",
        jobs_inprocess=False,
        log_level="WARNING",
    )
    token = _prepare(settings)
    port = _free_port()
    server = _start_server(settings, port, args.workers, tmp / "server.log")
    try:
        base = f"http://127.0.0.1:{port}"
        # Warm every worker's text engine and connection pool (each client connection lands on one worker).
        warm_clients = max(args.clients, 2 * args.workers)
        _round(base, token, 30 * warm_clients, warm_clients, seed=0)
        results = []
        for n in range(ROUNDS):
            cpu = _cpu_seconds(server.pid)
            result = _round(base, token, args.requests, args.clients, seed=n + 1)
            result["server_cpu_ms"] = (_cpu_seconds(server.pid) - cpu) * 1000 / args.requests
            results.append(result)
            print(
                f"round {n + 1}: {result['submissions_per_second']:.0f} submissions/s, "
                f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
                f"server CPU {result['server_cpu_ms']:.2f} ms/submission",
                flush=True,
            )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (`minsheng serve --workers`)"
    )
    parser.add_argument(
        "--postgres", help="run against this PostgreSQL server instead of a temporary SQLite file"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            with _scratch_database(args.postgres) as url:
                results = _bench(args, url, Path(tmp))
        else:
            results = _bench(args, "", Path(tmp))
    summary = {key: round(statistics.median(r[key] for r in results), 1) for key in results[0]}
    summary["server_cpu_ms"] = round(statistics.median(r["server_cpu_ms"] for r in results), 2)
    summary.update(
        {
            "database": "postgresql" if args.postgres else "sqlite",
            "requests": args.requests,
            "clients": args.clients,
            "workers": args.workers,
        }
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

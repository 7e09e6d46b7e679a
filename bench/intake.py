"""Intake benchmark: case submissions through the public JSON API, classification and routing included.

Run: .venv/bin/python bench/intake.py [--requests N] [--clients C] [--postgres URL]
A real server (uvicorn, one process) on a free port, a migrated database with the demo city's departments,
regions and routing table, and C clients posting ~250-character complaints with an intake-scoped API token.
Prints submissions per second and latency percentiles per round, then the median round; the reference machine
has 2 cores. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import uvicorn

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
from minsheng.web.app import create_app

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--postgres", help="run against this PostgreSQL URL instead of a temporary SQLite file"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=args.postgres or "",
            secret_key="bench",
            public_rate_limit="1000000/minute",
            jobs_inprocess=False,
            log_level="WARNING",
        )
        token = _prepare(settings)
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings, run_jobs=False), host="127.0.0.1", port=port, log_level="warning"
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        _round(base, token, 30, 1, seed=0)  # warm the text engine and the connection pool
        results = []
        for n in range(ROUNDS):
            result = _round(base, token, args.requests, args.clients, seed=n + 1)
            results.append(result)
            print(
                f"round {n + 1}: {result['submissions_per_second']:.0f} submissions/s, "
                f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms"
            )
        server.should_exit = True
        thread.join(timeout=10)
    summary = {key: round(statistics.median(r[key] for r in results), 1) for key in results[0]}
    summary.update(
        {
            "database": "postgresql" if args.postgres else "sqlite",
            "requests": args.requests,
            "clients": args.clients,
        }
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

"""The demo stream: deterministic, marked synthetic, bursts that ramp, stored like pushed items."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from minsheng.cli import app
from minsheng.core.settings import get_settings
from minsheng.core.timeutil import UTC
from minsheng.demo.chatter import BURSTS
from minsheng.demo.simulate import SIM_SOURCE, BurstPlan, Simulation, parse_bursts, write_database
from minsheng.items.models import Item
from minsheng.sources.models import Source

START = datetime(2024, 5, 1, 0, 0, tzinfo=UTC)


def _posts(**kwargs) -> list:
    options = {"start": START, "minutes": 60, "rate": 10.0, "bursts": list(BURSTS), "seed": 5} | kwargs
    return [post for minute in Simulation(**options).stream() for post in minute]


def test_same_seed_same_stream_and_everything_is_marked_synthetic():
    first, second = _posts(), _posts()
    assert [p.record() for p in first] == [p.record() for p in second]
    assert [p.record() for p in _posts(seed=6)] != [p.record() for p in first]
    assert all(p.url.startswith("https://sim.invalid/") for p in first)
    assert all(p.author.startswith("模拟用户") for p in first)
    assert len({p.external_id for p in first}) == len(first)
    assert all(30 <= len(p.post.text) <= 400 for p in first)
    assert {p.post.kind for p in first} == {"background", *BURSTS}
    assert len({p.post.text for p in first}) > 0.9 * len(first)
    assert [p.at for p in first] == sorted(p.at for p in first)


def test_bursts_ramp_up_over_minutes_and_stay_in_one_place():
    plan = BurstPlan("pollution", 10)
    rates = [plan.rate(minute) for minute in range(8, 60)]
    assert rates[0] == 0 and max(rates) == BURSTS["pollution"].peak_per_minute
    rising = [plan.rate(10 + k) for k in range(12)]
    assert rising == sorted(rising) and rising[-1] > 8 * rising[0]
    simulation = Simulation(start=START, minutes=60, rate=10.0, bursts=["pollution"], seed=5)
    posts = [p for minute in simulation.stream() for p in minute if p.post.kind == "pollution"]
    town = simulation.chatter.burst_places["pollution"]["town"]
    assert len(posts) > 100 and all(town in p.post.text for p in posts)
    assert not [p for p in _posts(bursts=[]) if p.post.kind != "background"]


def test_burst_option_parsing():
    assert parse_bursts("all") == list(BURSTS) and parse_bursts("none") == []
    assert parse_bursts("fraud, outage") == ["fraud", "outage"]
    with pytest.raises(ValueError, match="未知的突发类型"):
        parse_bursts("fraud,meteor")


def test_database_run_goes_through_the_push_path_and_is_idempotent(engine, settings, session):
    simulation = Simulation(start=START, minutes=12, rate=4.0, bursts=["outage"], seed=2)
    report = write_database(simulation, settings)
    total = sum(report.posts.values())
    assert report.created == total > 20 and report.clustered
    source = session.scalar(select(Source).where(Source.name == SIM_SOURCE))
    assert source.kind == "push"
    assert session.scalar(select(func.count()).select_from(Item)) == total
    analysed = session.scalar(select(func.count()).select_from(Item).where(Item.analysed_at.is_not(None)))
    assert analysed == total
    latest = session.scalar(select(func.max(Item.fetched_at)))
    assert latest <= START.replace(minute=12)  # each minute is stored as if fetched when it ended
    clustered = session.scalar(select(func.count()).select_from(Item).where(Item.dup_group_id.is_not(None)))
    assert clustered == total  # the events clustering ran, as for pushed items
    session.rollback()
    again = write_database(Simulation(start=START, minutes=12, rate=4.0, bursts=["outage"], seed=2), settings)
    assert again.created == 0 and again.unchanged == total


def test_cli_writes_jsonl_for_import(tmp_path, monkeypatch):
    monkeypatch.setenv("MINSHENG_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "sim.jsonl"
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app,
            [
                "simulate",
                "--minutes",
                "20",
                "--rate",
                "5",
                "--bursts",
                "rumour",
                "--seed",
                "9",
                "--out",
                str(out),
                "--start",
                "2024-05-01T08:00",
            ],
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines and set(lines[0]) == {"id", "url", "title", "text", "published_at", "author"}
    assert lines[0]["published_at"].startswith("2024-05-01T08:0")
    assert any("rumour" in line["url"] for line in lines)
    assert "模拟数据" in result.output
    bad = CliRunner().invoke(app, ["simulate", "--bursts", "meteor", "--out", str(out)])
    assert bad.exit_code == 1

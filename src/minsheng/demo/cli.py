"""`minsheng simulate`: write a synthetic stream of public posts for the demo city."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from minsheng.core.settings import get_settings
from minsheng.core.timeutil import local_zone, utcnow


def simulate(
    minutes: Annotated[int, typer.Option(help="Span of simulated time in minutes", min=1)] = 120,
    rate: Annotated[float, typer.Option(help="Background posts per minute", min=0)] = 20.0,
    bursts: Annotated[
        str, typer.Option(help="Bursts to inject: all, none, or some of pollution,rumour,fraud,bus,outage")
    ] = "all",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed and start give the same stream")] = 1,
    start: Annotated[
        str | None,
        typer.Option(
            help="Start of the stream (ISO time, Beijing time without offset); default: the span ago"
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write JSON Lines for `minsheng items import` instead of the database")
    ] = None,
    live: Annotated[
        bool,
        typer.Option("--live", help="Write in real time, a batch every few seconds, until the span ends"),
    ] = False,
    every: Annotated[float, typer.Option(help="Seconds between live batches", min=0.1)] = 5.0,
) -> None:
    """Write synthetic posts (marked as such) for the demo: everyday chatter and bursts that ramp up."""
    from minsheng.demo.simulate import SIM_SOURCE, Simulation, parse_bursts, write_database, write_jsonl

    try:
        kinds = parse_bursts(bursts)
    except ValueError as error:
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from error
    if start:
        try:
            moment = datetime.fromisoformat(start)
        except ValueError as error:
            typer.secho(f"无法识别的开始时间：{start}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from error
        moment = moment if moment.tzinfo else moment.replace(tzinfo=local_zone())
    else:
        moment = utcnow() if live else utcnow() - timedelta(minutes=minutes)
    if out is None and "MINSHENG_DATA_DIR" not in os.environ and "MINSHENG_DATABASE_URL" not in os.environ:
        # Write where `minsheng demo` keeps its database, so the two work together out of the box.
        os.environ["MINSHENG_DATA_DIR"] = str(Path("var") / "demo")
        get_settings.cache_clear()
    settings = get_settings()
    simulation = Simulation(
        start=moment,
        minutes=minutes,
        rate=rate,
        bursts=kinds,
        seed=seed,
        jurisdiction=settings.jurisdiction_code,
    )
    for plan in simulation.plans:
        typer.echo(f"突发 {plan.key}：第 {plan.start_minute:.0f} 分钟开始")
    if out is not None:
        counts = write_jsonl(simulation, out)
        typer.echo(f"已写入 {out}：{sum(counts.values())} 条（{_describe(counts)}），均为模拟数据")
        typer.echo(f'导入：minsheng items import {out} --source "{SIM_SOURCE}"')
        return
    try:
        report = write_database(simulation, settings, live=live, every_seconds=every, echo=typer.echo)
    except KeyboardInterrupt:
        typer.echo("已停止")
        return
    clustered = "，已聚类" if report.clustered else ""
    typer.echo(
        f"已写入信息源「{SIM_SOURCE}」：{sum(report.posts.values())} 条（{_describe(report.posts)}），"
        f"新增 {report.created}，重复 {report.unchanged}{clustered}"
    )


def _describe(counts: dict[str, int]) -> str:
    return "，".join(f"{kind} {n}" for kind, n in sorted(counts.items(), key=lambda pair: -pair[1]))

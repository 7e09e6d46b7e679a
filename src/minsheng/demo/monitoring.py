"""The demo city's monitoring: starting warning rules and simulated posts, judged minute by minute."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from minsheng.core.database import make_engine, make_sessionmaker, unit_of_work
from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.demo.chatter import BURSTS
from minsheng.demo.simulate import SIM_SOURCE, Simulation, WriteReport, write_database
from minsheng.sources.models import Source
from minsheng.warning.evaluate import run_round
from minsheng.warning.rules import install_default_rules

DEMO_RATE = 20.0


def _has_stream(settings: Settings) -> bool:
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return bool(session.scalar(select(func.count(Source.id)).where(Source.name == SIM_SOURCE)))
    finally:
        engine.dispose()


def _warning_round(factory: Any, moment: datetime, settings: Settings) -> None:
    # As the every-minute job would have judged the stream at that moment.
    with unit_of_work(factory) as session:
        run_round(session, settings=settings, now=moment)


def seed_monitoring(settings: Settings, *, minutes: int) -> WriteReport | None:
    """Install the starting rules and, once per database, write `minutes` of simulated posts ending now."""
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            install_default_rules(session)
    finally:
        engine.dispose()
    if minutes <= 0 or _has_stream(settings):
        return None
    simulation = Simulation(
        start=utcnow() - timedelta(minutes=minutes),
        minutes=minutes,
        rate=DEMO_RATE,
        bursts=list(BURSTS),
        seed=1,
        jurisdiction=settings.jurisdiction_code,
    )
    return write_database(
        simulation,
        settings,
        echo=lambda _: None,
        after_minute=lambda factory, moment: _warning_round(factory, moment, settings),
    )

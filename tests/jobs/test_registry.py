"""Task registration, argument checks and the retry schedule, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from minsheng.jobs import InvalidJobArguments, JobContext, UnknownTask, periodic, task
from minsheng.jobs.postgres import conninfo
from minsheng.jobs.postgres_worker import recovery_cron
from minsheng.jobs.registry import (
    MAX_BACKOFF_SECONDS,
    encode_arguments,
    get_spec,
    resolve_unique_key,
    split_tick,
)
from tests.jobs import sample_tasks


def test_spec_found_by_name_and_function() -> None:
    assert get_spec("test.echo") is get_spec(sample_tasks.echo)
    assert get_spec("test.echo").retries == 3


def test_unknown_task_is_refused() -> None:
    with pytest.raises(UnknownTask):
        get_spec("test.no_such_task")


def test_backoff_doubles_and_is_capped() -> None:
    spec = get_spec("test.always_fails")
    assert [spec.backoff(n).total_seconds() for n in range(3)] == [60, 120, 240]
    assert spec.backoff(30) == timedelta(seconds=MAX_BACKOFF_SECONDS)
    assert spec.should_retry(0)
    assert not spec.should_retry(1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"marker_dir": "/tmp", "text": datetime.now(UTC)},
        {"marker_dir": "/tmp", "text": {1, 2}},
        {"marker_dir": "/tmp", "text": float("nan")},
        {"marker_dir": "/tmp", "unexpected": 1},
        {},
    ],
)
def test_arguments_must_fit_the_signature_and_be_json(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidJobArguments):
        encode_arguments(get_spec("test.echo"), kwargs)


def test_unique_task_keys_on_its_arguments() -> None:
    spec = get_spec("test.unique")
    first = resolve_unique_key(spec, None, {"region": "371502"})
    assert first == resolve_unique_key(spec, None, {"region": "371502"})
    assert first != resolve_unique_key(spec, None, {"region": "371503"})
    assert resolve_unique_key(spec, "explicit", {"region": "371502"}) == "explicit"
    assert resolve_unique_key(get_spec("test.echo"), None, {"marker_dir": "x"}) is None
    assert resolve_unique_key(get_spec("test.nightly"), None, {}) == "test.nightly"


def test_periodic_tick_is_taken_out_of_the_arguments() -> None:
    args, tick = split_tick({"timestamp": 1_700_000_000, "a": 1}, periodic=True)
    assert args == {"a": 1}
    assert tick == datetime.fromtimestamp(1_700_000_000, UTC)
    assert split_tick({"timestamp": 1}, periodic=False) == ({"timestamp": 1}, None)


def test_invalid_cron_is_refused() -> None:
    with pytest.raises(ValueError, match="cron"):
        periodic(cron="every hour", name="test.bad_cron")


def test_name_reused_by_another_function_is_refused() -> None:
    def echo(ctx: JobContext) -> None:
        del ctx

    with pytest.raises(ValueError, match="already registered"):
        task(name="test.echo")(echo)


def test_recovery_runs_twice_per_stall_timeout() -> None:
    assert recovery_cron(2) == "* * * * * */1"
    assert recovery_cron(60) == "* * * * * */30"
    assert recovery_cron(600) == "*/5 * * * *"


def test_conninfo_drops_the_sqlalchemy_driver() -> None:
    url = "postgresql+psycopg://minsheng:s3cret@db.example:5433/minsheng?sslmode=require"
    assert conninfo(url) == "postgresql://minsheng:s3cret@db.example:5433/minsheng?sslmode=require"

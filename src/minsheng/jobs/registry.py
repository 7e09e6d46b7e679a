"""Task definitions: the `@task` and `@periodic` decorators and the registry both backends build from."""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from croniter import croniter
from sqlalchemy.orm import Session, sessionmaker

from minsheng.core.database import unit_of_work as _unit_of_work
from minsheng.core.errors import NotFound, ValidationFailed
from minsheng.core.settings import Settings
from minsheng.core.timeutil import UTC

if TYPE_CHECKING:
    from minsheng.jobs.queue import JobQueue

DEFAULT_QUEUE = "default"
MAX_BACKOFF_SECONDS = 6 * 3600
# A periodic tick missed by more than this (the worker was down) is skipped rather than run late.
PERIODIC_MAX_DELAY_SECONDS = 600
# Periodic jobs receive their tick under this keyword; it is taken out before the task function runs.
TICK_ARGUMENT = "timestamp"

TaskFunc = Callable[..., Any]


class UnknownTask(NotFound):
    default_message = "未知的后台任务"


class InvalidJobArguments(ValidationFailed):
    default_message = "后台任务参数无效"


@dataclass(frozen=True)
class JobContext:
    """What a running task gets besides its arguments: settings, database access, job id and attempt."""

    settings: Settings
    session_factory: sessionmaker[Session]
    queue: JobQueue
    job_id: int
    attempt: int
    tick: datetime | None = None

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """Open a session that commits when the block succeeds; a job owns its unit of work."""
        with _unit_of_work(self.session_factory) as session:
            yield session


@dataclass(frozen=True)
class TaskSpec:
    """One task: its name, function, queue, retry policy and schedule."""

    name: str
    func: TaskFunc
    queue: str = DEFAULT_QUEUE
    retries: int = 3
    backoff_seconds: float = 10.0
    priority: int = 0
    unique: bool = False
    cron: str | None = None
    signature: inspect.Signature = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "signature", inspect.signature(self.func))

    def backoff(self, attempts: int) -> timedelta:
        """Return the wait before the next run after `attempts` failed runs: exponential, capped."""
        seconds = min(self.backoff_seconds * (2**attempts), MAX_BACKOFF_SECONDS)
        return timedelta(seconds=seconds)

    def should_retry(self, attempts: int) -> bool:
        """Tell whether a job that failed `attempts + 1` times gets another run."""
        return attempts < self.retries


_specs: dict[str, TaskSpec] = {}


def task(
    *,
    name: str,
    queue: str = DEFAULT_QUEUE,
    retries: int = 3,
    backoff_seconds: float = 10.0,
    priority: int = 0,
    unique: bool = False,
) -> Callable[[TaskFunc], TaskFunc]:
    """Register a function `func(ctx: JobContext, **json_kwargs)` as a task under a stable name."""

    def register(func: TaskFunc) -> TaskFunc:
        _register(
            TaskSpec(
                name=name,
                func=func,
                queue=queue,
                retries=retries,
                backoff_seconds=backoff_seconds,
                priority=priority,
                unique=unique,
            )
        )
        return func

    return register


def periodic(
    *,
    cron: str,
    name: str,
    queue: str = DEFAULT_QUEUE,
    retries: int = 0,
    backoff_seconds: float = 10.0,
) -> Callable[[TaskFunc], TaskFunc]:
    """Register a task that runs on a cron schedule (local time) once per tick across all workers."""
    if not croniter.is_valid(cron):
        raise ValueError(f"invalid cron expression for {name}: {cron!r}")

    def register(func: TaskFunc) -> TaskFunc:
        _register(
            TaskSpec(
                name=name,
                func=func,
                queue=queue,
                retries=retries,
                backoff_seconds=backoff_seconds,
                unique=True,
                cron=cron,
            )
        )
        return func

    return register


def _register(spec: TaskSpec) -> None:
    existing = _specs.get(spec.name)
    # Re-importing a module (reloads, test collection) registers the same function again; that is harmless.
    if existing is not None and existing.func.__qualname__ != spec.func.__qualname__:
        raise ValueError(f"task name {spec.name!r} is already registered to {existing.func.__qualname__}")
    _specs[spec.name] = spec


def get_spec(name_or_func: str | TaskFunc) -> TaskSpec:
    """Return the spec of a task given its name or its function, or raise `UnknownTask`."""
    if isinstance(name_or_func, str):
        spec = _specs.get(name_or_func)
    else:
        spec = next((s for s in _specs.values() if s.func is name_or_func), None)
    if spec is None:
        raise UnknownTask(f"未知的后台任务：{getattr(name_or_func, '__name__', name_or_func)}")
    return spec


def all_specs() -> list[TaskSpec]:
    """Return every registered task spec, periodic ones included."""
    return list(_specs.values())


def encode_arguments(spec: TaskSpec, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Check that `kwargs` fit the task's signature and survive a JSON round trip; return the decoded copy."""
    try:
        spec.signature.bind(None, **kwargs)
    except TypeError as exc:
        raise InvalidJobArguments(f"任务 {spec.name} 的参数不符：{exc}") from exc
    try:
        encoded = json.dumps(kwargs, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InvalidJobArguments(f"任务 {spec.name} 的参数必须是 JSON：{exc}") from exc
    return json.loads(encoded)


def resolve_unique_key(spec: TaskSpec, unique_key: str | None, kwargs: dict[str, Any]) -> str | None:
    """Return the key that guards against a second active job; unique tasks key on their arguments."""
    if unique_key is not None:
        return unique_key
    if spec.cron is not None:
        return spec.name
    if not spec.unique:
        return None
    digest = hashlib.sha256(json.dumps(kwargs, sort_keys=True).encode()).hexdigest()[:16]
    return f"{spec.name}:{digest}"


def split_tick(args: dict[str, Any], *, periodic: bool) -> tuple[dict[str, Any], datetime | None]:
    """Separate the tick of a periodic job from its stored arguments."""
    if not periodic or TICK_ARGUMENT not in args:
        return args, None
    rest = {k: v for k, v in args.items() if k != TICK_ARGUMENT}
    return rest, datetime.fromtimestamp(args[TICK_ARGUMENT], UTC)

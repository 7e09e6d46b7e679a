"""Who is acting: set once per request or job, read by ``record`` without threading it through."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AuditActor:
    """The user (or process) behind an action, with the request it came in on."""

    user_id: int | None = None
    name: str = ""
    request_id: str | None = None
    ip: str | None = None


SYSTEM_ACTOR = AuditActor(user_id=None, name="system")


@dataclass(slots=True)
class _Slot:
    # Mutable so that an auth dependency running in a copied context (a worker thread) can still name
    # the user for the rest of the request.
    actor: AuditActor


_current: ContextVar[_Slot | None] = ContextVar("minsheng_audit_actor", default=None)


@contextmanager
def audit_context(actor: AuditActor) -> Iterator[AuditActor]:
    """Make the actor the default for every audit record made inside the block."""
    token = _current.set(_Slot(actor))
    try:
        yield actor
    finally:
        _current.reset(token)


def identify_actor(*, user_id: int | None, name: str) -> None:
    """Name the authenticated user in the current audit context, keeping its request id and IP."""
    slot = _current.get()
    if slot is None:
        _current.set(_Slot(AuditActor(user_id=user_id, name=name)))
        return
    slot.actor = dataclasses.replace(slot.actor, user_id=user_id, name=name)


def current_actor() -> AuditActor:
    """Return the actor of the current context, or the system actor outside any request or job."""
    slot = _current.get()
    return slot.actor if slot is not None else SYSTEM_ACTOR


def resolve_actor(explicit: AuditActor | None) -> AuditActor:
    """Pick the explicit actor if given, else the context's, else the system actor."""
    return explicit if explicit is not None else current_actor()

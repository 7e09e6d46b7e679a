"""Which clustering state belongs to which database, and forgetting it when a transaction that changed it
does not commit."""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, SessionTransaction

from minsheng.events.config import ClusterConfig
from minsheng.events.state import ClusterState

_states: weakref.WeakKeyDictionary[Engine, ClusterState] = weakref.WeakKeyDictionary()
_states_lock = threading.Lock()
_MARKS = "minsheng.events.marks"


def state_for(session: Session, config: ClusterConfig) -> ClusterState:
    """Return this process's state for the session's database (one per engine), made on first use."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with _states_lock:
        state = _states.get(engine)
        if state is None or state.config != config:
            state = ClusterState(config)
            _states[engine] = state
        return state


def cached_state(session: Session) -> ClusterState | None:
    """Return this process's state for the session's database if clustering has built one."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with _states_lock:
        return _states.get(engine)


def forget_states() -> None:
    """Drop every process state (tests, or after restoring a backup)."""
    with _states_lock:
        for state in _states.values():
            state.reset()


def watch_transaction(session: Session, state: ClusterState) -> None:
    """Reset the state if the transaction that just changed it does not commit."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    marks = session.info.setdefault(_MARKS, [])
    if not any(t is transaction and s is state for t, s in marks):
        marks.append((transaction, state))
    if session.info.get(_MARKS + ".listening"):
        return
    session.info[_MARKS + ".listening"] = True
    event.listen(session, "after_commit", _after_commit)
    event.listen(session, "after_soft_rollback", _after_rollback)
    event.listen(session, "after_transaction_end", _after_end)


def _after_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info[_MARKS] = []


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    marks = session.info.get(_MARKS, [])
    kept = []
    for transaction, state in marks:
        if _within(transaction, previous):
            state.reset()
        else:
            kept.append((transaction, state))
    session.info[_MARKS] = kept


def _after_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and session.info.get(_MARKS):
        for _, state in session.info[_MARKS]:
            state.reset()
        session.info[_MARKS] = []

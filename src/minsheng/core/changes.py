"""Count the changes this process commits to chosen models, so per-process caches know when to reload."""

from __future__ import annotations

import itertools
from collections.abc import Collection
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, object_session


class ChangeCounter:
    """A number that moves whenever a session of this process writes, and again when it commits, a model.

    A cache records the number before it reads the database and reloads once the number has moved. Moving it
    at the flush and again at the commit means a reader that raced the writer and read the old rows is
    caught too. Other processes' changes are invisible here: caches pair this with a time limit.
    """

    def __init__(self, *models: type[Any], ignore: Collection[str] = ()) -> None:
        self._ticks = itertools.count(1)
        self.value = 0
        self._ignore = frozenset(ignore)
        self._key = f"minsheng.changes.{id(self)}"
        for model in models:
            event.listen(model, "after_insert", self._written)
            event.listen(model, "after_update", self._written)
            event.listen(model, "after_delete", self._written)
        event.listen(Session, "after_commit", self._committed)

    def bump(self) -> None:
        """Make every cache built on this counter reload (next() on a count is atomic under the GIL)."""
        self.value = next(self._ticks)

    def _written(self, _mapper: Any, _connection: Any, target: Any) -> None:
        if self._ignore:
            changed = {attr.key for attr in inspect(target).attrs if attr.history.has_changes()}
            if changed and changed <= self._ignore:
                return
        self.bump()
        session = object_session(target)
        if session is not None:
            session.info[self._key] = True

    def _committed(self, session: Session) -> None:
        # A savepoint's release also fires after_commit; only the outermost commit makes rows visible.
        if session.get_nested_transaction() is None and session.info.pop(self._key, False):
            self.bump()

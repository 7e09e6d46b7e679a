"""Keep one text engine per process, rebuilt when the deployment's departments or regions change."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.core.settings import Settings
from minsheng.org.models import Department, Region
from minsheng.text.analysis import TextEngine


class EngineCache:
    """Build the engine from the database once and again only when its names have changed."""

    def __init__(self, settings: Settings, *, check_seconds: float = 10.0) -> None:
        self.settings = settings
        self.check_seconds = check_seconds
        self._engine: TextEngine | None = None
        self._stamp: tuple[object, ...] | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    @staticmethod
    def _stamp_of(session: Session) -> tuple[object, ...]:
        # Two aggregate queries cost far less than rebuilding the automaton over every name.
        departments = session.execute(select(func.count(), func.max(Department.updated_at))).one()
        regions = session.scalar(select(func.count()).select_from(Region))
        return (*departments, regions)

    def get(self, session: Session) -> TextEngine:
        """Return the current engine, rebuilding it if departments or regions changed.

        Changes are looked for at most every `check_seconds`, so a busy intake does not pay for the check.
        """
        if self._engine is not None and time.monotonic() - self._checked < self.check_seconds:
            return self._engine
        stamp = self._stamp_of(session)
        self._checked = time.monotonic()
        with self._lock:
            if self._engine is None or stamp != self._stamp:
                self._engine = TextEngine.from_settings(self.settings, session=session)
                self._stamp = stamp
            return self._engine

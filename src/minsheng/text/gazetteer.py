"""The deployment's own place and department names, matched in text with Aho-Corasick automata."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.org.models import Department, Region
from minsheng.text.departments import DepartmentIndex, DepartmentLike, DepartmentMention, DepartmentRecord
from minsheng.text.places import PlaceIndex, PlaceMention, RegionLike, RegionRecord

__all__ = [
    "DepartmentMention",
    "DepartmentRecord",
    "Gazetteer",
    "PlaceMention",
    "RegionRecord",
]


class Gazetteer:
    """Find the jurisdiction's places and the government's departments in a text."""

    def __init__(
        self, *, regions: Iterable[RegionLike] = (), departments: Iterable[DepartmentLike] = ()
    ) -> None:
        regions, departments = list(regions), list(departments)
        self._places = PlaceIndex(regions)
        self._departments = DepartmentIndex(departments)
        self._names = sorted(
            {name for r in regions for name in (r.name, r.short_name) if name and len(name) > 1}
            | {name for d in departments for name in (d.name, *d.aliases) if name and len(name) > 1}
        )

    @classmethod
    def from_session(cls, session: Session) -> Gazetteer:
        """Build a gazetteer over every loaded region and every active department."""
        regions = [
            RegionRecord(r.code, r.name, r.short_name, r.level, r.parent_code)
            for r in session.scalars(select(Region).order_by(Region.code))
        ]
        departments = [
            DepartmentRecord(d.id, d.code, d.name, tuple(d.aliases or ()))
            for d in session.scalars(
                select(Department).where(Department.is_active.is_(True)).order_by(Department.id)
            )
        ]
        return cls(regions=regions, departments=departments)

    @property
    def region_count(self) -> int:
        return len(self._places)

    @property
    def department_count(self) -> int:
        return len(self._departments)

    def find_places(self, text: str, *, local: bool = True) -> list[PlaceMention]:
        """Return the places named in text; with local, also roads, estates and villages below township."""
        return self._places.find(text, local=local)

    def find_regions(self, text: str) -> list[PlaceMention]:
        """Return only the administrative divisions named in text."""
        return self._places.find(text, local=False)

    def find_departments(self, text: str) -> list[DepartmentMention]:
        """Return the departments named in text by full name or alias."""
        return self._departments.find(text)

    def names(self) -> list[str]:
        """Return every place and department name, for the segmenter's user dictionary."""
        return list(self._names)

    def region_path(self, code: str) -> tuple[str, ...]:
        """Return the names from the top-level region down to the region with this code."""
        return self._places.path(code)

    def locate(self, text: str) -> str | None:
        """Return the most specific region code the text points to, for routing; None if it names none."""
        return self.region_of(self._places.find(text, local=False))

    def region_of(self, mentions: Iterable[PlaceMention]) -> str | None:
        """Return the most specific region code that a set of place mentions points to."""
        codes = {m.region_code for m in mentions if m.region_code is not None}
        if not codes:
            return None
        deepest = max(self._places.level(code) for code in codes)
        # Several places at the deepest level point to the region that holds them all.
        leaves = [code for code in codes if self._places.level(code) == deepest]
        chains = [(code, *self._places.ancestors(code)) for code in leaves]
        shared = set(chains[0]).intersection(*chains[1:])
        return next((code for code in chains[0] if code in shared), None)

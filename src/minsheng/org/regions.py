"""Load the jurisdiction's administrative regions into the database and query them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from minsheng.core.errors import NotFound
from minsheng.org.division import (
    DivisionEntry,
    UnknownRegionError,
    jurisdiction_entries,
    normalize_region_code,
)
from minsheng.org.models import Region
from minsheng.org.schemas import normalize_text

_CHUNK = 500


@dataclass(slots=True)
class RegionLoadReport:
    """What a region load did: codes created and updated, and how many were already current."""

    root_code: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + self.unchanged


def load_regions(session: Session, *, root_code: str, division_dir: Path | None = None) -> RegionLoadReport:
    """Upsert the jurisdiction root, its ancestors and its subtree; a second run changes nothing."""
    entries = jurisdiction_entries(root_code, division_dir)
    report = RegionLoadReport(root_code=normalize_region_code(root_code))
    existing: dict[str, Region] = {}
    codes = [entry.code for entry in entries]
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start : start + _CHUNK]
        existing.update((r.code, r) for r in session.scalars(select(Region).where(Region.code.in_(chunk))))
    level = entries[0].level
    for entry in entries:
        # Flush each level before the next so every parent row exists when its children are inserted.
        if entry.level != level:
            session.flush()
            level = entry.level
        region = existing.get(entry.code)
        if region is None:
            session.add(_new_region(entry))
            report.created.append(entry.code)
        elif _apply(region, entry):
            report.updated.append(entry.code)
        else:
            report.unchanged += 1
    session.flush()
    return report


def _new_region(entry: DivisionEntry) -> Region:
    return Region(
        code=entry.code,
        name=entry.name,
        short_name=entry.short_name,
        level=entry.level,
        parent_code=entry.parent_code,
    )


def _apply(region: Region, entry: DivisionEntry) -> bool:
    """Copy the file's values onto a stored region; report whether anything changed."""
    wanted = {
        "name": entry.name,
        "short_name": entry.short_name,
        "level": entry.level,
        "parent_code": entry.parent_code,
    }
    changed = False
    for attr, value in wanted.items():
        if getattr(region, attr) != value:
            setattr(region, attr, value)
            changed = True
    return changed


def get_region(session: Session, *, code: str) -> Region:
    """Return a loaded region by code, or raise NotFound."""
    region = session.get(Region, _clean_code(code))
    if region is None:
        raise NotFound(f"行政区划 {code} 不存在或尚未加载")
    return region


def _clean_code(code: str) -> str:
    try:
        return normalize_region_code(code)
    except UnknownRegionError as exc:
        raise NotFound(f"行政区划 {code} 不存在") from exc


def list_child_regions(session: Session, *, code: str | None = None) -> list[Region]:
    """Return the direct children of a region by code, or the top-level loaded regions for None."""
    if code is None:
        condition = Region.parent_code.is_(None)
    else:
        condition = Region.parent_code == get_region(session, code=code).code
    return list(session.scalars(select(Region).where(condition).order_by(Region.code)))


def region_ancestors(session: Session, *, code: str, include_self: bool = True) -> list[Region]:
    """Return the chain from the top-level region down to this one."""
    region = get_region(session, code=code)
    chain = [region] if include_self else []
    parent_code = region.parent_code
    while parent_code is not None:
        parent = session.get(Region, parent_code)
        if parent is None:
            break
        chain.append(parent)
        parent_code = parent.parent_code
    chain.reverse()
    return chain


def region_path(session: Session, *, code: str, separator: str = " / ") -> str:
    """Return the full name path of a region, e.g. 山东省 / 聊城市 / 东昌府区."""
    return separator.join(region.name for region in region_ancestors(session, code=code))


def search_regions(
    session: Session, *, query: str, level: int | None = None, limit: int = 20
) -> list[Region]:
    """Find regions whose name or short name contains the query, exact matches and higher levels first."""
    text = normalize_text(query)
    if not text:
        return []
    if text.isascii() and text.isdigit():
        statement = select(Region).where(Region.code.startswith(text))
    else:
        pattern = f"%{_escape_like(text)}%"
        statement = select(Region).where(
            or_(Region.name.like(pattern, escape="\\"), Region.short_name.like(pattern, escape="\\"))
        )
    if level is not None:
        statement = statement.where(Region.level == level)
    candidates = session.scalars(statement.order_by(Region.level, Region.code).limit(limit * 5)).all()
    ranked = sorted(candidates, key=lambda r: (text not in (r.name, r.short_name), r.level, r.code))
    return ranked[:limit]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

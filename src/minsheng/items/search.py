"""Find items by exact substring (FTS5 trigram on SQLite, pg_trgm + ILIKE on PostgreSQL) and filters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Select, func, literal_column, or_, select, table
from sqlalchemy.orm import Session, selectinload

from minsheng.items.models import Item, item_department
from minsheng.sources.models import Source
from minsheng.text.pii import mask

# FTS5's trigram tokenizer indexes three-character windows: shorter queries cannot use it.
TRIGRAM = 3
MAX_QUERY = 200
FACET_LIMIT = 12
_FTS = table("item_fts")


@dataclass(frozen=True)
class ItemFilter:
    """A search: a substring of title or text, and filters that all must hold."""

    q: str = ""
    since: datetime | None = None
    until: datetime | None = None
    source_id: int | None = None
    tier: str | None = None
    category: str | None = None
    sentiment: str | None = None
    region_code: str | None = None
    department_id: int | None = None

    @property
    def needle(self) -> str:
        return self.q.strip()[:MAX_QUERY]


def escape_like(value: str) -> str:
    """Escape LIKE wildcards so the value matches literally (with ESCAPE '\\')."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def region_prefix(code: str) -> str:
    """Return the prefix shared by a region's code and all its subdivisions (371500 → 3715)."""
    code = code.strip()
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def text_condition(dialect: str, needle: str) -> ColumnElement[bool]:
    """Match items whose title or text contains the needle, ignoring ASCII case."""
    if dialect == "sqlite" and len(needle) >= TRIGRAM:
        phrase = '"' + needle.replace('"', '""') + '"'
        matches = (
            select(literal_column("rowid"))
            .select_from(_FTS)
            .where(literal_column("item_fts").op("MATCH")(phrase))
        )
        return Item.id.in_(matches)
    # Short needles, and PostgreSQL (whose pg_trgm GIN indexes serve ILIKE), scan with a literal pattern.
    pattern = f"%{escape_like(needle)}%"
    return or_(Item.title.ilike(pattern, escape="\\"), Item.text.ilike(pattern, escape="\\"))


def conditions(session: Session, spec: ItemFilter) -> list[ColumnElement[bool]]:
    """Turn a filter into WHERE conditions on Item."""
    found: list[ColumnElement[bool]] = []
    if spec.needle:
        found.append(text_condition(session.get_bind().dialect.name, spec.needle))
    if spec.since:
        found.append(Item.published_at >= spec.since)
    if spec.until:
        found.append(Item.published_at < spec.until)
    if spec.source_id:
        found.append(Item.source_id == spec.source_id)
    if spec.tier:
        found.append(Item.source_id.in_(select(Source.id).where(Source.tier == spec.tier)))
    if spec.category:
        found.append(Item.category == spec.category)
    if spec.sentiment:
        found.append(Item.sentiment == spec.sentiment)
    if spec.region_code:
        found.append(Item.region_code.like(escape_like(region_prefix(spec.region_code)) + "%", escape="\\"))
    if spec.department_id:
        found.append(
            Item.id.in_(
                select(item_department.c.item_id).where(item_department.c.department_id == spec.department_id)
            )
        )
    return found


def _filtered(session: Session, spec: ItemFilter) -> Select[Any]:
    return select(Item).where(*conditions(session, spec))


def count_items(session: Session, *, spec: ItemFilter) -> int:
    return session.scalar(select(func.count()).select_from(_filtered(session, spec).subquery())) or 0


def search_items(session: Session, *, spec: ItemFilter, limit: int = 50, offset: int = 0) -> list[Item]:
    """Return matching items, newest first, with their sources loaded."""
    statement = (
        _filtered(session, spec)
        .options(selectinload(Item.source))
        .order_by(Item.published_at.desc(), Item.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(statement))


def facets(session: Session, *, spec: ItemFilter) -> dict[str, list[tuple[str, int]]]:
    """Count the matching items by source, category, sentiment and region."""
    where = conditions(session, spec)
    result: dict[str, list[tuple[str, int]]] = {}
    columns = {"category": Item.category, "sentiment": Item.sentiment, "region_code": Item.region_code}
    for name, column in columns.items():
        rows = session.execute(
            select(column, func.count())
            .where(*where, column.is_not(None))
            .group_by(column)
            .order_by(func.count().desc(), column)
            .limit(FACET_LIMIT)
        )
        result[name] = [(str(value), count) for value, count in rows]
    rows = session.execute(
        select(Source.id, Source.name, func.count())
        .join(Item, Item.source_id == Source.id)
        .where(*where)
        .group_by(Source.id, Source.name)
        .order_by(func.count().desc(), Source.name)
        .limit(FACET_LIMIT)
    )
    result["source"] = [(f"{sid}:{name}", count) for sid, name, count in rows]
    return result


@dataclass(frozen=True)
class Snippet:
    """A window of masked text around the first hit: before, hit, after."""

    before: str
    hit: str
    after: str

    @property
    def plain(self) -> str:
        return self.before + self.hit + self.after

    @property
    def html(self) -> Markup:
        """Escape each part, then mark the hit."""
        return (
            escape(self.before) + Markup("<mark>") + escape(self.hit) + Markup("</mark>") + escape(self.after)
        )


def snippet(text: str, needle: str, *, width: int = 60) -> Snippet:
    """Cut a window of the masked text around the needle's first occurrence (or its start)."""
    masked = " ".join(mask(text).split()) if text else ""
    match = re.search(re.escape(needle), masked, flags=re.IGNORECASE) if needle else None
    if match is None:
        cut = masked[: width * 2]
        return Snippet(cut + ("…" if len(masked) > len(cut) else ""), "", "")
    start = max(0, match.start() - width)
    end = min(len(masked), match.end() + width)
    before = ("…" if start else "") + masked[start : match.start()]
    after = masked[match.end() : end] + ("…" if end < len(masked) else "")
    return Snippet(before, match.group(), after)

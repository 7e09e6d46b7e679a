"""Find items by exact substring (FTS5 trigram on SQLite, pg_trgm + ILIKE on PostgreSQL) and filters."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select, table
from sqlalchemy.orm import Session, selectinload

from minsheng.items.fts import fold, gram_token
from minsheng.items.models import Item, item_department
from minsheng.sources.models import Source
from minsheng.text.pii import mask

# FTS5's trigram tokenizer indexes three-character windows: shorter queries cannot use it.
TRIGRAM = 3
BIGRAM = 2
MAX_QUERY = 200
FACET_LIMIT = 12
# A text search counts at most this many of its newest hits (see `newest_hits`), and its facets read this
# many of them: the UI shows "10,000+" and says the facets describe the newest 2,000.
HIT_CAP = 10_000
FACET_SAMPLE = 2_000
_FTS = table("item_fts")
_GRAM = table("item_gram")


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


def _index_hits(index: Any, query: str, newest: int | None) -> Select[Any]:
    hits = (
        select(literal_column("rowid"))
        .select_from(index)
        .where(literal_column(index.name).op("MATCH")(query))
    )
    # FTS5 walks its doclists in rowid order, so the newest hits come first and the rest are never read.
    return hits.order_by(literal_column("rowid").desc()).limit(newest) if newest else hits


def _sqlite_index(needle: str) -> tuple[Any, str]:
    """Return the SQLite index that answers a needle of two characters or more, and its MATCH query."""
    if len(needle) >= TRIGRAM:
        return _FTS, '"' + needle.replace('"', '""') + '"'
    return _GRAM, '"' + gram_token(fold(needle)) + '"'


def text_condition(dialect: str, needle: str, *, newest: int | None = None) -> ColumnElement[bool]:
    """Match items whose title or text contains the needle, ignoring ASCII case.

    With `newest`, an index-backed condition keeps only the index's newest hits (by id), which bounds the
    cost of a needle found in half the items; the caller must then treat its result as capped.
    """
    if dialect == "sqlite" and len(needle) >= TRIGRAM:
        return Item.id.in_(_index_hits(*_sqlite_index(needle), newest))
    # Short needles, and PostgreSQL (whose pg_trgm GIN indexes serve ILIKE), scan with a literal pattern.
    pattern = f"%{escape_like(needle)}%"
    scan = or_(Item.title.ilike(pattern, escape="\\"), Item.text.ilike(pattern, escape="\\"))
    if dialect == "sqlite" and len(needle) == BIGRAM:
        # The bigram index names the candidates; LIKE confirms each, so the index never has the last word.
        return and_(Item.id.in_(_index_hits(*_sqlite_index(needle), newest)), scan)
    return scan


def _is_text_only(spec: ItemFilter) -> bool:
    return bool(spec.needle) and spec == ItemFilter(q=spec.q)


def conditions(session: Session, spec: ItemFilter, *, newest: int | None = None) -> list[ColumnElement[bool]]:
    """Turn a filter into WHERE conditions on Item (`newest`: see `text_condition`)."""
    found: list[ColumnElement[bool]] = []
    if spec.needle:
        found.append(text_condition(session.get_bind().dialect.name, spec.needle, newest=newest))
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
    if spec.needle:
        return select(Item).where(Item.id.in_(newest_hits(session, spec=spec)))
    return select(Item).where(*conditions(session, spec))


def newest_hits(session: Session, *, spec: ItemFilter, cap: int | None = None) -> Select[Any]:
    """Select the ids of the newest `cap` matching items (by id, which follows the order they came in).

    A text search that matches hundreds of thousands of items is answered from its newest `cap`: the page,
    the total (shown as "10,000+") and the facets all read this bounded set. With no other filter the text
    index itself stops after `cap` hits; with filters, the filters are applied first.
    """
    cap = cap or HIT_CAP
    where = conditions(session, spec, newest=cap if _is_text_only(spec) else None)
    return select(Item.id).where(*where).order_by(Item.id.desc()).limit(cap)


def count_items(session: Session, *, spec: ItemFilter) -> int:
    """Count the matching items; a text search counts at most `HIT_CAP` (see `newest_hits`).

    A plain text search on SQLite is counted in its index alone, without reading an item.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and _is_text_only(spec) and len(spec.needle) >= BIGRAM:
        hits = _index_hits(*_sqlite_index(spec.needle), HIT_CAP)
        return session.scalar(select(func.count()).select_from(hits.subquery())) or 0
    return session.scalar(select(func.count()).select_from(_filtered(session, spec).subquery())) or 0


def search_items(session: Session, *, spec: ItemFilter, limit: int = 50, offset: int = 0) -> list[Item]:
    """Return matching items, newest first, with their sources loaded.

    Browsing orders by publication time. A text search orders by arrival (id), the order the text index
    keeps: a page then costs the index's first `offset + limit` hits, however many items match in all.
    """
    if spec.needle:
        newest = offset + limit if _is_text_only(spec) else None
        statement = select(Item).where(*conditions(session, spec, newest=newest)).order_by(Item.id.desc())
    else:
        statement = _filtered(session, spec).order_by(Item.published_at.desc(), Item.id.desc())
    statement = statement.options(selectinload(Item.source)).limit(limit).offset(offset)
    return list(session.scalars(statement))


def facets(session: Session, *, spec: ItemFilter) -> dict[str, list[tuple[str, int]]]:
    """Count the newest `FACET_SAMPLE` matching items by source, category, sentiment and region.

    One pass reads the four columns of the bounded set; four GROUP BYs over a million rows would not do.
    """
    rows = session.execute(
        select(Item.category, Item.sentiment, Item.region_code, Item.source_id).where(
            Item.id.in_(newest_hits(session, spec=spec, cap=FACET_SAMPLE))
        )
    ).all()
    result: dict[str, list[tuple[str, int]]] = {}
    for index, name in enumerate(("category", "sentiment", "region_code")):
        counted = Counter(row[index] for row in rows if row[index] is not None)
        result[name] = [(str(value), n) for value, n in _top(counted)]
    counted = Counter(row[3] for row in rows)
    names = dict(session.execute(select(Source.id, Source.name).where(Source.id.in_(list(counted)))).all())
    by_name = Counter({f"{sid}:{names[sid]}": n for sid, n in counted.items() if sid in names})
    result["source"] = _top(by_name, key=lambda value: value.split(":", 1)[1])
    return result


def _top(counted: Counter[Any], key: Any = str) -> list[tuple[Any, int]]:
    return sorted(counted.items(), key=lambda pair: (-pair[1], key(pair[0])))[:FACET_LIMIT]


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

"""Items collected from sources, with what the text engine found in them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, attributes, mapped_column, relationship

from minsheng.core.database import Base
from minsheng.items import fts
from minsheng.sources.models import Source

# Which departments an item names, as rows so that filtering by department is portable SQL.
item_department = Table(
    "item_department",
    Base.metadata,
    Column("item_id", Integer, ForeignKey("item.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", Integer, ForeignKey("department.id", ondelete="CASCADE"), primary_key=True),
)


class Item(Base):
    """One public post or article; unique by canonical URL, and by (source, external id) when pushed."""

    __tablename__ = "item"
    __table_args__ = (UniqueConstraint("source_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(512))
    url: Mapped[str | None] = mapped_column(String(2048))
    canonical_url: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of the canonical URL: a fixed-size key indexes any URL length on both databases.
    url_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(128))
    published_at: Mapped[datetime] = mapped_column(index=True)
    fetched_at: Mapped[datetime] = mapped_column(index=True)
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    sentiment: Mapped[str | None] = mapped_column(String(16), index=True)
    emotion: Mapped[str | None] = mapped_column(String(16))
    rumor_score: Mapped[float | None] = mapped_column()
    harm_signals: Mapped[list[str]] = mapped_column(JSON, default=list)
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    places: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    departments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    analysed_at: Mapped[datetime | None] = mapped_column()
    # The event the item was clustered into, and its near-duplicate group (the id of the group's first item).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"), index=True)
    dup_group_id: Mapped[int | None] = mapped_column(Integer, index=True)

    source: Mapped[Source] = relationship(lazy="raise")


event.listen(Item.__table__, "after_create", fts.after_create)
event.listen(Item.__table__, "before_drop", fts.before_drop)


# The bigram index follows items written through the unit of work; the items service writes its own batches.
@event.listens_for(Item, "after_insert")
def _index_inserted(mapper: Any, connection: Any, target: Item) -> None:
    fts.index_grams(connection, [(target.id, target.title, target.text)])


@event.listens_for(Item, "after_update")
def _index_updated(mapper: Any, connection: Any, target: Item) -> None:
    title = attributes.get_history(target, "title")
    text = attributes.get_history(target, "text")
    if not (title.has_changes() or text.has_changes()):
        return
    if (title.deleted or not title.has_changes()) and (text.deleted or not text.has_changes()):
        old_title = title.deleted[0] if title.deleted else target.title
        old_text = text.deleted[0] if text.deleted else target.text
        fts.unindex_grams(connection, [(target.id, old_title, old_text)])
    fts.index_grams(connection, [(target.id, target.title, target.text)])


@event.listens_for(Item, "after_delete")
def _index_deleted(mapper: Any, connection: Any, target: Item) -> None:
    loaded = target.__dict__
    if "title" in loaded and "text" in loaded:
        fts.unindex_grams(connection, [(target.id, loaded["title"], loaded["text"])])

"""Searches people keep; those with an alert level raise an alert when new items match."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minsheng.audit.service import record
from minsheng.auth.models import User
from minsheng.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from minsheng.items.models import Item
from minsheng.items.search import MAX_QUERY, ItemFilter, conditions
from minsheng.warning.alerts import Trigger
from minsheng.warning.models import SavedSearch

# Filters a saved search keeps (dates are left out: a saved search watches what comes next).
FILTER_FIELDS = ("source", "tier", "category", "sentiment", "region", "department")
SEARCH_COOLDOWN = timedelta(hours=1)


class UnknownSavedSearch(NotFound):
    default_message = "找不到该订阅"


class SavedSearchIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=128)
    query: str = Field(default="", max_length=MAX_QUERY)
    filters: dict[str, str] = Field(default_factory=dict)
    alert_level: int | None = Field(default=None, ge=1, le=4)

    @field_validator("name", "query")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("filters")
    @classmethod
    def _known(cls, value: dict[str, str]) -> dict[str, str]:
        return {k: str(v).strip()[:64] for k, v in value.items() if k in FILTER_FIELDS and str(v).strip()}


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def spec_for(search: SavedSearch) -> ItemFilter:
    """Turn a saved search into the item filter the stream page would use."""
    f: dict[str, Any] = search.filters or {}
    return ItemFilter(
        q=search.query,
        source_id=_number(f.get("source")),
        tier=f.get("tier") or None,
        category=f.get("category") or None,
        sentiment=f.get("sentiment") or None,
        region_code=f.get("region") or None,
        department_id=_number(f.get("department")),
    )


def list_saved_searches(session: Session, *, owner: User) -> list[SavedSearch]:
    statement = select(SavedSearch).where(SavedSearch.owner_id == owner.id).order_by(SavedSearch.name)
    return list(session.scalars(statement))


def _own(session: Session, search_id: int, owner: User) -> SavedSearch:
    search = session.get(SavedSearch, search_id)
    if search is None:
        raise UnknownSavedSearch()
    if search.owner_id != owner.id:
        raise PermissionDenied("只能管理自己的订阅")
    return search


def create_saved_search(session: Session, *, owner: User, data: SavedSearchIn) -> SavedSearch:
    """Keep a search; it watches items stored from now on, not the ones already there."""
    if not data.query and not data.filters:
        raise ValidationFailed("请先输入搜索词或选择筛选条件再保存")
    clash = session.scalar(
        select(SavedSearch.id).where(SavedSearch.owner_id == owner.id, SavedSearch.name == data.name)
    )
    if clash is not None:
        raise Conflict(f"已有名为“{data.name}”的订阅")
    search = SavedSearch(
        owner_id=owner.id,
        name=data.name,
        query=data.query,
        filters=data.filters,
        alert_level=data.alert_level,
        last_item_id=session.scalar(select(func.max(Item.id))) or 0,
    )
    session.add(search)
    session.flush()
    record(
        session,
        action="saved_search.create",
        entity_type="saved_search",
        entity_id=search.id,
        summary=f"保存订阅“{search.name}”",
        after={"query": search.query, "filters": search.filters, "alert_level": search.alert_level},
    )
    return search


def delete_saved_search(session: Session, *, owner: User, search_id: int) -> None:
    search = _own(session, search_id, owner)
    record(
        session,
        action="saved_search.delete",
        entity_type="saved_search",
        entity_id=search.id,
        summary=f"删除订阅“{search.name}”",
    )
    session.delete(search)


def check_saved_searches(session: Session, *, now: datetime) -> list[Trigger]:
    """Look for items stored since each alerting search last looked; one trigger per search with news."""
    triggers = []
    searches = session.scalars(select(SavedSearch).where(SavedSearch.alert_level.is_not(None)))
    for search in searches:
        where = [*conditions(session, spec_for(search)), Item.id > search.last_item_id]
        count, newest = session.execute(select(func.count(Item.id), func.max(Item.id)).where(*where)).one()
        search.checked_at = now
        if not count:
            continue
        search.last_item_id = int(newest)
        triggers.append(
            Trigger(
                subject_key=f"search:{search.id}",
                level=int(search.alert_level or 4),
                title=f"订阅“{search.name}”有新信息",
                summary=f"自上次检查以来有 {count} 条新信息符合订阅条件。",
                details={"new_items": int(count), "query": search.query, "newest_item_id": int(newest)},
                saved_search_id=search.id,
                cooldown=SEARCH_COOLDOWN,
            )
        )
    return triggers

"""Monitoring pages: the item stream with search, filters and facets, and one item's detail."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import HTMLResponse

from minsheng.auth.models import User
from minsheng.core.timeutil import local_zone
from minsheng.events.service import item_event
from minsheng.items.search import (
    FACET_SAMPLE,
    HIT_CAP,
    ItemFilter,
    count_items,
    facets,
    search_items,
    snippet,
)
from minsheng.items.service import get_item
from minsheng.sources.models import TIER_LABELS
from minsheng.sources.service import list_sources
from minsheng.web.deps import AppSettings, DbSession, render, require_role

router = APIRouter(prefix="/monitor")
Reader = Annotated[User, Depends(require_role("admin", "analyst", "leader", "supervisor"))]
PAGE_SIZE = 30
SENTIMENT_LABELS = {"negative": "负面", "neutral": "中性", "positive": "正面"}
FILTER_KEYS = ("q", "since", "until", "source", "tier", "category", "sentiment", "region", "department")


def _day(value: str, zone: str, *, end: bool = False) -> datetime | None:
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    moment = datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=local_zone(zone))
    return moment


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


@router.get("/items", response_class=HTMLResponse)
def items_page(
    request: Request, db: DbSession, settings: AppSettings, user: Reader, page: int = 1
) -> HTMLResponse:
    """Show the newest items, or those matching the search and filters, with facet counts."""
    args = {key: request.query_params.get(key, "").strip() for key in FILTER_KEYS}
    spec = ItemFilter(
        q=args["q"],
        since=_day(args["since"], settings.timezone),
        until=_day(args["until"], settings.timezone, end=True),
        source_id=_int(args["source"]),
        tier=args["tier"] or None,
        category=args["category"] or None,
        sentiment=args["sentiment"] or None,
        region_code=args["region"] or None,
        department_id=_int(args["department"]),
    )
    page = max(1, page)
    total = count_items(db, spec=spec)
    found = search_items(db, spec=spec, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    rows = [(item, snippet(item.text, spec.needle).html) for item in found]
    return render(
        request,
        "items/items.html",
        {
            "args": args,
            "rows": rows,
            "total": total,
            # A text search reads its newest HIT_CAP hits only; say so rather than count them all.
            "total_label": f"{HIT_CAP:,}+" if spec.needle and total >= HIT_CAP else f"{total:,}",
            "facet_sample": FACET_SAMPLE,
            "facet_sample_label": f"{FACET_SAMPLE:,}",
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "base_query": urlencode({k: v for k, v in args.items() if v}),
            "facets": facets(db, spec=spec),
            "sources": list_sources(db),
            "tiers": {t.value: label for t, label in TIER_LABELS.items()},
            "sentiments": SENTIMENT_LABELS,
        },
    )


@router.get("/items/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, db: DbSession, user: Reader, item_id: int) -> HTMLResponse:
    """Show one item with its analysis; personal data in the text is masked."""
    item = get_item(db, item_id=item_id)
    event, copies = item_event(db, item=item)
    context = {"item": item, "sentiments": SENTIMENT_LABELS, "event": event, "group_size": copies}
    return render(request, "items/item.html", context)

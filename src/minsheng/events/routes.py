"""Event pages: the hot list, one event with its timeline and items, merge, split, assessment, report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from minsheng.audit.service import record
from minsheng.auth.models import User
from minsheng.core.errors import MinshengError, ValidationFailed
from minsheng.core.settings import Settings
from minsheng.core.timeutil import local_zone, utcnow
from minsheng.events import service
from minsheng.events.config import ClusterConfig
from minsheng.events.figures import hourly_counts
from minsheng.events.models import Event, EventStatus
from minsheng.events.report import EventReport, event_docx
from minsheng.events.statistics import (
    SENTIMENT_LABELS,
    event_growth,
    hot_chart,
    sentiment_shares,
    sparkline,
    timeline_chart,
    top_sources,
    volume_series,
)
from minsheng.web.deps import AppSettings, DbSession, is_htmx, render, require_role

router = APIRouter(prefix="/monitor")
Reader = Annotated[User, Depends(require_role("admin", "analyst", "leader", "supervisor"))]
Analyst = Annotated[User, Depends(require_role("admin", "analyst"))]
PAGE_SIZE = 30
ITEMS_PAGE_SIZE = 20
HOT_CHART_EVENTS = 5
FILTER_KEYS = ("since", "until", "category", "region", "status")
STATUS_CHOICES = tuple(service.STATUS_LABELS)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Other domains add what the event page shows about an event (the warning engine its alerts, as
# `event_alerts`); each provider returns extra template context for the event.
EventContext = Callable[[Session, Event], dict[str, Any]]
_event_context: list[EventContext] = []


def register_event_context(provider: EventContext) -> EventContext:
    """Add a provider of extra context for the event page; usable as a decorator."""
    if provider not in _event_context:
        _event_context.append(provider)
    return provider


def _day(value: str, zone: str, *, end: bool = False) -> datetime | None:
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=local_zone(zone))


@router.get("/events", response_class=HTMLResponse)
def events_page(
    request: Request, db: DbSession, settings: AppSettings, user: Reader, page: int = 1
) -> HTMLResponse:
    """Show events hottest first, with their volume, growth, negative share and places."""
    args = {key: request.query_params.get(key, "").strip() for key in FILTER_KEYS}
    status = args["status"] if args["status"] in {*STATUS_CHOICES, "all"} else EventStatus.active.value
    args["status"] = status
    spec = service.EventFilter(
        since=_day(args["since"], settings.timezone),
        until=_day(args["until"], settings.timezone, end=True),
        status=None if status == "all" else status,
        category=args["category"] or None,
        region_code=args["region"] or None,
    )
    page = max(1, page)
    total = service.count_events(db, spec=spec)
    events = service.list_events(db, spec=spec, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    now = utcnow()
    rows = [
        {
            "event": event,
            "growth": event_growth(event, now=now),
            "negative": event.negative_count / event.item_count if event.item_count else 0.0,
            "spark": sparkline(hourly_counts(event, now=now)),
        }
        for event in events
    ]
    chart = hot_chart(events[:HOT_CHART_EVENTS], now=now, timezone=settings.timezone, locale=_locale(request))
    return render(
        request,
        "events/list.html",
        {
            "args": args,
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "base_query": urlencode({k: v for k, v in args.items() if v}),
            "categories": service.event_categories(db),
            "statuses": service.STATUS_LABELS,
            "levels": service.LEVELS,
            "hot": chart if events and any(any(s["data"]) for s in chart["series"]) else None,
        },
    )


def _locale(request: Request) -> str:
    return request.state.ctx.locale


def _detail_context(
    request: Request, db: DbSession, settings: Settings, event: Event, page: int = 1, **extra: Any
) -> dict[str, Any]:
    series = volume_series(db, event=event, timezone=settings.timezone)
    total = event.item_count
    context: dict[str, Any] = {
        "event": event,
        "series": series,
        "timeline": timeline_chart(series, locale=_locale(request)) if series.labels else None,
        "mix": sentiment_shares(event),
        "sentiments": SENTIMENT_LABELS,
        "growth": event_growth(event, now=utcnow()),
        "sources": top_sources(db, event_id=event.id),
        "representatives": service.representative_items(db, event=event),
        "assessor": service.assessor_name(db, event=event),
        "levels": service.LEVELS,
        "statuses": service.STATUS_LABELS,
        "can_write": request.state.ctx.user.has_role("admin", "analyst"),
        "merged_into": db.get(Event, event.merged_into_id) if event.merged_into_id else None,
        "form": {},
    }
    context.update(_items_context(db, event, page, total))
    for provider in _event_context:
        context.update(provider(db, event))
    context.update(extra)
    return context


def _items_context(db: DbSession, event: Event, page: int, total: int) -> dict[str, Any]:
    pages = max(1, -(-total // ITEMS_PAGE_SIZE))
    page = min(max(1, page), pages)
    items = service.event_items(
        db, event_id=event.id, limit=ITEMS_PAGE_SIZE, offset=(page - 1) * ITEMS_PAGE_SIZE
    )
    return {"items": items, "items_page": page, "items_pages": pages}


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(
    request: Request, db: DbSession, settings: AppSettings, user: Reader, event_id: int, page: int = 1
) -> HTMLResponse:
    """Show one event: figures, timeline, keywords, places, representative and all items, analyst forms."""
    event = service.get_event(db, event_id=event_id)
    return render(request, "events/detail.html", _detail_context(request, db, settings, event, page))


@router.get("/events/{event_id}/items", response_class=HTMLResponse)
def event_items_fragment(
    request: Request, db: DbSession, user: Reader, event_id: int, page: int = 1
) -> HTMLResponse:
    """The event's items, one page (for HTMX paging; a plain request gets the whole event page)."""
    event = service.get_event(db, event_id=event_id)
    if not is_htmx(request):
        return RedirectResponse(f"/monitor/events/{event_id}?page={page}#items", status_code=303)
    context = {
        "event": event,
        "can_write": user.has_role("admin", "analyst"),
        "sentiments": SENTIMENT_LABELS,
        **_items_context(db, event, page, event.item_count),
    }
    return render(request, "events/_items.html", context)


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {key: form.getlist(key) if key == "item_id" else str(form.get(key, "")).strip() for key in form}


def _failed(
    request: Request, db: DbSession, settings: Settings, event_id: int, error: MinshengError, form: dict
) -> HTMLResponse:
    # Every service checks its input before writing, so nothing of the failed change is in the session.
    event = service.get_event(db, event_id=event_id)
    context = _detail_context(request, db, settings, event, error=error.message, form=form)
    return render(request, "events/detail.html", context, status_code=error.status_code)


@router.post("/events/{event_id}/merge")
async def merge(
    request: Request, db: DbSession, settings: AppSettings, user: Analyst, event_id: int
) -> Response:
    """Fold another event (by number) into this one."""
    form = await _form(request)
    raw = str(form.get("source_id", "")).lstrip("#")
    try:
        if not raw.isdigit():
            raise ValidationFailed("请填写要并入的事件编号", field="source_id")
        service.merge_events(
            db,
            target_id=event_id,
            source_id=int(raw),
            now=utcnow(),
            config=ClusterConfig.from_settings(settings),
        )
    except MinshengError as error:
        return _failed(request, db, settings, event_id, error, form)
    return RedirectResponse(f"/monitor/events/{event_id}?merged={raw}", status_code=303)


@router.post("/events/{event_id}/split")
async def split(
    request: Request, db: DbSession, settings: AppSettings, user: Analyst, event_id: int
) -> Response:
    """Move the ticked items (with their copies) into a new event."""
    form = await _form(request)
    ids = [int(value) for value in form.get("item_id", []) if str(value).isdigit()]
    try:
        new = service.split_event(
            db, event_id=event_id, item_ids=ids, now=utcnow(), config=ClusterConfig.from_settings(settings)
        )
    except MinshengError as error:
        return _failed(request, db, settings, event_id, error, form)
    return RedirectResponse(f"/monitor/events/{new.id}?split_from={event_id}", status_code=303)


@router.post("/events/{event_id}/assessment")
async def assess(
    request: Request, db: DbSession, settings: AppSettings, user: Analyst, event_id: int
) -> Response:
    """Save the analyst's assessment (研判) and level."""
    form = await _form(request)
    level = str(form.get("level", ""))
    try:
        service.assess_event(
            db,
            event_id=event_id,
            assessment=str(form.get("assessment", "")),
            level=int(level) if level.isdigit() else None,
            user=user,
            now=utcnow(),
        )
    except MinshengError as error:
        return _failed(request, db, settings, event_id, error, form)
    return RedirectResponse(f"/monitor/events/{event_id}?assessed=1#assessment", status_code=303)


@router.get("/events/{event_id}/report.docx")
def report(request: Request, db: DbSession, settings: AppSettings, user: Reader, event_id: int) -> Response:
    """Download the upward report (上报) of the event as a Word document; the export is audited."""
    event = service.get_event(db, event_id=event_id)
    now = utcnow()
    content = event_docx(
        EventReport(
            event=event,
            series=volume_series(db, event=event, timezone=settings.timezone),
            representatives=service.representative_items(db, event=event),
            sources=top_sources(db, event_id=event.id),
            office=settings.office_name,
            assessor=service.assessor_name(db, event=event),
            generated_at=now,
            timezone=settings.timezone,
        )
    )
    record(
        db,
        action="export",
        entity_type="event",
        entity_id=event.id,
        summary=f"导出事件 #{event.id} 的上报材料",
    )
    filename = f"舆情上报-{event.id}-{event.title[:40]}.docx"
    return Response(
        content,
        media_type=DOCX,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )

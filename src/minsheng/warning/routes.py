"""The alert inbox, one alert's page with its actions, current bursts, and saved searches."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from minsheng.auth.models import User
from minsheng.cases.forms import duplicates_of, engine_of, read_form
from minsheng.channels.models import Channel, NotificationDelivery
from minsheng.core.errors import MinshengError
from minsheng.core.timeutil import utcnow
from minsheng.events.models import Event
from minsheng.events.routes import register_event_context
from minsheng.warning import alerts as alert_service
from minsheng.warning import views
from minsheng.warning.bursts import recent_bursts
from minsheng.warning.casework import open_case
from minsheng.warning.conditions import BURST_LABELS
from minsheng.warning.models import LEVEL_NAMES
from minsheng.warning.saved_searches import (
    FILTER_FIELDS,
    SavedSearchIn,
    create_saved_search,
    delete_saved_search,
    list_saved_searches,
)
from minsheng.web.deps import AppSettings, DbSession, render, require_role

router = APIRouter(prefix="/monitor")
Reader = Annotated[User, Depends(require_role("admin", "analyst", "leader", "supervisor"))]
Actor = Annotated[User, Depends(require_role("admin", "analyst", "supervisor"))]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
PAGE_SIZE = 30
CHART_DAYS = 14


@register_event_context
def _event_alerts(session: Session, event: Event) -> dict[str, Any]:
    """List the event's alerts on its page."""
    return {"event_alerts": views.alerts_for_event(session, event.id), "alert_levels": LEVEL_NAMES}


def _filter(request: Request) -> tuple[views.InboxFilter, dict[str, str]]:
    args = {k: request.query_params.get(k, "").strip() for k in ("status", "level", "delivery")}
    level = int(args["level"]) if args["level"] in ("1", "2", "3", "4") else None
    status = args["status"] if args["status"] in views.STATUS_FILTERS else "open"
    return views.InboxFilter(status=status, level=level, delivery=args["delivery"] or None), args


@router.get("/alerts", response_class=HTMLResponse)
def inbox(
    request: Request, db: DbSession, settings: AppSettings, user: Reader, page: int = 1
) -> HTMLResponse:
    """Alerts, most severe and newest first, with the bursts going on now and a chart of recent days."""
    spec, args = _filter(request)
    page = max(1, min(page, 10_000))
    total = views.count_alerts(db, spec)
    alerts = views.list_alerts(db, spec, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    locale = request.state.ctx.locale
    return render(
        request,
        "warning/inbox.html",
        {
            "alerts": alerts,
            "args": {**args, "status": spec.status},
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "base_query": urlencode({k: v for k, v in {**args, "status": spec.status}.items() if v}),
            "rules": views.rule_names(db, alerts),
            "open_counts": views.open_counts_by_level(db),
            "bursts": recent_bursts(db, since=utcnow() - timedelta(minutes=settings.burst_window_minutes)),
            "burst_labels": BURST_LABELS,
            "alerts_chart": views.daily_chart(db, days=CHART_DAYS, timezone=settings.timezone, locale=locale),
            "levels": LEVEL_NAMES,
            "statuses": views.STATUS_FILTERS,
            "status_labels": views.STATUS_LABELS,
            "deliveries": views.DELIVERY_LABELS,
            "may_act": user.has_role("admin", "analyst", "supervisor"),
        },
    )


def _alert_page(
    request: Request,
    db: DbSession,
    user: User,
    alert_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    alert = alert_service.get_alert(db, alert_id)
    event = db.get(Event, alert.event_id) if alert.event_id else None
    deliveries = db.execute(
        select(NotificationDelivery, Channel.name)
        .join(Channel, Channel.id == NotificationDelivery.channel_id)
        .where(NotificationDelivery.ref_type == "alert", NotificationDelivery.ref_id == alert.id)
        .order_by(NotificationDelivery.id.desc())
        .limit(50)
    ).all()
    return render(
        request,
        "warning/alert.html",
        {
            "alert": alert,
            "event": event,
            "rule_name": views.rule_names(db, [alert]).get(alert.rule_id or 0) or alert.details.get("rule"),
            "acknowledged_by": views.user_names(db, [alert]).get(alert.acknowledged_by_id or 0),
            "deliveries": deliveries,
            "levels": LEVEL_NAMES,
            "status_labels": views.STATUS_LABELS,
            "deliveries_labels": views.DELIVERY_LABELS,
            "may_act": user.has_role("admin", "analyst", "supervisor"),
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, db: DbSession, user: Reader, alert_id: RowId) -> HTMLResponse:
    """One alert: why it fired, its event, who took it on, and where it was sent."""
    return _alert_page(request, db, user, alert_id)


def _back(alert_id: int) -> RedirectResponse:
    return RedirectResponse(f"/monitor/alerts/{alert_id}", status_code=303)


@router.post("/alerts/{alert_id}/acknowledge", response_class=HTMLResponse)
async def acknowledge(request: Request, db: DbSession, user: Actor, alert_id: RowId) -> Response:
    """Take the alert on (签收)."""
    form = await read_form(request)
    try:
        alert_service.acknowledge(db, alert_id=alert_id, user=user, note=form.get("note", ""))
    except MinshengError as exc:
        return _alert_page(request, db, user, alert_id, error=exc.message, status_code=exc.status_code)
    return _back(alert_id)


@router.post("/alerts/{alert_id}/close", response_class=HTMLResponse)
async def close(request: Request, db: DbSession, user: Actor, alert_id: RowId) -> Response:
    """Close the alert; its rule stays quiet about the subject for the cool-down."""
    form = await read_form(request)
    try:
        alert_service.close(db, alert_id=alert_id, user=user, note=form.get("note", ""))
    except MinshengError as exc:
        return _alert_page(request, db, user, alert_id, error=exc.message, status_code=exc.status_code)
    return _back(alert_id)


@router.post("/alerts/{alert_id}/case", response_class=HTMLResponse)
async def to_case(
    request: Request, db: DbSession, settings: AppSettings, user: Actor, alert_id: RowId
) -> Response:
    """Open a 舆情处置 case for the alert and go to it."""
    await read_form(request)
    try:
        case = open_case(
            db,
            alert_id=alert_id,
            user=user,
            settings=settings,
            engine=engine_of(request, db),
            duplicates=duplicates_of(request),
        )
    except MinshengError as exc:
        return _alert_page(request, db, user, alert_id, error=exc.message, status_code=exc.status_code)
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


def _searches_page(
    request: Request, db: DbSession, user: User, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    searches = list_saved_searches(db, owner=user)
    rows = [(s, urlencode({"q": s.query, **(s.filters or {})})) for s in searches]
    return render(
        request,
        "warning/searches.html",
        {"rows": rows, "levels": LEVEL_NAMES, "error": error},
        status_code=status_code,
    )


@router.get("/searches", response_class=HTMLResponse)
def searches(request: Request, db: DbSession, user: Reader) -> HTMLResponse:
    """The user's saved searches, each a link to its results."""
    return _searches_page(request, db, user)


@router.post("/searches", response_class=HTMLResponse)
async def save_search(request: Request, db: DbSession, user: Reader) -> Response:
    """Keep the current search of the item stream; with a level, new matches raise alerts."""
    form = await read_form(request)
    level = form.get("alert_level", "")
    try:
        data = SavedSearchIn(
            name=form.get("name", "") or form.get("q", ""),
            query=form.get("q", ""),
            filters={k: form.get(k, "") for k in FILTER_FIELDS},
            alert_level=int(level) if level in ("1", "2", "3", "4") else None,
        )
        create_saved_search(db, owner=user, data=data)
    except MinshengError as exc:
        return _searches_page(request, db, user, error=exc.message, status_code=exc.status_code)
    except ValueError as exc:
        return _searches_page(request, db, user, error=_first_error(exc), status_code=422)
    return RedirectResponse("/monitor/searches", status_code=303)


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            return "订阅名称不能为空" if found[0].get("loc") == ("name",) else str(found[0].get("msg"))
    return str(exc)


@router.post("/searches/{search_id}/delete")
async def remove_search(request: Request, db: DbSession, user: Reader, search_id: RowId) -> Response:
    await read_form(request)
    delete_saved_search(db, owner=user, search_id=search_id)
    return RedirectResponse("/monitor/searches", status_code=303)

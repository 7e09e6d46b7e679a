"""Home page, language switch, component patterns and health check."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from fastapi import APIRouter, Form
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from minsheng.cases.queries import view_counts
from minsheng.core.i18n import LOCALES
from minsheng.core.timeutil import utcnow
from minsheng.web.charts import activity_chart, roles_chart
from minsheng.web.deps import AppSettings, CurrentUser, DbSession, render
from minsheng.web.stats import home_counts

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DbSession, user: CurrentUser, settings: AppSettings) -> HTMLResponse:
    """Show the home page with live counts from the database."""
    counts = home_counts(db, since=utcnow() - timedelta(days=1))
    return render(
        request,
        "home.html",
        {
            "counts": counts,
            "case_counts": view_counts(db, user=user),
            "roles_chart": roles_chart(db, locale=request.state.ctx.locale),
            "activity_chart": activity_chart(
                db, days=14, timezone=settings.timezone, locale=request.state.ctx.locale
            ),
        },
    )


@router.post("/lang")
def set_language(request: Request, lang: str = Form(...), next: str = Form("/")) -> Response:
    """Remember the chosen interface language for this browser session."""
    if lang in LOCALES:
        request.session["lang"] = lang
    target = next if next.startswith("/") and not urlparse(next).netloc and not next.startswith("//") else "/"
    return RedirectResponse(target, status_code=303)


@router.get("/components", response_class=HTMLResponse)
def components(request: Request, user: CurrentUser) -> HTMLResponse:
    """Show the interface building blocks in one place."""
    sample_chart = {
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": ["周一", "周二", "周三", "周四", "周五"]},
        "yAxis": {"type": "value"},
        "series": [{"type": "line", "smooth": True, "data": [12, 20, 15, 28, 22]}],
    }
    return render(request, "components.html", {"sample_chart": sample_chart})


@router.get("/healthz")
def health(db: DbSession) -> JSONResponse:
    """Report that the app can reach its database."""
    db.execute(select(func.count()).select_from(select(1).subquery()))
    return JSONResponse({"status": "ok"})

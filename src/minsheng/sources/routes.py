"""The sources page: list with health badges, add a source, enable or disable one."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from minsheng.audit.service import record
from minsheng.auth.models import User
from minsheng.core.errors import MinshengError
from minsheng.core.timeutil import utcnow
from minsheng.sources import service
from minsheng.sources.crawl import CrawlState
from minsheng.sources.models import TIER_LABELS, SourceKind
from minsheng.sources.schemas import SourceCreate
from minsheng.web.deps import AppSettings, DbSession, render, require_role

router = APIRouter(prefix="/monitor")
Manager = Annotated[User, Depends(require_role("admin", "analyst"))]
FORM_FIELDS = (
    "name",
    "kind",
    "url",
    "tier",
    "interval_minutes",
    "encoding",
    "selector",
    "max_articles",
    "follow_offsite",
)


def _page(request: Request, db: DbSession, **extra: object) -> HTMLResponse:
    sources = service.list_sources(db)
    context: dict[str, object] = {
        "sources": sources,
        "health": {s.id: service.health_of(s) for s in sources},
        "recent": service.recent_counts(db, since=utcnow() - timedelta(hours=24)),
        "crawls": {s.id: CrawlState.load(s.crawl_state) for s in sources if s.is_page_source},
        "kinds": [k.value for k in SourceKind],
        "tiers": {t.value: label for t, label in TIER_LABELS.items()},
        "form": {},
    }
    context.update(extra)
    return render(request, "sources/sources.html", context, status_code=422 if "error" in extra else 200)


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, db: DbSession, user: Manager) -> HTMLResponse:
    """List sources with their health."""
    return _page(request, db)


@router.post("/sources", response_class=HTMLResponse)
async def add_source(request: Request, db: DbSession, settings: AppSettings, user: Manager) -> Response:
    """Add a source from the form."""
    form = {key: str(value).strip() for key, value in (await request.form()).items() if key in FORM_FIELDS}
    values: dict[str, object] = {key: value or None for key, value in form.items()}
    values["follow_offsite"] = bool(form.get("follow_offsite"))
    try:
        source = service.create_source(db, data=SourceCreate.model_validate(values), settings=settings)
    except ValidationError as error:
        message = str(error.errors()[0]["msg"]).removeprefix("Value error, ")
        return _page(request, db, form=form, error=message)
    except MinshengError as error:
        return _page(request, db, form=form, error=error.message)
    record(
        db, action="create", entity_type="source", entity_id=source.id, summary=f"添加信息源 {source.name}"
    )
    return RedirectResponse("/monitor/sources", status_code=303)


@router.post("/sources/{source_id}/toggle")
def toggle_source(db: DbSession, user: Manager, source_id: int) -> Response:
    """Enable a disabled source (due at once) or disable an enabled one."""
    source = service.get_source(db, source_id=source_id)
    service.set_enabled(db, source=source, enabled=not source.is_enabled, now=utcnow())
    verb = "启用" if source.is_enabled else "停用"
    record(
        db, action="update", entity_type="source", entity_id=source.id, summary=f"{verb}信息源 {source.name}"
    )
    return RedirectResponse("/monitor/sources", status_code=303)

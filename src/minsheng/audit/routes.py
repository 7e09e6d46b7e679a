"""The audit log viewer: filters, entry details and an on-demand chain check."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import HTMLResponse

from minsheng.audit.chain import verify_chain_in_transactions
from minsheng.audit.models import AuditEntry
from minsheng.audit.service import list_actions, list_entity_types, record_read, search_entries
from minsheng.auth.models import User
from minsheng.core.errors import NotFound, ValidationFailed
from minsheng.core.timeutil import local_zone
from minsheng.web.deps import AppSettings, DbSession, render, require_role

router = APIRouter(prefix="/audit")
Auditor = Annotated[User, Depends(require_role("admin", "supervisor", scope="admin"))]
PER_PAGE = 50


def _local_day(value: str, zone: str, *, end: bool) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as error:
        raise ValidationFailed("日期格式应为 YYYY-MM-DD") from error
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=local_zone(zone))


@router.get("", response_class=HTMLResponse)
def audit_page(
    request: Request,
    db: DbSession,
    user: Auditor,
    settings: AppSettings,
    actor: str = "",
    action: str = "",
    entity_type: str = "",
    entity_id: str = "",
    since: str = "",
    until: str = "",
    q: str = "",
    page: int = 1,
) -> HTMLResponse:
    """List audit entries, newest first, with filters."""
    actor_id = int(actor) if actor.isdigit() else None
    rows, total = search_entries(
        db,
        actor_id=actor_id,
        action=action or None,
        entity_type=entity_type or None,
        entity_id=entity_id or None,
        since=_local_day(since, settings.timezone, end=False),
        until=_local_day(until, settings.timezone, end=True),
        text=q or None,
        page=max(page, 1),
        per_page=PER_PAGE,
    )
    filters = {
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "since": since,
        "until": until,
        "q": q,
    }
    users = db.execute(select(User.id, User.username, User.display_name).order_by(User.username)).all()
    return render(
        request,
        "audit/list.html",
        {
            "rows": rows,
            "total": total,
            "page": max(page, 1),
            "pages": max(1, -(-total // PER_PAGE)),
            "filters": filters,
            "base_query": urlencode({k: v for k, v in filters.items() if v}),
            "actions": list_actions(db),
            "entity_types": list_entity_types(db),
            "users": users,
        },
    )


@router.get("/verify", response_class=HTMLResponse)
def verify_fragment(request: Request, db: DbSession, user: Auditor) -> HTMLResponse:
    """Check the whole hash chain and show the result."""
    # Short transactions per batch, so a long check never holds SQLite's write lock for long.
    result = verify_chain_in_transactions(request.app.state.session_factory)
    return render(request, "audit/_verify.html", {"result": result})


@router.get("/{entry_id}", response_class=HTMLResponse)
def entry_fragment(request: Request, db: DbSession, user: Auditor, entry_id: int) -> HTMLResponse:
    """Show one entry's before and after states; this may reveal personal data, so it is logged."""
    entry = db.get(AuditEntry, entry_id)
    if entry is None:
        raise NotFound("审计记录不存在")
    record_read(
        db,
        entity_type="audit_log",
        entity_id=entry.id,
        fields=["before", "after"],
        summary=f"查看审计记录 #{entry.id} 的变更内容",
    )
    pretty = {
        key: json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) if value else ""
        for key, value in (("before", entry.before), ("after", entry.after))
    }
    return render(request, "audit/_entry.html", {"entry": entry, "pretty": pretty})

"""JSON API for push sources: POST /api/v1/items stores a batch, idempotent by the sender's ids."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.requests import Request

from minsheng.auth.models import User
from minsheng.core.errors import ValidationFailed
from minsheng.core.timeutil import utcnow
from minsheng.events.clustering import cluster_stored
from minsheng.items.schemas import PushBatch, StoreReport
from minsheng.items.service import store_items
from minsheng.sources.models import SourceKind
from minsheng.sources.service import find_source
from minsheng.web.deps import DbSession, require_role

router = APIRouter(prefix="/api/v1", tags=["items"])
Pusher = Annotated[User, Depends(require_role("admin", "analyst", scope="write"))]


@router.post("/items", response_model=StoreReport)
def push_items(request: Request, db: DbSession, user: Pusher, body: PushBatch) -> StoreReport:
    """Store a batch for a push source; an item sent again (same id or URL) is not duplicated."""
    source = find_source(db, name=body.source)
    if source is None or source.kind != SourceKind.push:
        raise ValidationFailed(f"没有名为 {body.source} 的推送源，请先在信息源页面添加", field="source")
    if not source.is_enabled:
        raise ValidationFailed(f"推送源 {body.source} 已停用", field="source")
    engine = request.app.state.text_engines.get(db)
    now = utcnow()
    report = store_items(db, source=source, items=body.items, engine=engine, now=now)
    cluster_stored(db, item_ids=report.ids, now=now, settings=request.app.state.settings)
    source.last_success_at = utcnow()
    return report

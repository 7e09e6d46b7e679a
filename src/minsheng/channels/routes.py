"""Administration of notification channels and the delivery log (administrators only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from minsheng.audit.service import record
from minsheng.channels import configuration, service
from minsheng.channels.kinds import ChannelKind
from minsheng.channels.models import Channel, DeliveryStatus
from minsheng.channels.plugins import channel_kinds, get_kind
from minsheng.core.database import unit_of_work
from minsheng.core.errors import MinshengError, NotFound
from minsheng.core.timeutil import utcnow
from minsheng.web.deps import AdminUser, AppSettings, DbSession, render

router = APIRouter(prefix="/admin/channels")
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CONFIG_PREFIX = "cfg_"
CLEAR_PREFIX = "clear_"
PER_PAGE = 50
REF_TYPES = {"alert": "预警", "case": "工单", service.TEST_REF_TYPE: "测试消息", "digest": "预警汇总"}
STATUSES = {
    DeliveryStatus.pending.value: "待发送",
    DeliveryStatus.sent.value: "已发送",
    DeliveryStatus.failed.value: "发送失败",
}


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value.strip() for key, value in form.items() if isinstance(value, str)}


def _config_from(form: dict[str, str], kind: ChannelKind) -> dict[str, Any]:
    return {spec.name: form.get(CONFIG_PREFIX + spec.name, "") for spec in kind.fields}


def _cleared(form: dict[str, str], kind: ChannelKind) -> frozenset[str]:
    return frozenset(name for name in kind.secret_fields if form.get(CLEAR_PREFIX + name) == "1")


def _level(form: dict[str, str]) -> int:
    value = form.get("min_level", "4")
    return int(value) if value.isdigit() else 0


def _form_page(
    request: Request,
    *,
    kind: ChannelKind,
    channel: Channel | None,
    values: dict[str, Any],
    error: MinshengError | None = None,
) -> HTMLResponse:
    stored = channel.config if channel is not None else {}
    context = {
        "kind": kind,
        "channel": channel,
        # Secrets are never written back into the page, only whether one is stored.
        "values": {k: v for k, v in values.items() if k not in kind.secret_fields},
        "has_secret": {name: bool(stored.get(name)) for name in kind.secret_fields},
        "levels": configuration.MIN_LEVELS,
        "error": error.message if error else None,
        "error_field": error.field if error else None,
    }
    return render(request, "channels/form.html", context, status_code=error.status_code if error else 200)


@router.get("", response_class=HTMLResponse)
def channels_page(request: Request, db: DbSession, admin: AdminUser) -> HTMLResponse:
    """List channels with their latest delivery and the last day's counts."""
    summaries = configuration.summarise_channels(db, since=utcnow() - timedelta(hours=24))
    context = {
        "summaries": summaries,
        "kinds": channel_kinds(),
        "levels": configuration.MIN_LEVELS,
        "statuses": STATUSES,
        "notice": request.query_params.get("notice", ""),
    }
    return render(request, "channels/list.html", context)


@router.get("/deliveries", response_class=HTMLResponse)
def deliveries_page(
    request: Request,
    db: DbSession,
    admin: AdminUser,
    channel_id: str = "",
    status: str = "",
    ref_type: str = "",
    page: int = 1,
) -> HTMLResponse:
    """Show the delivery log, newest first, filtered by channel, status and reference type."""
    page = max(page, 1)
    rows, total = configuration.search_deliveries(
        db,
        channel_id=int(channel_id) if channel_id.isdigit() else None,
        status=status if status in STATUSES else None,
        ref_type=ref_type or None,
        page=page,
        per_page=PER_PAGE,
    )
    filters = {"channel_id": channel_id, "status": status, "ref_type": ref_type}
    context = {
        "rows": rows,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PER_PAGE)),
        "filters": filters,
        "base_query": urlencode({k: v for k, v in filters.items() if v}),
        "channels": configuration.list_channels(db),
        "ref_types": configuration.list_ref_types(db),
        "ref_labels": REF_TYPES,
        "statuses": STATUSES,
        "notice": request.query_params.get("notice", ""),
    }
    return render(request, "channels/deliveries.html", context)


@router.post("/deliveries/{delivery_id}/retry")
def retry(request: Request, admin: AdminUser, settings: AppSettings, delivery_id: RowId) -> Response:
    """Give a failed delivery one more attempt and make it now."""
    factory = request.app.state.session_factory
    with unit_of_work(factory) as session:
        delivery = service.retry_delivery(session, delivery_id)
        record(
            session,
            action="notify_delivery.retry",
            entity_type="notify_delivery",
            entity_id=delivery.id,
            summary=f"重新发送通知 #{delivery.id}",
        )
    # Sent outside the request's transaction: on SQLite an open one would hold the write lock meanwhile.
    result = service.deliver_due(factory, settings=settings, delivery_ids=[delivery_id])
    notice = "sent" if result.sent else "failed"
    return RedirectResponse(f"/admin/channels/deliveries?notice={notice}", status_code=303)


@router.get("/new", response_class=HTMLResponse)
def new_page(request: Request, admin: AdminUser, kind: str = "") -> HTMLResponse:
    """Show the form for a new channel of the chosen kind."""
    plugin = get_kind(kind)
    if plugin is None:
        raise NotFound("未知的渠道类型")
    defaults = {spec.name: spec.default for spec in plugin.fields if spec.default is not None}
    return _form_page(request, kind=plugin, channel=None, values={"min_level": 4, **defaults})


@router.post("/new", response_class=HTMLResponse)
async def create(request: Request, db: DbSession, admin: AdminUser) -> Response:
    """Add a channel from the form."""
    form = await _form(request)
    plugin = get_kind(form.get("kind", ""))
    if plugin is None:
        raise NotFound("未知的渠道类型")
    config = _config_from(form, plugin)
    try:
        configuration.create_channel(
            db,
            kind=plugin.name,
            name=form.get("name", ""),
            config=config,
            min_level=_level(form),
            is_enabled=form.get("is_enabled") == "1",
        )
    except MinshengError as error:
        values = {**config, "name": form.get("name", ""), "min_level": _level(form)}
        return _form_page(request, kind=plugin, channel=None, values=values, error=error)
    return RedirectResponse("/admin/channels?notice=saved", status_code=303)


@router.get("/{channel_id}", response_class=HTMLResponse)
def edit_page(request: Request, db: DbSession, admin: AdminUser, channel_id: RowId) -> HTMLResponse:
    """Show a channel's form; secrets appear only as "set"."""
    channel = configuration.get_channel(db, channel_id)
    plugin = get_kind(channel.kind)
    if plugin is None:
        raise NotFound(f"未安装渠道类型 {channel.kind}")
    values = {**(channel.config or {}), "name": channel.name, "min_level": channel.min_level}
    return _form_page(request, kind=plugin, channel=channel, values=values)


@router.post("/{channel_id}", response_class=HTMLResponse)
async def update(request: Request, db: DbSession, admin: AdminUser, channel_id: RowId) -> Response:
    """Save a channel's form; a blank secret keeps the stored one."""
    form = await _form(request)
    channel = configuration.get_channel(db, channel_id)
    plugin = get_kind(channel.kind)
    if plugin is None:
        raise NotFound(f"未安装渠道类型 {channel.kind}")
    config = _config_from(form, plugin)
    try:
        configuration.update_channel(
            db,
            channel_id=channel.id,
            name=form.get("name", ""),
            config=config,
            min_level=_level(form),
            cleared=_cleared(form, plugin),
        )
    except MinshengError as error:
        values = {**config, "name": form.get("name", ""), "min_level": _level(form)}
        return _form_page(request, kind=plugin, channel=channel, values=values, error=error)
    return RedirectResponse("/admin/channels?notice=saved", status_code=303)


@router.post("/{channel_id}/toggle")
def toggle(db: DbSession, admin: AdminUser, channel_id: RowId) -> Response:
    """Enable a disabled channel or disable an enabled one."""
    channel = configuration.get_channel(db, channel_id)
    configuration.set_enabled(db, channel_id=channel.id, is_enabled=not channel.is_enabled)
    return RedirectResponse("/admin/channels?notice=saved", status_code=303)


@router.post("/{channel_id}/delete")
def delete(db: DbSession, admin: AdminUser, channel_id: RowId) -> Response:
    """Delete a channel and its delivery log."""
    configuration.delete_channel(db, channel_id=channel_id)
    return RedirectResponse("/admin/channels?notice=deleted", status_code=303)


@router.post("/{channel_id}/test")
def send_test(request: Request, admin: AdminUser, settings: AppSettings, channel_id: RowId) -> Response:
    """Send a test message through the channel now and show the outcome in the delivery log."""
    factory = request.app.state.session_factory
    with unit_of_work(factory) as session:
        delivery = service.send_test(session, channel_id)
        record(
            session,
            action="notify_channel.test",
            entity_type="notify_channel",
            entity_id=channel_id,
            summary=f"发送测试消息 #{delivery.id}",
        )
        delivery_id = delivery.id
    # Sent outside the request's transaction: on SQLite an open one would hold the write lock meanwhile.
    result = service.deliver_due(factory, settings=settings, delivery_ids=[delivery_id])
    query = urlencode({"channel_id": channel_id, "notice": "sent" if result.sent else "failed"})
    return RedirectResponse(f"/admin/channels/deliveries?{query}", status_code=303)

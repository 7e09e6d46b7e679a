"""Administration of warning rules: list, create, edit, switch on and off, delete, install the defaults."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from minsheng.cases.forms import read_form
from minsheng.channels.models import Channel
from minsheng.core.errors import MinshengError
from minsheng.items.models import Item
from minsheng.org.models import Region
from minsheng.text.classify.rules import HARM_SIGNALS
from minsheng.warning import rules as rule_service
from minsheng.warning.conditions import BURST_LABELS, HARM_LABELS, describe
from minsheng.warning.models import LEVEL_NAMES, WarningRule
from minsheng.warning.views import DELIVERY_LABELS
from minsheng.web.deps import AdminUser, DbSession, render

router = APIRouter(prefix="/admin/warning")
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
FIELD_LABELS = {
    "name": "规则名称",
    "level": "预警等级",
    "cooldown_minutes": "冷却时间",
    "min_items": "最少条数",
    "min_recent_items": "窗口内最少条数",
    "min_growth": "环比增长倍数",
    "min_negative_share": "负面占比",
    "min_rumor_score": "谣言可能性",
    "window_minutes": "统计窗口",
    "region_codes": "地区代码",
    "harm_signals": "风险信号",
    "query": "包含文字",
}


def _list_page(
    request: Request, db: DbSession, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    rules = rule_service.list_rules(db)
    return render(
        request,
        "warning/rules.html",
        {
            "rules": rules,
            "conditions": {r.id: describe(rule_service.conditions_of(r)) for r in rules},
            "channels": {c.id: c.name for c in db.scalars(select(Channel))},
            "levels": LEVEL_NAMES,
            "deliveries": DELIVERY_LABELS,
            "error": error,
            "saved": request.query_params.get("saved") == "1",
        },
        status_code=status_code,
    )


def _form_page(
    request: Request,
    db: DbSession,
    *,
    rule: WarningRule | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    categories = sorted(
        c
        for c in db.scalars(select(Item.category).where(Item.category.is_not(None)).distinct().limit(200))
        if c
    )
    regions = list(db.execute(select(Region.code, Region.name).order_by(Region.code).limit(3000)))
    return render(
        request,
        "warning/rule_form.html",
        {
            "rule": rule,
            "values": values,
            "errors": errors or {},
            "levels": LEVEL_NAMES,
            "deliveries": DELIVERY_LABELS,
            "harm_labels": {s: HARM_LABELS.get(s, s) for s in HARM_SIGNALS},
            "burst_labels": BURST_LABELS,
            "channels": list(db.scalars(select(Channel).order_by(Channel.name))),
            "categories": categories,
            "regions": regions,
        },
        status_code=status_code,
    )


def _values(rule: WarningRule | None) -> dict[str, Any]:
    """Form values for a rule (or a new one), flat as the form posts them."""
    if rule is None:
        return {
            "level": 3,
            "is_enabled": True,
            "delivery": "immediate",
            "cooldown_minutes": 60,
            "channel_ids": [],
        }
    c = rule_service.conditions_of(rule).model_dump(mode="json")
    return {
        "name": rule.name,
        "description": rule.description,
        "level": rule.level,
        "is_enabled": rule.is_enabled,
        "delivery": rule.delivery,
        "cooldown_minutes": rule.cooldown_minutes,
        "channel_ids": rule.channel_ids,
        **c,
        "categories": "、".join(c["categories"]),
        "region_codes": " ".join(c["region_codes"]),
        "min_negative_share": None
        if c["min_negative_share"] is None
        else round(c["min_negative_share"] * 100),
        "min_rumor_score": None if c["min_rumor_score"] is None else round(c["min_rumor_score"] * 100),
    }


def _split(value: str) -> list[str]:
    for separator in "、，,;；\n":
        value = value.replace(separator, " ")
    return [part for part in value.split() if part]


def _optional_number(form: FormData, name: str, *, percent: bool = False) -> float | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        return float("nan")
    return number / 100 if percent else number


def _rule_in(form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read the posted form into RuleIn data, and the flat values to show again if it is refused."""
    flat = {key: form.get(key) for key in form}
    flat["harm_signals"] = form.getlist("harm_signals")
    flat["burst_kinds"] = form.getlist("burst_kinds")
    flat["channel_ids"] = [int(v) for v in form.getlist("channel_ids") if str(v).isdigit()]
    flat["is_enabled"] = form.get("is_enabled") == "1"
    for box in ("in_jurisdiction", "require_burst"):
        flat[box] = form.get(box) == "1"
    conditions: dict[str, Any] = {
        "scope": form.get("scope") or "event",
        "categories": _split(str(form.get("categories") or "")),
        "harm_signals": flat["harm_signals"],
        "in_jurisdiction": flat["in_jurisdiction"],
        "region_codes": _split(str(form.get("region_codes") or "")),
        "source_tier": "key" if form.get("source_tier") == "key" else None,
        "query": str(form.get("query") or ""),
        "require_burst": flat["require_burst"],
        "burst_kinds": flat["burst_kinds"],
        "min_growth": _optional_number(form, "min_growth"),
        "min_negative_share": _optional_number(form, "min_negative_share", percent=True),
        "min_rumor_score": _optional_number(form, "min_rumor_score", percent=True),
    }
    for name in ("min_items", "min_recent_items", "window_minutes"):
        raw = str(form.get(name) or "").strip()
        if raw:
            conditions[name] = raw
    data = {
        "name": form.get("name") or "",
        "description": form.get("description") or "",
        "level": form.get("level") or "",
        "is_enabled": flat["is_enabled"],
        "delivery": form.get("delivery") or "immediate",
        "channel_ids": flat["channel_ids"],
        "cooldown_minutes": form.get("cooldown_minutes") or "60",
        "conditions": conditions,
    }
    return data, flat


def _errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][-1] if error["loc"] and error["loc"][-1] != "conditions" else "form")
        if isinstance(error["loc"][-1], int) and len(error["loc"]) > 1:
            field = str(error["loc"][-2])
        label = FIELD_LABELS.get(field, field)
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        errors.setdefault(field, f"{label}：{message}")
    return errors


async def _save(request: Request, db: DbSession, admin: AdminUser, rule: WarningRule | None) -> Response:
    form = await request.form()
    data, flat = _rule_in(form)
    try:
        parsed = rule_service.RuleIn.model_validate(data)
        if rule is None:
            rule_service.create_rule(db, data=parsed, created_by_id=admin.id)
        else:
            rule_service.update_rule(db, rule_id=rule.id, data=parsed)
    except ValidationError as exc:
        return _form_page(request, db, rule=rule, values=flat, errors=_errors(exc), status_code=422)
    except MinshengError as exc:
        return _form_page(
            request, db, rule=rule, values=flat, errors={"form": exc.message}, status_code=exc.status_code
        )
    return RedirectResponse("/admin/warning/rules?saved=1", status_code=303)


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, db: DbSession, admin: AdminUser) -> HTMLResponse:
    """Every rule with its level, conditions in words, delivery and channels."""
    return _list_page(request, db)


@router.get("/rules/new", response_class=HTMLResponse)
def new_rule(request: Request, db: DbSession, admin: AdminUser) -> HTMLResponse:
    return _form_page(request, db, rule=None, values=_values(None))


@router.post("/rules/new", response_class=HTMLResponse)
async def create_rule(request: Request, db: DbSession, admin: AdminUser) -> Response:
    return await _save(request, db, admin, None)


@router.post("/rules/defaults")
async def install_defaults(request: Request, db: DbSession, admin: AdminUser) -> Response:
    """Add the starting rules that are missing."""
    await read_form(request)
    rule_service.install_default_rules(db)
    return RedirectResponse("/admin/warning/rules?saved=1", status_code=303)


@router.get("/rules/{rule_id}", response_class=HTMLResponse)
def edit_rule(request: Request, db: DbSession, admin: AdminUser, rule_id: RowId) -> HTMLResponse:
    rule = rule_service.get_rule(db, rule_id)
    return _form_page(request, db, rule=rule, values=_values(rule))


@router.post("/rules/{rule_id}", response_class=HTMLResponse)
async def update_rule(request: Request, db: DbSession, admin: AdminUser, rule_id: RowId) -> Response:
    return await _save(request, db, admin, rule_service.get_rule(db, rule_id))


@router.post("/rules/{rule_id}/toggle")
async def toggle_rule(request: Request, db: DbSession, admin: AdminUser, rule_id: RowId) -> Response:
    form = await read_form(request)
    rule_service.set_enabled(db, rule_id=rule_id, enabled=form.get("enabled") == "1")
    return RedirectResponse("/admin/warning/rules?saved=1", status_code=303)


@router.post("/rules/{rule_id}/delete")
async def delete_rule(request: Request, db: DbSession, admin: AdminUser, rule_id: RowId) -> Response:
    await read_form(request)
    rule_service.delete_rule(db, rule_id=rule_id)
    return RedirectResponse("/admin/warning/rules?saved=1", status_code=303)

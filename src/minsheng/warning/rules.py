"""Warning rules as the office edits them, and a starting set for a new deployment."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from minsheng.audit.service import record
from minsheng.core.errors import Conflict, NotFound
from minsheng.warning.conditions import RuleConditions
from minsheng.warning.models import Delivery, WarningRule


class UnknownRule(NotFound):
    default_message = "找不到该预警规则"


class RuleIn(BaseModel):
    """A rule as submitted by the admin form or the defaults below."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=2000)
    level: int = Field(ge=1, le=4)
    is_enabled: bool = True
    conditions: RuleConditions = Field(default_factory=RuleConditions)
    delivery: Delivery = Delivery.immediate
    channel_ids: list[int] = Field(default_factory=list, max_length=50)
    cooldown_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)

    @field_validator("name", "description")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


def list_rules(session: Session, *, enabled_only: bool = False) -> list[WarningRule]:
    statement = select(WarningRule).order_by(WarningRule.level, WarningRule.name)
    if enabled_only:
        statement = statement.where(WarningRule.is_enabled)
    return list(session.scalars(statement))


def get_rule(session: Session, rule_id: int) -> WarningRule:
    rule = session.get(WarningRule, rule_id)
    if rule is None:
        raise UnknownRule()
    return rule


def conditions_of(rule: WarningRule) -> RuleConditions:
    """Read a stored rule's conditions; a rule saved by an older version keeps the fields it still has."""
    known = set(RuleConditions.model_fields)
    return RuleConditions.model_validate({k: v for k, v in (rule.conditions or {}).items() if k in known})


def _snapshot(rule: WarningRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "level": rule.level,
        "is_enabled": rule.is_enabled,
        "conditions": rule.conditions,
        "delivery": rule.delivery,
        "channel_ids": rule.channel_ids,
        "cooldown_minutes": rule.cooldown_minutes,
    }


def _check_name(session: Session, name: str, *, rule_id: int | None = None) -> None:
    clash = session.scalar(select(WarningRule.id).where(WarningRule.name == name))
    if clash is not None and clash != rule_id:
        raise Conflict(f"已有名为“{name}”的规则")


def _apply(rule: WarningRule, data: RuleIn) -> None:
    rule.name = data.name
    rule.description = data.description
    rule.level = data.level
    rule.is_enabled = data.is_enabled
    rule.conditions = data.conditions.model_dump(mode="json")
    rule.delivery = data.delivery.value
    rule.channel_ids = sorted(set(data.channel_ids))
    rule.cooldown_minutes = data.cooldown_minutes


def create_rule(session: Session, *, data: RuleIn, created_by_id: int | None = None) -> WarningRule:
    _check_name(session, data.name)
    rule = WarningRule(created_by_id=created_by_id)
    _apply(rule, data)
    session.add(rule)
    session.flush()
    record(
        session,
        action="warning_rule.create",
        entity_type="warning_rule",
        entity_id=rule.id,
        summary=f"新建预警规则“{rule.name}”",
        after=_snapshot(rule),
    )
    return rule


def update_rule(session: Session, *, rule_id: int, data: RuleIn) -> WarningRule:
    rule = get_rule(session, rule_id)
    _check_name(session, data.name, rule_id=rule.id)
    before = _snapshot(rule)
    _apply(rule, data)
    record(
        session,
        action="warning_rule.update",
        entity_type="warning_rule",
        entity_id=rule.id,
        summary=f"修改预警规则“{rule.name}”",
        before=before,
        after=_snapshot(rule),
    )
    return rule


def set_enabled(session: Session, *, rule_id: int, enabled: bool) -> WarningRule:
    rule = get_rule(session, rule_id)
    rule.is_enabled = enabled
    record(
        session,
        action="warning_rule.enable" if enabled else "warning_rule.disable",
        entity_type="warning_rule",
        entity_id=rule.id,
        summary=f"{'启用' if enabled else '停用'}预警规则“{rule.name}”",
    )
    return rule


def delete_rule(session: Session, *, rule_id: int) -> None:
    """Delete a rule; its alerts stay, with the rule's name kept in their details."""
    rule = get_rule(session, rule_id)
    record(
        session,
        action="warning_rule.delete",
        entity_type="warning_rule",
        entity_id=rule.id,
        summary=f"删除预警规则“{rule.name}”",
        before=_snapshot(rule),
    )
    session.delete(rule)


# A starting set an office adapts: written for a city or county office, not tuned on any dataset.
DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {
        "name": "辖区重大突发舆情",
        "description": "辖区内事件突然放量、负面集中，可能是重大突发事件。",
        "level": 1,
        "conditions": {
            "in_jurisdiction": True,
            "require_burst": True,
            "min_items": 50,
            "min_negative_share": 0.6,
        },
    },
    {
        "name": "重点信息源报道的辖区突发",
        "description": "重点信息源参与报道、且正在突发的辖区事件。",
        "level": 2,
        "conditions": {"in_jurisdiction": True, "source_tier": "key", "require_burst": True, "min_items": 10},
    },
    {
        "name": "违法有害信息集中出现",
        "description": "诈骗、赌博、毒品、枪爆、暴恐类信息在一小时内集中出现。",
        "level": 2,
        "conditions": {
            "harm_signals": ["fraud", "gambling", "drugs", "weapons", "terrorism"],
            "min_items": 5,
            "min_recent_items": 5,
            "window_minutes": 60,
        },
    },
    {
        "name": "辖区负面舆情快速升温",
        "description": "辖区内负面为主的事件一小时内环比翻倍。",
        "level": 3,
        "conditions": {
            "in_jurisdiction": True,
            "min_items": 10,
            "min_growth": 2.0,
            "min_negative_share": 0.5,
            "window_minutes": 60,
        },
    },
    {
        "name": "疑似谣言传播",
        "description": "谣言可能性高的事件开始扩散。",
        "level": 3,
        "conditions": {"min_rumor_score": 0.8, "min_items": 5},
    },
    {
        "name": "个人信息泄露线索",
        "description": "出现疑似泄露、售卖个人信息的内容。",
        "level": 3,
        "conditions": {"harm_signals": ["leaked_personal_data"], "min_items": 2},
    },
    {
        "name": "关键词或地区突发",
        "description": "某个关键词或地区的信息量明显高于平时。",
        "level": 4,
        "delivery": "hourly",
        "conditions": {"scope": "burst", "burst_kinds": ["keyword", "place"], "min_items": 10},
    },
)


def install_default_rules(session: Session) -> list[WarningRule]:
    """Add the starting rules that are missing (by name); existing rules are left as the office set them."""
    existing = set(session.scalars(select(WarningRule.name)))
    return [
        create_rule(session, data=RuleIn.model_validate(spec))
        for spec in DEFAULT_RULES
        if spec["name"] not in existing
    ]

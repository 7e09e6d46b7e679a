"""What a warning rule asks of an event or a burst, and the reasons a match is given to people."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from minsheng.items.search import region_prefix
from minsheng.text.classify.rules import HARM_SIGNALS
from minsheng.warning.models import BurstKind

HARM_LABELS = {
    "fraud": "诈骗",
    "gambling": "赌博",
    "pornography": "色情",
    "drugs": "毒品",
    "weapons": "枪爆",
    "terrorism": "暴恐",
    "leaked_personal_data": "个人信息泄露",
}
BURST_LABELS = {
    BurstKind.event: "事件",
    BurstKind.keyword: "关键词",
    BurstKind.category: "分类",
    BurstKind.place: "地区",
}


class RuleConditions(BaseModel):
    """All the conditions of one rule; an empty condition holds for everything.

    `scope` says what the rule looks at: an event (its totals, growth, share of negative items, risk signals)
    or a burst just found (its kind, key and size).
    """

    model_config = ConfigDict(extra="forbid")

    scope: Literal["event", "burst"] = "event"
    categories: list[str] = Field(default_factory=list, max_length=50)
    harm_signals: list[str] = Field(default_factory=list)
    min_rumor_score: float | None = Field(default=None, ge=0, le=1)
    in_jurisdiction: bool = False
    region_codes: list[str] = Field(default_factory=list, max_length=50)
    source_tier: Literal["key"] | None = None
    query: str = Field(default="", max_length=100)
    min_items: int = Field(default=1, ge=1, le=1_000_000)
    min_recent_items: int = Field(default=0, ge=0, le=1_000_000)
    min_growth: float | None = Field(default=None, ge=0, le=1000)
    min_negative_share: float | None = Field(default=None, ge=0, le=1)
    window_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60)
    require_burst: bool = False
    burst_kinds: list[BurstKind] = Field(default_factory=list)

    @field_validator("harm_signals")
    @classmethod
    def _known_signals(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(HARM_SIGNALS))
        if unknown:
            raise ValueError(f"未知的风险信号：{', '.join(unknown)}")
        return value

    @field_validator("region_codes")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        codes = [code.strip() for code in value if code.strip()]
        if any(not code.isdigit() or len(code) > 12 for code in codes):
            raise ValueError("地区代码应为最多 12 位数字")
        return codes

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: list[str]) -> list[str]:
        return [c.strip()[:64] for c in value if c.strip()]

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        return value.strip()


@dataclass
class EventFacts:
    """What is known of one event at evaluation time, gathered in bulk before the rules run."""

    event_id: int
    title: str
    category: str | None
    region_codes: list[str]
    harm_signals: list[str]
    item_count: int
    negative_count: int
    key_tier_count: int
    recent_items: int = 0
    previous_items: int = 0
    max_rumor_score: float = 0.0
    bursting: bool = False
    matches_query: bool = True

    @property
    def negative_share(self) -> float:
        return self.negative_count / self.item_count if self.item_count else 0.0

    @property
    def growth(self) -> float:
        """Items in the latest window over the one before (a new event counts its first window as growth)."""
        return self.recent_items / max(self.previous_items, 1)


@dataclass
class Verdict:
    """Whether a rule holds, and in words why, for the alert's reader."""

    holds: bool
    reasons: list[str] = field(default_factory=list)


def _in_regions(codes: list[str], wanted: list[str]) -> bool:
    prefixes = [region_prefix(code) for code in wanted]
    return any(code.startswith(prefix) for code in codes for prefix in prefixes)


def check_event(conditions: RuleConditions, facts: EventFacts, *, jurisdiction: str) -> Verdict:
    """Check every condition on an event; stop at the first that fails."""
    checks: list[tuple[bool, str]] = []
    c = conditions
    if c.categories:
        checks.append((facts.category in c.categories, f"分类为{facts.category}"))
    if c.harm_signals:
        hit = [s for s in c.harm_signals if s in facts.harm_signals]
        checks.append((bool(hit), "风险信号：" + "、".join(HARM_LABELS.get(s, s) for s in hit)))
    if c.min_rumor_score is not None:
        checks.append((facts.max_rumor_score >= c.min_rumor_score, f"谣言可能性 {facts.max_rumor_score:.0%}"))
    if c.in_jurisdiction:
        checks.append((_in_regions(facts.region_codes, [jurisdiction]), "发生在辖区内"))
    if c.region_codes:
        checks.append((_in_regions(facts.region_codes, c.region_codes), "涉及指定地区"))
    if c.source_tier == "key":
        checks.append((facts.key_tier_count > 0, f"重点信息源 {facts.key_tier_count} 条"))
    if c.query:
        checks.append((facts.matches_query, f"含“{c.query}”"))
    checks.append((facts.item_count >= c.min_items, f"累计 {facts.item_count} 条"))
    if c.min_recent_items:
        checks.append(
            (facts.recent_items >= c.min_recent_items, f"近 {c.window_minutes} 分钟 {facts.recent_items} 条")
        )
    if c.min_growth is not None:
        checks.append((facts.growth >= c.min_growth, f"环比增长 {facts.growth:.1f} 倍"))
    if c.min_negative_share is not None:
        checks.append((facts.negative_share >= c.min_negative_share, f"负面占比 {facts.negative_share:.0%}"))
    if c.require_burst:
        checks.append((facts.bursting, "出现突发"))
    return _verdict(checks)


@dataclass(frozen=True)
class BurstFacts:
    """A burst as a rule sees it."""

    kind: BurstKind
    key: str
    label: str
    observed: int
    expected: float
    category: str | None = None
    region_codes: tuple[str, ...] = ()


def check_burst(conditions: RuleConditions, facts: BurstFacts, *, jurisdiction: str) -> Verdict:
    """Check a burst against a burst-scoped rule."""
    c = conditions
    checks: list[tuple[bool, str]] = [
        (not c.burst_kinds or facts.kind in c.burst_kinds, f"{BURST_LABELS[facts.kind]}“{facts.label}”突发"),
        (facts.observed >= c.min_items, f"{facts.observed} 条（预期 {facts.expected:.1f}）"),
    ]
    if c.categories:
        checks.append((facts.category in c.categories, f"分类为{facts.category}"))
    if c.in_jurisdiction:
        checks.append((_in_regions(list(facts.region_codes), [jurisdiction]), "发生在辖区内"))
    if c.region_codes:
        checks.append((_in_regions(list(facts.region_codes), c.region_codes), "涉及指定地区"))
    if c.query:
        checks.append((c.query in facts.label, f"含“{c.query}”"))
    return _verdict(checks)


def _verdict(checks: list[tuple[bool, str]]) -> Verdict:
    if all(ok for ok, _ in checks):
        return Verdict(True, [reason for _, reason in checks])
    return Verdict(False)


def describe(c: RuleConditions) -> list[str]:
    """The conditions in words, for the rules list."""
    parts = ["对象：突发" if c.scope == "burst" else "对象：事件"]
    if c.burst_kinds:
        parts.append("突发类型：" + "、".join(BURST_LABELS[k] for k in c.burst_kinds))
    if c.categories:
        parts.append("分类：" + "、".join(c.categories))
    if c.harm_signals:
        parts.append("风险信号：" + "、".join(HARM_LABELS.get(s, s) for s in c.harm_signals))
    if c.min_rumor_score is not None:
        parts.append(f"谣言可能性 ≥ {c.min_rumor_score:.0%}")
    if c.in_jurisdiction:
        parts.append("辖区内")
    if c.region_codes:
        parts.append("地区：" + " ".join(c.region_codes))
    if c.source_tier == "key":
        parts.append("有重点信息源")
    if c.query:
        parts.append(f"含“{c.query}”")
    parts.append(f"累计 ≥ {c.min_items} 条")
    if c.min_recent_items:
        parts.append(f"{c.window_minutes} 分钟内 ≥ {c.min_recent_items} 条")
    if c.min_growth is not None:
        parts.append(f"{c.window_minutes} 分钟环比 ≥ {c.min_growth:g} 倍")
    if c.min_negative_share is not None:
        parts.append(f"负面占比 ≥ {c.min_negative_share:.0%}")
    if c.require_burst:
        parts.append("正在突发")
    return parts

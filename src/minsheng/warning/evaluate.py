"""One warning round: find bursts, check every enabled rule and saved search, raise and queue alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from minsheng.core.settings import Settings
from minsheng.core.timeutil import utcnow
from minsheng.events.models import Event
from minsheng.warning import bursts as burst_detection
from minsheng.warning.alerts import Trigger, notify, raise_alert
from minsheng.warning.conditions import RuleConditions, check_burst, check_event
from minsheng.warning.facts import burst_facts, event_facts, matching_events, moving_events
from minsheng.warning.models import Burst, WarningRule
from minsheng.warning.rules import conditions_of, list_rules
from minsheng.warning.saved_searches import check_saved_searches


@dataclass
class RoundReport:
    """What a round found and did, for the job log and the command line."""

    bursts: int = 0
    new_bursts: int = 0
    events_checked: int = 0
    alerts_created: list[int] = field(default_factory=list)
    alerts_repeated: int = 0
    deliveries: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "bursts": self.bursts,
            "new_bursts": self.new_bursts,
            "events_checked": self.events_checked,
            "alerts_created": len(self.alerts_created),
            "alerts_repeated": self.alerts_repeated,
            "deliveries": self.deliveries,
        }


def _rule_trigger(
    rule: WarningRule,
    *,
    subject_key: str,
    event_id: int | None,
    title: str,
    summary: str,
    reasons: list[str],
) -> Trigger:
    return Trigger(
        subject_key=subject_key,
        event_id=event_id,
        level=rule.level,
        title=title,
        summary=summary,
        details={"rule": rule.name, "reasons": reasons},
        rule=rule,
        cooldown=timedelta(minutes=rule.cooldown_minutes),
        delivery=rule.delivery,
        channel_ids=tuple(rule.channel_ids or ()),
    )


def _event_summary(event: Event, recent: int, minutes: int) -> str:
    mix = event.sentiment_mix or {}
    negative = mix.get("negative", event.negative_count)
    share = f"，负面 {negative / event.item_count:.0%}" if event.item_count else ""
    totals = f"该事件累计 {event.item_count} 条信息、{event.source_count} 个来源"
    return f"{totals}，近 {minutes} 分钟 {recent} 条{share}。"


def event_triggers(
    session: Session, rules: list[tuple[WarningRule, RuleConditions]], *, settings: Settings, now: datetime
) -> tuple[list[Trigger], int]:
    """Check event-scoped rules on every event that moved recently."""
    if not rules:
        return [], 0
    events = moving_events(session, now=now)
    if not events:
        return [], 0
    facts = event_facts(
        session,
        events,
        now=now,
        windows=[c.window_minutes for _, c in rules],
        burst_window=timedelta(minutes=settings.burst_window_minutes),
    )
    ids = [event.id for event in events]
    queries = {c.query for _, c in rules if c.query}
    matches = {query: matching_events(session, ids, query) for query in queries}
    triggers = []
    for rule, conditions in rules:
        for event in events:
            known = facts[conditions.window_minutes][event.id]
            known.matches_query = not conditions.query or event.id in matches[conditions.query]
            verdict = check_event(conditions, known, jurisdiction=settings.jurisdiction_code)
            if not verdict.holds:
                continue
            triggers.append(
                _rule_trigger(
                    rule,
                    subject_key=f"event:{event.id}",
                    event_id=event.id,
                    title=event.title,
                    summary=_event_summary(event, known.recent_items, conditions.window_minutes),
                    reasons=verdict.reasons,
                )
            )
    return triggers, len(events)


def burst_triggers(
    session: Session,
    rules: list[tuple[WarningRule, RuleConditions]],
    bursts: list[Burst],
    *,
    settings: Settings,
) -> list[Trigger]:
    """Check burst-scoped rules on the bursts of this round."""
    triggers = []
    for burst in bursts:
        facts = burst_facts(session, burst)
        for rule, conditions in rules:
            verdict = check_burst(conditions, facts, jurisdiction=settings.jurisdiction_code)
            if verdict.holds:
                trigger = _rule_trigger(
                    rule,
                    subject_key=f"burst:{burst.kind}:{burst.key}",
                    event_id=burst.event_id,
                    title=f"“{burst.label}”突发：{burst.observed} 条",
                    summary=(
                        f"近 {settings.burst_window_minutes} 分钟 {burst.observed} 条，"
                        f"按历史预期约 {burst.expected:.1f} 条（{burst.score:.1f} 个标准差）。"
                    ),
                    reasons=verdict.reasons,
                )
                triggers.append(trigger)
    return triggers


def run_round(session: Session, *, settings: Settings, now: datetime | None = None) -> RoundReport:
    """Detect bursts, evaluate rules and saved searches, raise alerts, queue immediate notifications."""
    now = now or utcnow()
    report = RoundReport()
    params = burst_detection.BurstParams.from_settings(settings)
    before = {b.id for b in burst_detection.recent_bursts(session, since=now - params.window, limit=1000)}
    bursts = burst_detection.record(
        session, burst_detection.detect(session, now=now, params=params), now=now, params=params
    )
    report.bursts = len(bursts)
    report.new_bursts = sum(1 for b in bursts if b.id not in before)
    rules = [(rule, conditions_of(rule)) for rule in list_rules(session, enabled_only=True)]
    event_rules = [(r, c) for r, c in rules if c.scope == "event"]
    burst_rules = [(r, c) for r, c in rules if c.scope == "burst"]
    triggers, report.events_checked = event_triggers(session, event_rules, settings=settings, now=now)
    triggers += burst_triggers(session, burst_rules, bursts, settings=settings)
    triggers += check_saved_searches(session, now=now)
    for trigger in triggers:
        outcome = raise_alert(session, trigger, now=now)
        if outcome.alert is None:
            continue
        if outcome.created:
            report.alerts_created.append(outcome.alert.id)
        else:
            report.alerts_repeated += 1
        if outcome.notify:
            report.deliveries += notify(
                session, outcome.alert, channel_ids=trigger.channel_ids, settings=settings, now=now
            )
    session.flush()
    return report


def describe(report: RoundReport) -> str:
    """One line for the command line."""
    return (
        f"预警：突发 {report.bursts}（新 {report.new_bursts}），检查事件 {report.events_checked}，"
        f"新预警 {len(report.alerts_created)}，重复 {report.alerts_repeated}，待发送通知 {report.deliveries}"
    )

"""Rule conditions: each one can hold or fail, and a match says why in words."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from minsheng.warning.conditions import BurstFacts, EventFacts, RuleConditions, check_burst, check_event
from minsheng.warning.models import BurstKind

JURISDICTION = "371500"


def facts(**changes) -> EventFacts:
    base = {
        "event_id": 1,
        "title": "河边化工厂异味",
        "category": "生态环境",
        "region_codes": ["371521102000"],
        "harm_signals": [],
        "item_count": 20,
        "negative_count": 14,
        "key_tier_count": 2,
        "recent_items": 12,
        "previous_items": 4,
        "max_rumor_score": 0.3,
        "bursting": True,
    }
    return EventFacts(**{**base, **changes})


@pytest.mark.parametrize(
    ("conditions", "changes", "holds"),
    [
        ({}, {}, True),
        ({"categories": ["生态环境"]}, {}, True),
        ({"categories": ["交通运输"]}, {}, False),
        ({"in_jurisdiction": True}, {}, True),
        ({"in_jurisdiction": True}, {"region_codes": ["110101000000"]}, False),
        ({"region_codes": ["371521"]}, {}, True),
        ({"region_codes": ["371502"]}, {}, False),
        ({"source_tier": "key"}, {"key_tier_count": 0}, False),
        ({"min_items": 21}, {}, False),
        ({"min_recent_items": 12}, {}, True),
        ({"min_growth": 3.0}, {}, True),
        ({"min_growth": 3.5}, {}, False),
        ({"min_negative_share": 0.7}, {}, True),
        ({"min_negative_share": 0.71}, {}, False),
        ({"require_burst": True}, {"bursting": False}, False),
        ({"harm_signals": ["fraud"]}, {"harm_signals": ["fraud", "gambling"]}, True),
        ({"harm_signals": ["drugs"]}, {"harm_signals": ["fraud"]}, False),
        ({"min_rumor_score": 0.8}, {"max_rumor_score": 0.9}, True),
        ({"min_rumor_score": 0.8}, {}, False),
        ({"query": "异味"}, {"matches_query": False}, False),
    ],
)
def test_each_condition(conditions, changes, holds):
    verdict = check_event(RuleConditions(**conditions), facts(**changes), jurisdiction=JURISDICTION)
    assert verdict.holds is holds
    if holds:
        assert verdict.reasons


def test_reasons_read_as_sentences():
    verdict = check_event(
        RuleConditions(min_negative_share=0.5, min_growth=2), facts(), jurisdiction=JURISDICTION
    )
    assert "负面占比 70%" in verdict.reasons
    assert "环比增长 3.0 倍" in verdict.reasons


def test_burst_rules_filter_by_kind_and_place():
    burst = BurstFacts(
        kind=BurstKind.place, key="371521", label="莘县", observed=30, expected=3.0, region_codes=("371521",)
    )
    assert check_burst(
        RuleConditions(scope="burst", burst_kinds=[BurstKind.place]), burst, jurisdiction="3715"
    ).holds
    assert not check_burst(
        RuleConditions(scope="burst", burst_kinds=[BurstKind.keyword]), burst, jurisdiction="3715"
    ).holds
    assert not check_burst(RuleConditions(scope="burst", min_items=31), burst, jurisdiction="3715").holds
    assert check_burst(
        RuleConditions(scope="burst", in_jurisdiction=True), burst, jurisdiction="371500"
    ).holds


@pytest.mark.parametrize(
    "bad",
    [
        {"harm_signals": ["unknown"]},
        {"region_codes": ["abc"]},
        {"min_negative_share": 1.5},
        {"window_minutes": 1},
        {"scope": "everything"},
        {"surprise": True},
    ],
)
def test_invalid_conditions_are_refused(bad):
    with pytest.raises(ValidationError):
        RuleConditions(**bad)

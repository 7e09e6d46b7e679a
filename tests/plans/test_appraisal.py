from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from minsheng.audit.models import AuditEntry
from minsheng.core.errors import PermissionDenied
from minsheng.plans.appraisal import DEFAULT_RULE, rule_for, score_chart, score_departments, update_rule
from minsheng.plans.models import AppraisalRule
from minsheng.plans.periods import Period, parse_period, periods_ending_between, report_period
from minsheng.plans.schemas import AppraisalRuleIn
from tests.plans.scenes import WINDOW, Scene, build_scene


@pytest.fixture
def scene(session, settings) -> Scene:
    return build_scene(session, settings)


def test_periods_and_report_attribution():
    assert [p.label for p in periods_ending_between(date(2026, 1, 1), date(2026, 6, 30), "quarter")] == [
        "2026年第一季度",
        "2026年第二季度",
    ]
    assert len(periods_ending_between(date(2026, 2, 1), date(2026, 6, 29), "month")) == 4
    q4 = Period(date(2026, 10, 1), date(2026, 12, 31))
    for label in ("2026年第四季度", "2026年四季度", "2026Q4", "2026-Q4", "2026年12月", "2026年下半年"):
        assert parse_period(label, "quarter") == q4, label
    assert parse_period("2026-10", "month") == Period(date(2026, 10, 1), date(2026, 10, 31))
    assert parse_period("近期进展", "quarter") is None
    # Unlabelled: within the grace days after a quarter's end, the report is that quarter's.
    assert report_period("进展", date(2027, 1, 8), cycle="quarter", grace_days=10) == q4
    assert report_period("进展", date(2027, 1, 20), cycle="quarter", grace_days=10).first == date(2027, 1, 1)


def test_scores_on_time_late_overdue_and_supervised(session, scene):
    rule = rule_for(session, plan_id=scene.plan.id)
    assert rule.id is None and rule.on_time_weight == 40 and rule.deduction_cap == 20
    scores = score_departments(session, plan=scene.plan, rule=rule, window=WINDOW)
    assert [s.name for s in scores] == ["市统计局", "市发改委", "市经信局", "市财政局"]
    by_name = {s.name: s for s in scores}
    a = by_name["市经信局"]
    assert (a.tasks_on_time, a.tasks_due, a.overdue, a.supervision_levels) == (1, 3, 2, 2)
    assert (a.indicators_attained, a.indicators) == (1, 2)
    assert (a.reports_on_time, a.reports_expected) == (3, 5)
    # 40 × 1/3 + 30 × 1/2 + 30 × 3/5 = 46.33, less 2 × 2 overdue and 1 × 2 levels.
    assert a.deduction == 6 and a.total == 40.3
    b = by_name["市发改委"]
    assert (b.tasks_on_time, b.tasks_due, b.reports_on_time, b.reports_expected) == (1, 1, 1, 2)
    # No indicator: its 30 points are shared by the other two components, (40 + 30 × 1/2) / 70.
    assert b.points["target"] is None and b.total == 78.6
    assert by_name["市统计局"].total == 100
    assert by_name["市财政局"].total is None
    chart = score_chart(scores, translate_label=str)
    assert chart["xAxis"]["data"] == ["市统计局", "市发改委", "市经信局"]
    assert chart["series"][0]["data"] == [100, 78.6, 40.3]


def test_deductions_are_capped_and_scores_never_negative(session, scene):
    capped = AppraisalRule(plan_id=scene.plan.id, **DEFAULT_RULE.model_dump() | {"deduction_cap": 5})
    a = next(
        s
        for s in score_departments(session, plan=scene.plan, rule=capped, window=WINDOW)
        if s.name == "市经信局"
    )
    assert a.deduction == 5 and a.total == 41.3
    harsh = AppraisalRule(
        plan_id=scene.plan.id, **DEFAULT_RULE.model_dump() | {"overdue_deduction": 50, "deduction_cap": 100}
    )
    a = next(
        s
        for s in score_departments(session, plan=scene.plan, rule=harsh, window=WINDOW)
        if s.name == "市经信局"
    )
    assert a.deduction == 100 and a.total == 0


def test_rule_changes_are_validated_and_audited(session, scene):
    data = AppraisalRuleIn.model_validate(
        {
            "on_time_weight": "50",
            "target_weight": "25",
            "report_weight": "25",
            "overdue_deduction": "3",
            "supervision_deduction": "0.5",
            "deduction_cap": "15",
            "report_cycle": "month",
            "report_grace_days": "5",
        }
    )
    update_rule(session, plan=scene.plan, user=scene.supervisor, data=data)
    session.commit()
    stored = session.scalar(select(AppraisalRule).where(AppraisalRule.plan_id == scene.plan.id))
    assert (stored.on_time_weight, stored.report_cycle, stored.supervision_deduction) == (50, "month", 0.5)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "plan.appraisal_rule"))
    assert entry.entity_id == str(scene.plan.id)
    assert entry.before["on_time_weight"] == 40 and entry.after["on_time_weight"] == 50
    with pytest.raises(PermissionDenied):
        update_rule(session, plan=scene.plan, user=scene.handler, data=data)
    good = data.model_dump()
    for change, message in (
        ({"report_weight": 15}, "三项权重之和必须为 100"),
        ({"on_time_weight": -10, "report_weight": 85}, "权重应在 0 到 100 之间"),
        ({"on_time_weight": "四十"}, "权重应为数字"),
        ({"deduction_cap": -1}, "扣分应在 0 到 100 之间"),
        ({"report_cycle": "week"}, "报送周期只能是季度或月"),
    ):
        with pytest.raises(ValidationError, match=message):
            AppraisalRuleIn.model_validate(good | change)

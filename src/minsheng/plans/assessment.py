"""Assess an indicator's progress toward its target the Statistics Canada way, and chart its series."""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = [
    "MODERATE_RATIO",
    "ON_TRACK_RATIO",
    "STATUS_LABELS",
    "Assessment",
    "Point",
    "Status",
    "assess",
    "indicator_chart",
]

# Actual progress at or above 95% of the progress required is on track; at or above half of it, moderate.
ON_TRACK_RATIO = 0.95
MODERATE_RATIO = 0.5
_DAYS_A_YEAR = 365.25


class Status(enum.StrEnum):
    """Where an indicator stands against its target."""

    achieved = "achieved"  # 已达标
    on_track = "on_track"  # 进度正常
    moderate = "moderate"  # 进度偏慢
    off_track = "off_track"  # 进度滞后
    no_data = "no_data"  # 数据不足


STATUS_LABELS = {
    Status.achieved: "已达标",
    Status.on_track: "进度正常",
    Status.moderate: "进度偏慢",
    Status.off_track: "进度滞后",
    Status.no_data: "数据不足",
}
STATUS_KINDS = {
    Status.achieved: "ok",
    Status.on_track: "ok",
    Status.moderate: "warn",
    Status.off_track: "danger",
    Status.no_data: "neutral",
}


@dataclass(frozen=True, slots=True)
class Point:
    """A value on a date: a measurement or the baseline."""

    on: date
    value: float


@dataclass(frozen=True, slots=True)
class Assessment:
    """The computed status, the ratio of actual to required progress behind it, and why."""

    status: Status
    ratio: float | None
    reason: str


def _meets(value: float, target: float, comparator: str, rising: bool) -> bool:
    if comparator == "<=":
        return value <= target
    if comparator == ">=":
        return value >= target
    # 达到 X (= or ~) points the way from the baseline to the target.
    return value >= target if rising else value <= target


def _grade(ratio: float) -> Status:
    if ratio >= ON_TRACK_RATIO:
        return Status.on_track
    if ratio >= MODERATE_RATIO:
        return Status.moderate
    return Status.off_track


def _rate(start: float, end: float, years: float) -> float:
    """Return the compound annual growth rate, or the change a year when a value is not positive."""
    if start > 0 and end > 0:
        return math.pow(end / start, 1 / years) - 1
    return (end - start) / years


def assess(
    *,
    target: float,
    comparator: str,
    target_year: int | None,
    baseline: Point | None,
    points: Sequence[Point],
    per_year: bool = False,
    today: date,
) -> Assessment:
    """Compare actual growth since the baseline with the growth the target requires.

    The ratio is the actual annual growth rate (baseline to latest value) over the rate needed to go from
    the baseline to the target by the end of the target year. A yearly target (每年, 年均增长) is compared
    directly: the ratio is the latest value over the target.
    """
    ordered = sorted(points, key=lambda point: point.on)
    if not ordered:
        return Assessment(Status.no_data, None, "尚无监测数据")
    latest = ordered[-1]
    if per_year:
        if _meets(latest.value, target, comparator, rising=True):
            return Assessment(Status.achieved, None, "最新一期已达到年度目标")
        if target == 0 or latest.value == 0:
            return Assessment(Status.off_track, None, "最新一期未达到年度目标")
        ratio = target / latest.value if comparator == "<=" else latest.value / target
        return Assessment(_grade(ratio), ratio, "按最新一期与年度目标之比评估")
    start = baseline or ordered[0]
    rising = target >= start.value
    if _meets(latest.value, target, comparator, rising):
        return Assessment(Status.achieved, None, "最新值已达到目标值")
    if target_year is None:
        return Assessment(Status.no_data, None, "未设定目标年份，无法计算所需进度")
    deadline = date(target_year, 12, 31)
    if today > deadline:
        return Assessment(Status.off_track, None, "目标年份已过，仍未达到目标值")
    elapsed = (latest.on - start.on).days / _DAYS_A_YEAR
    remaining = (deadline - start.on).days / _DAYS_A_YEAR
    if elapsed <= 0 or remaining <= 0:
        return Assessment(Status.no_data, None, "需要基期值和至少一期晚于基期的监测数据")
    required = _rate(start.value, target, remaining)
    actual = _rate(start.value, latest.value, elapsed)
    if required == 0:
        return Assessment(Status.off_track, None, "基期值已等于目标值，但最新值偏离目标")
    ratio = actual / required
    return Assessment(_grade(ratio), ratio, "按实际增速与所需增速之比评估")


def indicator_chart(
    *,
    name: str,
    unit: str,
    target: float,
    points: Sequence[Point],
    baseline: Point | None,
    target_label: str = "目标值",
) -> dict[str, Any]:
    """Build ECharts options: the measured series over time with the target as a horizontal line."""
    series = [point for point in ([baseline] if baseline else []) + sorted(points, key=lambda p: p.on)]
    values = [point.value for point in series] + [target]
    low, high = min(values), max(values)
    margin = (high - low) * 0.1 or abs(high) * 0.1 or 1
    return {
        "color": ["#1f5fae", "#e76f51"],
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 56, "right": 72, "top": 24, "bottom": 30},
        "xAxis": {"type": "time"},
        "yAxis": {
            "type": "value",
            "name": unit,
            "min": round(min(0, low - margin) if low >= 0 else low - margin, 4),
            "max": round(high + margin, 4),
        },
        "series": [
            {
                "name": name,
                "type": "line",
                "data": [[point.on.isoformat(), point.value] for point in series],
                "markLine": {
                    "symbol": "none",
                    "lineStyle": {"type": "dashed", "color": "#e76f51"},
                    "label": {"formatter": f"{target_label} {target:g}{unit}"},
                    "data": [{"yAxis": target, "name": target_label}],
                },
            }
        ],
    }

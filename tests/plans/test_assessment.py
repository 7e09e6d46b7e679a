from datetime import date

from minsheng.plans.assessment import Point, Status, assess, indicator_chart

BASE = Point(date(2020, 1, 1), 100.0)
TODAY = date(2025, 1, 1)


def status(value, *, target=200.0, comparator=">=", year=2030, on=date(2025, 1, 1), **kwargs):
    points = [Point(on, value)]
    return assess(
        target=target,
        comparator=comparator,
        target_year=year,
        baseline=BASE,
        points=points,
        today=TODAY,
        **kwargs,
    )


def test_growth_against_the_growth_required():
    # Doubling over 11 years needs about 6.5% a year; half-way in time that means about 137 by 2025.
    assert status(250).status is Status.achieved
    assert status(140).status is Status.on_track
    assert status(120).status is Status.moderate
    assert status(105).status is Status.off_track
    assert status(90).status is Status.off_track
    ratio = status(140).ratio
    assert 0.95 <= ratio < 1.2


def test_lower_is_better_and_past_deadlines():
    assert status(60, target=50.0, comparator="<=").status is Status.on_track
    assert status(45, target=50.0, comparator="<=").status is Status.achieved
    assert status(120, year=2024).status is Status.off_track


def test_missing_data_and_yearly_targets():
    assert (
        assess(target=1, comparator=">=", target_year=2030, baseline=None, points=[], today=TODAY).status
        == "no_data"
    )
    assert status(150, year=None).status is Status.no_data
    # Without a baseline the first measurement is the starting point.
    first = [Point(date(2021, 1, 1), 100.0), Point(date(2024, 1, 1), 150.0)]
    assert (
        assess(target=200, comparator=">=", target_year=2026, baseline=None, points=first, today=TODAY).status
        == "on_track"
    )
    assert status(24, target=25.0, per_year=True).status is Status.on_track
    assert status(10, target=25.0, per_year=True).status is Status.off_track


def test_the_chart_draws_the_target_as_a_line():
    options = indicator_chart(
        name="普及率", unit="%", target=70, points=[Point(date(2024, 6, 1), 55.0)], baseline=BASE
    )
    series = options["series"][0]
    assert series["data"][0] == ["2020-01-01", 100.0]
    assert series["markLine"]["data"] == [{"yAxis": 70, "name": "目标值"}]

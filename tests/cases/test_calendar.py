from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from minsheng.cases.calendar import CalendarError, WorkCalendar, parse_office_hours

SH = ZoneInfo("Asia/Shanghai")


def calendar(**overrides: bool) -> WorkCalendar:
    days = {date.fromisoformat(k.removeprefix("d").replace("_", "-")): v for k, v in overrides.items()}
    return WorkCalendar(zone=SH, office_hours=parse_office_hours("09:00-12:00,13:30-17:30"), overrides=days)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def test_national_day_week_and_its_make_up_saturday():
    cal = calendar()
    assert not cal.is_workday(date(2026, 10, 1))
    assert not cal.is_workday(date(2026, 10, 7))
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, a make-up working day
    assert cal.is_workday(date(2026, 9, 20))  # Sunday, a make-up working day
    # Five working days from the last day before the holiday: Oct 8, 9, 10 (Sat), 12, 13.
    assert cal.add_working_days(at("2026-09-30T10:00"), 5) == at("2026-10-13T17:30")


def test_working_hours_skip_lunch_nights_and_the_holiday():
    cal = calendar()
    assert cal.add_working_hours(at("2026-09-30T10:00"), 2) == at("2026-09-30T12:00")
    assert cal.add_working_hours(at("2026-09-30T10:00"), 3) == at("2026-09-30T14:30")
    # 6 hours are left on Sep 30; the remaining 2 fall after the week off.
    assert cal.add_working_hours(at("2026-09-30T10:00"), 8) == at("2026-10-08T11:00")


def test_work_arriving_on_friday_evening_is_due_on_the_make_up_sunday():
    cal = calendar()
    assert cal.add_working_hours(at("2026-09-18T16:30"), 2) == at("2026-09-20T10:00")


def test_work_arriving_at_night_starts_next_morning():
    cal = calendar()
    assert cal.add_working_hours(at("2026-11-23T22:00"), 1) == at("2026-11-24T10:00")
    assert cal.add_working_hours(at("2026-11-23T05:00"), 0.5) == at("2026-11-23T09:30")


def test_office_overrides_beat_the_packaged_calendar_and_cover_unannounced_years():
    assert calendar().is_workday(date(2027, 1, 4))  # no notice yet: weekdays work
    cal = calendar(d2027_01_04=False, d2026_11_23=False)
    assert not cal.is_workday(date(2027, 1, 4))
    assert not cal.is_workday(date(2026, 11, 23))


def test_working_seconds_between_counts_only_office_hours():
    cal = calendar()
    assert cal.working_seconds_between(at("2026-09-30T11:00"), at("2026-10-08T10:00")) == pytest.approx(
        (1 + 4 + 1) * 3600
    )
    assert cal.working_seconds_between(at("2026-10-08T10:00"), at("2026-10-08T09:00")) == 0


def test_shift_and_add_are_consistent():
    cal = calendar()
    start = at("2026-09-29T15:00")
    later = cal.add_working_hours(start, 7.25)
    assert cal.working_seconds_between(start, later) == pytest.approx(7.25 * 3600)


@pytest.mark.parametrize("spec", ["", "9-17", "12:00-09:00", "09:00-12:00,11:00-13:00", "x"])
def test_bad_office_hours_are_refused_clearly(spec):
    with pytest.raises(CalendarError):
        parse_office_hours(spec)


def test_naive_times_are_refused():
    with pytest.raises(CalendarError):
        calendar().add_working_hours(datetime(2026, 11, 23, 10), 1)

"""The business calendar: schedules, Chinese holidays and 调休, time zones, and promise wording.

Dates used (checked against a printed calendar): 2025-11-24 is a Monday, 2025-11-28 a Friday,
2025-09-28 a Sunday worked for National Day, 2025-10-11 a Saturday worked for National Day,
2025-10-01..08 the Golden Week holiday, 2026-02-15..23 the Spring Festival holiday with
Saturdays 2026-02-14 and 2026-02-28 worked, 2026-03-29 the Sunday Europe switches to CEST.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from bot.domain.calendar import (
    END_OF_DAY,
    BusinessCalendar,
    NoOpeningError,
    format_promise,
    parse_dates,
    parse_weekly_hours,
)

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
COVERS_2026 = any(d.year == 2026 for d in chinese_calendar.holidays)


def sh(y, m, d, hh=0, mm=0, ss=0, us=0):
    return datetime(y, m, d, hh, mm, ss, us, tzinfo=SH)


@pytest.fixture
def shop():
    """Weekdays 09-18, Saturdays 10-16, Sundays closed, mainland holidays followed."""
    return BusinessCalendar("mon-fri 09:00-18:00; sat 10:00-16:00")


@pytest.fixture
def weekdays_only():
    return BusinessCalendar("mon-fri 09:00-18:00", follow_china_holidays=False)


# --- parsing -------------------------------------------------------------------------------

def test_parse_weekday_and_saturday_hours():
    weekly = parse_weekly_hours("mon-fri 09:00-18:00; sat 10:00-16:00")
    assert weekly == {
        0: [(time(9), time(18))], 1: [(time(9), time(18))], 2: [(time(9), time(18))],
        3: [(time(9), time(18))], 4: [(time(9), time(18))], 5: [(time(10), time(16))], 6: []}


def test_parse_split_shift_every_day():
    weekly = parse_weekly_hours("mon-sun 09:00-12:00,13:30-22:00")
    assert all(weekly[d] == [(time(9), time(12)), (time(13, 30), time(22))] for d in range(7))


def test_parse_day_list():
    weekly = parse_weekly_hours("mon,wed,fri 08:00-20:00")
    assert {d for d, hours in weekly.items() if hours} == {0, 2, 4}
    assert weekly[2] == [(time(8), time(20))]


def test_parse_daily_until_midnight():
    weekly = parse_weekly_hours("daily 00:00-24:00")
    assert weekly[6] == [(time(0), END_OF_DAY)]


def test_parse_same_day_in_two_clauses_is_merged_and_sorted():
    weekly = parse_weekly_hours("mon 13:00-15:00; mon-fri 09:00-12:00")
    assert weekly[0] == [(time(9), time(12)), (time(13), time(15))]
    assert weekly[1] == [(time(9), time(12))]


@pytest.mark.parametrize("spec", [
    "",
    "   ",
    "mon-fri 18:00-09:00",  # ends before it starts
    "mon-fri 09:00-09:00",  # empty
    "mon-fri 09:00-12:00,11:00-13:00",  # overlap in one clause
    "mon-fri 09:00-12:00; wed 11:00-14:00",  # overlap across clauses
    "funday 09:00-18:00",  # unknown day
    "fri-mon 09:00-18:00",  # backwards range
    "mon-fri 9-18",  # no minutes
    "mon-fri 25:00-26:00",
    "mon-fri 09:00-24:30",
    "09:00-18:00",  # no days
    "mon-fri",  # no hours
])
def test_parse_rejects_malformed_hours_naming_the_form(spec):
    with pytest.raises(ValueError, match="mon-fri 09:00-18:00"):
        parse_weekly_hours(spec)


def test_calendar_rejects_overlapping_hours_given_as_a_mapping():
    with pytest.raises(ValueError, match="overlapping"):
        BusinessCalendar({0: [(time(9), time(12)), (time(11), time(13))]})


def test_parse_dates_lists_and_ranges():
    assert parse_dates("2026-12-24..2026-12-26, 2026-10-01") == {
        date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26), date(2026, 10, 1)}
    assert parse_dates("2026-12-31..2027-01-01") == {date(2026, 12, 31), date(2027, 1, 1)}
    assert parse_dates("") == set()


@pytest.mark.parametrize("spec", [
    "2026-13-01", "2026-02-30", "2026/12/24", "tomorrow", "2026-12-26..2026-12-24",
    "2026-01-01..2030-01-01", "2026-12-24..",
])
def test_parse_dates_rejects_bad_input(spec):
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_dates(spec)


# --- open or closed ------------------------------------------------------------------------

def test_last_minute_before_closing(shop):
    assert shop.is_open(sh(2025, 11, 24, 17, 59))
    assert shop.is_open(sh(2025, 11, 24, 17, 59, 59, 999999))
    assert not shop.is_open(sh(2025, 11, 24, 18, 0))
    assert not shop.is_open(sh(2025, 11, 24, 8, 59))
    assert shop.is_open(sh(2025, 11, 24, 9, 0))


def test_weekend(shop):
    assert shop.is_open(sh(2025, 11, 29, 12, 0))  # Saturday 10-16
    assert not shop.is_open(sh(2025, 11, 29, 9, 30))
    assert not shop.is_open(sh(2025, 11, 30, 12, 0))  # Sunday
    assert shop.is_working_day(date(2025, 11, 29))
    assert not shop.is_working_day(date(2025, 11, 30))
    assert shop.next_opening(sh(2025, 11, 29, 16, 0)) == sh(2025, 12, 1, 9, 0)


def test_next_opening_is_t_itself_when_open(shop):
    t = sh(2025, 11, 24, 10, 17, 33)
    assert shop.next_opening(t) == t


def test_midnight(shop):
    assert not shop.is_open(sh(2025, 11, 25, 0, 0))
    assert shop.next_opening(sh(2025, 11, 25, 0, 0)) == sh(2025, 11, 25, 9, 0)
    assert shop.next_opening(sh(2025, 11, 24, 23, 59, 59)) == sh(2025, 11, 25, 9, 0)


def test_round_the_clock_shop_at_midnight():
    always = BusinessCalendar("daily 00:00-24:00", follow_china_holidays=False)
    assert always.is_open(sh(2025, 11, 24, 0, 0))
    assert always.is_open(sh(2025, 11, 24, 23, 59, 59))
    assert always.add_business_minutes(sh(2025, 11, 24, 23, 50), 20) == sh(2025, 11, 25, 0, 10)
    assert always.business_minutes_between(sh(2025, 11, 24, 23, 0), sh(2025, 11, 25, 1, 0)) == 120


def test_weekday_until_midnight_then_weekend_closed():
    late = BusinessCalendar("mon-fri 00:00-24:00", follow_china_holidays=False)
    assert late.is_open(sh(2025, 11, 28, 23, 59))
    assert not late.is_open(sh(2025, 11, 29, 0, 0))
    assert late.add_business_minutes(sh(2025, 11, 28, 23, 50), 20) == sh(2025, 12, 1, 0, 10)


def test_naive_datetime_is_refused(shop):
    with pytest.raises(ValueError, match="time zone"):
        shop.is_open(datetime(2025, 11, 24, 10, 0))


# --- China holidays and 调休 ----------------------------------------------------------------

def test_golden_week_2025_is_closed(shop):
    for day in range(1, 9):
        assert not shop.is_working_day(date(2025, 10, day)), day
        assert not shop.is_open(sh(2025, 10, day, 12, 0)), day
    assert shop.holiday_name(date(2025, 10, 1)) == "国庆节"
    assert shop.holiday_name(date(2025, 10, 6)) == "中秋节"  # falls inside Golden Week this year
    assert shop.is_working_day(date(2025, 10, 9))
    # A complaint on the evening before the holiday waits for Thursday, October 9.
    assert shop.next_opening(sh(2025, 9, 30, 18, 30)) == sh(2025, 10, 9, 9, 0)


def test_make_up_working_day_opens_with_weekday_hours(shop):
    # Sunday 2025-09-28 is worked (调休): the shop is normally closed on Sundays.
    assert shop.is_working_day(date(2025, 9, 28))
    assert shop.is_open(sh(2025, 9, 28, 9, 30))
    assert not shop.is_open(sh(2025, 9, 28, 18, 0))
    assert shop.holiday_name(date(2025, 9, 28)) is None
    assert shop.next_opening(sh(2025, 9, 27, 17, 0)) == sh(2025, 9, 28, 9, 0)
    # Saturday 2025-10-11 is worked too, with Monday's 09:00-18:00 instead of Saturday's 10-16.
    assert shop.is_open(sh(2025, 10, 11, 9, 30))
    assert shop.is_open(sh(2025, 10, 11, 17, 0))


def test_plain_weekend_has_no_holiday_name(shop):
    assert shop.holiday_name(date(2025, 11, 30)) is None


@pytest.mark.skipif(not COVERS_2026, reason="installed chinese_calendar has no 2026 data")
def test_spring_festival_2026(shop):
    assert shop.covered(date(2026, 2, 16))
    for day in range(15, 24):
        assert not shop.is_working_day(date(2026, 2, day)), day
    assert shop.holiday_name(date(2026, 2, 17)) == "春节"
    # Friday evening → the worked Saturday 2026-02-14 at weekday hours.
    assert shop.next_opening(sh(2026, 2, 13, 18, 0)) == sh(2026, 2, 14, 9, 0)
    # After that Saturday, nothing until Tuesday 2026-02-24.
    assert shop.next_opening(sh(2026, 2, 14, 18, 0)) == sh(2026, 2, 24, 9, 0)
    assert shop.add_business_minutes(sh(2026, 2, 14, 17, 50), 15) == sh(2026, 2, 24, 9, 5)
    assert shop.is_open(sh(2026, 2, 28, 9, 30))  # worked Saturday after the holiday


def test_holidays_ignored_when_not_followed():
    cal = BusinessCalendar("mon-fri 09:00-18:00", follow_china_holidays=False)
    assert cal.is_open(sh(2025, 10, 1, 10, 0))
    assert not cal.is_open(sh(2025, 9, 28, 10, 0))  # no 调休 either
    assert cal.holiday_name(date(2025, 10, 1)) is None


def test_uncovered_year_falls_back_to_weekly_schedule(shop):
    # 2099-10-01 is a Thursday; the package has no data for 2099.
    assert not shop.covered(date(2099, 10, 1))
    assert shop.covered(date(2025, 10, 1))
    assert shop.is_working_day(date(2099, 10, 1))
    assert shop.is_open(sh(2099, 10, 1, 10, 0))
    assert shop.holiday_name(date(2099, 10, 1)) is None
    # Saturday 2099-10-03 after closing: Sunday closed, Monday 2099-10-05 opens as usual.
    assert shop.next_opening(sh(2099, 10, 3, 18, 0)) == sh(2099, 10, 5, 9, 0)
    assert BusinessCalendar("mon-fri 09:00-18:00", follow_china_holidays=False).covered(date(2099, 1, 1))


# --- the shop's own days -------------------------------------------------------------------

def test_shop_closed_days_always_close(shop):
    cal = BusinessCalendar("mon-fri 09:00-18:00", closed_days={date(2025, 11, 25)})
    assert not cal.is_working_day(date(2025, 11, 25))
    assert cal.next_opening(sh(2025, 11, 24, 18, 0)) == sh(2025, 11, 26, 9, 0)
    # Closed beats a make-up working day.
    cal = BusinessCalendar("mon-fri 09:00-18:00", closed_days={date(2025, 9, 28)})
    assert not cal.is_working_day(date(2025, 9, 28))


def test_shop_open_days_always_open():
    cal = BusinessCalendar("mon-fri 09:00-18:00; sat 10:00-16:00",
                           open_days={date(2025, 10, 2), date(2025, 11, 30)})
    assert cal.is_open(sh(2025, 10, 2, 9, 0))  # Thursday in Golden Week, Thursday hours
    assert not cal.is_open(sh(2025, 10, 3, 9, 0))
    assert cal.is_open(sh(2025, 11, 30, 9, 0))  # a Sunday, opened with weekday hours
    assert not cal.is_open(sh(2025, 11, 30, 18, 0))


# --- counting open time --------------------------------------------------------------------

def test_add_minutes_inside_a_day(shop):
    assert shop.add_business_minutes(sh(2025, 11, 24, 10, 0), 15) == sh(2025, 11, 24, 10, 15)


def test_add_minutes_ending_exactly_at_closing(shop):
    assert shop.add_business_minutes(sh(2025, 11, 24, 17, 45), 15) == sh(2025, 11, 24, 18, 0)


def test_add_minutes_across_the_night(shop):
    # 10 minutes before closing on Tuesday, 5 more on Wednesday morning.
    assert shop.add_business_minutes(sh(2025, 11, 25, 17, 50), 15) == sh(2025, 11, 26, 9, 5)


def test_add_minutes_across_the_weekend(weekdays_only, shop):
    # Friday 17:55: 5 minutes on Friday, 10 on Monday.
    assert weekdays_only.add_business_minutes(sh(2025, 11, 28, 17, 55), 15) == sh(2025, 12, 1, 9, 10)
    # A shop open on Saturdays continues at Saturday 10:00.
    assert shop.add_business_minutes(sh(2025, 11, 28, 17, 55), 15) == sh(2025, 11, 29, 10, 10)


def test_add_minutes_starting_while_closed(shop):
    assert shop.add_business_minutes(sh(2025, 11, 30, 20, 0), 15) == sh(2025, 12, 1, 9, 15)
    assert shop.add_business_minutes(sh(2025, 11, 30, 20, 0), 0) == sh(2025, 12, 1, 9, 0)


def test_add_many_minutes_spans_days(weekdays_only):
    # 2 full days (1080 min) + 30: Monday 09:00 → Wednesday 09:30.
    assert weekdays_only.add_business_minutes(sh(2025, 11, 24, 9, 0), 1110) == sh(2025, 11, 26, 9, 30)


def test_add_negative_minutes_is_refused(shop):
    with pytest.raises(ValueError):
        shop.add_business_minutes(sh(2025, 11, 24, 10, 0), -1)


def test_business_minutes_between(weekdays_only):
    friday, monday = sh(2025, 11, 28, 17, 0), sh(2025, 12, 1, 10, 0)
    assert weekdays_only.business_minutes_between(friday, monday) == 120
    assert weekdays_only.business_minutes_between(monday, friday) == -120
    assert weekdays_only.business_minutes_between(sh(2025, 11, 24, 10, 0), sh(2025, 11, 24, 10, 30)) == 30
    assert weekdays_only.business_minutes_between(sh(2025, 11, 29, 10, 0), sh(2025, 11, 30, 10, 0)) == 0


# --- time zones ----------------------------------------------------------------------------

def test_european_shop_with_input_in_utc():
    berlin = BusinessCalendar("mon-fri 09:00-17:00", tz="Europe/Berlin", follow_china_holidays=False)
    # 07:30 UTC on Monday 2025-11-24 is 08:30 in Berlin (CET, UTC+1): closed.
    early = datetime(2025, 11, 24, 7, 30, tzinfo=UTC)
    assert not berlin.is_open(early)
    opening = berlin.next_opening(early)
    assert opening == datetime(2025, 11, 24, 8, 0, tzinfo=UTC)
    assert opening.tzinfo == BERLIN and opening.hour == 9
    assert berlin.is_open(datetime(2025, 11, 24, 8, 0, tzinfo=UTC))
    # 16:30 in Shanghai is 09:30 in Berlin.
    assert berlin.is_open(sh(2025, 11, 24, 16, 30))
    # Golden Week means nothing to this shop.
    assert berlin.is_open(datetime(2025, 10, 1, 10, 0, tzinfo=BERLIN))


def test_european_shop_across_daylight_saving_change():
    berlin = BusinessCalendar("mon-fri 09:00-17:00", tz=ZoneInfo("Europe/Berlin"), follow_china_holidays=False)
    friday = datetime(2026, 3, 27, 16, 50, tzinfo=BERLIN)  # CET, UTC+1
    due = berlin.add_business_minutes(friday, 20)
    assert due == datetime(2026, 3, 30, 7, 10, tzinfo=UTC)  # Monday 09:10 CEST, UTC+2
    assert (due.hour, due.minute) == (9, 10)
    assert berlin.business_minutes_between(friday, due) == 20


# --- no endless search ---------------------------------------------------------------------

def test_calendar_without_any_open_day_raises():
    never = BusinessCalendar({}, follow_china_holidays=False)
    with pytest.raises(NoOpeningError, match="no open hours"):
        never.next_opening(sh(2025, 11, 24, 10, 0))
    with pytest.raises(NoOpeningError):
        never.add_business_minutes(sh(2025, 11, 24, 10, 0), 15)
    assert issubclass(NoOpeningError, ValueError)


def test_long_closure_beyond_search_window_raises():
    cal = BusinessCalendar("daily 09:00-18:00", follow_china_holidays=False,
                           closed_days=parse_dates("2025-11-24..2026-02-28"))
    with pytest.raises(NoOpeningError):
        cal.next_opening(sh(2025, 11, 24, 8, 0))


def test_closure_shorter_than_window_is_found():
    # 50 closed days: 2025-11-24 .. 2026-01-12.
    cal = BusinessCalendar("daily 09:00-18:00", follow_china_holidays=False,
                           closed_days=parse_dates("2025-11-24..2026-01-12"))
    assert cal.next_opening(sh(2025, 11, 24, 8, 0)) == sh(2026, 1, 13, 9, 0)


def test_long_spans_of_open_time_do_not_hit_the_search_limit(weekdays_only):
    # 100 working days of 9 hours: well past 60 calendar days, but never 60 days without opening.
    start = sh(2025, 11, 24, 9, 0)
    due = weekdays_only.add_business_minutes(start, 100 * 540)
    assert due - start > timedelta(days=60)
    assert weekdays_only.business_minutes_between(start, due) == 100 * 540


# --- promise wording -----------------------------------------------------------------------

NOW = sh(2025, 11, 24, 16, 0)  # Monday


@pytest.mark.parametrize("due, expected", [
    (sh(2025, 11, 24, 17, 15), "今天 17:15 前"),
    (sh(2025, 11, 25, 9, 15), "明天（周二）09:15 前"),
    (sh(2025, 11, 26, 9, 15), "后天（周三）09:15 前"),
    (sh(2025, 11, 28, 9, 15), "11月28日（周五）09:15 前"),
    (sh(2026, 1, 5, 9, 15), "2026年1月5日（周一）09:15 前"),
    (sh(2025, 11, 24, 17, 15, 30), "今天 17:16 前"),  # seconds round up, never promise early
    (sh(2025, 11, 24, 23, 59, 30), "明天（周二）00:00 前"),
])
def test_format_promise(due, expected):
    assert format_promise(due, NOW, "Asia/Shanghai") == expected


def test_format_promise_uses_the_shop_time_zone():
    # In UTC these are different days; in Shanghai both are Monday.
    due = datetime(2025, 11, 24, 1, 15, tzinfo=UTC)  # 09:15 Shanghai
    now = datetime(2025, 11, 23, 20, 0, tzinfo=UTC)  # 04:00 Shanghai
    assert format_promise(due, now, SH) == "今天 09:15 前"
    assert format_promise(due, now, "UTC") == "明天（周一）01:15 前"

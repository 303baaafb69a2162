"""Calendar honesty: days the holiday package does not know are found before the shop promises
them, and the promise falls back to the weekly schedule meanwhile. chinese_calendar 1.11.0 knows
2004–2026; these tests pick dates around its last year, and a year far out for safety."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from bot.domain.calendar import BusinessCalendar
from bot.domain.holiday_coverage import holiday_coverage_warning, uncovered_days

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = "mon-fri 09:00-18:00; sat-sun 10:00-18:00"


def last_known_year() -> int:
    year = date.today().year
    while True:
        try:
            chinese_calendar.is_holiday(date(year + 1, 6, 1))
        except NotImplementedError:
            return year
        year += 1


def calendar(**kwargs) -> BusinessCalendar:
    return BusinessCalendar(HOURS, tz="Asia/Shanghai", **kwargs)


def test_no_warning_while_the_next_30_days_are_known():
    year = last_known_year()
    now = datetime(year, 6, 1, 12, tzinfo=SHANGHAI)
    assert holiday_coverage_warning(calendar(), now) is None


def test_warning_names_the_first_unknown_day_and_what_to_do():
    year = last_known_year()
    now = datetime(year, 12, 15, 12, tzinfo=SHANGHAI)
    warning = holiday_coverage_warning(calendar(), now)
    assert warning is not None
    assert warning.first_uncovered == date(year + 1, 1, 1) and warning.years == (year + 1,)
    assert "chinese_calendar" in warning.message and "SHOP_CLOSED_DAYS" in warning.message
    assert warning.as_dict()["code"] == "holiday_data_missing"


def test_a_promise_beyond_the_30_days_is_checked_too():
    year = last_known_year()
    now = datetime(year, 11, 1, 12, tzinfo=SHANGHAI)
    assert holiday_coverage_warning(calendar(), now) is None
    promised = datetime(year + 1, 1, 4, 9, tzinfo=SHANGHAI)
    assert holiday_coverage_warning(calendar(), now, promised=promised).first_uncovered == date(year + 1, 1, 1)


@pytest.mark.parametrize("kwargs", [
    {"follow_china_holidays": False},
    {"closed_days": {date(2027, 1, 1)}, "open_days": set()},  # the shop entered its own days for that year
])
def test_no_warning_when_the_shop_does_not_rely_on_the_package(kwargs):
    if last_known_year() != 2026:
        pytest.skip("written for chinese_calendar's 2026 data")
    now = datetime(2026, 12, 20, 12, tzinfo=SHANGHAI)
    assert holiday_coverage_warning(calendar(**kwargs), now) is None
    assert uncovered_days(calendar(**kwargs), date(2026, 12, 31), date(2027, 1, 2)) == []


def test_the_promise_falls_back_to_the_weekly_schedule_on_an_unknown_day():
    """On New Year's Eve of the last known year, 23:00: the next opening is by the weekly schedule
    (the next morning), although it is most likely a public holiday; that is why the shop is warned."""
    year = last_known_year()
    eve = datetime(year, 12, 31, 23, tzinfo=SHANGHAI)
    cal = calendar()
    opening = cal.next_opening(eve.astimezone(timezone.utc))
    weekly_hours = cal.weekly[date(year + 1, 1, 1).weekday()]
    assert opening.date() == date(year + 1, 1, 1) and opening.time() == weekly_hours[0][0]
    assert not cal.covered(date(year + 1, 1, 1))
    assert holiday_coverage_warning(cal, eve) is not None

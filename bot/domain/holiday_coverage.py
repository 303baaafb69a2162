"""Whether the holiday data covers the days the shop is about to promise, and the warning if not.

The `chinese_calendar` package knows the public holidays and make-up working days (调休) only of
the years published before its release; the State Council announces each year's in November or
December. For a day of a year it does not know, the business calendar falls back to the weekly
schedule (`BusinessCalendar.covered`), which may promise a customer a reply on a public holiday.
This module finds such days in the coming weeks so /healthz and the desk can tell the shop to
update the package or list the days itself (SHOP_CLOSED_DAYS / SHOP_OPEN_DAYS).

A year counts as handled by the shop when SHOP_CLOSED_DAYS or SHOP_OPEN_DAYS name a day of it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain.calendar import BusinessCalendar

LOOKAHEAD_DAYS = 30


@dataclass(frozen=True)
class CoverageWarning:
    first_uncovered: date
    years: tuple[int, ...]
    message: str

    def as_dict(self) -> dict:
        return {"code": "holiday_data_missing", "first_uncovered_day": self.first_uncovered.isoformat(),
                "years": list(self.years), "message": self.message}


def uncovered_days(calendar: BusinessCalendar, start: date, end: date) -> list[date]:
    """Days in [start, end] whose holidays are unknown and that the shop has not decided itself."""
    own_years = {d.year for d in calendar.closed_days | calendar.open_days}
    days, day = [], start
    while day <= end:
        if day.year not in own_years and not calendar.covered(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def holiday_coverage_warning(calendar: BusinessCalendar, now: datetime, promised: datetime | None = None,
                             lookahead_days: int = LOOKAHEAD_DAYS) -> CoverageWarning | None:
    """A warning when a day from today to `lookahead_days` ahead (or to a promised time further
    out) lacks holiday data; None when every such day is covered or holidays are not followed."""
    today = now.astimezone(calendar.tz).date()
    end = today + timedelta(days=lookahead_days)
    if promised is not None:
        end = max(end, promised.astimezone(calendar.tz).date())
    missing = uncovered_days(calendar, today, end)
    if not missing:
        return None
    years = tuple(sorted({d.year for d in missing}))
    year_text = "、".join(f"{year} 年" for year in years)
    message = (f"节假日数据缺少 {year_text}（从 {missing[0].isoformat()} 起）：承诺时间暂按每周营业时间计算，"
               "可能把法定节假日算成工作日。请更新 chinese_calendar 软件包（pip install -U chinese_calendar），"
               "或在 SHOP_CLOSED_DAYS / SHOP_OPEN_DAYS 中填写该年的放假和调休日期。")
    return CoverageWarning(missing[0], years, message)

"""The shop's business calendar: when people are at work, and how promises are counted.

A calendar is a weekly schedule in the shop's time zone, adjusted day by day:

1. the shop's own `closed_days` always close and its `open_days` always open;
2. with `follow_china_holidays`, mainland public holidays close and make-up working days (调休,
   a weekend day that is a working day) open, both from the `chinese_calendar` package;
3. otherwise the weekly schedule applies.

Days that open "as a working day" (调休, and `open_days` falling on a weekend or on a weekday
without hours) use the hours of a normal weekday: Monday's, or the first weekday (Mon–Fri)
that has hours; an `open_days` date on a weekday with hours keeps that weekday's hours.

`chinese_calendar` only knows the years it was released for; outside them it raises
NotImplementedError, the calendar falls back to the weekly schedule and `covered(d)` turns
False so the caller can warn that holidays may be missing.

Every computation converts to UTC before doing arithmetic: aware datetimes that share a tzinfo
subtract as wall-clock times in Python, which would be wrong across a DST change (a Berlin shop).
Open intervals are half-open: with hours 09:00-18:00, 17:59 is open and 18:00 is closed.

`format_promise` turns a due time into the concrete Chinese wording a customer reads.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

# How far ahead a search may look without meeting an open minute; a schedule with nothing open
# (every day closed) must fail loudly instead of looping forever.
MAX_SEARCH_DAYS = 60

# A range in `parse_dates` longer than this is almost surely a typo (2026 → 2062).
MAX_DATE_RANGE_DAYS = 366

END_OF_DAY = time.max  # how "24:00" is represented: datetime.time cannot hold hour 24

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

WEEKLY_FORM = ("expected e.g. 'mon-fri 09:00-18:00; sat 10:00-16:00' or 'mon,wed,fri 08:00-20:00' or "
               "'daily 09:00-12:00,13:30-22:00' (days mon..sun, ranges like mon-fri, or daily; "
               "times HH:MM-HH:MM, 24:00 allowed as an end)")
DATES_FORM = "expected comma-separated YYYY-MM-DD dates or ranges YYYY-MM-DD..YYYY-MM-DD"

WeeklyHours = dict[int, list[tuple[time, time]]]

_DAY_ALIASES = {name: i for i, name in enumerate(WEEKDAY_NAMES)}
_DAY_ALIASES.update({full: i for i, full in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))})
_DAY_GROUPS = {"daily": range(7), "weekdays": range(5), "weekends": range(5, 7)}
_CLAUSE = re.compile(r"^(?P<days>[A-Za-z][A-Za-z,\-\s]*?)\s+(?P<ranges>\d.*)$")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class NoOpeningError(ValueError):
    """The calendar has no open minute within MAX_SEARCH_DAYS: the schedule is misconfigured."""


# --- parsing -------------------------------------------------------------------------------

def parse_weekly_hours(spec: str) -> WeeklyHours:
    """Parses 'mon-fri 09:00-18:00; sat 10:00-16:00' into {weekday: [(start, end), ...]}.

    Weekday 0 is Monday; all seven keys are present (an empty list is a closed day); intervals
    are sorted. An end of 24:00 is returned as `END_OF_DAY` (time.max). The same day may appear
    in several clauses as long as its intervals do not overlap.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"business hours are empty; {WEEKLY_FORM}")
    weekly: WeeklyHours = {day: [] for day in range(7)}
    for clause in spec.split(";"):
        clause = clause.strip()
        if not clause:
            continue  # tolerate a trailing ';'
        match = _CLAUSE.match(clause)
        if not match:
            raise ValueError(f"cannot read {clause!r}; {WEEKLY_FORM}")
        days = _parse_days(match.group("days"), clause)
        ranges = [_parse_range(part.strip(), clause) for part in match.group("ranges").split(",")]
        for day in days:
            weekly[day].extend(ranges)
    for intervals in weekly.values():
        intervals.sort()
    _check_intervals(weekly, f" in {spec!r}")
    return weekly


def _check_intervals(weekly: Mapping[int, Sequence[tuple[time, time]]], where: str = "") -> None:
    """Rejects empty or overlapping intervals; they would make open time count twice."""
    for day, intervals in weekly.items():
        for start, end in intervals:
            if end <= start:
                raise ValueError(f"hours {start}-{end} on {WEEKDAY_NAMES[day]} end before they start"
                                 f"{where}; {WEEKLY_FORM}")
        for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False):
            if start < end:
                raise ValueError(f"overlapping hours on {WEEKDAY_NAMES[day]}{where}; {WEEKLY_FORM}")


def _parse_days(text: str, clause: str) -> list[int]:
    days: list[int] = []
    for item in text.replace(" ", "").lower().split(","):
        if item in _DAY_GROUPS:
            days.extend(_DAY_GROUPS[item])
            continue
        first, sep, last = item.partition("-")
        if first not in _DAY_ALIASES or (sep and last not in _DAY_ALIASES):
            raise ValueError(f"unknown day {item!r} in {clause!r}; {WEEKLY_FORM}")
        start = _DAY_ALIASES[first]
        end = _DAY_ALIASES[last] if sep else start
        if end < start:
            # 'fri-mon' is more likely a typo for 'mon-fri' than a wrap-around; refuse to guess.
            raise ValueError(f"day range {item!r} goes backwards in {clause!r}; {WEEKLY_FORM}")
        days.extend(range(start, end + 1))
    if len(set(days)) != len(days):
        raise ValueError(f"a day is listed twice in {clause!r}; {WEEKLY_FORM}")
    return days


def _parse_range(text: str, clause: str) -> tuple[time, time]:
    match = _RANGE.match(text)
    if not match:
        raise ValueError(f"cannot read time range {text!r} in {clause!r}; {WEEKLY_FORM}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise ValueError(f"invalid time in {text!r} in {clause!r}; {WEEKLY_FORM}")
    start = time(h1, m1)
    end = END_OF_DAY if h2 == 24 else time(h2, m2)
    if end <= start:
        raise ValueError(f"range {text!r} ends before it starts in {clause!r}; {WEEKLY_FORM}")
    return start, end


def parse_dates(spec: str) -> set[date]:
    """Parses '2026-10-01, 2026-12-24..2026-12-26' into a set of dates; blank gives an empty set."""
    if not isinstance(spec, str):
        raise ValueError(DATES_FORM)
    result: set[date] = set()
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        first, sep, last = item.partition("..")
        start = _parse_date(first.strip(), item)
        end = _parse_date(last.strip(), item) if sep else start
        if end < start:
            raise ValueError(f"date range {item!r} ends before it starts; {DATES_FORM}")
        if (end - start).days > MAX_DATE_RANGE_DAYS:
            raise ValueError(f"date range {item!r} is longer than {MAX_DATE_RANGE_DAYS} days; {DATES_FORM}")
        result.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return result


def _parse_date(text: str, item: str) -> date:
    if not _DATE.match(text):
        raise ValueError(f"cannot read date {text!r} in {item!r}; {DATES_FORM}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"no such date {text!r} in {item!r}; {DATES_FORM}") from None


# --- the calendar --------------------------------------------------------------------------

class BusinessCalendar:
    """Open and closed time of one shop; every method takes aware datetimes in any zone."""

    def __init__(
        self,
        weekly: Mapping[int, Sequence[tuple[time, time]]] | str,
        tz: str | ZoneInfo = "Asia/Shanghai",
        closed_days: Iterable[date] = (),
        open_days: Iterable[date] = (),
        follow_china_holidays: bool = True,
    ) -> None:
        if isinstance(weekly, str):
            weekly = parse_weekly_hours(weekly)
        self.weekly: WeeklyHours = {day: sorted(weekly.get(day, ())) for day in range(7)}
        _check_intervals(self.weekly)
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.closed_days = frozenset(closed_days)
        self.open_days = frozenset(open_days)
        self.follow_china_holidays = follow_china_holidays
        self._workday_hours = self._pick_workday_hours()
        self._covered_years: dict[int, bool] = {}

    def _pick_workday_hours(self) -> list[tuple[time, time]]:
        for day in range(5):
            if self.weekly[day]:
                return self.weekly[day]
        # A weekend-only shop still needs hours for a make-up day; its first open day is the
        # closest thing to "a normal working day" it has.
        for day in range(5, 7):
            if self.weekly[day]:
                return self.weekly[day]
        return []

    # -- days ------------------------------------------------------------------------------

    def covered(self, d: date) -> bool:
        """False when holidays are followed but `chinese_calendar` has no data for d's year."""
        if not self.follow_china_holidays:
            return True
        if d.year not in self._covered_years:
            try:
                chinese_calendar.is_holiday(d)
                self._covered_years[d.year] = True
            except NotImplementedError:
                self._covered_years[d.year] = False
        return self._covered_years[d.year]

    def _china_detail(self, d: date) -> tuple[bool, str | None] | None:
        """(is_holiday, english_name) from chinese_calendar, or None when not followed/covered."""
        if not self.covered(d) or not self.follow_china_holidays:
            return None
        return chinese_calendar.get_holiday_detail(d)

    def hours_on(self, d: date) -> list[tuple[time, time]]:
        """The opening hours that apply on d (shop-local), after holidays and shop exceptions."""
        if d in self.closed_days:
            return []
        own = self.weekly[d.weekday()]
        if d in self.open_days:
            return own if d.weekday() < 5 and own else self._workday_hours
        detail = self._china_detail(d)
        if detail is not None:
            is_holiday, name = detail
            if is_holiday and name is not None:
                return []  # a public holiday (weekends inside Golden Week included)
            if not is_holiday and d.weekday() >= 5:
                return self._workday_hours  # 调休: a weekend day worked like a weekday
        return own

    def is_working_day(self, d: date) -> bool:
        """Whether the shop opens at all on d (its own schedule, not only the state calendar)."""
        return bool(self.hours_on(d))

    def holiday_name(self, d: date) -> str | None:
        """Chinese name of the public holiday d is a day off for (国庆节); None otherwise.

        None too on make-up working days, plain weekends, uncovered years, and when holidays
        are not followed.
        """
        detail = self._china_detail(d)
        if detail is None:
            return None
        is_holiday, name = detail
        if not is_holiday or name is None:
            return None
        return HOLIDAY_NAMES_ZH.get(name, name)

    def _intervals_utc(self, d: date) -> list[tuple[datetime, datetime]]:
        result = []
        for start, end in self.hours_on(d):
            begin = datetime.combine(d, start, tzinfo=self.tz)
            finish = (datetime.combine(d + timedelta(days=1), time(0), tzinfo=self.tz)
                      if end == END_OF_DAY else datetime.combine(d, end, tzinfo=self.tz))
            result.append((begin.astimezone(timezone.utc), finish.astimezone(timezone.utc)))
        return result

    # -- moments ---------------------------------------------------------------------------

    def _local_utc(self, t: datetime) -> tuple[date, datetime]:
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"{t!r} has no time zone; the calendar needs aware datetimes")
        return t.astimezone(self.tz).date(), t.astimezone(timezone.utc)

    def is_open(self, t: datetime) -> bool:
        """Whether t falls inside an open interval (start included, end excluded)."""
        day, now = self._local_utc(t)
        return any(start <= now < end for start, end in self._intervals_utc(day))

    def _open_intervals_from(self, t: datetime):
        """Yields the open intervals (UTC) that end after t, in order; raises after a long gap."""
        day, now = self._local_utc(t)
        empty_days = 0
        while True:
            found = False
            for start, end in self._intervals_utc(day):
                if end > now:
                    found = True
                    yield start, end
            empty_days = 0 if found else empty_days + 1
            if empty_days > MAX_SEARCH_DAYS:
                raise NoOpeningError(
                    f"the shop has no open hours in the {MAX_SEARCH_DAYS} days after {t.isoformat()}; "
                    "check the business hours and closed days")
            day += timedelta(days=1)

    def next_opening(self, t: datetime) -> datetime:
        """t itself when open, else the start of the next open interval; in the calendar's tz."""
        _, now = self._local_utc(t)
        for start, _ in self._open_intervals_from(t):
            return max(start, now).astimezone(self.tz)
        raise AssertionError("unreachable: the search either yields or raises")

    def add_business_minutes(self, t: datetime, minutes: float) -> datetime:
        """The moment `minutes` of open time after t (counting from the next opening if closed).

        A span that ends exactly at closing time returns the closing time: the work fits in
        that day, so the promise need not move to the next morning.
        """
        if minutes < 0:
            raise ValueError(f"minutes must not be negative, got {minutes}")
        _, now = self._local_utc(t)
        remaining = timedelta(minutes=minutes)
        for start, end in self._open_intervals_from(t):
            begin = max(start, now)
            if remaining <= end - begin:
                return (begin + remaining).astimezone(self.tz)
            remaining -= end - begin
        raise AssertionError("unreachable: the search either yields or raises")

    def business_minutes_between(self, a: datetime, b: datetime) -> float:
        """Open minutes in [a, b); negative when b is before a."""
        if b < a:
            return -self.business_minutes_between(b, a)
        day, start_utc = self._local_utc(a)
        last_day, end_utc = self._local_utc(b)
        total = timedelta()
        while day <= last_day:
            for start, end in self._intervals_utc(day):
                overlap = min(end, end_utc) - max(start, start_utc)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total.total_seconds() / 60


# --- wording -------------------------------------------------------------------------------

def format_promise(t: datetime, now: datetime, tz: str | ZoneInfo) -> str:
    """The concrete time a customer reads: '今天 17:15 前', '明天（周二）09:15 前',
    '后天（周三）09:15 前', '11月28日（周五）09:15 前' ('2027年1月4日（周一）…' in another year).

    Seconds round up to the next minute so the stated time is never earlier than the real due
    time: a promise of '17:15 前' for 17:15:30 would be broken by the shop on time.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    if t.second or t.microsecond:
        t = t.replace(second=0, microsecond=0) + timedelta(minutes=1)
    local = t.astimezone(zone)
    today = now.astimezone(zone).date()
    clock = local.strftime("%H:%M")
    weekday = WEEKDAY_ZH[local.weekday()]
    days = (local.date() - today).days
    if days == 0:
        return f"今天 {clock} 前"
    if days == 1:
        return f"明天（{weekday}）{clock} 前"
    if days == 2:
        return f"后天（{weekday}）{clock} 前"
    day_text = f"{local.month}月{local.day}日"
    if local.year != today.year:
        day_text = f"{local.year}年{day_text}"
    return f"{day_text}（{weekday}）{clock} 前"

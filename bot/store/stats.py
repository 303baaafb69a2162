"""Statistics queries: every number of `GET /api/stats` counted, summed or ranked in the database.

Each function takes a connection and a window [start, end) of creation times (aware datetimes;
the service turns the shop-local dates into it) and returns plain numbers; nothing here loads
tickets into Python. Shop-local hours and days need the shop's UTC offset, which SQLite cannot
look up: `offset_segments()` finds the offsets that apply within the window (one for most zones,
more across a daylight-saving change) and `local_hour_bucket()` turns them into a SQL expression,
so `hourly_counts()` groups by the shop-local "YYYY-MM-DD HH" in both SQLite and PostgreSQL.

Medians use window functions (SQLite ≥ 3.25, PostgreSQL): rows ranked by the value, the middle
one or two averaged.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, and_, case, func, literal, literal_column, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from bot.domain.intake import WITHDRAWN
from bot.store import schema
from bot.store.tickets import ACTIVE_STATUSES, DONE_STATUSES, naive_utc, overdue_condition

t = schema.tickets


@dataclass(frozen=True)
class Window:
    """Tickets created in [start, end) (aware datetimes); `now` decides what is due or overdue.

    `full_scan` (SQLite only): read the table instead of the creation-time index (`with_best_access`).
    """

    start: datetime
    end: datetime
    now: datetime
    full_scan: bool = False

    @property
    def created(self):
        # SQLite's unary + keeps the value and hides the column from the index planner.
        column = UnaryExpression(t.c.created_at, operator=custom_op("+"), type_=DateTime) \
            if self.full_scan else t.c.created_at
        return and_(column >= naive_utc(self.start), column < naive_utc(self.end))


def with_best_access(conn: Connection, window: Window) -> Window:
    """SQLite without range statistics walks `ix_tickets_created_at` and looks every row up in the
    table, which costs several times a plain scan once the window holds a good part of the tickets
    (a year of a year's data: 3–5 ×, docs/BENCHMARKS.md). Then the table is scanned instead; the
    index is still used to count the window (it covers the column). PostgreSQL's planner has the
    statistics to choose by itself."""
    if conn.dialect.name != "sqlite":
        return window
    in_window = conn.execute(select(func.count()).where(window.created)).scalar_one()
    everything = conn.execute(select(func.count()).select_from(t)).scalar_one()
    return replace(window, full_scan=in_window * 4 >= everything and in_window > 1000)


# -- shop-local time in SQL ---------------------------------------------------------------------

def offset_segments(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[datetime | None, int]]:
    """The zone's UTC offsets over [start, end): [(until, seconds)], `until` naive UTC (exclusive),
    None for the last segment. Checked every 6 hours (no zone changes its offset twice within
    6 hours), each change pinned to the second."""
    def offset(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds())

    moment = start.astimezone(timezone.utc)
    finish = end.astimezone(timezone.utc)
    current = offset(moment)
    segments: list[tuple[datetime | None, int]] = []
    while moment < finish:
        step = min(moment + timedelta(hours=6), finish)
        if offset(step) != current:
            # whole seconds: offset(low) == current != offset(high), until high is the change's first second
            low, high = int(moment.timestamp()), int(step.timestamp()) + 1
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(datetime.fromtimestamp(middle, timezone.utc)) == current \
                    else (low, middle)
            change = datetime.fromtimestamp(high, timezone.utc)
            segments.append((naive_utc(change), current))
            current = offset(change)
        moment = step
    segments.append((None, current))
    return segments


def _by_segment(column, segments: list[tuple[datetime | None, int]], value):
    """`value(offset)` for the segment `column` falls in, as SQL (a plain literal for one offset)."""
    if len(segments) == 1:
        return literal(value(segments[0][1]))
    return case(*[(column < literal(until), literal(value(offset))) for until, offset in segments[:-1]],
                else_=literal(value(segments[-1][1])))


def local_hour_bucket(column, segments: list[tuple[datetime | None, int]], dialect: str):
    """SQL text 'YYYY-MM-DD HH' of `column` (naive UTC) in the shop's time."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%d %H", column, _by_segment(column, segments, lambda s: f"{s:+d} seconds"))
    shifted = column + func.make_interval(0, 0, 0, 0, 0, 0, _by_segment(column, segments, float))
    return func.to_char(shifted, "YYYY-MM-DD HH24")


def _minutes(later, earlier, dialect: str):
    # Constants inline, so the database sees one expression wherever it is repeated.
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * literal_column("1440.0")
    # date_part is double precision; EXTRACT is numeric since PostgreSQL 14, several times slower to sort.
    return func.date_part("epoch", later - earlier) / literal_column("60.0")


# -- counts -------------------------------------------------------------------------------------

def _flag(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sla(event, due, now: datetime) -> dict[str, Any]:
    """The conditions of a promise kept, missed and not yet due (summed by the caller)."""
    moment = naive_utc(now)
    return {
        "met": and_(event.is_not(None), event <= due),
        # Late, or still not done once the due time has passed: unanswered tickets count.
        "missed": or_(event > due, and_(event.is_(None), due < moment)),
        "pending": and_(event.is_(None), due >= moment),
    }


def _kept():
    """Not withdrawn by the customer during the intake: a withdrawn record was closed by the system
    with nobody owing an answer, so it counts in no promise, resolution or median."""
    return or_(t.c.intake.is_(None), t.c.intake != WITHDRAWN)


def summary_by_issue_type(conn: Connection, window: Window) -> dict[str, dict[str, int]]:
    """One pass over the window's tickets, per issue type: counts, both promises (met/missed/pending),
    ratings (count, sum, per score), repeat contacts. The service adds the types up for the totals."""
    kept = _kept()
    first = {key: _flag(and_(kept, condition)) for key, condition in
             _sla(t.c.first_responded_at, t.c.first_response_due, window.now).items()}
    resolution = {key: _flag(and_(kept, condition)) for key, condition in
                  _sla(t.c.resolved_at, t.c.resolution_due, window.now).items()}
    columns = {
        "tickets": func.count(),
        "open": _flag(t.c.status.in_(ACTIVE_STATUSES)),
        "overdue": _flag(overdue_condition(window.now)),
        "resolved": _flag(and_(kept, t.c.status.in_(DONE_STATUSES))),
        "withdrawn": _flag(t.c.intake == WITHDRAWN),
        "handoffs": _flag(t.c.handoff_requested.is_(True)),
        "off_hours": _flag(t.c.off_hours.is_(True)),
        "repeat_contacts": _flag(t.c.repeat_contacts > 0),
        **{f"first_response_{key}": value for key, value in first.items()},
        **{f"resolution_{key}": value for key, value in resolution.items()},
        "responded": func.count(t.c.first_responded_at),
        "resolutions": _flag(and_(kept, t.c.resolved_at.is_not(None))),
        "csat_count": func.count(t.c.csat),
        "csat_sum": func.coalesce(func.sum(t.c.csat), 0),
        **{f"csat_{score}": _flag(t.c.csat == score) for score in range(1, 6)},
    }
    query = (select(t.c.issue_type, *[value.label(key) for key, value in columns.items()])
             .where(window.created).group_by(t.c.issue_type))
    return {row["issue_type"]: {key: int(row[key] or 0) for key in columns}
            for row in conn.execute(query).mappings()}


def counts_by_issue_type(conn: Connection, window: Window) -> dict[str, int]:
    query = select(t.c.issue_type, func.count()).where(window.created).group_by(t.c.issue_type)
    return {issue_type: int(count) for issue_type, count in conn.execute(query)}


def hourly_counts(conn: Connection, window: Window, zone: ZoneInfo) -> dict[tuple[date, int], int]:
    """Tickets per shop-local hour: {(date, hour): count} (hours without tickets left out).

    With whole-hour offsets (nearly every zone) the database groups by the UTC hour, the cheapest
    grouping there is, and each hour is moved to the shop's clock here (at most 24 × 366 of them);
    zones with half-hour offsets are shifted in SQL.
    """
    window = replace(window, full_scan=False)  # the index holds the only column needed
    segments = offset_segments(window.start, window.end, zone)
    dialect = conn.dialect.name
    counts: dict[tuple[date, int], int] = {}
    if any(offset % 3600 for _until, offset in segments):
        bucket = local_hour_bucket(t.c.created_at, segments, dialect).label("bucket")
        for key, count in conn.execute(select(bucket, func.count()).where(window.created).group_by("bucket")):
            counts[(date(int(key[:4]), int(key[5:7]), int(key[8:10])), int(key[11:13]))] = int(count)
        return counts
    utc_hour = (func.strftime("%Y-%m-%d %H", t.c.created_at) if dialect == "sqlite"
                else func.to_char(t.c.created_at, "YYYY-MM-DD HH24")).label("bucket")
    shifts = [(until, timedelta(seconds=offset)) for until, offset in segments]
    for key, count in conn.execute(select(utc_hour, func.count()).where(window.created).group_by("bucket")):
        hour = datetime(int(key[:4]), int(key[5:7]), int(key[8:10]), int(key[11:13]))
        local = hour + next(shift for until, shift in shifts if until is None or hour < until)
        counts[(local.date(), local.hour)] = counts.get((local.date(), local.hour), 0) + int(count)
    return counts


def low_rating_comments(conn: Connection, window: Window, max_score: int, limit: int) -> list[dict]:
    """The newest ratings of `max_score` or less that came with a comment (raw text: mask it)."""
    query = (select(t.c.id, t.c.csat, t.c.csat_comment, t.c.csat_at, t.c.issue_type, t.c.assignee)
             .where(window.created, t.c.csat <= max_score, t.c.csat_comment.is_not(None), t.c.csat_comment != "")
             .order_by(t.c.csat_at.desc(), t.c.id.desc()).limit(limit))
    return [dict(row) for row in conn.execute(query).mappings()]


# -- medians ------------------------------------------------------------------------------------

def _median(conn: Connection, value, conditions: list, count: int) -> float | None:
    """Median of `value` over the `count` rows matching: the middle one or two, found by the
    database's sort (ORDER BY … LIMIT/OFFSET needs no window over all rows)."""
    if count <= 0:
        return None
    query = (select(value.label("value")).where(*conditions).order_by("value")
             .limit(2 - count % 2).offset((count - 1) // 2))
    middle = [float(row[0]) for row in conn.execute(query)]
    return sum(middle) / len(middle) if middle else None


def median_first_response_minutes(conn: Connection, window: Window, responded: int) -> float | None:
    minutes = _minutes(t.c.first_responded_at, t.c.created_at, conn.dialect.name)
    return _median(conn, minutes, [window.created, t.c.first_responded_at.is_not(None)], responded)


def median_resolution_hours(conn: Connection, window: Window, resolved: int) -> float | None:
    minutes = _minutes(t.c.resolved_at, t.c.created_at, conn.dialect.name)
    found = _median(conn, minutes, [window.created, t.c.resolved_at.is_not(None), _kept()], resolved)
    return None if found is None else found / 60


def _medians_by(conn: Connection, value, conditions: list, partition) -> dict[Any, float]:
    """{partition value: median of `value`}: rows ranked within each partition by window functions."""
    rows = select(value.label("value"), partition.label("part")).where(*conditions).subquery()
    ranked = select(
        rows.c.value, rows.c.part,
        func.row_number().over(partition_by=rows.c.part, order_by=rows.c.value).label("rank"),
        func.count().over(partition_by=rows.c.part).label("n"),
    ).subquery()
    middle = and_(ranked.c.rank * 2 >= ranked.c.n, ranked.c.rank * 2 <= ranked.c.n + 2)
    query = select(ranked.c.part, func.avg(ranked.c.value)).where(middle).group_by(ranked.c.part)
    return {part: float(average) for part, average in conn.execute(query)}


def by_agent(conn: Connection, window: Window) -> list[dict[str, Any]]:
    """Per assignee: tickets handled, median first response (minutes), ratings (count, sum)."""
    query = (select(t.c.assignee, func.count().label("handled"), func.count(t.c.csat).label("csat_count"),
                    func.coalesce(func.sum(t.c.csat), 0).label("csat_sum"))
             .where(window.created, t.c.assignee.is_not(None)).group_by(t.c.assignee))
    rows = [dict(row) for row in conn.execute(query).mappings()]
    if not rows:
        return rows
    minutes = _minutes(t.c.first_responded_at, t.c.created_at, conn.dialect.name)
    medians = _medians_by(conn, minutes, [window.created, t.c.assignee.is_not(None),
                                          t.c.first_responded_at.is_not(None)], t.c.assignee)
    for row in rows:
        row["median_first_response_minutes"] = medians.get(row["assignee"])
    return rows


# -- early warning and the digest ---------------------------------------------------------------

def first_ticket_at(conn: Connection) -> datetime | None:
    value = conn.execute(select(func.min(t.c.created_at))).scalar()
    if isinstance(value, str):  # SQLite hands back text for an aggregate of a DATETIME column
        value = datetime.fromisoformat(value)
    return None if value is None else value.replace(tzinfo=timezone.utc)


def latest_descriptions(conn: Connection, issue_type: str, window: Window, limit: int = 3) -> list[str]:
    """The customer's words of the newest tickets of one type (raw text: mask it)."""
    query = (select(t.c.description).where(window.created, t.c.issue_type == issue_type)
             .order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit))
    return [row[0] for row in conn.execute(query)]


def open_counts(conn: Connection, now: datetime) -> dict[str, int]:
    """Right now, over all tickets: open and overdue, open and urgent."""
    query = select(_flag(overdue_condition(now)).label("overdue"),
                   _flag(t.c.priority == "urgent").label("urgent")).where(t.c.status.in_(ACTIVE_STATUSES))
    row = conn.execute(query).mappings().one()
    return {"overdue": int(row["overdue"]), "urgent": int(row["urgent"])}

"""Team notices sent at most once: one row per (kind, subject, shop-local day) in `team_notices`.

The early warning (one message per spiking type and day) and the daily digest (one per day) run
in every bot-service process; whoever inserts the row first sends, the primary key turns every
other insert away, on SQLite and PostgreSQL alike. A claim whose sender died before it finished
(`sent_at` still empty after CLAIM_TIMEOUT) may be taken over; a failed send gives its claim back
so a later pass tries again.

The table is this module's own (not yet in bot/store/migrations.py): `ensure_table()` creates it
when missing, under PostgreSQL's advisory lock like the migrations, so replicas starting together
do not both create it.
"""
from __future__ import annotations

import logging
import weakref
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, MetaData, String, Table, and_, delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from bot.store.tickets import naive_utc

log = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=10)
_ADVISORY_LOCK = 7246816  # migrations use 7246815

metadata = MetaData()
team_notices = Table(
    "team_notices", metadata,
    Column("kind", String(16), primary_key=True),  # spike | digest
    Column("subject", String(64), primary_key=True),  # the issue type of a spike; "-" for the digest
    Column("day", String(10), primary_key=True),  # shop-local YYYY-MM-DD
    Column("claimed_at", DateTime(timezone=False), nullable=False),  # UTC, naive
    Column("sent_at", DateTime(timezone=False), nullable=True),
)

_ready: weakref.WeakSet[Engine] = weakref.WeakSet()


def ensure_table(engine: Engine) -> None:
    if engine in _ready:
        return
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK})")
            team_notices.create(conn, checkfirst=True)
    except (OperationalError, ProgrammingError):  # SQLite: another process created it meanwhile
        with engine.connect() as conn:
            if not engine.dialect.has_table(conn, "team_notices"):
                raise
    _ready.add(engine)


def _key(kind: str, subject: str, day: str):
    c = team_notices.c
    return and_(c.kind == kind, c.subject == subject, c.day == day)


def claim(engine: Engine, kind: str, subject: str, day: str, now: datetime) -> bool:
    """True when this caller is to send the notice (nobody sent it, nobody else is sending it)."""
    ensure_table(engine)
    moment = naive_utc(now)
    try:
        with engine.begin() as conn:
            conn.execute(team_notices.insert().values(kind=kind, subject=subject, day=day, claimed_at=moment))
        return True
    except IntegrityError:
        pass
    except OperationalError as exc:  # SQLite busy beyond its timeout: the next pass tries again
        log.warning("notice %s/%s/%s: could not claim: %s", kind, subject, day, exc)
        return False
    c = team_notices.c
    with engine.begin() as conn:  # a claim left behind by a sender that died may be taken over
        taken = conn.execute(update(team_notices).where(
            _key(kind, subject, day), c.sent_at.is_(None), c.claimed_at < moment - CLAIM_TIMEOUT)
            .values(claimed_at=moment))
    return taken.rowcount == 1


def mark_sent(engine: Engine, kind: str, subject: str, day: str, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(update(team_notices).where(_key(kind, subject, day)).values(sent_at=naive_utc(now)))


def release(engine: Engine, kind: str, subject: str, day: str) -> None:
    """Gives a claim back after a failed send, so a later pass (of any process) retries."""
    with engine.begin() as conn:
        conn.execute(delete(team_notices).where(_key(kind, subject, day), team_notices.c.sent_at.is_(None)))


def sent(engine: Engine, kind: str, day: str) -> set[str]:
    """Subjects of the notices of one kind already sent on `day`."""
    ensure_table(engine)
    c = team_notices.c
    with engine.connect() as conn:
        rows = conn.execute(team_notices.select().where(c.kind == kind, c.day == day, c.sent_at.is_not(None)))
        return {row.subject for row in rows}

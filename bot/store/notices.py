"""Team notices sent at most once: one row per (kind, subject, shop-local day) in `team_notices`.

The early warning (one message per spiking type and day) and the daily digest (one per day) run
in every bot-service process; whoever inserts the row first sends, the primary key turns every
other insert away, on SQLite and PostgreSQL alike. A claim whose sender died before it finished
(`sent_at` still empty after CLAIM_TIMEOUT) may be taken over; a failed send gives its claim back
so a later pass tries again.

The table is `schema.team_notices` (migration 0004).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.store.schema import team_notices
from bot.store.tickets import naive_utc

log = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=10)

def _key(kind: str, subject: str, day: str):
    c = team_notices.c
    return and_(c.kind == kind, c.subject == subject, c.day == day)


def claim(engine: Engine, kind: str, subject: str, day: str, now: datetime) -> bool:
    """True when this caller is to send the notice (nobody sent it, nobody else is sending it)."""
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
    c = team_notices.c
    with engine.connect() as conn:
        rows = conn.execute(team_notices.select().where(c.kind == kind, c.day == day, c.sent_at.is_not(None)))
        return {row.subject for row in rows}

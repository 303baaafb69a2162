"""Agent accounts and their login sessions. Mixed into `Store` (bot.store.db).

Passwords arrive here already hashed (bot.web.passwords); session tokens arrive already hashed
(bot.web.auth), so nothing in these tables lets anyone log in.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.store import schema
from bot.store.rows import aware_utc, naive_utc


class AgentExists(ValueError):
    """An agent with that name already exists."""


def _agent_dict(row, with_hash: bool = False) -> dict:
    agent = {"name": row["name"], "display_name": row["display_name"], "active": bool(row["active"]),
             "created_at": aware_utc(row["created_at"])}
    if with_hash:
        agent["password_hash"] = row["password_hash"]
    return agent


class AgentStore:
    """Agent methods of `Store`; needs `self.engine`."""

    engine: Any

    def create_agent(self, name: str, display_name: str, password_hash: str, now: datetime) -> dict:
        try:
            with self.engine.begin() as conn:
                conn.execute(schema.agents.insert().values(
                    name=name, display_name=display_name, password_hash=password_hash, active=True,
                    created_at=naive_utc(now)))
        except IntegrityError:
            raise AgentExists(name) from None
        return self.get_agent(name)

    def get_agent(self, name: str, with_hash: bool = False) -> dict | None:
        a = schema.agents
        with self.engine.connect() as conn:
            row = conn.execute(select(a).where(a.c.name == name)).mappings().first()
        return _agent_dict(row, with_hash) if row else None

    def list_agents(self) -> list[dict]:
        a = schema.agents
        with self.engine.connect() as conn:
            return [_agent_dict(row) for row in conn.execute(select(a).order_by(a.c.name)).mappings()]

    def update_agent(self, name: str, *, display_name: str | None = None, password_hash: str | None = None,
                     active: bool | None = None) -> bool:
        """Changes what is given; disabling an agent or changing the password ends their sessions."""
        values: dict[str, Any] = {}
        if display_name is not None:
            values["display_name"] = display_name
        if password_hash is not None:
            values["password_hash"] = password_hash
        if active is not None:
            values["active"] = active
        if not values:
            return self.get_agent(name) is not None
        with self.engine.begin() as conn:
            result = conn.execute(update(schema.agents).where(schema.agents.c.name == name).values(**values))
            if password_hash is not None or active is False:
                conn.execute(delete(schema.agent_sessions).where(schema.agent_sessions.c.agent_name == name))
        return result.rowcount > 0

    # -- login sessions ----------------------------------------------------------------------
    def create_agent_session(self, token_hash: str, agent_name: str, csrf_token: str, now: datetime,
                             expires_at: datetime) -> None:
        s = schema.agent_sessions
        with self.engine.begin() as conn:
            conn.execute(delete(s).where(s.c.expires_at < naive_utc(now)))  # keep the table small
            conn.execute(s.insert().values(token_hash=token_hash, agent_name=agent_name, csrf_token=csrf_token,
                                           created_at=naive_utc(now), expires_at=naive_utc(expires_at)))

    def agent_for_session(self, token_hash: str, now: datetime) -> tuple[dict, str] | None:
        """(agent, csrf token) of a live session of an active agent, else None."""
        s, a = schema.agent_sessions, schema.agents
        query = (select(a, s.c.csrf_token).select_from(s.join(a, a.c.name == s.c.agent_name))
                 .where(s.c.token_hash == token_hash, s.c.expires_at > naive_utc(now), a.c.active.is_(True)))
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return (_agent_dict(row), row["csrf_token"]) if row else None

    def delete_agent_session(self, token_hash: str) -> None:
        s = schema.agent_sessions
        with self.engine.begin() as conn:
            conn.execute(delete(s).where(s.c.token_hash == token_hash))

    # -- failed logins (bot.web.auth LoginThrottle) ----------------------------------------------
    def login_blocked_until(self, key: str) -> datetime | None:
        f = schema.login_failures
        with self.engine.connect() as conn:
            value = conn.execute(select(f.c.blocked_until).where(f.c.key == key)).scalar()
        return aware_utc(value)

    def record_login_failure(self, key: str, now: datetime, forget_before: datetime,
                             back_off: Callable[[int], timedelta]) -> datetime | None:
        """One more failed login for `key` (failures before `forget_before` are forgotten); stores
        and returns until when `back_off(failures)` blocks it, None when it does not."""
        f = schema.login_failures
        for attempt in range(2):
            try:
                with self.engine.begin() as conn:
                    conn.execute(delete(f).where(f.c.last_failed_at < naive_utc(forget_before)))
                    row = conn.execute(select(f.c.failures).where(f.c.key == key).with_for_update()).first()
                    failures = (row.failures if row else 0) + 1
                    delay = back_off(failures)
                    values = {"failures": failures, "last_failed_at": naive_utc(now),
                              "blocked_until": naive_utc(now + delay) if delay else None}
                    if row:
                        conn.execute(update(f).where(f.c.key == key).values(**values))
                    else:
                        conn.execute(f.insert().values(key=key, **values))
                return aware_utc(values["blocked_until"])
            except IntegrityError:  # two first failures at once (another replica): count again
                if attempt:
                    raise
        return None

    def clear_login_failures(self, key: str) -> None:
        f = schema.login_failures
        with self.engine.begin() as conn:
            conn.execute(delete(f).where(f.c.key == key))

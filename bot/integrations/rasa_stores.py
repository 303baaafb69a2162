"""Where Rasa keeps conversations and conversation locks, as endpoints.yml reads them.

endpoints.yml names environment variables (`tracker_store: url: ${TRACKER_STORE_URL}` …) and Rasa
refuses to start when one is unset, so every process that starts Rasa sets all of them from the
settings with `endpoint_env()` (the supervisor, the test and bench harnesses).

- Tracker store: always Rasa's SQLTrackerStore, so a customer in the middle of the intake keeps
  their place when Rasa restarts. One machine: a SQLite file under var/ (WAL journal, prepared by
  `prepare_tracker_store()` before Rasa opens it). Several Rasa replicas: one PostgreSQL database.
  Rasa takes the whole URL from `url` (SQLTrackerStore.get_db_url: a host containing "://").
- Lock store: Rasa's in-memory locks for one Rasa process; RedisLockStore (on REDIS_URL) as soon
  as Redis is configured, so two Rasa replicas never process one conversation at the same time.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.config import Settings


def redis_parts(url: str) -> dict[str, str]:
    """host, port, db and password of a redis:// URL (validated by the settings)."""
    parts = urlsplit(url)
    return {"host": parts.hostname or "127.0.0.1", "port": str(parts.port or 6379),
            "db": (parts.path or "/0").strip("/") or "0", "password": unquote(parts.password or "")}


def endpoint_env(settings: Settings) -> dict[str, str]:
    """The variables endpoints.yml reads for the tracker and lock stores."""
    redis = redis_parts(settings.redis_url) if settings.redis_url else None
    return {
        "TRACKER_STORE_URL": settings.tracker_store_url,
        "RASA_LOCK_STORE": "redis" if redis else "in_memory",
        "RASA_LOCK_STORE_HOST": redis["host"] if redis else "",
        "RASA_LOCK_STORE_PORT": redis["port"] if redis else "6379",
        "RASA_LOCK_STORE_DB": redis["db"] if redis else "0",
        "RASA_LOCK_STORE_PASSWORD": redis["password"] if redis else "",
    }


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:///… URL; None for other databases."""
    if not url.startswith("sqlite:///"):
        return None
    return Path(url[len("sqlite:///"):])


def prepare_tracker_store(url: str) -> None:
    """Creates the SQLite file's directory and switches the file to WAL (stored in the file, so
    once is enough): Rasa writes every turn, and in WAL mode a write does not block the reads of
    other conversations. PostgreSQL needs nothing: Rasa creates its `events` table itself."""
    path = sqlite_path(url)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=30)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()

"""Rasa's tracker and lock stores as endpoints.yml configures them from the settings: conversations
written by one Rasa process are read back by the next (SQLite file, or PostgreSQL), locks in memory
for one process and in Redis once REDIS_URL is set."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path
from unittest import mock

import pytest

from bot.config import ConfigError, load_settings
from bot.integrations.rasa_stores import endpoint_env, prepare_tracker_store, redis_parts

ROOT = Path(__file__).resolve().parents[2]
NO_FILE = Path("/nonexistent/.env")


def test_defaults_keep_conversations_in_a_sqlite_file_under_var():
    settings = load_settings({}, env_file=NO_FILE)
    env = endpoint_env(settings)
    assert env["TRACKER_STORE_URL"].startswith("sqlite:///") and env["TRACKER_STORE_URL"].endswith(
        "var/rasa_tracker.sqlite3")
    assert env["RASA_LOCK_STORE"] == "in_memory"


def test_redis_url_switches_rasa_to_the_redis_lock_store():
    settings = load_settings({"REDIS_URL": "redis://:s3cret@10.0.0.5:6380/3"}, env_file=NO_FILE)
    env = endpoint_env(settings)
    assert env["RASA_LOCK_STORE"] == "redis"
    assert (env["RASA_LOCK_STORE_HOST"], env["RASA_LOCK_STORE_PORT"], env["RASA_LOCK_STORE_DB"],
            env["RASA_LOCK_STORE_PASSWORD"]) == ("10.0.0.5", "6380", "3", "s3cret")
    assert redis_parts("redis://127.0.0.1") == {"host": "127.0.0.1", "port": "6379", "db": "0", "password": ""}


@pytest.mark.parametrize("name, value", [
    ("TRACKER_STORE_URL", "mysql://x/y"), ("TRACKER_STORE_URL", "sqlite://relative.db"),
    ("REDIS_URL", "127.0.0.1:6379"), ("REDIS_URL", "redis://host:port"),
])
def test_bad_store_urls_stop_start_up_naming_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value}, env_file=NO_FILE)


def _rasa_stores(env: dict[str, str]):
    """The tracker and lock stores Rasa builds from endpoints.yml with this environment."""
    from rasa.core.lock_store import LockStore
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import read_endpoint_config

    with mock.patch.dict(os.environ, {"ACTION_SERVER_URL": "http://127.0.0.1:9/webhook",
                                      "ACTION_SERVER_TOKEN": "offline", **env}):
        tracker_config = read_endpoint_config(str(ROOT / "endpoints.yml"), "tracker_store")
        lock_config = read_endpoint_config(str(ROOT / "endpoints.yml"), "lock_store")
    domain = Domain.from_yaml("version: '3.1'\nslots:\n  order_number:\n    type: text\n    mappings: []\n")
    return TrackerStore.create(tracker_config, domain), LockStore.create(lock_config)


def test_a_conversation_saved_by_one_rasa_process_is_read_by_the_next(tmp_path):
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    url = f"sqlite:///{tmp_path / 'var' / 'rasa_tracker.sqlite3'}"
    prepare_tracker_store(url)
    env = endpoint_env(load_settings({"TRACKER_STORE_URL": url}, env_file=NO_FILE))
    store, locks = _rasa_stores(env)
    assert type(locks).__name__ == "InMemoryLockStore"
    tracker = DialogueStateTracker.from_events("customer-1", [
        UserUttered("衣服洗了一次就掉色严重"), SlotSet("order_number", "4512345678901234568")])
    asyncio.run(store.save(tracker))

    again, _ = _rasa_stores(env)  # a new process: nothing from memory
    restored = asyncio.run(again.retrieve("customer-1"))
    assert restored is not None and restored.get_slot("order_number") == "4512345678901234568"
    with __import__("sqlite3").connect(tmp_path / "var" / "rasa_tracker.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_with_redis_configured_rasa_locks_conversations_in_redis():
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at 127.0.0.1:6379 unreachable: {exc}")
    env = endpoint_env(load_settings({"REDIS_URL": "redis://127.0.0.1:6379/1"}, env_file=NO_FILE))
    _, locks = _rasa_stores({**env, "TRACKER_STORE_URL": "sqlite:///:memory:"})
    assert type(locks).__name__ == "RedisLockStore"
    ticket = locks.issue_ticket("unit-test-conversation", 5)
    assert locks.get_lock("unit-test-conversation").is_locked(ticket + 1)
    locks.cleanup("unit-test-conversation", ticket)


@pytest.fixture
def fast_store(monkeypatch):
    """Rasa's SQLTrackerStore with the runner's speed-up installed (undone after the test)."""
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.integrations.tracker_store_speedups import install_fast_sql_tracker_store

    monkeypatch.setattr(SQLTrackerStore, "_retrieve", SQLTrackerStore._retrieve)
    monkeypatch.setattr(SQLTrackerStore, "save", SQLTrackerStore.save)
    install_fast_sql_tracker_store()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_fast_store_keeps_rasas_table_and_session_semantics(tmp_path, fast_store, kind):
    import sqlalchemy as sa
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from tests.support.live_app import database_url

    with database_url(kind, tmp_path) as url:
        prepare_tracker_store(url)
        env = endpoint_env(load_settings({"TRACKER_STORE_URL": url}, env_file=NO_FILE))
        store, _ = _rasa_stores(env)
        old_session = [ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.0),
                       UserUttered("以前的对话", timestamp=2.0), SlotSet("order_number", "111", timestamp=2.0)]
        tracker = DialogueStateTracker.from_events("c-2", old_session)
        asyncio.run(store.save(tracker))
        for event in [ActionExecuted("action_session_start", timestamp=10.0), SessionStarted(timestamp=10.0),
                      UserUttered("衣服掉色", timestamp=11.0), SlotSet("order_number", "4512345678901234568",
                                                                      timestamp=11.0)]:
            tracker.update(event)
        asyncio.run(store.save(tracker))

        again, _ = _rasa_stores(env)
        latest = asyncio.run(again.retrieve("c-2"))  # as Rasa does for every message
        asyncio.run(again.save(latest))  # nothing new: nothing written twice
        latest = asyncio.run(again.retrieve("c-2"))
        assert [e.text for e in latest.events if isinstance(e, UserUttered)] == ["衣服掉色"]
        assert latest.get_slot("order_number") == "4512345678901234568"
        everything = asyncio.run(again.retrieve_full_tracker("c-2"))
        assert [e.text for e in everything.events if isinstance(e, UserUttered)] == ["以前的对话", "衣服掉色"]
        with again.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = 'c-2'")).scalar() == 8
        if kind == "sqlite":
            assert again._wal_keeper is not None  # no WAL checkpoint each time a connection closes

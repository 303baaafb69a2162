"""The databases hold customers' unmasked words: created 0600 in a 0700 directory, older files
tightened on start, SQLite's -wal/-shm files following (issue 13, finding 6)."""
from __future__ import annotations

import os
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest

from actions.clients.tickets import TicketClient
from bot.store import open_store
from tests.support.net import free_port


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    previous = os.umask(0o022)  # what most systems use: files 0644, directories 0755
    yield
    os.umask(previous)


def test_a_new_database_is_private_and_so_are_its_wal_files(tmp_path):
    tmp_path.chmod(0o755)  # stands for a shared directory that was already there
    database = tmp_path / "data" / "desk.sqlite3"
    store = open_store(f"sqlite:///{database}")
    store.append_message("s-1", "customer", "我的电话13812345678", meta=None)
    with store.engine.connect() as conn:  # keep a connection: the -wal and -shm files exist now
        conn.exec_driver_sql("SELECT COUNT(*) FROM chat_messages").scalar()
        companions = [database.with_name(database.name + s) for s in ("-wal", "-shm")]
        assert all(file.exists() for file in companions)
        assert {file.name: mode(file) for file in companions} == {file.name: 0o600 for file in companions}
    assert mode(database.parent) == 0o700 and mode(database) == 0o600
    assert mode(tmp_path) == 0o755  # a directory that was already there is not ours to change
    store.close()


def test_a_world_readable_database_from_an_older_version_is_tightened(tmp_path):
    database = tmp_path / "desk.sqlite3"
    open_store(f"sqlite:///{database}").close()
    database.chmod(0o644)
    open_store(f"sqlite:///{database}").close()
    assert mode(database) == 0o600


def test_the_action_servers_outbox_is_private(tmp_path):
    outbox = tmp_path / "var" / "outbox.sqlite3"
    client = TicketClient(f"http://127.0.0.1:{free_port()}", "token-0123456789abcdef", str(outbox), timeout=0.2,
                          attempts=1, backoff=0)
    submission = client.submit({"idempotency_key": "k-1", "description": "身份证110101199003074514",
                                "submitted_at": datetime.now(timezone.utc).isoformat()})
    assert submission.queued and client.pending() == 1
    assert mode(outbox.parent) == 0o700 and mode(outbox) == 0o600

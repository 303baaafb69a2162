"""Session fixtures shared by every test level. `stack` starts the real three services on free
loopback ports once per test session, with the trained model, a fresh SQLite file and generated
secrets (the harness lives in tests/support/stack.py)."""
from __future__ import annotations

import pytest

from tests.support.stack import MODEL, Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    running = Stack(tmp_path_factory.mktemp("stack"))
    try:
        for name in ("actions", "rasa", "bot"):
            running.start(name)
        yield running
    finally:
        running.stop_all()


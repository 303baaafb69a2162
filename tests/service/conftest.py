"""Fixtures the service tests share: a store on SQLite and on PostgreSQL, and a fake Rasa. A
module's own fixture of the same name (another configuration) takes precedence."""
from __future__ import annotations

import pytest

from bot.store import open_store
from tests.support.fake_rasa import FakeRasa
from tests.support.live_app import database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    with database_url(request.param, tmp_path) as url:
        opened = open_store(url)
        yield opened
        opened.close()


@pytest.fixture()
def rasa():
    with FakeRasa() as fake:
        yield fake

"""Fixtures the service tests share: a store on SQLite and on PostgreSQL, a fake Rasa, the bot
service on loopback wired to it (`live`) and a webhook receiver. A module's own fixture of the
same name (another configuration) takes precedence."""
from __future__ import annotations

import pytest

from bot.store import open_store
from tests.support.fake_rasa import FakeRasa, live_app
from tests.support.live_app import Receiver, database_url


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


@pytest.fixture()
def live(tmp_path, rasa):
    with live_app(tmp_path, rasa) as running:
        yield running


@pytest.fixture()
def receiver():
    with Receiver() as running:
        yield running

"""The fixture most action tests share; a test file that needs another shop defines its own `shop`."""
import pytest

from tests.support.actions import set_up_shop


@pytest.fixture
def shop(monkeypatch, tmp_path):
    """An always-open shop; its bot service is unreachable (tests that need it start one)."""
    settings, _client = set_up_shop(monkeypatch, tmp_path)
    return settings

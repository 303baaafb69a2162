"""The cached validator accepts what Rasa accepts and refuses what Rasa refuses."""
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.rasa_runner import install_cached_response_validator


def test_the_cached_validator_keeps_rasas_contract(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    install_cached_response_validator()
    action = RemoteAction("action_x", None)
    good = {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "好"}]}
    assert action._validate_action_result(good) is True
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})

"""The cached validator accepts what Rasa accepts and refuses what Rasa refuses."""
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.integrations.rasa_runner import install_cached_response_validator


def test_the_cached_validator_keeps_rasas_contract(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    install_cached_response_validator()
    action = RemoteAction("action_x", None)
    good = {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "好"}]}
    assert action._validate_action_result(good) is True
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


def test_every_event_type_resolves_to_the_class_rasa_would_pick(monkeypatch):
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    from bot.integrations.rasa_runner import install_event_type_table

    monkeypatch.setattr(Event, "resolve_by_type", Event.__dict__["resolve_by_type"])
    names = {cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}
    expected = {name: Event.resolve_by_type(name) for name in names}
    install_event_type_table()
    assert len(names) > 15
    assert {name: Event.resolve_by_type(name) for name in names} == expected
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


async def test_action_endpoint_calls_share_one_open_session(monkeypatch):
    """Two requests through an EndpointConfig use one HTTP session (one pool of connections) and
    both get their answers; Rasa's own request() code is unchanged."""
    import asyncio
    import json
    import socket

    from rasa.utils.endpoints import EndpointConfig

    from bot.integrations.rasa_runner import install_reused_endpoint_sessions

    monkeypatch.setattr(EndpointConfig, "session", EndpointConfig.session)
    peers: list[tuple] = []

    async def serve(reader, writer):
        peers.append(writer.get_extra_info("peername"))
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int([h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0].split(b":")[1])
            body = json.loads(await reader.readexactly(length))
            answer = json.dumps({"echo": body["n"]}).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(answer)).encode() + b"\r\n\r\n" + answer)
            await writer.drain()

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = await asyncio.start_server(serve, sock=sock)
    install_reused_endpoint_sessions()
    endpoint = EndpointConfig(f"http://127.0.0.1:{sock.getsockname()[1]}/webhook")
    try:
        answers = [await endpoint.request(json={"n": n}) for n in range(3)]
        assert answers == [{"echo": 0}, {"echo": 1}, {"echo": 2}]
        assert len(peers) == 1  # one kept-alive connection, not one per call
    finally:
        await endpoint._kept_session.close()
        server.close()


def test_actions_get_the_domain_without_the_bots_texts(monkeypatch):
    from pathlib import Path

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.integrations.rasa_runner import install_slim_domain_for_actions

    monkeypatch.setattr(RemoteAction, "_action_call_format", RemoteAction._action_call_format)
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
    tracker = DialogueStateTracker("s1", domain.slots)
    install_slim_domain_for_actions()
    sent = RemoteAction("validate_complaint_form", None)._action_call_format(tracker, domain)
    assert "responses" not in sent["domain"]
    assert sent["domain"]["forms"] == domain.as_dict()["forms"]
    assert sent["domain"]["slots"] == domain.as_dict()["slots"]
    assert "responses" in domain.as_dict()  # the served domain itself is untouched
    again = RemoteAction("validate_complaint_form", None)._action_call_format(tracker, domain)
    assert again["domain"] is sent["domain"]


def test_intent_button_payloads_are_sent_as_written_and_text_still_gets_slot_values(monkeypatch):
    from rasa.core.nlg import interpolator

    from bot.integrations.rasa_runner import install_literal_intent_payloads

    monkeypatch.setattr(interpolator, "interpolate_text", interpolator.interpolate_text)
    errors: list = []
    monkeypatch.setattr(interpolator.structlogger, "exception", lambda *a, **k: errors.append(a))
    install_literal_intent_payloads()
    response = {"text": "欢迎光临{shop_name}", "buttons": [
        {"title": "仅退款", "payload": '/inform{"expectation": "refund"}'}]}
    filled = interpolator.interpolate(response, {"shop_name": "小店"})
    assert filled["text"] == "欢迎光临小店"
    assert filled["buttons"][0]["payload"] == '/inform{"expectation": "refund"}'
    assert errors == []


def test_the_api_token_comes_from_the_environment_not_the_command_line():
    from bot.config import load_settings
    from bot.integrations.rasa_runner import with_auth_token
    from bot.supervisor import services
    from tests.unit.test_config import NO_FILE

    args = ["run", "--model", "m.tar.gz", "--enable-api"]
    assert with_auth_token(args, {"RASA_AUTH_TOKEN": "t0ken-from-env"}) == [*args, "--auth-token=t0ken-from-env"]
    assert with_auth_token(args, {}) == args
    assert with_auth_token([*args, "--auth-token=given"], {"RASA_AUTH_TOKEN": "x"}) == [*args, "--auth-token=given"]
    assert with_auth_token(["train"], {"RASA_AUTH_TOKEN": "x"}) == ["train"]
    # secrets.token_urlsafe starts with "-" one time in 64: Rasa's own parser must still read it.
    from rasa.__main__ import create_argument_parser

    parsed = create_argument_parser().parse_args(with_auth_token(args, {"RASA_AUTH_TOKEN": "-dash-first_token"}))
    assert parsed.auth_token == "-dash-first_token"
    settings = load_settings({"RASA_AUTH_TOKEN": "rasa-secret-0123456789", "IDENTITY_SECRET": "id-0123456789abcdef",
                              "ACTION_SERVER_TOKEN": "act-0123456789abcdef"}, env_file=NO_FILE)
    for service in services(settings):
        command = " ".join(service.command)
        assert "rasa-secret" not in command and "act-0123" not in command and "id-0123" not in command

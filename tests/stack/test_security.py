"""The running stack from outside (issue 13): the action server listens on loopback only and answers
nobody but Rasa, whose API token is on no command line; a conversation still reaches the actions
(the other stack tests), so Rasa does send the secret."""
from __future__ import annotations

import subprocess

import pytest
import requests

from tests.support.net import listening_addresses
from tests.support.stack import texts

pytestmark = pytest.mark.stack


def test_the_action_server_listens_on_127_0_0_1_only(stack):
    assert listening_addresses(stack.action_port) == {"127.0.0.1"}
    assert listening_addresses(stack.rasa_port) == {"127.0.0.1"}


def test_the_action_server_refuses_calls_without_the_secret(stack):
    url = f"http://127.0.0.1:{stack.action_port}"
    call = {"next_action": "action_check_progress", "sender_id": "s-x", "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": "s-x", "slots": {}, "events": [], "latest_message": {"text": "进度"},
                        "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None}}
    assert requests.post(f"{url}/webhook", json=call, timeout=10).status_code == 401
    assert requests.post(f"{url}/webhook", json=call, params={"token": stack.env["ACTION_SERVER_TOKEN"]},
                         timeout=10).status_code == 401  # Rasa's query-parameter token is not accepted either
    assert requests.get(f"{url}/actions", timeout=10).status_code == 401
    with_secret = requests.post(f"{url}/webhook", json=call, timeout=30,
                                headers={"Authorization": f"Bearer {stack.env['ACTION_SERVER_TOKEN']}"})
    assert with_secret.status_code == 200


def test_no_secret_appears_on_any_command_line(stack):
    """What `ps` shows every local user: the children's command lines hold no token."""
    secrets = [stack.env[name] for name in ("RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN", "IDENTITY_SECRET",
                                            "BOT_API_TOKEN", "SESSION_SECRET", "SHOP_SECRET")]
    listing = subprocess.run(["ps", "-eo", "pid,args", "--no-headers"], capture_output=True, text=True,
                             check=True).stdout
    for name, process in stack.processes.items():
        line = next((row for row in listing.splitlines() if row.split(None, 1)[0] == str(process.pid)), None)
        assert line is not None, name
        cmdline = open(f"/proc/{process.pid}/cmdline", "rb").read().decode("utf-8", "replace")
        assert not any(secret in line or secret in cmdline for secret in secrets), (name, line)
    # …and Rasa's API does require the token it got from the environment.
    assert requests.get(f"{stack.rasa_url}/status", timeout=10).status_code == 401
    assert requests.get(f"{stack.rasa_url}/status", params={"token": stack.env["RASA_AUTH_TOKEN"]},
                        timeout=10).status_code == 200


def test_the_bot_services_signature_reaches_the_actions_through_rasa_and_nothing_else_does(stack):
    """Through the chat API a customer sees their ticket; the same question posted to Rasa's REST
    channel directly, as that session, sees nothing (no signature from the bot service)."""
    created = stack.api("POST", "/api/tickets", json={
        "idempotency_key": "sec-progress-1", "session_id": "sec-progress", "issue_type": "logistics_delay",
        "description": "快递五天了还没到"}).json()
    assert created["id"] in texts(stack.say("sec-progress", "我的投诉怎么样了"))
    direct = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", timeout=60, json={
        "sender": "sec-progress", "message": "我的投诉怎么样了", "metadata": {"customer_ref": "x"}})
    assert direct.status_code == 200
    assert created["id"] not in " ".join(reply.get("text", "") for reply in direct.json())

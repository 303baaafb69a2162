"""The action server as Rasa reaches it (`python -m actions.server`, real HTTP on loopback) in front
of the real bot service: it listens on 127.0.0.1 only, answers nothing without the shared secret,
and with the secret a crafted tracker (someone else's customer_ref or sender, a forged ticket_id
slot) reads and changes no other customer's tickets. Issue 13, finding 1."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bot.domain.identity import CONVERSATION_SIGNATURE, sign_conversation
from tests.support.actions import rendered
from tests.support.live_app import TOKEN, LiveApp, make_settings, ticket_body
from tests.support.net import free_port, listening_addresses

ROOT = Path(__file__).resolve().parents[2]
ACTION_TOKEN = "action-secret-for-tests-0123456789"
IDENTITY_SECRET = "identity-secret-for-tests-0123456789"


class ActionServer:
    def __init__(self, tmp: Path, bot_service_url: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "actions.log"
        env = {**os.environ, "DOTENV_DISABLED": "1", "ACTION_PORT": str(self.port), "ACTION_SERVER_TOKEN": ACTION_TOKEN,
               "IDENTITY_SECRET": IDENTITY_SECRET, "BOT_API_TOKEN": TOKEN, "BOT_SERVICE_URL": bot_service_url,
               "OUTBOX_PATH": str(tmp / "outbox.sqlite3"), "BUSINESS_HOURS": "daily 00:00-24:00",
               "FOLLOW_CHINA_HOLIDAYS": "false", "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
        env.pop("ACTION_HOST", None)  # the default is what is under test
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "actions.server"], cwd=ROOT, env=env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log.read_text()[-3000:])
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        raise TimeoutError(self.log.read_text()[-3000:])

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)

    def run(self, action: str, tracker: dict, token: str | None = ACTION_TOKEN, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {"next_action": action, "sender_id": tracker["sender_id"], "tracker": tracker, "domain": {},
                "version": "3.6.21"}
        return requests.post(f"{self.url}/webhook", json=body, headers={**headers, **kwargs.pop("headers", {})},
                             timeout=30, **kwargs)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("action_server")
    live = LiveApp(make_settings(tmp))
    live.app.ctx.escalation_interval = 3600
    live.start()
    alice = live.call("POST", "/api/tickets", json=ticket_body("alice-1", session_id="s-alice",
                                                               customer_ref="alice")).json()["ticket"]
    server = ActionServer(tmp, live.base)
    try:
        yield live, server, alice
    finally:
        server.stop()
        live.stop()


def tracker(sender: str, text: str, intent: str, metadata: dict | None = None, slots: dict | None = None,
            entities: tuple = ()) -> dict:
    """A tracker as Rasa 3.6 sends it (Tracker.current_state), built by whoever posts it."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": list(entities),
              "metadata": metadata or {}}
    return {"sender_id": sender, "slots": slots or {}, "latest_message": latest, "paused": False,
            "events": [{"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}}],
            "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"}


def signed(session_id: str, customer_ref: str | None = None, secret: str = IDENTITY_SECRET) -> dict:
    metadata = {CONVERSATION_SIGNATURE: sign_conversation(secret, session_id, customer_ref)}
    return {**metadata, "customer_ref": customer_ref} if customer_ref else metadata


def replies(response: requests.Response) -> str:
    assert response.status_code == 200, response.text
    # Actions send domain responses by name: read them as the customer would (every variation).
    return "\n".join(v["text"] for r in response.json()["responses"] for v in rendered(r))


def test_the_action_server_listens_on_loopback_only(shop):
    _live, server, _alice = shop
    assert listening_addresses(server.port) == {"127.0.0.1"}


def test_calls_without_the_secret_get_401_and_run_nothing(shop):
    live, server, alice = shop
    asks = tracker("s-alice", "我的投诉怎么样了", "ask_progress", signed("s-alice", "alice"))
    for token, extra in ((None, {}), ("wrong-secret-0123456789abcdef", {}), (None, {"params": {"token": ACTION_TOKEN}}),
                         (ACTION_TOKEN + "x", {}), ("ÿ" * 20, {})):
        response = server.run("action_check_progress", asks, token=token, **extra)
        assert response.status_code == 401, (token, extra, response.text)
        assert alice["id"] not in response.text
    basic = server.run("action_check_progress", asks, token=None, headers={"Authorization": f"Basic {ACTION_TOKEN}"})
    assert basic.status_code == 401
    assert requests.get(f"{server.url}/actions", timeout=10).status_code == 401
    assert requests.get(f"{server.url}/health", timeout=10).status_code == 200
    # The same call with the secret works: the 401s above were the secret, not the request.
    assert alice["id"] in replies(server.run("action_check_progress", asks))


@pytest.mark.parametrize("sender, metadata", [
    ("s-alice", {"customer_ref": "alice"}),  # no signature at all
    ("s-mallory", {**signed("s-mallory"), "customer_ref": "alice"}),  # signed for the session, not for alice
    ("s-alice", signed("s-mallory")),  # a signature lifted from another session
    ("s-alice", signed("s-alice", "alice", secret="a-guessed-secret-0123456789abcdef")),
    ("s-alice", {**signed("s-alice", "alice"), CONVERSATION_SIGNATURE: "0" * 64}),
], ids=["unsigned", "claimed-customer", "other-session", "wrong-key", "zero-signature"])
def test_with_the_secret_a_forged_identity_reads_nobody_elses_tickets(shop, sender, metadata):
    _live, server, alice = shop
    for text in ("我的投诉怎么样了", f"{alice['id']} 进度如何"):
        reply = replies(server.run("action_check_progress", tracker(sender, text, "ask_progress", metadata)))
        assert alice["id"] not in reply and "已登记" not in reply, reply


def test_with_the_secret_a_forged_rating_changes_nobody_elses_ticket(shop):
    live, server, alice = shop
    rating = {"entity": "rating", "value": 1}
    for sender, metadata in (("s-alice", {}), ("s-alice", {"customer_ref": "alice"}),
                             ("s-mallory", signed("s-mallory")), ("s-alice", signed("s-mallory"))):
        call = tracker(sender, "1分", "rate", metadata, slots={"ticket_id": alice["id"]}, entities=(rating,))
        replies(server.run("action_record_rating", call))  # answered (200), but
        assert live.store.get_ticket(alice["id"])["csat"] is None, (sender, metadata)
    # Alice herself, through the bot service's signed message, can rate her ticket.
    own = tracker("s-alice", "5分", "rate", signed("s-alice", "alice"), slots={"ticket_id": alice["id"]},
                  entities=({"entity": "rating", "value": 5},))
    replies(server.run("action_record_rating", own))
    assert live.store.get_ticket(alice["id"])["csat"] == 5


@pytest.mark.parametrize("missing", ["ACTION_SERVER_TOKEN", "IDENTITY_SECRET"])
def test_the_action_server_refuses_to_start_without_its_secrets(missing):
    env = {**os.environ, "DOTENV_DISABLED": "1", "ACTION_SERVER_TOKEN": ACTION_TOKEN,
           "IDENTITY_SECRET": IDENTITY_SECRET, "ACTION_PORT": str(free_port()), missing: ""}
    done = subprocess.run([sys.executable, "-m", "actions.server"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and missing in done.stderr


async def test_rasas_own_client_configured_by_endpoints_yml_is_let_in(shop, monkeypatch):
    """What Rasa 3.6 sends (rasa.utils.endpoints.EndpointConfig.request, as RemoteAction calls it,
    with the endpoint read from our endpoints.yml) carries the secret; the same client without
    the header is refused."""
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig, read_endpoint_config

    _live, server, alice = shop
    monkeypatch.setenv("ACTION_SERVER_URL", f"{server.url}/webhook")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", ACTION_TOKEN)
    # endpoints.yml also reads the store variables (bot/integrations/rasa_stores.py)
    for name, value in {"TRACKER_STORE_URL": "sqlite:///:memory:", "RASA_LOCK_STORE": "in_memory",
                        "RASA_LOCK_STORE_HOST": "", "RASA_LOCK_STORE_PORT": "6379", "RASA_LOCK_STORE_DB": "0",
                        "RASA_LOCK_STORE_PASSWORD": ""}.items():
        monkeypatch.setenv(name, value)
    endpoint = read_endpoint_config(str(ROOT / "endpoints.yml"), "action_endpoint")
    assert "token" not in endpoint.params and endpoint.token is None  # never in a logged query string
    asks = tracker("s-alice", "我的投诉怎么样了", "ask_progress", signed("s-alice", "alice"))
    body = {"next_action": "action_check_progress", "sender_id": "s-alice", "tracker": asks, "domain": {},
            "version": "3.6.21"}
    answer = await endpoint.request(json=body, method="post", timeout=30)
    assert alice["id"] in "\n".join(v["text"] for r in answer["responses"] for v in rendered(r))
    with pytest.raises(ClientResponseError) as refused:
        await EndpointConfig(url=endpoint.url).request(json=body, method="post", timeout=30)
    assert refused.value.status == 401

"""Nothing lost when a process dies: the whole stack under `python -m bot up` (the supervisor), real
model, fresh SQLite files.

- Rasa is killed with SIGKILL in the middle of an intake; the supervisor restarts it by itself
  (shown in /healthz) and the same customer finishes the intake with what they said before (the
  conversation was in Rasa's SQL tracker store, not in the dead process's memory).
- The bot service is killed the same way; a desk reconnecting with its last event id gets the
  events it missed while the service was down and the ones after.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.support.desk_stream import DeskStream
from tests.support.stack import MODEL, ROOT, Stack, texts

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def supervised(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it)")
    tmp = tmp_path_factory.mktemp("supervised")
    stack = Stack(tmp)
    stack.status_file = tmp / "supervisor.json"
    env = {**stack.env, "SUPERVISOR_STATUS_FILE": str(stack.status_file)}
    log = open(tmp / "up.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "bot", "up"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    stack.up_log = tmp / "up.log"
    try:
        wait_for(lambda: health(stack).get("status") == "ok", 600, stack, "the stack did not come up")
        # The supervisor's own view too: a service killed before the supervisor saw it up counts as
        # a configuration error (everything stops), and the model now loads in seconds.
        wait_for(lambda: "the assistant is running" in stack.up_log.read_text(encoding="utf-8", errors="replace"),
                 600, stack, "the supervisor did not see every service up")
        yield stack
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the supervisor stops its children
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def health(stack) -> dict:
    try:
        return requests.get(f"{stack.base}/healthz", timeout=10).json()
    except (requests.RequestException, ValueError):
        return {}


def wait_for(condition, seconds: float, stack, message: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{message}; supervisor log:\n{stack.up_log.read_text()[-4000:]}")


def service_pid(stack, name: str) -> int:
    return json.loads(stack.status_file.read_text())["services"][name]["pid"]


def test_rasa_killed_mid_intake_comes_back_and_the_customer_continues(supervised):
    stack, session = supervised, "restart-intake"
    assert "订单号" in texts(stack.say(session, "衣服洗了一次就掉色严重"))
    assert "希望" in texts(stack.say(session, "4512345678901234568"))
    bot_pid = service_pid(stack, "bot")

    os.kill(service_pid(stack, "rasa"), signal.SIGKILL)
    wait_for(lambda: health(stack).get("services", {}).get("rasa", {}).get("ok") is False, 30, stack,
             "Rasa still answered after SIGKILL")
    body = wait_for(lambda: (lambda h: h if h.get("status") == "ok" else None)(health(stack)), 600, stack,
                    "the supervisor did not bring Rasa back")
    assert body["services"]["rasa"]["restarts"] == 1 and body["services"]["rasa"]["last_exit_code"] == -9
    assert body["services"]["bot"]["restarts"] == 0 and service_pid(stack, "bot") == bot_pid  # never stopped
    assert "rasa exited with code -9" in stack.up_log.read_text()

    reply = texts(stack.say(session, "换货"))  # the wish: the last question asked before the kill
    assert "确认" in reply and "4512345678901234568" in reply and "换货" in reply, reply
    done = texts(stack.say(session, "对的"))
    ticket_id = re.search(r"TK-\d{8}-\d{4}", done).group(0)
    ticket = stack.api("GET", f"/api/tickets/{ticket_id}").json()
    ticket = ticket.get("ticket", ticket)
    assert ticket["order_number"] == "4512345678901234568" and ticket["expectation"] == "exchange"
    assert "掉色" in ticket["description"] and ticket["session_id"] == session


def test_bot_service_killed_a_desk_reconnecting_with_its_last_event_id_gets_the_new_events(supervised):
    stack = supervised
    desk = DeskStream(stack.base, token=stack.token)
    before = stack.say("restart-desk-1", "我订单4512345678901234569的电饭煲不加热了，要换货")
    assert before["mode"] == "bot"
    wait_for(lambda: desk.events, 20, stack, "the desk received nothing")
    last_seen = desk.events[-1]["id"]

    os.kill(service_pid(stack, "bot"), signal.SIGKILL)
    wait_for(lambda: not health(stack), 30, stack, "the bot service still answered after SIGKILL")
    desk.close()
    wait_for(lambda: health(stack).get("status") == "ok", 120, stack, "the supervisor did not bring the bot back")
    assert health(stack)["services"]["bot"]["restarts"] == 1

    missed = stack.say("restart-desk-2", "快递五天没动了，订单4512345678901234570，催一下")
    desk = DeskStream(stack.base, last_event_id=last_seen, token=stack.token)
    texts_seen = lambda: [e["data"]["message"]["text"] for e in desk.events if e["type"] == "message"]  # noqa: E731
    wait_for(lambda: any("快递五天没动了" in t for t in texts_seen()), 20, stack, "the missed events were not replayed")
    stack.say("restart-desk-2", "换货")
    wait_for(lambda: "换货" in texts_seen(), 20, stack, "new events did not arrive after reconnecting")
    ids = [e["id"] for e in desk.events]
    assert ids == sorted(set(ids)) and ids[0] > last_seen
    assert missed["replies"]
    desk.close()

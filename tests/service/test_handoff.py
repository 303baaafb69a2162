"""Bot ↔ human, the live queue, ratings, degraded mode, rate limits and the WebSocket, with the
real bot service on loopback and a fake Rasa (a local HTTP server speaking Rasa's REST channel
and tracker API) that records what it was sent and can be made to fail, stall or stay silent."""
from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests
import websockets

from tests.support.fake_rasa import live_app
from tests.support.live_app import AgentClient, LiveApp, ticket_body


def wait_for(predicate, seconds: float = 5.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def say(live: LiveApp, session: str, text: str, **extra) -> requests.Response:
    return requests.post(f"{live.base}/api/chat/{session}/messages", json={"text": text, **extra}, timeout=15)


def history(live: LiveApp, session: str) -> dict:
    return requests.get(f"{live.base}/api/chat/{session}/messages", timeout=10).json()


def open_ticket_for(live: LiveApp, session: str, key: str | None = None) -> dict:
    response = live.call("POST", "/api/tickets", json=ticket_body(key or f"t-{session}", session_id=session))
    assert response.status_code == 201, response.text
    return response.json()["ticket"]


# -- an agent takes over --------------------------------------------------------------------------

def test_claiming_pauses_rasa_and_the_customer_talks_to_the_agent(live, rasa):
    session = "s-claim"
    assert say(live, session, "快递五天没到").json()["mode"] == "bot"
    ticket = open_ticket_for(live, session)
    lily = AgentClient(live, "lily")
    assert lily.call("PATCH", f"/api/tickets/{ticket['id']}", json={"assignee": "lily"}).status_code == 200

    wait_for(lambda: rasa.events_for(session) == ["pause"])
    assert all(token == live.settings.rasa_auth_token for _s, _e, token in rasa.tracker_events)
    notice = history(live, session)["messages"][-1]
    assert notice["sender"] == "system" and "丽丽" in notice["text"] and notice["meta"]["kind"] == "agent_joined"

    answer = say(live, session, "在吗？我很急")
    assert answer.status_code == 200
    assert answer.json()["replies"] == [] and answer.json()["mode"] == "human" and answer.json()["agent"] == "丽丽"
    assert "在吗？我很急" not in rasa.texts()  # the assistant says nothing while a person has it
    live_messages = [e.data for e in live.app.ctx.events.since(0) if e.kind == "message"]
    assert any(m["session_id"] == session and m["message"]["text"] == "在吗？我很急" for m in live_messages)
    transcript = live.call("GET", f"/api/tickets/{ticket['id']}").json()["ticket"]["transcript"]
    assert transcript[-1]["sender"] == "customer" and transcript[-1]["text"] == "在吗？我很急"

    lily.call("POST", f"/api/tickets/{ticket['id']}/replies", json={"text": "在的，我是丽丽，正在帮您查"})
    shown = history(live, session)
    assert shown["messages"][-1]["sender"] == "agent" and shown["messages"][-1]["meta"] == {"display_name": "丽丽"}
    assert shown["mode"] == "human" and shown["agent"] == "丽丽"


def test_writing_to_an_agent_who_is_away_gets_one_notice_not_silence(live, rasa):
    session = "s-away"
    ticket = open_ticket_for(live, session)
    AgentClient(live, "lily").call("PATCH", f"/api/tickets/{ticket['id']}", json={"assignee": "lily"})
    live.app.ctx.handoff.presence._seen.clear()  # lily has left the desk
    first = say(live, session, "有人吗").json()
    assert first["mode"] == "human" and "暂时不在电脑前" in first["replies"][0]["text"]
    assert say(live, session, "我等着").json()["replies"] == []  # once, not after every line
    assert rasa.texts(session) == []


def test_a_customer_answer_puts_a_waiting_ticket_back_with_the_agent(live, rasa):
    session = "s-pending"
    ticket = open_ticket_for(live, session)
    lily = AgentClient(live, "lily")
    lily.call("PATCH", f"/api/tickets/{ticket['id']}", json={"assignee": "lily", "status": "pending_customer"})
    say(live, session, "单号是4512345678901234567")
    assert live.store.get_ticket(ticket["id"])["status"] == "open"


def test_resolving_resumes_rasa_and_the_rating_is_stored_on_the_ticket(live, rasa):
    session = "s-rate"
    ticket = open_ticket_for(live, session)
    lily = AgentClient(live, "lily")
    path = f"/api/tickets/{ticket['id']}"
    lily.call("PATCH", path, json={"assignee": "lily"})
    lily.call("POST", f"{path}/replies", json={"text": "已经给您补发了"})
    lily.call("PATCH", path, json={"status": "resolved"})
    wait_for(lambda: rasa.events_for(session) == ["pause", "resume"])

    prompt = history(live, session)["messages"][-1]
    assert prompt["sender"] == "bot" and prompt["meta"]["kind"] == "rating_request"
    assert [b["payload"] for b in prompt["buttons"]] == [f'/rate{{"rating": {n}}}' for n in (5, 4, 3, 2, 1)]
    assert history(live, session)["mode"] == "bot"

    thanks = say(live, session, '/rate{"rating": 4}', button_title="4 满意").json()
    assert thanks["mode"] == "bot" and "谢谢" in thanks["replies"][0]["text"]
    assert live.store.get_ticket(ticket["id"])["csat"] == 4
    say(live, session, "客服很耐心，就是物流慢了点")
    stored = live.store.get_ticket(ticket["id"])
    assert stored["csat"] == 4 and stored["csat_comment"] == "客服很耐心，就是物流慢了点"
    assert not any(t.startswith("/rate") or "客服很耐心" in t for t in rasa.texts(session))
    shown = history(live, session)["messages"]
    assert [m for m in shown if m["text"].startswith("/rate")][0]["meta"]["button_title"] == "4 满意"

    assert say(live, session, "谢谢").json()["mode"] == "bot"  # back with the assistant
    assert rasa.texts(session) == ["谢谢"]


def test_a_typed_rating_with_a_comment_in_one_message(live, rasa):
    session = "s-rate-text"
    ticket = open_ticket_for(live, session)
    lily = AgentClient(live, "lily")
    lily.call("PATCH", f"/api/tickets/{ticket['id']}", json={"assignee": "lily"})
    lily.call("PATCH", f"/api/tickets/{ticket['id']}", json={"status": "resolved", "reason": "已电话联系顾客"})
    say(live, session, "2分 等太久了")
    stored = live.store.get_ticket(ticket["id"])
    assert stored["csat"] == 2 and stored["csat_comment"] == "等太久了"


def test_unassigning_gives_the_conversation_back_to_the_assistant(live, rasa):
    session = "s-release"
    ticket = open_ticket_for(live, session)
    lily = AgentClient(live, "lily")
    lily.call("PATCH", f"/api/tickets/{ticket['id']}", json={"assignee": "lily"})
    lily.call("PATCH", f"/api/tickets/{ticket['id']}", json={"assignee": None})
    wait_for(lambda: rasa.events_for(session) == ["pause", "resume"])
    assert say(live, session, "那我等等").json()["mode"] == "bot"
    assert not any(m["meta"].get("kind") == "rating_request" for m in history(live, session)["messages"])


def test_a_resume_that_did_not_reach_rasa_is_sent_before_the_next_message(live, rasa):
    session = "s-lost-resume"
    ticket = open_ticket_for(live, session)
    lily = AgentClient(live, "lily")
    lily.call("PATCH", f"/api/tickets/{ticket['id']}", json={"assignee": "lily"})
    wait_for(lambda: rasa.events_for(session) == ["pause"])
    live.app.ctx.handoff.control.loop = None  # as if the process stopped before telling Rasa
    lily.call("PATCH", f"/api/tickets/{ticket['id']}", json={"status": "resolved", "reason": "已电话联系顾客"})
    assert rasa.events_for(session) == ["pause"]
    say(live, session, "好的")
    assert rasa.events_for(session) == ["pause", "resume"] and rasa.texts(session) == ["好的"]


# -- 转人工: the live queue ------------------------------------------------------------------------

def test_handoff_with_an_agent_online_queues_with_place_and_wait(live, rasa):
    lily = AgentClient(live, "lily")
    assert lily.call("GET", "/api/me").status_code == 200  # lily has the desk open
    first = say(live, "s-q1", "转人工").json()
    assert first["queue"] == {"position": 1, "wait_minutes": 4}
    assert "前面没有其他顾客" in first["replies"][-1]["text"] and "4 分钟" in first["replies"][-1]["text"]
    second = say(live, "s-q2", "转人工").json()
    assert second["queue"]["position"] == 2 and "前面还有 1 位" in second["replies"][-1]["text"]
    assert second["queue"]["wait_minutes"] == 8

    waiting = say(live, "s-q2", "还要多久")
    assert waiting.json()["mode"] == "human" and waiting.json()["queue"]["position"] == 2
    assert "还要多久" not in rasa.texts()
    assert history(live, "s-q2")["queue"]["position"] == 2

    first_ticket = live.store.active_ticket_for_session("s-q1")
    lily.call("PATCH", f"/api/tickets/{first_ticket['id']}", json={"assignee": "lily"})
    assert history(live, "s-q2")["queue"]["position"] == 1
    assert history(live, "s-q1")["mode"] == "human" and history(live, "s-q1")["agent"] == "丽丽"


def test_the_wait_is_estimated_from_how_fast_agents_really_claimed(live, rasa):
    lily = AgentClient(live, "lily")
    lily.call("GET", "/api/me")
    now = datetime.now(timezone.utc)
    for n, minutes in enumerate((2, 2, 3)):
        ticket = open_ticket_for(live, f"s-past-{n}", key=f"past-{n}")
        with live.store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE tickets SET handoff_requested = 1, created_at = ? WHERE id = ?",
                                 ((now - timedelta(hours=1)).replace(tzinfo=None), ticket["id"]))
        live.store.update_ticket(ticket["id"], {"assignee": "lily"}, "lily", now - timedelta(hours=1, minutes=-minutes))
    assert say(live, "s-q-measured", "转人工").json()["queue"] == {"position": 1, "wait_minutes": 2}


def test_handoff_with_nobody_online_gives_a_ticket_and_the_callback_time(live, rasa):
    answer = say(live, "s-nobody", "转人工").json()
    assert "queue" not in answer
    assert "没有人在线" in answer["replies"][-1]["text"] and re.search(r"\d\d:\d\d 前", answer["replies"][-1]["text"])
    assert say(live, "s-nobody", "好吧").json()["mode"] == "bot"


def test_nobody_online_is_said_once_when_the_complaint_record_becomes_a_handoff(live, rasa):
    """The record opened with the first message is marked a hand-off later; what the customer adds
    while waiting updates it again, and must not repeat "nobody is online" after every message."""
    session = "s-nobody-once"
    record = open_ticket_for(live, session)
    with live.store.engine.begin() as conn:  # opened a couple of minutes before the hand-off
        conn.exec_driver_sql("UPDATE tickets SET created_at = ? WHERE id = ?",
                             ((datetime.now(timezone.utc) - timedelta(minutes=2)).replace(tzinfo=None), record["id"]))

    def assistant(text: str, _sender: str) -> list[dict]:
        change = {"handoff_requested": True} if text == "找个人工" else {"append_description": text}
        assert live.call("PATCH", f"/api/tickets/{record['id']}/intake", json=change).status_code == 200
        return [{"text": f"收到：{text}"}]

    rasa.on_message = assistant
    first = say(live, session, "找个人工").json()
    assert "没有人在线" in first["replies"][-1]["text"]
    for text in ("订单号 4512345678901234567", "不对 我要换货不要退款"):
        later = say(live, session, text).json()
        assert [r["text"] for r in later["replies"]] == [f"收到：{text}"]


def test_handoff_off_hours_is_not_queued(tmp_path, rasa):
    local_hour = datetime.now(ZoneInfo("Asia/Shanghai")).hour
    closed_now = f"daily {(local_hour + 12) % 24:02d}:00-{(local_hour + 12) % 24:02d}:30"
    with live_app(tmp_path, rasa, BUSINESS_HOURS=closed_now) as live:
        AgentClient(live, "lily").call("GET", "/api/me")
        answer = say(live, "s-night", "转人工").json()
        assert "queue" not in answer and len(answer["replies"]) == 1  # action_handoff's own words only
        status = requests.get(f"{live.base}/api/shop/status", timeout=10).json()
        assert status["open"] is False and status["next_opening_text"] and status["agents_online"] is False


def test_a_queued_customer_goes_back_to_the_assistant_when_every_agent_left(live, rasa):
    lily = AgentClient(live, "lily")
    lily.call("GET", "/api/me")
    assert say(live, "s-left", "转人工").json()["queue"]["position"] == 1
    live.app.ctx.handoff.presence._seen.clear()  # five quiet minutes later
    answer = say(live, "s-left", "人呢").json()
    assert answer["mode"] == "bot" and "不在线" in answer["replies"][0]["text"]


# -- degraded mode ------------------------------------------------------------------------------------

def test_rasa_down_makes_one_triage_ticket_per_session_and_recovers_by_itself(live, rasa):
    session = "s-down"
    rasa.mode = "down"
    first = say(live, session, "羽绒服拉链坏了").json()
    assert first["mode"] == "degraded"
    ticket = live.store.active_ticket_for_session(session)
    assert ticket["id"] in first["replies"][0]["text"] and "前" in first["replies"][0]["text"]
    assert "needs_triage" in ticket["risk_flags"] and ticket["description"] == "羽绒服拉链坏了"
    day = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")
    assert ticket["idempotency_key"] == f"degraded-{session}-{day}"
    second = say(live, session, "订单号4512345678901234567").json()
    assert second["mode"] == "degraded" and ticket["id"] in second["replies"][0]["text"]
    assert len(live.store.tickets_for_customer(session_id=session)) == 1
    view = live.call("GET", f"/api/tickets/{ticket['id']}").json()["ticket"]
    assert "待人工分拣" in "".join(view["risk_labels"])
    typed = [m["text"] for m in view["transcript"] if m["sender"] == "customer"]
    assert typed == ["羽绒服拉链坏了", "订单号4512345678901234567"]

    rasa.mode = "ok"
    assert say(live, session, "要退货退款").json()["mode"] == "bot"  # the next message tries Rasa again


def test_a_proper_ticket_after_recovery_absorbs_the_triage_ticket(live, rasa):
    session = "s-merge"
    rasa.mode = "down"
    say(live, session, "拉链坏了")
    triage = live.store.active_ticket_for_session(session)
    rasa.mode = "ok"
    proper = open_ticket_for(live, session, key="form-s-merge")
    assert proper["repeat_contacts"] == 0 and "repeat_contact" not in proper["risk_flags"]
    closed = live.store.get_ticket(triage["id"])
    assert closed["status"] == "closed"
    assert any(proper["id"] in (e["details"] or {}).get("text", "") for e in live.store.list_events(triage["id"]))
    assert not any(m["meta"].get("kind") == "rating_request" for m in history(live, session)["messages"])


def test_a_slow_rasa_is_not_waited_for(live, rasa):
    rasa.mode, rasa.delay = "slow", 4.0
    started = time.time()
    answer = say(live, "s-slow", "在吗")
    assert answer.json()["mode"] == "degraded" and time.time() - started < 3.0


def test_a_silent_rasa_counts_as_down(live, rasa):
    rasa.mode = "silent"  # e.g. the action server is down: Rasa answers nothing
    assert say(live, "s-silent", "我要投诉").json()["mode"] == "degraded"
    assert live.store.active_ticket_for_session("s-silent") is not None


def test_messages_to_a_session_with_an_open_ticket_go_onto_that_ticket(live, rasa):
    session = "s-has-ticket"
    ticket = open_ticket_for(live, session)
    rasa.mode = "down"
    say(live, session, "还有一件也坏了")
    say(live, session, "再补充一句")
    assert [t["id"] for t in live.store.tickets_for_customer(session_id=session)] == [ticket["id"]]
    notes = [e for e in live.store.list_events(ticket["id"]) if e["action"] == "note"]
    assert len(notes) == 1 and "智能助手暂时无法应答" in notes[0]["details"]["text"]


# -- limits -----------------------------------------------------------------------------------------

def test_the_rate_limit_answers_politely_and_keeps_the_message(tmp_path, rasa):
    with live_app(tmp_path, rasa, RATE_LIMIT_PER_MINUTE="3") as live:
        for n in range(3):
            assert say(live, "s-fast", f"第{n}条").status_code == 200
        refused = say(live, "s-fast", "第3条")
        assert refused.status_code == 429
        body = refused.json()
        assert body["error"] == "too_many_messages" and "稍等" in body["message"] and body["retry_after"] >= 1
        assert "第3条" not in rasa.texts()
        kept = [m for m in live.store.list_messages("s-fast") if m["text"] == "第3条"]
        assert kept and kept[0]["meta"]["rejected"] == "rate_limited"
        assert say(live, "s-other", "我不受影响").status_code == 200
        for n in range(4, 8):
            say(live, "s-fast", f"第{n}条")
        assert not any(m["text"] == "第7条" for m in live.store.list_messages("s-fast"))  # a flood is not stored


@pytest.mark.parametrize("body, status, code", [
    ({"text": "你好", "metadata": {"x": "长" * 3000}}, 413, "too_long"),
    ({"text": "你好", "client_id": "有空格 不行"}, 422, "invalid_value"),
    ({"text": "你好", "button_title": 5}, 422, "invalid_value"),
])
def test_more_bad_input(live, body, status, code):
    response = requests.post(f"{live.base}/api/chat/s-bad/messages", json=body, timeout=10)
    assert response.status_code == status and response.json()["error"] == code


def test_a_resent_message_is_answered_once(live, rasa):
    for _ in range(2):
        answer = say(live, "s-resend", "订单号4512345678901234567", client_id="c1")
        assert answer.json()["mode"] == "bot"
    assert rasa.texts("s-resend") == ["订单号4512345678901234567"]
    assert [m["text"] for m in live.store.list_messages("s-resend") if m["sender"] == "customer"] == [
        "订单号4512345678901234567"]


def test_customer_api_answers_any_origin_and_hides_internal_meta(live, rasa):
    preflight = requests.options(f"{live.base}/api/chat/s-cors/messages", timeout=10,
                                 headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    answer = say(live, "s-cors", "你好", metadata={"page": "/"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert all(set(m["meta"]) <= {"kind", "display_name", "client_id", "button_title", "mode"}
               for m in history(live, "s-cors")["messages"])


def test_widget_files_and_the_demo_shop_page(live):
    page = requests.get(f"{live.base}/", timeout=10)
    assert page.status_code == 200 and '<script src="/widget.js"' in page.text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    script = requests.get(f"{live.base}/widget.js", timeout=10)
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("application/javascript")
    assert ".innerHTML" not in script.text and "textContent" in script.text
    assert requests.get(f"{live.base}/widget/widget.css", timeout=10).status_code == 200
    for bad in ("..%2Fwidget.py", "%2E%2E", "widget.py", "x.html"):
        assert requests.get(f"{live.base}/widget/{bad}", timeout=10).status_code == 404


# -- the WebSocket ------------------------------------------------------------------------------------

async def _frames_until(ws, predicate, seconds: float = 5.0) -> list[dict]:
    frames = []
    deadline = time.monotonic() + seconds
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic())))
        frames.append(frame)
        if predicate(frame):
            return frames


async def test_the_websocket_carries_messages_both_ways(live, rasa):
    session = "s-ws"
    say(live, session, "早上好")
    ticket = open_ticket_for(live, session)
    url = f"ws://127.0.0.1:{live.port}/api/chat/{session}/ws?after=1"
    async with websockets.connect(url) as ws:
        frames = await _frames_until(ws, lambda f: f["type"] == "ready")
        assert frames[0]["type"] == "hello" and frames[0]["mode"] == "bot"
        assert [f["message"]["id"] for f in frames if f["type"] == "message"][0] == 2  # replayed after id 1

        await ws.send(json.dumps({"type": "message", "text": "我的快递呢", "client_id": "c-ws-1"}))
        frames = await _frames_until(ws, lambda f: f["type"] == "result")
        echoed = [f["message"] for f in frames if f["type"] == "message"]
        assert echoed[0]["sender"] == "customer" and echoed[0]["meta"]["client_id"] == "c-ws-1"
        assert frames[-1]["client_id"] == "c-ws-1" and frames[-1]["mode"] == "bot"

        await ws.send(json.dumps({"type": "message", "text": "长" * 3000, "client_id": "c-ws-2"}))
        error = (await _frames_until(ws, lambda f: f["type"] == "error"))[-1]
        assert error["error"] == "too_long" and error["client_id"] == "c-ws-2" and "分几条" in error["message"]

        await ws.send(json.dumps({"type": "ping"}))
        await _frames_until(ws, lambda f: f["type"] == "pong")

        lily = AgentClient(live, "lily")
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: lily.call("PATCH", f"/api/tickets/{ticket['id']}", json={"assignee": "lily"}))
        frames = await _frames_until(ws, lambda f: f["type"] == "mode")
        assert frames[-1]["mode"] == "human" and frames[-1]["agent"] == "丽丽"
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: lily.call("POST", f"/api/tickets/{ticket['id']}/replies", json={"text": "您好，我来看看"}))
        frames = await _frames_until(ws, lambda f: f["type"] == "message" and f["message"]["sender"] == "agent")
        assert frames[-1]["message"]["text"] == "您好，我来看看"
        assert frames[-1]["message"]["meta"] == {"display_name": "丽丽"}  # never the login name

        await ws.send(json.dumps({"type": "message", "text": "好的谢谢", "client_id": "c-ws-3"}))
        result = (await _frames_until(ws, lambda f: f["type"] == "result"))[-1]
        assert result["mode"] == "human" and result["replies"] == []


async def test_a_bad_session_id_closes_the_websocket(live):
    url = f"ws://127.0.0.1:{live.port}/api/chat/bad%20id/ws"
    async with websockets.connect(url) as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 4400

"""Issue 13, findings 3 and 5: odd input is a clear 4xx (a chat message: stored and answered),
never a 500; limits apply before anything is stored; a session's history comes a page at a time.

Each case reproduces what a probe of the running service found (bot service on loopback, real
SQLite, Rasa unreachable so chat answers come from degraded mode).
"""
from __future__ import annotations

import asyncio
import json
import socket

import pytest
import requests
import websockets

from tests.support.live_app import LiveApp, make_settings, ticket_body

PROTECTED = ("/api/tickets", "/api/me", "/api/agents", "/api/stats", "/api/desk/canned-replies",
             "/api/tickets/export.csv", "/api/progress?session_id=s-x")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    running = LiveApp(make_settings(tmp_path_factory.mktemp("bad"), RATE_LIMIT_PER_MINUTE="3",
                                    MAX_MESSAGE_CHARS="200")).start()
    yield running
    running.stop()


def chat(live, session: str, **kwargs) -> requests.Response:
    return requests.post(f"{live.base}/api/chat/{session}/messages", timeout=30, **kwargs)


def customer_texts(live, session: str) -> list[str]:
    return [m["text"] for m in live.store.list_messages(session) if m["sender"] == "customer"]


def raw_request(live, head: bytes) -> bytes:
    """The status line of a request sent byte for byte (requests would encode the header itself)."""
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as sock:
        sock.sendall(head + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer.split(b"\r\n", 1)[0]


# -- finding 5: no 500 for any input ------------------------------------------------------------------

@pytest.mark.parametrize("path, status", [("/healthz", 200), ("/api/shop/status", 200), ("/api/me", 401),
                                          ("/api/chat/s-cookie/messages", 200)])
def test_an_unparsable_cookie_header_is_ignored(live, path, status):
    response = requests.get(f"{live.base}{path}", headers={"Cookie": "a=1; $p=2"}, timeout=30)
    assert response.status_code == status, response.text


def test_a_chat_message_behind_an_unparsable_cookie_is_stored_and_answered(live):
    response = chat(live, "s-cookie-post", json={"text": "快递还没到"}, headers={"Cookie": "a=1; $p=2"})
    assert response.status_code == 200 and response.json()["mode"] == "degraded"
    assert customer_texts(live, "s-cookie-post") == ["快递还没到"]


def test_a_lone_surrogate_in_a_chat_message_is_stored_and_answered(live):
    body = '{"text": "\\ud800坏了 \\udfff"}'.encode()
    response = chat(live, "s-surrogate", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["mode"] == "degraded"
    assert customer_texts(live, "s-surrogate") == ["\ufffd坏了 \ufffd"]


@pytest.mark.parametrize("field", ["description", "customer_ref"])
def test_a_lone_surrogate_in_a_ticket_field_is_no_server_error(live, field):
    body = ticket_body(f"surrogate-{field}", **{field: "\ud800 杯子碎了"})
    raw = json.dumps(body).encode()  # json.dumps writes the surrogate as the escape \ud800
    response = live.call("POST", "/api/tickets", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    assert "\ufffd 杯子碎了" in json.dumps(response.json()["ticket"], ensure_ascii=False)


@pytest.mark.parametrize("after", ["1" * 30, "²", "-1", "1e3"])
def test_a_bad_after_is_a_400(live, after):
    response = requests.get(f"{live.base}/api/chat/s-after/messages", params={"after": after}, timeout=30)
    assert response.status_code == 400 and response.json()["error"] == "invalid_after"


@pytest.mark.parametrize("query", ["limit=²", "offset=²", "limit=" + "9" * 30])
def test_bad_paging_of_the_ticket_list_is_a_400(live, query):
    response = live.call("GET", f"/api/tickets?{query}")
    assert response.status_code == 400 and response.json()["field"] in ("limit", "offset")


@pytest.mark.parametrize("query, field", [("to=9999-12-31", "to"), ("from=0001-01-01", "from"),
                                          ("from=0001-01-01&to=0001-01-02", "to")])
def test_an_export_beyond_the_calendar_is_a_400(live, query, field):
    response = live.call("GET", f"/api/tickets/export.csv?{query}")
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_date" and response.json()["field"] == field


@pytest.mark.parametrize("path", PROTECTED)
@pytest.mark.parametrize("token", [b"t\xe9st", "tést".encode(), b"\xff\xfe", b"\xc3"])
def test_a_bearer_token_that_is_not_ascii_is_a_401(live, path, token):
    assert raw_request(live, b"GET " + path.encode() + b" HTTP/1.1\r\nAuthorization: Bearer " + token) \
        == b"HTTP/1.1 401 Unauthorized"


def test_a_session_cookie_that_is_not_ascii_is_a_401(live):
    assert raw_request(live, b"GET /api/me HTTP/1.1\r\nCookie: desk_session=t\xe9st.\xc3\xa9") \
        == b"HTTP/1.1 401 Unauthorized"


def test_a_plain_http_get_of_the_websocket_is_a_426(live):
    response = requests.get(f"{live.base}/api/chat/s-plain/ws", timeout=30)
    assert response.status_code == 426 and response.json()["error"] == "upgrade_required"


@pytest.mark.parametrize("after", ["1" * 30, "%C2%B2"])
async def test_the_websocket_refuses_a_bad_after_with_4400(live, after):
    async with websockets.connect(f"ws://127.0.0.1:{live.port}/api/chat/s-ws-after/ws?after={after}") as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
    assert ws.close_code == 4400


async def test_the_websocket_stores_and_answers_a_lone_surrogate(live):
    async with websockets.connect(f"ws://127.0.0.1:{live.port}/api/chat/s-ws-odd/ws",
                                  extra_headers={"Cookie": "a=1; $p=2"}) as ws:
        await ws.send('{"type": "message", "text": "\\ud800快递丢了", "client_id": "c1"}')
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if frame["type"] in ("result", "error"):
                break
    assert frame["type"] == "result" and frame["mode"] == "degraded"
    assert customer_texts(live, "s-ws-odd") == ["\ufffd快递丢了"]


# -- finding 3: limits before storage, paged history ----------------------------------------------------

def test_an_oversize_message_is_refused_before_anything_is_stored(live):
    for size in (201, 500_000):
        response = chat(live, f"s-big-{size}", json={"text": "长" * size})
        assert response.status_code == 413 and response.json()["error"] in ("too_long", "payload_too_large")
        assert live.store.list_messages(f"s-big-{size}") == []


def test_the_rate_limit_counts_every_request_whatever_its_size_or_shape(live):
    session = "s-counted"
    assert chat(live, session, json={"text": "长" * 201}).status_code == 413
    assert chat(live, session, data=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400
    assert chat(live, session, json={"text": "长" * 300_000}).status_code == 413
    refused = chat(live, session, json={"text": "你好"})  # the 4th request of the minute (limit 3)
    assert refused.status_code == 429 and refused.json()["error"] == "too_many_messages"


def test_a_sessions_history_comes_a_page_at_a_time(live):
    session = "s-paged"
    live.store.append_messages(session, [("customer", f"第{n}条", None, None) for n in range(7)])
    seen, after, pages = [], 0, 0
    while True:
        page = requests.get(f"{live.base}/api/chat/{session}/messages", params={"after": after, "limit": 3},
                            timeout=30).json()
        seen += [m["text"] for m in page["messages"]]
        pages += 1
        assert len(page["messages"]) <= 3
        if not page["has_more"]:
            break
        after = page["messages"][-1]["id"]
    assert seen == [f"第{n}条" for n in range(7)] and pages == 3
    too_many = requests.get(f"{live.base}/api/chat/{session}/messages", params={"limit": 201}, timeout=30)
    assert too_many.status_code == 400 and too_many.json()["field"] == "limit"

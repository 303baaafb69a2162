"""TicketClient against a real HTTP server on loopback: delivery, retries with the same idempotency
key, the durable outbox when the bot service is down, and later delivery from it."""
from __future__ import annotations

import time

import pytest

from actions.clients.tickets import TicketClient
from tests.support.actions import TOKEN, LocalServer, Reply, closed_port_url, created_ticket, free_port, outbox_rows


def payload(key: str = "a1b2c3d4e5f60718293a4b5c6d7e8f90", **fields) -> dict:
    return {"idempotency_key": key, "session_id": "web-3f2a9c", "issue_type": "logistics_delay",
            "description": "快递三天没动了", "priority": "normal", "handoff_requested": False, **fields}


def client_for(url: str, tmp_path, **options) -> TicketClient:
    options = {"timeout": 1.0, "attempts": 3, "backoff": 0.01, **options}
    return TicketClient(url, TOKEN, str(tmp_path / "outbox.sqlite3"), **options)


def test_a_created_ticket_is_returned(tmp_path):
    with LocalServer(lambda request: created_ticket(request.body)) as service:
        submission = client_for(service.url, tmp_path).submit(payload())

    assert submission.queued is False
    assert submission.ticket["id"] == "TK-20261123-0007"
    assert submission.ticket["first_response_due_text"] == "今天 17:15 前"
    [request] = service.received
    assert (request.method, request.path) == ("POST", "/api/tickets")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.body == payload()


def test_a_repeated_submission_answered_200_is_not_queued(tmp_path):
    """The bot service answers 200 (not 201) when the idempotency key already made a ticket."""
    with LocalServer(lambda request: Reply(200, {"id": "TK-20261123-0007", "created": False,
                                                 "ticket": {"id": "TK-20261123-0007"}})) as service:
        client = client_for(service.url, tmp_path)
        submission = client.submit(payload())

    assert submission.ticket == {"id": "TK-20261123-0007"} and not submission.queued
    assert client.pending() == 0


def test_503_is_retried_with_the_same_key_then_kept_in_the_outbox(tmp_path):
    with LocalServer(lambda request: Reply(503, {"error": "maintenance"})) as service:
        client = client_for(service.url, tmp_path, attempts=3)
        submission = client.submit(payload(description="箱子压扁了"))

    assert submission == type(submission)(ticket=None, queued=True)
    assert len(service.received) == 3  # bounded
    assert {r.body["idempotency_key"] for r in service.received} == {payload()["idempotency_key"]}
    assert all(r.body == service.received[0].body for r in service.received)
    [row] = outbox_rows(tmp_path / "outbox.sqlite3")
    assert row["payload"] == payload(description="箱子压扁了")
    assert client.pending() == 1


def test_a_retry_that_succeeds_makes_one_ticket(tmp_path):
    answers = iter([Reply(503), Reply(502)])

    def flaky(request):
        return next(answers, None) or created_ticket(request.body)

    with LocalServer(flaky) as service:
        client = client_for(service.url, tmp_path, attempts=3)
        submission = client.submit(payload())

    assert submission.ticket["id"] == "TK-20261123-0007"
    assert len(service.received) == 3
    assert client.pending() == 0


def test_connection_refused_keeps_the_ticket_and_it_is_delivered_once_the_service_is_back(tmp_path):
    port = free_port()
    client = client_for(f"http://127.0.0.1:{port}", tmp_path, attempts=2)
    submission = client.submit(payload())
    assert submission.queued is True and submission.ticket is None
    assert client.pending() == 1

    with LocalServer(lambda request: created_ticket(request.body), port=port) as service:
        assert client.deliver_pending() == 1

    assert client.pending() == 0
    assert [r.body for r in service.received] == [payload()]  # the very same ticket, same key


def test_the_outbox_survives_a_restart_of_the_action_server(tmp_path):
    client_for(closed_port_url(), tmp_path, attempts=1).submit(payload())

    with LocalServer(lambda request: created_ticket(request.body)) as service:
        restarted = client_for(service.url, tmp_path)
        assert restarted.pending() == 1
        assert restarted.deliver_pending() == 1

    assert restarted.pending() == 0
    assert service.received[0].body["idempotency_key"] == payload()["idempotency_key"]


def test_delivery_stops_while_the_service_is_still_down(tmp_path):
    client = client_for(closed_port_url(), tmp_path, attempts=1)
    client.submit(payload("key-1"))
    client.submit(payload("key-2"))

    with LocalServer(lambda request: Reply(503)) as service:
        client.base_url = service.url
        assert client.deliver_pending() == 0

    assert len(service.received) == 1  # tried the oldest once, then waited for the next round
    assert client.pending() == 2
    assert [row["attempts"] for row in outbox_rows(client.outbox_path)] == [2, 1]


def test_a_refused_ticket_does_not_block_the_ones_behind_it(tmp_path):
    client = client_for(closed_port_url(), tmp_path, attempts=1)
    client.submit(payload("bad-key"))
    client.submit(payload("good-key"))

    def answer(request):
        if request.body["idempotency_key"] == "bad-key":
            return Reply(422, {"error": {"code": "invalid_value", "field": "issue_type"}})
        return created_ticket(request.body)

    with LocalServer(answer) as service:
        client.base_url = service.url
        assert client.deliver_pending() == 1

    assert [row["idempotency_key"] for row in outbox_rows(client.outbox_path)] == ["bad-key"]  # kept for a person
    assert [r.body["idempotency_key"] for r in service.received] == ["bad-key", "good-key"]  # 4xx: not retried


def test_a_4xx_is_not_retried_but_the_ticket_is_kept(tmp_path):
    with LocalServer(lambda request: Reply(422, {"error": "bad"})) as service:
        client = client_for(service.url, tmp_path, attempts=3)
        submission = client.submit(payload())

    assert submission.queued is True
    assert len(service.received) == 1
    assert client.pending() == 1


def test_a_slow_service_times_out_and_the_ticket_is_kept(tmp_path):
    with LocalServer(lambda request: Reply(201, {"ticket": {"id": "TK-late"}}, delay=0.6)) as service:
        client = client_for(service.url, tmp_path, timeout=0.2, attempts=2)
        started = time.monotonic()
        submission = client.submit(payload())
        elapsed = time.monotonic() - started

    assert submission.queued is True
    assert elapsed < 1.0  # two timeouts of 0.2 s plus a little back-off, not two slow answers
    assert {r.body["idempotency_key"] for r in service.received} == {payload()["idempotency_key"]}


# -- progress and other calls ----------------------------------------------------------------------------------

def test_progress_sends_only_the_customers_identity(tmp_path):
    tickets = [{"id": "TK-20261123-0007", "status": "new"}]
    with LocalServer(lambda request: Reply(200, {"tickets": tickets})) as service:
        client = client_for(service.url, tmp_path)
        assert client.progress("web-3f2a9c", "cust-42", "TK-20261123-0007") == tickets
        assert client.progress("web-3f2a9c") == tickets

    first, second = service.received
    assert first.path == "/api/progress"
    assert first.query == {"session_id": ["web-3f2a9c"], "customer_ref": ["cust-42"],
                           "ticket_id": ["TK-20261123-0007"]}
    assert second.query == {"session_id": ["web-3f2a9c"]}
    assert second.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("status", [500, 401])
def test_progress_is_none_when_the_service_fails(tmp_path, status):
    with LocalServer(lambda request: Reply(status, {"error": "no"})) as service:
        assert client_for(service.url, tmp_path).progress("web-3f2a9c") is None
    assert len(service.received) == 1


def test_progress_is_none_when_the_service_is_down(tmp_path):
    assert client_for(closed_port_url(), tmp_path).progress("web-3f2a9c") is None


def test_post_json(tmp_path):
    def answer(request):
        if request.path.endswith("/csat"):
            return Reply(200, {"ticket": {"csat": request.body["score"]}})
        return Reply(404, {"error": "not found"})

    with LocalServer(answer) as service:
        client = client_for(service.url, tmp_path)
        assert client.post_json("/api/tickets/TK-20261123-0007/csat", {"score": 5}) == {"ticket": {"csat": 5}}
        assert client.post_json("/api/tickets/TK-20261123-0009/other", {"score": 5}) is None

    assert client_for(closed_port_url(), tmp_path).post_json("/api/x", {}) is None

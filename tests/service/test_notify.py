"""Webhook notifications checked against a real HTTP receiver on loopback: the body of each of
the four formats, masking of personal data, retries with back-off on 5xx, giving up without ever
raising, and ticket creation that neither waits for nor fails with the webhook."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from bot.integrations.notify import Notifier
from tests.support.live_app import LiveApp, Receiver, free_port, make_settings, ticket_body

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai

TICKET = {
    "id": "TK-20261123-0007", "priority": "urgent", "issue_type": "product_quality", "expectation": "refund",
    "risk_flags": ["safety", "anger"], "order_number": "4512345678901234567", "phone": "13812345678",
    "description": "电水壶漏电[点我](http://evil.example)！电话 138 1234 5678，身份证 110101199003071234，"
                   "邮箱 zhang.san@example.com，订单号4512345678901234567",
    "first_response_due": NOW + timedelta(minutes=5), "resolution_due": NOW + timedelta(hours=24),
    "first_responded_at": None,
}

PERSONAL = ("13812345678", "138 1234 5678", "1234 5678", "110101199003071234", "zhang.san@example.com")


def notifier(url: str, fmt: str, **kwargs) -> Notifier:
    return Notifier(url, fmt, shop_name="好物小店", desk_url="http://desk.example:8000", tz="Asia/Shanghai",
                    backoff_seconds=0.01, **kwargs)


def _all_text(value) -> str:
    if isinstance(value, dict):
        return " ".join(_all_text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_all_text(v) for v in value)
    return str(value)


async def deliver(fmt: str, receiver: Receiver, kind: str = "urgent") -> dict:
    sender = notifier(receiver.url, fmt)
    try:
        assert await sender.deliver(sender.payload(kind, TICKET, now=NOW), TICKET["id"]) is True
    finally:
        await sender.close()
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["headers"]["Content-Type"].startswith("application/json")
    return request["json"]


async def test_wecom_group_robot_markdown():
    with Receiver() as receiver:
        body = await deliver("wecom", receiver)
    assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert set(body["markdown"]) == {"content"}
    assert content.startswith("### 紧急投诉工单 TK-20261123-0007")
    assert "质量问题" in content and "仅退款" in content and "人身安全" in content and "好物小店" in content
    assert "今天 10:05 前" in content  # the due time in the shop's zone
    assert "[在客服台打开](http://desk.example:8000/desk/tickets/TK-20261123-0007)" in content
    assert "[点我](http://evil.example)" not in content  # the customer's markdown is defused


async def test_dingtalk_custom_robot_markdown():
    with Receiver() as receiver:
        body = await deliver("dingtalk", receiver, kind="new")
    assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
    assert set(body["markdown"]) == {"title", "text"}
    assert body["markdown"]["title"] == "新投诉工单 TK-20261123-0007"
    assert "投诉" in body["markdown"]["text"]  # robots with keyword security need it


async def test_feishu_bot_text():
    with Receiver() as receiver:
        body = await deliver("feishu", receiver, kind="overdue")
    assert body["msg_type"] == "text" and set(body["content"]) == {"text"}
    assert body["content"]["text"].startswith("投诉工单超时未处理 TK-20261123-0007")


async def test_plain_json():
    with Receiver() as receiver:
        body = await deliver("json", receiver)
    assert body["event"] == "urgent" and body["title"] == "紧急投诉工单 TK-20261123-0007"
    assert body["ticket"]["ticket_id"] == "TK-20261123-0007" and body["ticket"]["priority"] == "urgent"
    assert body["ticket"]["risk_flags"] == ["safety", "anger"]
    assert body["ticket"]["order_number"] == "4512345678901234567"  # agents need it; it is not personal
    assert body["ticket"]["url"].endswith("/desk/tickets/TK-20261123-0007")


@pytest.mark.parametrize("fmt", ["json", "wecom", "dingtalk", "feishu"])
async def test_personal_data_is_masked_in_every_format(fmt):
    with Receiver() as receiver:
        body = await deliver(fmt, receiver)
    text = _all_text(body).replace("＊", "*")  # markdown formats use full-width asterisks
    for secret in PERSONAL:
        assert secret not in text, f"{secret} leaked in {fmt}"
    assert "138****5678" in text and "110101********1234" in text and "z***@example.com" in text


async def test_retries_on_server_errors_with_back_off():
    with Receiver(statuses=[500, 503, 200]) as receiver:
        sender = notifier(receiver.url, "json", attempts=4)
        started = time.monotonic()
        assert await sender.deliver(sender.payload("new", TICKET, now=NOW)) is True
        await sender.close()
    assert len(receiver.requests) == 3
    assert time.monotonic() - started >= 0.01 + 0.02  # waited between attempts
    assert receiver.requests[0]["json"] == receiver.requests[2]["json"]


async def test_gives_up_after_the_last_attempt_without_raising(caplog):
    with Receiver(statuses=[500] * 10) as receiver:
        sender = notifier(receiver.url, "wecom", attempts=3)
        assert await sender.deliver(sender.payload("new", TICKET, now=NOW), "TK-x") is False
        await sender.close()
    assert len(receiver.requests) == 3
    assert "giving up" in caplog.text


async def test_client_errors_and_refusals_are_not_retried():
    with Receiver(statuses=[400]) as receiver:
        sender = notifier(receiver.url, "json")
        assert await sender.deliver(sender.payload("new", TICKET, now=NOW)) is False
        await sender.close()
    assert len(receiver.requests) == 1
    with Receiver(body={"errcode": 93000, "errmsg": "invalid webhook url"}) as receiver:
        sender = notifier(receiver.url, "wecom")
        assert await sender.deliver(sender.payload("new", TICKET, now=NOW)) is False
        await sender.close()
    assert len(receiver.requests) == 1


async def test_unreachable_receiver_does_not_raise():
    sender = notifier(f"http://127.0.0.1:{free_port()}/hook", "feishu", attempts=2, timeout_seconds=1)
    assert await sender.deliver(sender.payload("new", TICKET, now=NOW)) is False
    sender.notify("new", TICKET)  # queued in the background
    await sender.drain()
    await sender.close()


async def test_notify_returns_at_once_and_sends_in_the_background():
    with Receiver(delay=0.5) as receiver:
        sender = notifier(receiver.url, "json")
        started = time.monotonic()
        sender.notify("urgent", TICKET)
        assert time.monotonic() - started < 0.1
        await sender.drain()
        await sender.close()
    assert len(receiver.requests) == 1


def test_disabled_without_url():
    sender = Notifier("", "json")
    assert not sender.enabled
    sender.notify("new", TICKET)  # no loop, no URL: nothing happens, nothing raises


def test_ticket_creation_neither_waits_for_nor_fails_with_the_webhook(tmp_path):
    with Receiver(statuses=[500] * 20, delay=0.3) as receiver:
        live = LiveApp(make_settings(tmp_path, WEBHOOK_URL=receiver.url, WEBHOOK_FORMAT="wecom")).start()
        live.app.ctx.notifier.backoff_seconds = 0.05
        try:
            started = time.monotonic()
            response = live.call("POST", "/api/tickets", json=ticket_body(
                "hook-1", description="我要去12315投诉，电话13812345678"))
            elapsed = time.monotonic() - started
            assert response.status_code == 201
            assert elapsed < 0.3  # the receiver takes 0.3 s per attempt; creation did not wait
            deadline = time.monotonic() + 15
            while len(receiver.requests) < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            live.stop()
    assert len(receiver.requests) == 4  # retried up to the limit, then gave up
    content = receiver.requests[0]["json"]["markdown"]["content"]
    assert content.startswith("### 紧急投诉工单 TK-") and "13812345678" not in content


def test_a_long_description_is_cut_before_a_number_never_inside_it():
    from bot.integrations.notify import DESCRIPTION_CHARS, notification_fields

    for padding in range(DESCRIPTION_CHARS - 30, DESCRIPTION_CHARS + 5):
        ticket = {**TICKET, "description": "漏" * padding + "，电话 +86 138 1234 5678，座机 0755 1234 5678，快处理"}
        description = notification_fields("new", ticket, shop_name="店", desk_url="http://d", tz="Asia/Shanghai",
                                          now=NOW)["description"]
        assert len(description) <= DESCRIPTION_CHARS + 1 and "1234" not in description
        # Each number is there whole (masked) or not at all: no digit is left once they are removed.
        rest = description.replace("+86 138****5678", "").replace("0755 **** 5678", "")
        assert not any(ch.isdigit() or ch == "*" for ch in rest), description[-40:]

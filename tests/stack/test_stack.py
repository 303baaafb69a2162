"""The whole stack on loopback with the real trained model: health, a greeting, and the
intake promises of the product (nothing asked twice, issue-specific apology, ticket stored)."""
import json
import os
import re
import subprocess
import sys

import pytest
import requests

from tests.support.stack import ROOT, texts

pytestmark = pytest.mark.stack
LOGISTICS_APOLOGIES = ("久等", "物流一直没有进展", "迟迟收不到货")


def test_health_reports_all_three_services_up(stack):
    body = requests.get(f"{stack.base}/healthz", timeout=10).json()
    assert body["status"] == "ok", body
    assert all(body["services"][name]["ok"] for name in ("bot", "rasa", "action_server"))


def test_a_greeting_gets_a_chinese_reply(stack):
    result = stack.say("greet-1", "你好")
    assert result["mode"] == "bot"
    assert re.search(r"[\u4e00-\u9fff]", texts(result)), result


def test_everything_in_one_message_goes_straight_to_confirmation_and_is_stored(stack):
    session = "intake-all-in-one"
    result = stack.say(session, "我订单4512345678901234567的羽绒服拉链坏了，要退货退款")
    reply = texts(result)
    assert "抱歉" in reply
    assert "确认" in reply and "4512345678901234567" in reply and "退货退款" in reply
    assert "订单号发我" not in reply and "怎么处理" not in reply  # nothing asked again
    assert [b["payload"] for b in result["replies"][-1]["buttons"]] == ["/affirm", "/deny"]

    done = texts(stack.say(session, "对的，提交吧"))
    ticket_id = re.search(r"TK-\d{8}-\d{4}", done).group(0)
    ticket = stack.api("GET", f"/api/tickets/{ticket_id}").json()
    ticket = ticket.get("ticket", ticket)
    assert ticket["order_number"] == "4512345678901234567"
    assert ticket["issue_type"] == "product_quality" and ticket["category"] == "product"
    assert ticket["expectation"] == "return_refund"
    assert "拉链坏了" in ticket["description"]
    assert ticket["session_id"] == session


def test_a_late_parcel_gets_a_logistics_apology_and_an_order_question(stack):
    result = stack.say("intake-logistics", "快递三天没动了")
    reply = texts(result)
    assert any(word in reply for word in LOGISTICS_APOLOGIES), reply
    assert "订单号" in result["replies"][-1]["text"]


def test_the_form_accepts_answers_one_at_a_time(stack):
    session = "intake-stepwise"
    assert "问题" in texts(stack.say(session, "我要投诉"))
    assert "订单号" in texts(stack.say(session, "衣服洗了一次就掉色严重"))
    assert "希望" in texts(stack.say(session, "4512345678901234568"))
    reply = texts(stack.say(session, "换货"))
    assert "换货" in reply and "4512345678901234568" in reply


def test_parse_cli_prints_one_json_object_per_text():
    lines = "我订单4512345678901234567的羽绒服拉链坏了，要退货退款\n东西是假货 我要打12315\n你好\n"
    result = subprocess.run([sys.executable, "-m", "bot", "parse"], input=lines, capture_output=True, text=True,
                            cwd=ROOT, timeout=900, env={**os.environ, "DOTENV_DISABLED": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    parsed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [p["text"] for p in parsed] == lines.splitlines()
    first, fake, hello = parsed
    assert set(first) >= {"text", "is_complaint", "intent", "confidence", "issue_type", "category", "expectation",
                          "order_number", "priority", "risk_flags"}
    assert (first["issue_type"], first["category"], first["expectation"], first["order_number"]) == (
        "product_quality", "product", "return_refund", "4512345678901234567")
    assert fake["priority"] == "urgent" and {"regulator", "counterfeit"} <= set(fake["risk_flags"])
    assert hello["is_complaint"] is False and hello["intent"] == "greet"

"""The whole stack on loopback with the real trained model: customers who are not complaining get
no apology and no ticket, and an order number given before the complaint is kept. The conversation
tests (rasa test core) check the dialogue's predictions but do not run the actions; this runs them,
so the acknowledgement's own decisions (no form after a bare order number, the form started by it
after a wish on its own) are seen as the customer sees them."""
import re

import pytest

from tests.support.stack import texts

pytestmark = pytest.mark.stack
ORDER = "4598123376510048823"


def tickets_of(stack, session: str) -> list[dict]:
    return stack.api("GET", f"/api/tickets?session_id={session}").json()["tickets"]


def test_a_tracking_question_then_the_bare_number_gets_no_apology_and_no_ticket(stack):
    session = "not-complaint-tracking"
    stack.say(session, "在吗 我买的电热毯到哪了")
    noted = stack.say(session, ORDER)
    reply = texts(noted)
    assert ORDER in reply and re.search(r"需要帮您|咨询什么", reply), reply
    assert not re.search(r"抱歉|不满意|委屈|什么问题", reply), reply
    assert tickets_of(stack, session) == []

    # The complaint that follows starts the intake with the number: it is never asked for.
    complaint = texts(stack.say(session, "物流停在中转站五天了 一直不动"))
    assert "订单号" not in complaint.replace(ORDER, ""), complaint
    assert "希望" in complaint or "怎么解决" in complaint, complaint
    [ticket] = tickets_of(stack, session)
    assert ticket["order_number"] == ORDER and ticket["issue_type"] == "logistics_delay"


def test_praise_is_thanked_and_files_nothing(stack):
    session = "not-complaint-praise"
    reply = texts(stack.say(session, "东西昨天到了 用着特别顺手 谢谢你们"))
    assert not re.search(r"抱歉|登记|记下来|订单号", reply), reply
    assert tickets_of(stack, session) == []


def test_a_wish_on_its_own_still_starts_the_intake(stack):
    """An `inform` outside the intake no longer runs the form by rule: the acknowledgement starts it."""
    session = "not-complaint-wish"
    reply = texts(stack.say(session, "我要退款"))
    assert re.search(r"什么问题|哪方面的问题|哪类问题", reply), reply

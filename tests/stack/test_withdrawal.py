"""Withdrawing mid-intake on the whole stack (real model, Rasa, action server, bot service): a bare
"不用了" is asked back once with two buttons; 「不用登记了」 closes the record quietly as withdrawn, and
the same chat's next complaint gets a working ticket of its own; 「继续登记」 goes back to the pending
question in other words. (The conversation stories cannot show which action spoke: rasa test core
runs no action.)"""
import pytest

from tests.support.stack import texts

pytestmark = pytest.mark.stack


def tickets_of(stack, session: str) -> list[dict]:
    return stack.api("GET", f"/api/tickets?session_id={session}").json()["tickets"]


def test_a_bare_no_need_is_asked_back_and_the_withdraw_button_closes_the_record_quietly(stack):
    session = "withdraw-yes"
    first = stack.say(session, "买的台灯用了两天就不亮了")
    assert "订单号" in first["replies"][-1]["text"]
    [record] = tickets_of(stack, session)
    assert record["intake"] == "collecting"

    check = stack.say(session, "不用了")
    assert "登记" in texts(check) and len(check["replies"]) == 1  # one question, nothing withdrawn yet
    assert [(b["title"], b["payload"]) for b in check["replies"][-1]["buttons"]] == [
        ("不用登记了", "/cancel"), ("继续登记", "/deny")]
    assert tickets_of(stack, session)[0]["status"] == "new"

    done = stack.say(session, "/cancel", button_title="不用登记了")
    assert "取消" in texts(done)
    closed = stack.api("GET", f"/api/tickets/{record['id']}").json()["ticket"]
    assert (closed["status"], closed["intake"], closed["intake_label"]) == ("closed", "withdrawn", "顾客已撤销")
    shown = stack.api("GET", f"/api/chat/{session}/messages").json()["messages"]
    assert not any("打个分" in m["text"] or "人工服务结束" in m["text"] for m in shown)  # no rating, no closing

    again = stack.say(session, "买的台灯用了两天就不亮了")
    assert "订单号" in again["replies"][-1]["text"]
    working = [t for t in tickets_of(stack, session) if t["id"] != record["id"]]
    assert len(working) == 1 and (working[0]["status"], working[0]["intake"]) == ("new", "collecting")


def test_continue_goes_back_to_the_pending_question_in_other_words(stack):
    session = "withdraw-no"
    first = stack.say(session, "裤子洗了一次就掉色掉得厉害")
    asked_first = first["replies"][-1]["text"]
    assert "订单号" in asked_first
    stack.say(session, "算了")
    back = stack.say(session, "/deny", button_title="继续登记")
    asked_again = back["replies"][-1]["text"]
    assert "订单号" in asked_again and asked_again != asked_first  # the pending question, not verbatim
    [record] = tickets_of(stack, session)
    assert (record["status"], record["intake"]) == ("new", "collecting")
    answered = stack.say(session, "2039184756019283746")
    assert "2039184756019283746" in stack.api("GET", f"/api/tickets/{record['id']}").json()["ticket"]["order_number"]
    assert any('"expectation"' in b["payload"] for b in answered["replies"][-1]["buttons"])  # on to the wish


def test_an_answer_instead_of_yes_or_no_is_taken_for_the_pending_question(stack):
    session = "withdraw-answer"
    stack.say(session, "鞋底开胶了 才穿一周")
    assert "登记" in texts(stack.say(session, "哦 不用了"))
    answered = stack.say(session, "订单号 2039184756019283746")
    [record] = tickets_of(stack, session)
    assert record["order_number"] == "2039184756019283746" and record["status"] == "new"
    assert any('"expectation"' in b["payload"] for b in answered["replies"][-1]["buttons"])  # on to the wish


def test_a_plain_yes_to_the_check_withdraws_too(stack):
    session = "withdraw-plain-yes"
    stack.say(session, "充电器插上就冒火花 吓死了")
    stack.say(session, "算了")
    done = stack.say(session, "是的")  # read as 'affirm': the form ends and calls the withdrawal itself
    assert "取消" in texts(done) and "确认" not in texts(done)
    [record] = tickets_of(stack, session)
    assert (record["status"], record["intake"]) == ("closed", "withdrawn")

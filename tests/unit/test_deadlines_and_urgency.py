"""The customer's own deadline and the words that say they are in a hurry (issue 11 item 6):
found in the customer's words, not in the past, not in a question or a quoted shop rule."""
import pytest

from bot.domain.deadlines import find_customer_deadline
from bot.domain.triage import triage, urgency_cues


@pytest.mark.parametrize("text, deadline", [
    ("明天务必送到", "明天务必送到"),
    ("真的很急，X号的飞机", "X号的飞机"),
    ("[数字x]号的飞机 真的很急", "[数字x]号的飞机"),  # the replayed corpus's anonymised day
    ("周五前", "周五前"),
    ("15号前给我处理好", "15号前给我处理好"),
    ("三天内给我答复", "三天内给我答复"),
    ("今天之内给我个说法", "今天之内给我个说法"),
    ("后天结婚，婚纱还没到！", "后天结婚"),
    ("下周一前必须收到", "下周一前必须收到"),
    ("最晚周六要收到", "最晚周六要收到"),
    ("孩子明天开学要用", "孩子明天开学要用"),
    ("这是生日礼物，12月3日生日", "12月3日生日"),
    ("月底之前要搬家，衣柜必须到", "月底之前要搬家"),
    ("明天务必送到，15号的飞机，周五前退款", "明天务必送到；15号的飞机"),  # at most two clauses
    ("快递还没到 明天务必送到 不然来不及", "明天务必送到"),  # the words around it, not the whole line
    ("订单号4512345678901234567，周五前一定要到", "周五前一定要到"),
])
def test_a_stated_deadline_is_kept_in_the_customers_words(text, deadline):
    assert find_customer_deadline(text) == deadline


@pytest.mark.parametrize("text", [
    "三天前买的，还没发货",  # 前 after a duration: ago
    "15号下的单，到现在还没发货",  # a past day
    "我前天下的单",
    "明天能到吗",  # a question: the intake answers it
    "说好48小时内发货的",  # a shop rule quoted back
    "7天内可以退吗",
    "我等了一个星期了",
    "昨天就该到了",
    "下单时间:2024-01-05 10:00:00",
    "5号楼3单元",
    "我明天再来问",
    "明天上午在家",
    "快递三天没动了 急用的",  # urgent, but no deadline stated
    "",
])
def test_no_deadline(text):
    assert find_customer_deadline(text) is None


@pytest.mark.parametrize("text, cues", [
    ("真的很急，X号的飞机", ["很急", "X号的飞机"]),
    ("快递三天没动了 急用的", ["急用"]),
    ("明天务必送到", ["明天务必送到"]),
    ("急！", ["急!"]),
    ("赶时间，麻烦快点", ["赶时间"]),
    ("我很着急", ["着急"]),
])
def test_urgency_cues(text, cues):
    assert urgency_cues(text) == cues


@pytest.mark.parametrize("text", ["不急，慢慢来", "别着急", "不用急", "我不太着急", "不着急的", "还没发货",
                                  "尽快处理一下"])
def test_no_hurry(text):
    assert urgency_cues(text) == []
    assert "time_pressure" not in triage(text).risk_flags


def test_hurry_and_deadlines_raise_priority_with_a_reason_the_agent_reads():
    result = triage("真的很急，X号的飞机")
    assert (result.priority, result.risk_flags) == ("high", ["time_pressure"])
    assert result.reasons == ["顾客着急：很急、X号的飞机"]
    assert triage("周五前退款").priority == "high"
    both = triage("再不送到就差评，明天务必送到")
    assert both.risk_flags == ["bad_review_threat", "time_pressure"] and both.priority == "high"
    assert triage("很急，不处理就投诉到平台").priority == "urgent"  # a threat of the platform stays urgent

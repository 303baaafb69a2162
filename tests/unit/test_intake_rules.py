"""Issue 11's pure rules: which customer messages carry content for the ticket, how the
description grows, what a record still lacks, and how the desk names the intake state."""
import pytest

from bot.domain.intake import (
    appended_description,
    has_content,
    intake_label,
    is_acknowledgement,
    missing_fields_of,
    ordered_missing,
)


@pytest.mark.parametrize("text", [
    "嗯", "嗯嗯", "好的", "好的好的", "OK", "ok。", "哦", "收到", "👍", "👌🏻", "好的，谢谢", "谢谢！", "在吗？",
    "你好", "没了", "不用了", "好的就这样", "是的", "可以", "行吧", "知道了~", "？？", "...", "", "   ", "ｏｋ",
])
def test_acknowledgements_thanks_greetings_and_closings_carry_nothing(text):
    assert is_acknowledgement(text)
    assert not has_content(text)


@pytest.mark.parametrize("text", [
    "真的很急，X号的飞机", "明天务必送到", "好的，另外盒子也压扁了", "嗯 订单号4512345678901234567",
    "不是这个，是另一单", "帮我申请余额", "尽快", "1", "还没到", "我要退款", "谢谢，但是还有一个问题：发票没开",
])
def test_messages_with_content(text):
    assert not is_acknowledgement(text)
    assert has_content(text)


def test_button_presses_are_not_the_customers_words():
    assert not has_content("退货退款", button=True)
    assert not has_content('/inform{"expectation": "refund"}')
    assert not has_content("/affirm")


def test_the_description_grows_by_new_words_only():
    assert appended_description("快递五天没到", "真的很急") == "快递五天没到\n真的很急"
    assert appended_description("快递五天没到\n真的很急", "真的很急") is None  # once
    assert appended_description("快递五天没到，真的很急", "五天没到") is None  # already in the first words
    assert appended_description("", " 很急 ") == "很急"
    assert appended_description("快递五天没到", "   ") is None
    assert appended_description("x" * 10, "y" * 5, limit=12) is None  # over the limit: the transcript keeps it


def test_what_a_record_lacks():
    assert missing_fields_of({"order_number": None, "expectation": None, "issue_type": "logistics_delay"}) == \
        ["order_number", "expectation"]
    assert missing_fields_of({"order_number": "4512345678901234567", "expectation": "refund",
                              "issue_type": "other_complaint"}) == []  # "other" chosen, not unsure
    assert missing_fields_of({"order_number": "1", "expectation": "refund", "issue_type": "other_complaint",
                              "missing_fields": ["issue_type"]}) == ["issue_type"]  # the dialogue was unsure
    assert missing_fields_of({"order_number": None, "expectation": None, "issue_type": "other_complaint",
                              "risk_flags": ["needs_triage"]}) == ["order_number", "expectation", "issue_type"]
    assert ordered_missing(["expectation", "nonsense", "order_number", "expectation"]) == \
        ["order_number", "expectation"]


def test_the_desk_names_the_state():
    assert intake_label("collecting") == "登记中"
    assert intake_label("complete") == "已确认"
    assert intake_label("incomplete", ["expectation", "order_number"]) == "信息不全（缺：订单号、诉求）"
    assert intake_label("incomplete", []) == "信息不全"

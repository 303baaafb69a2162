"""bot/domain/dialogue.py: the words that may change or end a complaint's record, and questions."""
from __future__ import annotations

import pytest

from bot.domain.dialogue import (
    cancel_is_misread,
    is_cancel_registration,
    is_handoff_request,
    issue_type_correction,
    question_kind,
    wish_change_allowed,
)


@pytest.mark.parametrize("text, expected", [
    ("转人工", True), ("人工客服在吗", True), ("我要真人", True), ("找你们领导来", True),
    ("我个人什么原因", False), ("/request_human", False), ("有真人吗", True),
    ("你是真人还是程序啊", False), ("跟我说话的是机器人还是真人", False)])  # asking what the assistant is
def test_handoff_words_anywhere_but_not_ge_ren(text, expected):
    assert is_handoff_request(text) is expected


@pytest.mark.parametrize("text, explicit, misread", [
    ("不投诉了", True, False), ("算了不投诉了", True, False), ("需要订单号吗", False, True),
    ("我想取消订单", False, True), ("不投诉了可以吗？", False, True)])
def test_only_an_explicit_withdrawal_cancels(text, explicit, misread):
    assert is_cancel_registration(text) is explicit
    assert cancel_is_misread(text) is misread


@pytest.mark.parametrize("text, expected", [
    ("不对，问题是价格问题", "price_dispute"), ("其实是差价", "price_dispute"),
    ("问题不是包裹破损丢件，是错发漏发", "wrong_or_missing_item"), ("不是质量问题，是快递员态度", "courier_attitude"),
    ("降价了", None), ("新东西就只能维修?", None)])
def test_corrections_in_everyday_words(text, expected):
    assert issue_type_correction(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("什么时候给结果", "when"), ("今天能到吗", "when"), ("需要订单号吗", "order_needed"),
    ("我的投诉处理得怎么样了", "progress"), ("快递三天没动了", None), ("换个新的吧", None)])
def test_question_kinds(text, expected):
    assert question_kind(text) == expected


def test_a_question_never_changes_the_wish():
    assert not wish_change_allowed("新东西就只能维修?")
    assert wish_change_allowed("我要换货不要退款")


@pytest.mark.parametrize("text, intent, confidence, expected", [
    ("/request_human", "request_human", 1.0, True), ("转人工", "inform", 0.4, True),
    ("我要跟客服说话", "request_human", 0.93, True), ("好 等下我找找", "request_human", 0.31, False),
    ("你们客服呢", "request_human", 0.37, False), ("快递三天没动了", "complain_logistics_delay", 0.9, False)])
def test_only_the_words_the_button_or_a_sure_reading_ask_for_a_person(text, intent, confidence, expected):
    from bot.domain.dialogue import wants_a_person

    assert wants_a_person(text, intent, confidence) is expected
